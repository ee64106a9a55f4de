"""Signing with a remote KMS (``R53_KMS_ENDPOINT_URL``, a moto server): the DNSKEY RRset is signed through
KMS Sign on the KSK's own key there, and validates from the DS that GetDNSSEC reports."""

import time
from collections.abc import AsyncIterator

import boto3
import httpx
import pytest
from fastapi import FastAPI

from app.config import Settings
from app.kms.backend import KmsSignFailed, RemoteKmsBackend
from app.main import create_app
from tests.kms_keys import DNSSEC_POLICY
from tests.signing import answer, change, get_dnssec, material, record, signing_zone, trusted_keys, validate_sections

DAY = 86400


@pytest.fixture
def moto_kms(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> object:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")  # the service's standard credential chain
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    return boto3.client("kms", endpoint_url=moto_endpoint, region_name="us-east-1")


@pytest.fixture
async def remote_app(settings: Settings, moto_endpoint: str, moto_kms: object) -> AsyncIterator[FastAPI]:
    app = create_app(settings.model_copy(update={"kms_endpoint_url": moto_endpoint}))
    async with app.router.lifespan_context(app):
        yield app


async def test_a_zone_signed_through_a_remote_kms_validates(remote_app: FastAPI, moto_kms) -> None:
    arn = moto_kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY", Policy=DNSSEC_POLICY)["KeyMetadata"][
        "Arn"
    ]
    transport = httpx.ASGITransport(app=remote_app)
    async with httpx.AsyncClient(transport=transport, base_url="https://route53.amazonaws.com") as client:
        zone = await signing_zone(remote_app, client, "remote.example", arn)
        await change(client, zone.zone_id, record("www.remote.example", "A", 60, "192.0.2.8"))
        now = time.time()
        signing = await material(remote_app, zone.zone_id, now)
        assert signing is not None
        keys = trusted_keys(zone, signing, now)
        for qname, qtype in (("www.remote.example.", "A"), ("nx.remote.example.", "A"), ("remote.example.", "DNSKEY")):
            assert validate_sections(await answer(remote_app, zone.zone_id, qname, qtype, now), keys, now) >= 1

        moto_kms.disable_key(
            KeyId=arn.rsplit("/", 1)[1]
        )  # KMS stops signing: ACTION_NEEDED, and the signatures made ahead serve
        dnssec = await get_dnssec(client, zone.zone_id)
        assert dnssec["KeySigningKeys"][0]["Status"] == "ACTION_NEEDED"
        later = now + 3 * DAY
        await remote_app.state.zone_signing.refresh(zone.zone_id, later)
        signing = await material(remote_app, zone.zone_id, later)
        assert signing is not None
        trusted_keys(zone, signing, later)


async def test_remote_sign_returns_der_and_fails_cleanly(moto_endpoint: str, moto_kms) -> None:
    arn = moto_kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY", Policy=DNSSEC_POLICY)["KeyMetadata"][
        "Arn"
    ]
    backend = RemoteKmsBackend(moto_endpoint, "us-east-1")
    der = await backend.sign(arn, b"message")
    assert moto_kms.verify(
        KeyId=arn, Message=b"message", MessageType="RAW", Signature=der, SigningAlgorithm="ECDSA_SHA_256"
    )["SignatureValid"]
    with pytest.raises(KmsSignFailed):
        await backend.sign(arn.replace(arn.rsplit("/", 1)[1], "00000000-0000-0000-0000-000000000000"), b"message")
