"""SQLite write transactions of one process take turns in arrival order (``app.db.session``): a writer waits
in line rather than in SQLite's busy handler, and one that waits past its lock timeout gets ``LockTimeout``
when that timeout ends, not when SQLite's busy timeout does."""

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.db.session import LockTimeout, create_engine, create_sessionmaker, write_transaction
from tests.conftest import POSTGRES_URL

pytestmark = pytest.mark.skipif(bool(POSTGRES_URL), reason="the turns are SQLite's; PostgreSQL locks rows")


@pytest.fixture
async def sessionmaker(settings: Settings) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(settings)  # SQLite's own busy timeout: the settings' 10 s
    yield create_sessionmaker(engine)
    await engine.dispose()


async def write(sessionmaker: async_sessionmaker[AsyncSession], done: list[int], number: int) -> None:
    async with write_transaction(sessionmaker, 5000) as session:
        await session.execute(text("SELECT count(*) FROM hosted_zone"))
        done.append(number)


async def test_writers_waiting_for_a_long_write_commit_in_arrival_order(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    done: list[int] = []
    release = asyncio.Event()

    async def long_write() -> None:
        async with write_transaction(sessionmaker, 5000):
            await release.wait()
            done.append(0)

    first = asyncio.create_task(long_write())
    await asyncio.sleep(0.05)
    waiting = []
    for number in range(1, 9):
        waiting.append(asyncio.create_task(write(sessionmaker, done, number)))
        await asyncio.sleep(0.02)
    release.set()
    await asyncio.gather(first, *waiting)

    assert done == list(range(9))


async def test_a_writer_waiting_past_its_lock_timeout_is_refused_when_it_ends(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    release = asyncio.Event()

    async def long_write() -> None:
        async with write_transaction(sessionmaker, 5000):
            await release.wait()

    first = asyncio.create_task(long_write())
    await asyncio.sleep(0.05)
    started = time.monotonic()
    with pytest.raises(LockTimeout, match="earlier writers"):
        async with write_transaction(sessionmaker, 200):
            pass
    waited = time.monotonic() - started
    release.set()
    await first
    done: list[int] = []
    await write(sessionmaker, done, 1)  # the refused writer left no turn held

    assert 0.2 <= waited < 2
    assert done == [1]
