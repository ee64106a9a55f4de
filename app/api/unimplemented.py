"""Operations of the Route 53 and KMS APIs that this service does not serve.

An operation is "not implemented" when botocore's service model has it and the running app has no route
for it (Route 53: no route of that name; KMS: no handler in ``LocalKms.operations``), so operations that
gain a route stop being reported without any list to update. A Route 53 request is matched to an operation
by its method and path against the model's request URIs.
"""

import re
from collections.abc import Collection, Iterable
from functools import cache

import botocore.session
from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from app.api.telemetry import UNKNOWN_OPERATION, label_error, label_request
from app.api.xml_route import error_response, request_id
from app.errors import InvalidInput, OperationNotImplemented

_LABEL = re.compile(r"\{([^}]+)\}")


def uri_pattern(request_uri: str) -> re.Pattern[str]:
    """A regular expression for a model ``requestUri``: ``{Label}`` is one path segment, ``{Label+}`` any
    number; a trailing slash is optional (SDKs send the model's, other clients may not)."""
    path = request_uri.split("?", 1)[0].rstrip("/")
    parts = _LABEL.split(path)
    regex = "".join(
        re.escape(part) if index % 2 == 0 else (".+" if part.endswith("+") else "[^/]+")
        for index, part in enumerate(parts)
    )
    return re.compile(regex + "/?")


@cache
def route53_operations() -> tuple[tuple[str, re.Pattern[str], str], ...]:
    """(method, path pattern, operation) of every operation in the botocore route53 model."""
    model = botocore.session.get_session().get_service_model("route53")
    operations = []
    for name in model.operation_names:
        http = model.operation_model(name).http
        operations.append((http["method"], uri_pattern(http["requestUri"]), name))
    return tuple(operations)


@cache
def kms_operations() -> frozenset[str]:
    """The operation names of the botocore kms model."""
    return frozenset(botocore.session.get_session().get_service_model("kms").operation_names)


def unserved_route53_operation(method: str, path: str, served: Collection[str]) -> str | None:
    """The model operation this request is for when none of the operations it matches is ``served``."""
    matches = [name for verb, pattern, name in route53_operations() if verb == method and pattern.fullmatch(path)]
    if not matches or any(name in served for name in matches):
        return None
    return matches[0]


def route_names(routes: Iterable[BaseRoute]) -> set[str]:
    """The names of every API route, also inside included routers (which FastAPI may keep as one nested
    route each, with the router as ``original_router``) and mounts."""
    names: set[str] = set()
    for route in routes:
        if isinstance(route, APIRoute):
            names.add(route.name)
        children = getattr(getattr(route, "original_router", route), "routes", None)
        if children is not None:
            names |= route_names(children)
    return names


def unrouted_response(request: Request, status: int) -> Response:
    """The Route 53 XML answer to a request no route took (Starlette's 404 or 405): NotImplemented when it is
    for a model operation this app has no route for, else ``InvalidInput`` with Starlette's status."""
    served = route_names(request.app.routes)
    operation = unserved_route53_operation(request.method, request.url.path, served)
    error = (
        OperationNotImplemented(operation)
        if operation
        else InvalidInput(f"No operation serves {request.method} {request.url.path}.")
    )
    label_request(request, "route53", operation or UNKNOWN_OPERATION)
    label_error(request, error.code)
    response = error_response(error, request_id(request))
    if operation is None:
        response.status_code = status
    return response
