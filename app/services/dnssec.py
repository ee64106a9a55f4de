"""Zone-level DNSSEC: GetDNSSEC, EnableHostedZoneDNSSEC and DisableHostedZoneDNSSEC (Route 53 API Reference)."""

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db.batch_loader import BatchLoader
from app.errors import (
    DNSSECNotFound,
    InvalidArgument,
    InvalidKMSArn,
    KeySigningKeyWithActiveStatusNotFound,
    NoSuchHostedZone,
)
from app.kms.backend import KmsBackend
from app.services.dnssec_state import effective_dnssec, watched_arns
from app.services.key_signing_keys import PRIVATE_ZONE_MESSAGE, public_zone
from app.services.parent_zone import refuse_parent_ds, refuse_partial_delegation
from app.services.rows import read_zones_with_keys
from app.services.views import ChangeView, DnssecView, KskView
from app.services.writer import OneZoneWrite, WriteContext, ZoneWriter
from app.services.zone_signing import ZoneSigningService


@dataclass
class EnableSigning(OneZoneWrite):
    """Needs an ACTIVE key whose KMS key is usable, and a parent hosted zone (if any) that delegates to all of
    the zone's name servers or to none; enabling a signing zone succeeds again."""

    async def apply(self, ctx: WriteContext) -> ChangeView:
        zone = public_zone(ctx, self.zone_id)
        active = [KskView.of(key) for key in zone.keys if key.status == "ACTIVE"]
        if not active:
            raise KeySigningKeyWithActiveStatusNotFound(
                f"Hosted zone with ID '{zone.id}' does not have a Key Signing Key in ACTIVE status."
            )
        views = await ctx.kms.describe_many(watched_arns(active))
        live = effective_dnssec("SIGNING", active, views, zone.account_id)
        if not any(key.status == "ACTIVE" for key in live.key_signing_keys):
            raise InvalidKMSArn(live.key_signing_keys[0].status_message or "")
        if zone.serve_signature != "SIGNING":
            await refuse_partial_delegation(ctx.session, zone)
        zone.serve_signature = "SIGNING"
        ctx.zone_changed(zone)
        return ctx.record_change()


@dataclass
class DisableSigning(OneZoneWrite):
    """Stops signing; KSKs keep their status. DNSSECNotFound on a zone that neither signs nor has a KSK;
    KeySigningKeyInParentDSRecord for a signing zone whose parent hosted zone has a DS for one of its KSKs."""

    async def apply(self, ctx: WriteContext) -> ChangeView:
        zone = public_zone(ctx, self.zone_id)
        if zone.serve_signature == "NOT_SIGNING" and not zone.keys:
            raise DNSSECNotFound(f"Hosted zone '{zone.id}' does not have any DNSSEC resources.")
        if zone.serve_signature == "SIGNING":
            await refuse_parent_ds(ctx.session, zone, zone.keys, disabling=True)
        zone.serve_signature = "NOT_SIGNING"
        ctx.zone_changed(zone)
        return ctx.record_change()


@dataclass(frozen=True)
class _StoredDnssec:
    account_id: str
    private_zone: bool
    serve_signature: str
    keys: tuple[KskView, ...]


class Dnssec:
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
        self._loader: BatchLoader[str, _StoredDnssec] = BatchLoader(self._fetch)

    async def get(self, account: str, zone_id: str) -> DnssecView:
        """The zone's signing status and every KSK, with ACTION_NEEDED evaluated from KMS now."""
        stored = await self._loader.load(zone_id)
        if stored is None or stored.account_id != account:
            raise NoSuchHostedZone(f"No hosted zone found with ID: {zone_id}")
        if stored.private_zone:
            raise InvalidArgument(PRIVATE_ZONE_MESSAGE)
        views = await self._kms.describe_many(watched_arns(stored.keys))
        return effective_dnssec(stored.serve_signature, stored.keys, views, stored.account_id)

    async def _fetch(self, zone_ids: list[str]) -> dict[str, _StoredDnssec]:
        async with self._sessionmaker() as session:
            zones = await read_zones_with_keys(session, zone_ids)
        return {
            zone.id: _StoredDnssec(
                zone.account_id, zone.private_zone, zone.serve_signature, tuple(KskView.of(key) for key in zone.keys)
            )
            for zone in zones
        }

    async def enable(self, account: str, zone_id: str) -> ChangeView:
        """Enables signing, then makes the zone's first ZSK and DNSKEY signatures before answering."""
        change = await self._writer.submit(EnableSigning(zone_id), account, fault_injectable=True)
        await self._signing.refresh(zone_id)
        return change

    async def disable(self, account: str, zone_id: str) -> ChangeView:
        return await self._writer.submit(DisableSigning(zone_id), account, fault_injectable=True)
