"""Input any client can send that once froze a worker or answered a 500 (issue 11, items 2 and 3), against the
real server: each is now an answer, and KMS client mistakes are KMS 400 errors."""

import json
import uuid
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config as BotoConfig

from app.protocol.kms import CONTENT_TYPE
from tests.conftest import LiveServer
from tests.e2e.helpers import error_of, invalid_kms_arn, kms_no_permission, new_zone

ROUTE53_PRINCIPAL = {"Service": "dnssec-route53.amazonaws.com"}


def patient_client(live_server: LiveServer, service: str) -> Any:
    """A client that waits long enough for any answer: a request that hangs fails on its read timeout."""
    return boto3.client(
        service,
        endpoint_url=live_server.url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=BotoConfig(retries={"max_attempts": 1}, read_timeout=60),
    )


def kms_call(live_server: LiveServer, operation: str, body: bytes, **headers: str) -> httpx.Response:
    headers = {"X-Amz-Target": f"TrentService.{operation}", "Content-Type": CONTENT_TYPE, **headers}
    return httpx.post(live_server.url + "/", content=body, headers=headers, timeout=60)


def star_policy(action: str) -> str:
    statement = {"Effect": "Allow", "Principal": ROUTE53_PRINCIPAL, "Action": action}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


@pytest.mark.parametrize(("action", "grants"), [("*" * 25 + "x", False), ("*" * 25 + "?" * 4 + "*", True)])
def test_a_policy_with_25_stars_is_evaluated_at_once(live_server: LiveServer, action: str, grants: bool) -> None:
    """25 stars ending in a mismatch took hours with a backtracking regular expression, and froze the worker."""
    kms = patient_client(live_server, "kms")
    route53 = patient_client(live_server, "route53")
    arn = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY", Policy=star_policy(action))["KeyMetadata"][
        "Arn"
    ]
    zone_id = new_zone(route53)
    params = {
        "CallerReference": uuid.uuid4().hex,
        "HostedZoneId": zone_id,
        "KeyManagementServiceArn": arn,
        "Name": "stars",
        "Status": "ACTIVE",
    }

    if grants:
        assert route53.create_key_signing_key(**params)["KeySigningKey"]["Name"] == "stars"
    else:
        assert error_of(route53.create_key_signing_key, **params) == invalid_kms_arn(kms_no_permission(arn))
    assert httpx.get(live_server.url + "/healthz").text == "ok"


NESTED_64 = "[" * 63 + "]" * 63  # with the body object: 64 levels


@pytest.mark.parametrize("depth", [65, 400, 900, 989, 5000])
def test_json_nested_deeper_than_64_levels_is_a_serialization_exception(live_server: LiveServer, depth: int) -> None:
    nested = "[" * (depth - 1) + "]" * (depth - 1)
    response = kms_call(live_server, "CreateKey", f'{{"Description": {nested}}}'.encode())

    assert (response.status_code, response.json()) == (
        400,
        {"__type": "SerializationException", "message": "The request body is nested deeper than 64 levels."},
    )


def test_json_nested_64_levels_reaches_the_operation(live_server: LiveServer) -> None:
    response = kms_call(live_server, "CreateKey", f'{{"Description": {NESTED_64}}}'.encode())

    assert response.status_code == 400
    assert response.json()["__type"] == "ValidationException"


@pytest.mark.parametrize("depth", [500, 1000, 16000])
def test_a_deeply_nested_policy_is_a_malformed_policy_document(live_server: LiveServer, depth: int) -> None:
    kms = patient_client(live_server, "kms")
    policy = "[" * depth + "]" * depth

    assert error_of(kms.create_key, Policy=policy)[::2] == (
        "MalformedPolicyDocumentException",
        "The key policy is not a JSON policy document with a Statement.",
    )


def test_a_policy_over_32_kb_is_limit_exceeded(live_server: LiveServer) -> None:
    kms = patient_client(live_server, "kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    statement = {"Sid": "s" * 33000, "Effect": "Allow", "Principal": ROUTE53_PRINCIPAL, "Action": "kms:*"}
    policy = json.dumps({"Statement": [statement]})

    expected = ("LimitExceededException", 400, "The key policy is larger than the quota of 32768 bytes.")
    assert error_of(kms.create_key, Policy=policy) == expected
    assert error_of(kms.put_key_policy, KeyId=key_id, PolicyName="default", Policy=policy) == expected


def test_a_credential_scope_region_longer_than_any_region_means_the_default_region(live_server: LiveServer) -> None:
    """A region longer than the region column once reached PostgreSQL (StringDataRightTruncation, a 500)."""
    region = "us-" + "east-" * 20 + "1"
    authorization = (
        f"AWS4-HMAC-SHA256 Credential=test/20260101/{region}/kms/aws4_request, SignedHeaders=host, Signature=0"
    )

    response = kms_call(live_server, "CreateKey", b"{}", Authorization=authorization)

    assert response.status_code == 200, response.text
    assert response.json()["KeyMetadata"]["Arn"].startswith("arn:aws:kms:us-east-1:")


@pytest.mark.parametrize("region", ["us-gov-west-1", "ap-southeast-5", "eusc-de-east-1"])
def test_regions_of_every_shape_aws_uses_are_kept(live_server: LiveServer, region: str) -> None:
    kms = live_server.client("kms", region=region)

    assert kms.create_key()["KeyMetadata"]["Arn"].startswith(f"arn:aws:kms:{region}:")
