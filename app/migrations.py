"""Running Alembic migrations from the service, safely when several processes start at once.

One process migrates while the others wait: a PostgreSQL advisory lock, or an exclusive file lock beside
the SQLite database (Alembic cookbook, "Programmatic API use (connection sharing) With Asyncio").
"""

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.config import Settings
from app.db.session import create_engine, create_private_file

ROOT = Path(__file__).resolve().parent.parent
MIGRATION_LOCK_ID = 0x52353344  # "R53D": pg_advisory_lock key shared by every replica


def alembic_config(settings: Settings | None = None) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["settings"] = settings
    return config


@cache
def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def migrate(settings: Settings, revision: str = "head") -> None:
    """Upgrade the database to ``revision``; concurrent callers wait for the first one."""
    engine = create_engine(settings, foreign_keys=False)
    try:
        with _sqlite_file_lock(settings):
            async with engine.connect() as connection:
                await connection.run_sync(_upgrade, alembic_config(settings), revision)
                await connection.commit()
    finally:
        await engine.dispose()


def _upgrade(connection: Connection, config: Config, revision: str) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_lock(:id)"), {"id": MIGRATION_LOCK_ID})
    try:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    finally:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": MIGRATION_LOCK_ID})


@contextmanager
def _sqlite_file_lock(settings: Settings) -> Iterator[None]:
    path = settings.sqlite_path()
    if path is None:
        yield
        return
    lock_path = path.with_name(path.name + ".migrate-lock")
    create_private_file(lock_path)
    lock = os.open(lock_path, os.O_RDONLY)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    finally:
        os.close(lock)


async def schema_is_current(engine: AsyncEngine) -> bool:
    """True when the database answers and its Alembic revision (table ``alembic_version``) is the newest."""
    async with engine.connect() as connection:
        current = await connection.scalar(text("SELECT version_num FROM alembic_version"))
    return current is not None and current == head_revision()
