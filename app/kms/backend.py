"""Where Route 53 reads and uses the KMS keys behind its KSKs: this service's own KMS tables, or a remote KMS.

Both answer with a ``KmsKeyView``: the facts Route 53 checks (KMS API Reference: DescribeKey, GetPublicKey,
GetKeyPolicy) and the DER SubjectPublicKeyInfo it derives the DNSKEY from; and both sign DNSKEY RRsets as
Route 53 does, with KMS Sign (``ECDSA_SHA_256``, ``MessageType`` ``RAW``) on the KSK's own key.
"""

import asyncio
from collections.abc import Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import RowMapping, bindparam, select

from app.config import Settings
from app.db.batch_loader import BatchLoader
from app.db.reads import Reader
from app.kms.models import KmsKey
from app.kms.policy import grants_dnssec_access, prepare_verdicts
from app.secrets import Sealer, kms_key_context, sealer

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient


@dataclass(frozen=True)
class KmsKeyView:
    """A KMS key as Route 53 sees it; ``public_key_der`` is None for symmetric or non-enabled keys.
    ``local``: a key of this service's own KMS, whose account is one of this service's accounts (a remote
    KMS's account is another world: its key policies are evaluated without the zone's account)."""

    arn: str
    key_id: str
    region: str
    account_id: str
    key_state: str
    key_spec: str
    key_usage: str
    policy: str
    public_key_der: bytes | None
    local: bool = True


class KmsSignFailed(Exception):
    """KMS Sign gave no signature (a key KMS refuses to sign with, or a KMS that does not answer); the
    message says why. Logged, never answered to a client."""


class KmsBackend(Protocol):
    async def describe(self, arn: str) -> KmsKeyView | None:
        """The key with this ARN, or None when there is none."""

    async def describe_many(self, arns: Collection[str]) -> dict[str, KmsKeyView]:
        """The keys with these ARNs, by ARN; ARNs that name no key are absent."""

    async def sign(self, arn: str, message: bytes, zone_account: str | None = None) -> bytes:
        """KMS Sign of ``message`` (``RAW``, at most 4096 bytes) with ``ECDSA_SHA_256`` for a zone of
        ``zone_account``: the DER signature (RFC 3279 §2.2.3); ``KmsSignFailed`` when there is none."""


class LocalKmsBackend:
    """Keys from this service's ``kms_key`` table, read through ``app.db.reads.Reader`` (on SQLite without
    aiosqlite's thread hops); concurrent lookups share one query (BatchLoader).

    Sign follows KMS: the key must exist, be enabled, be an ECC_NIST_P256 SIGN_VERIFY key, and its policy
    must let Route 53 sign (``app.kms.policy``), as KMS would check for the Route 53 principal.
    """

    def __init__(self, reader: Reader, sealer: Sealer) -> None:
        self._reader = reader
        self._sealer = sealer
        self._loader: BatchLoader[str, KmsKeyView] = BatchLoader(self._fetch)
        self._signing_keys: BatchLoader[str, RowMapping] = BatchLoader(self._fetch_signing_keys)

    async def describe(self, arn: str) -> KmsKeyView | None:
        return await self._loader.load(arn)

    async def describe_many(self, arns: Collection[str]) -> dict[str, KmsKeyView]:
        return await self._loader.load_many(arns)

    async def _fetch(self, arns: list[str]) -> dict[str, KmsKeyView]:
        """One Core query for the columns Route 53 reads (not the key material); long policies are evaluated
        off the event loop."""
        rows = await self._reader.rows(_VIEWS_BY_ARN, {"arns": arns})
        views = {row.arn: _view(row._mapping) for row in rows}
        await prepare_verdicts((view.policy, view.account_id) for view in views.values())
        return views

    async def sign(self, arn: str, message: bytes, zone_account: str | None = None) -> bytes:
        key = await self._signing_keys.load(arn)
        if key is None:
            raise KmsSignFailed(f"Key '{arn}' does not exist")
        if key["key_state"] != "Enabled":
            raise KmsSignFailed(f"Key '{arn}' is {key['key_state']}")
        if key["key_spec"] != "ECC_NIST_P256" or key["key_usage"] != "SIGN_VERIFY":
            raise KmsSignFailed(f"Key '{arn}' is a {key['key_spec']} {key['key_usage']} key")
        if not grants_dnssec_access(key["policy"], zone_account, key["account_id"]):
            raise KmsSignFailed(f"The key policy of '{arn}' does not let Route 53 call kms:Sign")
        der = self._sealer.open(key["private_key"], kms_key_context(key["key_id"]))
        private = serialization.load_der_private_key(der, password=None)
        if not isinstance(private, ec.EllipticCurvePrivateKey):
            raise KmsSignFailed(f"Key '{arn}' holds no ECC key")
        return private.sign(message, ec.ECDSA(hashes.SHA256()))

    async def _fetch_signing_keys(self, arns: list[str]) -> dict[str, RowMapping]:
        rows = await self._reader.rows(_SIGNING_KEYS_BY_ARN, {"arns": arns})
        return {row.arn: row._mapping for row in rows}


_VIEW_COLUMNS = (
    KmsKey.arn,
    KmsKey.key_id,
    KmsKey.region,
    KmsKey.account_id,
    KmsKey.key_state,
    KmsKey.key_spec,
    KmsKey.key_usage,
    KmsKey.policy,
    KmsKey.public_key,
)
# Built once: a statement built per lookup costs more than the SQLite read it makes.
_VIEWS_BY_ARN = select(*_VIEW_COLUMNS).where(KmsKey.arn.in_(bindparam("arns", expanding=True)))
_SIGNING_KEYS_BY_ARN = select(
    KmsKey.arn,
    KmsKey.key_id,
    KmsKey.account_id,
    KmsKey.key_state,
    KmsKey.key_spec,
    KmsKey.key_usage,
    KmsKey.policy,
    KmsKey.private_key,
).where(KmsKey.arn.in_(bindparam("arns", expanding=True)))


def _view(key: RowMapping) -> KmsKeyView:
    return KmsKeyView(
        arn=key["arn"],
        key_id=key["key_id"],
        region=key["region"],
        account_id=key["account_id"],
        key_state=key["key_state"],
        key_spec=key["key_spec"],
        key_usage=key["key_usage"],
        policy=key["policy"],
        public_key_der=key["public_key"] if key["key_state"] == "Enabled" else None,
    )


class RemoteKmsBackend:
    """Keys from a KMS endpoint (AWS or compatible), with credentials from the standard AWS chain.

    boto3 is blocking, so each key is read in a worker thread: DescribeKey, then GetPublicKey when the key is
    enabled, then GetKeyPolicy (PolicyName ``default``). Short timeouts: Enable and Deactivate read keys while
    they hold the zone lock.
    """

    def __init__(self, endpoint_url: str, region: str) -> None:
        timeouts = BotoConfig(connect_timeout=3, read_timeout=5, retries={"max_attempts": 2})
        self._client: KMSClient = boto3.client("kms", endpoint_url=endpoint_url, region_name=region, config=timeouts)

    async def describe(self, arn: str) -> KmsKeyView | None:
        view = await asyncio.to_thread(self._describe, arn)
        if view is not None:
            await prepare_verdicts([(view.policy, None)])  # evaluated without accounts (KmsKeyView.local)
        return view

    async def describe_many(self, arns: Collection[str]) -> dict[str, KmsKeyView]:
        unique = list(set(arns))
        views = await asyncio.gather(*(self.describe(arn) for arn in unique))
        return {arn: view for arn, view in zip(unique, views, strict=True) if view is not None}

    async def sign(self, arn: str, message: bytes, zone_account: str | None = None) -> bytes:
        """The remote KMS decides what the credentials may do; ``zone_account`` is not sent."""
        return await asyncio.to_thread(self._sign, arn, message)

    def _sign(self, arn: str, message: bytes) -> bytes:
        try:
            signed = self._client.sign(KeyId=arn, Message=message, MessageType="RAW", SigningAlgorithm="ECDSA_SHA_256")
        except (ClientError, BotoCoreError) as error:
            raise KmsSignFailed(f"KMS Sign on '{arn}' failed: {error}") from error
        signature: bytes = signed["Signature"]
        return signature

    def _describe(self, arn: str) -> KmsKeyView | None:
        """NotFoundException, or an id KMS refuses to parse: no key. AccessDeniedException: a key Route 53 may
        not read, which the checks report as a policy that does not grant the DNSSEC permissions (an empty
        policy grants nothing)."""
        try:
            metadata = self._client.describe_key(KeyId=arn)["KeyMetadata"]
            enabled = metadata["KeyState"] == "Enabled"
            public_key = self._client.get_public_key(KeyId=arn)["PublicKey"] if enabled else None
            policy = self._client.get_key_policy(KeyId=arn, PolicyName="default")["Policy"]
        except ParamValidationError:
            return None
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code in ("NotFoundException", "ValidationException", "InvalidArnException"):
                return None
            if code == "AccessDeniedException":
                return _unreadable(arn)
            raise
        return KmsKeyView(
            arn=metadata["Arn"],
            key_id=metadata["KeyId"],
            region=metadata["Arn"].split(":")[3],
            account_id=metadata["AWSAccountId"],
            key_state=metadata["KeyState"],
            key_spec=metadata["KeySpec"],
            key_usage=metadata["KeyUsage"],
            policy=policy,
            public_key_der=public_key,
            local=False,
        )


def _unreadable(arn: str) -> KmsKeyView:
    """A key whose facts Route 53 could not read: everything but the (empty) policy passes the checks."""
    parts = arn.split(":")
    return KmsKeyView(
        arn=arn,
        key_id=arn.rsplit("/", 1)[-1],
        region=parts[3] if len(parts) > 3 else "",
        account_id=parts[4] if len(parts) > 4 else "",
        key_state="Enabled",
        key_spec="ECC_NIST_P256",
        key_usage="SIGN_VERIFY",
        policy="",
        public_key_der=None,
        local=False,
    )


def build_kms_backend(settings: Settings, reader: Reader) -> KmsBackend:
    """The remote backend when ``R53_KMS_ENDPOINT_URL`` is set, else the local one."""
    if settings.kms_endpoint_url:
        return RemoteKmsBackend(settings.kms_endpoint_url, settings.kms_region)
    return LocalKmsBackend(reader, sealer(settings))
