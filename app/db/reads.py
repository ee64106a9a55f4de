"""Reads of committed rows for the hot read paths (list pages, zone lookups), without aiosqlite's thread hops.

Through aiosqlite a SQLite read crosses to the driver's thread and back for BEGIN, the statement, the fetch,
closing the cursor and ROLLBACK: about 450 µs of CPU on the 2-core target for a one-row read. The same Core
statement on a synchronous SQLAlchemy engine of our own, on the database file opened read-only, takes about
80 µs, on the event loop. It cannot block the loop for long: in WAL mode readers never wait for writers, and
each statement is its own read transaction, so it sees exactly what had committed when it started
(https://www.sqlite.org/wal.html, "Concurrency"). A read that fails there (the rare ``SQLITE_BUSY`` of WAL
recovery) runs again through the async session, as every read does on PostgreSQL and in-memory SQLite.
"""

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Executable, create_engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.pool import StaticPool

log = logging.getLogger(__name__)
BUSY_TIMEOUT_SECONDS = 0.05  # the longest a read may hold the event loop waiting for SQLite


class Reader:
    """Runs a read-only Core statement and returns its rows (see the module docstring)."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], sqlite_path: Path | None) -> None:
        self._sessionmaker = sessionmaker
        self._engine = (
            create_engine(
                f"sqlite:///file:{sqlite_path.resolve()}?mode=ro&uri=true",
                poolclass=StaticPool,  # one connection: statements run one at a time, on the event loop
                connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_SECONDS},
            )
            if sqlite_path is not None
            else None
        )

    async def rows(self, statement: Executable, params: Mapping[str, Any] | None = None) -> Sequence[Any]:
        """The rows of ``statement`` with its bound ``params`` (SQLAlchemy ``Row``s)."""
        if self._engine is not None:
            try:
                with self._engine.connect() as connection:
                    return connection.execute(statement, params).all()
            except OperationalError as error:
                log.info("read on the SQLite file failed (%s); reading through the session", error.orig)
        async with self._sessionmaker() as session:
            return (await session.execute(statement, params)).all()

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
