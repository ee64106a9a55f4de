"""``POST /_route53/reset``: delete everything, or one account's state, in one write transaction.

Atomic for every reader and writer, in every worker and replica: on SQLite the write transaction
(``BEGIN IMMEDIATE``) excludes every other writer and WAL readers see the store before or after it; on
PostgreSQL the transaction first takes ``ACCESS EXCLUSIVE`` locks on every table (``store_reset`` first, the
table each write transaction reads first), so no statement of any other transaction runs while it deletes,
and a deadlock with a reader (PostgreSQL aborts the reset, which waited longest) is retried.

The same transaction records the reset in ``store_reset``: writes of requests that arrived before it are then
refused (``app.db.fence``), so no work in flight lands afterwards. Caches need nothing: every process checks
a zone's revision in the store before it uses what it cached of it, and a deleted zone has none.
"""

import asyncio
import logging
from typing import cast

from sqlalchemy import Table, delete, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.admin.ownership import ACCOUNT_TABLES, owned_by
from app.db.fence import ALL_ACCOUNTS, RESET_TABLE, now_us
from app.db.models import HostedZone
from app.db.session import write_transaction

log = logging.getLogger(__name__)
DEADLOCK = "40P01"
ATTEMPTS = 5
ZONE_TABLE = cast(Table, HostedZone.__table__)


async def reset_store(
    sessionmaker: async_sessionmaker[AsyncSession], lock_timeout_ms: int, account: str | None
) -> dict[str, int]:
    """Delete every account's state (``account`` None) or one account's; the rows deleted per table."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            async with write_transaction(sessionmaker, lock_timeout_ms) as session:
                return await reset_in(session, account)
        except DBAPIError as error:
            if getattr(error.orig, "sqlstate", None) != DEADLOCK or attempt == ATTEMPTS:
                raise
            log.info("reset: deadlock with a reader (attempt %d), trying again", attempt)
            await asyncio.sleep(0.05 * attempt)
    raise AssertionError("unreachable")


async def lock_every_table(session: AsyncSession) -> None:
    """PostgreSQL: no other transaction reads or writes any table until this one ends."""
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        names = ", ".join([RESET_TABLE.name, *(table.name for table in ACCOUNT_TABLES)])
        await connection.execute(text(f"LOCK TABLE {names} IN ACCESS EXCLUSIVE MODE"))


async def reset_in(session: AsyncSession, account: str | None) -> dict[str, int]:
    """The reset, inside the caller's write transaction (import with ``replace`` uses it too)."""
    await lock_every_table(session)
    zones = select(func.max(ZONE_TABLE.c.revision))
    if account is not None:
        zones = zones.where(owned_by(ZONE_TABLE, account))
    highest_revision = (await session.scalar(zones)) or 0
    deleted = {}
    for table in reversed(ACCOUNT_TABLES):
        statement = delete(table) if account is None else delete(table).where(owned_by(table, account))
        result = await session.execute(statement)
        deleted[table.name] = int(getattr(result, "rowcount", 0) or 0)
    await record_reset(session, account or ALL_ACCOUNTS, highest_revision)
    return dict(reversed(deleted.items()))


async def record_reset(session: AsyncSession, scope: str, highest_revision: int) -> None:
    """Mark ``scope`` reset now, and raise the revision floor (row ``*``) to ``highest_revision``."""
    column = RESET_TABLE.c
    at = now_us()
    existing = {scope: floor for scope, floor in await session.execute(select(column.scope, column.revision_floor))}
    if ALL_ACCOUNTS not in existing:
        await session.execute(insert(RESET_TABLE).values(scope=ALL_ACCOUNTS, reset_at_us=0, revision_floor=0))
        existing[ALL_ACCOUNTS] = 0
    floor = max(existing[ALL_ACCOUNTS], highest_revision)
    await session.execute(update(RESET_TABLE).where(column.scope == ALL_ACCOUNTS).values(revision_floor=floor))
    if scope in existing or scope == ALL_ACCOUNTS:
        await session.execute(update(RESET_TABLE).where(column.scope == scope).values(reset_at_us=at))
    else:
        await session.execute(insert(RESET_TABLE).values(scope=scope, reset_at_us=at, revision_floor=0))


async def revision_floor(session: AsyncSession) -> int:
    column = RESET_TABLE.c
    floor = await session.scalar(select(column.revision_floor).where(column.scope == ALL_ACCOUNTS))
    return int(floor or 0)
