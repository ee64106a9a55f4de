"""The error hierarchy against botocore's route53 model: every wire code exists there with the same status,
and every route's operation name is a real operation."""

import botocore.session
import pytest

from app import errors
from app.api import dnssec, health_checks, hosted_zones, record_sets
from app.api.xml_route import XmlRoute, modeled_codes

MODEL = botocore.session.get_session().get_service_model("route53")
ROUTE53_ERRORS = [
    cls
    for cls in vars(errors).values()
    if isinstance(cls, type) and issubclass(cls, errors.Route53Error) and cls is not errors.Route53Error
]


@pytest.mark.parametrize("error", [cls for cls in ROUTE53_ERRORS if cls.status < 500], ids=lambda cls: cls.code)
def test_code_and_status_match_the_model(error: type[errors.Route53Error]) -> None:
    shape = MODEL.shape_for_error_code(error.code)
    assert shape is not None, error.code
    assert error.status == shape.metadata.get("error", {}).get("httpStatusCode", 400)
    assert error.sender_fault


def test_common_server_errors_are_receiver_faults() -> None:
    """AWS "Common Errors", allowed for every operation and not in the route53 model."""
    assert (errors.InternalFailure.status, errors.InternalFailure.sender_fault) == (500, False)
    assert (errors.ServiceUnavailable.status, errors.ServiceUnavailable.sender_fault) == (503, False)
    assert MODEL.shape_for_error_code("ServiceUnavailable") is None


def test_every_route_names_a_modeled_operation() -> None:
    routers = (hosted_zones.router, dnssec.router, record_sets.router, health_checks.router)
    routes = [route for router in routers for route in router.routes if isinstance(route, XmlRoute)]
    names = {route.name for route in routes}
    assert {"CreateKeySigningKey", "ChangeResourceRecordSets", "CreateHealthCheck", "ListTagsForResources"} <= names
    for route in routes:
        assert route.name in MODEL.operation_names
        assert "InvalidInput" in modeled_codes(route.name)


def test_key_signing_key_operations_do_not_model_no_such_hosted_zone() -> None:
    """Why KSK operations on a missing zone answer NoSuchKeySigningKey."""
    for operation in ("ActivateKeySigningKey", "DeactivateKeySigningKey", "DeleteKeySigningKey"):
        assert "NoSuchHostedZone" not in modeled_codes(operation)
        assert "NoSuchKeySigningKey" in modeled_codes(operation)
    assert "DNSSECNotFound" not in modeled_codes("GetDNSSEC")
