"""The admin API in process: health fields, the bearer token, reset of one account or all, the reset fence
on every write path (zone writer, KMS, health checks), and import's refusals."""

import asyncio
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

import app.db.fence
from app.config import Settings
from app.main import create_app
from app.migrations import head_revision
from tests.wire import create_zone_body

TOKEN = "admin-s3cret"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
HEALTH_CHECK = (
    '<CreateHealthCheckRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><CallerReference>{ref}'
    "</CallerReference><HealthCheckConfig><IPAddress>8.8.8.8</IPAddress><Port>80</Port><Type>TCP</Type>"
    "</HealthCheckConfig></CreateHealthCheckRequest>"
)


def as_account(account: str, service: str = "route53") -> dict[str, str]:
    """An Authorization header naming a 12-digit access key (the account, without signature checks)."""
    credential = f"{account}/20261202/us-east-1/{service}/aws4_request"
    return {"Authorization": f"AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders=host, Signature=00"}


@pytest.fixture
async def admin_app(database_url: str, tmp_path: Path) -> AsyncIterator[FastAPI]:
    application = create_app(Settings(database_url=database_url, admin_token=TOKEN))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def http(admin_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=admin_app)
    async with httpx.AsyncClient(transport=transport, base_url="https://route53.amazonaws.com") as client:
        yield client


async def create_zone(http: httpx.AsyncClient, account: str, name: str) -> httpx.Response:
    body = create_zone_body(name, f"{account}-{name}")
    return await http.post("/2013-04-01/hostedzone", content=body, headers=as_account(account))


async def zone_names(http: httpx.AsyncClient, account: str) -> list[str]:
    response = await http.get("/2013-04-01/hostedzone", headers=as_account(account))
    assert response.status_code == 200, response.text
    return re.findall(r"<Name>([^<]+)</Name>", response.text)


async def kms(http: httpx.AsyncClient, account: str, operation: str, body: dict[str, Any]) -> httpx.Response:
    headers = {**as_account(account, "kms"), "X-Amz-Target": f"TrentService.{operation}"}
    return await http.post("/", content=json.dumps(body), headers=headers)


async def test_health_answers_version_store_uptime_and_schema(http: httpx.AsyncClient) -> None:
    response = await http.get("/_route53/health", headers=ADMIN)
    assert response.status_code == 200
    health = response.json()
    assert health["status"] == "ok"
    assert health["store"] in ("sqlite", "postgresql")
    assert health["schema_revision"] == health["schema_head"] == head_revision()
    assert health["uptime_seconds"] >= 0
    assert re.fullmatch(r"\d+\.\d+\.\d+.*|unknown", health["version"])


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", f"Basic {TOKEN}", TOKEN, f"Bearer {TOKEN}x"])
async def test_the_token_is_required(http: httpx.AsyncClient, authorization: str | None) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    assert (await create_zone(http, "111111111111", "kept.example")).status_code == 201
    for method, path in [("GET", "/_route53/health"), ("POST", "/_route53/reset"), ("GET", "/_route53/export")]:
        response = await http.request(method, path, headers=headers)
        assert response.status_code == 401, path
        assert response.json() == {
            "error": "Unauthorized",
            "message": "The admin API needs Authorization: Bearer <R53_ADMIN_TOKEN>.",
        }
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert await zone_names(http, "111111111111") == ["kept.example."]


async def test_reset_of_one_account_leaves_the_others(http: httpx.AsyncClient) -> None:
    for account in ("111111111111", "222222222222"):
        assert (await create_zone(http, account, f"z{account[0]}.example")).status_code == 201
        check = HEALTH_CHECK.format(ref=f"hc-{account}")
        assert (
            await http.post("/2013-04-01/healthcheck", content=check, headers=as_account(account))
        ).status_code == 201
        created = await kms(http, account, "CreateKey", {"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"})
        key_id = created.json()["KeyMetadata"]["KeyId"]
        alias = await kms(http, account, "CreateAlias", {"AliasName": "alias/team", "TargetKeyId": key_id})
        assert alias.status_code == 200, alias.text
    response = await http.post("/_route53/reset", params={"account": "111111111111"}, headers=ADMIN)
    assert response.status_code == 200
    deleted = response.json()
    assert deleted["reset"] == "111111111111"
    assert {name: count for name, count in deleted["deleted"].items() if count} == {
        "hosted_zone": 1,
        "resource_record_set": 2,
        "change": 1,
        "health_check": 1,
        "health_check_caller_reference": 1,
        "kms_key": 1,
        "kms_alias": 1,
    }
    assert await zone_names(http, "111111111111") == []
    assert await zone_names(http, "222222222222") == ["z2.example."]
    assert (await kms(http, "111111111111", "ListAliases", {})).json()["Aliases"] == []
    assert [a["AliasName"] for a in (await kms(http, "222222222222", "ListAliases", {})).json()["Aliases"]] == [
        "alias/team"
    ]
    checks = await http.get("/2013-04-01/healthcheck", headers=as_account("222222222222"))
    assert checks.text.count("<HealthCheck>") == 1
    everything = await http.post("/_route53/reset", headers=ADMIN)
    assert everything.json()["reset"] == "all"
    assert await zone_names(http, "222222222222") == []


async def test_bad_account_is_400(http: httpx.AsyncClient) -> None:
    response = await http.post("/_route53/reset", params={"account": "12"}, headers=ADMIN)
    assert (response.status_code, response.json()["error"]) == (400, "InvalidRequest")
    assert (await http.get("/_route53/export", headers=ADMIN)).status_code == 400


async def test_writes_of_requests_that_arrived_before_a_reset_are_refused(
    http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A request whose arrival predates the reset (its clock set back 10 s) writes nothing, on every path."""
    assert (await http.post("/_route53/reset", headers=ADMIN)).status_code == 200
    real_now = app.db.fence.now_us
    monkeypatch.setattr(app.db.fence, "now_us", lambda: real_now() - 10_000_000)
    message = "The service was reset while this request was in flight. Retry the request."
    zone = await create_zone(http, "111111111111", "late.example")
    assert (zone.status_code, zone.headers["retry-after"]) == (503, "1")
    assert f"<Code>ServiceUnavailable</Code><Message>{message}</Message>" in zone.text
    check = await http.post(
        "/2013-04-01/healthcheck", content=HEALTH_CHECK.format(ref="late"), headers=as_account("111111111111")
    )
    assert check.status_code == 503 and message in check.text
    key = await kms(http, "111111111111", "CreateKey", {"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY"})
    assert (key.status_code, key.json()) == (503, {"__type": "ServiceUnavailable", "message": message})
    monkeypatch.setattr(app.db.fence, "now_us", real_now)
    assert await zone_names(http, "111111111111") == []
    assert (await kms(http, "111111111111", "ListKeys", {})).json()["Keys"] == []
    assert (await create_zone(http, "111111111111", "late.example")).status_code == 201


async def test_import_refusals(http: httpx.AsyncClient) -> None:
    assert (await create_zone(http, "111111111111", "a.example")).status_code == 201
    exported = (await http.get("/_route53/export", params={"account": "111111111111"}, headers=ADMIN)).json()
    conflict = await http.post("/_route53/import", json=exported, headers=ADMIN)
    assert (conflict.status_code, conflict.json()["message"]) == (
        409,
        "account 111111111111 already has state; reset it first, or import with replace=true",
    )
    replaced = await http.post("/_route53/import", params={"replace": "true"}, json=exported, headers=ADMIN)
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["imported"]["hosted_zone"] == 1
    assert await zone_names(http, "111111111111") == ["a.example."]
    other = {**exported, "account": "222222222222"}
    stolen = await http.post("/_route53/import", json=other, headers=ADMIN)
    assert (stolen.status_code, stolen.json()["message"]) == (
        400,
        "tables.hosted_zone holds a row that is not account 222222222222's",
    )
    for bad, status in [({"format": "x"}, 400), ({**exported, "schema": "old"}, 400)]:
        assert (await http.post("/_route53/import", json=bad, headers=ADMIN)).status_code == status
    assert (await http.post("/_route53/import", content=b"{", headers=ADMIN)).status_code == 400
    assert await zone_names(http, "222222222222") == []


async def test_a_write_in_flight_during_a_reset_never_lands(
    http: httpx.AsyncClient, admin_app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A CreateHostedZone whose batch is held back until a reset has committed is refused (503), and the
    account stays empty; the next create after the reset lands."""
    writer = admin_app.state.writer
    held, release = asyncio.Event(), asyncio.Event()
    commit = writer._commit_batch

    async def held_back(batch: Any) -> None:
        held.set()
        await release.wait()
        await commit(batch)

    monkeypatch.setattr(writer, "_commit_batch", held_back)
    in_flight = asyncio.create_task(create_zone(http, "111111111111", "in-flight.example"))
    await asyncio.wait_for(held.wait(), 5)
    assert (await http.post("/_route53/reset", params={"account": "111111111111"}, headers=ADMIN)).status_code == 200
    release.set()
    response = await in_flight
    assert response.status_code == 503, response.text
    assert await zone_names(http, "111111111111") == []
    monkeypatch.setattr(writer, "_commit_batch", commit)
    assert (await create_zone(http, "111111111111", "after.example")).status_code == 201


async def test_import_of_wrongly_typed_values_is_400_and_writes_nothing(http: httpx.AsyncClient) -> None:
    assert (await create_zone(http, "111111111111", "typed.example")).status_code == 201
    exported = (await http.get("/_route53/export", params={"account": "111111111111"}, headers=ADMIN)).json()
    assert (await http.post("/_route53/reset", headers=ADMIN)).status_code == 200
    for table, column, value in [("hosted_zone", "revision", "many"), ("change", "submitted_at", "yesterday"),
                                 ("resource_record_set", "document", {"not": "text"})]:  # fmt: skip
        broken = json.loads(json.dumps(exported))
        broken["tables"][table][0][column] = value
        response = await http.post("/_route53/import", json=broken, headers=ADMIN)
        assert response.status_code == 400, (table, response.text)
    assert await zone_names(http, "111111111111") == []
