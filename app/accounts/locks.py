"""Per-account locks for the rules that count an account's rows (hosted-zone and health-check limits,
caller references): two creates of one account on different workers or replicas must not both see room.

On PostgreSQL a transaction-scoped advisory lock per (namespace, account) (PostgreSQL manual, "Advisory
Locks"), taken in account order so that batches never deadlock, bounded by the transaction's
``lock_timeout``; on SQLite the ``BEGIN IMMEDIATE`` write transaction already holds the whole database.
"""

import zlib
from collections.abc import Iterable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

ZONE_CREATION_LOCK = 0x52355A01  # CreateHostedZone
HEALTH_CHECK_CREATION_LOCK = 0x52354801  # CreateHealthCheck


def account_lock_key(account: str) -> int:
    """A signed 32-bit key for the account (a collision only makes two accounts wait for each other)."""
    return zlib.crc32(account.encode()) - 2**31


async def lock_accounts(session: AsyncSession, namespace: int, accounts: Iterable[str]) -> None:
    connection = await session.connection()
    if connection.dialect.name != "postgresql":
        return
    for account in sorted(set(accounts)):
        await connection.execute(
            text("SELECT pg_advisory_xact_lock(:namespace, :key)"),
            {"namespace": namespace, "key": account_lock_key(account)},
        )
