"""The HTTP/1.1 connection protocol: uvicorn's httptools protocol with the limits a service any client can reach
needs, so that no connection costs the service more than it costs the client.

* The request head (request line and headers) must arrive within ``header_timeout`` of the connection opening
  or of the previous response: a connection that sent nothing of a request is then closed, one that sent part
  of a head gets 408.
* The body must arrive within ``body_timeout`` of the head: 408 when no response has started, else the
  connection is closed once the response is out.
* A head larger than ``max_header_bytes`` gets 431 (RFC 6585, section 5).
* Beyond ``max_connections`` open connections, a new connection gets 503 with ``Retry-After`` at once and is
  closed, before it can hold a file descriptor.
* A protocol upgrade (``Upgrade: websocket``, ``h2c``) is never made: the service serves no WebSockets. A request
  without a body is answered as if it had not asked (RFC 9110, section 7.8), then the connection is closed; one
  with a body gets 400, since the parser frames nothing after an upgrade request's head.
* A request still running when the shutdown timeout passes is dropped without a response, with one log line.

These answers are plain text with ``Connection: close``: no request reached the application. After a 400, 431
or 503 the connection lingers, reading and discarding for up to ``LINGER_SECONDS``, so that closing with unread
data (which resets the connection) does not destroy the answer before the client reads it; at most
``MAX_LINGERING`` connections of a worker linger at once, the others are closed at once.
"""

import asyncio
import gc
import logging
import time
from dataclasses import dataclass
from typing import Any

import uvicorn
from uvicorn._types import ASGI3Application, ASGIReceiveCallable, ASGISendCallable, Scope
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol, RequestResponseCycle
from uvicorn.server import ServerState

from app.logs import skip_unused_record_fields

log = logging.getLogger(__name__)
LIMIT_WARNING_INTERVAL_SECONDS = 10.0
LINGER_SECONDS = 2.0
MAX_LINGERING = 32  # within the file descriptors app.server.run keeps in reserve


@dataclass(frozen=True)
class ConnectionLimits:
    """What one connection may cost a worker (``R53_HEADER_TIMEOUT_SECONDS`` and the settings after it)."""

    header_timeout: float
    body_timeout: float
    max_header_bytes: int
    max_connections: int


class ServiceConfig(uvicorn.Config):
    """uvicorn's configuration with the connection limits; picklable, so it reaches every worker process,
    where ``load`` also sets the garbage collector's thresholds (``GC_THRESHOLDS``) and drops the log record
    fields the service never prints (``app.logs.skip_unused_record_fields``)."""

    def __init__(self, app: str, *, limits: ConnectionLimits, **options: Any) -> None:
        super().__init__(app, http=ServiceHttpProtocol, ws="none", **options)
        self.limits = limits

    def load(self) -> None:
        gc.set_threshold(*GC_THRESHOLDS)
        skip_unused_record_fields()
        super().load()


# Python's defaults (700, 10, 10) run a young collection every 700 allocations and a full one, which walks
# every object of the process (SQLAlchemy's caches included), every 100 young ones: under load that was
# about 8 % of a CreateKeySigningKey's CPU and the longest pauses. Fewer, larger collections free the same
# cycles; request handling makes few of them.
GC_THRESHOLDS = (100_000, 50, 100)


class ServiceHttpProtocol(HttpToolsProtocol):
    """One connection; see the module docstring."""

    _last_limit_warning = 0.0
    _lingering_count = 0

    def __init__(
        self,
        config: uvicorn.Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        if not isinstance(config, ServiceConfig):
            raise TypeError("ServiceHttpProtocol needs a ServiceConfig")
        self.limits = config.limits
        self._head_deadline: asyncio.TimerHandle | None = None
        self._body_deadline: asyncio.TimerHandle | None = None
        self._reading_head = True  # between requests, until the head of the next one is complete
        self._head_bytes_received = 0  # raw bytes since the current head began
        self._head_size = 0  # request line and headers of the current head, as parsed
        self._refusal: tuple[int, str] | None = None  # answered, and the connection closed, once parsing stops
        self._lingering = False

    # -- connection ---------------------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        if len(self.connections) >= self.limits.max_connections:
            self.transport = transport
            self._warn_connection_limit()
            self._answer(503, "Too many open connections. Retry the request.", (b"retry-after", b"1"), linger=True)
            return
        super().connection_made(transport)
        self._await_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_deadlines()
        if self._lingering:
            self._lingering = False
            ServiceHttpProtocol._lingering_count -= 1
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._lingering:
            return
        if self._reading_head:
            self._head_bytes_received += len(data)
        super().data_received(data)
        if self._refusal is None and self._reading_head and self._head_bytes_received > self.limits.max_header_bytes:
            self._refusal = (431, "The request head is too large.")
        if self._refusal is not None:
            self._answer(*self._refusal, linger=True)

    def _warn_connection_limit(self) -> None:
        now = time.monotonic()
        if now - ServiceHttpProtocol._last_limit_warning >= LIMIT_WARNING_INTERVAL_SECONDS:
            ServiceHttpProtocol._last_limit_warning = now
            log.warning("%d connections are open: new connections are answered 503", self.limits.max_connections)

    # -- parser callbacks -----------------------------------------------------------------------------------

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_size = 0

    def on_url(self, url: bytes) -> None:
        super().on_url(url)
        self._head_size += len(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        super().on_header(name, value)
        self._head_size += len(name) + len(value) + 4  # ": " and CRLF

    def on_headers_complete(self) -> None:
        if self._refusal is not None:
            return
        if self._head_size > self.limits.max_header_bytes:
            self._refusal = (431, "The request head is too large.")
            return
        upgrade = self.parser.should_upgrade()
        if upgrade and self._announces_body():
            self._refusal = (400, "This service does not upgrade connections (no WebSockets).")
            return
        self._reading_head = False
        self._head_bytes_received = 0
        self._cancel_deadlines()
        super().on_headers_complete()
        if upgrade:  # answered as a plain request; the parser reads nothing after an upgrade, so close then
            self.cycle.keep_alive = False
        self._body_deadline = self.loop.call_later(self.limits.body_timeout, self._body_timed_out)

    def on_body(self, body: bytes) -> None:
        if self._refusal is None:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if self._refusal is not None:
            return
        self._cancel_deadlines()
        self._reading_head = True
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and self._reading_head and self.cycle.response_complete:
            self._await_head()

    def _announces_body(self) -> bool:
        """Whether the head announces a body (a non-zero Content-Length, or any Transfer-Encoding)."""
        return any(
            (name == b"content-length" and value.strip() not in (b"", b"0")) or name == b"transfer-encoding"
            for name, value in self.headers
        )

    def _should_upgrade(self) -> bool:
        return False

    def _unsupported_upgrade_warning(self) -> None:
        """An upgrade request was refused (``on_headers_complete``); nothing to warn about."""

    # -- deadlines ------------------------------------------------------------------------------------------

    def _await_head(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
        self._head_deadline = self.loop.call_later(self.limits.header_timeout, self._head_timed_out)

    def _cancel_deadlines(self) -> None:
        for deadline in (self._head_deadline, self._body_deadline):
            if deadline is not None:
                deadline.cancel()
        self._head_deadline = self._body_deadline = None

    def _head_timed_out(self) -> None:
        if not self._reading_head or self.transport.is_closing() or not self._idle():
            return
        if self._head_bytes_received == 0:
            self.transport.close()
        else:
            self._answer(408, "The request head did not arrive in time.")

    def _body_timed_out(self) -> None:
        cycle = self.cycle
        if cycle is None or not cycle.more_body or self.transport.is_closing():
            return
        if not cycle.response_started:
            self._answer(408, "The request body did not arrive in time.")
        elif cycle.response_complete:
            self.transport.close()
        else:
            cycle.keep_alive = False

    def _idle(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    # -- answers --------------------------------------------------------------------------------------------

    def _answer(self, status: int, message: str, *headers: tuple[bytes, bytes], linger: bool = False) -> None:
        """Answer ``status`` in plain text and close (after lingering, when asked); a running request sees the
        client as gone."""
        self._cancel_deadlines()
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.disconnected = True
            self.cycle.message_event.set()
        if self.transport.is_closing():
            return
        body = message.encode()
        lines = [
            STATUS_LINE[status],
            *(name + b": " + value + b"\r\n" for name, value in headers),
            b"content-type: text/plain; charset=utf-8\r\n",
            b"content-length: %d\r\n" % len(body),
            b"connection: close\r\n\r\n",
            body,
        ]
        self.transport.write(b"".join(lines))
        if linger and self.transport.can_write_eof() and ServiceHttpProtocol._lingering_count < MAX_LINGERING:
            self.transport.write_eof()
            self._lingering = True
            ServiceHttpProtocol._lingering_count += 1
            self._head_deadline = self.loop.call_later(LINGER_SECONDS, self.transport.close)
        else:
            self.transport.close()

    # -- requests cut short by the shutdown timeout ----------------------------------------------------------

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: ASGI3Application) -> None:
        writer = HeadJoiningTransport(self.transport, cycle)
        cycle.transport = writer
        super()._start_asgi_task(cycle, self._dropped_if_cancelled(cycle, joining_head_and_body(app, writer)))

    def _dropped_if_cancelled(self, cycle: RequestResponseCycle, app: ASGI3Application) -> ASGI3Application:
        async def run(scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
            try:
                await app(scope, receive, send)
            except asyncio.CancelledError:  # uvicorn cancels what runs past the graceful shutdown timeout
                log.warning(
                    "%s %s dropped unanswered: the shutdown timeout passed", cycle.scope["method"], scope.get("path")
                )
                cycle.disconnected = True
                cycle.transport.close()

        return run


class HeadJoiningTransport(asyncio.Transport):
    """The connection as a request's cycle writes to it: after ``hold_next_write`` the next write (the response
    head uvicorn writes on ``http.response.start``) waits and goes out with the write after it (the body), in
    one ``send``: on loopback each send runs the receiver's TCP path, about 5 % of a small request's CPU.
    Whatever is held goes out before any later write, on ``flush`` and on ``close``, unless the protocol gave
    up on the cycle meanwhile (``disconnected``: it answered an error itself, or the client left). A streamed
    response's head thus leaves with its first body part."""

    def __init__(self, transport: asyncio.Transport, cycle: RequestResponseCycle) -> None:
        super().__init__()
        self._transport = transport
        self._cycle = cycle
        self._held = b""
        self._hold = False

    def hold_next_write(self) -> None:
        self._hold = True

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._hold:
            self._hold = False
            self._held = bytes(data)
            return
        if self._held:
            data, self._held = self._held + data, b""
        self._transport.write(data)

    def flush(self) -> None:
        self._hold = False
        held, self._held = self._held, b""
        if held and not self._cycle.disconnected:
            self._transport.write(held)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def is_closing(self) -> bool:
        return self._transport.is_closing()


def joining_head_and_body(app: ASGI3Application, writer: HeadJoiningTransport) -> ASGI3Application:
    """``app`` with its response head held in ``writer`` until the first body part, and flushed after the last
    (a HEAD response writes no body)."""

    async def run(scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
        async def send_joined(message: Any) -> None:
            if message["type"] == "http.response.start":
                writer.hold_next_write()
                await send(message)
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                await send(message)
                writer.flush()
            else:
                await send(message)

        await app(scope, receive, send_joined)

    return run
