"""accounts and sealed key material

Hosted zones, change records, health checks (with their caller references) and KMS aliases belong to an
account; record sets, tags, KSKs and zone-signing keys belong to their zone's. Existing rows go to the
configured ``R53_ACCOUNT_ID`` (123456789012 when unset): the account every request acted for before.
Caller references become unique per account.

KMS key material and zone-signing private keys are sealed with the master key (``app.secrets``); the
migration reads the same setting or key file the service does, and seals every row stored in the clear.

Revision ID: 5b0c6a1d9e37
Revises: e1099d16e210
Create Date: 2026-12-04 06:40:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.config import Settings
from app.secrets import Sealer, is_sealed, kms_key_context, sealer, zsk_context

# revision identifiers, used by Alembic.
revision: str = "5b0c6a1d9e37"
down_revision: str | Sequence[str] | None = "e1099d16e210"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACCOUNT = sa.String(length=12)


def _settings() -> Settings:
    settings = op.get_context().config.attributes.get("settings")  # type: ignore[union-attr]
    return settings if isinstance(settings, Settings) else Settings()


def _add_account(table: str, account: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.add_column(sa.Column("account_id", ACCOUNT, nullable=True))
    op.execute(sa.text(f"UPDATE {table} SET account_id = :account").bindparams(account=account))
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.alter_column("account_id", existing_type=ACCOUNT, nullable=False)


def upgrade() -> None:
    """Upgrade schema."""
    settings = _settings()
    account = settings.account_id
    for table in ("hosted_zone", "change", "health_check", "health_check_caller_reference", "kms_alias"):
        _add_account(table, account)
    with op.batch_alter_table("hosted_zone", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_hosted_zone_caller_reference"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_hosted_zone_account_id_caller_reference"), ["account_id", "caller_reference"]
        )
        batch_op.drop_index(batch_op.f("ix_hosted_zone_sort_name_hosted_zone_id"))
        batch_op.create_index(
            batch_op.f("ix_hosted_zone_account_id_hosted_zone_sort_name_hosted_zone_id"),
            ["account_id", "sort_name", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_hosted_zone_account_id_hosted_zone_id"), ["account_id", "id"], unique=False
        )
    with op.batch_alter_table("health_check", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_health_check_account_id_health_check_id"), ["account_id", "id"], unique=False
        )
    with op.batch_alter_table("health_check_caller_reference", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("pk_health_check_caller_reference"), type_="primary")
        batch_op.create_primary_key(batch_op.f("pk_health_check_caller_reference"), ["account_id", "caller_reference"])
    with op.batch_alter_table("kms_alias", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("pk_kms_alias"), type_="primary")
        batch_op.create_primary_key(batch_op.f("pk_kms_alias"), ["account_id", "region", "alias_name"])
    _reseal(sealer(settings), seal=True)
    _check_references()


def _check_references() -> None:
    """SQLite runs migrations without foreign-key enforcement (``app.db.session.create_engine``): make sure the
    rebuilt tables left every reference whole."""
    connection = op.get_bind()
    if connection.dialect.name == "sqlite":
        broken = connection.execute(sa.text("PRAGMA foreign_key_check")).all()
        if broken:
            raise RuntimeError(f"rows refer to missing rows after the migration: {broken[:5]}")


def downgrade() -> None:
    """Downgrade schema."""
    _reseal(sealer(_settings()), seal=False)
    with op.batch_alter_table("kms_alias", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("pk_kms_alias"), type_="primary")
        batch_op.create_primary_key(batch_op.f("pk_kms_alias"), ["region", "alias_name"])
    with op.batch_alter_table("health_check_caller_reference", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("pk_health_check_caller_reference"), type_="primary")
        batch_op.create_primary_key(batch_op.f("pk_health_check_caller_reference"), ["caller_reference"])
    with op.batch_alter_table("health_check", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_health_check_account_id_health_check_id"))
    with op.batch_alter_table("hosted_zone", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hosted_zone_account_id_hosted_zone_id"))
        batch_op.drop_index(batch_op.f("ix_hosted_zone_account_id_hosted_zone_sort_name_hosted_zone_id"))
        batch_op.create_index(batch_op.f("ix_hosted_zone_sort_name_hosted_zone_id"), ["sort_name", "id"], unique=False)
        batch_op.drop_constraint(batch_op.f("uq_hosted_zone_account_id_caller_reference"), type_="unique")
        batch_op.create_unique_constraint(batch_op.f("uq_hosted_zone_caller_reference"), ["caller_reference"])
    for table in ("kms_alias", "health_check_caller_reference", "health_check", "change", "hosted_zone"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("account_id")


def _reseal(box: Sealer, *, seal: bool) -> None:
    """Seal every key stored in the clear (``seal``), or open every sealed one back (downgrade)."""
    connection = op.get_bind()
    kms_keys = connection.execute(sa.text("SELECT key_id, private_key FROM kms_key")).all()
    for key_id, stored in kms_keys:
        value = _converted(box, bytes(stored), kms_key_context(key_id), seal)
        if value is not None:
            connection.execute(
                sa.text("UPDATE kms_key SET private_key = :value WHERE key_id = :id"), {"value": value, "id": key_id}
            )
    zsks = connection.execute(sa.text("SELECT id, hosted_zone_id, public_key, private_key FROM zone_signing_key"))
    for row_id, zone_id, public_key, stored in zsks.all():
        value = _converted(box, bytes(stored), zsk_context(zone_id, bytes(public_key)), seal)
        if value is not None:
            connection.execute(
                sa.text("UPDATE zone_signing_key SET private_key = :value WHERE id = :id"),
                {"value": value, "id": row_id},
            )


def _converted(box: Sealer, stored: bytes, context: bytes, seal: bool) -> bytes | None:
    if seal:
        return None if is_sealed(stored) else box.seal(stored, context)
    return box.open(stored, context) if is_sealed(stored) else None
