"""Health checks in process: every operation, its errors (exact codes and messages) and AWS's defaults.

Requests are serialized by botocore's rest-xml serializer without client-side validation, so the server's
own checks answer; responses are parsed by botocore.
"""

import asyncio
import re
import sqlite3
import uuid
from typing import Any

import botocore.serialize
import httpx
import pytest

from app.main import create_app
from tests.wire import NAMESPACE, ROUTE53, assert_error, parse

ACCOUNT = "123456789012"  # R53_ACCOUNT_ID's default: the account of the tests' requests

SERIALIZER = botocore.serialize.create_serializer("rest-xml", include_validation=False)
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
HTTP_CHECK = {"Type": "HTTP", "IPAddress": "8.8.8.8", "ResourcePath": "/health"}
ALREADY_EXISTS = "A different health check has already been created with the specified caller reference."
CHECKER_REGIONS = [
    "us-east-1",
    "us-west-1",
    "us-west-2",
    "eu-west-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "sa-east-1",
]


async def call(client: httpx.AsyncClient, operation: str, **params: Any) -> httpx.Response:
    """Send ``operation`` as an SDK serializes it."""
    request = SERIALIZER.serialize_to_request(params, ROUTE53.operation_model(operation))
    return await client.request(
        request["method"], request["url_path"], params=request["query_string"], content=request["body"]
    )


async def ok(client: httpx.AsyncClient, operation: str, **params: Any) -> dict[str, Any]:
    response = await call(client, operation, **params)
    assert response.status_code == ROUTE53.operation_model(operation).http.get("responseCode", 200), response.text
    return parse(operation, response)


async def create(client: httpx.AsyncClient, config: dict[str, Any], reference: str | None = None) -> dict[str, Any]:
    created = await ok(
        client, "CreateHealthCheck", CallerReference=reference or uuid.uuid4().hex, HealthCheckConfig=config
    )
    check: dict[str, Any] = created["HealthCheck"]
    return check


def invalid_parameter(message: str) -> str:
    return f"Invalid parameter : {message}"


async def test_create_answers_201_with_location_and_the_defaults_filled_in(client):
    response = await call(client, "CreateHealthCheck", CallerReference="ref-1", HealthCheckConfig=HTTP_CHECK)
    assert response.status_code == 201
    parsed = parse("CreateHealthCheck", response)
    check = parsed["HealthCheck"]
    assert UUID.fullmatch(check["Id"])
    assert parsed["Location"] == f"https://route53.amazonaws.com/2013-04-01/healthcheck/{check['Id']}"
    assert check["CallerReference"] == "ref-1"
    assert check["HealthCheckVersion"] == 1
    assert check["HealthCheckConfig"] == {
        "IPAddress": "8.8.8.8",
        "Port": 80,
        "Type": "HTTP",
        "ResourcePath": "/health",
        "RequestInterval": 30,
        "FailureThreshold": 3,
        "MeasureLatency": False,
        "Inverted": False,
        "Disabled": False,
        "EnableSNI": False,
        "EndpointType": "PUBLIC",
    }
    assert "CloudWatchAlarmConfiguration" not in check
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<CreateHealthCheckResponse')
    assert (
        b"<HealthCheckConfig><IPAddress>8.8.8.8</IPAddress><Port>80</Port><Type>HTTP</Type>"
        b"<ResourcePath>/health</ResourcePath><RequestInterval>30</RequestInterval>"
        b"<FailureThreshold>3</FailureThreshold><MeasureLatency>false</MeasureLatency><Inverted>false</Inverted>"
        b"<Disabled>false</Disabled><EnableSNI>false</EnableSNI><EndpointType>PUBLIC</EndpointType>"
        b"</HealthCheckConfig><HealthCheckVersion>1</HealthCheckVersion></HealthCheck>" in response.content
    )


@pytest.mark.parametrize(
    ("config", "port", "sni"),
    [
        ({"Type": "HTTPS", "FullyQualifiedDomainName": "example.com"}, 443, True),
        ({"Type": "HTTPS_STR_MATCH", "FullyQualifiedDomainName": "example.com", "SearchString": "ok"}, 443, True),
        ({"Type": "HTTP_STR_MATCH", "FullyQualifiedDomainName": "example.com", "SearchString": "ok"}, 80, False),
        ({"Type": "TCP", "IPAddress": "1.1.1.1", "Port": 22}, 22, False),
        ({"Type": "HTTPS", "FullyQualifiedDomainName": "example.com", "Port": 8443, "EnableSNI": False}, 8443, False),
    ],
)
async def test_port_and_sni_defaults_follow_the_type(client, config, port, sni):
    got = (await create(client, config))["HealthCheckConfig"]
    assert (got["Port"], got["EnableSNI"]) == (port, sni)


async def test_sent_values_are_kept_and_regions_only_when_given(client):
    config = {
        **HTTP_CHECK,
        "Port": 8080,
        "FullyQualifiedDomainName": "www.example.com",
        "RequestInterval": 10,
        "FailureThreshold": 1,
        "MeasureLatency": True,
        "Inverted": True,
        "Disabled": True,
        "EnableSNI": True,
        "Regions": ["us-east-1", "eu-west-1", "sa-east-1"],
    }
    got = (await create(client, config))["HealthCheckConfig"]
    assert got == {**config, "EndpointType": "PUBLIC"}
    assert "Regions" not in (await create(client, HTTP_CHECK))["HealthCheckConfig"]


async def test_ipv6_comes_back_in_route53s_java_form_and_mapped_ipv4_as_ipv4(client):
    got = (await create(client, {"Type": "HTTP", "IPAddress": "2001:4860:4860::8888"}))["HealthCheckConfig"]
    assert got["IPAddress"] == "2001:4860:4860:0:0:0:0:8888"
    got = (await create(client, {"Type": "HTTP", "IPAddress": "::ffff:8.8.4.4"}))["HealthCheckConfig"]
    assert got["IPAddress"] == "8.8.4.4"


async def test_an_empty_resource_path_means_none(client):
    got = (await create(client, {**HTTP_CHECK, "ResourcePath": ""}))["HealthCheckConfig"]
    assert "ResourcePath" not in got


async def test_calculated_metric_and_recovery_control_checks(client):
    child = await create(client, HTTP_CHECK)
    calculated = await create(client, {"Type": "CALCULATED", "HealthThreshold": 0, "ChildHealthChecks": [child["Id"]]})
    assert calculated["HealthCheckConfig"] == {
        "Type": "CALCULATED",
        "Inverted": False,
        "Disabled": False,
        "HealthThreshold": 0,
        "ChildHealthChecks": [child["Id"]],
    }
    alarm = {"Region": "eu-west-1", "Name": "api-errors"}
    metric = await create(client, {"Type": "CLOUDWATCH_METRIC", "AlarmIdentifier": alarm})
    assert metric["HealthCheckConfig"] == {
        "Type": "CLOUDWATCH_METRIC",
        "Inverted": False,
        "Disabled": False,
        "AlarmIdentifier": alarm,
        "InsufficientDataHealthStatus": "LastKnownStatus",
    }
    assert metric["CloudWatchAlarmConfiguration"] == {
        "EvaluationPeriods": 1,
        "Threshold": 1.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "Period": 60,
        "MetricName": "HealthCheckStatus",
        "Namespace": "AWS/Route53",
        "Statistic": "Minimum",
    }
    arn = "arn:aws:route53-recovery-control::123456789012:controlpanel/abc/routingcontrol/def"
    recovery = await create(client, {"Type": "RECOVERY_CONTROL", "RoutingControlArn": arn, "Inverted": True})
    assert recovery["HealthCheckConfig"] == {
        "Type": "RECOVERY_CONTROL",
        "Inverted": True,
        "Disabled": False,
        "RoutingControlArn": arn,
    }


async def test_same_caller_reference_and_same_configuration_returns_the_existing_check(client):
    first = await create(client, HTTP_CHECK, "retry")
    again = await create(client, {**HTTP_CHECK, "Port": 80, "Inverted": False}, "retry")
    assert again == first
    assert (await ok(client, "GetHealthCheckCount"))["HealthCheckCount"] == 1


async def test_same_caller_reference_with_another_configuration_is_health_check_already_exists(client):
    await create(client, HTTP_CHECK, "taken")
    response = await call(
        client, "CreateHealthCheck", CallerReference="taken", HealthCheckConfig={**HTTP_CHECK, "Port": 81}
    )
    assert_error(response, 409, "HealthCheckAlreadyExists", ALREADY_EXISTS)


async def test_a_caller_reference_of_a_deleted_check_stays_taken(client):
    check = await create(client, HTTP_CHECK, "gone")
    await ok(client, "DeleteHealthCheck", HealthCheckId=check["Id"])
    response = await call(client, "CreateHealthCheck", CallerReference="gone", HealthCheckConfig=HTTP_CHECK)
    assert_error(response, 409, "HealthCheckAlreadyExists", ALREADY_EXISTS)


async def test_a_retry_after_an_update_still_returns_the_check(client):
    """The retry is compared with the configuration it created, not the one an update made since."""
    check = await create(client, HTTP_CHECK, "updated-since")
    await ok(client, "UpdateHealthCheck", HealthCheckId=check["Id"], FailureThreshold=7)
    again = await create(client, HTTP_CHECK, "updated-since")
    assert (again["Id"], again["HealthCheckVersion"], again["HealthCheckConfig"]["FailureThreshold"]) == (
        check["Id"],
        2,
        7,
    )


async def test_get_health_check_and_missing_ids(client):
    check = await create(client, HTTP_CHECK)
    assert (await ok(client, "GetHealthCheck", HealthCheckId=check["Id"]))["HealthCheck"] == check
    response = await call(client, "GetHealthCheck", HealthCheckId="nope")
    assert_error(response, 404, "NoSuchHealthCheck", "A health check with id nope does not exist.")
    response = await call(client, "GetHealthCheck", HealthCheckId="x" * 65)
    assert_error(
        response,
        400,
        "InvalidInput",
        f"1 validation error detected: Value '{'x' * 65}' at 'healthCheckId' failed to satisfy constraint: Member "
        "must have length less than or equal to 64",
    )


async def test_list_health_checks_pages_in_id_order_with_markers(client):
    ids = sorted([(await create(client, HTTP_CHECK))["Id"] for _ in range(5)])
    first = await ok(client, "ListHealthChecks", MaxItems="2")
    assert [check["Id"] for check in first["HealthChecks"]] == ids[:2]
    assert (first["IsTruncated"], first["NextMarker"], first["MaxItems"]) == (True, ids[2], "2")
    assert "Marker" not in first
    rest = await ok(client, "ListHealthChecks", Marker=first["NextMarker"], MaxItems="10")
    assert [check["Id"] for check in rest["HealthChecks"]] == ids[2:]
    assert (rest["IsTruncated"], rest["Marker"], rest["MaxItems"]) == (False, ids[2], "10")
    assert "NextMarker" not in rest
    assert (await ok(client, "ListHealthChecks"))["MaxItems"] == "100"
    assert (await ok(client, "ListHealthChecks", MaxItems="5000"))["MaxItems"] == "1000"
    response = await call(client, "ListHealthChecks", MaxItems="0")
    assert_error(
        response,
        400,
        "InvalidInput",
        "1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: Member must be a "
        "positive integer",
    )
    assert_error(await call(client, "ListHealthChecks", Marker="m" * 65), 400, "InvalidInput")


async def test_empty_list_and_count(client):
    listed = await ok(client, "ListHealthChecks")
    assert (listed["HealthChecks"], listed["IsTruncated"]) == ([], False)
    assert (await ok(client, "GetHealthCheckCount"))["HealthCheckCount"] == 0
    await create(client, HTTP_CHECK)
    await create(client, HTTP_CHECK)
    assert (await ok(client, "GetHealthCheckCount"))["HealthCheckCount"] == 2


async def test_update_changes_only_the_members_sent_and_increments_the_version(client):
    check = await create(client, {**HTTP_CHECK, "FullyQualifiedDomainName": "a.example.com"})
    updated = (
        await ok(client, "UpdateHealthCheck", HealthCheckId=check["Id"], HealthCheckVersion=1, FailureThreshold=5)
    )["HealthCheck"]
    assert updated["HealthCheckVersion"] == 2
    assert updated["HealthCheckConfig"] == {**check["HealthCheckConfig"], "FailureThreshold": 5}
    updated = (
        await ok(
            client,
            "UpdateHealthCheck",
            HealthCheckId=check["Id"],
            IPAddress="1.0.0.1",
            Port=8080,
            Inverted=True,
            Disabled=True,
            EnableSNI=True,
            Regions=["us-west-1", "us-west-2", "eu-west-1"],
        )
    )["HealthCheck"]
    assert updated["HealthCheckVersion"] == 3
    assert updated["HealthCheckConfig"] == {
        **check["HealthCheckConfig"],
        "IPAddress": "1.0.0.1",
        "Port": 8080,
        "FailureThreshold": 5,
        "Inverted": True,
        "Disabled": True,
        "EnableSNI": True,
        "Regions": ["us-west-1", "us-west-2", "eu-west-1"],
    }
    assert (await ok(client, "GetHealthCheck", HealthCheckId=check["Id"]))["HealthCheck"] == updated


async def test_reset_elements_clear_members(client):
    config = {
        **HTTP_CHECK,
        "FullyQualifiedDomainName": "a.example.com",
        "Regions": ["us-east-1", "us-west-1", "us-west-2"],
    }
    check = await create(client, config)
    updated = (
        await ok(
            client,
            "UpdateHealthCheck",
            HealthCheckId=check["Id"],
            ResetElements=["FullyQualifiedDomainName", "Regions", "ResourcePath"],
        )
    )["HealthCheck"]["HealthCheckConfig"]
    assert not {"FullyQualifiedDomainName", "Regions", "ResourcePath"} & set(updated)
    child = await create(client, HTTP_CHECK)
    calculated = await create(client, {"Type": "CALCULATED", "HealthThreshold": 1, "ChildHealthChecks": [child["Id"]]})
    updated = (
        await ok(client, "UpdateHealthCheck", HealthCheckId=calculated["Id"], ResetElements=["ChildHealthChecks"])
    )["HealthCheck"]["HealthCheckConfig"]
    assert "ChildHealthChecks" not in updated
    response = await call(client, "UpdateHealthCheck", HealthCheckId=check["Id"], ResetElements=["Port"])
    assert_error(
        response,
        400,
        "InvalidInput",
        "1 validation error detected: Value '[Port]' at 'resetElements' failed to satisfy constraint: Member must "
        "satisfy constraint: [Member must have length less than or equal to 64, Member must have length greater "
        "than or equal to 1, Member must satisfy enum value set: [FullyQualifiedDomainName, Regions, ResourcePath, "
        "ChildHealthChecks]]",
    )


async def test_update_errors(client):
    check = await create(client, HTTP_CHECK)
    await ok(client, "UpdateHealthCheck", HealthCheckId=check["Id"], Disabled=True)
    response = await call(client, "UpdateHealthCheck", HealthCheckId=check["Id"], HealthCheckVersion=1, Disabled=False)
    assert_error(
        response,
        409,
        "HealthCheckVersionMismatch",
        "The value of HealthCheckVersion in the request doesn't match the value of HealthCheckVersion in the "
        "health check.",
    )
    response = await call(client, "UpdateHealthCheck", HealthCheckId="missing", HealthCheckVersion=9)
    assert_error(response, 404, "NoSuchHealthCheck", "A health check with id missing does not exist.")
    response = await call(
        client, "UpdateHealthCheck", HealthCheckId=check["Id"], ResourcePath="/x", ResetElements=["ResourcePath"]
    )
    assert_error(response, 400, "InvalidInput", invalid_parameter("ResourcePath can't be both specified and reset."))
    by_name = await create(client, {"Type": "HTTP", "FullyQualifiedDomainName": "a.example.com"})
    response = await call(client, "UpdateHealthCheck", HealthCheckId=by_name["Id"], IPAddress="8.8.8.8")
    assert_error(
        response,
        400,
        "InvalidInput",
        invalid_parameter("IPAddress can't be added to a health check that was created without one."),
    )
    response = await call(
        client, "UpdateHealthCheck", HealthCheckId=by_name["Id"], ResetElements=["FullyQualifiedDomainName"]
    )
    assert_error(
        response,
        400,
        "InvalidInput",
        invalid_parameter("Basic health checks must have IPAddress or FullyQualifiedDomainName specified."),
    )
    response = await call(client, "UpdateHealthCheck", HealthCheckId=check["Id"], HealthCheckVersion=0)
    assert_error(
        response,
        400,
        "InvalidInput",
        "1 validation error detected: Value '0' at 'healthCheckVersion' failed to satisfy constraint: Member must "
        "have value greater than or equal to 1",
    )
    current = (await ok(client, "GetHealthCheck", HealthCheckId=check["Id"]))["HealthCheck"]
    assert current["HealthCheckVersion"] == 2  # refused updates leave no trace


@pytest.mark.parametrize(
    ("member", "value"), [("Type", "HTTPS"), ("RequestInterval", "10"), ("MeasureLatency", "true")]
)
async def test_type_request_interval_and_measure_latency_cannot_change(client, member, value):
    """They are not members of UpdateHealthCheckRequest: the schema refuses them."""
    check = await create(client, HTTP_CHECK)
    body = f'<UpdateHealthCheckRequest xmlns="{NAMESPACE}"><{member}>{value}</{member}></UpdateHealthCheckRequest>'
    response = await client.post(f"/2013-04-01/healthcheck/{check['Id']}", content=body)
    assert_error(
        response,
        400,
        "InvalidInput",
        f"Invalid XML ; cvc-complex-type.2.4.a: Invalid content was found starting with element '{member}'.",
    )


async def test_update_applies_the_configuration_rules_to_the_result(client):
    calculated = await create(client, {"Type": "CALCULATED", "HealthThreshold": 1})
    response = await call(client, "UpdateHealthCheck", HealthCheckId=calculated["Id"], Port=80)
    assert_error(
        response, 400, "InvalidInput", invalid_parameter("Calculated health checks must not have Port specified.")
    )
    check = await create(client, HTTP_CHECK)
    response = await call(
        client, "UpdateHealthCheck", HealthCheckId=check["Id"], AlarmIdentifier={"Region": "us-east-1", "Name": "a"}
    )
    assert_error(
        response,
        400,
        "InvalidInput",
        invalid_parameter("Basic health checks must not have an metric region specified."),
    )
    response = await call(client, "UpdateHealthCheck", HealthCheckId=calculated["Id"], ChildHealthChecks=["nope"])
    assert_error(response, 400, "InvalidInput", invalid_parameter("The child health check nope does not exist."))
    updated = await ok(
        client, "UpdateHealthCheck", HealthCheckId=calculated["Id"], ChildHealthChecks=[check["Id"]], HealthThreshold=1
    )
    assert updated["HealthCheck"]["HealthCheckConfig"]["ChildHealthChecks"] == [check["Id"]]


async def test_delete_health_check(client):
    check = await create(client, HTTP_CHECK)
    response = await call(client, "DeleteHealthCheck", HealthCheckId=check["Id"])
    assert response.status_code == 200
    assert response.content.endswith(
        b'<DeleteHealthCheckResponse xmlns="' + NAMESPACE.encode() + b'"></DeleteHealthCheckResponse>'
    )
    assert_error(await call(client, "GetHealthCheck", HealthCheckId=check["Id"]), 404, "NoSuchHealthCheck")
    response = await call(client, "DeleteHealthCheck", HealthCheckId=check["Id"])
    assert_error(response, 404, "NoSuchHealthCheck", f"A health check with id {check['Id']} does not exist.")
    assert (await ok(client, "GetHealthCheckCount"))["HealthCheckCount"] == 0


async def test_status_reports_a_healthy_endpoint_from_every_checker_region(client):
    check = await create(client, {**HTTP_CHECK, "Inverted": True})
    observations = (await ok(client, "GetHealthCheckStatus", HealthCheckId=check["Id"]))["HealthCheckObservations"]
    assert [o["Region"] for o in observations] == CHECKER_REGIONS
    assert observations[0]["IPAddress"] == "54.243.31.193"
    assert {o["StatusReport"]["Status"] for o in observations} == {"Success: HTTP Status Code 200, OK"}
    assert all(o["StatusReport"]["CheckedTime"] for o in observations)
    regions = ["sa-east-1", "us-east-1", "eu-west-1"]
    tcp = await create(client, {"Type": "TCP", "IPAddress": "1.1.1.1", "Port": 53, "Regions": regions})
    observations = (await ok(client, "GetHealthCheckStatus", HealthCheckId=tcp["Id"]))["HealthCheckObservations"]
    assert [(o["Region"], o["StatusReport"]["Status"]) for o in observations] == [
        (region, "Success: TCP connection established") for region in regions
    ]
    metric = await create(
        client, {"Type": "CLOUDWATCH_METRIC", "AlarmIdentifier": {"Region": "us-east-1", "Name": "a"}}
    )
    observations = (await ok(client, "GetHealthCheckStatus", HealthCheckId=metric["Id"]))["HealthCheckObservations"]
    assert {o["StatusReport"]["Status"] for o in observations} == {"Success: CloudWatch alarm state OK"}


async def test_status_of_a_calculated_check_and_of_a_missing_check(client):
    calculated = await create(client, {"Type": "CALCULATED", "HealthThreshold": 0})
    response = await call(client, "GetHealthCheckStatus", HealthCheckId=calculated["Id"])
    assert_error(
        response,
        400,
        "InvalidInput",
        invalid_parameter("GetHealthCheckStatus can't report the status of a calculated health check."),
    )
    response = await call(client, "GetHealthCheckStatus", HealthCheckId="missing")
    assert_error(response, 404, "NoSuchHealthCheck", "A health check with id missing does not exist.")


async def test_last_failure_reason_has_no_observations(client):
    check = await create(client, HTTP_CHECK)
    response = await call(client, "GetHealthCheckLastFailureReason", HealthCheckId=check["Id"])
    assert parse("GetHealthCheckLastFailureReason", response)["HealthCheckObservations"] == []
    assert b"<HealthCheckObservations/>" in response.content
    response = await call(client, "GetHealthCheckLastFailureReason", HealthCheckId="missing")
    assert_error(response, 404, "NoSuchHealthCheck", "A health check with id missing does not exist.")


async def test_tags_on_health_checks(client):
    check = await create(client, HTTP_CHECK)
    tags = [{"Key": "Name", "Value": "web"}, {"Key": "env", "Value": "test"}]
    await ok(client, "ChangeTagsForResource", ResourceType="healthcheck", ResourceId=check["Id"], AddTags=tags)
    listed = await ok(client, "ListTagsForResource", ResourceType="healthcheck", ResourceId=check["Id"])
    assert listed["ResourceTagSet"] == {"ResourceType": "healthcheck", "ResourceId": check["Id"], "Tags": tags}
    await ok(
        client,
        "ChangeTagsForResource",
        ResourceType="healthcheck",
        ResourceId=check["Id"],
        AddTags=[{"Key": "env", "Value": "prod"}],
        RemoveTagKeys=["Name"],
    )
    listed = await ok(client, "ListTagsForResource", ResourceType="healthcheck", ResourceId=check["Id"])
    assert listed["ResourceTagSet"]["Tags"] == [{"Key": "env", "Value": "prod"}]
    for operation, extra in (("ListTagsForResource", {}), ("ChangeTagsForResource", {"RemoveTagKeys": ["a"]})):
        response = await call(client, operation, ResourceType="healthcheck", ResourceId="missing", **extra)
        assert_error(response, 404, "NoSuchHealthCheck", "A health check with id missing does not exist.")


async def test_tags_go_with_a_deleted_check(client, app):
    check = await create(client, HTTP_CHECK)
    await ok(
        client, "ChangeTagsForResource", ResourceType="healthcheck", ResourceId=check["Id"], AddTags=[{"Key": "k"}]
    )
    await ok(client, "DeleteHealthCheck", HealthCheckId=check["Id"])
    from sqlalchemy import func, select

    from app.db.models import HealthCheckTag

    async with app.state.health_checks._sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(HealthCheckTag)) == 0


async def test_list_tags_for_resources_for_health_checks_and_hosted_zones(client):
    first, second = await create(client, HTTP_CHECK), await create(client, HTTP_CHECK)
    await ok(
        client,
        "ChangeTagsForResource",
        ResourceType="healthcheck",
        ResourceId=second["Id"],
        AddTags=[{"Key": "k", "Value": "v"}],
    )
    listed = await ok(
        client, "ListTagsForResources", ResourceType="healthcheck", ResourceIds=[second["Id"], first["Id"]]
    )
    assert listed["ResourceTagSets"] == [
        {"ResourceType": "healthcheck", "ResourceId": second["Id"], "Tags": [{"Key": "k", "Value": "v"}]},
        {"ResourceType": "healthcheck", "ResourceId": first["Id"], "Tags": []},
    ]
    zone = await ok(client, "CreateHostedZone", Name="tags.example", CallerReference="z")
    zone_id = zone["HostedZone"]["Id"].rsplit("/", 1)[-1]
    await ok(
        client,
        "ChangeTagsForResource",
        ResourceType="hostedzone",
        ResourceId=zone_id,
        AddTags=[{"Key": "team", "Value": "dns"}],
    )
    listed = await ok(client, "ListTagsForResources", ResourceType="hostedzone", ResourceIds=[zone_id])
    assert listed["ResourceTagSets"] == [
        {"ResourceType": "hostedzone", "ResourceId": zone_id, "Tags": [{"Key": "team", "Value": "dns"}]}
    ]
    response = await call(client, "ListTagsForResources", ResourceType="hostedzone", ResourceIds=[zone_id, "ZMISSING"])
    assert_error(response, 404, "NoSuchHostedZone", "No hosted zone found with ID: ZMISSING")
    response = await call(client, "ListTagsForResources", ResourceType="healthcheck", ResourceIds=["missing"])
    assert_error(response, 404, "NoSuchHealthCheck", "A health check with id missing does not exist.")
    response = await call(
        client, "ListTagsForResources", ResourceType="healthcheck", ResourceIds=[f"id{i}" for i in range(11)]
    )
    assert_error(
        response,
        400,
        "InvalidInput",
        "1 validation error detected: Value '[" + ", ".join(f"id{i}" for i in range(11)) + "]' at 'resourceIds' "
        "failed to satisfy constraint: Member must have length less than or equal to 10",
    )
    response = await client.post(
        "/2013-04-01/tags/healthcheck", content=f'<ListTagsForResourcesRequest xmlns="{NAMESPACE}"/>'
    )
    assert_error(
        response,
        400,
        "InvalidInput",
        "1 validation error detected: Value null at 'resourceIds' failed to satisfy constraint: Member must not be null",
    )
    response = await call(client, "ListTagsForResources", ResourceType="bucket", ResourceIds=["x"])
    assert_error(
        response,
        400,
        "InvalidInput",
        "1 validation error detected: Value 'bucket' at 'resourceType' failed to satisfy constraint: Member must "
        "satisfy enum value set: [healthcheck, hostedzone]",
    )


async def test_schema_errors_are_listed_together_in_model_order(client):
    config = {
        "IPAddress": "999.1.1.1",
        "Port": 0,
        "Type": "PING",
        "FullyQualifiedDomainName": "a" * 256,
        "RequestInterval": 31,
        "FailureThreshold": 11,
        "HealthThreshold": 257,
        "Regions": ["us-east-1", "mars-1", "eu-west-1"],
        "AlarmIdentifier": {"Region": "moon-1"},
        "InsufficientDataHealthStatus": "Maybe",
    }
    response = await call(client, "CreateHealthCheck", CallerReference="c" * 65, HealthCheckConfig=config)
    pattern = ROUTE53.shape_for("IPAddress").metadata["pattern"]
    regions = ROUTE53.shape_for("HealthCheckRegion").metadata["enum"]
    cloudwatch_regions = ROUTE53.shape_for("CloudWatchRegion").metadata["enum"]
    assert_error(
        response,
        400,
        "InvalidInput",
        "12 validation errors detected: "
        f"Value '{'c' * 65}' at 'callerReference' failed to satisfy constraint: Member must have length less than or equal to 64; "
        f"Value '999.1.1.1' at 'healthCheckConfig.iPAddress' failed to satisfy constraint: Member must satisfy regular expression pattern: {pattern}; "
        "Value '0' at 'healthCheckConfig.port' failed to satisfy constraint: Member must have value greater than or equal to 1; "
        "Value 'PING' at 'healthCheckConfig.type' failed to satisfy constraint: Member must satisfy enum value set: [HTTP, HTTPS, HTTP_STR_MATCH, HTTPS_STR_MATCH, TCP, CALCULATED, CLOUDWATCH_METRIC, RECOVERY_CONTROL]; "
        f"Value '{'a' * 256}' at 'healthCheckConfig.fullyQualifiedDomainName' failed to satisfy constraint: Member must have length less than or equal to 255; "
        "Value '31' at 'healthCheckConfig.requestInterval' failed to satisfy constraint: Member must have value less than or equal to 30; "
        "Value '11' at 'healthCheckConfig.failureThreshold' failed to satisfy constraint: Member must have value less than or equal to 10; "
        "Value '257' at 'healthCheckConfig.healthThreshold' failed to satisfy constraint: Member must have value less than or equal to 256; "
        "Value '[us-east-1, mars-1, eu-west-1]' at 'healthCheckConfig.regions' failed to satisfy constraint: Member must satisfy constraint: "
        f"[Member must have length less than or equal to 64, Member must have length greater than or equal to 1, Member must satisfy enum value set: [{', '.join(regions)}]]; "
        f"Value 'moon-1' at 'healthCheckConfig.alarmIdentifier.region' failed to satisfy constraint: Member must satisfy enum value set: [{', '.join(cloudwatch_regions)}]; "
        "Value null at 'healthCheckConfig.alarmIdentifier.name' failed to satisfy constraint: Member must not be null; "
        "Value 'Maybe' at 'healthCheckConfig.insufficientDataHealthStatus' failed to satisfy constraint: Member must satisfy enum value set: [Healthy, Unhealthy, LastKnownStatus]",
    )


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (None, "Value null at 'healthCheckConfig' failed to satisfy constraint: Member must not be null"),
        ({}, "Value null at 'healthCheckConfig.type' failed to satisfy constraint: Member must not be null"),
        (
            {**HTTP_CHECK, "Regions": ["us-east-1", "us-west-1"]},
            "Value '[us-east-1, us-west-1]' at 'healthCheckConfig.regions' failed to satisfy constraint: Member must have length greater than or equal to 3",
        ),
        (
            {"Type": "CALCULATED", "HealthThreshold": 1, "ChildHealthChecks": [f"c{i}" for i in range(257)]},
            "Value '["
            + ", ".join(f"c{i}" for i in range(257))
            + "]' at 'healthCheckConfig.childHealthChecks' failed to satisfy constraint: Member must have length less than or equal to 256",
        ),
        (
            {"Type": "RECOVERY_CONTROL", "RoutingControlArn": ""},
            "Value '' at 'healthCheckConfig.routingControlArn' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ),
        (
            {**HTTP_CHECK, "EndpointType": "VPC"},
            "Value 'VPC' at 'healthCheckConfig.endpointType' failed to satisfy constraint: Member must satisfy enum value set: [PUBLIC, PRIVATE]",
        ),
    ],
)
async def test_one_schema_error(client, config, message):
    params: dict[str, Any] = {"CallerReference": "r"}
    if config is not None:
        params["HealthCheckConfig"] = config
    response = await call(client, "CreateHealthCheck", **params)
    assert_error(response, 400, "InvalidInput", f"1 validation error detected: {message}")


@pytest.mark.parametrize(
    ("member", "value", "xsd"),
    [("Port", "eighty", "int"), ("FailureThreshold", "", "int"), ("Inverted", "yes", "boolean")],
)
async def test_wrongly_typed_values_are_schema_errors(client, member, value, xsd):
    body = (
        f'<CreateHealthCheckRequest xmlns="{NAMESPACE}"><CallerReference>r</CallerReference><HealthCheckConfig>'
        f"<Type>HTTP</Type><IPAddress>8.8.8.8</IPAddress><{member}>{value}</{member}></HealthCheckConfig>"
        "</CreateHealthCheckRequest>"
    )
    response = await client.post("/2013-04-01/healthcheck", content=body)
    assert_error(
        response,
        400,
        "InvalidInput",
        f"Invalid XML ; cvc-datatype-valid.1.2.1: '{value}' is not a valid value for '{xsd}'.",
    )


ALARM = {"Region": "us-east-1", "Name": "alarm"}


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"Type": "HTTP"},
            invalid_parameter("Basic health checks must have IPAddress or FullyQualifiedDomainName specified."),
        ),
        (
            {**HTTP_CHECK, "AlarmIdentifier": ALARM},
            invalid_parameter("Basic health checks must not have an metric region specified."),
        ),
        (
            {**HTTP_CHECK, "HealthThreshold": 1},
            invalid_parameter("Basic health checks must not have HealthThreshold specified."),
        ),
        (
            {**HTTP_CHECK, "ChildHealthChecks": []},
            invalid_parameter("Basic health checks must not have ChildHealthChecks specified."),
        ),
        (
            {**HTTP_CHECK, "InsufficientDataHealthStatus": "Healthy"},
            invalid_parameter("Basic health checks must not have InsufficientDataHealthStatus specified."),
        ),
        (
            {**HTTP_CHECK, "RoutingControlArn": "arn:x"},
            invalid_parameter("Basic health checks must not have RoutingControlArn specified."),
        ),
        (
            {"Type": "TCP", "IPAddress": "1.1.1.1", "Port": 22, "ResourcePath": "/"},
            "TCP health checks must not have a resource path specificed.",
        ),
        (
            {"Type": "TCP", "IPAddress": "1.1.1.1", "Port": 22, "FullyQualifiedDomainName": "a.example.com"},
            "TCP health checks that have IP address must not have a fully qualified domain name specified.",
        ),
        ({"Type": "TCP", "IPAddress": "1.1.1.1"}, invalid_parameter("TCP health checks must have Port specified.")),
        (
            {"Type": "HTTP_STR_MATCH", "IPAddress": "1.1.1.1"},
            invalid_parameter("HTTP_STR_MATCH health checks must have SearchString specified."),
        ),
        (
            {**HTTP_CHECK, "SearchString": "ok"},
            invalid_parameter("HTTP health checks must not have SearchString specified."),
        ),
        ({**HTTP_CHECK, "RequestInterval": 20}, invalid_parameter("RequestInterval must be 10 or 30.")),
        (
            {**HTTP_CHECK, "IPAddress": "10.1.2.3"},
            invalid_parameter("IPAddress 10.1.2.3 is in a local, private, non-routable or multicast range."),
        ),
        (
            {**HTTP_CHECK, "IPAddress": "fe80::1"},
            invalid_parameter("IPAddress fe80::1 is in a local, private, non-routable or multicast range."),
        ),
        (
            {**HTTP_CHECK, "IPAddress": "224.0.0.1"},
            invalid_parameter("IPAddress 224.0.0.1 is in a local, private, non-routable or multicast range."),
        ),
        (
            {**HTTP_CHECK, "EndpointType": "PRIVATE"},
            invalid_parameter("Private health checks must have HealthCheckSourceId specified."),
        ),
        (
            {**HTTP_CHECK, "EndpointType": "PRIVATE", "HealthCheckSourceId": "hcs-1"},
            invalid_parameter("No health check source with ID hcs-1 exists."),
        ),
        (
            {**HTTP_CHECK, "HealthCheckSourceId": "hcs-1"},
            invalid_parameter("Public health checks must not have HealthCheckSourceId specified."),
        ),
        ({"Type": "CALCULATED"}, invalid_parameter("Calculated health checks must have a health threshold specified.")),
        (
            {"Type": "CALCULATED", "HealthThreshold": 1, "Port": 80},
            invalid_parameter("Calculated health checks must not have Port specified."),
        ),
        (
            {"Type": "CALCULATED", "HealthThreshold": 1, "RequestInterval": 10},
            invalid_parameter("Calculated health checks must not have RequestInterval specified."),
        ),
        (
            {"Type": "CALCULATED", "HealthThreshold": 1, "ChildHealthChecks": ["nope"]},
            invalid_parameter("The child health check nope does not exist."),
        ),
        (
            {"Type": "CLOUDWATCH_METRIC"},
            invalid_parameter("CloudWatch metric health checks must have AlarmIdentifier specified."),
        ),
        (
            {"Type": "CLOUDWATCH_METRIC", "AlarmIdentifier": ALARM, "Port": 80},
            invalid_parameter("CloudWatch metric health checks must not have Port specified."),
        ),
        (
            {"Type": "CLOUDWATCH_METRIC", "AlarmIdentifier": ALARM, "FailureThreshold": 1},
            invalid_parameter("CloudWatch metric health checks must not have FailureThreshold specified."),
        ),
        (
            {"Type": "RECOVERY_CONTROL"},
            invalid_parameter("Recovery control health checks must have RoutingControlArn specified."),
        ),
        (
            {"Type": "RECOVERY_CONTROL", "RoutingControlArn": "arn:x", "MeasureLatency": False},
            invalid_parameter("Recovery control health checks must not have MeasureLatency specified."),
        ),
    ],
)
async def test_configuration_rules(client, config, message):
    response = await call(client, "CreateHealthCheck", CallerReference=uuid.uuid4().hex, HealthCheckConfig=config)
    assert_error(response, 400, "InvalidInput", message)
    assert (await ok(client, "GetHealthCheckCount"))["HealthCheckCount"] == 0


async def test_writes_that_cannot_get_the_lock_answer_retryable_errors(settings):
    """ServiceUnavailable (a 5xx, which SDKs retry) for health-check writes, which model neither
    PriorRequestNotComplete nor ConcurrentModification; PriorRequestNotComplete for tag writes."""
    if settings.sqlite_path() is None:
        pytest.skip("holds the SQLite write lock from outside")
    app = create_app(settings.model_copy(update={"lock_timeout_ms": 200}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://route53.amazonaws.com") as client:
            check = await create(client, HTTP_CHECK)
            blocker = sqlite3.connect(settings.sqlite_path(), isolation_level=None)
            blocker.execute("BEGIN IMMEDIATE")
            try:
                created = await call(client, "CreateHealthCheck", CallerReference="new", HealthCheckConfig=HTTP_CHECK)
                updated = await call(client, "UpdateHealthCheck", HealthCheckId=check["Id"], Disabled=True)
                deleted = await call(client, "DeleteHealthCheck", HealthCheckId=check["Id"])
                tagged = await call(
                    client,
                    "ChangeTagsForResource",
                    ResourceType="healthcheck",
                    ResourceId=check["Id"],
                    RemoveTagKeys=["a"],
                )
            finally:
                blocker.execute("ROLLBACK")
                blocker.close()
            for response in (created, updated, deleted):
                assert_error(
                    response,
                    503,
                    "ServiceUnavailable",
                    "The request could not be completed in time. Retry the request.",
                )
            assert_error(
                tagged,
                400,
                "PriorRequestNotComplete",
                "The request was rejected because Route 53 was still processing a prior request.",
            )
            assert (await call(client, "DeleteHealthCheck", HealthCheckId=check["Id"])).status_code == 200


@pytest.mark.parametrize("same_configuration", [True, False])
async def test_a_create_racing_for_a_caller_reference_answers_as_a_later_request_would(
    app, settings, monkeypatch, same_configuration
):
    """PostgreSQL: another create of the same account and CallerReference starts while this one is between its
    lookup and its insert. It waits for the account's lock (app.accounts.locks) until this one commits, then
    answers as a later request: a retry (same configuration) gets this check, another configuration
    HealthCheckAlreadyExists. (SQLite's write lock serializes the creates.)"""
    if settings.sqlite_path() is not None:
        pytest.skip("needs concurrent write transactions")
    from app.services import health_checks as service_module
    from app.services.health_checks import HealthCheckConfig

    service = app.state.health_checks
    first_config = HealthCheckConfig(type="HTTP", ip_address="8.8.8.8")
    other_config = first_config if same_configuration else HealthCheckConfig(type="HTTP", ip_address="8.8.4.4")
    check_children = service_module._check_children
    competitor: dict[str, Any] = {}

    async def start_a_competitor(session, account, children):
        if not competitor:
            competitor["task"] = asyncio.create_task(service.create(ACCOUNT, "contested", other_config))
            await asyncio.sleep(0.5)  # it has reached the account lock and waits there
            assert not competitor["task"].done()
        await check_children(session, account, children)

    monkeypatch.setattr(service_module, "_check_children", start_a_competitor)
    first = await service.create(ACCOUNT, "contested", first_config)
    if same_configuration:
        assert await competitor["task"] == first
    else:
        with pytest.raises(service_module.HealthCheckAlreadyExists):
            await competitor["task"]
    assert await service.count(ACCOUNT) == 1
