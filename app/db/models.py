"""Route 53 tables: hosted zones, their record sets, tags and key-signing keys, change records, and health
checks with their tags and caller references.

Change records have no foreign key to their zone: GetChange must answer for DeleteHostedZone's change after
the zone is gone (Route 53 API Reference, GetChange). Health-check caller references likewise outlive their
check: a reference used by a deleted check stays taken (Route 53 API Reference, CreateHealthCheck).
"""

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db.base import Base, UtcDateTime


class HostedZone(Base):
    __tablename__ = "hosted_zone"
    __table_args__ = (Index(None, "sort_name", "id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(1024))
    sort_name: Mapped[str] = mapped_column(String(1024))
    caller_reference: Mapped[str] = mapped_column(String(128), unique=True)
    comment: Mapped[str | None] = mapped_column(String(256))
    vpc_id: Mapped[str | None] = mapped_column(String(64))
    vpc_region: Mapped[str | None] = mapped_column(String(64))
    serve_signature: Mapped[str] = mapped_column(String(32), default="NOT_SIGNING")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    record_set_count: Mapped[int] = mapped_column(server_default=text("2"))
    # Goes up with every committed change to the zone, its record sets or its KSKs (DNS answers follow it).
    revision: Mapped[int] = mapped_column(server_default=text("0"))

    tags: Mapped[list["HostedZoneTag"]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="HostedZoneTag.key", lazy="raise"
    )


class HostedZoneTag(Base):
    __tablename__ = "hosted_zone_tag"

    hosted_zone_id: Mapped[str] = mapped_column(ForeignKey("hosted_zone.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[str] = mapped_column(String(256))


# ASCII order on every dialect, whatever the PostgreSQL database's collation: the ListResourceRecordSets order.
SORT_NAME = String(1024).with_variant(String(1024, collation="C"), "postgresql")


class ResourceRecordSet(Base):
    """A record set, keyed as ListResourceRecordSets orders them: name with labels reversed
    (``app.records.names``), type, set identifier (``""`` for none); the other members as a JSON document
    (``app.records.record_set``)."""

    __tablename__ = "resource_record_set"

    hosted_zone_id: Mapped[str] = mapped_column(ForeignKey("hosted_zone.id"), primary_key=True)
    sort_name: Mapped[str] = mapped_column(SORT_NAME, primary_key=True)
    type: Mapped[str] = mapped_column(String(16), primary_key=True)
    set_identifier: Mapped[str] = mapped_column(String(128), primary_key=True)
    document: Mapped[str] = mapped_column(Text)


class KeySigningKey(Base):
    """A KSK and the DNSSEC material derived from its KMS public key (RFC 4034, RFC 6605)."""

    __tablename__ = "key_signing_key"
    __table_args__ = (
        UniqueConstraint("hosted_zone_id", "name"),
        UniqueConstraint("hosted_zone_id", "kms_arn"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    hosted_zone_id: Mapped[str] = mapped_column(ForeignKey("hosted_zone.id"))
    name: Mapped[str] = mapped_column(String(128))
    kms_arn: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(150))
    status_message: Mapped[str | None] = mapped_column(String(512))
    key_tag: Mapped[int]
    digest_value: Mapped[str] = mapped_column(String(64))
    public_key: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_modified_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Change(Base):
    __tablename__ = "change"
    __table_args__ = (Index(None, "submitted_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    comment: Mapped[str | None] = mapped_column(String(256))


class HealthCheck(Base):
    """A health check; ``config`` is its HealthCheckConfig as JSON, with AWS's defaults filled in, in model
    member order (app.services.health_checks)."""

    __tablename__ = "health_check"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    caller_reference: Mapped[str] = mapped_column(String(64))
    config: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class HealthCheckTag(Base):
    __tablename__ = "health_check_tag"

    health_check_id: Mapped[str] = mapped_column(ForeignKey("health_check.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[str] = mapped_column(String(256))


class HealthCheckCallerReference(Base):
    """Every CallerReference a CreateHealthCheck used, kept after its check is deleted; the primary key is the
    rule "one reference, one health check" under concurrent creates. ``config`` is the created configuration,
    for telling a retry (same configuration) from a conflict."""

    __tablename__ = "health_check_caller_reference"

    caller_reference: Mapped[str] = mapped_column(String(64), primary_key=True)
    health_check_id: Mapped[str] = mapped_column(String(64))
    config: Mapped[str] = mapped_column(Text)
