"""Health-check routes (Route 53 API Reference, 2013-04-01: CreateHealthCheck, GetHealthCheck,
ListHealthChecks, UpdateHealthCheck, DeleteHealthCheck, GetHealthCheckCount, GetHealthCheckStatus,
GetHealthCheckLastFailureReason). Health-check tags are served with the other tag routes (app.api.hosted_zones)."""

import re

from fastapi import APIRouter, Request

from app.api import deps
from app.api.xml_route import XmlResponse, XmlRoute, request_elements
from app.protocol import health_checks as shapes
from app.protocol import route53 as wire

router = APIRouter(prefix="/2013-04-01", route_class=XmlRoute)

DEFAULT_MAX_ITEMS = 100
MAX_ITEMS_LIMIT = 1000
_MAX_ITEMS = re.compile(r"[0-9]{1,9}")


def max_items(value: str | None) -> int:
    """``maxitems``: 100 by default; above 1000, Route 53 returns 1000 (API Reference, ListHealthChecks)."""
    if value is None:
        return DEFAULT_MAX_ITEMS
    if not _MAX_ITEMS.fullmatch(value) or int(value) < 1:
        raise wire.validation_error(
            [f"Value '{value}' at 'maxItems' failed to satisfy constraint: Member must be a positive integer"]
        )
    return min(int(value), MAX_ITEMS_LIMIT)


async def _body(request: Request, root: str) -> dict[str, object]:
    allowed, nested = shapes.body_members(root)
    return await request_elements(request, root, allowed, nested)


@router.post("/healthcheck", name="CreateHealthCheck")
async def create_health_check(request: Request) -> XmlResponse:
    caller_reference, config = shapes.create_request(await _body(request, "CreateHealthCheckRequest"))
    check = await deps.health_checks(request).create(deps.account(request), caller_reference, config)
    location = f"{deps.base_url(request)}/2013-04-01/healthcheck/{check.id}"
    content = {"HealthCheck": shapes.health_check(check)}
    return XmlResponse("CreateHealthCheckResponse", content, 201, headers={"Location": location})


@router.get("/healthcheck", name="ListHealthChecks")
async def list_health_checks(request: Request) -> XmlResponse:
    marker = request.query_params.get("marker")
    wire.check_members({"marker": marker}, (wire.Member("marker", "marker", False, max_length=64),))
    limit = max_items(request.query_params.get("maxitems"))
    page = await deps.health_checks(request).list(deps.account(request), marker, limit)
    content = {
        "HealthChecks": {"HealthCheck": [shapes.health_check(check) for check in page.checks]},
        "Marker": marker,
        "IsTruncated": page.next_id is not None,
        "NextMarker": page.next_id,
        "MaxItems": str(limit),
    }
    return XmlResponse("ListHealthChecksResponse", content)


@router.get("/healthcheckcount", name="GetHealthCheckCount")
async def get_health_check_count(request: Request) -> XmlResponse:
    count = await deps.health_checks(request).count(deps.account(request))
    return XmlResponse("GetHealthCheckCountResponse", {"HealthCheckCount": count})


@router.get("/healthcheck/{HealthCheckId}", name="GetHealthCheck")
async def get_health_check(HealthCheckId: str, request: Request) -> XmlResponse:
    wire.check_members({"HealthCheckId": HealthCheckId}, (shapes.HEALTH_CHECK_ID,))
    check = await deps.health_checks(request).get(deps.account(request), HealthCheckId)
    return XmlResponse("GetHealthCheckResponse", {"HealthCheck": shapes.health_check(check)})


@router.post("/healthcheck/{HealthCheckId}", name="UpdateHealthCheck")
async def update_health_check(HealthCheckId: str, request: Request) -> XmlResponse:
    wire.check_members({"HealthCheckId": HealthCheckId}, (shapes.HEALTH_CHECK_ID,))
    change = shapes.update_request(await _body(request, "UpdateHealthCheckRequest"))
    check = await deps.health_checks(request).update(deps.account(request), HealthCheckId, change)
    return XmlResponse("UpdateHealthCheckResponse", {"HealthCheck": shapes.health_check(check)})


@router.delete("/healthcheck/{HealthCheckId}", name="DeleteHealthCheck")
async def delete_health_check(HealthCheckId: str, request: Request) -> XmlResponse:
    wire.check_members({"HealthCheckId": HealthCheckId}, (shapes.HEALTH_CHECK_ID,))
    await deps.health_checks(request).delete(deps.account(request), HealthCheckId)
    return XmlResponse("DeleteHealthCheckResponse", None)


@router.get("/healthcheck/{HealthCheckId}/status", name="GetHealthCheckStatus")
async def get_health_check_status(HealthCheckId: str, request: Request) -> XmlResponse:
    wire.check_members({"HealthCheckId": HealthCheckId}, (shapes.HEALTH_CHECK_ID,))
    observations = await deps.health_checks(request).status(deps.account(request), HealthCheckId)
    return XmlResponse("GetHealthCheckStatusResponse", shapes.health_check_observations(observations))


@router.get("/healthcheck/{HealthCheckId}/lastfailurereason", name="GetHealthCheckLastFailureReason")
async def get_health_check_last_failure_reason(HealthCheckId: str, request: Request) -> XmlResponse:
    wire.check_members({"HealthCheckId": HealthCheckId}, (shapes.HEALTH_CHECK_ID,))
    observations = await deps.health_checks(request).last_failure_reason(deps.account(request), HealthCheckId)
    return XmlResponse("GetHealthCheckLastFailureReasonResponse", shapes.health_check_observations(observations))
