"""End to end with ``R53_KMS_ENDPOINT_URL``: the real server asks a moto KMS server for the key behind a KSK
and applies the same checks; the KSK's DNSSEC material comes from moto's public key."""

import base64
import uuid
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.conftest import LiveServer, fresh_database_url
from tests.kms_keys import DNSSEC_POLICY


def test_create_key_signing_key_with_a_remote_kms(
    moto_endpoint: str, template_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")  # the server's standard credential chain
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    urls = fresh_database_url(template_database, tmp_path)
    server = LiveServer(next(urls), tmp_path, kms_endpoint_url=moto_endpoint, kms_region="us-east-1")
    server.start()
    try:
        moto_kms = boto3.client(
            "kms",
            endpoint_url=moto_endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        arn = moto_kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY", Policy=DNSSEC_POLICY)["KeyMetadata"][
            "Arn"
        ]
        spki = moto_kms.get_public_key(KeyId=arn)["PublicKey"]
        route53 = server.client("route53")
        zone = route53.create_hosted_zone(Name="remote.example", CallerReference=uuid.uuid4().hex)
        zone_id = zone["HostedZone"]["Id"].split("/")[-1]
        created = route53.create_key_signing_key(
            CallerReference="r", HostedZoneId=zone_id, KeyManagementServiceArn=arn, Name="remote_ksk", Status="ACTIVE"
        )
        assert created["KeySigningKey"]["PublicKey"] == base64.b64encode(spki[-64:]).decode()

        no_grant = moto_kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["Arn"]
        wrong_spec = moto_kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY", Policy=DNSSEC_POLICY)[
            "KeyMetadata"
        ]["Arn"]
        local_only = server.client("kms").create_key(
            KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY", Policy=DNSSEC_POLICY
        )["KeyMetadata"]["Arn"]
        expected = {
            no_grant: "did not grant all required permissions",
            wrong_spec: "has key spec 'RSA_2048'",
            local_only: "does not exist",
            "": "is not valid",  # checked before the remote KMS is asked
        }
        for index, (bad, fragment) in enumerate(expected.items()):
            with pytest.raises(ClientError) as caught:
                route53.create_key_signing_key(
                    CallerReference="r",
                    HostedZoneId=zone_id,
                    KeyManagementServiceArn=bad,
                    Name=f"bad_{index}",
                    Status="ACTIVE",
                )
            assert caught.value.response["Error"]["Code"] == "InvalidKMSArn"
            assert fragment in caught.value.response["Error"]["Message"]

        # The remote KMS's account is not one of this service's: its key policy is not evaluated against the
        # zone's account, so a zone of any account may use the key the remote KMS lets Route 53 use.
        other = server.client("route53", access_key="111111111111")
        other_zone = other.create_hosted_zone(Name="remote.example", CallerReference=uuid.uuid4().hex)
        other_id = other_zone["HostedZone"]["Id"].split("/")[-1]
        again = other.create_key_signing_key(
            CallerReference="r", HostedZoneId=other_id, KeyManagementServiceArn=arn, Name="remote_ksk", Status="ACTIVE"
        )
        assert again["KeySigningKey"]["PublicKey"] == base64.b64encode(spki[-64:]).decode()
    finally:
        server.stop()
        next(urls, None)
