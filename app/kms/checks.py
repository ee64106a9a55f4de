"""Is a KMS key fit to be a Route 53 key-signing key? (Route 53 Developer Guide, "Customer managed key
requirements for DNSSEC"; Route 53 API Reference, CreateKeySigningKey ``KeyManagementServiceArn``.)

Each unfit key gets one ``InvalidKMSArn`` message, checked in this order: ARN syntax (key ARNs only, no
alias ARNs), region us-east-1, existence, disabled, pending deletion, any other state but Enabled, key spec
ECC_NIST_P256, key usage SIGN_VERIFY, key policy. Only the key policy message is AWS's own text.
"""

import re

from app.errors import InvalidKMSArn
from app.kms.backend import KmsBackend, KmsKeyView
from app.kms.policy import grants_dnssec_access

DNSSEC_REGION = "us-east-1"
KEY_ARN = re.compile(
    r"arn:aws:kms:(?P<region>[a-z0-9-]+):[0-9]{12}:key/"
    r"(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|mrk-[0-9a-fA-F]{32})"
)


def arn_problem(arn: str) -> str | None:
    """The InvalidKMSArn message for an ARN that is malformed or outside us-east-1, before any lookup."""
    match = KEY_ARN.fullmatch(arn)
    if match is None:
        return (
            f"The KMS key ARN '{arn}' is not valid. Specify the ARN of a customer managed key in the form "
            f"arn:aws:kms:{DNSSEC_REGION}:<account id>:key/<key id>; alias ARNs are not accepted."
        )
    if match["region"] != DNSSEC_REGION:
        return (
            f"The CMK with ARN '{arn}' is in region '{match['region']}'. "
            f"DNSSEC signing requires a customer managed key in {DNSSEC_REGION}."
        )
    return None


def dnssec_key_problem(arn: str, view: KmsKeyView | None, zone_account: str | None = None) -> str | None:
    """The InvalidKMSArn message for this key, or None when Route 53 can sign with it for a zone of
    ``zone_account`` (a key of another account must grant that account: ``app.kms.policy``)."""
    problem = arn_problem(arn)
    if problem is not None:
        return problem
    if view is None:
        return f"The CMK with ARN '{arn}' does not exist."
    if view.key_state == "Disabled":
        return f"The CMK with ARN '{arn}' is disabled. Enable the key, and then try again."
    if view.key_state in ("PendingDeletion", "PendingReplicaDeletion"):
        return (
            f"The CMK with ARN '{arn}' is pending deletion. "
            "Cancel the key deletion, enable the key, and then try again."
        )
    if view.key_state != "Enabled":
        return f"The CMK with ARN '{arn}' is in key state '{view.key_state}'; DNSSEC signing needs Enabled."
    if view.key_spec != "ECC_NIST_P256":
        return (
            f"The CMK with ARN '{arn}' has key spec '{view.key_spec}'. DNSSEC signing requires key spec ECC_NIST_P256."
        )
    if view.key_usage != "SIGN_VERIFY":
        return (
            f"The CMK with ARN '{arn}' has key usage '{view.key_usage}'. DNSSEC signing requires key usage SIGN_VERIFY."
        )
    if not grants_dnssec_access(view.policy, zone_account if view.local else None, view.account_id):
        return (
            f"The CMK with ARN '{arn}' did not grant all required permissions for DNSSEC usage. "
            "Please review your key-policy, and verify that you and Route 53 have permissions to perform "
            "the following actions: DescribeKey, GetPublicKey, and Sign."
        )
    return None


async def resolve_dnssec_key(arn: str, kms: KmsBackend, zone_account: str | None = None) -> bytes:
    """The key's DER SubjectPublicKeyInfo, looked up only when the ARN itself is fit; else InvalidKMSArn."""
    problem = arn_problem(arn)
    if problem is not None:
        raise InvalidKMSArn(problem)
    return check_dnssec_key(arn, await kms.describe(arn), zone_account)


def check_dnssec_key(arn: str, view: KmsKeyView | None, zone_account: str | None = None) -> bytes:
    """The key's DER SubjectPublicKeyInfo; raises ``InvalidKMSArn`` when the key is unfit."""
    problem = dnssec_key_problem(arn, view, zone_account)
    if problem is None and view is not None and view.public_key_der is not None:
        return view.public_key_der
    raise InvalidKMSArn(problem or f"The CMK with ARN '{arn}' does not exist.")
