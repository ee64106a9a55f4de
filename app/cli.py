"""Command line: ``python -m app serve`` (migrate, then serve) and ``python -m app migrate``."""

import argparse
import asyncio
import logging

from app.config import Settings
from app.migrations import migrate
from app.server import run as server


@server.exits_quietly_on_ctrl_c
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
        config = server.service_config(
            settings,
            "app.main:create_app_from_environment",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_level=args.log_level,
            access_log=False,
        )
        server.serve(config)
