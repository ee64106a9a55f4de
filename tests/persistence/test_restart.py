"""Everything acknowledged survives a restart of the real server on the same database, and ``/readyz``
reflects the schema."""

import uuid
from pathlib import Path

import httpx

from tests.conftest import LiveServer, fresh_database_url
from tests.kms_keys import DNSSEC_POLICY


def test_zones_keys_changes_and_kms_keys_survive_a_restart(template_database: str, tmp_path: Path) -> None:
    urls = fresh_database_url(template_database, tmp_path)
    server = LiveServer(next(urls), tmp_path).start()
    try:
        route53, kms = server.client("route53"), server.client("kms")
        zone = route53.create_hosted_zone(Name="restart.example", CallerReference=uuid.uuid4().hex)
        zone_id = zone["HostedZone"]["Id"].split("/")[-1]
        arn = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY", Policy=DNSSEC_POLICY)["KeyMetadata"][
            "Arn"
        ]
        created = route53.create_key_signing_key(
            CallerReference="c", HostedZoneId=zone_id, KeyManagementServiceArn=arn, Name="restart_ksk", Status="ACTIVE"
        )
        route53.change_tags_for_resource(
            ResourceType="hostedzone", ResourceId=zone_id, AddTags=[{"Key": "k", "Value": "v"}]
        )
        before = route53.get_dnssec(HostedZoneId=zone_id)["KeySigningKeys"]
        server.stop()
        server.start()
        route53, kms = server.client("route53"), server.client("kms")
        assert route53.get_hosted_zone(Id=zone_id)["HostedZone"] == zone["HostedZone"]
        assert route53.get_dnssec(HostedZoneId=zone_id)["KeySigningKeys"] == before == [created["KeySigningKey"]]
        assert route53.get_change(Id=created["ChangeInfo"]["Id"])["ChangeInfo"]["Status"] == "INSYNC"
        assert route53.list_tags_for_resource(ResourceType="hostedzone", ResourceId=zone_id)["ResourceTagSet"][
            "Tags"
        ] == [{"Key": "k", "Value": "v"}]
        assert kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "Enabled"
    finally:
        server.stop()
        next(urls, None)


def test_readyz_is_503_when_the_schema_is_behind(template_database: str, tmp_path: Path) -> None:
    urls = fresh_database_url(template_database, tmp_path)
    server = LiveServer(next(urls), tmp_path).start()
    try:
        assert httpx.get(f"{server.url}/healthz").status_code == 200
        assert httpx.get(f"{server.url}/readyz").status_code == 200
        from tests.persistence.test_migrations import alembic

        assert alembic(server.database_url, "downgrade", "base").returncode == 0
        assert httpx.get(f"{server.url}/readyz").status_code == 503
        assert httpx.get(f"{server.url}/healthz").status_code == 200
    finally:
        server.stop()
        next(urls, None)
