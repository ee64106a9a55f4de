"""Test helper: KMS keys made through the service's own KMS, in process."""

import json
from typing import Any

ACCOUNT = "123456789012"  # R53_ACCOUNT_ID's default: the account of the tests' requests

DNSSEC_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Allow use of the customer managed key for DNSSEC",
                "Effect": "Allow",
                "Principal": {"Service": "dnssec-route53.amazonaws.com"},
                "Action": ["kms:DescribeKey", "kms:GetPublicKey", "kms:Sign", "kms:Verify"],
                "Resource": "*",
            },
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
        ],
    }
)


async def make_key(
    app: Any,
    spec: str = "ECC_NIST_P256",
    usage: str = "SIGN_VERIFY",
    policy: str = DNSSEC_POLICY,
    region: str = "us-east-1",
) -> str:
    """Create a KMS key and return its ARN."""
    created = await app.state.local_kms.create_key(
        {"KeySpec": spec, "KeyUsage": usage, "Policy": policy}, region, ACCOUNT
    )
    arn: str = created["KeyMetadata"]["Arn"]
    return arn


async def public_key_der(app: Any, arn: str) -> bytes:
    result = await app.state.local_kms.get_public_key({"KeyId": arn}, "us-east-1", ACCOUNT)
    der: bytes = result["PublicKey"]
    return der
