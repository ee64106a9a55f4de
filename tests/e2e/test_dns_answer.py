"""TestDNSAnswer through boto3: the resolver's answer section and rcode for what the zone holds, the
zone's first name server, the name echoed as asked; NoSuchHostedZone, InvalidInput and REFUSED."""

import uuid
from typing import Any

import pytest

from tests.e2e.helpers import error_of, new_zone


def upsert(route53: Any, zone_id: str, *records: dict[str, Any]) -> None:
    route53.change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": record} for record in records]},
    )


def plain(name: str, type_: str, *values: str) -> dict[str, Any]:
    return {"Name": name, "Type": type_, "TTL": 300, "ResourceRecords": [{"Value": value} for value in values]}


@pytest.fixture(scope="module")
def zone(route53_module: Any) -> tuple[str, str]:
    name = f"{uuid.uuid4().hex[:8]}.example.com"
    zone_id = new_zone(route53_module, name)
    upsert(
        route53_module,
        zone_id,
        plain(f"www.{name}", "A", "192.0.2.1", "192.0.2.2"),
        plain(f"alias-target.{name}", "AAAA", "2001:db8::1"),
        plain(f"c.{name}", "CNAME", f"www.{name}"),
        plain(f"*.wild.{name}", "TXT", '"a" "b"'),
        plain(f"deep.ent.{name}", "A", "192.0.2.3"),
        plain(f"sub.{name}", "NS", "ns1.example.net"),
        {
            "Name": f"al.{name}",
            "Type": "AAAA",
            "AliasTarget": {"HostedZoneId": zone_id, "DNSName": f"alias-target.{name}", "EvaluateTargetHealth": False},
        },
        {
            "Name": f"elb.{name}",
            "Type": "A",
            "AliasTarget": {
                "HostedZoneId": "Z35SXDOTRQ7X7K",
                "DNSName": "x.elb.amazonaws.com",
                "EvaluateTargetHealth": False,
            },
        },
    )
    return zone_id, name


@pytest.fixture(scope="module")
def route53_module(live_server: Any) -> Any:
    return live_server.client("route53")


CASES = [
    ("www", "A", "NOERROR", ["192.0.2.1", "192.0.2.2"]),
    ("WWW", "A", "NOERROR", ["192.0.2.1", "192.0.2.2"]),
    ("www", "AAAA", "NOERROR", []),
    ("c", "A", "NOERROR", ["www.{name}.", "192.0.2.1", "192.0.2.2"]),
    ("x.wild", "TXT", "NOERROR", ['"a" "b"']),
    ("ent", "A", "NOERROR", []),
    ("nothing", "A", "NXDOMAIN", []),
    ("host.sub", "A", "NOERROR", []),
    ("al", "AAAA", "NOERROR", ["2001:db8::1"]),
    ("elb", "A", "NOERROR", []),
]


@pytest.mark.parametrize(("label", "type_", "rcode", "data"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_answers_from_the_zone(
    route53_module: Any, zone: tuple[str, str], label: str, type_: str, rcode: str, data: list[str]
) -> None:
    zone_id, name = zone
    answer = route53_module.test_dns_answer(HostedZoneId=zone_id, RecordName=f"{label}.{name}", RecordType=type_)
    servers = route53_module.get_hosted_zone(Id=zone_id)["DelegationSet"]["NameServers"]
    assert answer["Nameserver"] == servers[0]
    assert (answer["RecordName"], answer["RecordType"], answer["Protocol"]) == (f"{label}.{name}", type_, "UDP")
    assert (answer["ResponseCode"], answer["RecordData"]) == (rcode, [d.format(name=name) for d in data])


def test_apex_soa_and_a_name_outside_the_zone(route53_module: Any, zone: tuple[str, str]) -> None:
    zone_id, name = zone
    soa = route53_module.test_dns_answer(HostedZoneId=zone_id, RecordName=name, RecordType="SOA")
    assert soa["RecordData"][0].endswith(" awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400")
    outside = route53_module.test_dns_answer(HostedZoneId=zone_id, RecordName="example.org", RecordType="A")
    assert (outside["ResponseCode"], outside["RecordData"]) == ("REFUSED", [])


def test_errors(route53_module: Any, zone: tuple[str, str]) -> None:
    zone_id, _ = zone
    assert error_of(route53_module.test_dns_answer, HostedZoneId="ZNOSUCH", RecordName="a.b", RecordType="A") == (
        "NoSuchHostedZone",
        404,
        "No hosted zone found with ID: ZNOSUCH",
    )
    assert error_of(route53_module.test_dns_answer, HostedZoneId=zone_id, RecordName="a..b", RecordType="A") == (
        "InvalidInput",
        400,
        "FATAL problem: DomainLabelEmpty (Domain label is empty) encountered with 'a..b'",
    )
    assert error_of(route53_module.test_dns_answer, HostedZoneId=zone_id, RecordName="a.b", RecordType="ANY") == (
        "InvalidInput",
        400,
        "1 validation error detected: Value 'ANY' at 'recordType' failed to satisfy constraint: Member must satisfy "
        "enum value set: [SOA, A, TXT, NS, CNAME, MX, NAPTR, PTR, SRV, SPF, AAAA, CAA, DS, TLSA, SSHFP, SVCB, HTTPS]",
    )
    private = new_zone(route53_module, "private.example", VPC={"VPCRegion": "us-east-1", "VPCId": "vpc-12345678"})
    assert error_of(
        route53_module.test_dns_answer, HostedZoneId=private, RecordName="a.private.example", RecordType="A"
    ) == (
        "InvalidInput",
        400,
        "TestDNSAnswer supports only public hosted zones.",
    )
