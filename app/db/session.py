"""Engine, sessions and the write transaction.

SQLite: the driver's own transaction handling is switched off and SQLAlchemy's ``begin`` event emits
``BEGIN DEFERRED`` for reads and ``BEGIN IMMEDIATE`` for writes, so a read-then-write cannot interleave with
another writer (SQLAlchemy docs, "Transactions with SQLite and the sqlite3 driver"). WAL with
``synchronous=FULL`` makes every acknowledged commit durable (https://www.sqlite.org/pragma.html#pragma_synchronous).
PostgreSQL: READ COMMITTED, ``lock_timeout`` per write transaction, and ``SELECT ... FOR UPDATE`` on the rows
a write depends on.
"""

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from app.config import Settings
from app.db.fence import refuse_if_reset


class LockTimeout(Exception):
    """A write could not get its lock within ``R53_LOCK_TIMEOUT_MS``."""


class CommitInDoubt(Exception):
    """The COMMIT was sent but its answer never came (the connection broke): the transaction may or may not
    have committed, and only a fresh read can tell."""


def create_engine(settings: Settings, *, foreign_keys: bool = True) -> AsyncEngine:
    """Build the async engine with the per-dialect hooks described in the module docstring. Migrations ask
    for SQLite connections without foreign-key enforcement: Alembic's batch mode rebuilds a table by dropping
    it, which would cascade to (or be refused by) the rows that refer to it (Alembic docs, "Running
    'Batch' Migrations for SQLite": "Dealing with Referencing Tables")."""
    if settings.is_sqlite:
        path = settings.sqlite_path()
        if path is not None:
            create_private_file(path)
        engine = create_async_engine(
            settings.database_url,
            connect_args={"timeout": settings.lock_timeout_ms / 1000},
        )
        _install_sqlite_hooks(engine, foreign_keys)
        return engine
    timeout = settings.database_timeout_seconds
    return create_async_engine(
        settings.database_url,
        pool_size=10,
        max_overflow=10,
        pool_pre_ping=True,
        pool_timeout=timeout,
        # asyncpg: connecting, and every statement beyond its lock wait, get R53_DATABASE_TIMEOUT_SECONDS
        connect_args={"timeout": timeout, "command_timeout": timeout + settings.lock_timeout_ms / 1000},
    )


def create_private_file(path: Path) -> None:
    """Create ``path`` (mode 0600) and its folder (0700) when missing, so that no other local user can read the
    store; SQLite gives its ``-wal`` and ``-shm`` files the database file's mode. Existing ones are kept as they are."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_RDONLY, 0o600))


def _install_sqlite_hooks(engine: AsyncEngine, foreign_keys: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def is_lock_timeout(error: DBAPIError) -> bool:
    """True when the database gave up waiting for a lock (SQLite busy, PostgreSQL SQLSTATE 55P03)."""
    if isinstance(error, OperationalError) and "database is locked" in str(error.orig):
        return True
    return getattr(error.orig, "sqlstate", None) == "55P03" or "LockNotAvailable" in type(error.orig).__name__


# SQLSTATE class 08 (connection exception) and the server going away or not yet up (57P01-57P03)
_UNAVAILABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03")
_SQLITE_UNAVAILABLE = ("unable to open database file", "disk I/O error")


def is_database_unavailable(error: BaseException) -> bool:
    """True when ``error`` says the database could not be reached or did not answer in time (refused, reset
    or timed-out connections, an exhausted pool, a server shutting down), not that a statement was wrong."""
    if isinstance(error, OSError | PoolTimeout):  # TimeoutError is an OSError
        return True
    if not isinstance(error, DBAPIError):
        return False
    sqlstate = getattr(error.orig, "sqlstate", None) or ""
    return (
        error.connection_invalidated
        or sqlstate.startswith(_UNAVAILABLE_SQLSTATES)
        or any(text in str(error.orig) for text in _SQLITE_UNAVAILABLE)
    )


_write_turns: WeakKeyDictionary[Engine, tuple[asyncio.AbstractEventLoop, asyncio.Lock]] = WeakKeyDictionary()


@asynccontextmanager
async def _sqlite_write_turn(
    sessionmaker: async_sessionmaker[AsyncSession], lock_timeout_ms: int
) -> AsyncIterator[None]:
    """On SQLite, one write transaction of this process at a time, in arrival order. SQLite admits one writer
    anyway; queued here (a FIFO lock) instead of in SQLite's busy handler, which retries after growing sleeps
    and lets a late writer overtake an early one, no writer of a busy process waits past the lock timeout
    while later ones go through (https://www.sqlite.org/c3ref/busy_timeout.html). Another process's writers
    still meet this one's at SQLite's lock, where the busy timeout (also the lock timeout) starts once the turn
    is had: with several processes a write may wait up to twice the lock timeout in all. PostgreSQL: nothing
    to do (row locks)."""
    bind = sessionmaker.kw.get("bind")
    if not isinstance(bind, AsyncEngine) or bind.dialect.name != "sqlite":
        yield
        return
    loop = asyncio.get_running_loop()
    known = _write_turns.get(bind.sync_engine)
    if known is None or known[0] is not loop:
        known = _write_turns[bind.sync_engine] = (loop, asyncio.Lock())
    turn = known[1]
    try:
        async with asyncio.timeout(lock_timeout_ms / 1000):
            await turn.acquire()
    except TimeoutError:
        raise LockTimeout("waited past the lock timeout for this process's earlier writers") from None
    try:
        yield
    finally:
        turn.release()


@asynccontextmanager
async def write_transaction(
    sessionmaker: async_sessionmaker[AsyncSession], lock_timeout_ms: int
) -> AsyncIterator[AsyncSession]:
    """A session inside one write transaction that commits when the block ends without an exception.

    Raises ``StoreWasReset`` when the request it runs for arrived before an admin reset (``app.db.fence``),
    ``LockTimeout`` when the write lock (SQLite) or a row lock (PostgreSQL) is not had in time, and
    ``CommitInDoubt`` when the commit itself fails.
    """
    committing = False
    try:
        async with _sqlite_write_turn(sessionmaker, lock_timeout_ms), sessionmaker() as session, session.begin():
            connection = await session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
            if connection.dialect.name == "postgresql":
                await connection.execute(text(f"SET LOCAL lock_timeout = '{int(lock_timeout_ms)}ms'"))
            await refuse_if_reset(session)
            yield session
            committing = True
    except Exception as error:
        if committing:
            raise CommitInDoubt(str(error)) from error
        if isinstance(error, DBAPIError) and is_lock_timeout(error):
            raise LockTimeout(str(error.orig)) from error
        raise
