"""``R53_AUTH=sigv4``: the ASGI middleware that verifies every Route 53 and KMS request before any route runs.

It reads the whole body (to hash it), verifies the signature (``app.auth.verify``), then either answers the
failure as the request's protocol does (``app.auth.responses``; labelled for the access log and metrics, and
no route runs, so nothing changes) or puts the credential's account in ``scope["state"]["account"]`` and
replays the body to the app. KMS is ``POST /`` (``X-Amz-Target: TrentService.*``); every other path but the
admin API and the probes (``EXEMPT_PATHS``) is Route 53.

A body larger than ``R53_MAX_BODY_BYTES`` is not verified: the app refuses it for its size, before anything
else, as it does without signature checks.
"""

from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.telemetry import UNKNOWN_OPERATION, label_error, label_request
from app.api.unimplemented import kms_operations, route53_operations
from app.api.xml_route import request_id
from app.auth.credentials import StoredCredential
from app.auth.responses import failure_code, failure_response
from app.auth.verify import Failure, SignedRequest, verify
from app.protocol.kms import target_operation

EXEMPT_PATHS = ("/healthz", "/readyz", "/metrics")
ADMIN_PREFIX = "/_route53"


def is_exempt(path: str) -> bool:
    """The probes, the metrics scrape and the admin API (``/_route53``, ``/_route53/…``) are never signed."""
    return path in EXEMPT_PATHS or path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/")


def signing_service(scope: Scope) -> str:
    return "kms" if scope["method"] == "POST" and scope["path"] == "/" else "route53"


def operation_name(scope: Scope, service: str, headers: Mapping[str, str]) -> str:
    """The operation a rejected request was for, for its log line and metrics."""
    if service == "kms":
        operation = target_operation(headers)
        return operation if operation is not None and operation in kms_operations() else UNKNOWN_OPERATION
    method, path = scope["method"], scope["path"]
    return next(
        (name for verb, pattern, name in route53_operations() if verb == method and pattern.fullmatch(path)),
        UNKNOWN_OPERATION,
    )


class SignatureMiddleware:
    """Verifies SigV4 on every API request (see the module docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        credentials: Mapping[str, StoredCredential],
        max_body_bytes: int,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.app = app
        self.credentials = credentials
        self.max_body_bytes = max_body_bytes
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or is_exempt(scope["path"]):
            await self.app(scope, receive, send)
            return
        body, complete = await self._read_body(receive)
        replay = _replaying(body, receive)
        if not complete:
            await self.app(scope, replay, send)
            return
        service = signing_service(scope)
        headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in scope["headers"]]
        signed = SignedRequest(
            method=scope["method"],
            raw_path=(scope.get("raw_path") or scope["path"].encode()).decode("latin-1"),
            raw_query=scope.get("query_string", b"").decode("latin-1"),
            headers=headers,
            body=body,
        )
        try:
            credential = verify(signed, service, self.credentials, self.clock())
        except Failure as failure:
            request = Request(scope)
            label_request(request, service, operation_name(scope, service, request.headers))
            label_error(request, failure_code(service, failure))
            response = failure_response(service, failure, request_id(request))
            await response(scope, replay, send)
            return
        scope.setdefault("state", {})["account"] = credential.account_id
        await self.app(scope, replay, send)

    async def _read_body(self, receive: Receive) -> tuple[bytes, bool]:
        """The body, and False when it passed the size cap (then only its first cap + 1 bytes or so)."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client left: what came verifies as nothing does
                return b"".join(chunks), True
            chunk: bytes = message.get("body", b"")
            chunks.append(chunk)
            size += len(chunk)
            if size > self.max_body_bytes:
                return b"".join(chunks), False
            if not message.get("more_body", False):
                return b"".join(chunks), True


def _replaying(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives ``body`` as one complete message, then whatever the client sends next."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
