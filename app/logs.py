"""Log configuration and the service's structured lines: one per API request and one at start-up.

Every line goes to stderr, as text (``2026-11-30T10:00:00.123Z INFO app.access: request request_id=… status=200``)
or, with ``R53_LOG_FORMAT=json``, as one JSON object per line. A structured line is logged as
``log.info(event, fields)``: the text form appends the fields as ``key=value`` pairs (logfmt), the JSON form
puts them beside ``time``, ``level``, ``logger`` and ``message``. Formatting happens in the handler, so a
line whose level is off costs one level check.

uvicorn applies ``logging_config`` in its own process and again in every worker it starts.
"""

import json
import logging
import re
import time
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from app.config import Settings

LEVELS = ("critical", "error", "warning", "info", "debug")
# Libraries whose INFO and DEBUG lines are their internals (SQL statements, driver calls), not the service's.
QUIET_LIBRARIES = (
    "sqlalchemy",
    "aiosqlite",
    "asyncpg",
    "botocore",
    "boto3",
    "urllib3",
    "asyncio",
    "alembic.runtime.plugins",
)

access_log = logging.getLogger("app.access")
dns_log = logging.getLogger("app.dns")
log = logging.getLogger("app")


def service_version() -> str:
    """The installed package's version (pyproject.toml)."""
    try:
        return version("route53-dnssec")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def logging_config(level: str, log_format: str) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` document: one stderr handler on the root logger, in ``log_format``."""
    formatter = JsonFormatter if log_format == "json" else TextFormatter
    numeric = logging.getLevelName(level.upper())
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": {"()": f"{__name__}.{formatter.__name__}"}},
        "handlers": {
            "default": {"class": "logging.StreamHandler", "formatter": "default", "stream": "ext://sys.stderr"}
        },
        "root": {"level": level.upper(), "handlers": ["default"]},
        "loggers": {name: {"level": max(numeric, logging.WARNING)} for name in QUIET_LIBRARIES},
    }


def skip_unused_record_fields() -> None:
    """Stop ``logging`` from filling the fields no formatter of ours prints: the caller's file and line (a walk
    up the stack per line), the thread and the process. The logging HOWTO's "Optimization" section names
    these switches; about a third of an access line's cost under load."""
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False


def utc_time(record: logging.LogRecord) -> str:
    """The record's time as ISO 8601 UTC with milliseconds."""
    return f"{utc_second(int(record.created))}.{int(record.msecs):03d}Z"


@lru_cache(maxsize=2)
def utc_second(epoch_second: int) -> str:
    """``2026-11-30T10:00:00`` for an epoch second: formatted once per second of log lines, not per line."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(epoch_second))


def structured_fields(record: logging.LogRecord) -> dict[str, Any] | None:
    """The fields of a line logged as ``log.info(event, fields)``, else None."""
    return record.args if isinstance(record.args, dict) else None


_NEEDS_QUOTES = re.compile(r'[ ="\n]')  # a logfmt value with one of these is written as a JSON string


def logfmt_value(value: object) -> str:
    if value is None:
        return "-"
    text = str(value)
    return json.dumps(text) if not text or _NEEDS_QUOTES.search(text) else text


class TextFormatter(logging.Formatter):
    """``time LEVEL logger: message key=value …``, tracebacks on the following lines."""

    def format(self, record: logging.LogRecord) -> str:
        fields = structured_fields(record)
        message = record.msg if fields is not None else record.getMessage()
        if fields:
            message = f"{message} " + " ".join(f"{key}={logfmt_value(value)}" for key, value in fields.items())
        line = f"{utc_time(record)} {record.levelname} {record.name}: {message}"
        if record.exc_info:
            line = f"{line}\n{self.formatException(record.exc_info)}"
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line; a traceback is the ``exception`` member."""

    def format(self, record: logging.LogRecord) -> str:
        fields = structured_fields(record)
        document: dict[str, Any] = {
            "time": utc_time(record),
            "level": record.levelname,
            "logger": record.name,
            "message": str(record.msg) if fields is not None else record.getMessage(),
        }
        if fields:
            document.update(fields)
        if record.exc_info:
            document["exception"] = self.formatException(record.exc_info)
        return json.dumps(document, default=str)


def log_request(
    *,
    level: int,
    request_id: str | None,
    account: str,
    service: str | None,
    operation: str | None,
    status: int,
    error: str | None,
    seconds: float,
) -> None:
    """The access line of one request (no work at all when ``level`` is off)."""
    if not access_log.isEnabledFor(level):
        return
    fields = {
        "request_id": request_id,
        "account": account,
        "service": service,
        "operation": operation,
        "status": status,
        "error": error,
        "duration_ms": round(seconds * 1000, 3),
    }
    access_log.log(level, "request", fields)


def log_dns_query(
    *,
    client: str,
    transport: str,
    query_id: int,
    name: str,
    qtype: str,
    do: bool,
    rcode: str,
    size: int,
    zone: str | None,
) -> None:
    """The DEBUG line of one DNS query (callers check ``dns_log.isEnabledFor(logging.DEBUG)`` first)."""
    fields = {
        "client": client,
        "transport": transport,
        "id": query_id,
        "name": name,
        "type": qtype,
        "do": do,
        "rcode": rcode,
        "size": size,
        "zone": zone,
    }
    dns_log.debug("query", fields)


def store_url(settings: Settings) -> str:
    """``R53_DATABASE_URL`` with any password masked."""
    return make_url(settings.database_url).render_as_string(hide_password=True)


def log_start(settings: Settings, http_address: str, workers: int, dns_address: str | None = None) -> None:
    """The start-up line: version, store, SQLite file, addresses (the DNS listener's, once there is one)."""
    sqlite_path: Path | None = settings.sqlite_path()
    fields = {
        "version": service_version(),
        "store": store_url(settings),
        "sqlite_path": sqlite_path.resolve() if sqlite_path else None,
        "http": http_address,
        "dns": dns_address,
        "workers": workers,
    }
    log.info("starting", fields)
