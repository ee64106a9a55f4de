"""Plain, mutable copies of hosted-zone and KSK rows, read with SQLAlchemy Core.

The zone writer applies rules to these in memory and writes back what changed with one statement per table
and kind of change; reads turn them into views. Core rows cost a fraction of what ORM instances cost per row.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from sqlalchemy import Select, Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.db.models import Change, HostedZone, HostedZoneTag, KeySigningKey

ZONE_TABLE = cast(Table, HostedZone.__table__)
KEY_TABLE = cast(Table, KeySigningKey.__table__)
CHANGE_TABLE = cast(Table, Change.__table__)
TAG_TABLE = cast(Table, HostedZoneTag.__table__)


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
    name: str
    sort_name: str
    caller_reference: str
    comment: str | None
    vpc_id: str | None
    vpc_region: str | None
    serve_signature: str
    created_at: datetime
    keys: list[KeyRow] = field(default_factory=list)

    @property
    def private_zone(self) -> bool:
        return self.vpc_id is not None

    def values(self) -> dict[str, object]:
        return {key: value for key, value in self.__dict__.items() if key != "keys"}


ZONE_COLUMNS = tuple(ZONE_TABLE.c[name] for name in ZoneRow.__dataclass_fields__ if name != "keys")
KEY_COLUMNS = tuple(KEY_TABLE.c[name] for name in KeyRow.__dataclass_fields__)


def select_zones() -> Select[tuple[object, ...]]:
    return select(*ZONE_COLUMNS)


async def load_zones(session: AsyncSession, query: Select[tuple[object, ...]]) -> list[ZoneRow]:
    """The zones ``query`` selects (built on ``select_zones()``), in its order, without their KSKs."""
    return [ZoneRow(**row._mapping) for row in await session.execute(query)]


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
            by_id[row.hosted_zone_id].keys.append(KeyRow(**row._mapping))
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
