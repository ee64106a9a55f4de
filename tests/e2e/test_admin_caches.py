"""Every worker's caches follow resets and imports (three workers, DNS on each): a reset zone is REFUSED by
all of them at once, and a zone imported again under its old id never answers from what a worker cached
of the zone before the reset, even after the same number of changes."""

from collections.abc import Iterator
from typing import Any

import dns.message
import dns.query
import dns.rcode
import httpx
import pytest

from tests.conftest import LiveServer, free_dns_port, fresh_database_url
from tests.e2e.helpers import call_ok, new_zone

ACCOUNT = "123456789012"
QUERIES = 40  # SO_REUSEPORT spreads them over the three workers


@pytest.fixture
def server(template_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("caches")
    urls = fresh_database_url(template_database, folder)
    live = LiveServer(next(urls), folder, workers=3, dns_port=str(free_dns_port())).start()
    try:
        yield live
    finally:
        live.stop()
        next(urls, None)


def set_address(route53: Any, zone_id: str, address: str) -> None:
    record = {"Name": "www.cache.example.", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": address}]}
    batch = {"Changes": [{"Action": "UPSERT", "ResourceRecordSet": record}]}
    call_ok(route53, "change_resource_record_sets", HostedZoneId=zone_id, ChangeBatch=batch)


def answers(server: LiveServer) -> set[str]:
    """Every distinct answer (rcode and A records) of ``QUERIES`` queries for www.cache.example."""
    seen = set()
    for _ in range(QUERIES):
        query = dns.message.make_query("www.cache.example.", "A")
        reply = dns.query.udp(query, "127.0.0.1", port=int(server.settings["dns_port"]), timeout=5)
        records = ",".join(sorted(item.to_text() for rrset in reply.answer for item in rrset))
        seen.add(f"{dns.rcode.to_text(reply.rcode())} {records}".strip())
    return seen


def test_reset_and_import_reach_every_workers_caches(server: LiveServer) -> None:
    route53 = server.client("route53")
    zone_id = new_zone(route53, "cache.example")
    set_address(route53, zone_id, "192.0.2.1")
    seed = httpx.get(f"{server.url}/_route53/export", params={"account": ACCOUNT}).json()
    set_address(route53, zone_id, "192.0.2.2")
    assert answers(server) == {"NOERROR 192.0.2.2"}  # cached by the workers at this revision
    assert httpx.post(f"{server.url}/_route53/reset").status_code == 200
    assert answers(server) == {"REFUSED"}
    assert httpx.post(f"{server.url}/_route53/import", json=seed).status_code == 200
    assert answers(server) == {"NOERROR 192.0.2.1"}
    set_address(route53, zone_id, "192.0.2.3")  # as many changes after the seed as before the reset
    assert answers(server) == {"NOERROR 192.0.2.3"}
    assert route53.test_dns_answer(HostedZoneId=zone_id, RecordName="www.cache.example", RecordType="A")[
        "RecordData"
    ] == ["192.0.2.3"]
