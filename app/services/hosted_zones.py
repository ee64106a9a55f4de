"""Hosted zones: create, read, list, comment, tags, delete (Route 53 API Reference, "Hosted zones")."""

import hashlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from app.db.batch_loader import BatchLoader
from app.db.models import HostedZone
from app.db.reads import Reader
from app.dnssec.records import owner_name_wire
from app.errors import (
    HostedZoneAlreadyExists,
    HostedZoneNotEmpty,
    InvalidDomainName,
    NoSuchHostedZone,
    PriorRequestNotComplete,
    Route53Error,
    ServiceUnavailable,
    TooManyHostedZones,
)
from app.records.names import parse_name
from app.records.record_set import RecordSet
from app.services.rows import ZONE_TABLE, ZoneRow, select_zone_views
from app.services.views import ChangeView, ZoneView
from app.services.writer import OneZoneWrite, WriteContext, ZoneWriter, new_id

_NAME_SERVER_SUFFIXES = ("com", "net", "org", "co.uk")
HOSTED_ZONE_HAS_KEYS = "The specified hosted zone contains DNSSEC Key Signing Keys and so cannot be deleted."
HOSTED_ZONE_HAS_RECORDS = (
    "The specified hosted zone contains non-required resource record sets and so cannot be deleted."
)
APEX_NS_TTL = 172800
APEX_SOA_TTL = 900


def normalise_zone_name(name: str) -> str:
    """Lower-case, absolute form of a zone name; InvalidDomainName when it is not a domain name
    (RFC 1035 §2.3.4 limits: labels 1-63 octets, names up to 255)."""
    absolute = name if name.endswith(".") else name + "."
    try:
        wire = owner_name_wire(absolute)
    except ValueError:
        raise InvalidDomainName(f"{name} is not a valid domain name.") from None
    if wire == b"\x00":
        raise InvalidDomainName(f"{name} is reserved by AWS!")
    return absolute.lower()


def sort_key(name: str) -> str:
    """Labels in reverse order (``com.example.www.``): the order ListHostedZonesByName uses."""
    return ".".join(reversed(name.rstrip(".").split("."))) + "."


def name_servers(zone_id: str) -> list[str]:
    """Four stable ``awsdns`` name servers for a zone, in the shape Route 53 assigns them."""
    digest = hashlib.sha256(zone_id.encode()).digest()
    return [
        f"ns-{int.from_bytes(digest[2 * i : 2 * i + 2], 'big') % 2048}.awsdns-{digest[8 + i] % 64:02d}.{suffix}"
        for i, suffix in enumerate(_NAME_SERVER_SUFFIXES)
    ]


def apex_record_sets(zone_id: str, zone_name: str) -> tuple[RecordSet, RecordSet]:
    """The SOA and NS record sets Route 53 creates with a public zone (Route 53 Developer Guide, "NS and SOA
    records that Amazon Route 53 creates for a public hosted zone")."""
    name = parse_name(zone_name)
    servers = [server + "." for server in name_servers(zone_id)]
    soa = f"{servers[0]} awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400"
    return (
        RecordSet(name=name, type="SOA", ttl=APEX_SOA_TTL, values=(soa,)),
        RecordSet(name=name, type="NS", ttl=APEX_NS_TTL, values=tuple(servers)),
    )


@dataclass
class CreateZone:
    name: str
    caller_reference: str
    comment: str | None
    vpc_id: str | None
    vpc_region: str | None
    zone_ids: tuple[str, ...] = ()
    max_zones: int = 500  # the account's hosted-zone limit (R53_MAX_HOSTED_ZONES)

    def busy(self) -> Route53Error:
        return ServiceUnavailable("The request could not be completed in time. Retry the request.")

    def record_lookups(self, zones: Mapping[str, ZoneRow]) -> Mapping[str, Collection[str]]:
        return {}

    async def apply(self, ctx: WriteContext) -> tuple[ZoneView, ChangeView]:
        account = ctx.writing_account()
        if (account, self.caller_reference) in ctx.caller_references:
            raise HostedZoneAlreadyExists("A hosted zone has already been created with the specified caller reference.")
        if ctx.zone_counts.get(account, 0) >= self.max_zones:
            raise TooManyHostedZones(
                f"This operation would exceed the limit of {self.max_zones} hosted zones for the account."
            )
        zone = ZoneRow(
            id=new_id("Z"),
            account_id=account,
            name=self.name,
            sort_name=sort_key(self.name),
            caller_reference=self.caller_reference,
            comment=self.comment,
            vpc_id=self.vpc_id,
            vpc_region=self.vpc_region,
            serve_signature="NOT_SIGNING",
            created_at=ctx.now,
            record_set_count=0,
            revision=0,
        )
        ctx.add_zone(zone)
        apex = apex_record_sets(zone.id, zone.name)
        ctx.write_record_sets(zone, {(record.name.sort_key, *record.key): record for record in apex}, len(apex))
        return ZoneView.of(zone), ctx.record_change()


class ZoneMaintenance(OneZoneWrite):
    """Zone and tag writes answer PriorRequestNotComplete (which SDKs retry) when the zone stays locked;
    ConcurrentModification is not modeled for them."""

    def busy(self) -> Route53Error:
        return PriorRequestNotComplete(
            "The request was rejected because Route 53 was still processing a prior request."
        )


@dataclass
class DeleteZone(ZoneMaintenance):
    async def apply(self, ctx: WriteContext) -> ChangeView:
        zone = ctx.zone(self.zone_id)
        if zone.keys:
            raise HostedZoneNotEmpty(HOSTED_ZONE_HAS_KEYS)
        if zone.serve_signature != "NOT_SIGNING":
            raise HostedZoneNotEmpty("The specified hosted zone has DNSSEC signing enabled and so cannot be deleted.")
        if zone.record_set_count > len(("SOA", "NS")):
            raise HostedZoneNotEmpty(HOSTED_ZONE_HAS_RECORDS)
        ctx.delete_zone(zone)
        return ctx.record_change()


@dataclass
class UpdateComment(ZoneMaintenance):
    comment: str | None

    async def apply(self, ctx: WriteContext) -> ZoneView:
        zone = ctx.zone(self.zone_id)
        zone.comment = self.comment
        ctx.zone_changed(zone)
        return ZoneView.of(zone)


@dataclass
class ChangeTags(ZoneMaintenance):
    add: dict[str, str] = field(default_factory=dict)
    remove: tuple[str, ...] = ()

    async def apply(self, ctx: WriteContext) -> None:
        ctx.change_tags(ctx.zone(self.zone_id), self.add, self.remove)


@dataclass(frozen=True)
class ZonePage:
    zones: list[ZoneView]
    next_zone: ZoneView | None


class HostedZones:
    """Reads run in their own short transaction; writes go through the process's ZoneWriter. Every
    operation acts for one account (``app.accounts``): another account's zone is NoSuchHostedZone."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        writer: ZoneWriter,
        max_zones: int = 500,
        reader: Reader | None = None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._writer = writer
        self._max_zones = max_zones
        self._reader = reader or Reader(sessionmaker, None)
        self._loader: BatchLoader[str, ZoneView] = BatchLoader(self._fetch)

    async def create(self, account: str, write: CreateZone) -> tuple[ZoneView, ChangeView]:
        write.max_zones = self._max_zones
        return await self._writer.submit(write, account)

    async def delete(self, account: str, zone_id: str) -> ChangeView:
        return await self._writer.submit(DeleteZone(zone_id), account)

    async def update_comment(self, account: str, zone_id: str, comment: str | None) -> ZoneView:
        return await self._writer.submit(UpdateComment(zone_id, comment), account)

    async def change_tags(self, account: str, zone_id: str, add: dict[str, str], remove: tuple[str, ...]) -> None:
        await self._writer.submit(ChangeTags(zone_id, add, remove), account)

    async def get(self, account: str, zone_id: str) -> ZoneView:
        zone = await self._loader.load(zone_id)
        if zone is None or zone.account_id != account:
            raise NoSuchHostedZone(f"No hosted zone found with ID: {zone_id}")
        return zone

    async def _fetch(self, zone_ids: list[str]) -> dict[str, ZoneView]:
        rows = await self._reader.rows(select_zone_views().where(ZONE_TABLE.c.id.in_(zone_ids)))
        return {zone.id: zone for zone in (ZoneView(*row) for row in rows)}

    async def tags(self, account: str, zone_id: str) -> dict[str, str]:
        async with self._sessionmaker() as session:
            zone = await session.get(HostedZone, zone_id, options=[selectinload(HostedZone.tags)])
            if zone is None or zone.account_id != account:
                raise NoSuchHostedZone(f"No hosted zone found with ID: {zone_id}")
            return {tag.key: tag.value for tag in zone.tags}

    async def count(self, account: str) -> int:
        async with self._sessionmaker() as session:
            query = select(func.count()).select_from(HostedZone).where(HostedZone.account_id == account)
            return int(await session.scalar(query) or 0)

    async def list(self, account: str, marker: str | None, max_items: int, private_only: bool) -> ZonePage:
        """The account's zones in id order from ``marker`` on (keyset pagination on the primary key)."""
        zone = ZONE_TABLE.c
        query = select_zone_views().where(zone.account_id == account).order_by(zone.id).limit(max_items + 1)
        if marker is not None:
            query = query.where(zone.id >= marker)
        if private_only:
            query = query.where(zone.vpc_id.is_not(None))
        return await self._page(query, max_items)

    async def list_by_name(self, account: str, dns_name: str | None, zone_id: str | None, max_items: int) -> ZonePage:
        """The account's zones in reversed-label name order, then id, from ``(dns_name, zone_id)`` on."""
        zone = ZONE_TABLE.c
        query = (
            select_zone_views().where(zone.account_id == account).order_by(zone.sort_name, zone.id).limit(max_items + 1)
        )
        if dns_name is not None:
            start = sort_key(normalise_zone_name(dns_name))
            if zone_id is not None:
                query = query.where(tuple_(zone.sort_name, zone.id) >= (start, zone_id))
            else:
                query = query.where(zone.sort_name >= start)
        return await self._page(query, max_items)

    async def _page(self, query: Any, max_items: int) -> ZonePage:
        zones = [ZoneView(*row) for row in await self._reader.rows(query)]
        extra = zones[max_items] if len(zones) > max_items else None
        return ZonePage(zones[:max_items], extra)
