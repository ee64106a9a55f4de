"""``R53_AUTH=sigv4`` on the real server with boto3, and the DNSSEC flow of the AWS SDK for JavaScript v3 (its
own signer): matching credentials pass on Route 53 and KMS; a wrong secret, an unknown key and an expired
session token give the AWS error each SDK sees; start-up refuses a missing or invalid credentials file."""

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from tests.conftest import ROOT, LiveServer, fresh_database_url
from tests.e2e import test_js_sdk as js_flow
from tests.e2e.helpers import error_of
from tests.e2e.test_js_sdk import node_project

__all__ = ["node_project"]  # the fixture, for the JavaScript flow below

CREDENTIALS = (
    "AKIAALICE alice-secret 111111111111\n"
    "ASIAOLD old-secret 111111111111 tok 2020-01-01T00:00:00Z\n"
    "test test 123456789012  # the JavaScript flow's credentials\n"
)


@pytest.fixture(scope="module")
def signed_server(template_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("sigv4")
    (folder / "credentials").write_text(CREDENTIALS)
    urls = fresh_database_url(template_database, folder)
    server = LiveServer(next(urls), folder, auth="sigv4", credentials_file=str(folder / "credentials")).start()
    try:
        yield server
    finally:
        server.stop()
        next(urls, None)


def client(server: LiveServer, service: str, key: str, secret: str, token: str | None = None) -> Any:
    return boto3.client(
        service,
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
        config=Config(retries={"max_attempts": 1}),
    )


def test_boto3_with_the_right_secret_passes(signed_server: LiveServer) -> None:
    route53 = client(signed_server, "route53", "AKIAALICE", "alice-secret")
    kms = client(signed_server, "kms", "AKIAALICE", "alice-secret")
    route53.create_hosted_zone(Name="signed.example", CallerReference=str(uuid.uuid4()))
    assert [zone["Name"] for zone in route53.list_hosted_zones()["HostedZones"]] == ["signed.example."]
    key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    assert kms.get_public_key(KeyId=key)["KeySpec"] == "ECC_NIST_P256"


def test_boto3_sees_each_failure(signed_server: LiveServer) -> None:
    invalid = "The security token included in the request is invalid."
    wrong = (
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
        "Access Key and signing method. Consult the service documentation for details."
    )
    expired = "The security token included in the request is expired"
    cases = [
        (("AKIAEVE", "x"), ("InvalidClientTokenId", 403, invalid), ("UnrecognizedClientException", 400, invalid)),
        (("AKIAALICE", "guess"), ("SignatureDoesNotMatch", 403, wrong), ("InvalidSignatureException", 400, wrong)),
        (("ASIAOLD", "old-secret", "tok"), ("ExpiredToken", 403, expired), ("ExpiredTokenException", 400, expired)),
    ]
    for credentials, route53_error, kms_error in cases:
        route53 = client(signed_server, "route53", *credentials)
        kms = client(signed_server, "kms", *credentials)
        assert error_of(route53.create_hosted_zone, Name="x.example", CallerReference="r") == route53_error
        assert error_of(kms.create_key, KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY") == kms_error
    route53 = client(signed_server, "route53", "AKIAALICE", "alice-secret")
    assert "x.example." not in [zone["Name"] for zone in route53.list_hosted_zones()["HostedZones"]]


@pytest.mark.parametrize(
    ("file_text", "message"),
    [
        (None, "R53_CREDENTIALS_FILE: cannot read"),
        ("AKIA only-two\n", "R53_CREDENTIALS_FILE: "),
    ],
)
def test_start_up_refuses_a_bad_credentials_file(tmp_path: Path, file_text: str | None, message: str) -> None:
    path = tmp_path / "credentials"
    if file_text is not None:
        path.write_text(file_text)
    env = {**os.environ, "R53_AUTH": "sigv4", "R53_CREDENTIALS_FILE": str(path)}
    env["R53_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    done = subprocess.run(
        [sys.executable, "-m", "app", "serve", "--port", "1"], cwd=ROOT, env=env, capture_output=True, timeout=60
    )
    assert done.returncode == 2
    assert done.stderr.decode().startswith(f"route53-dnssec: error: {message}")


def test_the_javascript_sdk_flow_passes_verification(signed_server: LiveServer, node_project: Path) -> None:
    """The whole DNSSEC flow of the AWS SDK for JavaScript v3 (its own SigV4 signer) under R53_AUTH=sigv4."""
    js_flow.test_dnssec_flow_through_the_js_sdk(signed_server, node_project)
