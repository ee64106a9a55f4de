"""Signing with a KSK whose key lives in a remote KMS (a moto server, ``R53_KMS_ENDPOINT_URL``): the DNSKEY
RRset is signed through that KMS's Sign, and delv validates answers from the DS GetDNSSEC reports."""

import uuid
from pathlib import Path

import boto3
import pytest

from tests.conftest import LiveServer, free_dns_port, fresh_database_url
from tests.dns_tools import delv, plain, upsert
from tests.e2e.helpers import insync, new_ksk, new_zone
from tests.kms_keys import DNSSEC_POLICY


def test_delv_validates_a_zone_signed_through_a_remote_kms(
    moto_endpoint: str, template_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    urls = fresh_database_url(template_database, tmp_path)
    port = free_dns_port()
    server = LiveServer(
        next(urls), tmp_path, kms_endpoint_url=moto_endpoint, kms_region="us-east-1", dns_port=str(port)
    ).start()
    try:
        moto_kms = boto3.client(
            "kms", endpoint_url=moto_endpoint, region_name="us-east-1", aws_access_key_id="t", aws_secret_access_key="t"
        )
        arn = moto_kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY", Policy=DNSSEC_POLICY)["KeyMetadata"][
            "Arn"
        ]
        route53 = server.client("route53")
        name = f"r{uuid.uuid4().hex[:8]}.example."
        zone_id = new_zone(route53, name)
        insync(route53, upsert(route53, zone_id, plain(f"www.{name}", "A", "192.0.2.1")))
        ds = new_ksk(route53, zone_id, arn, "remote_ksk")["DSRecord"]
        insync(route53, route53.enable_hosted_zone_dnssec(HostedZoneId=zone_id)["ChangeInfo"])
        assert delv(port, {name: [ds]}, f"www.{name}", "A", str(tmp_path)) == "; fully validated"
        assert delv(port, {name: [ds]}, name, "DNSKEY", str(tmp_path)) == "; fully validated"
        assert delv(port, {name: [ds]}, f"nx.{name}", "A", str(tmp_path)) == "; negative response, fully validated"
    finally:
        server.stop()
        next(urls, None)
