"""external-dns's AWS provider and TXT registry (kubernetes-sigs/external-dns provider/aws/aws.go, registry/txt.go)
replayed with boto3 against the live server.

external-dns is written in Go, so its calls are replayed as it makes them: the zones from the
ListHostedZones paginator, the records from the ListResourceRecordSets paginator with MaxItems 300 (names
decoded: ``\\052`` and other octal escapes), and changes without a Comment and without GetChange, in batches
of at most 1,000 changes, 32,000 value bytes and 1,000 values, with UPSERT counted twice, a record and its
ownership TXT record always in the same batch, sorted UPSERT, DELETE, CREATE, then by name and type. A failed
batch is resubmitted group by group. Ownership TXT records carry their value in quotes
(``"heritage=external-dns,external-dns/owner=…"``), sit on ``<type>-<name>`` and copy the record's set
identifier and weight. The 1 s pause between batches is left out: the server cannot observe it.
"""

import re
import uuid
from dataclasses import dataclass, replace
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.e2e.helpers import new_zone

RECORD_TTL = 300
PAGE_SIZE = 300
BATCH_SIZE = 1000
BATCH_SIZE_BYTES = 32000
BATCH_SIZE_VALUES = 1000
OWNER = "default"
ELB_ZONE = "Z35SXDOTRQ7X7K"  # canonical hosted zone of us-east-1 load balancers
ELB_NAME = "my-lb-1234567890.us-east-1.elb.amazonaws.com"


@dataclass(frozen=True)
class Endpoint:
    """An external-dns endpoint: a record set as the controller sees it (names end with a dot when read)."""

    name: str
    type: str
    targets: tuple[str, ...]
    ttl: int = RECORD_TTL
    set_identifier: str | None = None
    weight: int | None = None
    alias_zone: str | None = None
    evaluate_target_health: bool = True
    owned_record: str | None = None  # TXT registry records: the name of the record they own


@dataclass
class Change:
    action: str
    record_set: dict[str, Any]
    group: str
    size_bytes: int
    size_values: int


def ownership(endpoint: Endpoint, resource: str) -> Endpoint:
    """The TXT registry record of an endpoint (new format: ``<type>-`` before the first label)."""
    first, rest = endpoint.name.split(".", 1)
    value = f'"heritage=external-dns,external-dns/owner={OWNER},external-dns/resource={resource}"'
    return Endpoint(
        name=f"{endpoint.type.lower()}-{first}.{rest}",
        type="TXT",
        targets=(value,),
        set_identifier=endpoint.set_identifier,
        weight=endpoint.weight,
        owned_record=endpoint.name,
    )


def managed(*pairs: tuple[Endpoint, str]) -> list[Endpoint]:
    """Endpoints with their ownership records, as the TXT registry hands them to the provider."""
    return [record for endpoint, resource in pairs for record in (endpoint, ownership(endpoint, resource))]


def new_change(action: str, endpoint: Endpoint) -> Change:
    """newChange: the record set, and its size in bytes and values (UPSERT counted twice)."""
    record: dict[str, Any] = {"Name": endpoint.name, "Type": endpoint.type}
    if endpoint.alias_zone is not None:
        record["AliasTarget"] = {
            "DNSName": endpoint.targets[0],
            "HostedZoneId": endpoint.alias_zone,
            "EvaluateTargetHealth": endpoint.evaluate_target_health,
        }
    else:
        record["TTL"] = endpoint.ttl
        record["ResourceRecords"] = [{"Value": target} for target in endpoint.targets]
    size_bytes = sum(len(target.encode()) for target in endpoint.targets)
    size_values = len(endpoint.targets)
    if action == "UPSERT":
        size_bytes, size_values = 2 * size_bytes, 2 * size_values
    if endpoint.set_identifier is not None:
        record["SetIdentifier"] = endpoint.set_identifier
        if endpoint.weight is not None:
            record["Weight"] = endpoint.weight
    group = endpoint.owned_record or endpoint.name
    return Change(action, record, group, size_bytes, size_values)


def sort_changes(changes: list[Change]) -> list[Change]:
    """sortChangesByActionNameType: actions descending (UPSERT, DELETE, CREATE), then name, then type."""
    by_name = sorted(changes, key=lambda change: (change.record_set["Name"], change.record_set["Type"]))
    return sorted(by_name, key=lambda change: change.action, reverse=True)


def batch_change_set(changes: list[Change]) -> list[list[Change]]:
    """batchChangeSet: one batch when everything fits, otherwise ownership groups in name order, packed."""

    def size(batch: list[Change]) -> tuple[int, int, int]:
        return len(batch), sum(c.size_bytes for c in batch), sum(c.size_values for c in batch)

    def fits(batch: list[Change]) -> bool:
        count, size_bytes, values = size(batch)
        return count <= BATCH_SIZE and size_bytes <= BATCH_SIZE_BYTES and values <= BATCH_SIZE_VALUES

    if fits(changes):
        return [sort_changes(changes)]
    groups: dict[str, list[Change]] = {}
    for change in changes:
        groups.setdefault(change.group, []).append(change)
    batches, current = [], []
    for name in sorted(groups):
        assert fits(groups[name]), f"group {name} alone exceeds a batch"
        if not fits(current + groups[name]):
            batches.append(sort_changes(current))
            current = []
        current += groups[name]
    if current:
        batches.append(sort_changes(current))
    return batches


def decode_name(name: str) -> str:
    """wildcardUnescape then convertOctalToAscii."""
    name = name.replace("\\052", "*", 1)
    return re.sub(r"\\([0-3][0-7]{2})", lambda match: chr(int(match.group(1), 8)), name)


class ExternalDNS:
    """The provider's calls for one zone."""

    def __init__(self, route53: Any, zone_name: str) -> None:
        self.route53 = route53
        zones = [
            zone
            for page in route53.get_paginator("list_hosted_zones").paginate()
            for zone in page["HostedZones"]
            if zone["Name"] == f"{zone_name}."
        ]
        [zone] = zones
        self.zone_id: str = zone["Id"]
        self.page_sizes: list[int] = []
        self.failed_queue: list[Change] = []

    def records(self) -> list[Endpoint]:
        """records(): every record set through the paginator, MaxItems 300, as endpoints."""
        self.page_sizes = []
        endpoints = []
        paginator = self.route53.get_paginator("list_resource_record_sets")
        for page in paginator.paginate(HostedZoneId=self.zone_id, MaxItems=str(PAGE_SIZE)):
            assert page["MaxItems"] == str(PAGE_SIZE)
            self.page_sizes.append(len(page["ResourceRecordSets"]))
            for record in page["ResourceRecordSets"]:
                if record["Type"] in ("SOA", "NS"):
                    continue
                common = {
                    "name": decode_name(record["Name"]),
                    "type": record["Type"],
                    "set_identifier": record.get("SetIdentifier"),
                    "weight": record.get("Weight"),
                }
                if "AliasTarget" in record:
                    alias = record["AliasTarget"]
                    endpoints.append(
                        Endpoint(
                            targets=(alias["DNSName"],),
                            alias_zone=alias["HostedZoneId"],
                            evaluate_target_health=alias["EvaluateTargetHealth"],
                            **common,
                        )
                    )
                else:
                    targets = tuple(value["Value"] for value in record["ResourceRecords"])
                    endpoints.append(Endpoint(targets=targets, ttl=record["TTL"], **common))
        return endpoints

    def apply_changes(
        self, create: list[Endpoint], delete: list[Endpoint], update_new: list[Endpoint]
    ) -> list[list[Change]]:
        """ApplyChanges (updates that keep type and set identifier are UPSERTs); the batches sent."""
        changes = [new_change("CREATE", endpoint) for endpoint in create]
        changes += [new_change("DELETE", endpoint) for endpoint in delete]
        changes += [new_change("UPSERT", endpoint) for endpoint in update_new]
        return self.submit_changes(changes)

    def submit_changes(self, changes: list[Change]) -> list[list[Change]]:
        """submitChanges: new changes first, then those queued by an earlier failure, each batch sent without a
        Comment; a failed batch is resubmitted one ownership group at a time and failed groups are queued."""
        retried = [change for change in changes if change in self.failed_queue]
        fresh = [change for change in changes if change not in self.failed_queue]
        self.failed_queue = []
        batches = [batch for part in (fresh, retried) if part for batch in batch_change_set(part)]
        for batch in batches:
            if self.send(batch) is None:
                continue
            groups: dict[str, list[Change]] = {}
            for change in batch:
                groups.setdefault(change.group, []).append(change)
            for group in groups.values():
                if self.send(group) is not None:
                    self.failed_queue += group
        return batches

    def send(self, batch: list[Change]) -> str | None:
        """One ChangeResourceRecordSets; None when accepted, else the InvalidChangeBatch message."""
        changes = [{"Action": change.action, "ResourceRecordSet": change.record_set} for change in batch]
        try:
            response = self.route53.change_resource_record_sets(
                HostedZoneId=self.zone_id, ChangeBatch={"Changes": changes}
            )
        except ClientError as error:
            assert error.response["Error"]["Code"] == "InvalidChangeBatch", error.response
            message: str = error.response["Error"]["Message"]
            return message
        assert response["ChangeInfo"]["Status"] == "PENDING"
        assert "Comment" not in response["ChangeInfo"]
        return None


def as_read(endpoint: Endpoint) -> Endpoint:
    """An endpoint as records() reads it back: names end with a dot, alias targets too (Route 53's form)."""
    read = replace(endpoint, name=f"{endpoint.name}.", owned_record=None)
    if endpoint.alias_zone is not None:
        read = replace(read, targets=(f"{endpoint.targets[0]}.",), ttl=RECORD_TTL)
    return read


@pytest.fixture
def zone(route53: Any) -> str:
    name = f"{uuid.uuid4().hex[:10]}.example.com"
    new_zone(route53, name)
    return name


def test_external_dns_creates_reads_back_updates_and_deletes_with_ownership_records(route53: Any, zone: str) -> None:
    controller = ExternalDNS(route53, zone)
    assert controller.records() == []
    www = Endpoint(f"www.{zone}", "A", ("192.0.2.1",))
    blue = Endpoint(f"w.{zone}", "A", ("192.0.2.10",), set_identifier="blue", weight=10)
    green = Endpoint(f"w.{zone}", "A", ("192.0.2.11",), set_identifier="green", weight=20)
    desired = managed(
        (www, "ingress/default/web"),
        (Endpoint(f"*.{zone}", "A", ("192.0.2.2",)), "ingress/default/wildcard"),
        (Endpoint(f"api.{zone}", "CNAME", (f"www.{zone}",)), "service/default/api"),
        # A CNAME to a load balancer becomes an alias A and an alias AAAA to its canonical zone.
        (Endpoint(f"lb.{zone}", "A", (ELB_NAME,), alias_zone=ELB_ZONE), "service/default/lb"),
        (Endpoint(f"lb.{zone}", "AAAA", (ELB_NAME,), alias_zone=ELB_ZONE), "service/default/lb"),
        (blue, "ingress/default/blue"),
        (green, "ingress/default/green"),
    )
    [batch] = controller.apply_changes(create=desired, delete=[], update_new=[])
    assert [(c.record_set["Name"], c.record_set["Type"]) for c in batch] == [
        (f"*.{zone}", "A"),
        (f"a-*.{zone}", "TXT"),
        (f"a-lb.{zone}", "TXT"),
        (f"a-w.{zone}", "TXT"),
        (f"a-w.{zone}", "TXT"),
        (f"a-www.{zone}", "TXT"),
        (f"aaaa-lb.{zone}", "TXT"),
        (f"api.{zone}", "CNAME"),
        (f"cname-api.{zone}", "TXT"),
        (f"lb.{zone}", "A"),
        (f"lb.{zone}", "AAAA"),
        (f"w.{zone}", "A"),
        (f"w.{zone}", "A"),
        (f"www.{zone}", "A"),
    ]
    assert controller.failed_queue == []

    # Read back: every record as written (TXT values verbatim, quotes included; names decoded from \052).
    current = controller.records()
    assert sorted(current, key=repr) == sorted((as_read(endpoint) for endpoint in desired), key=repr)
    names = [
        record["Name"]
        for record in route53.list_resource_record_sets(HostedZoneId=controller.zone_id)["ResourceRecordSets"]
    ]
    assert f"\\052.{zone}." in names and f"a-\\052.{zone}." in names  # a * inside a label is escaped too

    # The next run: www moves (UPSERT of it and of its TXT record), green goes (DELETE of both, exactly as
    # read), a new host arrives (CREATE of both). One batch, UPSERTs first, then DELETEs, then CREATEs.
    by_name = {(endpoint.name, endpoint.type, endpoint.set_identifier): endpoint for endpoint in current}
    old_green = [by_name[(f"w.{zone}.", "A", "green")], by_name[(f"a-w.{zone}.", "TXT", "green")]]
    moved = managed((replace(www, targets=("192.0.2.3",)), "ingress/default/web"))
    added = managed((Endpoint(f"new.{zone}", "A", ("192.0.2.4",)), "ingress/default/new"))
    [batch] = controller.apply_changes(create=added, delete=old_green, update_new=moved)
    assert [(c.action, c.record_set["Name"], c.record_set["Type"]) for c in batch] == [
        ("UPSERT", f"a-www.{zone}", "TXT"),
        ("UPSERT", f"www.{zone}", "A"),
        ("DELETE", f"a-w.{zone}.", "TXT"),
        ("DELETE", f"w.{zone}.", "A"),
        ("CREATE", f"a-new.{zone}", "TXT"),
        ("CREATE", f"new.{zone}", "A"),
    ]
    assert controller.failed_queue == []
    expected = [as_read(endpoint) for endpoint in desired if endpoint.set_identifier != "green"]
    expected = [e for e in expected if e.name not in (f"www.{zone}.", f"a-www.{zone}.")]
    expected += [as_read(endpoint) for endpoint in moved + added]
    assert sorted(controller.records(), key=repr) == sorted(expected, key=repr)


def test_external_dns_batches_a_large_zone_within_route53s_limits_and_pages_it_by_300(route53: Any, zone: str) -> None:
    controller = ExternalDNS(route53, zone)
    hosts = [Endpoint(f"host-{i:03d}.{zone}", "A", (f"10.0.{i // 256}.{i % 256}",)) for i in range(600)]
    desired = managed(*((host, f"service/default/host-{i:03d}") for i, host in enumerate(hosts)))
    batches = controller.apply_changes(create=desired, delete=[], update_new=[])
    assert len(batches) > 1 and controller.failed_queue == []
    for batch in batches:  # a record and its ownership record never travel apart
        assert {c.group for c in batch if c.record_set["Type"] == "TXT"} == {
            c.record_set["Name"] for c in batch if c.record_set["Type"] == "A"
        }

    # 1,202 record sets read through pages of 300, in order, none lost or repeated at a page boundary.
    read = controller.records()
    assert controller.page_sizes == [300, 300, 300, 300, 2]
    assert len(set(read)) == len(read) == 1200
    assert set(read) == {as_read(endpoint) for endpoint in desired}

    # Every address changes: 1,200 UPSERTs, each counted twice, so more, smaller batches; all accepted.
    moved = managed(
        *(
            (replace(host, targets=(f"10.1.{i // 256}.{i % 256}",)), f"service/default/host-{i:03d}")
            for i, host in enumerate(hosts)
        )
    )
    upserts = controller.apply_changes(create=[], delete=[], update_new=moved)
    assert len(upserts) > len(batches) and controller.failed_queue == []
    assert all(sum(c.size_values for c in batch) <= BATCH_SIZE_VALUES for batch in upserts)
    assert set(controller.records()) == {as_read(endpoint) for endpoint in moved}

    # Route 53 counts an UPSERT twice as well: two of those batches merged are refused, whole.
    merged = upserts[0] + upserts[1]
    values, characters = sum(c.size_values for c in merged), sum(c.size_bytes for c in merged)
    problems = []
    if values > BATCH_SIZE_VALUES:
        problems.append("Number of records limit of 1000 exceeded.")
    if characters > BATCH_SIZE_BYTES:
        problems.append("RDATA character limit of 32000 exceeded.")
    assert problems
    assert controller.send(merged) == "[" + ", ".join(problems) + "]"


def test_external_dns_resubmits_a_failed_batch_one_ownership_group_at_a_time(route53: Any, zone: str) -> None:
    controller = ExternalDNS(route53, zone)
    foreign = {"Name": f"taken.{zone}.", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "198.51.100.1"}]}
    route53.change_resource_record_sets(
        HostedZoneId=controller.zone_id, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": foreign}]}
    )
    desired = managed(
        (Endpoint(f"free-1.{zone}", "A", ("192.0.2.1",)), "service/default/free-1"),
        (Endpoint(f"taken.{zone}", "A", ("192.0.2.2",)), "service/default/taken"),
        (Endpoint(f"free-2.{zone}", "A", ("192.0.2.3",)), "service/default/free-2"),
    )
    conflict = f"[Tried to create resource record set [name='taken.{zone}.', type='A'] but it already exists]"
    [batch] = batch_change_set([new_change("CREATE", endpoint) for endpoint in desired])
    assert controller.send(batch) == conflict
    assert controller.records() == [Endpoint(f"taken.{zone}.", "A", ("198.51.100.1",), ttl=60)]  # all or nothing

    controller.apply_changes(create=desired, delete=[], update_new=[])
    assert [(c.action, c.record_set["Name"]) for c in controller.failed_queue] == [
        ("CREATE", f"a-taken.{zone}"),
        ("CREATE", f"taken.{zone}"),
    ]
    assert sorted(controller.records(), key=repr) == sorted(
        [as_read(e) for e in desired if "taken" not in e.name]
        + [Endpoint(f"taken.{zone}.", "A", ("198.51.100.1",), ttl=60)],
        key=repr,
    )
    # The next run sends the queued changes in a batch of their own, after the new ones: still refused.
    controller.submit_changes([new_change("CREATE", endpoint) for endpoint in desired if "taken" in endpoint.name])
    assert len(controller.failed_queue) == 2
