"""Hosted zones in process: every operation, its errors, exact codes and messages."""

import re
import uuid

import httpx

from tests.wire import NAMESPACE, assert_error, create_zone_body, parse

ZONE_ID = re.compile(r"/hostedzone/Z[A-Z0-9]{12,20}")


async def create_zone(client: httpx.AsyncClient, name: str = "example.com", **kwargs: str) -> dict:
    body = create_zone_body(name, kwargs.pop("caller_reference", uuid.uuid4().hex), **kwargs)
    response = await client.post("/2013-04-01/hostedzone", content=body)
    assert response.status_code == 201, response.text
    return parse("CreateHostedZone", response)


async def test_create_hosted_zone_answers_201_with_location_zone_change_and_delegation_set(client):
    response = await client.post(
        "/2013-04-01/hostedzone", content=create_zone_body("Example.COM", "ref-1", comment="hello")
    )
    assert response.status_code == 201
    parsed = parse("CreateHostedZone", response)
    zone = parsed["HostedZone"]
    assert ZONE_ID.fullmatch(zone["Id"])
    assert zone["Name"] == "example.com."
    assert zone["CallerReference"] == "ref-1"
    assert zone["Config"] == {"Comment": "hello", "PrivateZone": False}
    assert zone["ResourceRecordSetCount"] == 2
    assert parsed["Location"] == f"https://route53.amazonaws.com/2013-04-01/hostedzone/{zone['Id'].split('/')[-1]}"
    assert parsed["ChangeInfo"]["Status"] == "PENDING"
    assert re.fullmatch(r"/change/C[A-Z0-9]{12,20}", parsed["ChangeInfo"]["Id"])
    servers = parsed["DelegationSet"]["NameServers"]
    assert len(servers) == 4 and all("awsdns" in server for server in servers)
    assert b"<NameServers><NameServer>" in response.content
    assert response.headers["content-type"] == "text/xml; charset=utf-8"


async def test_reused_caller_reference_is_hosted_zone_already_exists(client):
    await create_zone(client, caller_reference="same")
    response = await client.post("/2013-04-01/hostedzone", content=create_zone_body("other.com", "same"))
    assert_error(
        response,
        409,
        "HostedZoneAlreadyExists",
        "A hosted zone has already been created with the specified caller reference.",
    )


async def test_invalid_domain_names(client):
    response = await client.post("/2013-04-01/hostedzone", content=create_zone_body("bad..name.com", "r1"))
    assert_error(response, 400, "InvalidDomainName", "bad..name.com is not a valid domain name.")
    long_label = "a" * 64 + ".com"
    response = await client.post("/2013-04-01/hostedzone", content=create_zone_body(long_label, "r2"))
    assert_error(response, 400, "InvalidDomainName", f"{long_label} is not a valid domain name.")


async def test_create_hosted_zone_validation_errors_list_every_member(client):
    response = await client.post("/2013-04-01/hostedzone", content=create_zone_body(None, "x" * 129))  # type: ignore[arg-type]
    assert_error(
        response,
        400,
        "InvalidInput",
        "2 validation errors detected: Value null at 'name' failed to satisfy constraint: Member must not be null; "
        f"Value '{'x' * 129}' at 'callerReference' failed to satisfy constraint: Member must have length less than "
        "or equal to 128",
    )
    response = await client.post("/2013-04-01/hostedzone", content=create_zone_body("a.com", "r", comment="c" * 257))
    assert_error(response, 400, "InvalidInput")


async def test_private_zone_needs_a_vpc_and_answers_vpc_not_delegation_set(client):
    body = create_zone_body(
        "private.example", "p1", extra="<HostedZoneConfig><PrivateZone>true</PrivateZone></HostedZoneConfig>"
    )
    assert_error(await client.post("/2013-04-01/hostedzone", content=body), 400, "InvalidInput")
    vpc = "<VPC><VPCRegion>us-east-1</VPCRegion><VPCId>vpc-0123456789abcdef0</VPCId></VPC>"
    body = create_zone_body("private.example", "p2", extra=vpc)
    response = await client.post("/2013-04-01/hostedzone", content=body)
    parsed = parse("CreateHostedZone", response)
    assert parsed["HostedZone"]["Config"]["PrivateZone"] is True
    assert parsed["VPC"] == {"VPCRegion": "us-east-1", "VPCId": "vpc-0123456789abcdef0"}
    assert "DelegationSet" not in parsed
    bad = create_zone_body("p.example", "p3", extra="<VPC><VPCRegion>us-east-1</VPCRegion><VPCId>nope</VPCId></VPC>")
    assert_error(await client.post("/2013-04-01/hostedzone", content=bad), 400, "InvalidVPCId")


async def test_get_hosted_zone_and_missing_zone(client):
    created = await create_zone(client, "get.example.com")
    zone_id = created["HostedZone"]["Id"].split("/")[-1]
    parsed = parse("GetHostedZone", await client.get(f"/2013-04-01/hostedzone/{zone_id}"))
    assert parsed["HostedZone"] == created["HostedZone"]
    assert parsed["DelegationSet"] == created["DelegationSet"]
    response = await client.get("/2013-04-01/hostedzone/ZNOTTHERE123")
    assert_error(response, 404, "NoSuchHostedZone", "No hosted zone found with ID: ZNOTTHERE123")
    response = await client.get("/2013-04-01/hostedzone/" + "Z" * 33)
    assert_error(
        response,
        400,
        "InvalidInput",
        f"1 validation error detected: Value '{'Z' * 33}' at 'id' failed to satisfy constraint: Member must have "
        "length less than or equal to 32",
    )


async def test_list_hosted_zones_pages_in_stable_id_order(client):
    ids = sorted([(await create_zone(client, f"z{i}.example"))["HostedZone"]["Id"] for i in range(5)])
    first = parse("ListHostedZones", await client.get("/2013-04-01/hostedzone", params={"maxitems": "2"}))
    assert [zone["Id"] for zone in first["HostedZones"]] == ids[:2]
    assert first["IsTruncated"] is True and first["MaxItems"] == "2"
    assert "Marker" not in first
    assert first["NextMarker"] == ids[2].split("/")[-1]
    rest = parse(
        "ListHostedZones",
        await client.get("/2013-04-01/hostedzone", params={"maxitems": "10", "marker": first["NextMarker"]}),
    )
    assert [zone["Id"] for zone in rest["HostedZones"]] == ids[2:]
    assert rest["IsTruncated"] is False and "NextMarker" not in rest and rest["Marker"] == first["NextMarker"]
    response = await client.get("/2013-04-01/hostedzone", params={"maxitems": "many"})
    assert_error(response, 400, "InvalidInput")


async def test_list_hosted_zones_by_name_orders_by_reversed_labels(client):
    for name in ("b.example.org", "a.example.com", "example.com", "c.example.net"):
        await create_zone(client, name)
    parsed = parse("ListHostedZonesByName", await client.get("/2013-04-01/hostedzonesbyname"))
    assert [zone["Name"] for zone in parsed["HostedZones"]] == [
        "example.com.",
        "a.example.com.",
        "c.example.net.",
        "b.example.org.",
    ]
    page = parse(
        "ListHostedZonesByName",
        await client.get("/2013-04-01/hostedzonesbyname", params={"dnsname": "example.net", "maxitems": "1"}),
    )
    assert [zone["Name"] for zone in page["HostedZones"]] == ["c.example.net."]
    assert page["NextDNSName"] == "b.example.org." and page["IsTruncated"] is True


async def test_count_comment_and_delete(client):
    created = await create_zone(client, "count.example")
    zone_id = created["HostedZone"]["Id"].split("/")[-1]
    assert parse("GetHostedZoneCount", await client.get("/2013-04-01/hostedzonecount"))["HostedZoneCount"] == 1
    body = (
        f'<UpdateHostedZoneCommentRequest xmlns="{NAMESPACE}"><Comment>new</Comment></UpdateHostedZoneCommentRequest>'
    )
    updated = parse("UpdateHostedZoneComment", await client.post(f"/2013-04-01/hostedzone/{zone_id}", content=body))
    assert updated["HostedZone"]["Config"]["Comment"] == "new"
    deleted = parse("DeleteHostedZone", await client.delete(f"/2013-04-01/hostedzone/{zone_id}"))
    assert deleted["ChangeInfo"]["Status"] == "PENDING"
    assert_error(await client.get(f"/2013-04-01/hostedzone/{zone_id}"), 404, "NoSuchHostedZone")
    assert_error(await client.delete(f"/2013-04-01/hostedzone/{zone_id}"), 404, "NoSuchHostedZone")
    change_id = deleted["ChangeInfo"]["Id"].split("/")[-1]
    change = parse("GetChange", await client.get(f"/2013-04-01/change/{change_id}"))
    assert change["ChangeInfo"]["Status"] == "INSYNC"


async def test_resource_record_sets_are_the_apex_soa_and_ns(client):
    created = await create_zone(client, "records.example")
    zone_id = created["HostedZone"]["Id"].split("/")[-1]
    parsed = parse("ListResourceRecordSets", await client.get(f"/2013-04-01/hostedzone/{zone_id}/rrset"))
    sets = parsed["ResourceRecordSets"]
    assert [(s["Name"], s["Type"]) for s in sets] == [("records.example.", "NS"), ("records.example.", "SOA")]
    assert [r["Value"] for r in sets[0]["ResourceRecords"]] == [
        f"{ns}." for ns in created["DelegationSet"]["NameServers"]
    ]
    assert parsed["IsTruncated"] is False


async def test_tags_add_list_remove(client):
    created = await create_zone(client, "tags.example")
    zone_id = created["HostedZone"]["Id"].split("/")[-1]
    body = (
        f'<ChangeTagsForResourceRequest xmlns="{NAMESPACE}"><AddTags><Tag><Key>env</Key><Value>test</Value></Tag>'
        "<Tag><Key>team</Key><Value>dns</Value></Tag></AddTags></ChangeTagsForResourceRequest>"
    )
    response = await client.post(f"/2013-04-01/tags/hostedzone/{zone_id}", content=body)
    assert response.status_code == 200, response.text
    listed = parse("ListTagsForResource", await client.get(f"/2013-04-01/tags/hostedzone/{zone_id}"))
    assert listed["ResourceTagSet"]["Tags"] == [{"Key": "env", "Value": "test"}, {"Key": "team", "Value": "dns"}]
    body = f'<ChangeTagsForResourceRequest xmlns="{NAMESPACE}"><RemoveTagKeys><Key>env</Key></RemoveTagKeys></ChangeTagsForResourceRequest>'
    await client.post(f"/2013-04-01/tags/hostedzone/{zone_id}", content=body)
    listed = parse("ListTagsForResource", await client.get(f"/2013-04-01/tags/hostedzone/{zone_id}"))
    assert listed["ResourceTagSet"]["Tags"] == [{"Key": "team", "Value": "dns"}]
    assert_error(await client.get("/2013-04-01/tags/hostedzone/ZMISSING"), 404, "NoSuchHostedZone")


async def test_get_change_unknown_id(client):
    response = await client.get("/2013-04-01/change/CNOSUCHCHANGE")
    assert_error(response, 404, "NoSuchChange", "Could not find resource with ID: CNOSUCHCHANGE")


async def test_zone_writes_that_cannot_get_the_lock_answer_retryable_errors(settings):
    """PriorRequestNotComplete (retried by SDKs) for zone and tag writes; a 503 for CreateHostedZone, which
    models neither that nor ConcurrentModification."""
    import sqlite3

    import pytest

    from app.main import create_app

    if settings.sqlite_path() is None:
        pytest.skip("holds the SQLite write lock from outside")
    app = create_app(settings.model_copy(update={"lock_timeout_ms": 200}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://route53.amazonaws.com") as client:
            zone_id = (await create_zone(client, "locked.example"))["HostedZone"]["Id"].split("/")[-1]
            blocker = sqlite3.connect(settings.sqlite_path(), isolation_level=None)
            blocker.execute("BEGIN IMMEDIATE")
            try:
                deleted = await client.delete(f"/2013-04-01/hostedzone/{zone_id}")
                created = await client.post("/2013-04-01/hostedzone", content=create_zone_body("new.example", "n"))
            finally:
                blocker.execute("ROLLBACK")
                blocker.close()
            assert_error(
                deleted,
                400,
                "PriorRequestNotComplete",
                "The request was rejected because Route 53 was still processing a prior request.",
            )
            assert_error(
                created, 503, "ServiceUnavailable", "The request could not be completed in time. Retry the request."
            )
            assert (await client.delete(f"/2013-04-01/hostedzone/{zone_id}")).status_code == 200
