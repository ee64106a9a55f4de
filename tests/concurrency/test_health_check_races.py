"""Health-check races from many clients through boto3, on one worker, three workers and two replicas sharing
one store (the topologies of test_races): one CallerReference gives one health check, and one
HealthCheckVersion admits one update."""

import uuid
from collections import Counter

from tests.concurrency.test_races import race, servers  # noqa: F401  (the topology fixture)
from tests.conftest import LiveServer

CONFIG = {"Type": "HTTPS", "FullyQualifiedDomainName": "race.example.com", "ResourcePath": "/"}


def test_twenty_creates_with_one_caller_reference_give_one_check(servers: list[LiveServer]) -> None:  # noqa: F811
    reference = uuid.uuid4().hex
    before = servers[0].client("route53").get_health_check_count()["HealthCheckCount"]
    calls = [
        (lambda client: client.create_health_check(CallerReference=reference, HealthCheckConfig=CONFIG))
        for _ in range(20)
    ]
    results = race(servers, calls)
    assert Counter(code for code, _ in results) == {"ok": 20}, results
    ids = {response["HealthCheck"]["Id"] for _, response in results}
    assert len(ids) == 1
    route53 = servers[-1].client("route53")
    assert route53.get_health_check_count()["HealthCheckCount"] == before + 1
    assert route53.get_health_check(HealthCheckId=ids.pop())["HealthCheck"]["CallerReference"] == reference


def test_creates_with_one_caller_reference_and_different_configurations_give_one_check(
    servers: list[LiveServer],  # noqa: F811
) -> None:
    reference = uuid.uuid4().hex
    calls = [
        (
            lambda client, i=i: client.create_health_check(
                CallerReference=reference, HealthCheckConfig={**CONFIG, "ResourcePath": f"/{i}"}
            )
        )
        for i in range(20)
    ]
    results = race(servers, calls)
    codes = Counter(code for code, _ in results)
    assert codes == {"ok": 1, "HealthCheckAlreadyExists": 19}, codes
    assert all(status == 409 for code, status in results if code != "ok")


def test_twenty_updates_with_one_version_admit_one(servers: list[LiveServer]) -> None:  # noqa: F811
    route53 = servers[0].client("route53")
    check = route53.create_health_check(CallerReference=uuid.uuid4().hex, HealthCheckConfig=CONFIG)["HealthCheck"]
    calls = [
        (
            lambda client, i=i: client.update_health_check(
                HealthCheckId=check["Id"], HealthCheckVersion=1, FailureThreshold=1 + i % 10
            )
        )
        for i in range(20)
    ]
    results = race(servers, calls)
    codes = Counter(code for code, _ in results)
    assert codes == {"ok": 1, "HealthCheckVersionMismatch": 19}, codes
    winner = next(response for code, response in results if code == "ok")["HealthCheck"]
    stored = servers[-1].client("route53").get_health_check(HealthCheckId=check["Id"])["HealthCheck"]
    assert stored == winner and stored["HealthCheckVersion"] == 2
