"""Races from many clients through boto3 against real servers: one worker, three workers, and two replicas
sharing one store. The rules hold exactly, nothing answers 500, and the store holds what was acknowledged."""

import itertools
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.concurrency.topologies import TOPOLOGIES, topology_servers
from tests.conftest import LiveServer
from tests.kms_keys import DNSSEC_POLICY


@pytest.fixture(scope="module", params=list(TOPOLOGIES))
def servers(
    request: pytest.FixtureRequest, template_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[LiveServer]]:
    folder = tmp_path_factory.mktemp(request.param)
    with topology_servers(request.param, template_database, folder) as started:
        yield started


def outcome(call: Any) -> tuple[str, Any]:
    """("201"/"200", response) or (error code, HTTP status)."""
    try:
        return "ok", call()
    except ClientError as error:
        return error.response["Error"]["Code"], error.response["ResponseMetadata"]["HTTPStatusCode"]


def make_zone_and_keys(server: LiveServer, count: int) -> tuple[str, list[str]]:
    route53, kms = server.client("route53"), server.client("kms")
    zone = route53.create_hosted_zone(Name=f"race-{uuid.uuid4().hex[:8]}.example", CallerReference=uuid.uuid4().hex)
    zone_id = zone["HostedZone"]["Id"].split("/")[-1]
    with ThreadPoolExecutor(8) as pool:
        arns = list(
            pool.map(
                lambda _: kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY", Policy=DNSSEC_POLICY)[
                    "KeyMetadata"
                ]["Arn"],
                range(count),
            )
        )
    return zone_id, arns


def race(servers: list[LiveServer], calls: list[Any]) -> list[tuple[str, Any]]:
    """Run every call at once, spread over the servers, each thread with its own boto3 client."""
    clients = [server.client("route53") for server in servers for _ in range(len(calls))]
    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(lambda pair: outcome(lambda: pair[1](pair[0])), zip(itertools.cycle(clients), calls)))


def test_fifty_distinct_creates_on_one_zone_give_exactly_two(servers: list[LiveServer]) -> None:
    zone_id, arns = make_zone_and_keys(servers[0], 50)
    calls = [
        (
            lambda client, i=i: client.create_key_signing_key(
                CallerReference=uuid.uuid4().hex,
                HostedZoneId=zone_id,
                KeyManagementServiceArn=arns[i],
                Name=f"ksk_{i}",
                Status="ACTIVE",
            )
        )
        for i in range(50)
    ]
    results = race(servers, calls)
    codes = Counter(code for code, _ in results)
    assert codes["ok"] == 2, codes
    assert set(codes) <= {"ok", "TooManyKeySigningKeys", "ConcurrentModification"}, codes
    acknowledged = sorted(response["KeySigningKey"]["Name"] for code, response in results if code == "ok")
    stored = servers[-1].client("route53").get_dnssec(HostedZoneId=zone_id)["KeySigningKeys"]
    assert sorted(key["Name"] for key in stored) == acknowledged
    for code, response in results:
        if code == "ok":
            change = servers[0].client("route53").get_change(Id=response["ChangeInfo"]["Id"])
            assert change["ChangeInfo"]["Status"] == "INSYNC"


def test_fifty_creates_of_one_name_give_exactly_one(servers: list[LiveServer]) -> None:
    zone_id, arns = make_zone_and_keys(servers[0], 50)
    calls = [
        (
            lambda client, i=i: client.create_key_signing_key(
                CallerReference=uuid.uuid4().hex,
                HostedZoneId=zone_id,
                KeyManagementServiceArn=arns[i],
                Name="same_name",
                Status="INACTIVE",
            )
        )
        for i in range(50)
    ]
    results = race(servers, calls)
    codes = Counter(code for code, _ in results)
    assert codes["ok"] == 1, codes
    assert set(codes) <= {"ok", "KeySigningKeyAlreadyExists", "ConcurrentModification"}, codes
    assert all(status == 409 for code, status in results if code == "KeySigningKeyAlreadyExists")
    stored = servers[-1].client("route53").get_dnssec(HostedZoneId=zone_id)["KeySigningKeys"]
    winner = next(response for code, response in results if code == "ok")
    assert stored == [winner["KeySigningKey"]]


def test_same_kms_key_races_give_exactly_one(servers: list[LiveServer]) -> None:
    zone_id, arns = make_zone_and_keys(servers[0], 1)
    calls = [
        (
            lambda client, i=i: client.create_key_signing_key(
                CallerReference="same",
                HostedZoneId=zone_id,
                KeyManagementServiceArn=arns[0],
                Name=f"ksk_{i}",
                Status="ACTIVE",
            )
        )
        for i in range(30)
    ]
    codes = Counter(code for code, _ in race(servers, calls))
    assert codes["ok"] == 1 and set(codes) <= {"ok", "KeySigningKeyAlreadyExists", "ConcurrentModification"}, codes


def test_caller_reference_races_create_exactly_one_zone(servers: list[LiveServer]) -> None:
    reference = uuid.uuid4().hex
    calls = [
        (lambda client, i=i: client.create_hosted_zone(Name=f"z{i}.race.example", CallerReference=reference))
        for i in range(30)
    ]
    codes = Counter(code for code, _ in race(servers, calls))
    assert codes["ok"] == 1 and set(codes) <= {"ok", "HostedZoneAlreadyExists", "ConcurrentModification"}, codes


def test_deactivate_races_never_leave_a_signing_zone_without_an_active_key(servers: list[LiveServer]) -> None:
    route53 = servers[0].client("route53")
    zone_id, arns = make_zone_and_keys(servers[0], 2)
    for i, arn in enumerate(arns):
        route53.create_key_signing_key(
            CallerReference=uuid.uuid4().hex,
            HostedZoneId=zone_id,
            KeyManagementServiceArn=arn,
            Name=f"ksk_{i}",
            Status="ACTIVE",
        )
    route53.enable_hosted_zone_dnssec(HostedZoneId=zone_id)
    for _ in range(5):
        calls = [
            (lambda client, i=i: client.deactivate_key_signing_key(HostedZoneId=zone_id, Name=f"ksk_{i % 2}"))
            for i in range(10)
        ] + [
            (lambda client: client.disable_hosted_zone_dnssec(HostedZoneId=zone_id)),
            (lambda client: client.enable_hosted_zone_dnssec(HostedZoneId=zone_id)),
        ]
        codes = Counter(code for code, _ in race(servers, calls))
        assert set(codes) <= {
            "ok",
            "KeySigningKeyInUse",
            "KeySigningKeyWithActiveStatusNotFound",
            "ConcurrentModification",
        }, codes
        state = route53.get_dnssec(HostedZoneId=zone_id)
        active = [key for key in state["KeySigningKeys"] if key["Status"] == "ACTIVE"]
        if state["Status"]["ServeSignature"] == "SIGNING":
            assert active, state
        for i in range(2):
            route53.activate_key_signing_key(HostedZoneId=zone_id, Name=f"ksk_{i}")
        route53.enable_hosted_zone_dnssec(HostedZoneId=zone_id)


def test_thirty_creates_of_one_record_set_give_exactly_one(servers: list[LiveServer]) -> None:
    route53 = servers[0].client("route53")
    zone_id, _ = make_zone_and_keys(servers[0], 0)
    name = route53.get_hosted_zone(Id=zone_id)["HostedZone"]["Name"]

    def create(client: Any, i: int) -> Any:
        record = {"Name": f"www.{name}", "Type": "TXT", "TTL": 60, "ResourceRecords": [{"Value": f'"{i}"'}]}
        return client.change_resource_record_sets(
            HostedZoneId=zone_id, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": record}]}
        )

    results = race(servers, [lambda client, i=i: create(client, i) for i in range(30)])
    assert Counter(code for code, _ in results) == {"ok": 1, "InvalidChangeBatch": 29}
    winner = next(i for i, (code, _) in enumerate(results) if code == "ok")
    listed = route53.list_resource_record_sets(HostedZoneId=zone_id, StartRecordName=f"www.{name}")
    assert listed["ResourceRecordSets"][0]["ResourceRecords"] == [{"Value": f'"{winner}"'}]
    assert route53.get_hosted_zone(Id=zone_id)["HostedZone"]["ResourceRecordSetCount"] == 3


def test_thirty_upserts_of_distinct_names_keep_an_exact_count(servers: list[LiveServer]) -> None:
    route53 = servers[0].client("route53")
    zone_id, _ = make_zone_and_keys(servers[0], 0)
    name = route53.get_hosted_zone(Id=zone_id)["HostedZone"]["Name"]

    def upsert(client: Any, i: int) -> Any:
        record = {"Name": f"n{i}.{name}", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.1"}]}
        return client.change_resource_record_sets(
            HostedZoneId=zone_id, ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": record}]}
        )

    results = race(servers, [lambda client, i=i: upsert(client, i) for i in range(30)] * 2)
    assert Counter(code for code, _ in results) == {"ok": 60}
    assert route53.get_hosted_zone(Id=zone_id)["HostedZone"]["ResourceRecordSetCount"] == 32
    listed = route53.list_resource_record_sets(HostedZoneId=zone_id, MaxItems="300")["ResourceRecordSets"]
    assert len(listed) == 32
