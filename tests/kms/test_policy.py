"""Key policy evaluation for Route 53 DNSSEC access."""

import json
from typing import Any

import pytest

from app.kms.policy import grants_dnssec_access

ROUTE53 = {"Service": "dnssec-route53.amazonaws.com"}
REQUIRED = ["kms:DescribeKey", "kms:GetPublicKey", "kms:Sign"]


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(principal: Any = ROUTE53, action: Any = REQUIRED, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": action, **extra}


def deny(principal: Any = ROUTE53, action: Any = "kms:Sign", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Principal": principal, "Action": action, **extra}


@pytest.mark.parametrize(
    "document",
    [
        policy(allow(Resource="*")),
        policy(allow(action="kms:*")),
        policy(allow(action="*")),
        policy(allow(action=["KMS:describekey", "kms:Get*", "kms:S?gn"])),
        policy(allow(principal={"Service": "api-service.dnssec.route53.aws.internal"}, action="kms:*")),
        policy(allow(principal={"Service": ["ec2.amazonaws.com", "dnssec-route53.amazonaws.com"]})),
        policy(allow(principal="*", action="kms:*")),
        policy(allow(action="kms:DescribeKey"), allow(action=["kms:GetPublicKey", "kms:Sign"])),
        policy(allow(Condition={"StringEquals": {"aws:SourceAccount": "111122223333"}})),
        policy({"Effect": "Allow", "Principal": ROUTE53, "NotAction": ["kms:Decrypt", "kms:Encrypt"]}),
        policy(allow(), deny(action="kms:Decrypt")),
        policy(allow(), deny(principal={"AWS": "arn:aws:iam::111122223333:role/x"}, action="kms:*")),
        json.dumps({"Statement": allow()}),
    ],
)
def test_grants(document: str) -> None:
    assert grants_dnssec_access(document) is True


@pytest.mark.parametrize(
    "document",
    [
        policy(allow(principal={"AWS": "*"}, action="kms:*")),
        policy(allow(principal={"AWS": "arn:aws:iam::111122223333:root"}, action="kms:*")),
        policy(allow(principal={"Service": "route53.amazonaws.com"}, action="kms:*")),
        policy(allow(action=["kms:DescribeKey", "kms:GetPublicKey"])),
        policy(allow(action="kms:Get*")),
        policy(allow(), deny()),
        policy(allow(action="kms:*"), deny(principal="*", action="kms:Get*")),
        policy(allow(), deny(Condition={"Bool": {"aws:SecureTransport": "false"}})),
        policy(allow(), {"Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "*"}),
        policy({"Effect": "Allow", "Principal": ROUTE53, "NotAction": "kms:Sign"}),
        policy({"Effect": "Allow", "Principal": ROUTE53}),
        policy({"Effect": "Allow", "Action": "kms:*"}),
        policy({"Effect": "allow", "Principal": ROUTE53, "Action": "kms:*"}),
        policy(allow(principal=["dnssec-route53.amazonaws.com"])),
        policy(),
        json.dumps({"Version": "2012-10-17"}),
        json.dumps([allow()]),
        json.dumps({"Statement": "kms:*"}),
        "not json at all",
        "",
    ],
)
def test_does_not_grant(document: str) -> None:
    assert grants_dnssec_access(document) is False


def test_terraform_acceptance_test_policy_grants() -> None:
    """The policy of Terraform's own KSK acceptance test: legacy principal, no Resource, plus {"AWS": "*"}."""
    document = policy(
        {
            "Action": ["kms:DescribeKey", "kms:GetPublicKey", "kms:Sign"],
            "Effect": "Allow",
            "Principal": {"Service": "api-service.dnssec.route53.aws.internal"},
            "Sid": "Allow Route 53 DNSSEC Service",
        },
        {"Action": "kms:*", "Effect": "Allow", "Principal": {"AWS": "*"}, "Resource": "*", "Sid": "Enable IAM"},
    )

    assert grants_dnssec_access(document) is True
