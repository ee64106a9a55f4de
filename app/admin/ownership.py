"""Which rows of each table make up one account's state, in the order they can be inserted (parents first).

Hosted zones, change records, health checks with their caller references, KMS keys and aliases carry their
account; record sets, tags, KSKs, zone-signing keys and DNSKEY signatures belong to their zone's account,
health-check tags to their check's. ``store_reset`` and Alembic's table are the service's own.
"""

from typing import cast

from sqlalchemy import ColumnElement, Table, or_, select

from app.db.models import (
    Change,
    DnskeySignature,
    HealthCheck,
    HealthCheckCallerReference,
    HealthCheckTag,
    HostedZone,
    HostedZoneTag,
    KeySigningKey,
    ResourceRecordSet,
    ZoneSigningKey,
)
from app.kms.models import KmsAlias, KmsKey

ACCOUNT_TABLES: tuple[Table, ...] = tuple(
    cast(Table, model.__table__)
    for model in (
        HostedZone,
        HostedZoneTag,
        ResourceRecordSet,
        KeySigningKey,
        ZoneSigningKey,
        DnskeySignature,
        Change,
        HealthCheck,
        HealthCheckTag,
        HealthCheckCallerReference,
        KmsKey,
        KmsAlias,
    )
)
# Autoincrement ids no API answer shows: an import lets the database give new ones (sequences stay right).
GENERATED_IDS = {"key_signing_key": "id", "zone_signing_key": "id"}


def owned_by(table: Table, account: str) -> ColumnElement[bool]:
    """The condition that selects ``account``'s rows of ``table``."""
    zones = select(HostedZone.id).where(HostedZone.account_id == account).scalar_subquery()
    checks = select(HealthCheck.id).where(HealthCheck.account_id == account).scalar_subquery()
    keys = select(KmsKey.key_id).where(KmsKey.account_id == account).scalar_subquery()
    column = table.c
    if "hosted_zone_id" in column:
        return column.hosted_zone_id.in_(zones)
    if "health_check_id" in column and table.name == "health_check_tag":
        return column.health_check_id.in_(checks)
    if table.name == "kms_alias":
        return or_(column.account_id == account, column.target_key_id.in_(keys))
    return column.account_id == account
