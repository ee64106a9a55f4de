"""Route 53 requests straight to their operation: a table in front of FastAPI's router.

The router tries its routes one by one (a regular expression each, and in FastAPI 0.16x a walk through every
included router): about a tenth of a CreateKeySigningKey's CPU. The table keeps the same routes in the same
order, grouped by the first two literal segments of their path (``/2013-04-01/keysigningkey``), so a request
tries only the routes that could match it, and the first one that matches in full wins, as in the router
(Starlette's ``Router.app``). When that route is an ``XmlRoute`` whose endpoint is called directly
(``XmlRoute.direct_route_handler``: no dependencies, so FastAPI's exit stack and exception middleware have
nothing to do), the table calls it; every other request (other routes, a 404 or 405, a ``root_path``) goes
on to FastAPI unchanged.
"""

from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.xml_route import Handler, XmlRoute

KEY_SEGMENTS = 3  # "", "2013-04-01", "keysigningkey"


def path_key(path: str) -> tuple[str, ...]:
    """The leading segments of a request path that group routes (``("", "2013-04-01", "hostedzone")``)."""
    return tuple(path.split("/", KEY_SEGMENTS)[:KEY_SEGMENTS])


def _route_key(route: BaseRoute) -> tuple[str, ...] | None:
    """The key of every path ``route`` can match, or None when its leading segments hold a parameter (or it
    is no plain route): such a route is tried for every key."""
    if not isinstance(route, Route):
        return None
    segments = route.path_format.split("/")
    if len(segments) < KEY_SEGMENTS or any("{" in segment for segment in segments[:KEY_SEGMENTS]):
        return None
    return tuple(segments[:KEY_SEGMENTS])


class RouteTable:
    """The routes of the application, in the router's order, grouped by ``path_key``."""

    def __init__(self, routes: Sequence[BaseRoute]) -> None:
        keys = [_route_key(route) for route in routes]
        self._unkeyed = any(not isinstance(route, Route) for route in routes)  # a Mount: leave it to FastAPI
        self._candidates: dict[tuple[str, ...], list[tuple[Route, Handler | None]]] = {}
        for key in dict.fromkeys(key for key in keys if key is not None):
            self._candidates[key] = [
                (route, _direct(route))
                for route, route_key in zip(routes, keys, strict=True)
                if isinstance(route, Route) and route_key in (key, None)
            ]

    def find(self, method: str, path: str) -> tuple[Route, Handler, dict[str, Any]] | None:
        """The route the router would choose for ``method`` and ``path``, its direct handler and its path
        parameters, when that route is called directly; None otherwise."""
        if self._unkeyed:
            return None
        candidates = self._candidates.get(path_key(path))
        if candidates is None:
            return None
        for route, handler in candidates:
            match = route.path_regex.match(path)
            if match is None or (route.methods and method not in route.methods):
                continue
            if handler is None:
                return None
            params = {name: route.param_convertors[name].convert(value) for name, value in match.groupdict().items()}
            return route, handler, params
        return None


def _direct(route: Route) -> Handler | None:
    return route.direct_route_handler() if isinstance(route, XmlRoute) else None


class DirectDispatchMiddleware:
    """Calls the direct handler ``RouteTable.find`` gives, as Starlette's route would (``path_params``,
    ``endpoint`` and ``route`` in the scope, the response sent), else passes the request on."""

    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.table = RouteTable(routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        found = None
        if scope["type"] == "http" and not scope.get("root_path"):
            found = self.table.find(scope["method"], scope["path"])
        if found is None:
            await self.app(scope, receive, send)
            return
        route, handler, params = found
        scope["path_params"] = params
        scope["endpoint"] = route.endpoint
        scope["route"] = route
        response = await handler(Request(scope, receive, send))
        await response(scope, receive, send)
