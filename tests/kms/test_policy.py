"""Key policy evaluation for Route 53 DNSSEC access."""

import json
import threading
from typing import Any

import pytest

from app.kms import policy as policy_module
from app.kms.policy import INLINE_POLICY_CHARS, MAX_POLICY_BYTES, grants_dnssec_access, prepare_verdicts

ACCOUNT = "123456789012"

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


@pytest.mark.parametrize(
    ("pattern", "action", "matches"),
    [
        ("kms:*", "kms:Sign", True),
        ("*", "kms:Sign", True),
        ("**", "kms:Sign", True),
        ("kms:*Key", "kms:DescribeKey", True),
        ("kms:*Key", "kms:Sign", False),
        ("k*s:*i*n", "kms:Sign", True),
        ("k*s:*i*n*", "kms:Sign", True),
        ("*Sign*Sign", "kms:Sign", False),
        ("KMS:s?GN", "kms:Sign", True),
        ("kms:S?g", "kms:Sign", False),
        ("kms:Sign?", "kms:Sign", False),
        ("?*?", "kms:Sign", True),
        ("*?ey", "kms:GetPublicKey", True),
        ("*c*c*", "kms:GetPublicKey", False),
        ("kms:Sign", "kms:Sign", True),
        ("kms:Signs", "kms:Sign", False),
        ("", "kms:Sign", False),
    ],
)
def test_wildcards(pattern: str, action: str, matches: bool) -> None:
    """The policy grants exactly when ``pattern`` covers the one required action the others leave out."""
    others = [required for required in REQUIRED if required != action]
    assert grants_dnssec_access(policy(allow(action=[pattern, *others]))) is matches


@pytest.mark.parametrize("stars", [16, 25, 4000])
def test_many_stars_are_matched_without_backtracking(stars: int) -> None:
    """A backtracking matcher needs hours for 25 stars that end in a mismatch (issue 11, item 2)."""
    assert grants_dnssec_access(policy(allow(action="*" * stars + "x"))) is False
    assert grants_dnssec_access(policy(allow(action="*" * stars + "?" * 3 + "*"))) is True


def test_a_policy_over_the_32_kb_quota_grants_nothing() -> None:
    fits = policy(allow(Sid="s" * 32000))
    assert len(fits.encode()) <= MAX_POLICY_BYTES
    assert grants_dnssec_access(fits) is True
    assert grants_dnssec_access(policy(allow(Sid="s" * 33000))) is False
    assert grants_dnssec_access(policy(allow(Sid="é" * 16400))) is False  # 32 KB counted in UTF-8 bytes


def test_a_deeply_nested_policy_grants_nothing() -> None:
    assert grants_dnssec_access("[" * 16000 + "]" * 16000) is False
    assert grants_dnssec_access(policy(allow(Condition={"A": "[" * 10000}))) is True  # only text, not nesting


async def test_long_policies_are_evaluated_in_a_worker_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    evaluated_in: list[str] = []
    real = policy_module.evaluate_policy

    def spy(document: str, zone_account: str | None, key_account: str | None) -> bool:
        evaluated_in.append(threading.current_thread().name)
        return real(document, zone_account, key_account)

    monkeypatch.setattr(policy_module, "evaluate_policy", spy)
    long_policy = policy(allow(Sid="l" * (INLINE_POLICY_CHARS + 1)))
    short_policy = policy(allow(Sid="short"))

    await prepare_verdicts([(long_policy, ACCOUNT), (short_policy, ACCOUNT)])
    assert grants_dnssec_access(long_policy, ACCOUNT, ACCOUNT) is True
    assert grants_dnssec_access(short_policy, ACCOUNT, ACCOUNT) is True

    main = threading.main_thread().name
    assert len(evaluated_in) == 2
    assert evaluated_in[0] != main  # the long one, before anyone asked, and only once
    assert evaluated_in[1] == main  # the short one, when asked
