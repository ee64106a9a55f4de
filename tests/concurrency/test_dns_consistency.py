"""Once GetChange says INSYNC, every DNS listener answers with the change at once: each of three workers,
and each of two replicas sharing one database; a batch is never seen half applied. The process that
answered is told by its NSID (RFC 5001); queries come from fresh source ports until every process answered."""

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dns.edns
import pytest

from tests.conftest import LiveServer, free_dns_port, fresh_database_url
from tests.dns_tools import ask, plain, upsert
from tests.e2e.helpers import insync, new_zone

NSID = dns.edns.GenericOption(dns.edns.NSID, b"")
ROUNDS = 4
MAX_QUERIES = 300  # per round: enough to reach every process through the kernel's SO_REUSEPORT hashing
STARTUP_SECONDS = 60.0  # for every worker to bind its DNS socket after the first one answers HTTP


def answered_by(port: int, name: str) -> tuple[str, list[str]]:
    """(the answering process's NSID, the TXT data) of one query from a fresh source port."""
    reply = ask(port, name, "TXT", use_edns=0, options=[NSID])
    server = reply.options[0].to_wire().decode()
    return server, sorted(rdata.to_text() for rrset in reply.answer for rdata in rrset)


def every_process_answers(port: int, names: list[str], want: list[str], processes: int) -> set[str]:
    """Query until ``processes`` distinct processes answered; every answer to every name must be ``want``."""
    seen: set[str] = set()
    for attempt in range(MAX_QUERIES):
        server, data = answered_by(port, names[attempt % len(names)])
        assert data == want, (server, names[attempt % len(names)], data)
        seen.add(server)
        if len(seen) == processes and attempt >= len(names):
            return seen
    raise AssertionError(f"only {len(seen)} of {processes} processes answered in {MAX_QUERIES} queries: {seen}")


def wait_until_every_process_listens(port: int, name: str, processes: int) -> None:
    """Query until ``processes`` distinct processes answered, for up to ``STARTUP_SECONDS``: a worker that is
    still starting has not bound its DNS socket yet, and the kernel hashes queries only over bound ones."""
    seen: set[str] = set()
    deadline = time.monotonic() + STARTUP_SECONDS
    while len(seen) < processes:
        assert time.monotonic() < deadline, f"only {len(seen)} of {processes} processes listen: {seen}"
        seen.add(answered_by(port, name)[0])


def rounds_of_changes(route53_clients: list[Any], port: int, processes: int) -> None:
    route53 = route53_clients[0]
    zone_id = new_zone(route53)
    name = route53.get_hosted_zone(Id=zone_id)["HostedZone"]["Name"]
    names = [f"a.{name}", f"b.{name}"]
    wait_until_every_process_listens(port, name, processes)
    servers: set[str] = set()
    for round_number in range(ROUNDS):
        client = route53_clients[round_number % len(route53_clients)]  # changes go through each replica
        value = f'"round {round_number}"'
        insync(client, upsert(client, zone_id, *(plain(each, "TXT", value) for each in names)))
        servers |= every_process_answers(port, names, [value], processes)
    assert len(servers) == processes


@pytest.fixture
def database(template_database: str, tmp_path: Path) -> Iterator[str]:
    yield from fresh_database_url(template_database, tmp_path)


def test_every_worker_answers_the_change_at_once(database: str, tmp_path: Path) -> None:
    port = free_dns_port()
    server = LiveServer(database, tmp_path, workers=3, dns_port=str(port)).start()
    try:
        rounds_of_changes([server.client("route53")], port, processes=3)
    finally:
        server.stop()


def test_every_replica_answers_the_change_at_once(database: str, tmp_path: Path) -> None:
    port = free_dns_port()
    first = LiveServer(database, tmp_path, dns_port=str(port)).start()
    try:
        second = LiveServer(database, tmp_path, dns_port=str(port)).start()  # the same DNS port: SO_REUSEPORT
        try:
            rounds_of_changes([first.client("route53"), second.client("route53")], port, processes=2)
        finally:
            second.stop()
    finally:
        first.stop()
