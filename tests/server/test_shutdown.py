"""Stopping the service (issue 11, item 5; issue 12, item 3), against the real server with one worker and two:
once SIGTERM or SIGINT arrives new connections are refused, requests in flight are answered, the process ends
with status 0 or by its signal and no traceback, within ``R53_SHUTDOWN_TIMEOUT_SECONDS``; under load, every
request either got a response or left no trace."""

import signal
import socket
import threading
import time
import uuid
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from tests.conftest import LiveServer, fresh_database_url
from tests.wire import create_zone_body

PATIENCE = 30


def assert_refused_once_stopping(server: LiveServer, workers: int) -> None:
    """Once every worker has begun shutting down, nobody listens: a new connection is refused."""
    deadline = time.monotonic() + PATIENCE
    while server.log_path.read_text().count("Shutting down") < workers:
        assert time.monotonic() < deadline, "the workers never began shutting down"
        time.sleep(0.02)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", server.port), timeout=PATIENCE).close()


def read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_stop_refuses_new_connections_and_answers_the_request_in_flight(
    template_database: str, tmp_path: Path, workers: int, sig: signal.Signals
) -> None:
    urls = fresh_database_url(template_database, tmp_path)
    server = LiveServer(next(urls), tmp_path, workers=workers).start()
    try:
        name = f"{uuid.uuid4().hex[:8]}.example"
        body = create_zone_body(name, uuid.uuid4().hex).encode()
        head = f"POST /2013-04-01/hostedzone HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n"
        in_flight = socket.create_connection(("127.0.0.1", server.port), timeout=PATIENCE)
        in_flight.sendall(head.encode() + body[:30])
        time.sleep(0.3)  # the request has reached a worker, which waits for the rest of its body

        assert server.process is not None
        server.process.send_signal(sig)
        assert_refused_once_stopping(server, workers)
        in_flight.sendall(body[30:])
        response = read_all(in_flight)
        in_flight.close()
        status = server.process.wait(timeout=PATIENCE)
        server.process = None

        assert response.startswith(b"HTTP/1.1 201 "), response
        assert status in (0, -sig)
        log = server.log_path.read_text()
        assert "Traceback" not in log
        server.start()
        zones = server.client("route53").list_hosted_zones_by_name(DNSName=name)["HostedZones"]
        assert [zone["Name"] for zone in zones][:1] == [name + "."]
    finally:
        server.stop()
        next(urls, None)


def test_a_request_still_running_at_the_shutdown_timeout_is_dropped_and_the_process_ends(
    template_database: str, tmp_path: Path
) -> None:
    urls = fresh_database_url(template_database, tmp_path)
    server = LiveServer(next(urls), tmp_path, shutdown_timeout_seconds="2", body_timeout_seconds="600").start()
    try:
        head = b"POST /2013-04-01/hostedzone HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n<Create"
        stuck = socket.create_connection(("127.0.0.1", server.port), timeout=PATIENCE)
        stuck.sendall(head)
        time.sleep(0.3)

        assert server.process is not None
        server.process.terminate()
        status = server.process.wait(timeout=PATIENCE)  # never, if the body were awaited for its 600 s
        server.process = None
        dropped = read_all(stuck)
        stuck.close()

        assert status == -signal.SIGTERM
        assert dropped == b""
        log = server.log_path.read_text()
        assert "POST /2013-04-01/hostedzone dropped unanswered: the shutdown timeout passed" in log
        assert "Traceback" not in log
    finally:
        server.stop()
        next(urls, None)


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_under_load_leaves_every_request_answered_or_without_a_trace(
    template_database: str, tmp_path: Path, workers: int
) -> None:
    urls = fresh_database_url(template_database, tmp_path)
    # room for every zone the load creates (Route 53's 500 per account would refuse some)
    server = LiveServer(next(urls), tmp_path, workers=workers, max_hosted_zones="1000000").start()
    try:
        answered: dict[str, str] = {}  # zone name: id, for every CreateHostedZone that got a response
        unanswered: list[str] = []
        refusals: list[ClientError] = []
        stop = threading.Event()

        def load() -> None:
            route53 = server.client("route53")
            while not stop.is_set():
                name = f"term-{uuid.uuid4().hex[:12]}.example."
                try:
                    zone = route53.create_hosted_zone(Name=name, CallerReference=uuid.uuid4().hex)
                except ClientError as error:
                    refusals.append(error)
                    return
                except Exception:  # no response: the connection was refused or closed
                    unanswered.append(name)
                    return
                answered[name] = zone["HostedZone"]["Id"].split("/")[-1]

        threads = [threading.Thread(target=load) for _ in range(8)]
        for thread in threads:
            thread.start()
        time.sleep(1.5)
        assert server.process is not None
        server.process.terminate()
        status = server.process.wait(timeout=PATIENCE)
        server.process = None
        stop.set()
        for thread in threads:
            thread.join(timeout=PATIENCE)

        assert len(answered) > 20, "the load never got going"
        assert refusals == []
        assert status in (0, -signal.SIGTERM)
        assert "Traceback" not in server.log_path.read_text()
        server.start()
        route53 = server.client("route53")
        stored = {}
        for page in route53.get_paginator("list_hosted_zones").paginate():
            stored.update({zone["Name"]: zone["Id"].split("/")[-1] for zone in page["HostedZones"]})
        assert set(answered) <= set(stored)
        assert set(stored) <= set(answered) | set(unanswered)
        for zone_id in stored.values():  # whole: the zone, its name servers and its change record
            zone = route53.get_hosted_zone(Id=zone_id)
            assert len(zone["DelegationSet"]["NameServers"]) == 4
    finally:
        server.stop()
        next(urls, None)
