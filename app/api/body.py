"""Reading a request body with a size cap, before any of it is buffered beyond the cap."""

from fastapi import Request


async def read_body(request: Request, max_bytes: int) -> bytes | None:
    """The body, or None when it is (or announces itself as) larger than ``max_bytes``."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > max_bytes:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
