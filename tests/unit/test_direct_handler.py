"""XmlRoute calls an endpoint directly only when its signature is the request and ``str`` path parameters."""

from fastapi import APIRouter, Request, Response

from app.api import dnssec, health_checks, hosted_zones, record_sets
from app.api.xml_route import XmlRoute, direct_handler


def _route(path: str, endpoint: object) -> XmlRoute:
    router = APIRouter(route_class=XmlRoute)
    router.add_api_route(path, endpoint, methods=["GET"], name="GetHostedZone")  # type: ignore[arg-type]
    route = router.routes[0]
    assert isinstance(route, XmlRoute)
    return route


async def _path_and_request(Id: str, request: Request) -> Response:
    return Response(Id)


async def _query_parameter(Id: str, request: Request, maxitems: str = "100") -> Response:
    return Response(Id + maxitems)


def _sync(Id: str, request: Request) -> Response:
    return Response(Id)


def test_the_request_and_str_path_parameters_are_called_directly() -> None:
    assert direct_handler(_route("/hostedzone/{Id}", _path_and_request)) is not None


def test_anything_else_goes_through_fastapi() -> None:
    assert direct_handler(_route("/hostedzone/{Id}", _query_parameter)) is None
    assert direct_handler(_route("/hostedzone/{Id}", _sync)) is None
    assert direct_handler(_route("/hostedzone", _path_and_request)) is None  # Id is not a path parameter


def test_every_route53_operation_is_called_directly() -> None:
    routes = [r for m in (hosted_zones, record_sets, dnssec, health_checks) for r in m.router.routes]
    assert routes
    assert all(direct_handler(r) is not None for r in routes if isinstance(r, XmlRoute))
