"""Record sets: ChangeResourceRecordSets and ListResourceRecordSets (Route 53 API Reference).

A change batch is parsed and its names and values checked before it reaches the zone writer; under the
zone lock the writer loads the record sets at the names the batch touches and applies the batch rules
(``app.records.batch``) to them, so concurrent batches on one zone serialize and exactly one of many
identical CREATEs succeeds. Lists page by the key Route 53 orders by (reversed name, type, set identifier).
"""

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db.models import HealthCheck
from app.db.reads import Reader
from app.records.batch import RequestedChange, Zone, apply_changes, lookups
from app.records.names import parse_name
from app.records.record_set import RecordSet
from app.services.health_checks import no_such_health_check
from app.services.hosted_zones import HostedZones, ZoneMaintenance
from app.services.rows import RECORD_SET_TABLE, ZoneRow, name_of_sort_key, record_set_of_row
from app.services.views import ChangeView
from app.services.writer import WriteContext, ZoneWriter

DEFAULT_MAX_RECORD_SETS = 10_000  # Route 53 quota MAX_RRSETS_BY_ZONE


@dataclass
class ChangeRecordSets(ZoneMaintenance):
    """One ChangeResourceRecordSets batch, applied all or nothing."""

    comment: str | None
    changes: list[RequestedChange]
    max_record_sets: int = DEFAULT_MAX_RECORD_SETS

    def record_lookups(self, zones: Mapping[str, ZoneRow]) -> Mapping[str, Collection[str]]:
        zone = zones.get(self.zone_id)
        return lookups(self.changes, Zone(zone.id, parse_name(zone.name))) if zone else {}

    async def apply(self, ctx: WriteContext) -> ChangeView:
        zone = ctx.zone(self.zone_id)
        result = apply_changes(
            Zone(zone.id, parse_name(zone.name)),
            ctx.zone_names(zone.id),
            self.changes,
            record_count=zone.record_set_count,
            max_record_sets=self.max_record_sets,
            other_zone=ctx.other_zone,
        )
        ctx.write_record_sets(zone, result.changed, result.count)
        return ctx.record_change(self.comment)


@dataclass(frozen=True)
class RecordSetPage:
    """A page as stored rows, ``(returned name, type, document)``, which the wire layer renders without
    building a ``RecordSet`` per row, and the first record set of the next page."""

    rows: list[tuple[str, str, str]]
    next_record_set: RecordSet | None


class RecordSets:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        writer: ZoneWriter,
        hosted_zones: HostedZones,
        max_record_sets: int = DEFAULT_MAX_RECORD_SETS,
        reader: Reader | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._reader = reader or Reader(sessionmaker, None)
        self._writer = writer
        self._hosted_zones = hosted_zones
        self._max_record_sets = max_record_sets

    async def change(
        self, account: str, zone_id: str, comment: str | None, changes: list[RequestedChange]
    ) -> ChangeView:
        """NoSuchHealthCheck for a health check that does not exist in the account, then the batch under the
        zone lock. A check deleted later leaves its id in the record set, as on AWS (DeleteHealthCheck is not
        blocked)."""
        await self._check_health_checks(account, changes)
        write = ChangeRecordSets(zone_id, comment, changes, self._max_record_sets)
        return await self._writer.submit(write, account)

    async def _check_health_checks(self, account: str, changes: list[RequestedChange]) -> None:
        wanted = [
            change.record_set.health_check_id
            for change in changes
            if change.action != "DELETE" and change.record_set is not None and change.record_set.health_check_id
        ]
        if not wanted:
            return
        async with self._sessionmaker() as session:
            query = select(HealthCheck.id).where(HealthCheck.id.in_(wanted), HealthCheck.account_id == account)
            found = set(await session.scalars(query))
        missing = next((check_id for check_id in wanted if check_id not in found), None)
        if missing is not None:
            raise no_such_health_check(missing)

    async def list(
        self, account: str, zone_id: str, start: tuple[str, str | None, str | None] | None, max_items: int
    ) -> RecordSetPage:
        """The record sets from ``start`` (sort key, type, set identifier) on, in Route 53's order; the page
        costs the same whatever the zone's size (keyset pagination on the primary key)."""
        await self._hosted_zones.get(account, zone_id)
        table = RECORD_SET_TABLE.c
        query = (
            select(table.sort_name, table.type, table.document)
            .where(table.hosted_zone_id == zone_id)
            .order_by(table.sort_name, table.type, table.set_identifier)
            .limit(max_items + 1)
        )
        if start is not None:
            sort_key, type_, identifier = start
            if type_ is None:
                query = query.where(table.sort_name >= sort_key)
            else:
                query = query.where(
                    tuple_(table.sort_name, table.type, table.set_identifier) >= (sort_key, type_, identifier or "")
                )
        rows = await self._reader.rows(query)
        page = [(name_of_sort_key(row.sort_name), row.type, row.document) for row in rows[:max_items]]
        extra = record_set_of_row(*rows[max_items]) if len(rows) > max_items else None
        return RecordSetPage(page, extra)
