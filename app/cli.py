"""Command line: ``python -m app serve`` (migrate, then serve) and ``python -m app migrate``."""

import argparse
import asyncio
import logging
import logging.config
import os
import socket

import uvicorn
from uvicorn.supervisors import Multiprocess

from app.logs import LEVELS, log_start, logging_config, service_version
from app.metrics_folder import multiprocess_metrics
from app.migrations import migrate
from app.preflight import check_store, load_settings

SETTINGS_HELP = "Settings come from R53_* environment variables (README, section Settings)."


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    settings = load_settings()
    log_config = logging_config(getattr(args, "log_level", "info"), settings.log_format)
    logging.config.dictConfig(log_config)
    check_store(settings)
    asyncio.run(migrate(settings))
    if args.command == "serve":
        if settings.dns_host is None:  # the workers read their settings again: DNS on the serve host
            os.environ["R53_DNS_HOST"] = settings.dns_host = args.host
        config = uvicorn.Config(
            "app.main:create_app_from_environment",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_level=args.log_level,
            log_config=log_config,
            access_log=False,  # app.access logs each request (app/api/telemetry.py)
        )
        log_start(settings, f"http://{args.host}:{args.port}", args.workers, settings.dns_address())
        with multiprocess_metrics(args.workers):
            serve_forever(config)


def parser() -> argparse.ArgumentParser:
    """The command line; every option's help shows its default."""
    formatter = argparse.ArgumentDefaultsHelpFormatter
    root = argparse.ArgumentParser(prog="route53-dnssec", description=__doc__, epilog=SETTINGS_HELP)
    root.add_argument("--version", action="version", version=f"%(prog)s {service_version()}")
    commands = root.add_subparsers(dest="command", required=True)
    serve = commands.add_parser(
        "serve",
        help="apply pending migrations, then serve",
        description="Apply pending migrations, then serve the Route 53 and KMS APIs on one HTTP port.",
        epilog=SETTINGS_HELP,
        formatter_class=formatter,
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8053, help="HTTP port of the Route 53 and KMS APIs")
    serve.add_argument(
        "--workers", type=int, default=1, help="worker processes sharing the port (metrics are summed over them)"
    )
    serve.add_argument(
        "--log-level",
        default="info",
        choices=LEVELS,
        help="info logs one line per request; debug adds health probes and metrics scrapes",
    )
    commands.add_parser(
        "migrate",
        help="apply pending migrations and exit",
        description="Apply pending migrations and exit.",
        epilog=SETTINGS_HELP,
    )
    return root


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
