"""The REST-XML protocol layer: bad bodies are 400 InvalidInput ErrorResponses, never 500 and never a
partial write; every response carries the request id; responses parse with botocore."""

import uuid

import pytest

from tests.wire import NAMESPACE, assert_error, create_zone_body, parse

BAD_BODIES = {
    "not xml": (b"this is not xml", "Invalid XML ; syntax error: line 1, column 0"),
    "unclosed": (f'<CreateHostedZoneRequest xmlns="{NAMESPACE}"><Name>a.com</Name>'.encode(), None),
    "doctype": (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x "y">]>'
        + f'<CreateHostedZoneRequest xmlns="{NAMESPACE}"><Name>&x;</Name></CreateHostedZoneRequest>'.encode(),
        "Invalid XML ; DOCTYPE is disallowed.",
    ),
    "no namespace": (
        b"<CreateHostedZoneRequest><Name>a.com</Name><CallerReference>r</CallerReference></CreateHostedZoneRequest>",
        "Invalid XML ; cvc-elt.1: Cannot find the declaration of element 'CreateHostedZoneRequest'.",
    ),
    "wrong root": (
        f'<Other xmlns="{NAMESPACE}"><Name>a.com</Name></Other>'.encode(),
        "Invalid XML ; cvc-elt.1: Cannot find the declaration of element 'Other'.",
    ),
    "unknown element": (
        create_zone_body("a.com", "r", extra="<Bogus>1</Bogus>").encode(),
        "Invalid XML ; cvc-complex-type.2.4.a: Invalid content was found starting with element 'Bogus'.",
    ),
    "element for a string": (
        f'<CreateHostedZoneRequest xmlns="{NAMESPACE}"><Name><X>a</X></Name><CallerReference>r</CallerReference>'
        "</CreateHostedZoneRequest>".encode(),
        "Invalid XML ; cvc-type.3.1.2: Element 'Name' is a simple type, so it must have no element information "
        "item [children].",
    ),
    "repeated element": (
        f'<CreateHostedZoneRequest xmlns="{NAMESPACE}"><Name>a.com</Name><Name>b.com</Name>'
        "<CallerReference>r</CallerReference></CreateHostedZoneRequest>".encode(),
        "Invalid XML ; cvc-complex-type.2.4.d: Element 'Name' may occur only once.",
    ),
    "wrong boolean": (
        create_zone_body(
            "a.com", "r", extra="<HostedZoneConfig><PrivateZone>yes</PrivateZone></HostedZoneConfig>"
        ).encode(),
        "Invalid XML ; cvc-datatype-valid.1.2.1: 'yes' is not a valid value for 'boolean'.",
    ),
    "over size": (
        create_zone_body("a.com", "r", comment="x" * 1_100_000).encode(),
        "Invalid XML ; the request body is larger than 1048576 bytes.",
    ),
}


@pytest.mark.parametrize("case", BAD_BODIES, ids=list(BAD_BODIES))
async def test_bad_bodies_are_invalid_input_and_write_nothing(client, case):
    body, message = BAD_BODIES[case]
    response = await client.post("/2013-04-01/hostedzone", content=body)
    error = assert_error(response, 400, "InvalidInput", message)
    assert error["Message"].startswith("Invalid XML ; ")
    count = parse("GetHostedZoneCount", await client.get("/2013-04-01/hostedzonecount"))
    assert count["HostedZoneCount"] == 0


async def test_every_response_has_a_fresh_request_id_and_the_namespace(client):
    ok = await client.post("/2013-04-01/hostedzone", content=create_zone_body("a.example", "r1"))
    missing = await client.get("/2013-04-01/hostedzone/ZMISSING")
    unknown = await client.get("/2013-04-01/nothing-here")
    ids = {response.headers["x-amzn-requestid"] for response in (ok, missing, unknown)}
    assert len(ids) == 3 and all(uuid.UUID(value) for value in ids)
    assert parse("GetHostedZone", missing)["ResponseMetadata"]["RequestId"] == missing.headers["x-amzn-requestid"]
    assert ok.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<CreateHostedZoneResponse xmlns="')
    assert f'<ErrorResponse xmlns="{NAMESPACE}"><Error><Type>Sender</Type><Code>'.encode() in missing.content
    assert_error(unknown, 404, "InvalidInput", "No operation serves GET /2013-04-01/nothing-here.")


async def test_create_hosted_zone_elements_are_in_model_order(client):
    response = await client.post("/2013-04-01/hostedzone", content=create_zone_body("order.example", "r", "c"))
    text = response.text
    positions = [text.index(f"<{name}>") for name in ("HostedZone", "ChangeInfo", "DelegationSet")]
    assert positions == sorted(positions)
    zone = [text.index(f"<{name}>") for name in ("Id", "Name", "CallerReference", "Config", "ResourceRecordSetCount")]
    assert zone == sorted(zone)
    change = text[text.index("<ChangeInfo>") :]
    assert [change.index(f"<{n}>") for n in ("Id", "Status", "SubmittedAt")] == sorted(
        change.index(f"<{n}>") for n in ("Id", "Status", "SubmittedAt")
    )


async def test_unexpected_failure_is_a_500_internal_failure_xml(app, client, monkeypatch):
    async def broken(*_args, **_kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(app.state.hosted_zones, "count", broken)
    response = await client.get("/2013-04-01/hostedzonecount")
    assert_error(response, 500, "InternalFailure", "An internal error occurred. Retry the request.")


def zone_request(inner: str) -> str:
    return f'<CreateHostedZoneRequest xmlns="{NAMESPACE}"><Name>a.example</Name><CallerReference>r</CallerReference>{inner}</CreateHostedZoneRequest>'


WRONG_SHAPES = {
    "text in a complex element": ("/2013-04-01/hostedzone", zone_request("<VPC>vpc-1</VPC>")),
    "element in a nested simple one": (
        "/2013-04-01/hostedzone",
        zone_request("<HostedZoneConfig><Comment><B>x</B></Comment></HostedZoneConfig>"),
    ),
    "unknown nested element": (
        "/2013-04-01/hostedzone",
        zone_request("<HostedZoneConfig><Colour>red</Colour></HostedZoneConfig>"),
    ),
    "repeated nested element": (
        "/2013-04-01/hostedzone",
        zone_request("<VPC><VPCId>vpc-0123456789abcdef0</VPCId><VPCId>vpc-0123456789abcdef1</VPCId></VPC>"),
    ),
    "tag without key": (
        "/2013-04-01/tags/hostedzone/ZANY",
        f'<ChangeTagsForResourceRequest xmlns="{NAMESPACE}"><AddTags><Tag><Value>v</Value></Tag></AddTags></ChangeTagsForResourceRequest>',
    ),
    "tag with nested key": (
        "/2013-04-01/tags/hostedzone/ZANY",
        f'<ChangeTagsForResourceRequest xmlns="{NAMESPACE}"><AddTags><Tag><Key><K/></Key></Tag></AddTags></ChangeTagsForResourceRequest>',
    ),
    "tags as text": (
        "/2013-04-01/tags/hostedzone/ZANY",
        f'<ChangeTagsForResourceRequest xmlns="{NAMESPACE}"><AddTags>oops</AddTags></ChangeTagsForResourceRequest>',
    ),
    "comment with children": (
        "/2013-04-01/hostedzone/ZANY",
        f'<UpdateHostedZoneCommentRequest xmlns="{NAMESPACE}"><Comment><X/></Comment></UpdateHostedZoneCommentRequest>',
    ),
    "ksk name with children": (
        "/2013-04-01/keysigningkey",
        f'<CreateKeySigningKeyRequest xmlns="{NAMESPACE}"><Name><X/></Name></CreateKeySigningKeyRequest>',
    ),
}


@pytest.mark.parametrize("case", WRONG_SHAPES, ids=list(WRONG_SHAPES))
async def test_wrong_shapes_are_invalid_input_never_500(client, case):
    path, body = WRONG_SHAPES[case]
    response = await client.post(path, content=body)
    error = assert_error(response, 400, "InvalidInput")
    assert error["Message"].startswith(("Invalid XML ; cvc-", "1 validation error detected: Value null at 'key'"))


@pytest.mark.parametrize(
    "path",
    [
        "/2013-04-01/hostedzone?marker=%01",
        "/2013-04-01/hostedzonesbyname?dnsname=a%01b.com",
        "/2013-04-01/hostedzone/Z%00/dnssec",
        "/2013-04-01/change/C%0B",
        "/2013-04-01/hostedzone/Z%1F",
    ],
)
async def test_control_characters_in_the_uri_are_invalid_input(client, path):
    response = await client.get(path)
    assert_error(response, 400, "InvalidInput", "The request URI contains a character that is not allowed.")


async def test_errors_echoing_odd_text_stay_well_formed(client):
    response = await client.get("/2013-04-01/nothing%01here")
    assert response.status_code == 404
    assert "\ufffd" in parse("GetHostedZone", response)["Error"]["Message"]


@pytest.mark.parametrize("value", ["²", "9" * 5000, "-1", "0", "1.5"])
async def test_odd_maxitems_are_invalid_input(client, value):
    response = await client.get("/2013-04-01/hostedzone", params={"maxitems": value})
    assert_error(response, 400, "InvalidInput")


async def test_a_trailing_slash_is_an_xml_404_not_a_redirect(client):
    response = await client.get("/2013-04-01/hostedzone/")
    assert_error(response, 404, "InvalidInput", "No operation serves GET /2013-04-01/hostedzone/.")


async def test_a_body_announced_larger_than_the_cap_is_refused_unread(client):
    async def endless():
        for _ in range(10_000):
            yield b"x" * 1024

    response = await client.post(
        "/2013-04-01/hostedzone", content=endless(), headers={"content-length": str(10_240_000)}
    )
    assert_error(response, 400, "InvalidInput", "Invalid XML ; the request body is larger than 1048576 bytes.")


async def test_vpc_region_outside_the_model_enum_is_invalid_input(client):
    vpc = f"<VPC><VPCRegion>{'r' * 70}</VPCRegion><VPCId>vpc-0123456789abcdef0</VPCId></VPC>"
    response = await client.post("/2013-04-01/hostedzone", content=create_zone_body("v.example", "v", extra=vpc))
    assert_error(
        response,
        400,
        "InvalidInput",
        f"1 validation error detected: Value '{'r' * 70}' at 'vPC.vPCRegion' failed to satisfy constraint: Member must satisfy enum value set",
    )
