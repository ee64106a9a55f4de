"""Plain, mutable copies of hosted-zone and KSK rows, and record sets, read with SQLAlchemy Core.

The zone writer applies rules to these in memory and writes back what changed with one statement per table
and kind of change; reads turn them into views. Core rows cost a fraction of what ORM instances cost per row.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Table, and_, bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Change, HostedZone, HostedZoneTag, KeySigningKey, ResourceRecordSet
from app.records.batch import Names
from app.records.names import parse_name
from app.records.record_set import RecordSet

ZONE_TABLE = cast(Table, HostedZone.__table__)
KEY_TABLE = cast(Table, KeySigningKey.__table__)
CHANGE_TABLE = cast(Table, Change.__table__)
TAG_TABLE = cast(Table, HostedZoneTag.__table__)
RECORD_SET_TABLE = cast(Table, ResourceRecordSet.__table__)


@dataclass(eq=False)
class KeyRow:
    hosted_zone_id: str
    name: str
    kms_arn: str
    status: str
    status_message: str | None
    key_tag: int
    digest_value: str
    public_key: str
    created_at: datetime
    last_modified_at: datetime

    def values(self) -> dict[str, object]:
        return dict(self.__dict__)


@dataclass(eq=False)
class ZoneRow:
    id: str
    account_id: str
    name: str
    sort_name: str
    caller_reference: str
    comment: str | None
    vpc_id: str | None
    vpc_region: str | None
    serve_signature: str
    created_at: datetime
    record_set_count: int
    revision: int
    keys: list[KeyRow] = field(default_factory=list)

    @property
    def private_zone(self) -> bool:
        return self.vpc_id is not None

    def values(self) -> dict[str, object]:
        return {key: value for key, value in self.__dict__.items() if key != "keys"}


ZONE_VIEW_FIELDS = (
    "id",
    "name",
    "caller_reference",
    "comment",
    "vpc_id",
    "vpc_region",
    "record_set_count",
    "account_id",
)
ZONE_COLUMNS = tuple(ZONE_TABLE.c[name] for name in ZoneRow.__dataclass_fields__ if name != "keys")
KEY_COLUMNS = tuple(KEY_TABLE.c[name] for name in KeyRow.__dataclass_fields__)


def select_zones() -> Select[tuple[object, ...]]:
    return select(*ZONE_COLUMNS)


def select_zone_views() -> Select[tuple[object, ...]]:
    """The columns of a ``ZoneView``, in its field order (list pages build one per row, nothing else)."""
    return select(*(ZONE_TABLE.c[name] for name in ZONE_VIEW_FIELDS))


async def load_zones(session: AsyncSession, query: Select[tuple[object, ...]]) -> list[ZoneRow]:
    """The zones ``query`` selects (built on ``select_zones()``), in its order, without their KSKs."""
    rows = cast(Iterable[tuple[Any, ...]], await session.execute(query))
    return [ZoneRow(*row) for row in rows]  # ZONE_COLUMNS are in field order


async def lock_zones_with_keys(session: AsyncSession, zone_ids: list[str]) -> list[ZoneRow]:
    """Lock the zone rows ``FOR UPDATE`` in id order (no deadlocks between batches), then read their KSKs.

    Two statements on purpose: under PostgreSQL's READ COMMITTED, a statement that waited for a row lock
    re-reads only the locked rows, so KSKs joined in the same statement could predate the lock holder's
    commit. The second statement starts after the lock is held and sees every committed KSK. On SQLite the
    ``BEGIN IMMEDIATE`` write transaction already holds the database.
    """
    query = select_zones().where(ZONE_TABLE.c.id.in_(zone_ids)).order_by(ZONE_TABLE.c.id).with_for_update()
    zones = await load_zones(session, query)
    if zones:
        by_id = {zone.id: zone for zone in zones}
        keys = await session.execute(
            select(*KEY_COLUMNS)
            .where(KEY_TABLE.c.hosted_zone_id.in_(by_id))
            .order_by(KEY_TABLE.c.created_at, KEY_TABLE.c.id)
        )
        for row in keys:
            by_id[row.hosted_zone_id].keys.append(KeyRow(*row))
    return zones


async def read_zones_with_keys(session: AsyncSession, zone_ids: Iterable[str]) -> list[ZoneRow]:
    """The zones with these ids, in id order, and their KSKs, in one outer-join query (reads only)."""
    query = (
        select(*ZONE_COLUMNS, *KEY_COLUMNS)
        .select_from(ZONE_TABLE.outerjoin(KEY_TABLE, KEY_TABLE.c.hosted_zone_id == ZONE_TABLE.c.id))
        .where(ZONE_TABLE.c.id.in_(list(zone_ids)))
        .order_by(ZONE_TABLE.c.id, KEY_TABLE.c.created_at, KEY_TABLE.c.id)
    )
    zones: dict[str, ZoneRow] = {}
    split = len(ZONE_COLUMNS)
    for row in await session.execute(query):
        zone = zones.get(row[0])
        if zone is None:
            zone = zones[row[0]] = ZoneRow(*row[:split])
        if row[split] is not None:
            zone.keys.append(KeyRow(*row[split:]))
    return list(zones.values())


@lru_cache(maxsize=16384)
def name_of_sort_key(sort_key: str) -> str:
    """The record name (Route 53's returned form) whose reversed-label sort key this is."""
    return ".".join(reversed(sort_key[:-1].split("."))) + "."


def record_set_of_row(sort_name: str, type_: str, document: str) -> RecordSet:
    return RecordSet.from_document(parse_name(name_of_sort_key(sort_name)), type_, document)


def record_set_values(zone_id: str, record: RecordSet) -> dict[str, object]:
    """The row of a record set, for an insert."""
    return {
        "hosted_zone_id": zone_id,
        "sort_name": record.name.sort_key,
        "type": record.type,
        "set_identifier": record.set_identifier or "",
        "document": record.to_document(),
    }


async def read_names(session: AsyncSession, wanted: Mapping[str, Iterable[str]]) -> dict[str, Names]:
    """The record sets at the wanted names (sort keys), by zone id, in one statement."""
    found: dict[str, Names] = {zone_id: {} for zone_id in wanted}
    lookups = [(zone_id, list(sort_keys)) for zone_id, sort_keys in wanted.items() if sort_keys]
    if not lookups:
        return found
    params: dict[str, object] = {}
    for index, (zone_id, sort_keys) in enumerate(lookups):
        params[f"zone_{index}"], params[f"names_{index}"] = zone_id, sort_keys
    for row in await session.execute(names_statement(len(lookups)), params):
        record = record_set_of_row(row.sort_name, row.type, row.document)
        found[row.hosted_zone_id].setdefault(row.sort_name, {})[record.key] = record
    return found


_NAMES_STATEMENTS: dict[int, Select[Any]] = {}
MAX_CACHED_NAMES_STATEMENTS = 512


def names_statement(zones: int) -> Select[Any]:
    """``zone_i`` and ``names_i`` (an expanding IN) for ``i < zones``, OR-ed. Built once per number of zones,
    so SQLAlchemy compiles it once: a statement built with literal values for every batch took about 4 ms to
    build and compile for 20 zones, and longer than linearly beyond."""
    cached = _NAMES_STATEMENTS.get(zones)
    if cached is not None:
        return cached
    table = RECORD_SET_TABLE.c
    conditions: list[ColumnElement[bool]] = [
        and_(
            table.hosted_zone_id == bindparam(f"zone_{i}"),
            table.sort_name.in_(bindparam(f"names_{i}", expanding=True)),
        )
        for i in range(zones)
    ]
    statement: Select[Any] = select(table.hosted_zone_id, table.sort_name, table.type, table.document).where(
        or_(*conditions)
    )
    if zones <= MAX_CACHED_NAMES_STATEMENTS:
        _NAMES_STATEMENTS[zones] = statement
    return statement
