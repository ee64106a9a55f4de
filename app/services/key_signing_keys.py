"""Key-signing keys: CreateKeySigningKey, ActivateKeySigningKey, DeactivateKeySigningKey and
DeleteKeySigningKey (Route 53 API Reference), with the rules of the Route 53 Developer Guide,
"Working with customer managed keys for DNSSEC".

Request-level checks (name, status, the KMS key) run before the write transaction; zone-level rules run
inside it, under the zone lock (see app.services.writer).
"""

import re
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db.models import HostedZone, KeySigningKey
from app.dnssec.records import KskMaterial, derive_ksk_material
from app.errors import (
    InvalidArgument,
    InvalidKeySigningKeyName,
    InvalidKeySigningKeyStatus,
    InvalidSigningStatus,
    KeySigningKeyAlreadyExists,
    KeySigningKeyInUse,
    NoSuchKeySigningKey,
    TooManyKeySigningKeys,
)
from app.kms.backend import KmsBackend
from app.kms.checks import resolve_dnssec_key
from app.services.dnssec_state import ACTION_NEEDED, effective_dnssec, watched_arns
from app.services.parent_zone import refuse_parent_ds
from app.services.rows import KeyRow, ZoneRow
from app.services.views import ChangeView, KskView
from app.services.writer import OneZoneWrite, WriteContext, ZoneWriter
from app.services.zone_signing import ZoneSigningService

MAX_KEYS_PER_ZONE = 2
_NAME = re.compile(r"[A-Za-z0-9_.\-]+")
PRIVATE_ZONE_MESSAGE = "Operation is unsupported for private hosted zones."


def check_name(name: str) -> None:
    """Letters, digits and underscores as documented, plus the hyphens and dots real Route 53 accepts."""
    if not _NAME.fullmatch(name):
        raise InvalidKeySigningKeyName(
            f"The key-signing key name '{name}' is not valid. A name can contain only letters, digits, "
            "underscores (_), hyphens (-) and periods (.)."
        )


def check_initial_status(status: str) -> None:
    if status not in ("ACTIVE", "INACTIVE"):
        raise InvalidKeySigningKeyStatus(
            f"The key-signing key status '{status}' is not valid. Specify ACTIVE or INACTIVE."
        )


def public_zone(ctx: WriteContext, zone_id: str) -> ZoneRow:
    zone = ctx.zone(zone_id)
    if zone.private_zone:
        raise InvalidArgument(PRIVATE_ZONE_MESSAGE)
    return zone


def find_key(ctx: WriteContext, zone_id: str, name: str) -> tuple[ZoneRow, KeyRow]:
    """The zone and its KSK named ``name``, or NoSuchKeySigningKey (also for a missing zone: the KSK
    operations do not model NoSuchHostedZone)."""
    zone = ctx.visible_zone(zone_id)
    key = next((k for k in zone.keys if k.name == name), None) if zone else None
    if zone is None or key is None:
        raise no_such_key(zone_id, name)
    return zone, key


def no_such_key(zone_id: str, name: str) -> NoSuchKeySigningKey:
    return NoSuchKeySigningKey(f"No key-signing key named '{name}' exists in hosted zone '{zone_id}'.")


T = TypeVar("T")


@dataclass
class KskWrite(OneZoneWrite, Generic[T]):
    """A KSK operation's write; ``zone_signs`` tells, once applied, whether the zone signed at that moment
    (only then do its DNSKEY signatures need a refresh: a zone that starts signing later is refreshed by
    EnableHostedZoneDNSSEC, which reads every KSK committed before it)."""

    zone_signs: bool = field(default=False, init=False, compare=False)

    def note_signing(self, zone: ZoneRow) -> None:
        self.zone_signs = zone.serve_signature == "SIGNING" and not zone.private_zone

    async def apply(self, ctx: WriteContext) -> T:
        raise NotImplementedError


@dataclass
class CreateKey(KskWrite[tuple[KskView, ChangeView]]):
    name: str
    kms_arn: str
    status: str
    spki_der: bytes

    async def apply(self, ctx: WriteContext) -> tuple[KskView, ChangeView]:
        zone = public_zone(ctx, self.zone_id)
        await _refuse_unusable_signing(ctx, zone)
        keys = zone.keys
        if any(key.name == self.name for key in keys):
            raise KeySigningKeyAlreadyExists(
                f"A key-signing key named '{self.name}' already exists in hosted zone '{zone.id}'."
            )
        if any(key.kms_arn == self.kms_arn for key in keys):
            raise KeySigningKeyAlreadyExists(
                f"A key-signing key using the KMS key '{self.kms_arn}' already exists in hosted zone '{zone.id}'."
            )
        if len(keys) >= MAX_KEYS_PER_ZONE:
            raise TooManyKeySigningKeys(
                f"Hosted zone '{zone.id}' already has {MAX_KEYS_PER_ZONE} key-signing keys, the most a hosted "
                "zone can have. Delete a key-signing key, and then try again."
            )
        material: KskMaterial = derive_ksk_material(zone.name, self.spki_der)
        key = KeyRow(
            hosted_zone_id=zone.id,
            name=self.name,
            kms_arn=self.kms_arn,
            status=self.status,
            key_tag=material.key_tag,
            digest_value=material.digest_value,
            public_key=material.public_key,
            status_message=None,
            created_at=ctx.now,
            last_modified_at=ctx.now,
        )
        ctx.add_key(zone, key)
        self.note_signing(zone)
        return KskView.of(key), ctx.record_change()


async def _refuse_unusable_signing(ctx: WriteContext, zone: ZoneRow) -> None:
    """InvalidSigningStatus while the zone signs but no ACTIVE key can be used (its ServeSignature is
    ACTION_NEEDED): repair the KMS key and activate, or disable signing, first."""
    if zone.serve_signature != "SIGNING":
        return
    keys = [KskView.of(key) for key in zone.keys]
    views = await ctx.kms.describe_many(watched_arns(keys))
    if effective_dnssec(zone.serve_signature, keys, views, zone.account_id).serve_signature == ACTION_NEEDED:
        raise InvalidSigningStatus(
            f"The DNSSEC signing status of hosted zone '{zone.id}' is ACTION_NEEDED. Activate a usable "
            "key-signing key or disable DNSSEC signing, and then try again."
        )


async def _refuse_last_usable_key(ctx: WriteContext, zone: ZoneRow, key: KeyRow) -> None:
    """KeySigningKeyInUse unless another ACTIVE key of the signing zone can sign (its KMS key is usable), so a
    signing zone never loses its last ACTIVE key; with none usable, disable signing first."""
    others = [KskView.of(other) for other in zone.keys if other is not key and other.status == "ACTIVE"]
    views = await ctx.kms.describe_many(watched_arns(others))
    live = effective_dnssec("SIGNING", others, views, zone.account_id)
    if not any(other.status == "ACTIVE" for other in live.key_signing_keys):
        raise KeySigningKeyInUse(
            f"The key-signing key '{key.name}' cannot be deactivated: hosted zone '{zone.id}' has DNSSEC signing "
            "enabled and no other usable ACTIVE key-signing key. Disable DNSSEC signing, or activate another "
            "key-signing key, and then try again."
        )


@dataclass
class SetKeyStatus(KskWrite[ChangeView]):
    """ActivateKeySigningKey (``status`` ACTIVE) or DeactivateKeySigningKey (INACTIVE)."""

    name: str
    status: str
    kms_arn: str | None = None

    async def apply(self, ctx: WriteContext) -> ChangeView:
        zone, key = find_key(ctx, self.zone_id, self.name)
        if self.kms_arn is not None and key.kms_arn != self.kms_arn:
            raise no_such_key(self.zone_id, self.name)  # deleted and re-created since the KMS check
        if self.status == "INACTIVE" and key.status == "ACTIVE" and zone.serve_signature == "SIGNING":
            await _refuse_last_usable_key(ctx, zone, key)
            await refuse_parent_ds(ctx.session, zone, [key], disabling=False)
        key.status = self.status
        key.status_message = None
        key.last_modified_at = ctx.now
        ctx.key_changed(key)
        self.note_signing(zone)
        return ctx.record_change()


@dataclass
class DeleteKey(KskWrite[ChangeView]):
    name: str

    async def apply(self, ctx: WriteContext) -> ChangeView:
        zone, key = find_key(ctx, self.zone_id, self.name)
        if key.status != "INACTIVE":
            raise InvalidKeySigningKeyStatus(
                f"Key Signing Key with name {key.name} cannot be deleted because current status is not INACTIVE."
            )
        ctx.delete_key(zone, key)
        self.note_signing(zone)
        return ctx.record_change()


class KeySigningKeys:
    """The KSK operations; after each one on a signing zone, the zone's DNSKEY signatures are refreshed
    (Route 53 refreshes its RRSIGs on every KSK operation) before the answer goes out."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        writer: ZoneWriter,
        kms: KmsBackend,
        signing: ZoneSigningService,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._writer = writer
        self._kms = kms
        self._signing = signing

    async def create(
        self, account: str, zone_id: str, name: str, kms_arn: str, status: str
    ) -> tuple[KskView, ChangeView]:
        """Checks in the documented order: name, status, KMS key (for a zone of ``account``: a key of another
        account must grant it), then (under the zone lock) zone, private zone, signing status, duplicate
        name, duplicate KMS key, the limit of two."""
        check_name(name)
        check_initial_status(status)
        spki_der = await resolve_dnssec_key(kms_arn, self._kms, account)
        return await self._submit(CreateKey(zone_id, name, kms_arn, status, spki_der), account)

    async def activate(self, account: str, zone_id: str, name: str) -> ChangeView:
        """Re-checks the KMS key (InvalidKMSArn), then makes the key ACTIVE; activating an ACTIVE key
        succeeds and clears ACTION_NEEDED once the KMS key is usable again."""
        kms_arn = await self._kms_arn_of(account, zone_id, name)
        await resolve_dnssec_key(kms_arn, self._kms, account)
        return await self._submit(SetKeyStatus(zone_id, name, "ACTIVE", kms_arn), account)

    async def deactivate(self, account: str, zone_id: str, name: str) -> ChangeView:
        """KeySigningKeyInUse for the last usable ACTIVE key of a signing zone, then
        KeySigningKeyInParentDSRecord while the parent hosted zone has a DS for the key."""
        return await self._submit(SetKeyStatus(zone_id, name, "INACTIVE"), account)

    async def delete(self, account: str, zone_id: str, name: str) -> ChangeView:
        return await self._submit(DeleteKey(zone_id, name), account)

    async def _submit(self, write: KskWrite[T], account: str) -> T:
        """Run the write for ``account``, then refresh the zone's signatures if it signs."""
        result = await self._writer.submit(write, account, fault_injectable=True)
        if write.zone_signs:
            await self._signing.refresh(write.zone_id)
        return result

    async def _kms_arn_of(self, account: str, zone_id: str, name: str) -> str:
        ksk, zone = KeySigningKey, HostedZone
        async with self._sessionmaker() as session:
            kms_arn = await session.scalar(
                select(ksk.kms_arn)
                .join(zone, zone.id == ksk.hosted_zone_id)
                .where(ksk.hosted_zone_id == zone_id, ksk.name == name, zone.account_id == account)
            )
        if kms_arn is None:
            raise no_such_key(zone_id, name)
        return kms_arn
