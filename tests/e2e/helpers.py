"""Shared helpers for the end-to-end tests: boto3 calls against the live server, exact error triples, changes.

Every message below is pinned here once, in the product's exact wording (app/services/*, app/kms/checks.py).
"""

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.kms_keys import DNSSEC_POLICY

ZONE_ACTION_NEEDED = (
    "DNSSEC signing is enabled but no ACTIVE key-signing key can be used; "
    "see the StatusMessage of each key-signing key."
)
PRIVATE_ZONE = "Operation is unsupported for private hosted zones."
ZONE_HAS_KEYS = "The specified hosted zone contains DNSSEC Key Signing Keys and so cannot be deleted."

# A key policy that gives the account everything but never names Route 53's DNSSEC service principal.
ACCOUNT_ONLY_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
)


def no_such_zone(zone_id: str) -> tuple[str, int, str]:
    return ("NoSuchHostedZone", 404, f"No hosted zone found with ID: {zone_id}")


def no_such_key(zone_id: str, name: str) -> tuple[str, int, str]:
    return ("NoSuchKeySigningKey", 404, f"No key-signing key named '{name}' exists in hosted zone '{zone_id}'.")


def no_active_key(zone_id: str) -> tuple[str, int, str]:
    return (
        "KeySigningKeyWithActiveStatusNotFound",
        400,
        f"Hosted zone with ID '{zone_id}' does not have a Key Signing Key in ACTIVE status.",
    )


def not_inactive(name: str) -> tuple[str, int, str]:
    return (
        "InvalidKeySigningKeyStatus",
        400,
        f"Key Signing Key with name {name} cannot be deleted because current status is not INACTIVE.",
    )


def key_in_use(zone_id: str, name: str) -> tuple[str, int, str]:
    return (
        "KeySigningKeyInUse",
        400,
        f"The key-signing key '{name}' cannot be deactivated: hosted zone '{zone_id}' has DNSSEC signing enabled "
        "and no other usable ACTIVE key-signing key. Disable DNSSEC signing, or activate another key-signing key, "
        "and then try again.",
    )


def dnssec_not_found(zone_id: str) -> tuple[str, int, str]:
    return ("DNSSECNotFound", 400, f"Hosted zone '{zone_id}' does not have any DNSSEC resources.")


def private_zone() -> tuple[str, int, str]:
    return ("InvalidArgument", 400, PRIVATE_ZONE)


def zone_not_empty() -> tuple[str, int, str]:
    return ("HostedZoneNotEmpty", 400, ZONE_HAS_KEYS)


def kms_disabled(arn: str) -> str:
    return f"The CMK with ARN '{arn}' is disabled. Enable the key, and then try again."


def kms_pending_deletion(arn: str) -> str:
    return f"The CMK with ARN '{arn}' is pending deletion. Cancel the key deletion, enable the key, and then try again."


def kms_no_permission(arn: str) -> str:
    return (
        f"The CMK with ARN '{arn}' did not grant all required permissions for DNSSEC usage. "
        "Please review your key-policy, and verify that you and Route 53 have permissions to perform "
        "the following actions: DescribeKey, GetPublicKey, and Sign."
    )


def invalid_kms_arn(message: str) -> tuple[str, int, str]:
    return ("InvalidKMSArn", 400, message)


def error_of(call: Callable[..., Any], **params: Any) -> tuple[str, int, str]:
    """(Code, HTTP status, Message) of the ClientError the call must raise."""
    with pytest.raises(ClientError) as raised:
        call(**params)
    response = raised.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"]


def bare(resource_id: str) -> str:
    return resource_id.rsplit("/", 1)[-1]


def new_zone(route53: Any, name: str | None = None, **extra: Any) -> str:
    """A fresh hosted zone; its bare id (after checking the create change reaches INSYNC)."""
    name = name or f"{uuid.uuid4().hex[:12]}.example.com"
    created = route53.create_hosted_zone(Name=name, CallerReference=uuid.uuid4().hex, **extra)
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    insync(route53, created["ChangeInfo"])
    return bare(created["HostedZone"]["Id"])


def new_kms_key(kms: Any, policy: str = DNSSEC_POLICY) -> str:
    """An ECC_NIST_P256 SIGN_VERIFY key with the DNSSEC policy; its ARN."""
    created = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY", Policy=policy)
    arn: str = created["KeyMetadata"]["Arn"]
    return arn


def insync(route53: Any, change_info: dict[str, Any]) -> None:
    """A ChangeInfo answered PENDING that GetChange reports INSYNC (propagation delay 0)."""
    assert change_info["Status"] == "PENDING", change_info
    assert change_info["Id"].startswith("/change/C"), change_info
    got = route53.get_change(Id=change_info["Id"])["ChangeInfo"]
    assert (got["Id"], got["Status"]) == (change_info["Id"], "INSYNC")
    assert got["SubmittedAt"] == change_info["SubmittedAt"]


def call_ok(route53: Any, operation: str, **params: Any) -> dict[str, Any]:
    """Run a mutating operation that answers a ChangeInfo; check the change and return the response."""
    response: dict[str, Any] = getattr(route53, operation)(**params)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    insync(route53, response["ChangeInfo"])
    return response


def new_ksk(route53: Any, zone_id: str, kms_arn: str, name: str, status: str = "ACTIVE") -> dict[str, Any]:
    created = route53.create_key_signing_key(
        CallerReference=uuid.uuid4().hex,
        HostedZoneId=zone_id,
        KeyManagementServiceArn=kms_arn,
        Name=name,
        Status=status,
    )
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    insync(route53, created["ChangeInfo"])
    key: dict[str, Any] = created["KeySigningKey"]
    return key


def dnssec(route53: Any, zone_id: str) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """GetDNSSEC: (Status, {name: key})."""
    got = route53.get_dnssec(HostedZoneId=zone_id)
    return got["Status"], {key["Name"]: key for key in got["KeySigningKeys"]}


def key_state(route53: Any, zone_id: str, name: str) -> tuple[str, str | None]:
    """(Status, StatusMessage or None) of one KSK in GetDNSSEC."""
    key = dnssec(route53, zone_id)[1][name]
    return key["Status"], key.get("StatusMessage")


def zone_state(route53: Any, zone_id: str) -> tuple[str, str | None]:
    status = dnssec(route53, zone_id)[0]
    return status["ServeSignature"], status.get("StatusMessage")


def poll(read: Callable[[], Any], want: Any, attempts: int = 20, delay: float = 0.25) -> Any:
    """Read until it returns ``want`` (as Terraform's status waiters poll GetDNSSEC); fail after ``attempts``."""
    seen = None
    for _ in range(attempts):
        seen = read()
        if seen == want:
            return seen
        time.sleep(delay)
    raise AssertionError(f"still {seen!r}, wanted {want!r}")
