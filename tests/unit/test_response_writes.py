"""A response leaves in one write: the head uvicorn writes on ``http.response.start`` waits for the body
(``app.server.protocol.HeadJoiningTransport``), through the real connection protocol on a recording transport."""

import asyncio
from types import SimpleNamespace
from typing import Any

import uvicorn
from uvicorn.server import ServerState

from app.server.protocol import ConnectionLimits, HeadJoiningTransport, ServiceConfig, ServiceHttpProtocol

LIMITS = ConnectionLimits(header_timeout=5, body_timeout=5, max_header_bytes=16384, max_connections=8)


class RecordingTransport(asyncio.Transport):
    """A connection that keeps every write."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: Any) -> None:
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 50000), "sockname": ("127.0.0.1", 8080)}.get(name, default)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def app(scope: Any, receive: Any, send: Any) -> None:
    """Answers ``/stream`` in two chunked body parts, everything else in one with its length."""
    if scope["type"] != "http":
        return
    if scope["path"] == "/stream":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"one ", "more_body": True})
        await send({"type": "http.response.body", "body": b"two"})
        return
    headers = [(b"content-type", b"text/plain"), (b"content-length", b"5")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else b"hello"})


async def writes_for(request: bytes) -> list[bytes]:
    """What the protocol writes for ``request`` (one or more pipelined requests) on a fresh connection."""
    config = ServiceConfig(app, limits=LIMITS, lifespan="off", log_level="warning")
    uvicorn.Config.load(config)  # not ServiceConfig.load: it tunes this test process's garbage collector
    protocol = ServiceHttpProtocol(config, ServerState(), {})
    transport = RecordingTransport()
    protocol.connection_made(transport)
    protocol.data_received(request)
    for _ in range(50):
        await asyncio.sleep(0)
    protocol.connection_lost(None)
    return transport.writes


async def test_a_response_is_one_write_of_head_and_body() -> None:
    writes = await writes_for(b"GET /hello HTTP/1.1\r\nHost: x\r\n\r\n")

    assert len(writes) == 1
    assert writes[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert writes[0].endswith(b"\r\n\r\nhello")


async def test_a_head_response_writes_its_head_alone() -> None:
    writes = await writes_for(b"HEAD /hello HTTP/1.1\r\nHost: x\r\n\r\n")

    assert len(writes) == 1
    assert writes[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert writes[0].endswith(b"\r\n\r\n")


async def test_a_streamed_response_sends_its_head_with_the_first_part() -> None:
    writes = await writes_for(b"GET /stream HTTP/1.1\r\nHost: x\r\n\r\n")

    assert len(writes) == 2
    assert writes[0].startswith(b"HTTP/1.1 200 OK\r\n")
    assert writes[0].endswith(b"\r\n\r\n4\r\none \r\n")
    assert writes[1] == b"3\r\ntwo\r\n0\r\n\r\n"


async def test_pipelined_responses_keep_their_order() -> None:
    writes = await writes_for(
        b"HEAD /first HTTP/1.1\r\nHost: x\r\n\r\nGET /second HTTP/1.1\r\nHost: x\r\n\r\n",
    )

    joined = b"".join(writes)
    assert len(writes) == 2
    assert joined.count(b"HTTP/1.1 200 OK\r\n") == 2
    assert writes[0].endswith(b"\r\n\r\n") and writes[1].endswith(b"\r\n\r\nhello")


def test_a_held_head_is_dropped_once_the_connection_gave_up_on_its_cycle() -> None:
    transport = RecordingTransport()
    cycle = SimpleNamespace(disconnected=False)
    writer = HeadJoiningTransport(transport, cycle)  # type: ignore[arg-type]
    writer.hold_next_write()
    writer.write(b"HTTP/1.1 200 OK\r\n\r\n")
    cycle.disconnected = True  # the protocol answered an error itself meanwhile (431, 400)
    writer.flush()
    writer.close()

    assert transport.writes == []
    assert transport.closed
