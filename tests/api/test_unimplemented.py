"""Operations of the Route 53 and KMS models with no route here answer 501 NotImplemented naming the
operation; paths and targets of no operation keep their answers. The unserved set comes from the running
app, so it shrinks as routes are added."""

import re
from typing import Any

import botocore.session
import pytest

from app.api import dnssec, hosted_zones
from app.api.unimplemented import route_names, unserved_route53_operation, uri_pattern
from app.api.xml_route import XmlRoute
from tests.wire import assert_error

SESSION = botocore.session.get_session()
ROUTE53 = SESSION.get_service_model("route53")
KMS = SESSION.get_service_model("kms")


def filled(request_uri: str) -> str:
    """The model URI with every label given a value (``{Id}`` -> ``x1``)."""
    return re.sub(r"\{[^}]+\}", "x1", request_uri.split("?", 1)[0])


async def test_every_unserved_route53_operation_is_not_implemented(app: Any, client: Any) -> None:
    served = route_names(app.routes)
    unserved = [name for name in ROUTE53.operation_names if name not in served]
    assert "CreateTrafficPolicy" in unserved and "GetDNSSEC" not in unserved
    for name in unserved:
        http = ROUTE53.operation_model(name).http
        response = await client.request(http["method"], filled(http["requestUri"]), content=b"")
        assert_error(response, 501, "NotImplemented", f"{name} is not implemented by this service.")


async def test_every_unserved_kms_operation_is_not_implemented(app: Any, client: Any) -> None:
    unserved = [name for name in KMS.operation_names if name not in app.state.local_kms.operations]
    assert "CreateCustomKeyStore" in unserved and "Sign" not in unserved
    for name in unserved:
        response = await client.post("/", headers={"X-Amz-Target": f"TrentService.{name}"}, content=b"{}")
        assert response.status_code == 501
        assert response.json() == {"__type": "NotImplemented", "message": f"{name} is not implemented by this service."}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/2013-04-01/nothing-here", 404),
        ("DELETE", "/2013-04-01/hostedzonecount", 405),  # a served path; no operation of the model there
        ("GET", "/2013-04-01/trafficpolicy", 404),  # CreateTrafficPolicy is POST only
        ("GET", "/2013-04-01/hostedzone/a/b", 404),  # an id holding a slash
    ],
)
async def test_requests_for_no_operation_stay_invalid_input(client: Any, method: str, path: str, status: int) -> None:
    response = await client.request(method, path)
    assert_error(response, status, "InvalidInput", f"No operation serves {method} {path}.")


def test_routes_are_found_inside_included_routers(app: Any) -> None:
    xml_routes = {r.name for r in (*hosted_zones.router.routes, *dnssec.router.routes) if isinstance(r, XmlRoute)}
    assert xml_routes <= route_names(app.routes)
    assert {"kms_operation", "metrics", "healthz", "readyz"} <= route_names(app.routes)


def test_matching_a_request_to_a_model_operation() -> None:
    assert uri_pattern("/2013-04-01/hostedzone/{Id}/rrset/").fullmatch("/2013-04-01/hostedzone/Z1/rrset")
    assert uri_pattern("/2013-04-01/hostedzone/{Id}/rrset/").fullmatch("/2013-04-01/hostedzone/Z1/rrset/")
    assert not uri_pattern("/2013-04-01/hostedzone/{Id}").fullmatch("/2013-04-01/hostedzone/Z1/rrset")
    assert uri_pattern("/{Bucket}/{Key+}?uploads").fullmatch("/b/a/b/c")
    path = "/2013-04-01/hostedzone/Z1/rrset/"
    assert unserved_route53_operation("POST", path, served={"ListResourceRecordSets"}) == "ChangeResourceRecordSets"
    assert unserved_route53_operation("POST", path, served={"ChangeResourceRecordSets"}) is None
    assert unserved_route53_operation("GET", "/2013-04-01/hostedzonelimit/Z1/MAX_RRSETS_BY_ZONE", set()) == (
        "GetHostedZoneLimit"
    )
    assert unserved_route53_operation("PUT", "/2013-04-01/hostedzone", set()) is None
