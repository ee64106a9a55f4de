"""Signing zones: each one's ZSKs, the DNSKEY signatures its KSKs make ahead of time through KMS Sign, and
the ``SigningMaterial`` the DNS listener signs answers with (``app.dnssec.signer.ZoneSigning``).

``refresh`` brings a signing zone up to date with its schedule (``app.dnssec.schedule``): it makes the first
ZSK or a successor when one is due, signs every DNSKEY RRset of the next ``ksk_slots`` slots that some ACTIVE
KSK has not signed yet, and deletes keys and signatures that are over. The slow parts (key generation, KMS
Sign) run outside any lock; the result is stored by one write through the zone writer, under the zone lock,
which stores a successor only if no other worker or replica stored one first (the schedule is then theirs)
and skips signatures already stored, so any number of processes may refresh a zone at once. A new ZSK
moves the zone's revision, so every process rebuilds its material; new signatures do not need to.

Refreshes run after every KSK and signing operation (Route 53 refreshes its RRSIGs on each), from a
maintenance task in every process (zones whose horizon is short or whose successor is due), and when a
zone's material is built and finds something missing. A refresh that fails (KMS does not sign) keeps what
it could store, and the zone is tried again after ``retry_interval``: a KSK whose KMS key stopped working is
ACTION_NEEDED (``app.services.dnssec_state``) while its signatures made ahead keep the zone valid for days.
"""

import asyncio
import base64
import logging
import math
import random
import time
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.rrset
from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db.models import DnskeySignature, KeySigningKey, ZoneSigningKey
from app.dnssec import schedule
from app.dnssec.keysets import (
    SigningKsk,
    dnskey_fields,
    dnskey_rrset,
    dnskey_rrsig,
    dnskey_signing_input,
    key_set_id,
    parse_rrsig,
    usable_rrsig,
)
from app.dnssec.online import OnlineSigner
from app.dnssec.schedule import KeyTimes, Timings
from app.dnssec.signer import SigningMaterial
from app.dnssec.zsk import Zsk, generate_zsk, open_private_key, seal_private_key, signing_key
from app.kms.backend import KmsBackend, KmsSignFailed
from app.secrets import Sealer
from app.services.rows import ZONE_TABLE
from app.services.writer import OneZoneWrite, WriteContext, ZoneWriter
from app.services.zone_snapshots import SIGNED_TTL_CAP, Snapshot

log = logging.getLogger(__name__)

ZSK_TABLE = cast(Table, ZoneSigningKey.__table__)
SIGNATURE_TABLE = cast(Table, DnskeySignature.__table__)


@dataclass(frozen=True)
class StoredZsk:
    id: int
    key: Zsk
    times: KeyTimes


@dataclass(frozen=True)
class StoredSignature:
    key_set: str
    kms_arn: str
    slot: int
    rrsig: bytes


@dataclass(frozen=True)
class SigningState:
    """What signing reads of one zone: its name, revision and status, ACTIVE KSKs, ZSKs and signatures."""

    zone_id: str
    account_id: str
    apex: dns.name.Name
    revision: int
    signing: bool
    ksks: tuple[SigningKsk, ...]
    zsks: tuple[StoredZsk, ...]
    signatures: tuple[StoredSignature, ...]


async def read_signing_state(session: AsyncSession, zone_id: str, sealer: Sealer) -> SigningState | None:
    zone = ZONE_TABLE.c
    head = (
        await session.execute(
            select(zone.account_id, zone.name, zone.revision, zone.serve_signature, zone.vpc_id).where(
                zone.id == zone_id
            )
        )
    ).first()
    if head is None:
        return None
    ksk = KeySigningKey
    ksks = await session.execute(
        select(ksk.kms_arn, ksk.key_tag, ksk.public_key)
        .where(ksk.hosted_zone_id == zone_id, ksk.status == "ACTIVE")
        .order_by(ksk.created_at, ksk.id)
    )
    zsks = await session.execute(
        select(ZoneSigningKey).where(ZoneSigningKey.hosted_zone_id == zone_id).order_by(ZoneSigningKey.id)
    )
    signatures = await session.execute(
        select(DnskeySignature.key_set, DnskeySignature.kms_arn, DnskeySignature.slot, DnskeySignature.rrsig).where(
            DnskeySignature.hosted_zone_id == zone_id
        )
    )
    return SigningState(
        zone_id=zone_id,
        account_id=head.account_id,
        apex=dns.name.from_text(head.name),
        revision=head.revision,
        signing=head.serve_signature == "SIGNING" and head.vpc_id is None,
        ksks=tuple(SigningKsk(row.kms_arn, row.key_tag, base64.b64decode(row.public_key)) for row in ksks),
        zsks=tuple(_stored_zsk(row, sealer) for row in zsks.scalars()),
        signatures=tuple(StoredSignature(*row) for row in signatures),
    )


def _stored_zsk(row: ZoneSigningKey, sealer: Sealer) -> StoredZsk:
    private_key = open_private_key(sealer, row.hosted_zone_id, row.public_key, row.private_key)
    key = Zsk(public_key=row.public_key, key_tag=row.key_tag, private_key=private_key)
    times = KeyTimes(
        publish_at=row.publish_at.timestamp(),
        activate_at=row.activate_at.timestamp(),
        retire_at=row.retire_at.timestamp() if row.retire_at else None,
        remove_at=row.remove_at.timestamp() if row.remove_at else None,
    )
    return StoredZsk(row.id, key, times)


def _datetime(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


@dataclass(frozen=True)
class NewSignature:
    key_set: str
    kms_arn: str
    slot: int
    expiration: int
    rrsig: bytes
    needs_new_key: bool  # over a DNSKEY RRset holding the successor being stored with it


@dataclass(frozen=True)
class _Planned:
    """A ZSK of the zone once a refresh is stored: ``stored_id`` None for the successor it makes."""

    stored_id: int | None
    key: Zsk
    times: KeyTimes


@dataclass(frozen=True)
class KeyPlan:
    """The zone's ZSKs after a refresh, and the key it makes (the first, or a successor whose predecessor
    gets ``replaced_times``)."""

    keys: list[_Planned]
    new_key: Zsk | None = field(default=None, repr=False)
    new_times: KeyTimes | None = None
    replaced_times: KeyTimes | None = None


def plan_keys(state: SigningState, now: float, timings: Timings) -> KeyPlan:
    """Make the first key or a successor when one is due (pure but for the key generation). New times are
    whole seconds, which the database stores exactly: a key published "now" is published when read back."""
    now = float(math.floor(now))
    keys = [_Planned(stored.id, stored.key, stored.times) for stored in state.zsks]
    if not keys:
        new, times = generate_zsk(), schedule.first_key(now)
        return KeyPlan([_Planned(None, new, times)], new, times)
    due = schedule.successor([key.times for key in keys], now, timings)
    if due is None:
        return KeyPlan(keys)
    new_times, replaced, replaced_times = due
    new = generate_zsk()
    keys[replaced] = _Planned(keys[replaced].stored_id, keys[replaced].key, replaced_times)
    return KeyPlan([*keys, _Planned(None, new, new_times)], new, new_times, replaced_times)


@dataclass(frozen=True)
class _SigningJob:
    key_set: str
    rrset: dns.rrset.RRset
    ksk: SigningKsk
    slot: int
    needs_new_key: bool


def signing_jobs(state: SigningState, keys: Sequence[_Planned], now: float, timings: Timings) -> list[_SigningJob]:
    """Every (DNSKEY RRset, ACTIVE KSK, slot) of the horizon that no stored signature covers (pure)."""
    have = {(signature.key_set, signature.kms_arn, signature.slot) for signature in state.signatures}
    times = [key.times for key in keys]
    jobs: list[_SigningJob] = []
    for slot in schedule.horizon(now, timings):
        for indexes in schedule.key_sets_during(times, max(now, slot), slot + timings.ksk_slot):
            if not indexes:
                continue
            members = [keys[index] for index in indexes]
            rrset = dnskey_rrset(state.apex, [key.key.public_key for key in members], state.ksks, timings.dnskey_ttl)
            key_set = key_set_id(rrset)
            needs_new_key = any(key.stored_id is None for key in members)
            jobs.extend(
                _SigningJob(key_set, rrset, ksk, slot, needs_new_key)
                for ksk in state.ksks
                if (key_set, ksk.kms_arn, slot) not in have
            )
    return jobs


@dataclass
class StoreSigning(OneZoneWrite):
    """Store what a refresh made, under the zone lock: the successor (only if the zone's newest key is still
    ``replaces``, so that one successor wins), the replaced key's retirement, the signatures not stored
    yet; and delete ZSKs past removal and expired signatures. Moves the revision only for a new key."""

    replaces: int | None = None
    new_key: Zsk | None = field(default=None, repr=False)
    new_times: KeyTimes | None = None
    replaced_times: KeyTimes | None = None
    signatures: tuple[NewSignature, ...] = field(default=(), repr=False)
    now: float = 0.0
    sealed_private_key: bytes = field(default=b"", repr=False)  # new_key's, as seal_private_key stores it

    async def apply(self, ctx: WriteContext) -> bool:
        zone = ctx.zones.get(self.zone_id)
        if zone is None or zone.serve_signature != "SIGNING":
            return False
        session = ctx.session
        zsk = ZSK_TABLE.c
        stored = (await session.execute(select(zsk.id, zsk.activate_at).where(zsk.hosted_zone_id == zone.id))).all()
        newest = max(stored, key=lambda row: (row.activate_at, row.id), default=None)
        stored_key = self.new_key is not None and (newest.id if newest else None) == self.replaces
        if stored_key:
            assert self.new_key is not None and self.new_times is not None
            if self.replaces is not None and self.replaced_times is not None:
                await session.execute(
                    update(ZSK_TABLE)
                    .where(zsk.id == self.replaces)
                    .values(
                        retire_at=_datetime(self.replaced_times.retire_at),
                        remove_at=_datetime(self.replaced_times.remove_at),
                    )
                )
            await session.execute(
                insert(ZSK_TABLE).values(
                    hosted_zone_id=zone.id,
                    key_tag=self.new_key.key_tag,
                    public_key=self.new_key.public_key,
                    private_key=self.sealed_private_key,
                    publish_at=_datetime(self.new_times.publish_at),
                    activate_at=_datetime(self.new_times.activate_at),
                )
            )
            ctx.zone_changed(zone)
        signature = SIGNATURE_TABLE.c
        query = select(signature.key_set, signature.kms_arn, signature.slot).where(signature.hosted_zone_id == zone.id)
        have = {(row.key_set, row.kms_arn, row.slot) for row in await session.execute(query)}
        rows = [
            {
                "hosted_zone_id": zone.id,
                "key_set": new.key_set,
                "kms_arn": new.kms_arn,
                "slot": new.slot,
                "expiration": new.expiration,
                "rrsig": new.rrsig,
            }
            for new in self.signatures
            if (new.key_set, new.kms_arn, new.slot) not in have and (stored_key or not new.needs_new_key)
        ]
        if rows:
            await session.execute(insert(SIGNATURE_TABLE), rows)
        await session.execute(
            delete(ZSK_TABLE).where(zsk.hosted_zone_id == zone.id, zsk.remove_at <= _datetime(self.now))
        )
        await session.execute(
            delete(SIGNATURE_TABLE).where(signature.hosted_zone_id == zone.id, signature.expiration <= self.now)
        )
        return stored_key


@dataclass(frozen=True)
class Serving:
    """What a zone serves at one moment, from its stored state: the ZSK that signs, the DNSKEY RRset and the
    RRSIGs over it of the ACTIVE KSKs that have one valid now and for a DNSKEY TTL more."""

    zsk: StoredZsk | None
    dnskey: dns.rrset.RRset
    rrsigs: dns.rrset.RRset
    incomplete: bool  # no signing ZSK, a successor due, or an ACTIVE KSK without such an RRSIG

    @property
    def servable(self) -> bool:
        return self.zsk is not None and len(self.rrsigs) > 0


def serving(state: SigningState, now: float, timings: Timings) -> Serving:
    """The pure reading of the schedule and the stored signatures at ``now``."""
    times = [stored.times for stored in state.zsks]
    signing = schedule.signing_key(times, now)
    published = [state.zsks[index].key.public_key for index in schedule.published(times, now)]
    dnskey = dnskey_rrset(state.apex, published, state.ksks, timings.dnskey_ttl)
    key_set = key_set_id(dnskey)
    rrsigs = dns.rrset.RRset(state.apex, dns.rdataclass.IN, dns.rdatatype.RRSIG, dns.rdatatype.DNSKEY)
    rrsigs.update_ttl(dnskey.ttl)
    unsigned = False
    for ksk in state.ksks:
        candidates = [
            parse_rrsig(stored.rrsig)
            for stored in state.signatures
            if stored.key_set == key_set and stored.kms_arn == ksk.kms_arn
        ]
        best = usable_rrsig(candidates, now, dnskey.ttl)
        if best is None:
            unsigned = True
        else:
            rrsigs.add(best)
    incomplete = signing is None or unsigned or now >= schedule.successor_due_at(times, timings)
    return Serving(None if signing is None else state.zsks[signing], dnskey, rrsigs, incomplete)


@dataclass
class _Cached:
    revision: int
    material: SigningMaterial | None
    valid_until: float


class ZoneSigningService:
    """``ZoneSigning`` for the DNS listener, refreshes for the KSK operations, and the maintenance task."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        writer: ZoneWriter,
        kms: KmsBackend,
        timings: Timings,
        sealer: Sealer,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._writer = writer
        self._kms = kms
        self._sealer = sealer
        self.timings = timings
        self._materials: dict[str, _Cached] = {}
        self._signers: dict[str, dict[int, OnlineSigner]] = {}
        self._zone_locks: dict[str, asyncio.Lock] = {}
        self._retry_after: dict[str, float] = {}
        self._task: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[None]] = set()

    # -- the DNS listener's side --------------------------------------------------------------------------

    def cached_material(self, snapshot: Snapshot, now: float) -> tuple[bool, SigningMaterial | None]:
        """``(True, material)`` when ``material`` would give it without waiting, else ``(False, None)``."""
        if snapshot.serve_signature != "SIGNING" or snapshot.private:
            return True, None
        cached = self._materials.get(snapshot.zone_id)
        if cached is not None and cached.revision >= snapshot.revision and now < cached.valid_until:
            return True, cached.material
        return False, None

    async def material(self, snapshot: Snapshot, now: float) -> SigningMaterial | None:
        known, material = self.cached_material(snapshot, now)
        if known:
            return material
        async with self._lock(snapshot.zone_id):
            cached = self._materials.get(snapshot.zone_id)
            if cached is not None and cached.revision >= snapshot.revision and now < cached.valid_until:
                return cached.material
            cached = await self._build(snapshot, now)
            self._materials[snapshot.zone_id] = cached
            return cached.material

    def signers(self) -> list[OnlineSigner]:
        """Every online signer of this process (their ``stats`` count signature cache hits and misses)."""
        return [signer for by_key in self._signers.values() for signer in by_key.values()]

    async def _build(self, snapshot: Snapshot, now: float) -> _Cached:
        """Material from the stored keys and signatures. A zone that cannot sign now is refreshed first; one
        that can but misses something (a due successor, a KSK's signature) is refreshed in the background."""
        state = await self._read(snapshot.zone_id)
        if state is None or not state.signing:
            return _Cached(snapshot.revision if state is None else state.revision, None, math.inf)
        soa = snapshot.zone.soa
        negative_ttl = min(soa.ttl, soa[0].minimum, SIGNED_TTL_CAP)
        view = serving(state, now, self.timings)
        if not view.servable and self._may_try(state.zone_id, now):
            await self._refresh_locked(state.zone_id, now)
            state = await self._read(snapshot.zone_id) or state
            view = serving(state, now, self.timings)
        material = None
        if view.servable and view.zsk is not None:
            material = SigningMaterial(view.dnskey, view.rrsigs, negative_ttl, self._signer(state, view.zsk))
        valid_until = self._valid_until(state, now)
        if view.incomplete:
            if material is not None and self._may_try(state.zone_id, now):
                self._in_background(self.refresh(state.zone_id, now))
            valid_until = min(valid_until, now + self.timings.retry_interval)
        return _Cached(state.revision, material, valid_until)

    def _signer(self, state: SigningState, zsk: StoredZsk) -> OnlineSigner:
        by_key = self._signers.setdefault(state.zone_id, {})
        signer = by_key.get(zsk.id)
        if signer is None:
            by_key.clear()  # a retired key never signs again: drop its cache
            signer = by_key[zsk.id] = OnlineSigner(
                state.apex, signing_key(zsk.key.private_key), zsk.key.key_tag, self.timings
            )
        return signer

    def _valid_until(self, state: SigningState, now: float) -> float:
        """When material built now must be built again: the next key change, the end of the signature
        slot, or the successor's due time."""
        times = [stored.times for stored in state.zsks]
        due = schedule.successor_due_at(times, self.timings)
        slot_end = schedule.slot_start(now, self.timings) + self.timings.ksk_slot
        return min(schedule.next_change(times, now), slot_end, due if due > now else math.inf)

    # -- refreshes ----------------------------------------------------------------------------------------

    async def refresh(self, zone_id: str, now: float | None = None) -> None:
        """Bring the zone's keys and DNSKEY signatures up to date (module docstring); a zone that does not
        sign is left alone. Failures (KMS, a lock timeout) are logged, not raised: the operation that asked has
        committed, and the zone is tried again later."""
        try:
            async with self._lock(zone_id):
                await self._refresh_locked(zone_id, time.time() if now is None else now)
        except Exception:
            log.exception("refreshing the signing of zone %s failed", zone_id)

    async def _refresh_locked(self, zone_id: str, now: float) -> None:
        for _ in range(3):
            state = await self._read(zone_id)
            if state is None or not state.signing or not state.ksks:
                return
            stored = await self._refresh_once(state, now)
            if stored is not False:
                return

    async def _refresh_once(self, state: SigningState, now: float) -> bool | None:
        """Sign and store; None when there was nothing to do, False when another process stored a
        successor first (the caller reads again)."""
        plan = plan_keys(state, now, self.timings)
        jobs = signing_jobs(state, plan.keys, now, self.timings)
        results = await asyncio.gather(*(self._sign(job, state.account_id) for job in jobs), return_exceptions=True)
        signed: list[NewSignature] = []
        failed: set[str] = set()
        for job, result in zip(jobs, results, strict=True):
            if isinstance(result, BaseException):
                failed.add(job.ksk.kms_arn)
                if not isinstance(result, KmsSignFailed):
                    log.error("DNSKEY signing failed", exc_info=result)
                continue
            _, expiration = schedule.ksk_signature_window(job.slot, self.timings)
            signed.append(NewSignature(job.key_set, job.ksk.kms_arn, job.slot, expiration, result, job.needs_new_key))
        for arn in sorted(failed):
            log.warning("KMS did not sign the DNSKEY RRset of zone %s with %s", state.zone_id, arn)
        if failed:
            self._retry_after[state.zone_id] = now + self.timings.retry_interval
        else:
            self._retry_after.pop(state.zone_id, None)
        new_key = plan.new_key
        if new_key is not None and not any(signature.needs_new_key for signature in signed):
            new_key = None  # no KSK could sign the RRset holding it: rotation waits for KMS
        if new_key is None and not signed and not self._has_garbage(state, now):
            return None
        newest = max(state.zsks, key=lambda stored: (stored.times.activate_at, stored.id), default=None)
        write = StoreSigning(
            state.zone_id,
            replaces=newest.id if newest else None,
            new_key=new_key,
            new_times=plan.new_times if new_key else None,
            replaced_times=plan.replaced_times if new_key else None,
            signatures=tuple(signed),
            now=now,
            sealed_private_key=seal_private_key(self._sealer, state.zone_id, new_key) if new_key else b"",
        )
        return await self._writer.submit(write) or new_key is None

    def _has_garbage(self, state: SigningState, now: float) -> bool:
        times = [stored.times for stored in state.zsks]
        if schedule.removed(times, now):
            return True
        return any(parse_rrsig(stored.rrsig).expiration <= now for stored in state.signatures)

    async def _sign(self, job: _SigningJob, zone_account: str) -> bytes:
        fields = dnskey_fields(job.rrset, job.ksk, job.slot, self.timings)
        der = await self._kms.sign(job.ksk.kms_arn, dnskey_signing_input(job.rrset, fields), zone_account)
        return dnskey_rrsig(fields, der)

    async def _read(self, zone_id: str) -> SigningState | None:
        async with self._sessionmaker() as session:
            return await read_signing_state(session, zone_id, self._sealer)

    def _lock(self, zone_id: str) -> asyncio.Lock:
        return self._zone_locks.setdefault(zone_id, asyncio.Lock())

    def _may_try(self, zone_id: str, now: float) -> bool:
        return now >= self._retry_after.get(zone_id, -math.inf)

    def _in_background(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # -- maintenance --------------------------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.create_task(self._maintain(), name="zone-signing")

    async def stop(self) -> None:
        tasks = [*self._background, *([self._task] if self._task else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._task = None

    async def _maintain(self) -> None:
        interval = self.timings.maintenance_interval
        while True:
            await asyncio.sleep(interval * random.uniform(0.5, 1.5))  # workers and replicas spread out
            now = time.time()
            try:
                for zone_id in await self.due_zones(now):
                    if self._may_try(zone_id, now):
                        await self.refresh(zone_id, now)
            except Exception:
                log.exception("zone signing maintenance failed")

    async def due_zones(self, now: float) -> list[str]:
        """Signing zones whose signature horizon is short or whose next ZSK is due (one query)."""
        zone, zsk, signature = ZONE_TABLE.c, ZSK_TABLE.c, SIGNATURE_TABLE.c
        newest = select(func.max(zsk.activate_at)).where(zsk.hosted_zone_id == zone.id).scalar_subquery()
        last_slot = select(func.max(signature.slot)).where(signature.hosted_zone_id == zone.id).scalar_subquery()
        query = select(zone.id, newest, last_slot).where(zone.serve_signature == "SIGNING", zone.vpc_id.is_(None))
        async with self._sessionmaker() as session:
            rows = (await session.execute(query)).all()
        horizon_end = schedule.horizon(now, self.timings)[-1]
        lead = self.timings.zsk_rollover - self.timings.publish_lead
        return [
            zone_id
            for zone_id, activate_at, slot in rows
            if activate_at is None or _epoch(activate_at) + lead <= now or slot is None or slot < horizon_end
        ]


def _epoch(value: datetime | str) -> float:
    """A timestamp from an aggregate (SQLite returns MAX() of a datetime column as text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
