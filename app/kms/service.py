"""A local AWS KMS for the operations Route 53 DNSSEC, Terraform and the SDKs need, persisted in the database.

One method per operation of the KMS API Reference (https://docs.aws.amazon.com/kms/latest/APIReference/), each
taking the request members and the request's region and returning the response members (``bytes`` for blobs,
epoch seconds for timestamps). Error codes and the messages known from AWS follow KMS; where AWS's text is
unknown the message is this service's own. Key state rules follow the KMS Developer Guide, "Key states of
AWS KMS keys".
"""

import asyncio
import json
import re
import secrets
import uuid
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings
from app.db.session import write_transaction
from app.errors import (
    AlreadyExistsException,
    DisabledException,
    InvalidKeyUsageException,
    KMSInvalidSignatureException,
    KMSInvalidStateException,
    LimitExceededException,
    MalformedPolicyDocumentException,
    NotFoundException,
    UnsupportedOperationException,
    ValidationException,
)
from app.kms.models import KmsAlias, KmsKey
from app.kms.policy import MAX_POLICY_BYTES, grants_account_access
from app.secrets import Sealer, kms_key_context

Handler = Callable[[dict[str, Any], str, str], Awaitable[dict[str, Any]]]  # (members, region, caller's account)
# The operations a caller may use on another account's key, when its policy allows (KMS API Reference,
# "Cross-account use: Yes"); every other operation sees only the caller's own keys.
CROSS_ACCOUNT_OPERATIONS = frozenset({"DescribeKey", "GetPublicKey", "Sign", "Verify", "GetKeyRotationStatus"})

KEY_ID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
KEY_ARN = re.compile(r"arn:aws:kms:(?P<region>[^:]+):(?P<account>[^:]+):key/(?P<key_id>.+)")
ALIAS_ARN = re.compile(r"arn:aws:kms:(?P<region>[^:]+):(?P<account>[^:]+):(?P<name>alias/.+)")
ALIAS_NAME = re.compile(r"[a-zA-Z0-9:/_-]+")
KEY_USAGES = ("SIGN_VERIFY", "ENCRYPT_DECRYPT")
MESSAGE_TYPES = ("RAW", "DIGEST")
ORIGINS = ("AWS_KMS", "EXTERNAL", "AWS_CLOUDHSM", "EXTERNAL_KEY_STORE")
RSA_SIGNING = tuple(f"RSASSA_{scheme}_SHA_{bits}" for scheme in ("PKCS1_V1_5", "PSS") for bits in (256, 384, 512))
RSA_ENCRYPTION = ("RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256")
HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "SHA_256": hashes.SHA256,
    "SHA_384": hashes.SHA384,
    "SHA_512": hashes.SHA512,
}


@dataclass(frozen=True)
class KeySpec:
    """What a key spec allows (KMS Developer Guide, "Key spec reference")."""

    usages: tuple[str, ...]
    signing: tuple[str, ...] = ()
    encryption: tuple[str, ...] = ()
    curve: ec.EllipticCurve | None = None
    rsa_bits: int | None = None


KEY_SPECS = {
    "SYMMETRIC_DEFAULT": KeySpec(("ENCRYPT_DECRYPT",), encryption=("SYMMETRIC_DEFAULT",)),
    "RSA_2048": KeySpec(KEY_USAGES, RSA_SIGNING, RSA_ENCRYPTION, rsa_bits=2048),
    "RSA_3072": KeySpec(KEY_USAGES, RSA_SIGNING, RSA_ENCRYPTION, rsa_bits=3072),
    "RSA_4096": KeySpec(KEY_USAGES, RSA_SIGNING, RSA_ENCRYPTION, rsa_bits=4096),
    "ECC_NIST_P256": KeySpec(("SIGN_VERIFY",), ("ECDSA_SHA_256",), curve=ec.SECP256R1()),
    "ECC_NIST_P384": KeySpec(("SIGN_VERIFY",), ("ECDSA_SHA_384",), curve=ec.SECP384R1()),
    "ECC_NIST_P521": KeySpec(("SIGN_VERIFY",), ("ECDSA_SHA_512",), curve=ec.SECP521R1()),
    "ECC_SECG_P256K1": KeySpec(("SIGN_VERIFY",), ("ECDSA_SHA_256",), curve=ec.SECP256K1()),
}
SIGNING_ALGORITHMS = tuple(dict.fromkeys(a for spec in KEY_SPECS.values() for a in spec.signing))


class LocalKms:
    """The KMS operations, by wire name in ``operations``."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, sealer: Sealer) -> None:
        self._sessionmaker = sessionmaker
        self._settings = settings
        self._sealer = sealer
        self.operations: dict[str, Handler] = {
            "CreateKey": self.create_key,
            "DescribeKey": self.describe_key,
            "GetPublicKey": self.get_public_key,
            "Sign": self.sign,
            "Verify": self.verify,
            "GetKeyPolicy": self.get_key_policy,
            "PutKeyPolicy": self.put_key_policy,
            "EnableKey": self.enable_key,
            "DisableKey": self.disable_key,
            "ScheduleKeyDeletion": self.schedule_key_deletion,
            "CancelKeyDeletion": self.cancel_key_deletion,
            "ListKeys": self.list_keys,
            "CreateAlias": self.create_alias,
            "ListAliases": self.list_aliases,
            "GetKeyRotationStatus": self.get_key_rotation_status,
            "ListResourceTags": self.list_resource_tags,
            "TagResource": self.tag_resource,
            "UntagResource": self.untag_resource,
        }
        self.read_operations = frozenset(
            {
                "DescribeKey",
                "GetPublicKey",
                "Sign",
                "Verify",
                "GetKeyPolicy",
                "ListKeys",
                "ListAliases",
                "GetKeyRotationStatus",
                "ListResourceTags",
            }
        )

    async def create_key(self, params: dict[str, Any], region: str, account: str) -> dict[str, Any]:
        """CreateKey: ``KeySpec`` or the deprecated ``CustomerMasterKeySpec`` (Terraform sends the latter)."""
        policy = _policy(params.get("Policy"))
        description = _opt_str(params.get("Description"), "description", 0, 8192) or ""
        usage = _opt_enum(params.get("KeyUsage"), "keyUsage", KEY_USAGES)
        spec_name = _opt_enum(params.get("KeySpec"), "keySpec", tuple(KEY_SPECS)) or _opt_enum(
            params.get("CustomerMasterKeySpec"), "customerMasterKeySpec", tuple(KEY_SPECS)
        )
        spec_name = spec_name or "SYMMETRIC_DEFAULT"
        _opt_bool(params.get("BypassPolicyLockoutSafetyCheck"), "bypassPolicyLockoutSafetyCheck")
        tags = _tags(params.get("Tags"))
        origin = _opt_enum(params.get("Origin"), "origin", ORIGINS)
        if origin not in (None, "AWS_KMS"):
            raise UnsupportedOperationException(f"Origin {origin} is not supported; use AWS_KMS.")
        if _opt_bool(params.get("MultiRegion"), "multiRegion"):
            raise UnsupportedOperationException("Multi-Region keys are not supported.")
        if usage is None and spec_name != "SYMMETRIC_DEFAULT":
            raise ValidationException(
                "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys."
            )
        usage = usage or "ENCRYPT_DECRYPT"
        if usage not in KEY_SPECS[spec_name].usages:
            raise ValidationException(f"KeyUsage {usage} is not compatible with KeySpec {spec_name}")
        private_key, public_key = await asyncio.to_thread(_new_key_material, KEY_SPECS[spec_name])
        key_id = str(uuid.uuid4())
        key = KmsKey(
            key_id=key_id,
            arn=_key_arn(region, account, key_id),
            account_id=account,
            region=region,
            description=description,
            key_usage=usage,
            key_spec=spec_name,
            key_state="Enabled",
            policy=policy or _default_policy(account),
            private_key=self._sealer.seal(private_key, kms_key_context(key_id)),
            public_key=public_key,
            creation_date=datetime.now(UTC),
            deletion_date=None,
            tags=_merge_tags([], tags),
        )
        async with self._write() as session:
            session.add(key)
        return {"KeyMetadata": _metadata(key)}

    async def describe_key(self, params: dict[str, Any], region: str, account: str) -> dict[str, Any]:
        """DescribeKey: the KeyMetadata of a key in any state."""
        key = await self._read_key(params, region, account, "DescribeKey")
        return {"KeyMetadata": _metadata(key)}

    async def get_public_key(self, params: dict[str, Any], region: str, account: str) -> dict[str, Any]:
        """GetPublicKey: the DER SubjectPublicKeyInfo. Works on disabled keys, as AWS does in practice."""
        key = await self._read_key(params, region, account, "GetPublicKey")
        _require_state(key, disabled_ok=True)
        if key.public_key is None:
            raise UnsupportedOperationException(
                f"{key.arn} key spec is {key.key_spec} which is not valid for GetPublicKey."
            )
        return {
            "KeyId": key.arn,
            "PublicKey": key.public_key,
            "CustomerMasterKeySpec": key.key_spec,
            "KeySpec": key.key_spec,
            "KeyUsage": key.key_usage,
            **_algorithms(key),
        }

    async def sign(self, params: dict[str, Any], region: str, account: str) -> dict[str, Any]:
        """Sign: ``RAW`` messages are hashed here, ``DIGEST`` messages are signed as given; DER signatures.
        Signing and verifying run in a worker thread, off the event loop."""
        message, digest, algorithm = _signing_input(params)
        key = await self._signing_key(params, region, account, "Sign", algorithm, message, digest)
        private_key = self._sealer.open(key.private_key, kms_key_context(key.key_id))
        signature = await asyncio.to_thread(_sign, private_key, algorithm, message, digest)  # RSA: milliseconds
        return {"KeyId": key.arn, "Signature": signature, "SigningAlgorithm": algorithm}

    async def verify(self, params: dict[str, Any], region: str, account: str) -> dict[str, Any]:
        """Verify: a signature that does not match raises KMSInvalidSignatureException (no message, as AWS)."""
        message, digest, algorithm = _signing_input(params)
        signature = _req_blob(params.get("Signature"), "signature", 6144)
        key = await self._signing_key(params, region, account, "Verify", algorithm, message, digest)
        public_key = key.public_key
        if public_key is None or not await asyncio.to_thread(
            _verify, public_key, algorithm, message, digest, signature
        ):
            raise KMSInvalidSignatureException("")
        return {"KeyId": key.arn, "SignatureValid": True, "SigningAlgorithm": algorithm}

    async def get_key_policy(self, params: dict[str, Any], region: str, account: str) -> dict[str, Any]:
        """GetKeyPolicy: the only policy name is ``default``."""
        _policy_name(params)
        key = await self._read_key(params, region, account, "GetKeyPolicy")
        return {"Policy": key.policy, "PolicyName": "default"}

    async def put_key_policy(self, params: dict[str, Any], region: str, account: str) -> dict[str, Any]:
        """PutKeyPolicy: the policy must be a JSON policy document."""
        _policy_name(params)
        policy = _policy(params.get("Policy"))
        if policy is None:
            raise _invalid(None, "policy", "Member must not be null")
        _opt_bool(params.get("BypassPolicyLockoutSafetyCheck"), "bypassPolicyLockoutSafetyCheck")
        async with self._write() as session:
            key = await self._key(session, params, region, account, "PutKeyPolicy", lock=True)
            _require_state(key, disabled_ok=True)
            key.policy = policy
        return {}

    async def enable_key(self, params: dict[str, Any], region: str, account: str) -> dict[str, Any]:
        """EnableKey: Disabled → Enabled (idempotent)."""
        await self._set_state(params, region, account, "Enabled")
        return {}

    async def disable_key(self, params: dict[str, Any], region: str, account: str) -> dict[str, Any]:
        """DisableKey: Enabled → Disabled (idempotent)."""
        await self._set_state(params, region, account, "Disabled")
        return {}

    async def schedule_key_deletion(self, params: dict[str, Any], region: str, account: str) -> dict[str, Any]:
        """ScheduleKeyDeletion: PendingDeletion after a 7 to 30 day window (default 30); key material is kept."""
        days = _opt_int(params.get("PendingWindowInDays"), "pendingWindowInDays", 7, 30) or 30
        deletion_date = datetime.now(UTC) + timedelta(days=days)
        async with self._write() as session:
            key = await self._key(session, params, region, account, "ScheduleKeyDeletion", lock=True)
            _require_state(key, disabled_ok=True)
            key.key_state = "PendingDeletion"
            key.deletion_date = deletion_date
        return {
            "KeyId": key.arn,
            "DeletionDate": deletion_date.timestamp(),
            "KeyState": key.key_state,
            "PendingWindowInDays": days,
        }

    async def cancel_key_deletion(self, params: dict[str, Any], region: str, account: str) -> dict[str, Any]:
        """CancelKeyDeletion: PendingDeletion → Disabled, as on AWS."""
        async with self._write() as session:
            key = await self._key(session, params, region, account, "CancelKeyDeletion", lock=True)
            if key.key_state != "PendingDeletion":
                raise KMSInvalidStateException(f"{key.arn} is not pending deletion.")
            key.key_state = "Disabled"
            key.deletion_date = None
        return {"KeyId": key.arn}

    async def list_keys(self, params: dict[str, Any], region: str, account: str) -> dict[str, Any]:
        """ListKeys: the region's keys by key id; ``Limit`` 1 to 1000 (default 100), ``Marker`` to page."""
        limit = _opt_int(params.get("Limit"), "limit", 1, 1000) or 100
        marker = _opt_str(params.get("Marker"), "marker", 1, 1024)
        statement = (
            select(KmsKey.key_id, KmsKey.arn)
            .where(KmsKey.region == region, KmsKey.account_id == account)
            .order_by(KmsKey.key_id)
        )
        async with self._sessionmaker() as session:
            rows = (await session.execute(statement)).all()
        keys = [{"KeyId": key_id, "KeyArn": arn} for key_id, arn in rows]
        return _page("Keys", keys, "KeyId", limit, marker)

    async def create_alias(self, params: dict[str, Any], region: str, account: str) -> dict[str, Any]:
        """CreateAlias: ``alias/<name>``, not in the reserved ``alias/aws/`` space; one key per alias."""
        name = _req_str(params.get("AliasName"), "aliasName", 1, 256)
        if not ALIAS_NAME.fullmatch(name):
            raise _invalid(name, "aliasName", "Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$")
        if not name.startswith("alias/"):
            raise ValidationException(
                'Alias must start with the prefix "alias/". Please see '
                "https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html"
            )
        if name.startswith("alias/aws/"):
            raise ValidationException(f"Alias {name} uses the prefix alias/aws/, which is reserved for AWS.")
        target = _req_str(params.get("TargetKeyId"), "targetKeyId", 1, 2048)
        if target.startswith("alias/") or ALIAS_ARN.fullmatch(target):
            raise ValidationException("Aliases must refer to keys. Not aliases")
        exists = AlreadyExistsException(
            f"An alias with the name {self._alias_arn(region, account, name)} already exists"
        )
        try:
            async with self._write() as session:
                key = await self._key(session, {"KeyId": target}, region, account, "CreateAlias", lock=True)
                _require_state(key, disabled_ok=True)
                if await session.get(KmsAlias, (account, region, name)) is not None:
                    raise exists
                now = datetime.now(UTC)
                alias = KmsAlias(
                    account_id=account, region=region, alias_name=name, target_key_id=key.key_id, creation_date=now
                )
                session.add(alias)
        except IntegrityError as error:  # a concurrent CreateAlias won the race (PostgreSQL)
            raise exists from error
        return {}

    async def list_aliases(self, params: dict[str, Any], region: str, account: str) -> dict[str, Any]:
        """ListAliases: the region's aliases by name, optionally of one key; ``Limit`` 1 to 100 (default 50)."""
        limit = _opt_int(params.get("Limit"), "limit", 1, 100) or 50
        marker = _opt_str(params.get("Marker"), "marker", 1, 1024)
        statement = (
            select(KmsAlias)
            .where(KmsAlias.account_id == account, KmsAlias.region == region)
            .order_by(KmsAlias.alias_name)
        )
        async with self._sessionmaker() as session:
            if params.get("KeyId") is not None:
                key = await self._key(session, params, region, account, "ListAliases")
                statement = statement.where(KmsAlias.target_key_id == key.key_id)
            aliases = (await session.scalars(statement)).all()
        entries = [
            {
                "AliasName": alias.alias_name,
                "AliasArn": self._alias_arn(region, account, alias.alias_name),
                "TargetKeyId": alias.target_key_id,
                "CreationDate": alias.creation_date.timestamp(),
                "LastUpdatedDate": alias.creation_date.timestamp(),
            }
            for alias in aliases
        ]
        return _page("Aliases", entries, "AliasName", limit, marker)

    async def get_key_rotation_status(self, params: dict[str, Any], region: str, account: str) -> dict[str, Any]:
        """GetKeyRotationStatus: automatic rotation is never enabled here."""
        key = await self._read_key(params, region, account, "GetKeyRotationStatus")
        return {"KeyRotationEnabled": False, "KeyId": key.arn}

    async def list_resource_tags(self, params: dict[str, Any], region: str, account: str) -> dict[str, Any]:
        """ListResourceTags: the key's tags by tag key; ``Limit`` 1 to 50 (default 50)."""
        limit = _opt_int(params.get("Limit"), "limit", 1, 50) or 50
        marker = _opt_str(params.get("Marker"), "marker", 1, 1024)
        key = await self._read_key(params, region, account, "ListResourceTags")
        tags = sorted(key.tags, key=lambda tag: tag["TagKey"])
        return _page("Tags", tags, "TagKey", limit, marker)

    async def tag_resource(self, params: dict[str, Any], region: str, account: str) -> dict[str, Any]:
        """TagResource: adds tags, replacing the value of a tag key the key already has."""
        tags = _tags(params.get("Tags"))
        if tags is None:
            raise _invalid(None, "tags", "Member must not be null")
        async with self._write() as session:
            key = await self._key(session, params, region, account, "TagResource", lock=True)
            _require_state(key, disabled_ok=True)
            key.tags = _merge_tags(key.tags, tags)
        return {}

    async def untag_resource(self, params: dict[str, Any], region: str, account: str) -> dict[str, Any]:
        """UntagResource: removes the named tag keys; unknown keys are ignored."""
        names = params.get("TagKeys")
        if not isinstance(names, list) or not names:
            raise _invalid(names, "tagKeys", "Member must have length greater than or equal to 1")
        removed = {_req_str(name, f"tagKeys.{i}.member", 1, 128) for i, name in enumerate(names, 1)}
        async with self._write() as session:
            key = await self._key(session, params, region, account, "UntagResource", lock=True)
            _require_state(key, disabled_ok=True)
            key.tags = [tag for tag in key.tags if tag["TagKey"] not in removed]
        return {}

    # -- keys and aliases -------------------------------------------------------------------------------

    def _write(self) -> AbstractAsyncContextManager[AsyncSession]:
        return write_transaction(self._sessionmaker, self._settings.lock_timeout_ms)

    async def _read_key(self, params: dict[str, Any], region: str, account: str, operation: str) -> KmsKey:
        async with self._sessionmaker() as session:
            return await self._key(session, params, region, account, operation)

    async def _set_state(self, params: dict[str, Any], region: str, account: str, state: str) -> None:
        operation = "EnableKey" if state == "Enabled" else "DisableKey"
        async with self._write() as session:
            key = await self._key(session, params, region, account, operation, lock=True)
            _require_state(key, disabled_ok=True)
            key.key_state = state

    async def _signing_key(
        self,
        params: dict[str, Any],
        region: str,
        account: str,
        operation: str,
        algorithm: str,
        message: bytes,
        digest: bool,
    ) -> KmsKey:
        key = await self._read_key(params, region, account, operation)
        _require_state(key, disabled_ok=False)
        if key.key_usage != "SIGN_VERIFY":
            raise InvalidKeyUsageException(
                f"{key.arn} key usage is {key.key_usage} which is not valid for {operation}."
            )
        if algorithm not in KEY_SPECS[key.key_spec].signing:
            raise InvalidKeyUsageException(f"Algorithm {algorithm} is incompatible with key spec {key.key_spec}.")
        if digest and len(message) != _hash(algorithm).digest_size:
            raise ValidationException(f"Digest is invalid length for algorithm {algorithm}.")
        return key

    async def _key(
        self,
        session: AsyncSession,
        params: dict[str, Any],
        region: str,
        account: str,
        operation: str,
        lock: bool = False,
    ) -> KmsKey:
        """The key named by ``KeyId`` (a key id, key ARN, alias name or alias ARN in this region) for a caller
        of ``account``. A key id or alias name is looked up in the caller's account; an ARN names its owner.
        Another account's key is NotFoundException unless the operation may be used across accounts
        (``CROSS_ACCOUNT_OPERATIONS``) and the key policy grants the caller's account (``app.kms.policy``)."""
        reference = _req_str(params.get("KeyId"), "keyId", 1, 2048)
        owner = account
        key_id = reference
        if alias := ALIAS_ARN.fullmatch(reference):
            _same_region(alias["region"], region)
            owner = alias["account"]
            key_id = await self._alias_target(session, owner, region, alias["name"], reference)
        elif reference.startswith("alias/"):
            shown = self._alias_arn(region, account, reference)
            key_id = await self._alias_target(session, account, region, reference, shown)
        elif arn := KEY_ARN.fullmatch(reference):
            _same_region(arn["region"], region)
            owner, key_id = arn["account"], arn["key_id"]
        elif reference.startswith("arn:"):
            raise NotFoundException(f"Invalid arn {reference}")
        elif not KEY_ID.fullmatch(reference):
            raise NotFoundException(f"Invalid keyId {reference}")
        missing = NotFoundException(f"Key '{_key_arn(region, owner, key_id)}' does not exist")
        key = await session.get(KmsKey, key_id, with_for_update=lock)
        if key is None or key.region != region or key.account_id != owner:
            raise missing
        if owner != account and (
            operation not in CROSS_ACCOUNT_OPERATIONS
            or not grants_account_access(key.policy, account, f"kms:{operation}")
        ):
            raise missing
        return key

    async def _alias_target(self, session: AsyncSession, account: str, region: str, name: str, shown: str) -> str:
        alias = await session.get(KmsAlias, (account, region, name))
        if alias is None:
            raise NotFoundException(f"Alias {shown} is not found.")
        return alias.target_key_id

    def _alias_arn(self, region: str, account: str, name: str) -> str:
        return f"arn:aws:kms:{region}:{account}:{name}"


def _key_arn(region: str, account: str, key_id: str) -> str:
    return f"arn:aws:kms:{region}:{account}:key/{key_id}"


def _same_region(arn_region: str, region: str) -> None:
    if arn_region != region:
        raise NotFoundException(f"Invalid arn {arn_region}")


def _require_state(key: KmsKey, *, disabled_ok: bool) -> None:
    if key.key_state == "PendingDeletion":
        raise KMSInvalidStateException(f"{key.arn} is pending deletion.")
    if key.key_state == "Disabled" and not disabled_ok:
        raise DisabledException(f"{key.arn} is disabled.")


def _metadata(key: KmsKey) -> dict[str, Any]:
    """KeyMetadata in model member order."""
    metadata: dict[str, Any] = {
        "AWSAccountId": key.account_id,
        "KeyId": key.key_id,
        "Arn": key.arn,
        "CreationDate": key.creation_date.timestamp(),
        "Enabled": key.key_state == "Enabled",
        "Description": key.description,
        "KeyUsage": key.key_usage,
        "KeyState": key.key_state,
    }
    if key.deletion_date is not None:
        metadata["DeletionDate"] = key.deletion_date.timestamp()
    return metadata | {
        "Origin": "AWS_KMS",
        "KeyManager": "CUSTOMER",
        "CustomerMasterKeySpec": key.key_spec,
        "KeySpec": key.key_spec,
        **_algorithms(key),
        "MultiRegion": False,
    }


def _algorithms(key: KmsKey) -> dict[str, list[str]]:
    spec = KEY_SPECS[key.key_spec]
    if key.key_usage == "SIGN_VERIFY":
        return {"SigningAlgorithms": list(spec.signing)}
    return {"EncryptionAlgorithms": list(spec.encryption)}


def _default_policy(account: str) -> str:
    """The default key policy (KMS Developer Guide, "Default key policy"): the account root may do anything."""
    statement = {
        "Sid": "Enable IAM User Permissions",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
    return json.dumps({"Version": "2012-10-17", "Id": "key-default-1", "Statement": [statement]}, indent=2)


def _merge_tags(tags: list[dict[str, str]], added: list[dict[str, str]] | None) -> list[dict[str, str]]:
    merged = {tag["TagKey"]: tag["TagValue"] for tag in [*tags, *(added or [])]}
    return [{"TagKey": name, "TagValue": value} for name, value in merged.items()]


def _page(field: str, items: list[dict[str, Any]], sort_key: str, limit: int, marker: str | None) -> dict[str, Any]:
    """One page of items sorted by ``sort_key``; the marker is the sort key of the next page's first item."""
    remaining = [item for item in items if marker is None or item[sort_key] >= marker]
    if len(remaining) <= limit:
        return {field: remaining, "Truncated": False}
    return {field: remaining[:limit], "NextMarker": remaining[limit][sort_key], "Truncated": True}


# -- key material and signatures ----------------------------------------------------------------------------


def _new_key_material(spec: KeySpec) -> tuple[bytes, bytes | None]:
    """(private key, public key): PKCS#8 DER and DER SubjectPublicKeyInfo, or 32 random bytes and None."""
    private: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    if spec.curve is not None:
        private = ec.generate_private_key(spec.curve)
    elif spec.rsa_bits is not None:
        private = rsa.generate_private_key(public_exponent=65537, key_size=spec.rsa_bits)
    else:
        return secrets.token_bytes(32), None
    private_der = private.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_der = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_der, public_der


def _hash(algorithm: str) -> hashes.HashAlgorithm:
    return HASHES[algorithm[-7:]]()


def _prehashed(algorithm: str, digest: bool) -> hashes.HashAlgorithm | utils.Prehashed:
    return utils.Prehashed(_hash(algorithm)) if digest else _hash(algorithm)


def _rsa_padding(algorithm: str) -> padding.AsymmetricPadding:
    if algorithm.startswith("RSASSA_PSS_"):
        return padding.PSS(mgf=padding.MGF1(_hash(algorithm)), salt_length=padding.PSS.DIGEST_LENGTH)
    return padding.PKCS1v15()


def _sign(private_der: bytes, algorithm: str, message: bytes, digest: bool) -> bytes:
    private = serialization.load_der_private_key(private_der, password=None)
    if isinstance(private, ec.EllipticCurvePrivateKey):
        return private.sign(message, ec.ECDSA(_prehashed(algorithm, digest)))
    if isinstance(private, rsa.RSAPrivateKey):
        return private.sign(message, _rsa_padding(algorithm), _prehashed(algorithm, digest))
    raise TypeError(f"cannot sign with a {type(private).__name__}")


def _verify(public_der: bytes, algorithm: str, message: bytes, digest: bool, signature: bytes) -> bool:
    public = serialization.load_der_public_key(public_der)
    try:
        if isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(signature, message, ec.ECDSA(_prehashed(algorithm, digest)))
            return True
        if isinstance(public, rsa.RSAPublicKey):
            public.verify(signature, message, _rsa_padding(algorithm), _prehashed(algorithm, digest))
            return True
    except InvalidSignature:
        return False
    raise TypeError(f"cannot verify with a {type(public).__name__}")


# -- request members ----------------------------------------------------------------------------------------


def _invalid(value: object, path: str, constraint: str) -> ValidationException:
    """AWS's validation message; blob values are not shown, as AWS does not show them."""
    if value is None:
        shown = " null"
    elif isinstance(value, bytes):
        shown = ""
    else:
        shown = f" '{value if isinstance(value, str) else json.dumps(value)}'"
    return ValidationException(
        f"1 validation error detected: Value{shown} at '{path}' failed to satisfy constraint: {constraint}"
    )


def _opt_str(value: object, path: str, min_length: int, max_length: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _invalid(value, path, "Member must be a string")
    if len(value) < min_length:
        raise _invalid(value, path, f"Member must have length greater than or equal to {min_length}")
    if len(value) > max_length:
        raise _invalid(value, path, f"Member must have length less than or equal to {max_length}")
    return value


def _req_str(value: object, path: str, min_length: int, max_length: int) -> str:
    text = _opt_str(value, path, min_length, max_length)
    if text is None:
        raise _invalid(None, path, "Member must not be null")
    return text


def _opt_enum(value: object, path: str, allowed: Sequence[str]) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or value not in allowed:
        raise _invalid(value, path, f"Member must satisfy enum value set: [{', '.join(allowed)}]")
    return value


def _opt_int(value: object, path: str, low: int, high: int) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise _invalid(value, path, "Member must be an integer")
    if value < low:
        raise _invalid(value, path, f"Member must have value greater than or equal to {low}")
    if value > high:
        raise _invalid(value, path, f"Member must have value less than or equal to {high}")
    return value


def _opt_bool(value: object, path: str) -> bool | None:
    if value is None:
        return None
    if not isinstance(value, bool):
        raise _invalid(value, path, "Member must be a boolean")
    return value


def _req_blob(value: object, path: str, max_length: int) -> bytes:
    if value is None:
        raise _invalid(None, path, "Member must not be null")
    if not isinstance(value, bytes):
        raise _invalid(value, path, "Member must be a blob")
    if not value:
        raise _invalid(value, path, "Member must have length greater than or equal to 1")
    if len(value) > max_length:
        raise _invalid(value, path, f"Member must have length less than or equal to {max_length}")
    return value


def _tags(value: object) -> list[dict[str, str]] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise _invalid(value, "tags", "Member must be a list")
    tags = []
    for index, tag in enumerate(value, 1):
        path = f"tags.{index}.member"
        if not isinstance(tag, dict):
            raise _invalid(tag, path, "Member must be a structure")
        name = _req_str(tag.get("TagKey"), f"{path}.tagKey", 1, 128)
        tags.append({"TagKey": name, "TagValue": _req_str(tag.get("TagValue"), f"{path}.tagValue", 0, 256)})
    return tags


def _policy(value: object) -> str | None:
    """The policy member: at most 131072 characters (the model), at most 32 KB (the quota: LimitExceededException,
    as the PutKeyPolicy reference says), and a JSON object with a Statement."""
    policy = _opt_str(value, "policy", 1, 131072)
    if policy is None:
        return None
    if len(policy.encode()) > MAX_POLICY_BYTES:
        raise LimitExceededException(f"The key policy is larger than the quota of {MAX_POLICY_BYTES} bytes.")
    try:
        document = json.loads(policy)
    except (ValueError, RecursionError):
        document = None
    if not isinstance(document, dict) or not isinstance(document.get("Statement"), list | dict):
        raise MalformedPolicyDocumentException("The key policy is not a JSON policy document with a Statement.")
    return policy


def _policy_name(params: dict[str, Any]) -> None:
    name = _opt_str(params.get("PolicyName"), "policyName", 1, 128)
    if name not in (None, "default"):
        raise NotFoundException("No such policy exists")


def _signing_input(params: dict[str, Any]) -> tuple[bytes, bool, str]:
    """(message, whether it is a digest, signing algorithm) of a Sign or Verify request."""
    message = _req_blob(params.get("Message"), "message", 4096)
    digest = _opt_enum(params.get("MessageType"), "messageType", MESSAGE_TYPES) == "DIGEST"
    algorithm = _opt_enum(params.get("SigningAlgorithm"), "signingAlgorithm", SIGNING_ALGORITHMS)
    if algorithm is None:
        raise _invalid(None, "signingAlgorithm", "Member must not be null")
    return message, digest, algorithm
