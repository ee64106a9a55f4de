"""Key-signing-key and zone-signing routes (Route 53 API Reference: CreateKeySigningKey,
ActivateKeySigningKey, DeactivateKeySigningKey, DeleteKeySigningKey, GetDNSSEC,
EnableHostedZoneDNSSEC, DisableHostedZoneDNSSEC)."""

from fastapi import APIRouter, Request

from app.api import deps
from app.api.xml_route import XmlResponse, XmlRoute, request_elements
from app.protocol import route53 as wire
from app.services.views import ChangeView

router = APIRouter(prefix="/2013-04-01", route_class=XmlRoute)

CREATE_MEMBERS = (
    wire.Member("CallerReference", "callerReference", min_length=1, max_length=128),
    wire.Member("HostedZoneId", "hostedZoneId", max_length=32),
    wire.Member("KeyManagementServiceArn", "keyManagementServiceArn"),
    wire.Member("Name", "name", min_length=3, max_length=128),
    wire.Member("Status", "status", min_length=5, max_length=150),
)
KEY_PATH = (
    wire.Member("HostedZoneId", "hostedZoneId", max_length=32),
    wire.Member("Name", "name", min_length=3, max_length=128),
)
ZONE_PATH = (wire.Member("Id", "hostedZoneId", max_length=32),)


def change_response(root: str, change: ChangeView) -> XmlResponse:
    return XmlResponse(root, {"ChangeInfo": wire.change_info(change, "PENDING")})


@router.post("/keysigningkey", name="CreateKeySigningKey")
async def create_key_signing_key(request: Request) -> XmlResponse:
    body = await request_elements(
        request,
        "CreateKeySigningKeyRequest",
        tuple(member.wire for member in CREATE_MEMBERS),
    )
    values = wire.text_members(body, tuple(member.wire for member in CREATE_MEMBERS))
    wire.check_members(values, CREATE_MEMBERS)
    zone_id, name = str(values["HostedZoneId"]), str(values["Name"])
    key, change = await deps.key_signing_keys(request).create(
        deps.account(request), zone_id, name, str(values["KeyManagementServiceArn"]), str(values["Status"])
    )
    content = {"ChangeInfo": wire.change_info(change, "PENDING"), "KeySigningKey": wire.key_signing_key(key)}
    location = f"{deps.base_url(request)}/2013-04-01/keysigningkey/{zone_id}/{name}"
    return XmlResponse("CreateKeySigningKeyResponse", content, 201, headers={"Location": location})


@router.post("/keysigningkey/{HostedZoneId}/{Name}/activate", name="ActivateKeySigningKey")
async def activate_key_signing_key(HostedZoneId: str, Name: str, request: Request) -> XmlResponse:
    wire.check_members({"HostedZoneId": HostedZoneId, "Name": Name}, KEY_PATH)
    return change_response(
        "ActivateKeySigningKeyResponse",
        await deps.key_signing_keys(request).activate(deps.account(request), HostedZoneId, Name),
    )


@router.post("/keysigningkey/{HostedZoneId}/{Name}/deactivate", name="DeactivateKeySigningKey")
async def deactivate_key_signing_key(HostedZoneId: str, Name: str, request: Request) -> XmlResponse:
    wire.check_members({"HostedZoneId": HostedZoneId, "Name": Name}, KEY_PATH)
    return change_response(
        "DeactivateKeySigningKeyResponse",
        await deps.key_signing_keys(request).deactivate(deps.account(request), HostedZoneId, Name),
    )


@router.delete("/keysigningkey/{HostedZoneId}/{Name}", name="DeleteKeySigningKey")
async def delete_key_signing_key(HostedZoneId: str, Name: str, request: Request) -> XmlResponse:
    wire.check_members({"HostedZoneId": HostedZoneId, "Name": Name}, KEY_PATH)
    return change_response(
        "DeleteKeySigningKeyResponse",
        await deps.key_signing_keys(request).delete(deps.account(request), HostedZoneId, Name),
    )


@router.get("/hostedzone/{Id}/dnssec", name="GetDNSSEC")
async def get_dnssec(Id: str, request: Request) -> XmlResponse:
    wire.check_members({"Id": Id}, ZONE_PATH)
    return XmlResponse(
        "GetDNSSECResponse", wire.dnssec_status(await deps.dnssec(request).get(deps.account(request), Id))
    )


@router.post("/hostedzone/{Id}/enable-dnssec", name="EnableHostedZoneDNSSEC")
async def enable_hosted_zone_dnssec(Id: str, request: Request) -> XmlResponse:
    wire.check_members({"Id": Id}, ZONE_PATH)
    return change_response(
        "EnableHostedZoneDNSSECResponse", await deps.dnssec(request).enable(deps.account(request), Id)
    )


@router.post("/hostedzone/{Id}/disable-dnssec", name="DisableHostedZoneDNSSEC")
async def disable_hosted_zone_dnssec(Id: str, request: Request) -> XmlResponse:
    wire.check_members({"Id": Id}, ZONE_PATH)
    return change_response(
        "DisableHostedZoneDNSSECResponse", await deps.dnssec(request).disable(deps.account(request), Id)
    )
