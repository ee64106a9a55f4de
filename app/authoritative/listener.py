"""The DNS listener of one process: UDP and TCP on ``R53_DNS_HOST``:``R53_DNS_PORT``.

Every worker and every replica binds the same port with ``SO_REUSEPORT``, and the kernel spreads clients
over them. UDP: each time the socket is readable, up to ``MAX_DATAGRAMS_PER_WAKEUP`` datagrams are read
and answered as one batch (one freshness check for all). TCP (RFC 7766): length-prefixed messages (RFC 1035
§4.2.2), several per connection, pipelined queries answered in order, the connection closed after
``TCP_IDLE_SECONDS`` without a query; reading pauses while the client does not read its answers. A
message that breaks any rule gets its error reply or none; no packet stops the listener.
"""

import asyncio
import logging
import os
import socket
from collections.abc import Coroutine, Sequence
from typing import Any, cast

import dns.rcode
import dns.rdatatype
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.authoritative.responder import Outcome, Responder
from app.authoritative.signing import ZoneSigning
from app.authoritative.wire import tcp_frame, tcp_frames
from app.authoritative.zones import ZoneDirectory
from app.config import Settings
from app.logs import dns_log, log_dns_query
from app.metrics import count_dns_query, flush_dns_queries
from app.services.zone_snapshots import ZoneSnapshots

MAX_DATAGRAMS_PER_WAKEUP = 64
MAX_DATAGRAM = 65535
TCP_IDLE_SECONDS = 10.0
TCP_BACKLOG = 128
METRICS_FLUSH_SECONDS = 1.0

log = logging.getLogger("app.dns")


def server_id() -> bytes:
    """This process, for the NSID option (RFC 5001): host name and process id."""
    return f"{socket.gethostname()}:{os.getpid()}".encode()


def bound_socket(host: str, port: int, kind: socket.SocketKind) -> socket.socket:
    """A non-blocking socket bound with ``SO_REUSEPORT`` (and ``SO_REUSEADDR`` for TCP)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, kind)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        if kind == socket.SOCK_STREAM:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.setblocking(False)
    except OSError:
        sock.close()
        raise
    return sock


class DnsListener:
    def __init__(self, responder: Responder, host: str, port: int) -> None:
        self._responder = responder
        self._host = host
        self._port = port
        self._udp: socket.socket | None = None
        self._tcp: asyncio.Server | None = None
        self._connections: set[_TcpConnection] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._flusher: asyncio.TimerHandle | None = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._udp = bound_socket(self._host, self._port, socket.SOCK_DGRAM)
        tcp = bound_socket(self._host, self._port, socket.SOCK_STREAM)
        tcp.listen(TCP_BACKLOG)
        self._tcp = await loop.create_server(lambda: _TcpConnection(self), sock=tcp)
        loop.add_reader(self._udp.fileno(), self._udp_readable)
        self._flusher = loop.call_later(METRICS_FLUSH_SECONDS, self._flush_metrics)

    async def stop(self) -> None:
        if self._flusher is not None:
            self._flusher.cancel()
        if self._udp is not None:
            asyncio.get_running_loop().remove_reader(self._udp.fileno())
        if self._tcp is not None:
            self._tcp.close()
        for connection in list(self._connections):
            connection.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._tcp is not None:
            await self._tcp.wait_closed()
        if self._udp is not None:
            self._udp.close()
        self._responder.close()
        flush_dns_queries()

    def _flush_metrics(self) -> None:
        flush_dns_queries()
        self._flusher = asyncio.get_running_loop().call_later(METRICS_FLUSH_SECONDS, self._flush_metrics)

    def _udp_readable(self) -> None:
        assert self._udp is not None
        batch: list[tuple[bytes, tuple[str, int]]] = []
        for _ in range(MAX_DATAGRAMS_PER_WAKEUP):
            try:
                batch.append(self._udp.recvfrom(MAX_DATAGRAM))
            except (BlockingIOError, InterruptedError):
                break
            except OSError:  # an ICMP error for an earlier reply; nothing to read now
                break
        if batch:
            self.spawn(self._answer_udp(batch))

    def spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _answer_udp(self, batch: list[tuple[bytes, tuple[str, int]]]) -> None:
        assert self._udp is not None
        try:
            outcomes = await self._responder.answer([data for data, _ in batch], tcp=False)
        except Exception:  # a fault of ours, e.g. the database is gone: no reply, the listener goes on
            log.exception("answering DNS datagrams failed")
            return
        for (_, address), outcome in zip(batch, outcomes, strict=True):
            if outcome.reply is None:
                continue
            try:
                self._udp.sendto(outcome.reply, address)
            except OSError:  # the send buffer is full or the address unreachable: UDP may drop it
                continue
            self.observe(outcome, "udp", address)

    async def answer_tcp(self, messages: Sequence[bytes]) -> list[Outcome]:
        return await self._responder.answer(messages, tcp=True)

    def observe(self, outcome: Outcome, transport: str, address: tuple[str, int]) -> None:
        """Metrics and the DEBUG line of one answered query."""
        query = outcome.query
        if outcome.rcode is None or outcome.reply is None:
            return
        count_dns_query(query.qtype if query else -1, outcome.rcode, transport)
        if dns_log.isEnabledFor(logging.DEBUG):
            log_dns_query(
                client=f"{address[0]}:{address[1]}",
                transport=transport,
                query_id=query.id if query else int.from_bytes(outcome.reply[:2], "big"),
                name=query.name_text if query else "-",
                qtype=dns.rdatatype.to_text(dns.rdatatype.RdataType.make(query.qtype)) if query else "-",
                do=bool(query and query.edns and query.edns.do),
                rcode=dns.rcode.to_text(dns.rcode.Rcode.make(outcome.rcode)),
                size=len(outcome.reply),
                zone=outcome.zone_id,
            )


class _TcpConnection(asyncio.Protocol):
    """One TCP client: length-prefixed queries in, answers out in the same order (RFC 7766 §6.2.1)."""

    def __init__(self, listener: DnsListener) -> None:
        self._listener = listener
        self._buffer = bytearray()
        self._pending: list[bytes] = []
        self._working = False
        self._transport: asyncio.Transport | None = None
        self._peer: tuple[str, int] = ("-", 0)
        self._idle: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's transports are not its subclasses
        peer = transport.get_extra_info("peername")
        self._peer = (peer[0], peer[1]) if peer else ("-", 0)
        self._listener._connections.add(self)
        self._restart_idle_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._listener._connections.discard(self)
        if self._idle is not None:
            self._idle.cancel()
        self._transport = None

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    def pause_writing(self) -> None:
        if self._transport is not None:
            self._transport.pause_reading()

    def resume_writing(self) -> None:
        if self._transport is not None:
            self._transport.resume_reading()

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        self._pending += tcp_frames(self._buffer)
        if self._pending and not self._working:
            self._working = True
            self._listener.spawn(self._work())

    def _restart_idle_timer(self) -> None:
        if self._idle is not None:
            self._idle.cancel()
        self._idle = asyncio.get_running_loop().call_later(TCP_IDLE_SECONDS, self.close)

    async def _work(self) -> None:
        try:
            while self._pending and self._transport is not None:
                messages, self._pending = self._pending, []
                if self._idle is not None:
                    self._idle.cancel()
                outcomes = await self._listener.answer_tcp(messages)
                for outcome in outcomes:
                    if self._transport is None:
                        return
                    if outcome.reply is None:  # not a query: the stream is not DNS, end it
                        self.close()
                        return
                    self._transport.write(tcp_frame(outcome.reply))
                    self._listener.observe(outcome, "tcp", self._peer)
                self._restart_idle_timer()
        except Exception:
            log.exception("answering a DNS connection failed")
            self.close()
        finally:
            self._working = False


async def start_listener(
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    snapshots: ZoneSnapshots,
    signing: ZoneSigning,
) -> DnsListener | None:
    """The process's DNS listener, started (None when ``R53_DNS_PORT`` is 0)."""
    if settings.dns_port == 0:
        return None
    directory = ZoneDirectory(sessionmaker, settings.sqlite_path())
    responder = Responder(directory, snapshots, signing, server_id())
    listener = DnsListener(responder, settings.dns_listen_host, settings.dns_port)
    try:
        await listener.start()
    except BaseException:
        responder.close()
        raise
    return listener
