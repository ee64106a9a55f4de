"""Route 53 tables: hosted zones, their record sets, tags, key-signing keys, zone-signing keys and pre-made
DNSKEY signatures, change records, and health checks with their tags and caller references.

Change records have no foreign key to their zone: GetChange must answer for DeleteHostedZone's change after
the zone is gone (Route 53 API Reference, GetChange). Health-check caller references likewise outlive their
check: a reference used by a deleted check stays taken (Route 53 API Reference, CreateHealthCheck).
"""

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db.base import Base, UtcDateTime


class HostedZone(Base):
    """A hosted zone of one account (``app.accounts``); ids are unique across accounts, caller references
    within one."""

    __tablename__ = "hosted_zone"
    __table_args__ = (
        Index(None, "account_id", "sort_name", "id"),
        Index(None, "account_id", "id"),
        UniqueConstraint("account_id", "caller_reference"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(1024))
    sort_name: Mapped[str] = mapped_column(String(1024))
    caller_reference: Mapped[str] = mapped_column(String(128))
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


class ZoneSigningKey(Base):
    """A zone-signing key Route 53 made for a signing zone, with its schedule (``app.dnssec.schedule``);
    the private key as ``app.dnssec.zsk.seal_private_key`` stores it."""

    __tablename__ = "zone_signing_key"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    hosted_zone_id: Mapped[str] = mapped_column(ForeignKey("hosted_zone.id", ondelete="CASCADE"), index=True)
    key_tag: Mapped[int]
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    private_key: Mapped[bytes] = mapped_column(LargeBinary)  # sealed: app.secrets
    publish_at: Mapped[datetime] = mapped_column(UtcDateTime())
    activate_at: Mapped[datetime] = mapped_column(UtcDateTime())
    retire_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    remove_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class DnskeySignature(Base):
    """An RRSIG over one DNSKEY RRset of the zone (``key_set``: the SHA-256 of its canonical form), made ahead
    of time through KMS Sign on one KSK's KMS key for one slot (epoch seconds); ``rrsig`` is its RDATA."""

    __tablename__ = "dnskey_signature"

    hosted_zone_id: Mapped[str] = mapped_column(ForeignKey("hosted_zone.id", ondelete="CASCADE"), primary_key=True)
    key_set: Mapped[str] = mapped_column(String(64), primary_key=True)
    kms_arn: Mapped[str] = mapped_column(String(2048), primary_key=True)
    slot: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    expiration: Mapped[int] = mapped_column(BigInteger)
    rrsig: Mapped[bytes] = mapped_column(LargeBinary)


class Change(Base):
    """A change record, answered by GetChange to its own account only."""

    __tablename__ = "change"
    __table_args__ = (Index(None, "submitted_at"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(12))
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    comment: Mapped[str | None] = mapped_column(String(256))


class HealthCheck(Base):
    """A health check; ``config`` is its HealthCheckConfig as JSON, with AWS's defaults filled in, in model
    member order (app.services.health_checks)."""

    __tablename__ = "health_check"
    __table_args__ = (Index(None, "account_id", "id"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(String(12))
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
    rule "one reference, one health check" (per account) under concurrent creates. ``config`` is the created
    configuration, for telling a retry (same configuration) from a conflict."""

    __tablename__ = "health_check_caller_reference"

    account_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    caller_reference: Mapped[str] = mapped_column(String(64), primary_key=True)
    health_check_id: Mapped[str] = mapped_column(String(64))
    config: Mapped[str] = mapped_column(Text)
