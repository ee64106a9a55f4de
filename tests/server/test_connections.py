"""What a connection may cost the service (issue 11, items 4 and 6), from raw sockets against the real server:
read timeouts for the head and the body, the header-size cap, the connection limit, refused upgrades, clients that
leave mid-body, and the ``Host`` header in ``Location``."""

import resource
import selectors
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import LiveServer, fresh_database_url
from tests.wire import create_zone_body

PATIENCE = 30  # seconds a test waits for an answer; far above every timeout the servers here are given


@pytest.fixture(scope="module")
def strict_server(template_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server with short read timeouts and a small connection limit."""
    folder = tmp_path_factory.mktemp("strict")
    urls = fresh_database_url(template_database, folder)
    settings = {"header_timeout_seconds": "1", "body_timeout_seconds": "1", "max_connections": "8"}
    server = LiveServer(next(urls), folder, **settings).start()
    try:
        yield server
    finally:
        server.stop()
        next(urls, None)


def connect(server: LiveServer) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.settimeout(PATIENCE)
    return sock


def read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


def log_lines(server: LiveServer) -> list[str]:
    return server.log_path.read_text().splitlines()


def wait_for_log(server: LiveServer, text: str) -> list[str]:
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        lines = [line for line in log_lines(server) if text in line]
        if lines:
            return lines
        time.sleep(0.05)
    raise AssertionError(f"no log line with {text!r}")


def test_a_connection_that_sends_nothing_is_closed(strict_server: LiveServer) -> None:
    with connect(strict_server) as sock:
        assert read_all(sock) == b""


def test_a_head_that_does_not_arrive_in_time_is_408(strict_server: LiveServer) -> None:
    with connect(strict_server) as sock:
        sock.sendall(b"GET /2013-04-01/hostedzone HTTP/1.1\r\nHost: x\r\n")
        response = read_all(sock)

    assert status_of(response) == 408
    assert response.endswith(b"The request head did not arrive in time.")


def test_an_idle_keep_alive_connection_is_closed(strict_server: LiveServer) -> None:
    with connect(strict_server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        response = read_all(sock)

    assert status_of(response) == 200
    assert response.endswith(b"ok")


def test_a_body_that_does_not_arrive_in_time_is_408_and_one_info_line(strict_server: LiveServer) -> None:
    body = create_zone_body(f"{uuid.uuid4().hex[:8]}.example", uuid.uuid4().hex).encode()
    head = f"POST /2013-04-01/hostedzone HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n"
    with connect(strict_server) as sock:
        sock.sendall(head.encode() + body[:20])
        response = read_all(sock)

    assert status_of(response) == 408
    assert response.endswith(b"The request body did not arrive in time.")
    assert wait_for_log(strict_server, "CreateHostedZone: the client disconnected before sending its whole body")
    assert not [line for line in log_lines(strict_server) if "Traceback" in line]


def test_a_client_that_leaves_mid_body_is_one_info_line(strict_server: LiveServer) -> None:
    head = b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: TrentService.ListKeys\r\nContent-Length: 100\r\n\r\n"
    with connect(strict_server) as sock:
        sock.sendall(head + b'{"Limit"')

    (line,) = wait_for_log(strict_server, "the client disconnected before sending its whole body")
    assert " INFO " in line
    assert not [line for line in log_lines(strict_server) if "Traceback" in line]


@pytest.mark.parametrize("complete", [True, False])
def test_a_head_over_16_kib_is_431(strict_server: LiveServer, complete: bool) -> None:
    """Complete (parsed, then measured) or still arriving (measured as it comes): both are refused."""
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (17 * 1024 if complete else 1024 * 1024)
    with connect(strict_server) as sock:
        sock.sendall(head + (b"\r\n\r\n" if complete else b""))
        response = read_all(sock)

    assert status_of(response) == 431
    assert response.endswith(b"The request head is too large.")


def test_a_head_just_under_16_kib_is_served(strict_server: LiveServer) -> None:
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Big: " + b"a" * (15 * 1024) + b"\r\n\r\n"
    with connect(strict_server) as sock:
        sock.sendall(head)
        assert status_of(read_all(sock)) == 200


def test_connections_over_the_limit_are_answered_503_at_once(strict_server: LiveServer) -> None:
    held = [connect(strict_server) for _ in range(8)]
    try:
        time.sleep(0.2)  # let the server accept them all before the next one
        with connect(strict_server) as extra:
            response = read_all(extra)
    finally:
        for sock in held:
            sock.close()

    assert status_of(response) == 503
    assert b"\r\nretry-after: 1\r\n" in response
    assert response.endswith(b"Too many open connections. Retry the request.")


def test_a_websocket_upgrade_with_a_body_is_400(strict_server: LiveServer) -> None:
    request = (
        b"POST / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
        b"X-Amz-Target: TrentService.ListKeys\r\nContent-Length: 2\r\n\r\n{}"
    )
    with connect(strict_server) as sock:
        sock.sendall(request)
        response = read_all(sock)

    assert status_of(response) == 400
    assert response.endswith(b"This service does not upgrade connections (no WebSockets).")


def test_a_websocket_upgrade_without_a_body_is_answered_as_a_plain_request(strict_server: LiveServer) -> None:
    request = (
        b"GET /2013-04-01/hostedzonecount HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
        b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
    )
    with connect(strict_server) as sock:
        sock.sendall(request)
        response = read_all(sock)

    assert status_of(response) == 200
    assert b"<GetHostedZoneCountResponse" in response
    assert b"\r\nconnection: close\r\n" in response


@pytest.mark.parametrize(
    ("host", "location_prefix"),
    [
        ("route53.example:8053", "http://route53.example:8053/"),
        ("10.0.0.7", "http://10.0.0.7/"),
        ("[::1]:8053", "http://[::1]:8053/"),
        ("route53_dnssec", "http://route53_dnssec/"),
        ("evil.example/phish?x=", "http://127.0.0.1:{port}/"),
        ("evil.example@attacker.example", "http://127.0.0.1:{port}/"),
        ("a b", "http://127.0.0.1:{port}/"),
        ("x" * 300, "http://127.0.0.1:{port}/"),
    ],
)
def test_location_echoes_only_a_well_formed_host(strict_server: LiveServer, host: str, location_prefix: str) -> None:
    body = create_zone_body(f"{uuid.uuid4().hex[:8]}.example", uuid.uuid4().hex).encode()
    head = f"POST /2013-04-01/hostedzone HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {len(body)}"
    with connect(strict_server) as sock:
        sock.sendall(head.encode() + b"\r\n\r\n" + body)
        response = read_all(sock)

    assert status_of(response) == 201, response
    location = next(line for line in response.split(b"\r\n") if line.lower().startswith(b"location: "))
    expected = location_prefix.format(port=strict_server.port) + "2013-04-01/hostedzone/"
    assert location.decode().removeprefix("location: ").startswith(expected)


def test_silent_sockets_past_the_file_limit_get_503_and_the_service_recovers(
    template_database: str, tmp_path: Path
) -> None:
    """Under ``ulimit -n 256``, 300 connections that send nothing: those over the budget the limit allows are
    answered 503 at once, the others closed at the header timeout, and a client is served again."""

    def low_file_limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))

    urls = fresh_database_url(template_database, tmp_path)
    server = LiveServer(next(urls), tmp_path, preexec_fn=low_file_limit, header_timeout_seconds="3").start()
    try:
        silent = [connect(server) for _ in range(300)]
        time.sleep(0.5)  # well within the header timeout: only the refused ones have an answer yet
        with selectors.DefaultSelector() as selector:
            for sock in silent:
                selector.register(sock, selectors.EVENT_READ)
            readable = {key.fileobj for key, _ in selector.select(timeout=0)}
        answered = []
        for sock in silent:
            if sock in readable:
                answered.append(read_all(sock))
                sock.close()  # so that the server stops lingering on it
        with connect(server) as client:
            client.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            while_full = read_all(client)
        held = [read_all(sock) for sock in silent if sock not in readable]  # until the header timeout closes them
        with connect(server) as client:
            client.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            afterwards = read_all(client)
    finally:
        for sock in silent:
            sock.close()
        server.stop()
        next(urls, None)

    budget = 256 - 64
    assert len(answered) == 300 - budget
    assert {status_of(response) for response in answered} == {503}
    assert status_of(while_full) == 503
    assert held == [b""] * budget
    assert status_of(afterwards) == 200
    warning = "R53_MAX_CONNECTIONS=1000 exceeds the open-file limit (256): serving 192 connections"
    assert [line for line in log_lines(server) if warning in line]
