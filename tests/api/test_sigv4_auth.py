"""``R53_AUTH=sigv4`` in process: botocore-signed requests pass; each failure answers the exact AWS code,
status and body per protocol (raw bytes); a rejected request writes nothing and is logged with its code."""

import json
import logging
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import httpx
import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from fastapi import FastAPI

from app.config import Settings
from app.main import create_app
from tests.api.test_request_log import access_records, counted, fields
from tests.wire import create_zone_body

BASE = "https://route53.amazonaws.com"
CREDENTIALS_FILE = """\
# access key, secret, account [, session token [, expiry]]
AKIAALICE alice-secret 111111111111
AKIABOB bob-secret 222222222222
ASIATEMP temp-secret 333333333333 good-token 2099-01-01T00:00:00Z
ASIAOLD old-secret 333333333333 old-token 2020-01-01T00:00:00Z
"""
XML_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<ErrorResponse xmlns="https://route53.amazonaws.com/doc/2013-04-01/">'
)
WRONG = (
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
    "Access Key and signing method. Consult the service documentation for details."
)


@pytest.fixture
async def signed_app(database_url: str, tmp_path: Path) -> AsyncIterator[FastAPI]:
    path = tmp_path / "credentials"
    path.write_text(CREDENTIALS_FILE)
    application = create_app(Settings(database_url=database_url, auth="sigv4", credentials_file=path))
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def http(signed_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=signed_app), base_url=BASE) as client:
        yield client


def signed_headers(
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    service: str = "route53",
    key: tuple[str, str] = ("AKIAALICE", "alice-secret"),
    token: str | None = None,
    at: datetime | None = None,
) -> dict[str, str]:
    """Headers botocore's SigV4Auth gives the request (signed at ``at``, default now)."""
    request = AWSRequest(method=method, url=BASE + path, data=body, headers=headers or {})
    moment = (at or datetime.now(UTC)).replace(tzinfo=None)
    with mock.patch("botocore.auth.get_current_datetime", return_value=moment):
        SigV4Auth(Credentials(key[0], key[1], token), service, "us-east-1").add_auth(request)
    return dict(request.headers.items())


def kms_headers(operation: str, body: bytes, **signing: Any) -> dict[str, str]:
    target = {"X-Amz-Target": f"TrentService.{operation}", "Content-Type": "application/x-amz-json-1.1"}
    return signed_headers("POST", "/", body, target, service="kms", **signing)


async def route53_error(response: httpx.Response, code: str, message: str) -> None:
    rid = response.headers["x-amzn-RequestId"]
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/xml")
    assert response.content.decode() == (
        f"{XML_HEAD}<Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
        f"<RequestId>{rid}</RequestId></ErrorResponse>"
    )


def kms_error(response: httpx.Response, code: str, message: str) -> None:
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/x-amz-json-1.1"
    assert response.headers["x-amzn-RequestId"]
    assert json.loads(response.content) == {"__type": code, "message": message}


async def list_zones(http: httpx.AsyncClient, key: tuple[str, str] = ("AKIAALICE", "alice-secret")) -> list[str]:
    path = "/2013-04-01/hostedzone"
    response = await http.get(path, headers=signed_headers("GET", path, key=key))
    assert response.status_code == 200, response.text
    return re.findall(r"<Name>([^<]+)</Name>", response.text)


async def test_signed_requests_pass_and_act_for_their_account(
    http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    body = create_zone_body("alice.example", "ref-1")
    path = "/2013-04-01/hostedzone"
    with caplog.at_level(logging.INFO, logger="app.access"):
        response = await http.post(path, content=body, headers=signed_headers("POST", path, body))
        assert response.status_code == 201, response.text
        assert await list_zones(http) == ["alice.example."]
        kms_body = b'{"KeySpec":"ECC_NIST_P256","KeyUsage":"SIGN_VERIFY"}'
        response = await http.post("/", content=kms_body, headers=kms_headers("CreateKey", kms_body))
        assert response.status_code == 200, response.text
        assert ":111111111111:key/" in response.json()["KeyMetadata"]["Arn"]
        assert await list_zones(http, key=("AKIABOB", "bob-secret")) == []
        temporary = signed_headers("GET", path, key=("ASIATEMP", "temp-secret"), token="good-token")
        assert (await http.get(path, headers=temporary)).status_code == 200
    accounts = [record["account"] for record in access_records(caplog)]
    assert accounts == ["111111111111", "111111111111", "111111111111", "222222222222", "333333333333"]


ROUTE53_CASES = {
    "no Authorization": ({"drop": "Authorization"}, "MissingAuthenticationToken", "Request is missing Authentication Token"),
    "unknown key": ({"key": ("AKIAEVE", "eve-secret")}, "InvalidClientTokenId", "The security token included in the request is invalid."),
    "wrong secret": ({"key": ("AKIAALICE", "guess")}, "SignatureDoesNotMatch", WRONG),
    "unknown session token": ({"key": ("ASIATEMP", "temp-secret"), "token": "other"}, "InvalidClientTokenId", "The security token included in the request is invalid."),
    "expired session token": ({"key": ("ASIAOLD", "old-secret"), "token": "old-token"}, "ExpiredToken", "The security token included in the request is expired"),
    "body changed after signing": ({"body": create_zone_body("mallory.example", "ref-1")}, "SignatureDoesNotMatch", WRONG),
}  # fmt: skip


@pytest.mark.parametrize("case", ROUTE53_CASES, ids=list(ROUTE53_CASES))
async def test_route53_failures_are_403_xml_and_write_nothing(
    http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture, case: str
) -> None:
    change, code, message = ROUTE53_CASES[case]
    body = create_zone_body("alice.example", "ref-1")
    path = "/2013-04-01/hostedzone"
    headers = signed_headers(
        "POST", path, body, key=change.get("key", ("AKIAALICE", "alice-secret")), token=change.get("token")
    )
    headers.pop(change.get("drop", ""), None)
    before = counted("route53", "CreateHostedZone", 403)
    with caplog.at_level(logging.INFO, logger="app.access"):
        response = await http.post(path, content=change.get("body", body), headers=headers)
    await route53_error(response, code, message)
    assert fields(access_records(caplog)[-1]) == ("INFO", "route53", "CreateHostedZone", 403, code)
    assert counted("route53", "CreateHostedZone", 403) == before + 1
    assert await list_zones(http) == []


async def test_route53_malformed_header_and_clock_skew(http: httpx.AsyncClient) -> None:
    path = "/2013-04-01/hostedzone"
    raw = "AWS4-HMAC-SHA256 Credential=AKIAALICE/20261202/us-east-1/route53/aws4_request"
    response = await http.get(path, headers={"Authorization": raw, "X-Amz-Date": "20261202T000000Z"})
    await route53_error(
        response,
        "IncompleteSignature",
        "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' "
        f"parameter. Authorization={raw}",
    )
    signed_at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    response = await http.get(path, headers=signed_headers("GET", path, at=signed_at))
    message = re.search(r"<Message>([^<]*)</Message>", response.text)
    assert message is not None
    await route53_error(response, "SignatureDoesNotMatch", message[1])
    now = re.fullmatch(
        r"Signature expired: (\d{8}T\d{6}Z) is now earlier than (\d{8}T\d{6}Z) \((\d{8}T\d{6}Z) - 5 min\.\)",
        message[1],
    )
    assert now is not None
    stamp = "%Y%m%dT%H%M%SZ"
    assert now[1] == signed_at.strftime(stamp)
    server_now = datetime.strptime(now[3], stamp).replace(tzinfo=UTC)
    assert abs(server_now - datetime.now(UTC)) < timedelta(seconds=5)
    assert datetime.strptime(now[2], stamp).replace(tzinfo=UTC) == server_now - timedelta(minutes=5)


KMS_CASES = {
    "no Authorization": ({"drop": "Authorization"}, "MissingAuthenticationTokenException", "Request is missing Authentication Token"),
    "unknown key": ({"key": ("AKIAEVE", "eve-secret")}, "UnrecognizedClientException", "The security token included in the request is invalid."),
    "wrong secret": ({"key": ("AKIAALICE", "guess")}, "InvalidSignatureException", WRONG),
    "expired session token": ({"key": ("ASIAOLD", "old-secret"), "token": "old-token"}, "ExpiredTokenException", "The security token included in the request is expired"),
    "body changed after signing": ({"body": b'{"KeySpec":"RSA_2048","KeyUsage":"SIGN_VERIFY"}'}, "InvalidSignatureException", WRONG),
    "clock 30 minutes ahead": ({"at": 30}, "InvalidSignatureException", None),
}  # fmt: skip


@pytest.mark.parametrize("case", KMS_CASES, ids=list(KMS_CASES))
async def test_kms_failures_are_400_json_and_write_nothing(http: httpx.AsyncClient, case: str) -> None:
    change, code, message = KMS_CASES[case]
    body = b'{"KeySpec":"ECC_NIST_P256","KeyUsage":"SIGN_VERIFY"}'
    at = datetime.now(UTC) + timedelta(minutes=change["at"]) if "at" in change else None
    key = change.get("key", ("AKIAALICE", "alice-secret"))
    headers = kms_headers("CreateKey", body, key=key, token=change.get("token"), at=at)
    headers.pop(change.get("drop", ""), None)
    response = await http.post("/", content=change.get("body", body), headers=headers)
    text = response.json().get("message", "")
    if message is None:
        assert text.startswith("Signature not yet current: ") and text.endswith(" + 5 min.)")
    kms_error(response, code, message or text)
    listed = await http.post("/", content=b"{}", headers=kms_headers("ListKeys", b"{}"))
    assert listed.json()["Keys"] == []


async def test_exempt_paths_need_no_signature(http: httpx.AsyncClient) -> None:
    for path in ("/healthz", "/readyz", "/metrics"):
        assert (await http.get(path)).status_code == 200, path


async def test_an_unknown_path_is_refused_before_routing(http: httpx.AsyncClient) -> None:
    response = await http.get("/2013-04-01/nothing")
    await route53_error(response, "MissingAuthenticationToken", "Request is missing Authentication Token")


async def test_presigned_query_string_passes(http: httpx.AsyncClient) -> None:
    """A GET presigned with botocore's SigV4QueryAuth (no Authorization header) is verified from its query."""
    assert (
        await http.post(
            "/2013-04-01/hostedzone",
            content=create_zone_body("p.example", "r"),
            headers=signed_headers("POST", "/2013-04-01/hostedzone", create_zone_body("p.example", "r").encode()),
        )
    ).status_code == 201
    request = AWSRequest(method="GET", url=BASE + "/2013-04-01/hostedzone?maxitems=1")
    SigV4QueryAuth(Credentials("AKIAALICE", "alice-secret"), "route53", "us-east-1").add_auth(request)
    url = request.prepare().url
    assert "X-Amz-Signature=" in url
    response = await http.get(url)
    assert response.status_code == 200, response.text
    assert "<Name>p.example.</Name>" in response.text
    tampered = await http.get(url.replace("maxitems=1", "maxitems=2"))
    await route53_error(tampered, "SignatureDoesNotMatch", WRONG)
