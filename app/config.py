"""Service settings, read from ``R53_*`` environment variables (pydantic-settings).

Settings are built once by the entry point and passed to ``create_app(settings)``; nothing reads the
environment at import time.
"""

from pathlib import Path
from typing import Literal

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from app.dnssec.schedule import DEFAULT_ZSK_ROLLOVER_SECONDS, Timings

MIN_ZSK_ROLLOVER_SECONDS = 10  # shorter periods leave no room for pre-publication
SUPPORTED_SCHEMES = ("sqlite+aiosqlite", "postgresql+asyncpg")
URL_FORMS = "sqlite+aiosqlite:///<path> or postgresql+asyncpg://<user>@<host>:<port>/<database>"
DRIVER_REWRITES = {
    "postgres://": "postgresql+asyncpg://",
    "postgresql://": "postgresql+asyncpg://",
    "sqlite://": "sqlite+aiosqlite://",
}


class Settings(BaseSettings):
    """Every knob of the service; the README documents each one."""

    model_config = SettingsConfigDict(env_prefix="R53_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./data/route53.db"
    account_id: str = "123456789012"  # the account of requests whose access key id is not 12 digits
    master_key: SecretStr | None = None  # base64 of 32 bytes (app.secrets); never logged
    max_hosted_zones: int = 500  # per account (Route 53 quota "Hosted zones")
    max_health_checks: int = 200  # per account (Route 53 quota "Health checks")
    region: str = "us-east-1"
    change_propagation_seconds: float = 0.0
    lock_timeout_ms: int = 5000
    fault_concurrent_modification_rate: float = 0.0
    kms_endpoint_url: str | None = None
    kms_region: str = "us-east-1"
    max_body_bytes: int = 1024 * 1024
    max_record_sets_per_zone: int = 10_000
    batch_max_size: int = 256
    log_format: Literal["text", "json"] = "text"
    zsk_rollover_seconds: int = DEFAULT_ZSK_ROLLOVER_SECONDS
    header_timeout_seconds: float = 10.0
    body_timeout_seconds: float = 30.0
    max_header_bytes: int = 16 * 1024
    max_connections: int = 1000
    shutdown_timeout_seconds: float = 10.0
    database_timeout_seconds: float = 5.0
    dns_port: int = 8054  # 0: no DNS listener
    dns_host: str | None = None  # None: the serve host (the CLI passes it), else 127.0.0.1

    @field_validator("account_id")
    @classmethod
    def _twelve_digits(cls, account: str) -> str:
        if not (len(account) == 12 and account.isascii() and account.isdigit()):
            raise ValueError("must be a 12-digit AWS account id")
        return account

    @field_validator("dns_port")
    @classmethod
    def _port_or_off(cls, port: int) -> int:
        if not 0 <= port <= 65535:
            raise ValueError("must be a port number (1-65535), or 0 for no DNS listener")
        return port

    @field_validator("database_url")
    @classmethod
    def _use_async_driver(cls, url: str) -> str:
        """Rewrite plain PostgreSQL and SQLite URLs to their async driver form; refuse any other scheme."""
        for prefix, driver in DRIVER_REWRITES.items():
            if url.startswith(prefix):
                url = driver + url.removeprefix(prefix)
        scheme = url.split("://", 1)[0]
        if scheme not in SUPPORTED_SCHEMES:
            raise ValueError(f"unknown scheme '{scheme}'; use {URL_FORMS}")
        try:
            make_url(url)
        except (ArgumentError, ValueError) as error:
            raise ValueError(f"not a database URL ({error}); use {URL_FORMS}") from error
        return url

    @field_validator("fault_concurrent_modification_rate")
    @classmethod
    def _rate_is_a_share(cls, rate: float) -> float:
        if not 0.0 <= rate <= 1.0:
            raise ValueError("must be between 0 and 1")
        return rate

    @field_validator("zsk_rollover_seconds")
    @classmethod
    def _rollover_fits_a_schedule(cls, seconds: int) -> int:
        if seconds < MIN_ZSK_ROLLOVER_SECONDS:
            raise ValueError(f"must be at least {MIN_ZSK_ROLLOVER_SECONDS} seconds")
        return seconds

    @property
    def signing_timings(self) -> Timings:
        """The key schedule's durations (``app.dnssec.schedule``)."""
        return Timings.for_rollover(self.zsk_rollover_seconds)

    @field_validator(
        "header_timeout_seconds",
        "body_timeout_seconds",
        "max_header_bytes",
        "max_connections",
        "shutdown_timeout_seconds",
        "database_timeout_seconds",
        "max_hosted_zones",
        "max_health_checks",
    )
    @classmethod
    def _positive(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("must be greater than 0")
        return value

    @property
    def dns_listen_host(self) -> str:
        return self.dns_host or "127.0.0.1"

    def dns_address(self) -> str | None:
        """``host:port`` (``[v6]:port``) of the DNS listener, or None when it is off."""
        if self.dns_port == 0:
            return None
        host = self.dns_listen_host
        return f"[{host}]:{self.dns_port}" if ":" in host else f"{host}:{self.dns_port}"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def sqlite_path(self) -> Path | None:
        """The SQLite database file, or None for other databases and in-memory SQLite."""
        if not self.is_sqlite:
            return None
        path = self.database_url.split(":///", 1)[1].split("?", 1)[0]
        return None if path in ("", ":memory:") else Path(path)
