"""Log lines: the text (logfmt) and JSON forms of structured and plain records, the level check that skips
all work, quiet libraries, and the store URL without its password."""

import json
import logging
import sys

import pytest

from app.config import Settings
from app.logs import JsonFormatter, TextFormatter, log_request, logging_config, store_url


def record(msg: str, args: object = None, exc_info: bool = False) -> logging.LogRecord:
    error = None
    if exc_info:
        try:
            raise ValueError("boom")
        except ValueError:
            error = sys.exc_info()
    made = logging.LogRecord("app.access", logging.INFO, __file__, 1, msg, (args,) if args else None, error)
    made.created, made.msecs = 1764547200.25, 250.0  # 2025-12-01T00:00:00.250Z
    return made


FIELDS = {"request_id": "r-1", "service": "route53", "status": 404, "error": None, "note": 'two "words"'}


def test_text_form_of_a_structured_line() -> None:
    assert TextFormatter().format(record("request", FIELDS)) == (
        "2025-12-01T00:00:00.250Z INFO app.access: request request_id=r-1 service=route53 status=404 error=- "
        'note="two \\"words\\""'
    )


def test_json_form_of_a_structured_line() -> None:
    assert json.loads(JsonFormatter().format(record("request", FIELDS))) == {
        "time": "2025-12-01T00:00:00.250Z",
        "level": "INFO",
        "logger": "app.access",
        "message": "request",
        **FIELDS,
    }


def test_plain_lines_and_tracebacks() -> None:
    plain = record("zone %s gone", "Z1")
    assert TextFormatter().format(plain) == "2025-12-01T00:00:00.250Z INFO app.access: zone Z1 gone"
    failed = record("failed", exc_info=True)
    text = TextFormatter().format(failed)
    assert text.startswith("2025-12-01T00:00:00.250Z INFO app.access: failed\nTraceback (most recent call last):")
    document = json.loads(JsonFormatter().format(failed))
    assert document["message"] == "failed"
    assert document["exception"].endswith("ValueError: boom")
    assert "\n" not in JsonFormatter().format(failed)


def test_no_access_record_when_info_is_off(caplog: pytest.LogCaptureFixture) -> None:
    fields = dict(request_id="r", account="1", service="kms", operation="Sign", status=200, error=None, seconds=0.5)
    with caplog.at_level(logging.WARNING, logger="app.access"):
        log_request(level=logging.INFO, **fields)
    assert caplog.records == []
    with caplog.at_level(logging.INFO, logger="app.access"):
        log_request(level=logging.INFO, **fields)
    (logged,) = caplog.records
    assert logged.args == {
        "request_id": "r", "account": "1", "service": "kms", "operation": "Sign", "status": 200, "error": None,
        "duration_ms": 500.0,
    }  # fmt: skip


@pytest.mark.parametrize(("level", "quiet"), [("debug", "WARNING"), ("info", "WARNING"), ("error", "ERROR")])
def test_library_internals_stay_quiet(level: str, quiet: str) -> None:
    config = logging_config(level, "json")
    assert config["root"]["level"] == level.upper()
    assert config["formatters"]["default"]["()"] == "app.logs.JsonFormatter"
    assert logging.getLevelName(config["loggers"]["sqlalchemy"]["level"]) == quiet
    assert logging.getLevelName(config["loggers"]["aiosqlite"]["level"]) == quiet


def test_the_store_url_hides_the_password() -> None:
    settings = Settings(database_url="postgres://app:s3cret@db:5432/r53")
    assert store_url(settings) == "postgresql+asyncpg://app:***@db:5432/r53"
    assert store_url(Settings(database_url="sqlite:///data/x.db")) == "sqlite+aiosqlite:///data/x.db"
