"""Closed-loop HTTP/1.1 load generator on raw asyncio streams.

One keep-alive connection per client; each client sends a pre-built request, reads the status line,
the headers and a Content-Length (or chunked, or read-to-close) body, and sends the next one. After a
response carrying ``Connection: close`` (or HTTP/1.0 without keep-alive) the client reconnects first.
"""

import asyncio
import gc
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

CONN_ERROR = "conn-error"
TIMEOUT = "timeout"
GRACE_SECONDS = 30.0


class Connection:
    """One HTTP/1.1 connection that reconnects lazily after the server closes it."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def request(self, data: bytes) -> tuple[int, bytes]:
        """Send one request and return ``(status, body)``."""
        if self.writer is None:
            await self.connect()
        assert self.reader is not None and self.writer is not None
        reader = self.reader
        self.writer.write(data)
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        lower = head.lower()
        close = b"\r\nconnection: close" in lower or (
            head.startswith(b"HTTP/1.0") and b"\r\nconnection: keep-alive" not in lower
        )
        start = lower.find(b"\r\ncontent-length:")
        if start >= 0:
            body = await reader.readexactly(int(lower[start + 17 : lower.index(b"\r\n", start + 2)]))
        elif b"\r\ntransfer-encoding: chunked" in lower:
            body = await _read_chunked(reader)
        elif status in (204, 304):
            body = b""
        else:
            body, close = await reader.read(), True
        if close:
            self.close()
        return status, body


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    """Read a chunked body (trailers are skipped)."""
    parts = []
    while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
        parts.append(await reader.readexactly(size + 2))
    while await reader.readuntil(b"\r\n") != b"\r\n":
        pass
    return b"".join(p[:-2] for p in parts)


@dataclass
class Result:
    """What one run measured."""

    concurrency: int
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    unexpected: int = 0
    exhausted: bool = False
    bodies: dict[int, tuple[int, bytes]] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return sum(self.statuses.values())

    @property
    def rate(self) -> float:
        return self.count / self.elapsed if self.elapsed else 0.0

    def percentile_ms(self, q: float) -> float:
        """Latency percentile in milliseconds (nearest rank)."""
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


async def run_load(
    host: str,
    port: int,
    requests: Sequence[bytes],
    *,
    concurrency: int,
    duration: float,
    limit: int,
    expect: frozenset[int],
    keep_bodies: bool = False,
) -> Result:
    """Send ``requests[i % len(requests)]`` for i < ``limit`` from ``concurrency`` clients until ``duration``.

    Stops at whichever comes first; clients still waiting after ``duration + GRACE_SECONDS`` are cancelled
    and counted as timeouts. With ``keep_bodies`` every response is kept by request index.
    """
    result = Result(concurrency)
    conns = [Connection(host, port) for _ in range(concurrency)]
    await asyncio.gather(*(c.connect() for c in conns))
    next_index = 0
    total = len(requests)
    started = time.perf_counter()
    deadline = started + duration
    clock = time.perf_counter

    async def client(conn: Connection) -> None:
        nonlocal next_index
        while next_index < limit and clock() < deadline:
            index = next_index
            next_index += 1
            sent = clock()
            try:
                status, body = await conn.request(requests[index % total])
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
                conn.close()
                result.statuses[CONN_ERROR] += 1
                result.unexpected += 1
                continue
            result.latencies.append(clock() - sent)
            result.statuses[str(status)] += 1
            if status not in expect:
                result.unexpected += 1
            if keep_bodies:
                result.bodies[index] = (status, body)

    gc.disable()
    try:
        tasks = [asyncio.create_task(client(c)) for c in conns]
        _, pending = await asyncio.wait(tasks, timeout=duration + GRACE_SECONDS)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        result.statuses[TIMEOUT] += len(pending)
        result.unexpected += len(pending)
        if not result.statuses[TIMEOUT]:
            del result.statuses[TIMEOUT]
        result.elapsed = time.perf_counter() - started
        result.exhausted = next_index >= limit
    finally:
        gc.enable()
        for conn in conns:
            conn.close()
    return result
