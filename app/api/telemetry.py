"""One record per request, for the access log and the request metrics.

The code that serves a request labels it in the request's state: ``service`` and ``operation`` (Route 53:
the route's name; KMS: the ``X-Amz-Target`` operation) with ``label_request``, the error code with
``label_error``. The account is ``state["account"]``, set by ``app.accounts.identity.AccountMiddleware`` (or
a SigV4 check outside it), else ``R53_ACCOUNT_ID``; ``request_account`` is the one place that reads it, for
the log and for every route (``app.api.deps.account``).

The middleware logs and counts a request when its response's last body part is about to be sent, so a
client holding the answer can already see both. A request no API operation labelled (``/healthz``,
``/readyz``, ``/metrics``) is logged at DEBUG and not counted: probes and scrapes would drown the rest.
"""

import logging
import time
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.logs import log_request
from app.metrics import observe_request

UNKNOWN_OPERATION = "unknown"  # a path or X-Amz-Target that names no operation of the service's API


def label_request(request: Request, service: str, operation: str) -> None:
    state = request.scope.setdefault("state", {})
    state["service"] = service
    state["operation"] = operation


def label_error(request: Request, code: str) -> None:
    request.scope.setdefault("state", {})["error_code"] = code


def request_account(scope: Scope) -> str:
    """The account the request acts for: the one set in its state, else ``R53_ACCOUNT_ID``."""
    state: dict[str, Any] = scope.get("state", {})
    account: str = state.get("account") or scope["app"].state.settings.account_id
    return account


class RequestTelemetryMiddleware:
    """Times each HTTP request and records it (see the module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        recorded = False

        async def send_and_record(message: Message) -> None:
            nonlocal status, recorded
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body" and not message.get("more_body", False) and not recorded:
                recorded = True
                record(scope, status, time.perf_counter() - started)
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        finally:
            if not recorded:  # the app raised before it answered (or the client left mid-body)
                record(scope, status, time.perf_counter() - started)


def record(scope: Scope, status: int, seconds: float) -> None:
    state: dict[str, Any] = scope.get("state", {})
    service: str | None = state.get("service")
    operation: str | None = state.get("operation")
    if service is not None and operation is not None:
        observe_request(service, operation, status, seconds)
    log_request(
        level=logging.INFO if service is not None else logging.DEBUG,
        request_id=state.get("request_id"),
        account=request_account(scope),
        service=service,
        operation=operation if service is not None else scope["path"],
        status=status,
        error=state.get("error_code"),
        seconds=seconds,
    )
