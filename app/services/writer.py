"""The single writer of a process: every Route 53 state change goes through it, in group-committed batches.

SQLAlchemy async costs milliseconds of CPU per transaction (measured on the 2-core target: ~2.5 ms), so
paying it once per request caps durable writes near 300/s. The writer takes what is queued, opens one write transaction
(``BEGIN IMMEDIATE`` on SQLite; ``SELECT ... FOR UPDATE`` on the touched zone rows, in id order, on
PostgreSQL), locks and loads every zone and its KSKs (two statements), applies each request's rules in plain
Python to plain copies of the rows (a few also read KMS keys), writes what changed with one Core
statement per table and kind of change, and commits once. A response is sent only after that commit.

A ``ZoneWrite`` must raise its Route 53 error before it changes anything, so a refused request leaves no
trace in the batch. If the batch as a whole fails (a unique constraint hit by another replica, a bug), each
request is run again in a transaction of its own so that only the guilty one fails.
"""

import asyncio
import contextlib
import logging
import random
import secrets
import string
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.accounts.locks import ZONE_CREATION_LOCK, lock_accounts
from app.config import Settings
from app.db.session import CommitInDoubt, LockTimeout, write_transaction
from app.errors import (
    ConcurrentModification,
    HostedZoneAlreadyExists,
    InternalFailure,
    KeySigningKeyAlreadyExists,
    NoSuchHostedZone,
    Route53Error,
)
from app.kms.backend import KmsBackend
from app.metrics import observe_write_batch
from app.records.batch import Names, RecordKey
from app.records.names import RecordName, parse_name
from app.records.record_set import RecordSet
from app.services.rows import (
    CHANGE_TABLE,
    KEY_TABLE,
    RECORD_SET_TABLE,
    TAG_TABLE,
    ZONE_TABLE,
    KeyRow,
    ZoneRow,
    load_zones,
    lock_zones_with_keys,
    read_names,
    record_set_values,
    select_zones,
)
from app.services.views import ChangeView

log = logging.getLogger(__name__)

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
_ID_ALPHABET = string.ascii_uppercase + string.digits

# Named unique constraints (app.db.base naming convention) and the error each one means.
_CONSTRAINT_ERRORS: dict[str, Callable[[], Route53Error]] = {
    "uq_key_signing_key_hosted_zone_id_name": lambda: KeySigningKeyAlreadyExists(
        "A key-signing key with this name already exists in the hosted zone."
    ),
    "uq_key_signing_key_hosted_zone_id_kms_arn": lambda: KeySigningKeyAlreadyExists(
        "A key-signing key with this KMS key already exists in the hosted zone."
    ),
    "uq_hosted_zone_account_id_caller_reference": lambda: HostedZoneAlreadyExists(
        "A hosted zone has already been created with the specified caller reference."
    ),
}
_SQLITE_CONSTRAINT_COLUMNS = {
    "key_signing_key.hosted_zone_id, key_signing_key.name": "uq_key_signing_key_hosted_zone_id_name",
    "key_signing_key.hosted_zone_id, key_signing_key.kms_arn": "uq_key_signing_key_hosted_zone_id_kms_arn",
    "hosted_zone.account_id, hosted_zone.caller_reference": "uq_hosted_zone_account_id_caller_reference",
}


def new_id(prefix: str) -> str:
    """A Route 53 style id: the prefix and 19 upper-case letters and digits (``Z0495682VQJK7N9GFOQI``),
    from 98 random bits."""
    number = int.from_bytes(secrets.token_bytes(16))
    digits = []
    for _ in range(19):
        number, digit = divmod(number, len(_ID_ALPHABET))
        digits.append(_ID_ALPHABET[digit])
    return prefix + "".join(digits)


def constraint_error(error: IntegrityError) -> Route53Error | None:
    """The Route 53 error a unique-constraint violation stands for, from the constraint's name
    (asyncpg reports it; SQLite reports the columns instead)."""
    name = getattr(getattr(error.orig, "__cause__", None), "constraint_name", None)
    if name is None:
        message = str(error.orig)
        name = next((n for cols, n in _SQLITE_CONSTRAINT_COLUMNS.items() if message.endswith(cols)), None)
    factory = _CONSTRAINT_ERRORS.get(name or "")
    return factory() if factory else None


@dataclass
class WriteContext:
    """What a ``ZoneWrite`` sees: the locked zones of the batch with their KSKs, the record sets at the names
    its writes asked for (``names``; ``other_zones`` for alias targets, not locked), the clock, and methods
    that record each change; ``flush`` writes them all, one statement per table and kind of change.

    A batch holds writes of several accounts: ``account`` is the one of the write being applied (None for
    the service's own writes, which see every zone); ``zone`` answers NoSuchHostedZone for another
    account's zone. ``caller_references`` are (account, reference) pairs; ``zone_counts`` the zones of each
    account that creates one in the batch, counted under that account's lock."""

    session: AsyncSession
    zones: dict[str, ZoneRow]
    caller_references: set[tuple[str, str]]
    kms: KmsBackend
    account: str | None = None
    zone_counts: dict[str, int] = field(default_factory=dict)
    names: dict[str, Names] = field(default_factory=dict)
    other_zones: dict[str, ZoneRow] = field(default_factory=dict)
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    _new_zones: list[ZoneRow] = field(default_factory=list)
    _changed_zones: set[ZoneRow] = field(default_factory=set)
    _deleted_zones: list[ZoneRow] = field(default_factory=list)
    _new_keys: list[KeyRow] = field(default_factory=list)
    _changed_keys: set[KeyRow] = field(default_factory=set)
    _deleted_keys: list[KeyRow] = field(default_factory=list)
    _changes: list[dict[str, object]] = field(default_factory=list)
    _tags: dict[tuple[str, str], str | None] = field(default_factory=dict)
    _record_sets: dict[tuple[str, RecordKey], RecordSet | None] = field(default_factory=dict)
    _stored_record_sets: set[tuple[str, RecordKey]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self._stored_record_sets = {
            (zone_id, (sort_key, *key))
            for zone_id, names in self.names.items()
            for sort_key, record_sets in names.items()
            for key in record_sets
        }

    def visible_zone(self, zone_id: str) -> ZoneRow | None:
        """The locked zone if the writing account owns it."""
        zone = self.zones.get(zone_id)
        if zone is None or (self.account is not None and zone.account_id != self.account):
            return None
        return zone

    def zone(self, zone_id: str) -> ZoneRow:
        """The locked zone of the writing account, or NoSuchHostedZone."""
        zone = self.visible_zone(zone_id)
        if zone is None:
            raise NoSuchHostedZone(f"No hosted zone found with ID: {zone_id}")
        return zone

    def writing_account(self) -> str:
        if self.account is None:
            raise RuntimeError("a client write needs its account")
        return self.account

    def add_zone(self, zone: ZoneRow) -> None:
        self.zones[zone.id] = zone
        self.caller_references.add((zone.account_id, zone.caller_reference))
        self.zone_counts[zone.account_id] = self.zone_counts.get(zone.account_id, 0) + 1
        self._new_zones.append(zone)

    def zone_changed(self, zone: ZoneRow) -> None:
        """Mark the zone for writing; its ``revision`` goes up once per batch (DNS answers follow it)."""
        self._changed_zones.add(zone)

    def delete_zone(self, zone: ZoneRow) -> None:
        del self.zones[zone.id]
        self.caller_references.discard((zone.account_id, zone.caller_reference))
        if zone.account_id in self.zone_counts:
            self.zone_counts[zone.account_id] -= 1
        if zone in self._new_zones:
            self._new_zones.remove(zone)
        else:
            self._deleted_zones.append(zone)

    def add_key(self, zone: ZoneRow, key: KeyRow) -> None:
        zone.keys.append(key)
        self._new_keys.append(key)
        self.zone_changed(zone)

    def key_changed(self, key: KeyRow) -> None:
        self._changed_keys.add(key)
        self.zone_changed(self.zones[key.hosted_zone_id])

    def delete_key(self, zone: ZoneRow, key: KeyRow) -> None:
        zone.keys.remove(key)
        self.zone_changed(zone)
        if key in self._new_keys:
            self._new_keys.remove(key)
        else:
            self._deleted_keys.append(key)

    def zone_names(self, zone_id: str) -> Names:
        """The record sets loaded for ``zone_id`` (with this batch's earlier writes applied)."""
        return self.names.setdefault(zone_id, {})

    def other_zone(self, zone_id: str) -> tuple[RecordName, Names] | None:
        """A hosted zone of this service other than the writing one, for alias targets: its name and the
        record sets loaded there."""
        zone = self.zones.get(zone_id) or self.other_zones.get(zone_id)
        if zone is None or (self.account is not None and zone.account_id != self.account):
            return None
        return parse_name(zone.name), self.zone_names(zone_id)

    def write_record_sets(self, zone: ZoneRow, changed: Mapping[RecordKey, RecordSet | None], count: int) -> None:
        """Apply record-set changes (None: deleted) to the zone, which now holds ``count`` record sets."""
        names = self.zone_names(zone.id)
        for key, record in changed.items():
            sort_key, type_, set_identifier = key
            at_name = names.setdefault(sort_key, {})
            if record is None:
                at_name.pop((type_, set_identifier), None)
            else:
                at_name[(type_, set_identifier)] = record
            self._record_sets[(zone.id, key)] = record
        zone.record_set_count = count
        self.zone_changed(zone)

    def change_tags(self, zone: ZoneRow, add: dict[str, str], remove: tuple[str, ...]) -> None:
        """Remove, then add or overwrite, tags of the zone (ChangeTagsForResource)."""
        self._tags.update({(zone.id, key): None for key in remove})
        self._tags.update({(zone.id, key): value for key, value in add.items()})

    def first_change_id(self) -> str | None:
        """A change record this batch inserts, if any: whether it is stored tells whether the batch committed."""
        return str(self._changes[0]["id"]) if self._changes else None

    def record_change(self, comment: str | None = None) -> ChangeView:
        """The change record of this write (Route 53 ChangeInfo), inserted with the batch."""
        change = ChangeView(new_id("C"), self.now, comment)
        self._changes.append(
            {
                "id": change.id,
                "account_id": self.writing_account(),
                "submitted_at": change.submitted_at,
                "comment": comment,
            }
        )
        return change

    async def flush(self) -> None:
        """Write every recorded change, parents before children and children before their parents go."""
        execute = self.session.execute
        if self._new_zones:
            await execute(insert(ZONE_TABLE), [zone.values() for zone in self._new_zones])
        await self._flush_record_sets()
        if self._deleted_keys:
            await execute(delete(KEY_TABLE).where(_KEY_MATCH), [_key_match(key) for key in self._deleted_keys])
        if self._new_keys:
            await execute(insert(KEY_TABLE), [key.values() for key in self._new_keys])
        changed_keys = self._changed_keys - set(self._new_keys) - set(self._deleted_keys)
        if changed_keys:
            await execute(
                update(KEY_TABLE)
                .where(_KEY_MATCH)
                .values(
                    status=bindparam("b_status"),
                    status_message=bindparam("b_message"),
                    last_modified_at=bindparam("b_modified"),
                ),
                [
                    {
                        **_key_match(key),
                        "b_status": key.status,
                        "b_message": key.status_message,
                        "b_modified": key.last_modified_at,
                    }
                    for key in changed_keys
                ],
            )
        changed_zones = self._changed_zones - set(self._new_zones) - set(self._deleted_zones)
        for zone in changed_zones:
            zone.revision += 1
        if changed_zones:
            await execute(
                update(ZONE_TABLE)
                .where(ZONE_TABLE.c.id == bindparam("b_id"))
                .values(
                    comment=bindparam("b_comment"),
                    serve_signature=bindparam("b_signature"),
                    record_set_count=bindparam("b_count"),
                    revision=bindparam("b_revision"),
                ),
                [
                    {
                        "b_id": z.id,
                        "b_comment": z.comment,
                        "b_signature": z.serve_signature,
                        "b_count": z.record_set_count,
                        "b_revision": z.revision,
                    }
                    for z in changed_zones
                ],
            )
        if self._tags:
            await execute(
                delete(TAG_TABLE).where(_TAG_MATCH),
                [{"b_zone": zone_id, "b_key": key} for zone_id, key in self._tags],
            )
            added = [{"hosted_zone_id": z, "key": k, "value": v} for (z, k), v in self._tags.items() if v is not None]
            if added:
                await execute(insert(TAG_TABLE), added)
        if self._deleted_zones:
            await execute(
                delete(RECORD_SET_TABLE).where(RECORD_SET_TABLE.c.hosted_zone_id == bindparam("b_id")),
                [{"b_id": zone.id} for zone in self._deleted_zones],
            )
            await execute(
                delete(ZONE_TABLE).where(ZONE_TABLE.c.id == bindparam("b_id")),
                [{"b_id": zone.id} for zone in self._deleted_zones],
            )
        if self._changes:
            await execute(insert(CHANGE_TABLE), self._changes)

    async def _flush_record_sets(self) -> None:
        """Delete every written record set that was stored, then insert every one that remains."""
        deleted_zones = {zone.id for zone in self._deleted_zones}
        written = {key: record for key, record in self._record_sets.items() if key[0] not in deleted_zones}
        stale = [key for key in written if key in self._stored_record_sets]
        if stale:
            await self.session.execute(
                delete(RECORD_SET_TABLE).where(_RECORD_SET_MATCH),
                [
                    {"b_zone": zone_id, "b_name": name, "b_type": t, "b_id": ident}
                    for zone_id, (name, t, ident) in stale
                ],
            )
        rows = [record_set_values(zone_id, record) for (zone_id, _), record in written.items() if record is not None]
        if rows:
            await self.session.execute(insert(RECORD_SET_TABLE), rows)


_RECORD_SET_MATCH = (
    (RECORD_SET_TABLE.c.hosted_zone_id == bindparam("b_zone"))
    & (RECORD_SET_TABLE.c.sort_name == bindparam("b_name"))
    & (RECORD_SET_TABLE.c.type == bindparam("b_type"))
    & (RECORD_SET_TABLE.c.set_identifier == bindparam("b_id"))
)


_KEY_MATCH = (KEY_TABLE.c.hosted_zone_id == bindparam("b_zone")) & (KEY_TABLE.c.name == bindparam("b_name"))


_TAG_MATCH = (TAG_TABLE.c.hosted_zone_id == bindparam("b_zone")) & (TAG_TABLE.c.key == bindparam("b_key"))


def _key_match(key: KeyRow) -> dict[str, object]:
    return {"b_zone": key.hosted_zone_id, "b_name": key.name}


class ZoneWrite(Protocol[T_co]):
    """One client request's state change. ``zone_ids`` are locked and loaded before ``apply`` runs;
    ``caller_reference`` (CreateHostedZone) is checked against the zones that exist."""

    @property
    def zone_ids(self) -> Collection[str]: ...

    @property
    def caller_reference(self) -> str | None: ...

    def busy(self) -> Route53Error:
        """The error answered when the write cannot get its lock within ``R53_LOCK_TIMEOUT_MS``."""
        ...

    def record_lookups(self, zones: Mapping[str, ZoneRow]) -> Mapping[str, Collection[str]]:
        """The record-set names (sort keys) ``apply`` reads, by zone id, given the locked zones."""
        ...

    async def apply(self, ctx: WriteContext) -> T_co: ...


@dataclass
class OneZoneWrite:
    """Base of the writes confined to one existing zone: that zone is locked and loaded for them."""

    zone_id: str
    caller_reference: ClassVar[None] = None

    @property
    def zone_ids(self) -> tuple[str]:
        return (self.zone_id,)

    def busy(self) -> Route53Error:
        return ConcurrentModification(CONCURRENT_MESSAGE)

    def record_lookups(self, zones: Mapping[str, ZoneRow]) -> Mapping[str, Collection[str]]:
        return {}


class _Barrier:
    """A write that locks and changes nothing (``ZoneWriter.stop``)."""

    zone_ids: tuple[str, ...] = ()
    caller_reference: None = None

    def busy(self) -> Route53Error:
        return ConcurrentModification(CONCURRENT_MESSAGE)

    def record_lookups(self, zones: Mapping[str, ZoneRow]) -> Mapping[str, Collection[str]]:
        return {}

    async def apply(self, ctx: WriteContext) -> None:
        return None


@dataclass
class _Pending(Generic[T]):
    write: ZoneWrite[T]
    future: "asyncio.Future[T]"
    account: str | None


class ZoneWriter:
    """Queue of ``ZoneWrite``s drained by one task per process; see the module docstring."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, kms: KmsBackend) -> None:
        self._sessionmaker = sessionmaker
        self._settings = settings
        self._kms = kms
        self._queue: asyncio.Queue[_Pending[Any]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="zone-writer")

    async def stop(self, drain_timeout: float = 0.0) -> None:
        """Stop the task, after letting every queued write commit for up to ``drain_timeout`` seconds: an empty
        write queued last settles once every write before it has (batches run in order)."""
        if self._task is None:
            return
        if drain_timeout > 0 and not self._task.done():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.submit(_Barrier()), drain_timeout)
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        self._task = None

    async def submit(self, write: ZoneWrite[T], account: str | None = None, *, fault_injectable: bool = False) -> T:
        """Run ``write`` for ``account`` (None: the service itself) in the next batch and return its result
        once that batch has committed."""
        rate = self._settings.fault_concurrent_modification_rate
        if fault_injectable and rate and random.random() < rate:
            raise ConcurrentModification(CONCURRENT_MESSAGE)
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Pending(write, future, account))
        return await future

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._settings.batch_max_size and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            batch = [pending for pending in batch if not pending.future.cancelled()]
            if not batch:
                continue
            if len(batch) == 1:
                await self._commit_batch(batch)
                continue
            try:
                await self._commit_batch(batch)
            except Exception:
                for pending in batch:
                    await self._commit_batch([pending])

    @observe_write_batch
    async def _commit_batch(self, batch: list["_Pending[Any]"]) -> None:
        """Apply and commit ``batch`` in one transaction and settle every future. A failure of the whole batch
        is re-raised when it holds several requests, so they can be retried one by one; a single request
        gets it as its own outcome, so this never raises for one.

        A commit in doubt (its answer lost) is resolved before anything is answered: the batch's change record
        is read back; if it is there the batch committed and its outcomes stand, if not the batch runs again
        (at most ``IN_DOUBT_RERUNS`` times); only when the database cannot tell is it a 500."""
        outcomes: list[tuple[bool, Any]] = []
        try:
            for attempt in range(IN_DOUBT_RERUNS + 1):
                change_id: str | None = None
                outcomes = []
                try:
                    async with write_transaction(self._sessionmaker, self._settings.lock_timeout_ms) as session:
                        ctx = await self._load(session, batch)
                        for pending in batch:
                            ctx.account = pending.account
                            try:
                                outcomes.append((True, await pending.write.apply(ctx)))
                            except Route53Error as error:
                                outcomes.append((False, error))
                        change_id = ctx.first_change_id()
                        await ctx.flush()
                    break
                except CommitInDoubt:
                    log.warning("the commit of %d writes is in doubt; reading back its change record", len(batch))
                    landed = await self._landed(change_id) if change_id is not None else False
                    if landed is True:
                        break
                    if landed is None or attempt == IN_DOUBT_RERUNS:
                        unknown = InternalFailure("The outcome of the request could not be determined.")
                        outcomes = [(False, unknown) for _ in batch]
                        break
        except LockTimeout:
            outcomes = [(False, pending.write.busy()) for pending in batch]
        except IntegrityError as error:
            mapped = constraint_error(error)
            if len(batch) > 1:
                raise
            if mapped is None:
                log.exception("write failed")
            outcomes = [(False, mapped or error)]
        except Exception as error:
            if len(batch) > 1:
                raise
            log.exception("write failed")
            outcomes = [(False, error)]
        for pending, (ok, value) in zip(batch, outcomes, strict=True):
            if pending.future.cancelled():
                continue
            if ok:
                pending.future.set_result(value)
            else:
                pending.future.set_exception(value)

    async def _landed(self, change_id: str) -> bool | None:
        """Whether the batch that recorded ``change_id`` committed (its change records commit with it, all or
        nothing); None when the database cannot be asked. A few attempts, as a broken connection is usually
        replaced at once."""
        for attempt in range(IN_DOUBT_READ_ATTEMPTS):
            try:
                async with self._sessionmaker() as session:
                    found = await session.scalar(select(CHANGE_TABLE.c.id).where(CHANGE_TABLE.c.id == change_id))
                return found is not None
            except Exception:
                log.warning("reading back change %s failed (attempt %d)", change_id, attempt + 1, exc_info=True)
                await asyncio.sleep(IN_DOUBT_READ_DELAY * (attempt + 1))
        return None

    async def _load(self, session: AsyncSession, batch: list["_Pending[Any]"]) -> WriteContext:
        zone_ids = sorted({zone_id for pending in batch for zone_id in pending.write.zone_ids})
        zones = await lock_zones_with_keys(session, zone_ids) if zone_ids else []
        references = {
            (p.account, p.write.caller_reference)
            for p in batch
            if p.write.caller_reference is not None and p.account is not None
        }
        taken: set[tuple[str, str]] = set()
        counts: dict[str, int] = {}
        if references:
            creators = sorted({account for account, _ in references})
            await lock_accounts(session, ZONE_CREATION_LOCK, creators)
            zone = ZONE_TABLE.c
            found = await session.execute(
                select(zone.account_id, zone.caller_reference).where(
                    zone.account_id.in_(creators), zone.caller_reference.in_({ref for _, ref in references})
                )
            )
            taken = {(row.account_id, row.caller_reference) for row in found} & references
            counted = await session.execute(
                select(zone.account_id, func.count()).where(zone.account_id.in_(creators)).group_by(zone.account_id)
            )
            counts = {account: 0 for account in creators} | {row[0]: int(row[1]) for row in counted}
        by_id = {zone.id: zone for zone in zones}
        wanted: dict[str, set[str]] = {}
        for pending in batch:
            for zone_id, sort_keys in pending.write.record_lookups(by_id).items():
                wanted.setdefault(zone_id, set()).update(sort_keys)
        others: dict[str, ZoneRow] = {}
        if set(wanted) - set(by_id):
            query = select_zones().where(ZONE_TABLE.c.id.in_(set(wanted) - set(by_id)))
            others = {zone.id: zone for zone in await load_zones(session, query)}
        wanted = {zone_id: keys for zone_id, keys in wanted.items() if zone_id in by_id or zone_id in others}
        return WriteContext(
            session=session,
            zones=by_id,
            caller_references=taken,
            kms=self._kms,
            zone_counts=counts,
            names=await read_names(session, wanted) if wanted else {},
            other_zones=others,
        )


IN_DOUBT_RERUNS = 2
IN_DOUBT_READ_ATTEMPTS = 5
IN_DOUBT_READ_DELAY = 0.2  # seconds, times the attempt number

CONCURRENT_MESSAGE = (
    "Another user submitted a request to create, update, or delete the object at the same time that you "
    "did. Retry the request."
)
