"""record sets and health checks

The resource_record_set table, each zone's record-set count and revision, and the apex SOA and NS of every
existing zone, which until now were derived on the fly; health_check, its tags, and the caller references
CreateHealthCheck used.

Revision ID: 044d68ce0273
Revises: 58b7851bbd95
Create Date: 2026-12-01 21:48:43.321798

"""

import hashlib
import json
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "044d68ce0273"
down_revision: str | Sequence[str] | None = "58b7851bbd95"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SUFFIXES = ("com", "net", "org", "co.uk")
_PLAIN = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789-_")


def _record_sort_key(zone_name: str) -> str:
    """The apex's record sort key: labels reversed, octal escapes decoded, lower-cased and re-escaped as
    Route 53 returns names (frozen copy of app.records.names at this revision)."""
    keys = []
    for label in zone_name.rstrip(".").split("."):
        octets = re.sub(r"\\([0-3][0-7]{2})", lambda m: chr(int(m.group(1), 8)), label).encode("latin-1").lower()
        keys.append("".join(chr(o) if o in _PLAIN else f"\\{o:03o}" for o in octets))
    return ".".join(reversed(keys)) + "."


def _name_servers(zone_id: str) -> list[str]:
    """The four name servers the service has always given a zone (frozen copy of
    app.services.hosted_zones.name_servers at this revision)."""
    digest = hashlib.sha256(zone_id.encode()).digest()
    return [
        f"ns-{int.from_bytes(digest[2 * i : 2 * i + 2], 'big') % 2048}.awsdns-{digest[8 + i] % 64:02d}.{suffix}."
        for i, suffix in enumerate(_SUFFIXES)
    ]


def upgrade() -> None:
    """Upgrade schema."""
    record_sets = op.create_table(
        "resource_record_set",
        sa.Column("hosted_zone_id", sa.String(length=32), nullable=False),
        sa.Column(
            "sort_name",
            sa.String(length=1024).with_variant(sa.String(length=1024, collation="C"), "postgresql"),
            nullable=False,
        ),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("set_identifier", sa.String(length=128), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["hosted_zone_id"], ["hosted_zone.id"], name=op.f("fk_resource_record_set_hosted_zone_id_hosted_zone")
        ),
        sa.PrimaryKeyConstraint(
            "hosted_zone_id", "sort_name", "type", "set_identifier", name=op.f("pk_resource_record_set")
        ),
    )
    with op.batch_alter_table("hosted_zone", schema=None) as batch_op:
        batch_op.add_column(sa.Column("record_set_count", sa.Integer(), server_default=sa.text("2"), nullable=False))
        batch_op.add_column(sa.Column("revision", sa.Integer(), server_default=sa.text("0"), nullable=False))

    op.create_table(
        "health_check",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("caller_reference", sa.String(length=64), nullable=False),
        sa.Column("config", sa.Text(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_check")),
    )
    op.create_table(
        "health_check_caller_reference",
        sa.Column("caller_reference", sa.String(length=64), nullable=False),
        sa.Column("health_check_id", sa.String(length=64), nullable=False),
        sa.Column("config", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("caller_reference", name=op.f("pk_health_check_caller_reference")),
    )
    op.create_table(
        "health_check_tag",
        sa.Column("health_check_id", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("value", sa.String(length=256), nullable=False),
        sa.ForeignKeyConstraint(
            ["health_check_id"],
            ["health_check.id"],
            name=op.f("fk_health_check_tag_health_check_id_health_check"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("health_check_id", "key", name=op.f("pk_health_check_tag")),
    )

    zones = op.get_bind().execute(sa.text("SELECT id, name FROM hosted_zone")).all()
    rows = []
    for zone_id, zone_name in zones:
        servers = _name_servers(zone_id)
        soa = f"{servers[0]} awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400"
        for type_, document in (
            ("NS", {"TTL": 172800, "ResourceRecords": servers}),
            ("SOA", {"TTL": 900, "ResourceRecords": [soa]}),
        ):
            rows.append(
                {
                    "hosted_zone_id": zone_id,
                    "sort_name": _record_sort_key(zone_name),
                    "type": type_,
                    "set_identifier": "",
                    "document": json.dumps(document, separators=(",", ":")),
                }
            )
    if rows:
        op.bulk_insert(record_sets, rows)


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("health_check_tag")
    op.drop_table("health_check_caller_reference")
    op.drop_table("health_check")
    with op.batch_alter_table("hosted_zone", schema=None) as batch_op:
        batch_op.drop_column("revision")
        batch_op.drop_column("record_set_count")

    op.drop_table("resource_record_set")
