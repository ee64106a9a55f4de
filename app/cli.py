"""Command line: ``python -m app serve`` (migrate, then serve) and ``python -m app migrate``."""

import argparse
import asyncio
import logging
import socket

import uvicorn
from uvicorn.supervisors import Multiprocess

from app.config import Settings
from app.migrations import migrate


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="route53-dnssec", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="apply pending migrations, then serve")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8053)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--log-level", default="info")
    commands.add_parser("migrate", help="apply pending migrations and exit")
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings()
    asyncio.run(migrate(settings))
    if args.command == "serve":
        config = uvicorn.Config(
            "app.main:create_app_from_environment",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_level=args.log_level,
            access_log=False,
        )
        serve_forever(config)


def serve_forever(config: uvicorn.Config) -> None:
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
    log = logging.getLogger("uvicorn.error")
    log.info("Serving on %s:%d with %d workers", config.host, config.port, config.workers)
    Multiprocess(config, sockets=[listener]).run()
