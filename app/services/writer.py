"""The single writer of a process: every Route 53 state change goes through it, in group-committed batches.

SQLAlchemy async costs about 2.5 ms of CPU per transaction (design-examples §10), so paying it once per
request caps durable writes near 300/s. The writer takes what is queued, opens one write transaction
(``BEGIN IMMEDIATE`` on SQLite; ``SELECT ... FOR UPDATE`` on the touched zone rows, in id order, on
PostgreSQL), loads every zone and its KSKs in one round of statements, applies each request's rules in plain
Python (rarer operations may query too), flushes all inserts in one round and commits once. A response is
sent only after that commit.

A ``ZoneWrite`` must raise its Route 53 error before it changes anything, so a refused request leaves no
trace in the batch. If the batch as a whole fails (a unique constraint hit by another replica, a bug), each
request is run again in a transaction of its own so that only the guilty one fails.
"""

import asyncio
import logging
import random
import secrets
import string
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import selectinload

from app.config import Settings
from app.db.models import Change, HostedZone
from app.db.session import LockTimeout, write_transaction
from app.errors import (
    ConcurrentModification,
    HostedZoneAlreadyExists,
    KeySigningKeyAlreadyExists,
    NoSuchHostedZone,
    Route53Error,
)
from app.kms.backend import KmsBackend

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
    "uq_hosted_zone_caller_reference": lambda: HostedZoneAlreadyExists(
        "A hosted zone has already been created with the specified caller reference."
    ),
}
_SQLITE_CONSTRAINT_COLUMNS = {
    "key_signing_key.hosted_zone_id, key_signing_key.name": "uq_key_signing_key_hosted_zone_id_name",
    "key_signing_key.hosted_zone_id, key_signing_key.kms_arn": "uq_key_signing_key_hosted_zone_id_kms_arn",
    "hosted_zone.caller_reference": "uq_hosted_zone_caller_reference",
}


def new_id(prefix: str) -> str:
    """A Route 53 style id: the prefix and 19 upper-case letters and digits (``Z0495682VQJK7N9GFOQI``)."""
    return prefix + "".join(secrets.choice(_ID_ALPHABET) for _ in range(19))


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
    """What a ``ZoneWrite`` sees: the locked zones of the batch, the session to add to, and the clock."""

    session: AsyncSession
    zones: dict[str, HostedZone]
    caller_references: set[str]
    kms: KmsBackend
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def zone(self, zone_id: str) -> HostedZone:
        """The locked zone, or NoSuchHostedZone."""
        zone = self.zones.get(zone_id)
        if zone is None:
            raise NoSuchHostedZone(f"No hosted zone found with ID: {zone_id}")
        return zone

    def add_zone(self, zone: HostedZone) -> None:
        self.session.add(zone)
        self.zones[zone.id] = zone
        self.caller_references.add(zone.caller_reference)

    def delete_zone(self, zone: HostedZone) -> None:
        self.zones.pop(zone.id)
        self.caller_references.discard(zone.caller_reference)
        self.session.sync_session.delete(zone)  # tags go by the foreign key's ON DELETE CASCADE

    def record_change(self, comment: str | None = None) -> Change:
        """Insert the change record of this write (Route 53 ChangeInfo)."""
        change = Change(id=new_id("C"), submitted_at=self.now, comment=comment)
        self.session.add(change)
        return change


class ZoneWrite(Protocol[T_co]):
    """One client request's state change. ``zone_ids`` are locked and loaded before ``apply`` runs;
    ``caller_reference`` (CreateHostedZone) is checked against the zones that exist."""

    @property
    def zone_ids(self) -> Collection[str]: ...

    @property
    def caller_reference(self) -> str | None: ...

    async def apply(self, ctx: WriteContext) -> T_co: ...


@dataclass
class _Pending(Generic[T]):
    write: ZoneWrite[T]
    future: "asyncio.Future[T]"


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

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def submit(self, write: ZoneWrite[T], *, fault_injectable: bool = False) -> T:
        """Run ``write`` in the next batch and return its result once that batch has committed."""
        rate = self._settings.fault_concurrent_modification_rate
        if fault_injectable and rate and random.random() < rate:
            raise ConcurrentModification(_CONCURRENT_MESSAGE)
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Pending(write, future))
        return await future

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < self._settings.batch_max_size and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            batch = [pending for pending in batch if not pending.future.cancelled()]
            try:
                await self._commit_batch(batch)
            except Exception:
                for pending in batch:
                    await self._commit_batch([pending])

    async def _commit_batch(self, batch: list["_Pending[Any]"]) -> None:
        """Apply and commit ``batch`` in one transaction and settle every future; re-raise a failure of the
        whole batch when it holds several requests, so they can be retried one by one."""
        outcomes: list[tuple[bool, Any]] = []
        try:
            async with write_transaction(self._sessionmaker, self._settings.lock_timeout_ms) as session:
                ctx = await self._load(session, batch)
                for pending in batch:
                    try:
                        outcomes.append((True, await pending.write.apply(ctx)))
                    except Route53Error as error:
                        outcomes.append((False, error))
        except LockTimeout:
            outcomes = [(False, ConcurrentModification(_CONCURRENT_MESSAGE))] * len(batch)
        except IntegrityError as error:
            mapped = constraint_error(error)
            if len(batch) > 1 or mapped is None:
                raise
            outcomes = [(False, mapped)]
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

    async def _load(self, session: AsyncSession, batch: list["_Pending[Any]"]) -> WriteContext:
        zone_ids = sorted({zone_id for pending in batch for zone_id in pending.write.zone_ids})
        zones: dict[str, HostedZone] = {}
        if zone_ids:
            result = await session.scalars(
                select(HostedZone)
                .where(HostedZone.id.in_(zone_ids))
                .order_by(HostedZone.id)
                .with_for_update(of=HostedZone)
                .options(selectinload(HostedZone.key_signing_keys))
            )
            zones = {zone.id: zone for zone in result}
        references = {p.write.caller_reference for p in batch if p.write.caller_reference is not None}
        taken: set[str] = set()
        if references:
            taken = set(
                await session.scalars(
                    select(HostedZone.caller_reference).where(HostedZone.caller_reference.in_(references))
                )
            )
        return WriteContext(session=session, zones=zones, caller_references=taken, kms=self._kms)


_CONCURRENT_MESSAGE = (
    "Another user submitted a request to create, update, or delete the object at the same time that you "
    "did. Retry the request."
)
