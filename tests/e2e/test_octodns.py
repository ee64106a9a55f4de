"""octoDNS (``octodns`` + ``octodns-route53``), the tool itself, unchanged, against the live server.

``octodns-sync --doit`` syncs a YAML zone (tests/e2e/octodns/v1: A, AAAA, CAA, MX, the apex NS, TXT with escaped
semicolons and a value over 255 characters, SRV, an NS delegation, a Route 53 alias, a wildcard, and a
dynamic record, which octoDNS builds from geolocation, failover and weighted record sets, aliases between
them and health checks) with ``AWS_ENDPOINT_URL`` pointing at the server. Every request the tool sends is read
from its debug log (botocore logs each request body), and after each sync the zone must hold exactly what the
tool wrote; a second sync must plan nothing. Then v2 edits the zone and the sync must send the right CREATE,
UPSERT and DELETE changes and delete the health checks it no longer needs.
"""

import ast
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xmltodict

ZONE = "octodns.example.com."
FILES = Path(__file__).resolve().parent / "octodns"
OCTODNS_SYNC = Path(sys.executable).parent / "octodns-sync"
REQUEST = re.compile(
    r"Making request for OperationModel\(name=(\w+)\) with params: .*?'body': (b'.*?'|b\".*?\"), 'url'"
)
NO_CHANGES = "No changes were planned"

RecordKey = tuple[str, str, str | None]


@dataclass
class Sync:
    """What one ``octodns-sync`` run sent: the operations in order and the bodies of those with one."""

    operations: list[str]
    bodies: dict[str, list[str]]
    log: str

    def changes(self) -> list[tuple[str, dict[str, Any]]]:
        """Every (Action, ResourceRecordSet) of its ChangeResourceRecordSets requests, in order."""
        found = []
        for body in self.bodies.get("ChangeResourceRecordSets", []):
            batch = xmltodict.parse(body, force_list=("Change", "ResourceRecord"))["ChangeResourceRecordSetsRequest"]
            assert batch["ChangeBatch"]["Comment"].startswith("Change: ")
            for change in batch["ChangeBatch"]["Changes"]["Change"]:
                found.append((change["Action"], record_set(change["ResourceRecordSet"])))
        return found


def record_set(element: dict[str, Any]) -> dict[str, Any]:
    """A ResourceRecordSet element of a request, typed as boto3 returns it."""
    record: dict[str, Any] = {}
    for member, value in element.items():
        if member in ("TTL", "Weight"):
            record[member] = int(value)
        elif member == "ResourceRecords":
            record[member] = [{"Value": item["Value"]} for item in value["ResourceRecord"]]
        elif member == "AliasTarget":
            record[member] = {**value, "EvaluateTargetHealth": value["EvaluateTargetHealth"] == "true"}
        else:
            record[member] = value
    return record


def key_of(record: dict[str, Any]) -> RecordKey:
    """A record set's identity, its name in Route 53's returned form (``*`` is listed as ``\\052``)."""
    name = record["Name"].lower()
    assert name.endswith("."), name
    return name.replace("*", "\\052"), record["Type"], record.get("SetIdentifier")


def zone_state(route53: Any, zone_id: str) -> dict[RecordKey, dict[str, Any]]:
    state = {}
    for page in route53.get_paginator("list_resource_record_sets").paginate(HostedZoneId=zone_id):
        for record in page["ResourceRecordSets"]:
            state[key_of(record)] = record
    return state


def applied(state: dict[RecordKey, dict[str, Any]], sync: Sync) -> dict[RecordKey, dict[str, Any]]:
    """The zone after the changes the tool sent; each DELETE must name the record set exactly as listed."""
    after = dict(state)
    for action, record in sync.changes():
        key = key_of(record)
        if action == "DELETE":
            assert after.pop(key) == record
        else:
            after[key] = {**record, "Name": key[0]}
    return after


def run_sync(folder: Path, endpoint: str, version: str) -> Sync:
    """Install zone file ``version`` and run ``octodns-sync --doit --debug`` on it."""
    zones = folder / "zones"
    shutil.rmtree(zones, ignore_errors=True)
    shutil.copytree(FILES / version, zones)
    shutil.copy(FILES / "config.yaml", folder / "config.yaml")
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(
        AWS_ENDPOINT_URL=endpoint,
        AWS_DEFAULT_REGION="us-east-1",
        AWS_MAX_ATTEMPTS="1",
        AWS_CONFIG_FILE=str(folder / "aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(folder / "aws-credentials"),
    )
    result = subprocess.run(
        [str(OCTODNS_SYNC), "--config-file", "config.yaml", "--doit", "--debug"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-5000:]
    operations, bodies = [], {}
    for line in result.stderr.splitlines():
        if "Making request for OperationModel" not in line:
            continue
        match = REQUEST.search(line)
        assert match, line
        operations.append(match.group(1))
        body = ast.literal_eval(match.group(2)).decode()
        if body:
            bodies.setdefault(match.group(1), []).append(body)
    return Sync(operations, bodies, result.stderr)


def test_octodns_sync_creates_reads_back_edits_and_garbage_collects_health_checks(
    live_server: Any, route53: Any, tmp_path: Path
) -> None:
    # First sync: the zone is created and everything goes out in one batch; octoDNS never calls GetChange.
    first = run_sync(tmp_path, live_server.url, "v1")
    assert first.operations.count("CreateHostedZone") == 1
    assert first.operations.count("ChangeResourceRecordSets") == 1
    assert "GetChange" not in first.operations
    zone_id = next(zone["Id"] for zone in route53.list_hosted_zones()["HostedZones"] if zone["Name"] == ZONE)
    state = zone_state(route53, zone_id)
    # The zone's own NS record is in the zone file: octoDNS turns its create into an UPSERT of the apex NS.
    assert ("UPSERT", (ZONE, "NS", None)) in {(action, key_of(record)) for action, record in first.changes()}
    assert state == applied({(ZONE, "SOA", None): state[(ZONE, "SOA", None)]}, first)

    # What the zone file says, as Route 53 holds it.
    assert state[(f"\\052.{ZONE}", "A", None)]["TTL"] == 60
    dkim = state[(f"dkim._domainkey.{ZONE}", "TXT", None)]["ResourceRecords"]
    assert len(dkim) == 1
    strings = dkim[0]["Value"][1:-1].split('" "')
    assert [len(string) for string in strings][:1] == [255]
    assert "".join(strings).startswith("v=DKIM1\\; k=rsa\\; p=MIIBIjAN")
    assert state[(f"alias.{ZONE}", "A", None)]["AliasTarget"] == {
        "HostedZoneId": zone_id.rsplit("/", 1)[-1],
        "DNSName": f"www.{ZONE}",
        "EvaluateTargetHealth": False,
    }
    assert state[(f"sub.{ZONE}", "NS", None)]["ResourceRecords"] == [
        {"Value": "ns1.example.net."},
        {"Value": "ns2.example.net."},
    ]
    policies = {key[2]: record for key, record in state.items() if key[0] == f"dynamic.{ZONE}"}
    assert {identifier: record["GeoLocation"] for identifier, record in policies.items()} == {
        "0-one-EU": {"ContinentCode": "EU"},
        "0-one-NA-US-CA": {"CountryCode": "US", "SubdivisionCode": "CA"},
        "1-two-None": {"CountryCode": "*"},
    }

    # Its health checks: one per dynamic value, with the defaults octoDNS reads back filled in, tagged, and
    # referenced by the weighted value record sets.
    checks = route53.list_health_checks()["HealthChecks"]
    assert sorted(check["HealthCheckConfig"]["IPAddress"] for check in checks) == ["1.1.1.1", "8.8.8.8", "9.9.9.9"]
    for check in checks:
        assert check["CallerReference"].startswith(f"0001:A:dynamic.{ZONE}:")
        config = check["HealthCheckConfig"]
        assert (config["Type"], config["Port"], config["ResourcePath"]) == ("HTTPS", 443, "/_health")
        assert config["FullyQualifiedDomainName"] == f"dynamic.{ZONE}".rstrip(".")
        assert (config["Disabled"], config["Inverted"]) == (False, False)
        tags = route53.list_tags_for_resource(ResourceType="healthcheck", ResourceId=check["Id"])["ResourceTagSet"]
        assert tags["Tags"] == [{"Key": "Name", "Value": f"dynamic.{ZONE}:A - {config['IPAddress']}"}]
    by_ip = {check["HealthCheckConfig"]["IPAddress"]: check["Id"] for check in checks}
    for key, record in state.items():
        if "HealthCheckId" in record:
            assert record["HealthCheckId"] == by_ip[record["ResourceRecords"][0]["Value"]], key

    # Second sync: the tool reads back exactly what it wrote, so it plans nothing.
    second = run_sync(tmp_path, live_server.url, "v1")
    assert NO_CHANGES in second.log
    assert [op for op in second.operations if op not in ("ListHostedZones", "ListResourceRecordSets")] == [
        "ListHealthChecks"
    ]
    assert zone_state(route53, zone_id) == state

    # The edit: a TTL, an NS delegation and an address change (UPSERT), a CNAME and the dynamic record go
    # (DELETE, exactly as listed), a TXT arrives (CREATE); the dynamic record's health checks are deleted.
    third = run_sync(tmp_path, live_server.url, "v2")
    sent = {(action, key_of(record)) for action, record in third.changes()}
    dynamic = {("DELETE", key) for key in state if key[0].endswith(f"dynamic.{ZONE}")}
    assert len(dynamic) == 11
    assert sent == dynamic | {
        ("DELETE", (f"cname.{ZONE}", "CNAME", None)),
        ("CREATE", (f"new.{ZONE}", "TXT", None)),
        ("UPSERT", (f"\\052.{ZONE}", "A", None)),
        ("UPSERT", (f"sub.{ZONE}", "NS", None)),
        ("UPSERT", (f"www.{ZONE}", "A", None)),
    }
    assert third.operations.count("DeleteHealthCheck") == 3
    edited = zone_state(route53, zone_id)
    assert edited == applied(state, third)
    assert edited[(f"new.{ZONE}", "TXT", None)]["ResourceRecords"] == [{"Value": '"created by the second sync"'}]
    assert edited[(f"www.{ZONE}", "A", None)]["ResourceRecords"] == [{"Value": "192.0.2.6"}]
    assert route53.list_health_checks()["HealthChecks"] == []

    fourth = run_sync(tmp_path, live_server.url, "v2")
    assert NO_CHANGES in fourth.log
    assert "ChangeResourceRecordSets" not in fourth.operations
    assert zone_state(route53, zone_id) == edited
