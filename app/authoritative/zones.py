"""Which hosted zone answers a query name, and at which revision, never older than the query.

The answering zone is the public hosted zone with the longest name that contains the query name; among
public zones of that name, the oldest (created first, then the lowest id). A DS query for the apex of a
zone whose parent zone is hosted here too is answered by the parent (RFC 4035 §3.1.4.1). Private zones never answer, and
a name in no public zone is REFUSED. Route 53 gives each of several same-named zones its own name servers,
so a resolver reaches one of them by delegation; one listener for all zones has to choose (decided). The
listener serves every account's zones and the rule does not look at accounts: of two accounts hosting one
name, the zone created first answers.

Freshness: before a batch of queries is answered, the zone rows of every candidate name (the query name and
its ancestors) are read in one indexed statement, through a coalescing loader shared by concurrent batches,
so an answer never predates a change committed before its query arrived (and so before GetChange said
INSYNC), in any worker or replica. On a SQLite file that read is made on a read-only connection of our own,
and skipped while ``PRAGMA data_version`` on it shows no commit by any connection since the rows were read
(https://www.sqlite.org/pragma.html#pragma_data_version).
"""

import sqlite3
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.authoritative.wire import name_labels
from app.db.batch_loader import BatchLoader
from app.services.rows import ZONE_TABLE

MAX_CACHED_NAMES = 100_000  # names remembered between commits (SQLite)
_PLAIN = frozenset(range(0x21, 0x7F)) - frozenset(b".\\")
_PLAIN_OCTETS = bytes(sorted(_PLAIN))


@dataclass(frozen=True, slots=True)
class ZoneRef:
    """A hosted zone row as the listener needs it."""

    id: str
    revision: int
    private: bool
    created_at: datetime


def sort_key_label(label: bytes) -> str:
    """One lower-cased label as it appears in a stored zone name (raw printable ASCII, else ``\\ddd``)."""
    if not label.translate(None, _PLAIN_OCTETS):
        return label.decode("ascii")
    return "".join(chr(octet) if octet in _PLAIN else f"\\{octet:03d}" for octet in label)


def candidate_keys(labels: tuple[bytes, ...]) -> tuple[str, ...]:
    """The hosted-zone sort keys (labels reversed, ``com.example.``) of the name and of each ancestor
    below the root, longest first."""
    texts = [sort_key_label(label.lower()) for label in reversed(labels)]
    keys = []
    key = ""
    for text in texts:
        key += text + "."
        keys.append(key)
    return tuple(reversed(keys))


def answering_zone(keys: tuple[str, ...], rows: Mapping[str, Collection[ZoneRef]], ds: bool = False) -> ZoneRef | None:
    """The zone that answers a name whose candidate keys are ``keys`` (module docstring), or None. A DS
    query (``ds``) at the apex of a zone whose parent is hosted here too is the parent's to answer
    (RFC 4035 §3.1.4.1)."""
    for depth, key in enumerate(keys):
        public = [zone for zone in rows.get(key, ()) if not zone.private]
        if public:
            if ds and depth == 0 and (parent := answering_zone(keys[1:], rows)) is not None:
                return parent
            return min(public, key=lambda zone: (zone.created_at, zone.id))
    return None


class SqliteReader:
    """A read-only connection of our own to the SQLite file: ``PRAGMA data_version``, which changes whenever
    another connection, of any process, commits; and zone rows, read on the spot (an indexed read of a
    few rows takes microseconds, and WAL readers never wait for writers)."""

    def __init__(self, path: Path) -> None:
        self._connection = sqlite3.connect(
            f"file:{path.resolve()}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
        )

    def data_version(self) -> int:
        version: int = self._connection.execute("PRAGMA data_version").fetchone()[0]
        return version

    def zones(self, column: str, values: list[str]) -> list[tuple[str, ZoneRef]]:
        """(``column`` value, zone) of the zones whose ``column`` (``sort_name`` or ``id``) is in ``values``."""
        marks = ",".join("?" * len(values))
        columns = f"{column}, id, revision, vpc_id IS NOT NULL, created_at"
        rows = self._connection.execute(f"SELECT {columns} FROM hosted_zone WHERE {column} IN ({marks})", values)
        return [
            (key, ZoneRef(zone_id, revision, bool(private), datetime.fromisoformat(created).replace(tzinfo=UTC)))
            for key, zone_id, revision, private, created in rows
        ]

    def close(self) -> None:
        self._connection.close()


class ZoneDirectory:
    """The zone rows of candidate names and of zone ids (for aliases), read fresh for each batch."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], sqlite_path: Path | None) -> None:
        self._sessionmaker = sessionmaker
        self._sqlite = SqliteReader(sqlite_path) if sqlite_path is not None else None
        self._seen_version: int | None = None
        self._generation = 0
        self._by_name: dict[str, tuple[ZoneRef, ...]] = {}
        self._by_id: dict[str, ZoneRef | None] = {}
        self._answering: dict[tuple[bytes, bool], ZoneRef | None] = {}
        self._name_loader: BatchLoader[str, tuple[ZoneRef, ...]] = BatchLoader(self._fetch_names)
        self._id_loader: BatchLoader[str, ZoneRef | None] = BatchLoader(self._fetch_ids)

    def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()

    def _check(self) -> int:
        """Forget every row read before the last commit; the generation the rows now belong to."""
        version = self._sqlite.data_version() if self._sqlite is not None else None
        if version is None or version != self._seen_version:
            self._seen_version = version
            self._generation += 1
            self._by_name = {}
            self._by_id = {}
            self._answering = {}
        return self._generation

    async def answering(self, names: Collection[tuple[bytes, bool]]) -> dict[tuple[bytes, bool], ZoneRef | None]:
        """The zone that answers each (name in lower-case wire form, DS query): one read for all names
        not seen since the last commit."""
        generation = self._check()
        known = self._answering
        found = {name: known[name] for name in names if name in known}
        if len(found) < len(names):
            keys = {name: candidate_keys(name_labels(name[0])) for name in names if name not in found}
            rows = await self.by_names({key for candidates in keys.values() for key in candidates})
            for name, candidates in keys.items():
                found[name] = answering_zone(candidates, rows, ds=name[1])
            if generation == self._generation and len(self._answering) < MAX_CACHED_NAMES:
                self._answering.update((name, found[name]) for name in keys)
        return found

    async def by_names(self, keys: Collection[str]) -> dict[str, tuple[ZoneRef, ...]]:
        """The zones named by each of ``keys`` (sort keys), as committed when this call began or later."""
        generation = self._check()
        known = self._by_name
        missing = [key for key in keys if key not in known]
        found: dict[str, tuple[ZoneRef, ...]] = {}
        if missing:
            loaded = await self._name_loader.load_many(missing)
            found = {key: loaded.get(key, ()) for key in missing}
            if generation == self._generation and len(self._by_name) < MAX_CACHED_NAMES:
                self._by_name.update(found)
        return {key: found[key] if key in found else known[key] for key in keys}

    async def by_ids(self, ids: Collection[str]) -> dict[str, ZoneRef | None]:
        """The zones with these ids (None: no such zone), as committed when this call began or later."""
        generation = self._check()
        known = self._by_id
        missing = [zone_id for zone_id in ids if zone_id not in known]
        found: dict[str, ZoneRef | None] = {}
        if missing:
            loaded = await self._id_loader.load_many(missing)
            found = {zone_id: loaded.get(zone_id) for zone_id in missing}
            if generation == self._generation and len(self._by_id) < MAX_CACHED_NAMES:
                self._by_id.update(found)
        return {zone_id: found[zone_id] if zone_id in found else known[zone_id] for zone_id in ids}

    async def _fetch_names(self, keys: list[str]) -> dict[str, tuple[ZoneRef, ...]]:
        found: dict[str, tuple[ZoneRef, ...]] = {}
        if self._sqlite is not None:
            for key, ref in self._sqlite.zones("sort_name", keys):
                found[key] = (*found.get(key, ()), ref)
            return found
        zone = ZONE_TABLE.c
        query = select(zone.sort_name, zone.id, zone.revision, zone.vpc_id, zone.created_at).where(
            zone.sort_name.in_(keys)
        )
        async with self._sessionmaker() as session:
            for row in await session.execute(query):
                ref = ZoneRef(row.id, row.revision, row.vpc_id is not None, row.created_at)
                found[row.sort_name] = (*found.get(row.sort_name, ()), ref)
        return found

    async def _fetch_ids(self, ids: list[str]) -> dict[str, ZoneRef | None]:
        if self._sqlite is not None:
            return dict(self._sqlite.zones("id", ids))
        zone = ZONE_TABLE.c
        query = select(zone.id, zone.revision, zone.vpc_id, zone.created_at).where(zone.id.in_(ids))
        async with self._sessionmaker() as session:
            rows = await session.execute(query)
            return {row.id: ZoneRef(row.id, row.revision, row.vpc_id is not None, row.created_at) for row in rows}
