"""Start-up checks that end the process with one line naming the setting, and exit status 2, instead of a
traceback: settings that do not parse, and a store that cannot be reached."""

import asyncio
import sys
from typing import NoReturn

from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.auth.credentials import CredentialsFileError, load_credentials
from app.config import Settings
from app.db.session import create_engine
from app.logs import store_url

EXIT_BAD_SETTING = 2  # as argparse exits on a bad command line
_SECRET_SETTINGS = ("database_url", "master_key")  # never echoed: a URL may carry a password


def fail(message: str) -> NoReturn:
    print(f"route53-dnssec: error: {message}", file=sys.stderr)
    raise SystemExit(EXIT_BAD_SETTING)


def setting_errors(error: ValidationError) -> str:
    """Every broken setting of ``error``, by its environment variable: ``R53_X='value': problem; …``."""
    problems = []
    for item in error.errors():
        name = str(item["loc"][0]) if item["loc"] else ""
        message = str(item["msg"]).removeprefix("Value error, ")
        shown = "" if name in _SECRET_SETTINGS else f"={item.get('input')!r}"
        problems.append(f"R53_{name.upper()}{shown}: {message}")
    return "; ".join(problems)


def load_settings() -> Settings:
    """Settings from the environment, or one line and exit status 2."""
    try:
        settings = Settings()
    except ValidationError as error:
        fail(setting_errors(error))
    check_credentials(settings)
    return settings


def check_credentials(settings: Settings) -> None:
    """With ``R53_AUTH=sigv4``, the credentials file must load (one line and exit status 2 otherwise)."""
    if settings.auth != "sigv4":
        return
    try:
        load_credentials(settings.credentials_file)
    except CredentialsFileError as error:
        fail(f"R53_CREDENTIALS_FILE: {error}")


def check_store(settings: Settings) -> None:
    """Connect to the store once (creating the SQLite folder); one line and exit status 2 when that fails."""
    try:
        asyncio.run(_connect(settings))
    except DBAPIError as error:
        fail(f"R53_DATABASE_URL: cannot open the database {store_url(settings)}: {error.orig}")
    except OSError as error:  # refused, unknown host, timeout, a folder that cannot be created
        fail(f"R53_DATABASE_URL: cannot open the database {store_url(settings)}: {error}")


async def _connect(settings: Settings) -> None:
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    finally:
        await engine.dispose()
