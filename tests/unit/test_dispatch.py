"""The dispatch table chooses the route FastAPI's router would, for every Route 53 operation."""

import logging
import re

import pytest
from starlette.routing import Mount, Route
from starlette.types import Receive, Scope, Send

from app.api.dispatch import RouteTable, path_key
from app.api.xml_route import XmlRoute
from app.config import Settings
from app.main import API_ROUTERS, create_app, probe_router

ROUTES = [route for router in (*API_ROUTERS, probe_router()) for route in router.routes]
XML_ROUTES = [route for route in ROUTES if isinstance(route, XmlRoute)]


def _sample_paths(route: Route) -> list[str]:
    """Concrete paths the route matches: every parameter filled with an id, a KSK name and a trailing-slash form."""
    filled = [re.sub(r"\{[^}]+\}", value, route.path_format) for value in ("Z1D633PJN98FT9", "ksk1", "C2682N5HXP0BZ4")]
    return [path for path in dict.fromkeys(filled) if route.path_regex.match(path)]


async def _router_endpoint(method: str, path: str) -> object | None:
    """The endpoint FastAPI's own router chooses: the router sets it in the scope before calling it (the call
    itself fails on an app that was never started, and answers an error that is thrown away)."""
    app = create_app(Settings())
    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [],
        "app": app,
    }

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: object) -> None:
        return None

    logging.disable(logging.CRITICAL)
    try:
        await app.router(scope, receive, send)
    finally:
        logging.disable(logging.NOTSET)
    return scope.get("endpoint")


REQUESTS = sorted(
    {(method, path) for route in XML_ROUTES for method in route.methods or () for path in _sample_paths(route)}
)


def test_every_route53_operation_has_sample_requests() -> None:
    assert len(XML_ROUTES) >= 30
    assert all(_sample_paths(route) for route in XML_ROUTES)


@pytest.mark.parametrize(("method", "path"), REQUESTS)
async def test_the_table_chooses_the_routers_route(method: str, path: str) -> None:
    found = RouteTable(ROUTES).find(method, path)
    assert found is not None, "a Route 53 operation goes through FastAPI's scan"
    route, _, params = found
    assert route.endpoint is await _router_endpoint(method, path)
    assert params == route.path_regex.match(path).groupdict()  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/healthz"),  # not an XML route
        ("POST", "/"),  # KMS
        ("PUT", "/2013-04-01/keysigningkey"),  # 405 from FastAPI
        ("GET", "/2013-04-01/nosuchthing"),  # 404 from FastAPI
        ("GET", "/2013-04-01/hostedzone/Z1/extra/segments"),
        ("GET", "/_route53/accounts"),  # admin: token dependency
    ],
)
def test_anything_else_is_left_to_fastapi(method: str, path: str) -> None:
    assert RouteTable(ROUTES).find(method, path) is None


async def static_files(scope: Scope, receive: Receive, send: Send) -> None:
    """An ASGI application to mount; never called."""


def test_a_table_with_a_mount_leaves_everything_to_fastapi() -> None:
    table = RouteTable([*ROUTES, Mount("/static", app=static_files)])
    assert table.find("POST", "/2013-04-01/keysigningkey") is None


def test_path_keys_are_the_leading_segments() -> None:
    assert path_key("/2013-04-01/hostedzone/Z1/rrset") == ("", "2013-04-01", "hostedzone")
    assert path_key("/") == ("", "")
