"""PostgreSQL stalling or down, through a TCP proxy between the real server and the database (issue 11, item 6):
``/readyz`` answers 503 at once instead of hanging; reads answer a 503 ``ServiceUnavailable`` with ``Retry-After``
(Route 53 XML on Route 53 routes, KMS JSON on KMS), which SDKs retry; the service recovers with the database,
and still stops on SIGTERM."""

import json
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.protocol.kms import CONTENT_TYPE
from tests.conftest import POSTGRES_URL, LiveServer, fresh_database_url
from tests.tcp_proxy import Mode, TcpProxy
from tests.wire import assert_error

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="a PostgreSQL outage needs PostgreSQL (TEST_DATABASE_URL)")
ANSWER_TIMEOUT = 15  # seconds: the service answers within its database timeout (2 s here) or not at all
UNAVAILABLE = "The service cannot reach its database. Retry the request."


@pytest.fixture
def proxied(template_database: str, tmp_path: Path) -> Iterator[tuple[LiveServer, TcpProxy]]:
    urls = fresh_database_url(template_database, tmp_path)
    url = next(urls)
    host, port = re.search(r"@([^:/]+):(\d+)/", url).groups()  # type: ignore[union-attr]
    with TcpProxy(host, int(port)) as proxy:
        through_proxy = url.replace(f"@{host}:{port}/", f"@127.0.0.1:{proxy.port}/")
        server = LiveServer(through_proxy, tmp_path, database_timeout_seconds="2").start()
        try:
            yield server, proxy
        finally:
            server.stop(kill=True)
    next(urls, None)


def get(server: LiveServer, path: str) -> httpx.Response:
    return httpx.get(server.url + path, timeout=ANSWER_TIMEOUT)


def until_ready(server: LiveServer) -> httpx.Response:
    """``/readyz`` polled as an orchestrator polls it: a probe arriving while a check begun during the outage still
    runs shares that check's failure (its pre-ping and reconnect outlast the read timeout), so readiness returns
    within the database timeouts after recovery, not on the first probe."""
    deadline = time.monotonic() + ANSWER_TIMEOUT
    while (response := get(server, "/readyz")).status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    return response


def describe_key(server: LiveServer, key_id: str) -> httpx.Response:
    headers = {"X-Amz-Target": "TrentService.DescribeKey", "Content-Type": CONTENT_TYPE}
    body = json.dumps({"KeyId": key_id}).encode()
    return httpx.post(server.url + "/", content=body, headers=headers, timeout=ANSWER_TIMEOUT)


@pytest.mark.parametrize("mode", ["stall", "refuse"])
def test_reads_during_an_outage_are_503_service_unavailable(proxied: tuple[LiveServer, TcpProxy], mode: Mode) -> None:
    server, proxy = proxied
    zone_id = server.client("route53").create_hosted_zone(Name="outage.example", CallerReference="outage")[
        "HostedZone"
    ]["Id"]
    key_id = server.client("kms").create_key()["KeyMetadata"]["KeyId"]

    proxy.set_mode(mode)
    readiness = get(server, "/readyz")
    zone = get(server, f"/2013-04-01{zone_id}")
    zones = get(server, "/2013-04-01/hostedzone")
    key = describe_key(server, key_id)
    liveness = get(server, "/healthz")

    assert (readiness.status_code, readiness.text) == (503, "not ready")
    for response in (zone, zones):
        assert_error(response, 503, "ServiceUnavailable", UNAVAILABLE)
        assert response.headers["retry-after"] == "1"
    assert (key.status_code, key.json()) == (503, {"__type": "ServiceUnavailable", "message": UNAVAILABLE})
    assert key.headers["retry-after"] == "1"
    assert (liveness.status_code, liveness.text) == (200, "ok")

    proxy.set_mode("forward")
    assert until_ready(server).status_code == 200
    assert get(server, f"/2013-04-01{zone_id}").status_code == 200
    assert describe_key(server, key_id).status_code == 200
    assert "Traceback" not in server.log_path.read_text()


def test_sigterm_during_a_stall_ends_the_process(proxied: tuple[LiveServer, TcpProxy]) -> None:
    server, proxy = proxied
    assert get(server, "/2013-04-01/hostedzone").status_code == 200
    proxy.set_mode("stall")
    assert get(server, "/readyz").status_code == 503

    assert server.process is not None
    server.process.terminate()
    status = server.process.wait(timeout=ANSWER_TIMEOUT)  # the shutdown timeout is 10 s

    assert status in (0, -signal.SIGTERM)
    assert "Traceback" not in server.log_path.read_text()
