"""Each request is labelled once for the access log and the metrics: service, operation (the route's name,
or the X-Amz-Target operation), HTTP status and error code; health probes go to DEBUG uncounted."""

import logging
from typing import Any

import httpx
import pytest

from app.metrics import REGISTRY
from tests.wire import create_zone_body


def access_records(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    return [{**record.args, "level": record.levelname} for record in caplog.records if record.name == "app.access"]


def fields(record: dict[str, Any]) -> tuple[Any, ...]:
    return (record["level"], record["service"], record["operation"], record["status"], record["error"])


def counted(service: str, operation: str, code: int) -> float:
    labels = {"service": service, "operation": operation, "code": str(code)}
    return REGISTRY.get_sample_value("route53_requests_total", labels) or 0.0


CASES = [
    ("POST", "/2013-04-01/hostedzone", {}, create_zone_body("log.example", "r1"), ("INFO", "route53", "CreateHostedZone", 201, None)),
    ("GET", "/2013-04-01/hostedzone/ZNONE", {}, b"", ("INFO", "route53", "GetHostedZone", 404, "NoSuchHostedZone")),
    ("POST", "/2013-04-01/hostedzone", {}, b"<oops", ("INFO", "route53", "CreateHostedZone", 400, "InvalidInput")),
    ("GET", "/2013-04-01/nothing", {}, b"", ("INFO", "route53", "unknown", 404, "InvalidInput")),
    ("POST", "/2013-04-01/trafficpolicy", {}, b"", ("INFO", "route53", "CreateTrafficPolicy", 501, "NotImplemented")),
    ("POST", "/", {"X-Amz-Target": "TrentService.ListKeys"}, b"{}", ("INFO", "kms", "ListKeys", 200, None)),
    ("POST", "/", {"X-Amz-Target": "TrentService.Sign"}, b"[", ("INFO", "kms", "Sign", 400, "SerializationException")),
    ("POST", "/", {"X-Amz-Target": "TrentService.CreateCustomKeyStore"}, b"{}", ("INFO", "kms", "CreateCustomKeyStore", 501, "NotImplemented")),
    ("POST", "/", {"X-Amz-Target": "Other.Sign"}, b"{}", ("INFO", "kms", "unknown", 400, "UnknownOperationException")),
    ("GET", "/healthz", {}, b"", ("DEBUG", None, "/healthz", 200, None)),
    ("GET", "/metrics", {}, b"", ("DEBUG", None, "/metrics", 200, None)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "headers", "body", "expected"), CASES, ids=[c[4][2] + str(c[4][3]) for c in CASES]
)
async def test_each_request_is_one_labelled_record(
    client: Any,
    caplog: pytest.LogCaptureFixture,
    method: str,
    path: str,
    headers: dict[str, str],
    body: Any,
    expected: tuple[Any, ...],
) -> None:
    _, service, operation, status, _ = expected
    before = counted(service, operation, status) if service else None
    with caplog.at_level(logging.DEBUG, logger="app.access"):
        response = await client.request(method, path, headers=headers, content=body)
    assert response.status_code == status
    (record,) = access_records(caplog)
    assert fields(record) == expected
    assert record["request_id"] == response.headers["x-amzn-requestid"]
    assert record["account"] == "123456789012"
    assert record["duration_ms"] > 0
    if service:
        assert counted(service, operation, status) == before + 1


async def test_the_account_comes_from_the_request_state(app: Any, caplog: pytest.LogCaptureFixture) -> None:
    """The account something earlier in the request set (the accounts feature will); else R53_ACCOUNT_ID."""

    async def with_account(scope: Any, receive: Any, send: Any) -> None:
        scope["state"] = {"account": "210987654321"}
        await app(scope, receive, send)

    transport = httpx.ASGITransport(app=with_account)
    async with httpx.AsyncClient(transport=transport, base_url="https://route53.amazonaws.com") as http:
        with caplog.at_level(logging.INFO, logger="app.access"):
            await http.get("/2013-04-01/hostedzonecount")
    (record,) = access_records(caplog)
    assert (record["account"], record["operation"]) == ("210987654321", "GetHostedZoneCount")


async def test_an_unexpected_fault_is_logged_as_internal_failure(
    app: Any, client: Any, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken() -> int:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(app.state.hosted_zones, "count", broken)
    with caplog.at_level(logging.INFO, logger="app.access"):
        response = await client.get("/2013-04-01/hostedzonecount")
    assert response.status_code == 500
    (record,) = access_records(caplog)
    assert fields(record) == ("INFO", "route53", "GetHostedZoneCount", 500, "InternalFailure")
