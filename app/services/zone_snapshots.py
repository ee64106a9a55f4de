"""Resolver snapshots of hosted zones, shared by TestDNSAnswer and the DNS listener, and TestDNSAnswer.

A snapshot is read in one statement (the zone row joined with its record sets), so it never shows half of a
committed batch, and it is kept per process until the zone's ``revision`` moves: checking costs one
primary-key read, rebuilding one read of the zone's record sets.
"""

import asyncio
import random
from collections.abc import Iterable
from dataclasses import dataclass

import dns.name
import dns.rcode
import dns.rdatatype
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.errors import InvalidInput, NoSuchHostedZone
from app.records import resolver
from app.records.record_set import RecordSet
from app.records.snapshot import zone_snapshot
from app.services.rows import RECORD_SET_TABLE, ZONE_TABLE, record_set_of_row

SIGNED_TTL_CAP = 7 * 24 * 3600  # Route 53 serves at most one week while a zone signs
MAX_ALIAS_ZONES = 16  # other hosted zones one answer may reach through aliases


@dataclass(frozen=True)
class Snapshot:
    zone_id: str
    name: str
    revision: int
    serve_signature: str
    private: bool
    zone: resolver.Zone
    alias_zone_ids: frozenset[str]
    chooses_at_random: bool = False  # weighted or multivalue record sets: answers vary with ``pick``


class ZoneSnapshots:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._sessionmaker = sessionmaker
        self._cache: dict[str, Snapshot] = {}
        self._reading: dict[str, asyncio.Task[Snapshot | None]] = {}

    async def get(self, zone_id: str) -> Snapshot | None:
        """The zone's snapshot at its current revision, or None when there is no such zone."""
        zone = ZONE_TABLE.c
        async with self._sessionmaker() as session:
            revision = await session.scalar(select(zone.revision).where(zone.id == zone_id))
            if revision is None:
                self._cache.pop(zone_id, None)
                return None
            cached = self._cache.get(zone_id)
            if cached is not None and cached.revision == revision:
                return cached
            snapshot = await _read(session, zone_id)
        if snapshot is not None:
            self._cache[zone_id] = snapshot
        return snapshot

    def cached_at(self, zone_id: str, revision: int) -> Snapshot | None:
        """The snapshot ``at_revision`` would give without a read, if this process holds it."""
        cached = self._cache.get(zone_id)
        return cached if cached is not None and cached.revision >= revision else None

    async def at_revision(self, zone_id: str, revision: int) -> Snapshot | None:
        """The zone's snapshot at ``revision`` or later, or None when the zone is gone: no read while the
        cached one is that recent, else one read, shared by every caller waiting for the same zone."""
        cached = self._cache.get(zone_id)
        while cached is None or cached.revision < revision:
            reading = self._reading.get(zone_id)
            if reading is None:
                reading = self._reading[zone_id] = asyncio.create_task(self._reread(zone_id))
                reading.add_done_callback(lambda _done: self._reading.pop(zone_id, None))
            cached = await asyncio.shield(reading)
            if cached is None:
                return None
        return cached

    async def _reread(self, zone_id: str) -> Snapshot | None:
        async with self._sessionmaker() as session:
            snapshot = await _read(session, zone_id)
        cached = self._cache.get(zone_id)
        if snapshot is None:
            self._cache.pop(zone_id, None)
        elif cached is None or cached.revision <= snapshot.revision:
            self._cache[zone_id] = snapshot
        return snapshot

    async def with_alias_zones(self, zone_id: str) -> tuple[Snapshot | None, dict[str, resolver.Zone]]:
        """The zone's snapshot and those of the hosted zones its aliases reach (transitively, at most
        ``MAX_ALIAS_ZONES``), for ``resolver.resolve(zones=…)``."""
        first = await self.get(zone_id)
        others: dict[str, resolver.Zone] = {}
        pending = set(first.alias_zone_ids) if first else set()
        while pending and len(others) < MAX_ALIAS_ZONES:
            other_id = pending.pop()
            if other_id in others or other_id == zone_id:
                continue
            other = await self.get(other_id)
            if other is not None:
                others[other_id] = other.zone
                pending |= other.alias_zone_ids - others.keys()
        return first, others


async def _read(session: AsyncSession, zone_id: str) -> Snapshot | None:
    zone, record = ZONE_TABLE.c, RECORD_SET_TABLE.c
    query = (
        select(zone.name, zone.revision, zone.serve_signature, zone.vpc_id)
        .add_columns(record.sort_name, record.type, record.document)
        .select_from(ZONE_TABLE.outerjoin(RECORD_SET_TABLE, record.hosted_zone_id == zone.id))
        .where(zone.id == zone_id)
    )
    rows = (await session.execute(query)).all()
    if not rows:
        return None
    head = rows[0]
    records = [record_set_of_row(row.sort_name, row.type, row.document) for row in rows if row.sort_name is not None]
    return Snapshot(
        zone_id=zone_id,
        name=head.name,
        revision=head.revision,
        serve_signature=head.serve_signature,
        private=head.vpc_id is not None,
        zone=zone_snapshot(zone_id, head.name, records),
        alias_zone_ids=_alias_zones(records, zone_id),
        chooses_at_random=any(record.policy in ("Weight", "MultiValueAnswer") for record in records),
    )


def _alias_zones(records: Iterable[RecordSet], zone_id: str) -> frozenset[str]:
    targets = {record.alias.hosted_zone_id for record in records if record.alias is not None}
    return frozenset(targets - {zone_id})


@dataclass(frozen=True)
class DnsTestResult:
    """What TestDNSAnswer reports: the rcode's mnemonic and the answer section's records."""

    response_code: str
    record_data: list[str]


async def test_dns_answer(snapshots: ZoneSnapshots, zone_id: str, qname: dns.name.Name, qtype: str) -> DnsTestResult:
    """The answer this service's DNS listener gives for ``qname``/``qtype`` in the zone (Route 53 API
    Reference, TestDNSAnswer): NoSuchHostedZone, InvalidInput for a private zone, REFUSED for a name outside
    the zone; otherwise the rcode and the answer section's data, like ``dig`` shows it."""
    snapshot, others = await snapshots.with_alias_zones(zone_id)
    if snapshot is None:
        raise NoSuchHostedZone(f"No hosted zone found with ID: {zone_id}")
    if snapshot.private:
        raise InvalidInput("TestDNSAnswer supports only public hosted zones.")
    if not qname.is_subdomain(snapshot.zone.apex):
        return DnsTestResult("REFUSED", [])
    answer = resolver.resolve(
        snapshot.zone,
        qname,
        dns.rdatatype.from_text(qtype),
        zones=others.get,
        pick=random.random(),
        ttl_cap=SIGNED_TTL_CAP if snapshot.serve_signature == "SIGNING" else None,
    )
    data = [rdata.to_text() for rrset in answer.answer for rdata in rrset]
    return DnsTestResult(dns.rcode.to_text(answer.rcode), data)
