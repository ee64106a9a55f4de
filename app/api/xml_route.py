"""Route 53 REST-XML plumbing for FastAPI: the route class that turns every outcome into an XML response,
the XML response class, and the request-id middleware (Route 53 Developer Guide, "REST responses").

Every response carries an ``x-amzn-RequestId`` UUID; errors render as ``<ErrorResponse>`` with the same id.
A read while the database is unreachable answers 503 ``ServiceUnavailable`` with ``Retry-After``, which SDKs
retry, and so does a write of a request that arrived before an admin reset (``app.db.fence``); a client
that disconnects before sending its whole body is one INFO line.
An operation answers only the error codes its model lists (aws-sdk-go-v2 decodes no others); a test-time
warning flags any other code.
"""

import inspect
import logging
import os
import warnings
from collections.abc import Callable, Coroutine
from functools import cache
from typing import Any

import botocore.session
from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.body import read_body
from app.api.telemetry import label_error, label_request
from app.db.fence import StoreWasReset
from app.db.session import is_database_unavailable
from app.errors import InternalFailure, InvalidInput, Route53Error, ServiceUnavailable
from app.protocol import route53 as wire
from app.protocol.xml import XML_ILLEGAL, render

log = logging.getLogger(__name__)
COMMON_CODES = frozenset({"InvalidInput", "InternalFailure", "ServiceUnavailable"})  # AWS "Common Errors"
RETRY_AFTER_SECONDS = "1"
UNAVAILABLE_MESSAGE = "The service cannot reach its database. Retry the request."


Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class UnmodeledErrorWarning(UserWarning):
    """An operation raised an error code that its service model does not list."""


class XmlResponse(Response):
    media_type = "text/xml"

    def __init__(self, root: str, content: dict[str, Any] | None, status_code: int = 200, **kwargs: Any):
        super().__init__(render(root, content), status_code=status_code, **kwargs)


async def request_elements(
    request: Request, root: str, allowed: tuple[str, ...], nested: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The checked children of the request document's ``root``, read with the body-size cap."""
    max_bytes: int = request.app.state.settings.max_body_bytes
    return wire.parse_body(await read_body(request, max_bytes), root, allowed, max_bytes, nested)


def new_request_id() -> str:
    """A random (version 4) UUID in its text form, without the cost of ``uuid.UUID``."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    text = raw.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def request_id(request: Request) -> str:
    """The id the middleware gave this request."""
    state = request.scope.setdefault("state", {})
    if "request_id" not in state:
        state["request_id"] = new_request_id()
    rid: str = state["request_id"]
    return rid


def error_response(error: Route53Error, rid: str) -> Response:
    body = {
        "Error": {
            "Type": "Sender" if error.sender_fault else "Receiver",
            "Code": error.code,
            "Message": error.message,
        },
        "RequestId": rid,
    }
    return XmlResponse("ErrorResponse", body, status_code=error.status)


@cache
def modeled_codes(operation: str) -> frozenset[str]:
    """The error codes the botocore route53 model lists for ``operation``."""
    model = botocore.session.get_session().get_service_model("route53").operation_model(operation)
    return frozenset(shape.name for shape in model.error_shapes) | COMMON_CODES


def direct_handler(route: APIRoute) -> Handler | None:
    """The endpoint called with the request and its ``str`` path parameters, without FastAPI's dependency
    solving (about 30 µs a request), when that is all its signature asks for; None otherwise."""
    endpoint = route.endpoint
    if not inspect.iscoroutinefunction(endpoint) or route.dependant.dependencies:
        return None
    path_names: list[str] = []
    for parameter in inspect.signature(endpoint, eval_str=True).parameters.values():
        if parameter.default is not inspect.Parameter.empty or parameter.kind is not parameter.POSITIONAL_OR_KEYWORD:
            return None
        if parameter.annotation is Request and parameter.name == "request":
            continue
        if parameter.annotation is not str or parameter.name not in route.param_convertors:
            return None
        path_names.append(parameter.name)

    async def handler(request: Request) -> Response:
        params = request.path_params
        response: Response = await endpoint(request=request, **{name: params[name] for name in path_names})
        return response

    return handler


class XmlRoute(APIRoute):
    """Runs the endpoint and answers Route 53 XML whatever happens; ``name`` is the operation."""

    def get_route_handler(self) -> Handler:
        return self._answering_xml(direct_handler(self) or super().get_route_handler())

    def direct_route_handler(self) -> Handler | None:
        """The route's handler when its endpoint is called directly (``direct_handler``), else None."""
        handler = direct_handler(self)
        return None if handler is None else self._answering_xml(handler)

    def _answering_xml(self, handler: Handler) -> Handler:
        operation = self.name

        async def route_handler(request: Request) -> Response:
            rid = request_id(request)
            label_request(request, "route53", operation)
            try:
                refuse_unsafe_uri(request)
                return await handler(request)
            except Route53Error as error:
                if error.code not in modeled_codes(operation):
                    warnings.warn(f"{operation} raised {error.code}", UnmodeledErrorWarning, stacklevel=1)
                label_error(request, error.code)
                response = error_response(error, rid)
                if isinstance(error, ServiceUnavailable):
                    response.headers["Retry-After"] = RETRY_AFTER_SECONDS
                return response
            except StoreWasReset as reset:
                label_error(request, ServiceUnavailable.code)
                response = error_response(ServiceUnavailable(str(reset)), rid)
                response.headers["Retry-After"] = RETRY_AFTER_SECONDS
                return response
            except ClientDisconnect:
                log.info("%s: the client disconnected before sending its whole body (request %s)", operation, rid)
                return error_response(InvalidInput("The request body is incomplete."), rid)  # never delivered
            except Exception as error:
                if request.method == "GET" and is_database_unavailable(error):
                    log.warning("%s: database unavailable (%s; request %s)", operation, type(error).__name__, rid)
                    response = error_response(ServiceUnavailable(UNAVAILABLE_MESSAGE), rid)
                    response.headers["Retry-After"] = RETRY_AFTER_SECONDS
                    return response
                log.exception("%s failed (request %s)", operation, rid)
                label_error(request, InternalFailure.code)
                return error_response(InternalFailure("An internal error occurred. Retry the request."), rid)

        return route_handler


def refuse_unsafe_uri(request: Request) -> None:
    """InvalidInput for a path or query value with a character XML cannot carry (a NUL, other control
    characters): no id or name can hold one, and an error echoing it would not be well-formed."""
    values = [request.scope["path"], *request.query_params.values()]
    if any(XML_ILLEGAL.search(value) for value in values):
        raise InvalidInput("The request URI contains a character that is not allowed.")


class RequestIdMiddleware:
    """Adds the request's ``x-amzn-RequestId`` header to every response, errors and 404s included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = new_request_id()
        scope.setdefault("state", {})["request_id"] = rid

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-amzn-RequestId", rid.encode())]
            await send(message)

        await self.app(scope, receive, send_with_id)
