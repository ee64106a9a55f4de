"""BatchLoader: concurrent lookups share a query, and a key that breaks the query fails alone."""

import asyncio

import pytest

from app.db.batch_loader import BatchLoader


async def test_concurrent_loads_share_queries_and_a_bad_key_fails_alone() -> None:
    queries: list[list[str]] = []

    async def fetch(keys: list[str]) -> dict[str, str]:
        queries.append(keys)
        await asyncio.sleep(0)
        if "bad" in keys:
            raise ValueError("the database refused the query")
        return {key: key.upper() for key in keys if key != "missing"}

    loader: BatchLoader[str, str] = BatchLoader(fetch)
    keys = [f"k{i}" for i in range(50)] + ["bad", "missing"]
    results = await asyncio.gather(*(loader.load(key) for key in keys), return_exceptions=True)
    assert results[:50] == [f"K{i}" for i in range(50)]
    assert isinstance(results[50], ValueError)
    assert results[51] is None
    assert len(queries[0]) == len(keys)  # all coalesced into the first query, which failed
    assert await loader.load_many(["k1", "missing", "k2"]) == {"k1": "K1", "k2": "K2"}
    with pytest.raises(ValueError):
        await loader.load("bad")
