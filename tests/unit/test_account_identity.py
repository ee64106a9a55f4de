"""The account of a request's credentials, the middleware that records it, and the key-policy rules for
other accounts (``app.accounts.identity``, ``app.kms.policy``)."""

import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse

from app.accounts.identity import (
    AccountMiddleware,
    access_key_from_header,
    access_key_from_query,
    account_of_access_key,
)
from app.api.telemetry import request_account
from app.config import Settings
from app.kms.policy import evaluate_policy, grants_account_access

DEFAULT = "123456789012"
HEADER = (
    "AWS4-HMAC-SHA256 Credential={key}/20261202/us-east-1/route53/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=abc"
)


@pytest.mark.parametrize(
    ("header", "key"),
    [
        (HEADER.format(key="111111111111"), "111111111111"),
        (HEADER.format(key="AKIAIOSFODNN7EXAMPLE"), "AKIAIOSFODNN7EXAMPLE"),
        ("aws4-hmac-sha256 Credential=test/20261202/us-east-1/kms/aws4_request", "test"),
        ("AWS4-HMAC-SHA256 SignedHeaders=host, Credential=222222222222/2026/x/y/aws4_request", "222222222222"),
        ("AWS4-HMAC-SHA256 Credential=/20261202/us-east-1/route53/aws4_request", None),
        ("Bearer 111111111111", None),
        ("AWS 111111111111:signature", None),  # SigV2 names no credential scope
        ("", None),
    ],
)
def test_the_access_key_of_an_authorization_header(header: str, key: str | None) -> None:
    assert access_key_from_header(header) == key


def test_the_access_key_of_a_presigned_query() -> None:
    query = (
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=333333333333%2F20261202%2Fus-east-1%2Froute53%2Faws4_request"
    )
    assert access_key_from_query(query) == "333333333333"
    assert access_key_from_query("X-Amz-Credential=") is None
    assert access_key_from_query("other=1") is None


@pytest.mark.parametrize(
    ("key", "account"),
    [
        ("111111111111", "111111111111"),
        ("000000000000", "000000000000"),
        ("test", DEFAULT),
        ("11111111111", DEFAULT),  # 11 digits
        ("1111111111111", DEFAULT),  # 13 digits: not a prefix match (LocalStack's quirk)
        ("11111111111a", DEFAULT),
        ("\uff11" * 12, DEFAULT),  # full-width digits are not ASCII digits
        (None, DEFAULT),
    ],
)
def test_the_account_of_an_access_key(key: str | None, account: str) -> None:
    assert account_of_access_key(key, DEFAULT) == account


def app_seeing_accounts(preset: str | None = None) -> FastAPI:
    app = FastAPI()
    app.state.settings = Settings(account_id="999999999999")

    @app.get("/whoami")
    async def whoami(request: Request) -> PlainTextResponse:
        return PlainTextResponse(request_account(request.scope))

    class Preset:  # stands in for the SigV4 middleware: the verified account, set outside
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            scope.setdefault("state", {})["account"] = preset
            await self.inner(scope, receive, send)

    app.add_middleware(AccountMiddleware)
    if preset is not None:
        app.add_middleware(Preset)
    return app


async def whoami(app: FastAPI, **kwargs: Any) -> str:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        return (await client.get("/whoami", **kwargs)).text


async def test_the_middleware_records_the_account_unless_one_is_set() -> None:
    plain = app_seeing_accounts()
    assert await whoami(plain, headers={"Authorization": HEADER.format(key="444444444444")}) == "444444444444"
    assert await whoami(plain, headers={"Authorization": HEADER.format(key="test")}) == "999999999999"
    assert await whoami(plain) == "999999999999"
    presigned = {"X-Amz-Credential": "555555555555/20261202/us-east-1/route53/aws4_request"}
    assert await whoami(plain, params=presigned) == "555555555555"
    verified = app_seeing_accounts(preset="666666666666")
    assert await whoami(verified, headers={"Authorization": HEADER.format(key="444444444444")}) == "666666666666"


def test_r53_account_id_must_be_twelve_digits() -> None:
    with pytest.raises(ValueError, match="must be a 12-digit AWS account id"):
        Settings(account_id="test")


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


ROUTE53 = {"Service": "dnssec-route53.amazonaws.com"}
ACTIONS = ["kms:DescribeKey", "kms:GetPublicKey", "kms:Sign"]


def route53(**extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": ROUTE53, "Action": ACTIONS, **extra}


def source(operator: str, value: str | list[str]) -> dict[str, Any]:
    return {"Condition": {operator: {"aws:SourceAccount": value}}}


@pytest.mark.parametrize(
    ("document", "zone", "key", "grants"),
    [
        (policy(route53()), "111111111111", "111111111111", True),  # the owner's own zones
        (policy(route53()), "222222222222", "111111111111", False),  # no SourceAccount: not for others
        (policy(route53(**source("StringEquals", "222222222222"))), "222222222222", "111111111111", True),
        (policy(route53(**source("StringEquals", ["333333333333", "222222222222"]))), "222222222222", "1" * 12, True),
        (policy(route53(**source("StringLike", "22222222222?"))), "222222222222", "111111111111", True),
        (policy(route53(**source("StringEquals", "333333333333"))), "222222222222", "111111111111", False),
        (policy(route53(**source("StringEquals", "333333333333"))), "111111111111", "111111111111", False),
        (policy(route53(**source("StringNotEquals", "333333333333"))), "222222222222", "111111111111", True),
        (policy(route53(**source("stringequalsifexists", "222222222222"))), "222222222222", "1" * 12, True),
        (
            policy(route53(**source("StringEquals", "222222222222")), {**route53(), "Effect": "Deny"}),
            "222222222222",
            "111111111111",
            False,  # an unconditional Deny applies to every account
        ),
        (policy(route53(**source("StringEquals", "333333333333"))), None, None, True),  # no account: any zone
    ],
)
def test_route53_use_for_a_zone_account(document: str, zone: str | None, key: str | None, grants: bool) -> None:
    assert evaluate_policy(document, zone, key) is grants


def account_statement(principal: Any, action: Any = "kms:*", effect: str = "Allow") -> dict[str, Any]:
    return {"Effect": effect, "Principal": principal, "Action": action, "Resource": "*"}


@pytest.mark.parametrize(
    ("document", "grants"),
    [
        (policy(account_statement({"AWS": "arn:aws:iam::222222222222:root"})), True),
        (policy(account_statement({"AWS": ["111111111111", "222222222222"]})), True),
        (policy(account_statement("*")), True),
        (policy(account_statement({"AWS": "*"})), True),
        (policy(account_statement({"AWS": "arn:aws:iam::333333333333:root"})), False),
        (policy(account_statement({"AWS": "arn:aws:iam::222222222222:role/app"})), False),  # not the account
        (policy(account_statement({"AWS": "222222222222"}, action="kms:Describe*")), True),
        (policy(account_statement({"AWS": "222222222222"}, action="kms:Sign")), False),
        (policy(account_statement(ROUTE53)), False),
        (
            policy(
                account_statement({"AWS": "222222222222"}),
                account_statement({"AWS": "222222222222"}, "kms:DescribeKey", "Deny"),
            ),
            False,
        ),
        ("not json", False),
    ],
)
def test_kms_use_by_another_account(document: str, grants: bool) -> None:
    assert grants_account_access(document, "222222222222", "kms:DescribeKey") is grants
