"""Every modeled error of CreateKeySigningKey through boto3 against the real server: code, status, message."""

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LiveServer, fresh_database_url
from tests.e2e.helpers import error_of, new_kms_key, new_zone

CONCURRENT = (
    "Another user submitted a request to create, update, or delete the object at the same time that you did. "
    "Retry the request."
)


def create(route53: Any, zone_id: str, arn: str, name: str = "ksk_one", status: str = "ACTIVE") -> tuple[str, int, str]:
    return error_of(
        route53.create_key_signing_key,
        CallerReference=uuid.uuid4().hex,
        HostedZoneId=zone_id,
        KeyManagementServiceArn=arn,
        Name=name,
        Status=status,
    )


def test_no_such_hosted_zone(route53, kms):
    assert create(route53, "ZNOSUCHZONE0001", new_kms_key(kms)) == (
        "NoSuchHostedZone",
        404,
        "No hosted zone found with ID: ZNOSUCHZONE0001",
    )


def test_invalid_argument_for_a_private_zone(route53, kms):
    zone_id = new_zone(route53, VPC={"VPCRegion": "us-east-1", "VPCId": "vpc-0123456789abcdef0"})
    assert create(route53, zone_id, new_kms_key(kms)) == (
        "InvalidArgument",
        400,
        "Operation is unsupported for private hosted zones.",
    )


def test_invalid_input_for_lengths_botocore_does_not_check(route53, kms):
    zone_id = new_zone(route53)
    long_name = "n" * 129
    assert create(route53, zone_id, new_kms_key(kms), name=long_name) == (
        "InvalidInput",
        400,
        f"1 validation error detected: Value '{long_name}' at 'name' failed to satisfy constraint: Member must have "
        "length less than or equal to 128",
    )


def test_invalid_kms_arn(route53, kms):
    zone_id = new_zone(route53)
    arn = "arn:aws:kms:us-east-1:123456789012:key/" + str(uuid.uuid4())
    assert create(route53, zone_id, arn) == ("InvalidKMSArn", 400, f"The CMK with ARN '{arn}' does not exist.")


def test_invalid_key_signing_key_status(route53, kms):
    zone_id = new_zone(route53)
    assert create(route53, zone_id, new_kms_key(kms), status="PAUSED") == (
        "InvalidKeySigningKeyStatus",
        400,
        "The key-signing key status 'PAUSED' is not valid. Specify ACTIVE or INACTIVE.",
    )


def test_invalid_signing_status(route53, kms):
    zone_id = new_zone(route53)
    arn = new_kms_key(kms)
    route53.create_key_signing_key(
        CallerReference="a", HostedZoneId=zone_id, KeyManagementServiceArn=arn, Name="ksk_one", Status="ACTIVE"
    )
    route53.enable_hosted_zone_dnssec(HostedZoneId=zone_id)
    kms.disable_key(KeyId=arn)
    assert create(route53, zone_id, new_kms_key(kms), name="ksk_two") == (
        "InvalidSigningStatus",
        400,
        f"The DNSSEC signing status of hosted zone '{zone_id}' is ACTION_NEEDED. Activate a usable key-signing key "
        "or disable DNSSEC signing, and then try again.",
    )


def test_invalid_key_signing_key_name(route53, kms):
    zone_id = new_zone(route53)
    assert create(route53, zone_id, new_kms_key(kms), name="no spaces") == (
        "InvalidKeySigningKeyName",
        400,
        "The key-signing key name 'no spaces' is not valid. A name can contain only letters, digits, underscores (_), "
        "hyphens (-) and periods (.).",
    )


def test_key_signing_key_already_exists_and_too_many(route53, kms):
    zone_id = new_zone(route53)
    first = new_kms_key(kms)
    route53.create_key_signing_key(
        CallerReference="a", HostedZoneId=zone_id, KeyManagementServiceArn=first, Name="ksk_one", Status="ACTIVE"
    )
    assert create(route53, zone_id, new_kms_key(kms), name="ksk_one") == (
        "KeySigningKeyAlreadyExists",
        409,
        f"A key-signing key named 'ksk_one' already exists in hosted zone '{zone_id}'.",
    )
    assert create(route53, zone_id, first, name="ksk_two") == (
        "KeySigningKeyAlreadyExists",
        409,
        f"A key-signing key using the KMS key '{first}' already exists in hosted zone '{zone_id}'.",
    )
    route53.create_key_signing_key(
        CallerReference="b",
        HostedZoneId=zone_id,
        KeyManagementServiceArn=new_kms_key(kms),
        Name="ksk_two",
        Status="INACTIVE",
    )
    assert create(route53, zone_id, new_kms_key(kms), name="ksk_three") == (
        "TooManyKeySigningKeys",
        400,
        f"Hosted zone '{zone_id}' already has 2 key-signing keys, the most a hosted zone can have. Delete a "
        "key-signing key, and then try again.",
    )


@pytest.fixture(scope="module")
def faulty_server(template_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder: Path = tmp_path_factory.mktemp("faulty")
    urls = fresh_database_url(template_database, folder)
    server = LiveServer(next(urls), folder, fault_concurrent_modification_rate="1").start()
    try:
        yield server
    finally:
        server.stop()
        next(urls, None)


def test_concurrent_modification(faulty_server):
    route53, kms = faulty_server.client("route53"), faulty_server.client("kms")
    zone_id = new_zone(route53)
    assert create(route53, zone_id, new_kms_key(kms)) == ("ConcurrentModification", 400, CONCURRENT)
    assert route53.get_dnssec(HostedZoneId=zone_id)["KeySigningKeys"] == []
