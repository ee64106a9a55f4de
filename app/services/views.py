"""Immutable snapshots of committed state, taken inside a write batch or a read, for the protocol layer
to render. A later request in the same batch cannot change a snapshot already taken."""

from dataclasses import dataclass
from datetime import datetime

from app.db.models import Change
from app.services.rows import KeyRow, ZoneRow


@dataclass(frozen=True)
class ChangeView:
    id: str
    submitted_at: datetime
    comment: str | None

    @classmethod
    def of(cls, change: Change) -> "ChangeView":
        return cls(change.id, change.submitted_at, change.comment)


@dataclass(frozen=True)
class ZoneView:
    id: str
    name: str
    caller_reference: str
    comment: str | None
    vpc_id: str | None
    vpc_region: str | None
    record_set_count: int
    account_id: str

    @property
    def private_zone(self) -> bool:
        return self.vpc_id is not None

    @classmethod
    def of(cls, zone: ZoneRow) -> "ZoneView":
        return cls(
            zone.id,
            zone.name,
            zone.caller_reference,
            zone.comment,
            zone.vpc_id,
            zone.vpc_region,
            zone.record_set_count,
            zone.account_id,
        )


@dataclass(frozen=True)
class KskView:
    name: str
    kms_arn: str
    key_tag: int
    digest_value: str
    public_key: str
    status: str
    status_message: str | None
    created_at: datetime
    last_modified_at: datetime

    @classmethod
    def of(cls, ksk: KeyRow) -> "KskView":
        return cls(
            ksk.name,
            ksk.kms_arn,
            ksk.key_tag,
            ksk.digest_value,
            ksk.public_key,
            ksk.status,
            ksk.status_message,
            ksk.created_at,
            ksk.last_modified_at,
        )


@dataclass(frozen=True)
class DnssecView:
    serve_signature: str
    status_message: str | None
    key_signing_keys: tuple[KskView, ...]
