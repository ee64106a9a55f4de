"""zone signing keys and DNSKEY signatures

The zone-signing keys Route 53 makes for signing zones, with their rollover schedule, and the DNSKEY RRSIGs
made ahead of time through KMS Sign; both go with their zone.

Revision ID: e1099d16e210
Revises: 044d68ce0273
Create Date: 2026-12-03 23:40:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "e1099d16e210"
down_revision: str | Sequence[str] | None = "044d68ce0273"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "zone_signing_key",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("hosted_zone_id", sa.String(length=32), nullable=False),
        sa.Column("key_tag", sa.Integer(), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("private_key", sa.LargeBinary(), nullable=False),
        sa.Column("publish_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("activate_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retire_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("remove_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["hosted_zone_id"],
            ["hosted_zone.id"],
            name=op.f("fk_zone_signing_key_hosted_zone_id_hosted_zone"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_zone_signing_key")),
    )
    with op.batch_alter_table("zone_signing_key", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_zone_signing_key_hosted_zone_id"), ["hosted_zone_id"], unique=False)

    op.create_table(
        "dnskey_signature",
        sa.Column("hosted_zone_id", sa.String(length=32), nullable=False),
        sa.Column("key_set", sa.String(length=64), nullable=False),
        sa.Column("kms_arn", sa.String(length=2048), nullable=False),
        sa.Column("slot", sa.BigInteger(), nullable=False),
        sa.Column("expiration", sa.BigInteger(), nullable=False),
        sa.Column("rrsig", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["hosted_zone_id"],
            ["hosted_zone.id"],
            name=op.f("fk_dnskey_signature_hosted_zone_id_hosted_zone"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("hosted_zone_id", "key_set", "kms_arn", "slot", name=op.f("pk_dnskey_signature")),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("dnskey_signature")
    with op.batch_alter_table("zone_signing_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_zone_signing_key_hosted_zone_id"))
    op.drop_table("zone_signing_key")
