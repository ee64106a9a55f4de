"""The account a request acts for, from its credentials, by the convention of other AWS emulators
(LocalStack, floci, ministack): a 12-digit access key id *is* the account; any other key, or none, is the
account of ``R53_ACCOUNT_ID``.

Without signature checks (``R53_AUTH=sigv4``) this is a convenience, not a security boundary: any client can
claim any account by naming it as its access key id.

The access key id is the first part of the SigV4 credential scope (AWS General Reference, "Signature
Version 4 signing process": ``Credential=<access key id>/<date>/<region>/<service>/aws4_request``), in the
``Authorization`` header or, for a presigned request, the ``X-Amz-Credential`` query parameter.
"""

import re
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Receive, Scope, Send

_HEADER_CREDENTIAL = re.compile(r"AWS4-HMAC-SHA256\s.*?Credential=([^/,\s]+)/", re.IGNORECASE)
_ACCOUNT = re.compile(r"[0-9]{12}")


def access_key_from_header(authorization: str) -> str | None:
    """The access key id of a SigV4 ``Authorization`` header, or None when it names none."""
    match = _HEADER_CREDENTIAL.match(authorization.strip())
    return match[1] if match else None


def access_key_from_query(query_string: str) -> str | None:
    """The access key id of a presigned request's ``X-Amz-Credential`` parameter, or None."""
    for name, value in parse_qsl(query_string, keep_blank_values=True):
        if name == "X-Amz-Credential":
            key = value.split("/", 1)[0]
            return key or None
    return None


def account_of_access_key(access_key: str | None, default_account: str) -> str:
    """The account of an access key: a 12-digit key is its own account; any other key, or none, is
    ``default_account``."""
    if access_key is not None and _ACCOUNT.fullmatch(access_key):
        return access_key
    return default_account


def request_access_key(scope: Scope) -> str | None:
    """The access key id a request names: the ``Authorization`` header first, then the query string."""
    for name, value in scope.get("headers", ()):
        if name == b"authorization":
            key = access_key_from_header(value.decode("latin-1"))
            if key is not None:
                return key
    query: bytes = scope.get("query_string", b"")
    if b"X-Amz-Credential" in query:
        return access_key_from_query(query.decode("latin-1"))
    return None


class AccountMiddleware:
    """Sets ``scope["state"]["account"]`` from the request's access key, unless an outer middleware (SigV4
    verification) already set the verified account. ``app.api.telemetry.request_account`` reads it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            state = scope.setdefault("state", {})
            if not state.get("account"):
                default = scope["app"].state.settings.account_id
                state["account"] = account_of_access_key(request_access_key(scope), default)
        await self.app(scope, receive, send)
