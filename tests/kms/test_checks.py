"""Every way a KMS key can be unfit for DNSSEC, and its InvalidKMSArn message."""

import dataclasses
import json
from typing import Any

import pytest

from app.errors import InvalidKMSArn
from app.kms.backend import KmsKeyView
from app.kms.checks import check_dnssec_key, dnssec_key_problem

KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
ARN = f"arn:aws:kms:us-east-1:111122223333:key/{KEY_ID}"
POLICY = json.dumps(
    {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "dnssec-route53.amazonaws.com"},
                "Action": ["kms:DescribeKey", "kms:GetPublicKey", "kms:Sign"],
            }
        ]
    }
)
FIT = KmsKeyView(
    arn=ARN,
    key_id=KEY_ID,
    region="us-east-1",
    account_id="111122223333",
    key_state="Enabled",
    key_spec="ECC_NIST_P256",
    key_usage="SIGN_VERIFY",
    policy=POLICY,
    public_key_der=b"spki",
)


def test_fit_key_passes_and_yields_its_public_key() -> None:
    assert dnssec_key_problem(ARN, FIT) is None
    assert check_dnssec_key(ARN, FIT) == b"spki"


def test_multi_region_key_ids_are_well_formed() -> None:
    arn = "arn:aws:kms:us-east-1:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab"

    assert dnssec_key_problem(arn, dataclasses.replace(FIT, arn=arn)) is None


@pytest.mark.parametrize(
    "arn",
    [
        "alias/dnssec",
        "arn:aws:kms:us-east-1:111122223333:alias/dnssec",
        "arn:aws:kms:us-east-1:1111:key/" + KEY_ID,
        "arn:aws:kms:us-east-1:111122223333:key/not-a-key-id",
        "arn:aws-cn:kms:us-east-1:111122223333:key/" + KEY_ID,
        KEY_ID,
        ARN + " ",
    ],
)
def test_malformed_arns(arn: str) -> None:
    assert dnssec_key_problem(arn, FIT) == (
        f"The KMS key ARN '{arn}' is not valid. Specify the ARN of a customer managed key in the form "
        "arn:aws:kms:us-east-1:<account id>:key/<key id>; alias ARNs are not accepted."
    )


def test_other_region() -> None:
    arn = ARN.replace("us-east-1", "eu-west-1")

    assert dnssec_key_problem(arn, FIT) == (
        f"The CMK with ARN '{arn}' is in region 'eu-west-1'. "
        "DNSSEC signing requires a customer managed key in us-east-1."
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"key_state": "Disabled"}, f"The CMK with ARN '{ARN}' is disabled. Enable the key, and then try again."),
        (
            {"key_state": "PendingDeletion"},
            f"The CMK with ARN '{ARN}' is pending deletion. "
            "Cancel the key deletion, enable the key, and then try again.",
        ),
        (
            {"key_state": "PendingImport"},
            f"The CMK with ARN '{ARN}' is in key state 'PendingImport'; DNSSEC signing needs Enabled.",
        ),
        (
            {"key_spec": "ECC_NIST_P384"},
            f"The CMK with ARN '{ARN}' has key spec 'ECC_NIST_P384'. DNSSEC signing requires key spec ECC_NIST_P256.",
        ),
        (
            {"key_usage": "ENCRYPT_DECRYPT"},
            f"The CMK with ARN '{ARN}' has key usage 'ENCRYPT_DECRYPT'. DNSSEC signing requires key usage SIGN_VERIFY.",
        ),
        (
            {"policy": json.dumps({"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*"}]})},
            f"The CMK with ARN '{ARN}' did not grant all required permissions for DNSSEC usage. Please review your "
            "key-policy, and verify that you and Route 53 have permissions to perform the following actions: "
            "DescribeKey, GetPublicKey, and Sign.",
        ),
    ],
)
def test_unfit_keys(change: dict[str, Any], message: str) -> None:
    view = dataclasses.replace(FIT, **change)

    assert dnssec_key_problem(ARN, view) == message
    with pytest.raises(InvalidKMSArn) as raised:
        check_dnssec_key(ARN, view)
    assert raised.value.message == message


def test_missing_key() -> None:
    message = f"The CMK with ARN '{ARN}' does not exist."

    assert dnssec_key_problem(ARN, None) == message
    with pytest.raises(InvalidKMSArn, match="does not exist"):
        check_dnssec_key(ARN, None)


def test_checks_run_in_order() -> None:
    """A disabled P-384 key without a policy is reported as disabled: the earliest problem wins."""
    view = dataclasses.replace(FIT, key_state="Disabled", key_spec="ECC_NIST_P384", policy="{}")

    assert dnssec_key_problem(ARN, view) == f"The CMK with ARN '{ARN}' is disabled. Enable the key, and then try again."


def test_fit_key_without_public_key_reads_as_missing() -> None:
    with pytest.raises(InvalidKMSArn) as raised:
        check_dnssec_key(ARN, dataclasses.replace(FIT, public_key_der=None))

    assert raised.value.message == f"The CMK with ARN '{ARN}' does not exist."
