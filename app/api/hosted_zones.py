"""Hosted-zone, tag (hosted zones and health checks), record-set and change routes (Route 53 API Reference,
2013-04-01)."""

import re
from functools import cache
from typing import Any

import botocore.session
from fastapi import APIRouter, Request

from app.api import deps
from app.api.xml_route import XmlResponse, XmlRoute, request_elements
from app.errors import InvalidInput, InvalidVPCId, NoSuchDelegationSet
from app.protocol import health_checks as health_check_shapes
from app.protocol import route53 as wire
from app.services.hosted_zones import CreateZone, ZonePage, name_servers, normalise_zone_name

router = APIRouter(prefix="/2013-04-01", route_class=XmlRoute)

ZONE_ID = (wire.Member("Id", "id", max_length=32),)
CREATE_MEMBERS = (
    wire.Member("Name", "name", max_length=1024),
    wire.Member("CallerReference", "callerReference", min_length=1, max_length=128),
    wire.Member("DelegationSetId", "delegationSetId", required=False, max_length=32),
)
_VPC_ID = re.compile(r"vpc-[0-9a-f]{8,17}")
MAX_ITEMS_LIMIT = 100
_MAX_ITEMS = re.compile(r"[0-9]{1,9}")


@cache
def vpc_regions() -> frozenset[str]:
    """The ``VPCRegion`` enum of the botocore route53 model."""
    shape = botocore.session.get_session().get_service_model("route53").shape_for("VPCRegion")
    return frozenset(shape.metadata["enum"])


def max_items(value: str | None, default: int = MAX_ITEMS_LIMIT, limit: int = MAX_ITEMS_LIMIT) -> int:
    """``maxitems`` as an integer: ``default`` when absent, at most ``limit`` (100 zones per page)."""
    if value is None:
        return default
    if not _MAX_ITEMS.fullmatch(value) or int(value) < 1:
        raise wire.validation_error(
            [f"Value '{value}' at 'maxItems' failed to satisfy constraint: Member must be a positive integer"]
        )
    return min(int(value), limit)


@router.post("/hostedzone", name="CreateHostedZone")
async def create_hosted_zone(request: Request) -> XmlResponse:
    body = await request_elements(
        request,
        "CreateHostedZoneRequest",
        ("Name", "VPC", "CallerReference", "HostedZoneConfig", "DelegationSetId"),
        nested=("VPC", "HostedZoneConfig"),
    )
    values = wire.text_members(body, ("Name", "CallerReference", "DelegationSetId"))
    wire.check_members(values, CREATE_MEMBERS)
    config = wire.element_children(body.get("HostedZoneConfig"), "HostedZoneConfig", ("Comment", "PrivateZone"))
    comment = config.get("Comment")
    wire.check_members({"Comment": comment}, (wire.Member("Comment", "comment", False, max_length=256),))
    vpc = wire.element_children(body.get("VPC"), "VPC", ("VPCRegion", "VPCId"))
    vpc_id, vpc_region = vpc.get("VPCId"), vpc.get("VPCRegion")
    if vpc_region is not None and vpc_region not in vpc_regions():
        raise wire.validation_error(
            [
                f"Value '{vpc_region}' at 'vPC.vPCRegion' failed to satisfy constraint: "
                "Member must satisfy enum value set"
            ]
        )
    if "PrivateZone" in config and wire.parse_boolean(config["PrivateZone"]) and not vpc_id:
        raise InvalidInput("When you're creating a private hosted zone, you must specify a VPC.")
    if vpc and (not vpc_id or not _VPC_ID.fullmatch(vpc_id)):
        raise InvalidVPCId(f"The VPC ID '{vpc_id or ''}' is not valid.")
    if values["DelegationSetId"] is not None:
        raise NoSuchDelegationSet(f"A reusable delegation set with the ID {values['DelegationSetId']} does not exist.")
    name = normalise_zone_name(str(values["Name"]))
    write = CreateZone(name, str(values["CallerReference"]), comment, vpc_id, vpc_region or (vpc_id and "us-east-1"))
    zone, change = await deps.hosted_zones(request).create(deps.account(request), write)
    content: dict[str, Any] = {
        "HostedZone": wire.hosted_zone(zone),
        "ChangeInfo": wire.change_info(change, "PENDING"),
        "DelegationSet": None if zone.private_zone else wire.delegation_set(name_servers(zone.id)),
        "VPC": wire.vpc(zone) if zone.private_zone else None,
    }
    location = f"{deps.base_url(request)}/2013-04-01/hostedzone/{zone.id}"
    return XmlResponse("CreateHostedZoneResponse", content, 201, headers={"Location": location})


@router.get("/hostedzone", name="ListHostedZones")
async def list_hosted_zones(request: Request) -> XmlResponse:
    query = request.query_params
    marker, delegation_set = query.get("marker"), query.get("delegationsetid")
    wire.check_members(
        {"marker": marker, "delegationsetid": delegation_set},
        (
            wire.Member("marker", "marker", False, max_length=64),
            wire.Member("delegationsetid", "delegationSetId", False, max_length=32),
        ),
    )
    zone_type = query.get("hostedzonetype")
    if zone_type not in (None, "PrivateHostedZone"):
        raise wire.validation_error(
            [
                f"Value '{zone_type}' at 'hostedZoneType' failed to satisfy constraint: Member must satisfy "
                "enum value set: [PrivateHostedZone]"
            ]
        )
    if delegation_set is not None:
        raise NoSuchDelegationSet(f"A reusable delegation set with the ID {delegation_set} does not exist.")
    limit = max_items(query.get("maxitems"))
    page = await deps.hosted_zones(request).list(deps.account(request), marker, limit, zone_type is not None)
    content = {
        "HostedZones": wire.hosted_zones_xml(page.zones),
        "Marker": marker,
        "IsTruncated": page.next_zone is not None,
        "NextMarker": page.next_zone.id if page.next_zone else None,
        "MaxItems": str(limit),
    }
    return XmlResponse("ListHostedZonesResponse", content)


@router.get("/hostedzonesbyname", name="ListHostedZonesByName")
async def list_hosted_zones_by_name(request: Request) -> XmlResponse:
    query = request.query_params
    dns_name, zone_id = query.get("dnsname"), query.get("hostedzoneid")
    wire.check_members(
        {"dnsname": dns_name, "hostedzoneid": zone_id},
        (
            wire.Member("dnsname", "dNSName", False, max_length=1024),
            wire.Member("hostedzoneid", "hostedZoneId", False, max_length=32),
        ),
    )
    if zone_id is not None and dns_name is None:
        raise InvalidInput("If you specify a value for HostedZoneId, you must also specify a value for DNSName.")
    limit = max_items(query.get("maxitems"))
    page: ZonePage = await deps.hosted_zones(request).list_by_name(deps.account(request), dns_name, zone_id, limit)
    content = {
        "HostedZones": wire.hosted_zones_xml(page.zones),
        "DNSName": dns_name,
        "HostedZoneId": zone_id,
        "IsTruncated": page.next_zone is not None,
        "NextDNSName": page.next_zone.name if page.next_zone else None,
        "NextHostedZoneId": page.next_zone.id if page.next_zone else None,
        "MaxItems": str(limit),
    }
    return XmlResponse("ListHostedZonesByNameResponse", content)


@router.get("/hostedzonecount", name="GetHostedZoneCount")
async def get_hosted_zone_count(request: Request) -> XmlResponse:
    return XmlResponse(
        "GetHostedZoneCountResponse", {"HostedZoneCount": await deps.hosted_zones(request).count(deps.account(request))}
    )


@router.get("/hostedzone/{Id}", name="GetHostedZone")
async def get_hosted_zone(Id: str, request: Request) -> XmlResponse:
    wire.check_members({"Id": Id}, ZONE_ID)
    zone = await deps.hosted_zones(request).get(deps.account(request), Id)
    content: dict[str, Any] = {"HostedZone": wire.hosted_zone(zone)}
    if zone.private_zone:
        content["VPCs"] = {"VPC": [wire.vpc(zone)]}
    else:
        content["DelegationSet"] = wire.delegation_set(name_servers(zone.id))
    return XmlResponse("GetHostedZoneResponse", content)


@router.post("/hostedzone/{Id}", name="UpdateHostedZoneComment")
async def update_hosted_zone_comment(Id: str, request: Request) -> XmlResponse:
    wire.check_members({"Id": Id}, ZONE_ID)
    body = await request_elements(request, "UpdateHostedZoneCommentRequest", ("Comment",))
    comment = body.get("Comment")
    wire.check_members({"Comment": comment}, (wire.Member("Comment", "comment", False, max_length=256),))
    zone = await deps.hosted_zones(request).update_comment(deps.account(request), Id, comment or None)
    return XmlResponse("UpdateHostedZoneCommentResponse", {"HostedZone": wire.hosted_zone(zone)})


@router.delete("/hostedzone/{Id}", name="DeleteHostedZone")
async def delete_hosted_zone(Id: str, request: Request) -> XmlResponse:
    wire.check_members({"Id": Id}, ZONE_ID)
    change = await deps.hosted_zones(request).delete(deps.account(request), Id)
    return XmlResponse("DeleteHostedZoneResponse", {"ChangeInfo": wire.change_info(change, "PENDING")})


@router.get("/change/{Id}", name="GetChange")
async def get_change(Id: str, request: Request) -> XmlResponse:
    wire.check_members({"Id": Id}, (wire.Member("Id", "id", min_length=1, max_length=6500),))
    change, status = await deps.changes(request).get(deps.account(request), Id)
    return XmlResponse("GetChangeResponse", {"ChangeInfo": wire.change_info(change, status)})


def _resource_type(resource_type: str) -> None:
    if resource_type not in ("hostedzone", "healthcheck"):
        raise wire.validation_error(
            [
                f"Value '{resource_type}' at 'resourceType' failed to satisfy constraint: Member must satisfy "
                "enum value set: [healthcheck, hostedzone]"
            ]
        )


def _tag_resource(resource_type: str, resource_id: str) -> None:
    _resource_type(resource_type)
    wire.check_members({"Id": resource_id}, (wire.Member("Id", "resourceId", max_length=64),))


def _resource_tag_set(resource_type: str, resource_id: str, tags: dict[str, str]) -> dict[str, Any]:
    return {
        "ResourceType": resource_type,
        "ResourceId": resource_id,
        "Tags": {"Tag": [{"Key": key, "Value": value} for key, value in tags.items()]},
    }


@router.post("/tags/{ResourceType}/{ResourceId}", name="ChangeTagsForResource")
async def change_tags_for_resource(ResourceType: str, ResourceId: str, request: Request) -> XmlResponse:
    _tag_resource(ResourceType, ResourceId)
    body = await request_elements(
        request,
        "ChangeTagsForResourceRequest",
        ("AddTags", "RemoveTagKeys"),
        nested=("AddTags", "RemoveTagKeys"),
    )
    add = _tags(body.get("AddTags"))
    remove = tuple(
        wire.element_children(body.get("RemoveTagKeys"), "RemoveTagKeys", ("Key",), repeated=("Key",)).get("Key", [])
    )
    if len(add) > 10 or len(remove) > 10:
        raise InvalidInput("You can add or remove at most 10 tags in one request.")
    if ResourceType == "healthcheck":
        await deps.health_checks(request).change_tags(deps.account(request), ResourceId, add, remove)
    else:
        await deps.hosted_zones(request).change_tags(deps.account(request), ResourceId, add, remove)
    return XmlResponse("ChangeTagsForResourceResponse", None)


@router.get("/tags/{ResourceType}/{ResourceId}", name="ListTagsForResource")
async def list_tags_for_resource(ResourceType: str, ResourceId: str, request: Request) -> XmlResponse:
    _tag_resource(ResourceType, ResourceId)
    if ResourceType == "healthcheck":
        tags = (await deps.health_checks(request).tags(deps.account(request), [ResourceId]))[ResourceId]
    else:
        tags = await deps.hosted_zones(request).tags(deps.account(request), ResourceId)
    content = {"ResourceTagSet": _resource_tag_set(ResourceType, ResourceId, tags)}
    return XmlResponse("ListTagsForResourceResponse", content)


@router.post("/tags/{ResourceType}", name="ListTagsForResources")
async def list_tags_for_resources(ResourceType: str, request: Request) -> XmlResponse:
    """Tags of up to 10 health checks or hosted zones, in the order asked (external-dns, octoDNS)."""
    _resource_type(ResourceType)
    allowed, nested = health_check_shapes.body_members("ListTagsForResourcesRequest")
    body = await request_elements(request, "ListTagsForResourcesRequest", allowed, nested)
    ids = health_check_shapes.resource_ids(body)
    if ResourceType == "healthcheck":
        tags = await deps.health_checks(request).tags(deps.account(request), ids)
    else:
        tags = {
            resource_id: await deps.hosted_zones(request).tags(deps.account(request), resource_id)
            for resource_id in ids
        }
    sets = [_resource_tag_set(ResourceType, resource_id, tags[resource_id]) for resource_id in ids]
    return XmlResponse("ListTagsForResourcesResponse", {"ResourceTagSets": {"ResourceTagSet": sets}})


def _tags(element: Any) -> dict[str, str]:
    """``AddTags``: each ``Tag`` needs a Key (1-128 characters) and may have a Value (up to 256)."""
    tags: dict[str, str] = {}
    for tag in wire.element_children(element, "AddTags", ("Tag",), nested=("Tag",), repeated=("Tag",)).get("Tag", []):
        fields = wire.element_children(tag, "Tag", ("Key", "Value"))
        values = {"Key": fields.get("Key"), "Value": fields.get("Value", "")}
        wire.check_members(
            values,
            (wire.Member("Key", "key", min_length=1, max_length=128), wire.Member("Value", "value", max_length=256)),
        )
        tags[str(values["Key"])] = str(values["Value"])
    return tags
