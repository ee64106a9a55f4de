"""Health checks end to end through boto3 against the real server: every operation, the paginator, tags,
and every error the product answers, comparing error Code, HTTP status and Message exactly.

The server is shared by the tests of this module, so counts are compared before and after.
"""

import uuid
from typing import Any

from tests.e2e.helpers import error_of, new_zone

WEB = {"Type": "HTTPS", "FullyQualifiedDomainName": "www.example.com", "ResourcePath": "/status"}
ALREADY_EXISTS = (
    "HealthCheckAlreadyExists",
    409,
    "A different health check has already been created with the specified caller reference.",
)


def no_such_check(check_id: str) -> tuple[str, int, str]:
    return ("NoSuchHealthCheck", 404, f"A health check with id {check_id} does not exist.")


def invalid(message: str) -> tuple[str, int, str]:
    return ("InvalidInput", 400, f"Invalid parameter : {message}")


def new_check(route53: Any, config: dict[str, Any] = WEB, reference: str | None = None) -> dict[str, Any]:
    created = route53.create_health_check(CallerReference=reference or uuid.uuid4().hex, HealthCheckConfig=config)
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert created["Location"].endswith(f"/2013-04-01/healthcheck/{created['HealthCheck']['Id']}")
    check: dict[str, Any] = created["HealthCheck"]
    return check


def test_create_read_update_delete(route53: Any) -> None:
    before = route53.get_health_check_count()["HealthCheckCount"]
    check = new_check(route53)
    assert check["HealthCheckConfig"] == {
        "Port": 443,
        "Type": "HTTPS",
        "ResourcePath": "/status",
        "FullyQualifiedDomainName": "www.example.com",
        "RequestInterval": 30,
        "FailureThreshold": 3,
        "MeasureLatency": False,
        "Inverted": False,
        "Disabled": False,
        "EnableSNI": True,
        "EndpointType": "PUBLIC",
    }
    assert route53.get_health_check_count()["HealthCheckCount"] == before + 1
    assert route53.get_health_check(HealthCheckId=check["Id"])["HealthCheck"] == check
    updated = route53.update_health_check(HealthCheckId=check["Id"], HealthCheckVersion=1, Port=8443)
    assert updated["HealthCheck"]["HealthCheckVersion"] == 2
    assert updated["HealthCheck"]["HealthCheckConfig"] == {**check["HealthCheckConfig"], "Port": 8443}
    assert error_of(route53.update_health_check, HealthCheckId=check["Id"], HealthCheckVersion=1, Port=443) == (
        "HealthCheckVersionMismatch",
        409,
        "The value of HealthCheckVersion in the request doesn't match the value of HealthCheckVersion in the "
        "health check.",
    )
    assert route53.delete_health_check(HealthCheckId=check["Id"])["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert route53.get_health_check_count()["HealthCheckCount"] == before
    for call in (route53.get_health_check, route53.delete_health_check, route53.get_health_check_status):
        assert error_of(call, HealthCheckId=check["Id"]) == no_such_check(check["Id"])
    assert error_of(route53.update_health_check, HealthCheckId=check["Id"], Disabled=True) == no_such_check(check["Id"])


def test_caller_reference_rules(route53: Any) -> None:
    reference = f"ref-{uuid.uuid4().hex}"
    check = new_check(route53, WEB, reference)
    assert new_check(route53, {**WEB, "Port": 443, "EnableSNI": True}, reference) == check
    assert (
        error_of(
            route53.create_health_check, CallerReference=reference, HealthCheckConfig={**WEB, "FailureThreshold": 2}
        )
        == ALREADY_EXISTS
    )
    route53.delete_health_check(HealthCheckId=check["Id"])
    assert error_of(route53.create_health_check, CallerReference=reference, HealthCheckConfig=WEB) == ALREADY_EXISTS


def test_list_health_checks_with_the_paginator(route53: Any) -> None:
    ids = {new_check(route53)["Id"] for _ in range(7)}
    pages = list(route53.get_paginator("list_health_checks").paginate(PaginationConfig={"PageSize": 3}))
    assert all(page["MaxItems"] == "3" for page in pages)
    listed = [check["Id"] for page in pages for check in page["HealthChecks"]]
    assert listed == sorted(listed) and len(listed) == len(set(listed))
    assert ids <= set(listed)
    assert pages[-1]["IsTruncated"] is False and all(page["IsTruncated"] for page in pages[:-1])


def test_kinds_of_health_checks(route53: Any) -> None:
    child = new_check(route53, {"Type": "TCP", "IPAddress": "2606:4700:4700::1111", "Port": 53})
    assert child["HealthCheckConfig"]["IPAddress"] == "2606:4700:4700:0:0:0:0:1111"
    calculated = new_check(route53, {"Type": "CALCULATED", "HealthThreshold": 1, "ChildHealthChecks": [child["Id"]]})
    assert calculated["HealthCheckConfig"]["ChildHealthChecks"] == [child["Id"]]
    metric = new_check(
        route53, {"Type": "CLOUDWATCH_METRIC", "AlarmIdentifier": {"Region": "us-east-1", "Name": "errors"}}
    )
    assert metric["HealthCheckConfig"]["InsufficientDataHealthStatus"] == "LastKnownStatus"
    assert metric["CloudWatchAlarmConfiguration"]["Period"] == 60
    route53.delete_health_check(HealthCheckId=child["Id"])  # a calculated parent does not block it
    assert route53.get_health_check(HealthCheckId=calculated["Id"])["HealthCheck"] == calculated


def test_status_and_last_failure_reason(route53: Any) -> None:
    check = new_check(route53, {**WEB, "Regions": ["us-west-2", "eu-west-1", "ap-northeast-1"]})
    observations = route53.get_health_check_status(HealthCheckId=check["Id"])["HealthCheckObservations"]
    assert [(o["Region"], o["IPAddress"], o["StatusReport"]["Status"]) for o in observations] == [
        ("us-west-2", "54.244.52.193", "Success: HTTP Status Code 200, OK"),
        ("eu-west-1", "54.228.16.1", "Success: HTTP Status Code 200, OK"),
        ("ap-northeast-1", "54.248.220.1", "Success: HTTP Status Code 200, OK"),
    ]
    assert route53.get_health_check_last_failure_reason(HealthCheckId=check["Id"])["HealthCheckObservations"] == []
    calculated = new_check(route53, {"Type": "CALCULATED", "HealthThreshold": 0})
    assert error_of(route53.get_health_check_status, HealthCheckId=calculated["Id"]) == invalid(
        "GetHealthCheckStatus can't report the status of a calculated health check."
    )


def test_tags(route53: Any) -> None:
    check, other = new_check(route53), new_check(route53)
    route53.change_tags_for_resource(
        ResourceType="healthcheck", ResourceId=check["Id"], AddTags=[{"Key": "Name", "Value": "web"}]
    )
    assert route53.list_tags_for_resource(ResourceType="healthcheck", ResourceId=check["Id"])["ResourceTagSet"] == {
        "ResourceType": "healthcheck",
        "ResourceId": check["Id"],
        "Tags": [{"Key": "Name", "Value": "web"}],
    }
    sets = route53.list_tags_for_resources(ResourceType="healthcheck", ResourceIds=[other["Id"], check["Id"]])
    assert [(s["ResourceId"], s["Tags"]) for s in sets["ResourceTagSets"]] == [
        (other["Id"], []),
        (check["Id"], [{"Key": "Name", "Value": "web"}]),
    ]
    zone_id = new_zone(route53)
    route53.change_tags_for_resource(
        ResourceType="hostedzone", ResourceId=zone_id, AddTags=[{"Key": "a", "Value": "b"}]
    )
    sets = route53.list_tags_for_resources(ResourceType="hostedzone", ResourceIds=[zone_id])["ResourceTagSets"]
    assert sets == [{"ResourceType": "hostedzone", "ResourceId": zone_id, "Tags": [{"Key": "a", "Value": "b"}]}]
    assert error_of(route53.list_tags_for_resource, ResourceType="healthcheck", ResourceId="gone") == no_such_check(
        "gone"
    )
    assert error_of(
        route53.list_tags_for_resources, ResourceType="healthcheck", ResourceIds=[check["Id"], "gone"]
    ) == no_such_check("gone")


def test_configuration_errors(route53: Any) -> None:
    create = route53.create_health_check
    assert error_of(create, CallerReference="e1", HealthCheckConfig={"Type": "HTTP"}) == invalid(
        "Basic health checks must have IPAddress or FullyQualifiedDomainName specified."
    )
    assert error_of(
        create, CallerReference="e2", HealthCheckConfig={"Type": "CALCULATED", "HealthThreshold": 1, "Port": 80}
    ) == invalid("Calculated health checks must not have Port specified.")
    assert error_of(
        create,
        CallerReference="e3",
        HealthCheckConfig={**WEB, "AlarmIdentifier": {"Region": "us-east-1", "Name": "x"}},
    ) == invalid("Basic health checks must not have an metric region specified.")
    assert error_of(create, CallerReference="e4", HealthCheckConfig={"Type": "HTTP", "IPAddress": "192.168.0.1"}) == (
        invalid("IPAddress 192.168.0.1 is in a local, private, non-routable or multicast range.")
    )
    by_name = new_check(route53)
    assert error_of(route53.update_health_check, HealthCheckId=by_name["Id"], IPAddress="1.1.1.1") == invalid(
        "IPAddress can't be added to a health check that was created without one."
    )
