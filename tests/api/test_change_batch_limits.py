"""ChangeResourceRecordSets in process: the zone's record-set quota, the lock timeout, schema errors."""

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from app.config import Settings
from app.main import create_app
from tests.wire import NAMESPACE, assert_error, create_zone_body, parse


@asynccontextmanager
async def client_for(settings: Settings, **changes: object) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.model_copy(update=changes))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://route53.amazonaws.com") as client,
    ):
        yield client


async def new_zone(client: httpx.AsyncClient, name: str = "example.com") -> str:
    response = await client.post("/2013-04-01/hostedzone", content=create_zone_body(name, name))
    assert response.status_code == 201, response.text
    zone_id: str = parse("CreateHostedZone", response)["HostedZone"]["Id"].rsplit("/", 1)[-1]
    return zone_id


def batch_body(*records: str, action: str = "CREATE", extra: str = "") -> str:
    changes = "".join(
        f"<Change><Action>{action}</Action><ResourceRecordSet><Name>{name}</Name><Type>A</Type>{extra}<TTL>60</TTL>"
        "<ResourceRecords><ResourceRecord><Value>192.0.2.1</Value></ResourceRecord></ResourceRecords>"
        "</ResourceRecordSet></Change>"
        for name in records
    )
    return (
        f'<ChangeResourceRecordSetsRequest xmlns="{NAMESPACE}"><ChangeBatch><Changes>{changes}</Changes>'
        "</ChangeBatch></ChangeResourceRecordSetsRequest>"
    )


async def test_the_zone_quota_counts_soa_and_ns(settings: Settings) -> None:
    async with client_for(settings, max_record_sets_per_zone=4) as client:
        zone_id = await new_zone(client)
        path = f"/2013-04-01/hostedzone/{zone_id}/rrset/"
        assert (await client.post(path, content=batch_body("a.example.com", "b.example.com"))).status_code == 200
        response = await client.post(path, content=batch_body("c.example.com"))
        assert_error(response, 400, "InvalidChangeBatch", f"[Exceeded limit MAX_RRSETS_BY_ZONE for zone: {zone_id}]")
        # Replacing what exists does not grow the zone, so it is still allowed.
        assert (await client.post(path, content=batch_body("a.example.com", action="UPSERT"))).status_code == 200


async def test_a_lock_held_past_the_timeout_is_prior_request_not_complete(settings: Settings) -> None:
    path = settings.sqlite_path()
    if path is None:
        pytest.skip("holds the SQLite write lock from outside")
    async with client_for(settings, lock_timeout_ms=200) as client:
        zone_id = await new_zone(client)
        blocker = sqlite3.connect(path, isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            response = await client.post(f"/2013-04-01/hostedzone/{zone_id}/rrset", content=batch_body("a.example.com"))
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert_error(
            response,
            400,
            "PriorRequestNotComplete",
            "The request was rejected because Route 53 was still processing a prior request.",
        )
        listed = await client.get(f"/2013-04-01/hostedzone/{zone_id}/rrset")
        assert len(parse("ListResourceRecordSets", listed)["ResourceRecordSets"]) == 2


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            "<Colour>red</Colour>",
            "Invalid XML ; cvc-complex-type.2.4.a: Invalid content was found starting with element 'Colour'.",
        ),
        (
            "<Weight>heavy</Weight>",
            "Invalid XML ; cvc-datatype-valid.1.2.1: 'heavy' is not a valid value for 'integer'.",
        ),
        (
            "<SetIdentifier>a</SetIdentifier><SetIdentifier>b</SetIdentifier>",
            "Invalid XML ; cvc-complex-type.2.4.d: Element 'SetIdentifier' may occur only once.",
        ),
        (
            "<MultiValueAnswer>yes</MultiValueAnswer>",
            "Invalid XML ; cvc-datatype-valid.1.2.1: 'yes' is not a valid value for 'boolean'.",
        ),
        (
            "<SetIdentifier>r</SetIdentifier><Region>mars-1</Region>",
            "1 validation error detected: Value 'mars-1' at 'changeBatch.changes.1.member.resourceRecordSet.region' "
            "failed to satisfy constraint: Member must satisfy enum value set: [us-east-1, us-east-2, us-west-1, "
            "us-west-2, ca-central-1, eu-west-1, eu-west-2, eu-west-3, eu-central-1, eu-central-2, ap-southeast-1, "
            "ap-southeast-2, ap-southeast-3, ap-northeast-1, ap-northeast-2, ap-northeast-3, eu-north-1, sa-east-1, "
            "cn-north-1, cn-northwest-1, ap-east-1, me-south-1, me-central-1, ap-south-1, ap-south-2, af-south-1, "
            "eu-south-1, eu-south-2, ap-southeast-4, il-central-1, ca-west-1, ap-southeast-5, mx-central-1, "
            "ap-southeast-7, us-gov-east-1, us-gov-west-1, ap-east-2, ap-southeast-6, eusc-de-east-1]",
        ),
    ],
    ids=["unknown element", "integer", "repeated", "boolean", "enum"],
)
async def test_schema_errors_are_invalid_input_and_write_nothing(
    client: httpx.AsyncClient, extra: str, message: str
) -> None:
    zone_id = await new_zone(client)
    response = await client.post(
        f"/2013-04-01/hostedzone/{zone_id}/rrset/", content=batch_body("a.example.com", extra=extra)
    )
    assert_error(response, 400, "InvalidInput", message)
    listed = await client.get(f"/2013-04-01/hostedzone/{zone_id}/rrset")
    assert len(parse("ListResourceRecordSets", listed)["ResourceRecordSets"]) == 2


async def test_a_missing_change_batch_and_an_empty_change_list(client: httpx.AsyncClient) -> None:
    zone_id = await new_zone(client)
    path = f"/2013-04-01/hostedzone/{zone_id}/rrset/"
    empty = f'<ChangeResourceRecordSetsRequest xmlns="{NAMESPACE}"/>'
    assert_error(
        await client.post(path, content=empty),
        400,
        "InvalidInput",
        "1 validation error detected: Value null at 'changeBatch' failed to satisfy constraint: Member must not be null",
    )
    no_changes = f'<ChangeResourceRecordSetsRequest xmlns="{NAMESPACE}"><ChangeBatch><Changes/></ChangeBatch></ChangeResourceRecordSetsRequest>'
    assert_error(
        await client.post(path, content=no_changes),
        400,
        "InvalidInput",
        "Invalid XML ; cvc-complex-type.2.4.b: The content of element 'Changes' is not complete. One of "
        "'{\"https://route53.amazonaws.com/doc/2013-04-01/\":Change}' is expected.",
    )
