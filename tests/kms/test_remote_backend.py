"""RemoteKmsBackend against moto's KMS server, reached through boto3 as a real KMS would be."""

import json
from pathlib import Path

import boto3
import pytest
from mypy_boto3_kms import KMSClient

from app.config import Settings
from app.db.reads import Reader
from app.db.session import create_engine, create_sessionmaker
from app.kms.backend import LocalKmsBackend, RemoteKmsBackend, build_kms_backend
from app.kms.checks import check_dnssec_key
from tests.kms_keys import DNSSEC_POLICY


@pytest.fixture(autouse=True)
def aws_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Credentials for the standard chain, isolated from the developer's own AWS configuration."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)


@pytest.fixture
def moto_kms(moto_endpoint: str) -> KMSClient:
    return boto3.client("kms", endpoint_url=moto_endpoint, region_name="us-east-1")


async def test_describe_returns_the_key_as_route53_sees_it(moto_endpoint: str, moto_kms: KMSClient) -> None:
    metadata = moto_kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY", Policy=DNSSEC_POLICY)["KeyMetadata"]
    public_key = moto_kms.get_public_key(KeyId=metadata["KeyId"])["PublicKey"]

    view = await RemoteKmsBackend(moto_endpoint, "us-east-1").describe(metadata["Arn"])

    assert view is not None
    assert (view.arn, view.key_id, view.region, view.account_id) == (
        metadata["Arn"],
        metadata["KeyId"],
        "us-east-1",
        metadata["AWSAccountId"],
    )
    assert (view.key_state, view.key_spec, view.key_usage) == ("Enabled", "ECC_NIST_P256", "SIGN_VERIFY")
    assert json.loads(view.policy) == json.loads(DNSSEC_POLICY)
    assert check_dnssec_key(metadata["Arn"], view) == view.public_key_der == public_key


async def test_disabled_key_has_no_public_key(moto_endpoint: str, moto_kms: KMSClient) -> None:
    metadata = moto_kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY", Policy=DNSSEC_POLICY)["KeyMetadata"]
    moto_kms.disable_key(KeyId=metadata["KeyId"])  # moto's DisableKey takes no ARN

    view = await RemoteKmsBackend(moto_endpoint, "us-east-1").describe(metadata["Arn"])

    assert view is not None and (view.key_state, view.public_key_der) == ("Disabled", None)


async def test_missing_keys_are_none_or_absent(moto_endpoint: str, moto_kms: KMSClient) -> None:
    arn = moto_kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY", Policy=DNSSEC_POLICY)["KeyMetadata"][
        "Arn"
    ]
    missing = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    backend = RemoteKmsBackend(moto_endpoint, "us-east-1")

    assert await backend.describe(missing) is None
    assert set(await backend.describe_many([arn, missing, arn])) == {arn}


def test_build_kms_backend_picks_remote_only_with_an_endpoint(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}", kms_endpoint_url=None)
    reader = Reader(create_sessionmaker(create_engine(settings)), None)
    remote = settings.model_copy(update={"kms_endpoint_url": "http://127.0.0.1:1"})

    assert isinstance(build_kms_backend(settings, reader), LocalKmsBackend)
    assert isinstance(build_kms_backend(remote, reader), RemoteKmsBackend)


async def test_a_key_route53_may_not_read_fails_the_permissions_check(moto_endpoint: str) -> None:
    from botocore.stub import Stubber

    from app.errors import InvalidKMSArn

    backend = RemoteKmsBackend(moto_endpoint, "us-east-1")
    arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    with Stubber(backend._client) as stub:
        stub.add_client_error("describe_key", service_error_code="AccessDeniedException", http_status_code=400)
        view = await backend.describe(arn)
    with pytest.raises(InvalidKMSArn) as caught:
        check_dnssec_key(arn, view)
    assert caught.value.message.startswith(f"The CMK with ARN '{arn}' did not grant all required permissions")
