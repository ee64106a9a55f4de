"""Export one account from a real server, import it into a fresh one (its own master key): every API answer
and DNS answer is the same; another account's state is not in the export."""

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import dns.flags
import dns.message
import dns.query
import dns.rdatatype
import httpx
import pytest

from tests.conftest import LiveServer, free_dns_port, fresh_database_url
from tests.e2e.helpers import bare, call_ok, new_kms_key, new_ksk, new_zone

ACCOUNT = "123456789012"  # the account of access key "test"


@pytest.fixture
def two_servers(template_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[LiveServer]]:
    started, urls = [], []
    try:
        for name in ("source", "target"):
            folder = tmp_path_factory.mktemp(name)
            databases = fresh_database_url(template_database, folder)
            urls.append(databases)
            started.append(start_with_dns(next(databases), folder))
        yield started
    finally:
        for server in started:
            server.stop()
        for databases in urls:
            next(databases, None)


def start_with_dns(database_url: str, folder: Path) -> LiveServer:
    """A server with a DNS listener; another port when the one picked was taken meanwhile (shared machine)."""
    for attempt in range(3):
        try:
            return LiveServer(database_url, folder, dns_port=str(free_dns_port())).start()
        except RuntimeError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def without_metadata(answer: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in answer.items() if key != "ResponseMetadata"}


def build_world(server: LiveServer) -> dict[str, Any]:
    route53, kms = server.client("route53"), server.client("kms")
    zone_id = new_zone(route53, "transfer.example")
    route53.change_tags_for_resource(
        ResourceType="hostedzone", ResourceId=zone_id, AddTags=[{"Key": "team", "Value": "a"}]
    )
    call_ok(
        route53,
        "change_resource_record_sets",
        HostedZoneId=zone_id,
        ChangeBatch={
            "Changes": [
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": {
                        "Name": f"www.transfer.example.{suffix}",
                        "Type": "A",
                        "TTL": 60,
                        "ResourceRecords": [{"Value": "192.0.2.7"}],
                    },
                }
                for suffix in ("",)
            ]
            + [
                {
                    "Action": "CREATE",
                    "ResourceRecordSet": {
                        "Name": "apex-alias.transfer.example.",
                        "Type": "A",
                        "AliasTarget": {
                            "HostedZoneId": zone_id,
                            "DNSName": "www.transfer.example.",
                            "EvaluateTargetHealth": False,
                        },
                    },
                }
            ]
        },
    )
    arn = new_kms_key(kms)
    kms.create_alias(AliasName="alias/dnssec", TargetKeyId=arn)
    new_ksk(route53, zone_id, arn, "ksk_one")
    enabled = call_ok(route53, "enable_hosted_zone_dnssec", HostedZoneId=zone_id)
    check = route53.create_health_check(
        CallerReference=uuid.uuid4().hex,
        HealthCheckConfig={"IPAddress": "8.8.8.8", "Port": 443, "Type": "HTTPS", "ResourcePath": "/ok"},
    )["HealthCheck"]["Id"]
    route53.change_tags_for_resource(ResourceType="healthcheck", ResourceId=check, AddTags=[{"Key": "k", "Value": "v"}])
    other = boto3.client(
        "route53", endpoint_url=server.url, region_name="us-east-1",
        aws_access_key_id="111111111111", aws_secret_access_key="x",
    )  # fmt: skip
    other.create_hosted_zone(Name="other-account.example", CallerReference=uuid.uuid4().hex)
    return {"zone": zone_id, "key": arn, "check": check, "change": enabled["ChangeInfo"]["Id"]}


def api_answers(server: LiveServer, world: dict[str, Any]) -> dict[str, Any]:
    route53, kms = server.client("route53"), server.client("kms")
    zone = world["zone"]
    answers = {
        "zones": route53.list_hosted_zones(),
        "zone": route53.get_hosted_zone(Id=zone),
        "records": route53.list_resource_record_sets(HostedZoneId=zone),
        "dnssec": route53.get_dnssec(HostedZoneId=zone),
        "zone_tags": route53.list_tags_for_resource(ResourceType="hostedzone", ResourceId=zone),
        "checks": route53.list_health_checks(),
        "check_tags": route53.list_tags_for_resource(ResourceType="healthcheck", ResourceId=world["check"]),
        "change": route53.get_change(Id=world["change"]),
        "zone_count": route53.get_hosted_zone_count(),
        "describe": kms.describe_key(KeyId=world["key"]),
        "public": kms.get_public_key(KeyId="alias/dnssec"),
        "aliases": kms.list_aliases(),
        "keys": kms.list_keys(),
        "policy": kms.get_key_policy(KeyId=world["key"], PolicyName="default"),
    }
    return {name: without_metadata(answer) for name, answer in answers.items()}


def dns_answers(server: LiveServer) -> list[Any]:
    port = int(server.settings["dns_port"])
    seen = []
    for name, kind in [
        ("www.transfer.example.", "A"),
        ("apex-alias.transfer.example.", "A"),
        ("transfer.example.", "DNSKEY"),
    ]:
        query = dns.message.make_query(name, kind, want_dnssec=True)
        reply = dns.query.udp(query, "127.0.0.1", port=port, timeout=5)
        unsigned = sorted(str(rrset) for rrset in reply.answer if rrset.rdtype != dns.rdatatype.RRSIG)
        signed = sorted(rrset.name.to_text() for rrset in reply.answer if rrset.rdtype == dns.rdatatype.RRSIG)
        seen.append((reply.rcode(), bool(reply.flags & dns.flags.AA), unsigned, signed))
    return seen


def test_export_then_import_into_a_fresh_server_answers_the_same(two_servers: list[LiveServer]) -> None:
    source, target = two_servers
    world = build_world(source)
    exported = httpx.get(f"{source.url}/_route53/export", params={"account": ACCOUNT}).json()
    assert [row["name"] for row in exported["tables"]["hosted_zone"]] == ["transfer.example."]
    assert json.dumps(exported).count("other-account") == 0
    imported = httpx.post(f"{target.url}/_route53/import", json=exported)
    assert imported.status_code == 200, imported.text
    assert imported.json()["imported"]["kms_key"] == 1
    answers = api_answers(source, world)
    assert answers["dnssec"]["Status"]["ServeSignature"] == "SIGNING"
    assert len(answers["records"]["ResourceRecordSets"]) == 4  # NS, SOA, A, alias
    assert [zone["Name"] for zone in answers["zones"]["HostedZones"]] == ["transfer.example."]
    assert api_answers(target, world) == answers
    assert bare(world["zone"]) == world["zone"]
    source_dns = dns_answers(source)
    assert [(rcode, aa, len(rrsets)) for rcode, aa, rrsets, _ in source_dns] == [(0, True, 1)] * 3
    assert source_dns[2][3] == ["transfer.example."]  # the DNSKEY answer is signed
    assert dns_answers(target) == source_dns
    kms_target = target.client("kms")
    signature = kms_target.sign(KeyId=world["key"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256", MessageType="RAW")
    verified = source.client("kms").verify(
        KeyId=world["key"],
        Message=b"m",
        Signature=signature["Signature"],
        SigningAlgorithm="ECDSA_SHA_256",
        MessageType="RAW",
    )
    assert verified["SignatureValid"]  # the same private key, sealed again under the target's master key
