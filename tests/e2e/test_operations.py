"""Operating the real server: request log lines and Prometheus metrics after known traffic (one worker and
two), the start-up line, one-line failures for bad settings, unimplemented operations through boto3, and
the command line's ``--version`` and ``--help``."""

import json
import os
import re
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import POSTGRES_URL, ROOT, LiveServer, free_port, fresh_database_url
from tests.e2e.helpers import error_of
from tests.kms_keys import DNSSEC_POLICY

TEXT_ACCESS_LINE = re.compile(
    r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO app\.access: request request_id=(?P<request_id>[0-9a-f-]{36}) "
    r"account=(?P<account>\d{12}) service=(?P<service>\w+) operation=(?P<operation>\w+) status=(?P<status>\d{3}) "
    r"error=(?P<error>[\w-]+) duration_ms=(?P<duration_ms>\d+\.\d+)"
)
# The traffic of ``known_traffic``: (service, operation, HTTP status, error code) -> requests.
EXPECTED_REQUESTS = {
    ("route53", "CreateHostedZone", 201, None): 3,
    ("route53", "GetHostedZone", 200, None): 4,
    ("route53", "GetHostedZone", 404, "NoSuchHostedZone"): 2,
    ("kms", "CreateKey", 200, None): 2,
    ("route53", "CreateKeySigningKey", 201, None): 2,
    ("route53", "EnableHostedZoneDNSSEC", 200, None): 1,
    ("route53", "CreateTrafficPolicy", 501, "NotImplemented"): 1,
    ("kms", "CreateCustomKeyStore", 501, "NotImplemented"): 1,
    ("kms", "unknown", 400, "UnknownOperationException"): 1,
    ("route53", "unknown", 404, "InvalidInput"): 1,
}
WRITES = 6  # CreateHostedZone x3, CreateKeySigningKey x2, EnableHostedZoneDNSSEC: one zone-writer batch each


def default_client(server: LiveServer, service: str) -> Any:
    """A client with botocore's default retries: a 501 must be answered once, never retried."""
    return boto3.client(
        service,
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


def known_traffic(server: LiveServer) -> None:
    """Sequential requests, so every write is a batch of its own; see EXPECTED_REQUESTS."""
    route53, kms = default_client(server, "route53"), default_client(server, "kms")
    zones = [
        route53.create_hosted_zone(Name=f"z{n}.ops.example", CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]
        for n in range(3)
    ]
    for zone in (*zones, zones[0]):
        route53.get_hosted_zone(Id=zone)
    for _ in range(2):
        assert error_of(route53.get_hosted_zone, Id="ZMISSING")[0] == "NoSuchHostedZone"
    arns = [
        kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY", Policy=DNSSEC_POLICY)["KeyMetadata"]["Arn"]
        for _ in range(2)
    ]
    for zone, arn, status in ((zones[0], arns[0], "ACTIVE"), (zones[1], arns[1], "INACTIVE")):
        route53.create_key_signing_key(
            CallerReference=uuid.uuid4().hex, HostedZoneId=zone, KeyManagementServiceArn=arn, Name="ksk", Status=status
        )
    route53.enable_hosted_zone_dnssec(HostedZoneId=zones[0])
    assert error_of(route53.create_traffic_policy, Name="p", Document="{}")[:2] == ("NotImplemented", 501)
    assert error_of(kms.create_custom_key_store, CustomKeyStoreName="s")[:2] == ("NotImplemented", 501)
    unknown = httpx.post(server.url, headers={"X-Amz-Target": "TrentService.Nothing"}, content=b"{}")
    assert unknown.status_code == 400
    assert httpx.get(f"{server.url}/2013-04-01/nothing").status_code == 404
    assert httpx.get(f"{server.url}/healthz").status_code == 200  # logged at DEBUG only, not counted


@pytest.fixture
def server_factory(template_database: str, tmp_path: Path) -> Iterator[Any]:
    """Start servers on fresh databases; every one is stopped at the end."""
    started: list[tuple[LiveServer, Iterator[str]]] = []

    def start(workers: int = 1, **settings: str) -> LiveServer:
        folder = tmp_path / f"server{len(started)}"
        folder.mkdir()
        urls = fresh_database_url(template_database, folder)
        server = LiveServer(next(urls), folder, workers, **settings)
        started.append((server, urls))
        return server.start()

    yield start
    for server, urls in started:
        server.stop()
        next(urls, None)


def log_lines(server: LiveServer) -> list[str]:
    return (server.folder / f"server-{server.port}.log").read_text().splitlines()


def request_counts(records: list[dict[str, Any]]) -> Counter[tuple[str, str, int, str | None]]:
    return Counter((r["service"], r["operation"], int(r["status"]), r["error"]) for r in records)


def scrape(server: LiveServer) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of ``GET /metrics``, by name and sorted labels."""
    response = httpx.get(f"{server.url}/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def spread_over_workers(server: LiveServer, folder: Path, workers: int) -> int:
    """GetHostedZoneCount on fresh connections until every worker has counted a request (each writes its own
    ``counter_<pid>.db``); how many were sent."""
    for sent in range(1, 201):
        assert httpx.get(f"{server.url}/2013-04-01/hostedzonecount").status_code == 200
        if len(list(folder.glob("counter_*.db"))) == workers:
            return sent
    raise AssertionError(f"not every one of {workers} workers answered")


@pytest.mark.parametrize("workers", [1, 2])
def test_metrics_count_known_traffic_exactly(
    server_factory: Any, workers: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_1.db").write_bytes(b"left by an earlier run")
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(folder))
    server = server_factory(workers)
    assert not (folder / "counter_1.db").exists()  # wiped at start
    known_traffic(server)
    counts = spread_over_workers(server, folder, workers)
    samples = scrape(server)

    requests = {
        (dict(labels)["service"], dict(labels)["operation"], int(dict(labels)["code"])): value
        for (name, labels), value in samples.items()
        if name == "route53_requests_total"
    }
    expected = {(service, operation, status): n for (service, operation, status, _), n in EXPECTED_REQUESTS.items()}
    expected[("route53", "GetHostedZoneCount", 200)] = counts
    assert requests == expected
    latencies = {
        (dict(labels)["service"], dict(labels)["operation"]): value
        for (name, labels), value in samples.items()
        if name == "route53_request_duration_seconds_count"
    }
    per_operation: Counter[tuple[str, str]] = Counter()
    for (service, operation, _), n in expected.items():
        per_operation[(service, operation)] += n
    assert latencies == per_operation
    assert (
        samples[
            (
                "route53_request_duration_seconds_bucket",
                (("le", "+Inf"), ("operation", "GetHostedZone"), ("service", "route53")),
            )
        ]
        == 6
    )
    assert samples[("route53_writer_batch_size_count", ())] == WRITES
    assert samples[("route53_writer_batch_size_sum", ())] == WRITES
    assert samples[("route53_writer_batch_size_bucket", (("le", "1.0"),))] == WRITES
    assert samples[("route53_writer_batch_duration_seconds_count", ())] == WRITES
    assert samples[("route53_hosted_zones", ())] == 3
    assert samples[("route53_hosted_zones_by_signing_status", (("status", "SIGNING"),))] == 1
    assert samples[("route53_hosted_zones_by_signing_status", (("status", "NOT_SIGNING"),))] == 2
    assert samples[("route53_key_signing_keys", (("status", "ACTIVE"),))] == 1
    assert samples[("route53_key_signing_keys", (("status", "INACTIVE"),))] == 1
    for _ in range(3):  # answered by any worker, on fresh connections: the same sums
        assert scrape(server) == samples  # scrapes and health probes are not counted themselves


@pytest.mark.parametrize("workers", [1, 2])
def test_one_text_log_line_per_request(server_factory: Any, workers: int) -> None:
    server = server_factory(workers)
    known_traffic(server)

    records = [match.groupdict() for line in log_lines(server) if (match := TEXT_ACCESS_LINE.fullmatch(line))]
    for record in records:
        record["error"] = None if record["error"] == "-" else record["error"]
    assert request_counts(records) == EXPECTED_REQUESTS
    assert {record["account"] for record in records} == {"123456789012"}
    assert len({record["request_id"] for record in records}) == len(records)
    assert sum("app.access" in line for line in log_lines(server)) == len(records)  # no line of another shape


def test_json_log_lines_and_the_account(server_factory: Any) -> None:
    server = server_factory(2, log_format="json", account_id="111122223333")
    known_traffic(server)

    documents = [json.loads(line) for line in log_lines(server)]  # every line is one JSON object
    records = [doc for doc in documents if doc["logger"] == "app.access"]
    assert request_counts(records) == EXPECTED_REQUESTS
    first = records[0]
    assert set(first) == {
        "time", "level", "logger", "message", "request_id", "account", "service", "operation", "status", "error",
        "duration_ms",
    }  # fmt: skip
    assert (first["level"], first["message"], first["account"]) == ("INFO", "request", "111122223333")
    assert isinstance(first["duration_ms"], float) and first["duration_ms"] > 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", first["time"])
    (start,) = [doc for doc in documents if doc["message"] == "starting"]
    assert start["version"] == "0.1.0"
    assert (start["http"], start["dns"], start["workers"]) == (server.url, None, 2)


def test_the_start_line_names_version_store_file_and_address(server_factory: Any) -> None:
    server = server_factory()
    (line,) = [line for line in log_lines(server) if " INFO app: starting " in line]
    if POSTGRES_URL:
        store, sqlite_path = server.database_url, "-"
    else:
        store, sqlite_path = server.database_url, str(Path(server.database_url.split(":///", 1)[1]).resolve())
    assert line.split(" INFO app: ", 1)[1] == (
        f"starting version=0.1.0 store={store} sqlite_path={sqlite_path} http={server.url} dns=- workers=1"
    )


def run_cli(*args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("R53_")}
    env.update({f"R53_{key.upper()}": value for key, value in settings.items()})
    return subprocess.run(
        [sys.executable, "-m", "app", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


URL_FORMS = "sqlite+aiosqlite:///<path> or postgresql+asyncpg://<user>@<host>:<port>/<database>"
REFUSED_PORT = free_port()
BAD_SETTINGS = {
    "unknown scheme": (
        {"database_url": "mysql://user:secret@db/r53"},
        f"R53_DATABASE_URL: unknown scheme 'mysql'; use {URL_FORMS}",
    ),
    "no port number": (
        {"database_url": "postgresql://user@db:five/r53"},
        f"R53_DATABASE_URL: not a database URL (invalid literal for int() with base 10: 'five'); use {URL_FORMS}",
    ),
    "unreachable postgresql": (
        {"database_url": f"postgresql://postgres:secret@127.0.0.1:{REFUSED_PORT}/r53"},
        f"R53_DATABASE_URL: cannot open the database postgresql+asyncpg://postgres:***@127.0.0.1:{REFUSED_PORT}/r53: "
        f"[Errno 111] Connect call failed ('127.0.0.1', {REFUSED_PORT})",
    ),
    "integer": (
        {"lock_timeout_ms": "soon"},
        "R53_LOCK_TIMEOUT_MS='soon': Input should be a valid integer, unable to parse string as an integer",
    ),
    "number": (
        {"change_propagation_seconds": "1s"},
        "R53_CHANGE_PROPAGATION_SECONDS='1s': Input should be a valid number, unable to parse string as a number",
    ),
    "share": (
        {"fault_concurrent_modification_rate": "2"},
        "R53_FAULT_CONCURRENT_MODIFICATION_RATE='2': must be between 0 and 1",
    ),
    "log format": ({"log_format": "xml"}, "R53_LOG_FORMAT='xml': Input should be 'text' or 'json'"),
}


@pytest.mark.parametrize("case", BAD_SETTINGS, ids=list(BAD_SETTINGS))
@pytest.mark.parametrize("command", ["serve", "migrate"])
def test_a_bad_setting_is_one_line_and_exit_status_2(case: str, command: str, tmp_path: Path) -> None:
    settings, message = BAD_SETTINGS[case]
    port = ("--port", str(free_port())) if command == "serve" else ()
    result = run_cli(command, *port, **{"database_url": f"sqlite+aiosqlite:///{tmp_path}/r.db", **settings})
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr.splitlines() == [f"route53-dnssec: error: {message}"]
    assert not (tmp_path / "r.db").exists()


def test_an_unimplemented_operation_names_itself(route53: Any, kms: Any) -> None:
    assert error_of(route53.get_hosted_zone_limit, Type="MAX_RRSETS_BY_ZONE", HostedZoneId="Z1") == (
        "NotImplemented",
        501,
        "GetHostedZoneLimit is not implemented by this service.",
    )
    assert error_of(route53.create_traffic_policy, Name="p", Document="{}") == (
        "NotImplemented",
        501,
        "CreateTrafficPolicy is not implemented by this service.",
    )
    assert error_of(kms.create_custom_key_store, CustomKeyStoreName="store") == (
        "NotImplemented",
        501,
        "CreateCustomKeyStore is not implemented by this service.",
    )


def test_version_and_help() -> None:
    version = run_cli("--version")
    assert (version.returncode, version.stdout) == (0, "route53-dnssec 0.1.0\n")
    help_text = " ".join(run_cli("serve", "--help").stdout.split())
    for option, default in (("--host", "127.0.0.1"), ("--port", "8053"), ("--workers", "1"), ("--log-level", "info")):
        assert re.search(rf"{option} \S+ .*?\(default: {re.escape(default)}\)", help_text), option
    assert "{critical,error,warning,info,debug}" in help_text
