"""Start-up checks that end the process with one line naming the setting, and exit status 2, instead of a
traceback: settings that do not parse, a store that cannot be reached, and a master key that is missing or
does not open the key material the store holds (``app.secrets``)."""

import asyncio
import sys
from typing import NoReturn

from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.config import Settings
from app.db.session import create_engine
from app.logs import store_url
from app.secrets import MasterKeyError, SealedValueError, Sealer, kms_key_context, sealer, zsk_context

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
        return Settings()
    except ValidationError as error:
        fail(setting_errors(error))


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


def check_master_key(settings: Settings) -> None:
    """A master key is at hand (``R53_MASTER_KEY`` or the SQLite key file); one line and exit status 2 when
    it is missing or malformed."""
    try:
        sealer(settings)
    except MasterKeyError as error:
        fail(str(error))


def check_store_opens(settings: Settings) -> None:
    """The master key opens the newest sealed KMS key and ZSK of the (migrated) store; one line and exit
    status 2 when it does not: another key than the one that sealed them."""
    try:
        problem = asyncio.run(_sealed_problem(settings, sealer(settings)))
    except MasterKeyError as error:
        fail(str(error))
    if problem is not None:
        setting = "R53_MASTER_KEY" if settings.master_key is not None else "the master key file"
        fail(
            f"{setting} does not decrypt the key material stored in {store_url(settings)} ({problem}); "
            "start with the master key that sealed it"
        )


async def _sealed_problem(settings: Settings, box: Sealer) -> str | None:
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            kms_key = (
                await connection.execute(
                    text("SELECT key_id, private_key FROM kms_key ORDER BY creation_date DESC LIMIT 1")
                )
            ).first()
            zsk = (
                await connection.execute(
                    text(
                        "SELECT hosted_zone_id, public_key, private_key FROM zone_signing_key ORDER BY id DESC LIMIT 1"
                    )
                )
            ).first()
    finally:
        await engine.dispose()
    try:
        if kms_key is not None:
            box.open(bytes(kms_key.private_key), kms_key_context(kms_key.key_id))
        if zsk is not None:
            box.open(bytes(zsk.private_key), zsk_context(zsk.hosted_zone_id, bytes(zsk.public_key)))
    except SealedValueError as error:
        return str(error)
    return None
