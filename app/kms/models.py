"""KMS tables: keys with their key material, and aliases (AWS KMS Developer Guide, "AWS KMS concepts").

A key belongs to the account and region of the request that created it; its id is a UUID, unique across
regions and accounts. Key material (PKCS#8 DER for asymmetric keys, 32 random bytes for symmetric keys) is
stored sealed with the master key (``app.secrets``, the key id as associated data). An alias belongs to one
account and region.
"""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, UtcDateTime


class KmsKey(Base):
    """One KMS key (KeyMetadata in the KMS API Reference), its policy, tags and key material."""

    __tablename__ = "kms_key"
    __table_args__ = (
        Index(None, "region", "key_id"),
        CheckConstraint("key_state IN ('Enabled', 'Disabled', 'PendingDeletion')", name="key_state"),
        CheckConstraint("key_usage IN ('SIGN_VERIFY', 'ENCRYPT_DECRYPT')", name="key_usage"),
    )

    key_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    arn: Mapped[str] = mapped_column(String(2048), unique=True)
    account_id: Mapped[str] = mapped_column(String(12))
    region: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    key_usage: Mapped[str] = mapped_column(String(32))
    key_spec: Mapped[str] = mapped_column(String(32))
    key_state: Mapped[str] = mapped_column(String(32))
    policy: Mapped[str] = mapped_column(Text)
    private_key: Mapped[bytes] = mapped_column(LargeBinary)  # sealed: app.secrets
    public_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    creation_date: Mapped[datetime] = mapped_column(UtcDateTime())
    deletion_date: Mapped[datetime | None] = mapped_column(UtcDateTime())
    tags: Mapped[list[dict[str, str]]] = mapped_column(JSON)


class KmsAlias(Base):
    """An alias name (``alias/...``) pointing at a key in the same account and region."""

    __tablename__ = "kms_alias"

    account_id: Mapped[str] = mapped_column(String(12), primary_key=True)
    region: Mapped[str] = mapped_column(String(32), primary_key=True)
    alias_name: Mapped[str] = mapped_column(String(256), primary_key=True)
    target_key_id: Mapped[str] = mapped_column(ForeignKey("kms_key.key_id"), index=True)
    creation_date: Mapped[datetime] = mapped_column(UtcDateTime())
