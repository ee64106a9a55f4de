"""Running uvicorn with one worker or several, and stopping it well.

Stopping (SIGTERM, or SIGINT from Ctrl-C) takes at most ``R53_SHUTDOWN_TIMEOUT_SECONDS``: the listening socket is
closed first, so new connections are refused rather than left in the backlog; idle connections are closed;
requests in flight are answered for up to ``GRACEFUL_SHARE`` of the timeout (uvicorn's graceful shutdown), and
what still runs then is dropped unanswered; the writer commits what is queued for up to ``WRITER_DRAIN_SHARE``
of it (``app.main``); the process ends
with status 0, or by the signal that stopped it, without a traceback. A request that got no response wrote
nothing, or wrote in one transaction that a restart shows.
"""

import functools
import logging
import os
import resource
import signal
import socket
import time
from collections.abc import Callable
from types import FrameType
from typing import Any, ParamSpec, TypeVar

import uvicorn
from uvicorn.supervisors import Multiprocess

from app.config import Settings
from app.server.protocol import ConnectionLimits, ServiceConfig

log = logging.getLogger(__name__)
GRACEFUL_SHARE = 0.7  # of the shutdown timeout, for requests in flight
WRITER_DRAIN_SHARE = 0.2  # for the writes still queued then; the rest for closing the database and exiting
FILE_DESCRIPTOR_RESERVE = 64  # database connections, log files, the DNS socket, the listener
P = ParamSpec("P")
R = TypeVar("R")


def service_config(settings: Settings, app: str, **options: Any) -> ServiceConfig:
    """uvicorn's configuration for ``app`` with the service's connection limits and shutdown timeout."""
    limits = ConnectionLimits(
        header_timeout=settings.header_timeout_seconds,
        body_timeout=settings.body_timeout_seconds,
        max_header_bytes=settings.max_header_bytes,
        max_connections=connection_budget(settings.max_connections),
    )
    graceful = settings.shutdown_timeout_seconds * GRACEFUL_SHARE
    return ServiceConfig(app, limits=limits, timeout_graceful_shutdown=graceful, **options)


def connection_budget(wanted: int) -> int:
    """``wanted`` connections per process if the file-descriptor limit allows them (the soft limit is raised
    toward the hard one as needed), else as many as it allows, with a warning: past the limit ``accept`` fails
    and every client waits, where a connection over the budget is answered 503."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    needed = wanted + FILE_DESCRIPTOR_RESERVE
    if soft != resource.RLIM_INFINITY and soft < needed:
        raised = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
        soft = raised
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return wanted
    budget = max(1, soft - FILE_DESCRIPTOR_RESERVE)
    log.warning("R53_MAX_CONNECTIONS=%d exceeds the open-file limit (%d): serving %d connections", wanted, soft, budget)
    return budget


def exits_quietly_on_ctrl_c(main: Callable[P, R]) -> Callable[P, R]:
    """Ctrl-C (SIGINT) at any point ends the command by that signal, without a traceback."""

    @functools.wraps(main)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return main(*args, **kwargs)
        except KeyboardInterrupt:
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGINT)
            raise  # not reached: the default action of SIGINT ends the process

    return run


def serve(config: uvicorn.Config) -> None:
    """Serve with one worker, or with several sharing one listening socket.

    uvicorn binds that shared socket without ``IPPROTO_TCP``, so asyncio does not set ``TCP_NODELAY`` on its
    connections and every keep-alive response waits ~40 ms for a delayed ACK (Kludex/uvicorn#3149). The
    socket is bound here instead, with the protocol named.
    """
    if config.workers == 1:
        uvicorn.Server(config).run()
        return
    family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((config.host, config.port))
    listener.set_inheritable(True)
    log.info("Serving on %s:%d with %d workers", config.host, config.port, config.workers)
    ListenerFirstMultiprocess(config, sockets=[listener]).run()


class ListenerFirstMultiprocess(Multiprocess):
    """uvicorn's supervisor of several workers, but on SIGTERM or SIGINT the parent closes its copy of the
    listening socket and signals the workers at once (each worker closes its own copy as it starts shutting
    down, within 0.1 s), so that no connection waits in the backlog to be reset when the parent exits; and it
    waits for the workers at most the shutdown timeout before killing them."""

    def __init__(self, config: uvicorn.Config, sockets: list[socket.socket]) -> None:
        super().__init__(config, sockets)
        self._stop_requested_at: float | None = None
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._on_stop_signal)

    def _on_stop_signal(self, sig: int, _frame: FrameType | None) -> None:
        if self._stop_requested_at is None:
            self._stop_requested_at = time.monotonic()
            for listener in self.sockets:
                listener.close()
            for process in self.processes:  # now, not at the supervisor's next half-second tick
                if process.pid is not None and process.exitcode is None:
                    os.kill(process.pid, signal.SIGTERM)
        self.signal_queue.append(sig)

    def keep_subprocess_alive(self) -> None:
        if self._stop_requested_at is None:  # no new worker once the listener is closed
            super().keep_subprocess_alive()

    def join_all(self) -> None:
        timeout = self.config.timeout_graceful_shutdown or 0.0
        deadline = (self._stop_requested_at or time.monotonic()) + timeout / GRACEFUL_SHARE
        for process in self.processes:
            process.process.join(max(0.0, deadline - time.monotonic()))
            if process.process.is_alive():
                log.error("Worker %s did not stop within the shutdown timeout; killing it", process.pid)
                process.kill()
                process.process.join()
