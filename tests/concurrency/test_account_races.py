"""Per-account limits and isolation under concurrent traffic from several accounts, on three workers and on
two replicas sharing one store: each account gets exactly its limit, and no account sees another's rows."""

import itertools
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.concurrency.test_races import outcome
from tests.concurrency.topologies import topology_servers
from tests.conftest import LiveServer

LIMIT = 5
ACCOUNTS = ("111111111111", "222222222222", "test")  # "test": R53_ACCOUNT_ID's account
HTTP_CONFIG = {"Type": "HTTP", "IPAddress": "8.8.8.8", "Port": 80, "ResourcePath": "/"}


@pytest.fixture(scope="module", params=["three-workers", "two-replicas"])
def servers(
    request: pytest.FixtureRequest, template_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[LiveServer]]:
    folder = tmp_path_factory.mktemp(request.param)
    with topology_servers(
        request.param, template_database, folder, max_hosted_zones=str(LIMIT), max_health_checks=str(LIMIT)
    ) as started:
        yield started


def race(servers: list[LiveServer], calls: list[tuple[str, Any]]) -> list[tuple[str, tuple[str, Any]]]:
    """Run every (account, call) at once, spread over the servers, each with its own boto3 client."""
    spread = zip(itertools.cycle(servers), calls, strict=False)
    jobs = [(account, server.client("route53", access_key=account), call) for server, (account, call) in spread]
    with ThreadPoolExecutor(len(jobs)) as pool:
        return list(pool.map(lambda job: (job[0], outcome(lambda: job[2](job[1]))), jobs))


def tally(results: list[tuple[str, tuple[str, Any]]]) -> dict[str, Counter[Any]]:
    counts: dict[str, Counter[Any]] = {}
    for account, (code, value) in results:
        counts.setdefault(account, Counter())[code if code == "ok" else (code, value)] += 1
    return counts


def test_thirty_zone_creates_from_two_accounts_give_each_exactly_its_limit(servers: list[LiveServer]) -> None:
    accounts = ACCOUNTS[:2]
    calls = [
        (
            account,
            lambda c: c.create_hosted_zone(Name=f"{uuid.uuid4().hex[:8]}.example", CallerReference=uuid.uuid4().hex),
        )
        for account in accounts
        for _ in range(15)
    ]
    counts = tally(race(servers, calls))
    for account in accounts:
        assert counts[account] == Counter({"ok": LIMIT, ("TooManyHostedZones", 400): 15 - LIMIT}), counts
        client = servers[0].client("route53", access_key=account)
        assert client.get_hosted_zone_count()["HostedZoneCount"] == LIMIT
        assert len(client.list_hosted_zones()["HostedZones"]) == LIMIT
    message = servers[0].client("route53", access_key=accounts[0])
    error = outcome(lambda: message.create_hosted_zone(Name="one.more.example", CallerReference=uuid.uuid4().hex))
    assert error == ("TooManyHostedZones", 400)
    third = servers[-1].client("route53", access_key=ACCOUNTS[2])
    assert outcome(lambda: third.create_hosted_zone(Name="free.example", CallerReference="free"))[0] == "ok"


def test_thirty_health_check_creates_from_two_accounts_give_each_exactly_its_limit(servers: list[LiveServer]) -> None:
    accounts = ACCOUNTS[:2]
    calls = [
        (account, lambda c: c.create_health_check(CallerReference=uuid.uuid4().hex, HealthCheckConfig=HTTP_CONFIG))
        for account in accounts
        for _ in range(15)
    ]
    counts = tally(race(servers, calls))
    for account in accounts:
        assert counts[account] == Counter({"ok": LIMIT, ("TooManyHealthChecks", 400): 15 - LIMIT}), counts
        client = servers[0].client("route53", access_key=account)
        assert client.get_health_check_count()["HealthCheckCount"] == LIMIT


def test_mixed_traffic_from_three_accounts_sees_only_its_own(servers: list[LiveServer]) -> None:
    """Each account makes one zone and then races record-set writes and reads; every answer is its own."""
    zones = {}
    for account in ACCOUNTS:
        client = servers[0].client("route53", access_key=account)
        name = f"mixed-{uuid.uuid4().hex[:8]}.example."
        reference = f"mixed-{account}-{uuid.uuid4().hex[:6]}"
        created = outcome(lambda c=client, n=name, r=reference: c.create_hosted_zone(Name=n, CallerReference=r))
        if created[0] == "TooManyHostedZones":  # the limit test ran first on this store: reuse a zone
            first = client.list_hosted_zones()["HostedZones"][0]
            zones[account] = (first["Id"].split("/")[-1], first["Name"])
        else:
            zones[account] = (created[1]["HostedZone"]["Id"].split("/")[-1], name)

    def upsert(account: str, i: int) -> Any:
        zone_id, name = zones[account]

        def call(client: Any) -> Any:
            record = {"Name": f"r{i}.{name}", "Type": "TXT", "TTL": 60, "ResourceRecords": [{"Value": f'"{account}"'}]}
            batch = {"Changes": [{"Action": "UPSERT", "ResourceRecordSet": record}]}
            return client.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch=batch)

        return call

    def peek(account: str) -> Any:
        return lambda client: [zone["Id"].split("/")[-1] for zone in client.list_hosted_zones()["HostedZones"]]

    calls = [(account, upsert(account, i)) for account in ACCOUNTS for i in range(8)]
    calls += [(account, peek(account)) for account in ACCOUNTS for _ in range(2)]
    results = race(servers, calls)
    assert all(code == "ok" for _, (code, _) in results), results
    for account, (_, value) in results:
        if isinstance(value, list):
            others = {zones[other][0] for other in ACCOUNTS if other != account}
            assert not others & set(value)
    for account in ACCOUNTS:
        client = servers[-1].client("route53", access_key=account)
        records = client.list_resource_record_sets(HostedZoneId=zones[account][0])["ResourceRecordSets"]
        txt = [record for record in records if record["Type"] == "TXT"]
        assert len(txt) >= 8 and {r["ResourceRecords"][0]["Value"] for r in txt} == {f'"{account}"'}
