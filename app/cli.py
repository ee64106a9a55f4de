"""Command line: ``python -m app serve`` (migrate, then serve) and ``python -m app migrate``."""

import argparse
import asyncio
import logging.config
import os

from app.logs import LEVELS, log_start, logging_config, service_version
from app.metrics_folder import multiprocess_metrics
from app.migrations import migrate
from app.preflight import check_master_key, check_store, check_store_opens, load_settings
from app.server import run as server

SETTINGS_HELP = "Settings come from R53_* environment variables (README, section Settings)."


@server.exits_quietly_on_ctrl_c
def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    settings = load_settings()
    log_config = logging_config(getattr(args, "log_level", "info"), settings.log_format)
    logging.config.dictConfig(log_config)
    check_store(settings)
    check_master_key(settings)
    asyncio.run(migrate(settings))
    check_store_opens(settings)
    if args.command == "serve":
        if settings.dns_host is None:  # the workers read their settings again: DNS on the serve host
            os.environ["R53_DNS_HOST"] = settings.dns_host = args.host
        config = server.service_config(
            settings,
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
            server.serve(config)


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
