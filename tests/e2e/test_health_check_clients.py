"""Health checks as their clients use them, call for call, replayed with boto3 against the real server.

* Terraform's ``aws_route53_health_check`` (internal/service/route53/health_check.go): create with only the
  attributes set (MeasureLatency only for endpoint types, HealthThreshold and ChildHealthChecks only for
  CALCULATED, AlarmIdentifier and InsufficientDataHealthStatus only for CLOUDWATCH_METRIC), tag, read every
  attribute (each may be missing), update with only the changed attributes and no HealthCheckVersion, delete
  ignoring NoSuchHealthCheck, and a refresh that drops a missing check from state.
* octoDNS's Route53Provider (octodns_route53/provider.py): ListHealthChecks with Marker/NextMarker until
  IsTruncated is false, keeping its own ``dddd:`` caller references; an equivalence test that reads Type,
  Port, MeasureLatency, RequestInterval, FailureThreshold, Disabled, Inverted and IPAddress with no default;
  create + tag Name when nothing matches; delete of the checks a record no longer uses.
"""

import time
import uuid
from ipaddress import ip_address
from typing import Any

from botocore.exceptions import ClientError

_counter = 0


def terraform_unique_id() -> str:
    """Terraform's id.UniqueId(): ``terraform-`` and a timestamp with a counter."""
    global _counter
    _counter += 1
    return f"terraform-{time.strftime('%Y%m%d%H%M%S')}{int(time.time() * 1e6) % 10**8:08d}{_counter:08d}"


TERRAFORM_ATTRIBUTES = {
    "child_health_threshold": "HealthThreshold",
    "child_healthchecks": "ChildHealthChecks",
    "disabled": "Disabled",
    "enable_sni": "EnableSNI",
    "failure_threshold": "FailureThreshold",
    "fqdn": "FullyQualifiedDomainName",
    "insufficient_data_health_status": "InsufficientDataHealthStatus",
    "invert_healthcheck": "Inverted",
    "ip_address": "IPAddress",
    "measure_latency": "MeasureLatency",
    "port": "Port",
    "regions": "Regions",
    "request_interval": "RequestInterval",
    "resource_path": "ResourcePath",
    "routing_control_arn": "RoutingControlArn",
    "search_string": "SearchString",
    "type": "Type",
}


def terraform_create(route53: Any, resource: dict[str, Any], tags: dict[str, str]) -> str:
    """resourceHealthCheckCreate: the config from the attributes that are set (GetOk: not zero values)."""
    kind = resource["type"]
    config: dict[str, Any] = {"Type": kind}
    for attribute in (
        "disabled",
        "enable_sni",
        "failure_threshold",
        "fqdn",
        "invert_healthcheck",
        "ip_address",
        "port",
        "request_interval",
        "resource_path",
        "search_string",
    ):
        if resource.get(attribute):
            config[TERRAFORM_ATTRIBUTES[attribute]] = resource[attribute]
    if kind == "CALCULATED":
        if "child_health_threshold" in resource:  # set explicitly, zero included (provider fix #44006)
            config["HealthThreshold"] = resource["child_health_threshold"]
        if resource.get("child_healthchecks"):
            config["ChildHealthChecks"] = resource["child_healthchecks"]
    elif kind == "CLOUDWATCH_METRIC":
        config["AlarmIdentifier"] = {
            "Name": resource["cloudwatch_alarm_name"],
            "Region": resource["cloudwatch_alarm_region"],
        }
        if resource.get("insufficient_data_health_status"):
            config["InsufficientDataHealthStatus"] = resource["insufficient_data_health_status"]
    elif resource.get("measure_latency"):
        config["MeasureLatency"] = True
    if resource.get("regions"):
        config["Regions"] = resource["regions"]
    created = route53.create_health_check(CallerReference=terraform_unique_id(), HealthCheckConfig=config)
    check_id: str = created["HealthCheck"]["Id"]
    if tags:
        route53.change_tags_for_resource(
            ResourceType="healthcheck",
            ResourceId=check_id,
            AddTags=[{"Key": key, "Value": value} for key, value in tags.items()],
        )
    return check_id


def terraform_read(route53: Any, check_id: str) -> dict[str, Any] | None:
    """resourceHealthCheckRead (+ the tags interceptor): None when the check is gone (removed from state)."""
    try:
        check = route53.get_health_check(HealthCheckId=check_id)["HealthCheck"]
    except ClientError as error:
        if error.response["Error"]["Code"] == "NoSuchHealthCheck":
            return None
        raise
    config = check["HealthCheckConfig"]
    state = {attribute: config.get(member) for attribute, member in TERRAFORM_ATTRIBUTES.items()}
    alarm = config.get("AlarmIdentifier") or {}
    state["cloudwatch_alarm_name"], state["cloudwatch_alarm_region"] = alarm.get("Name"), alarm.get("Region")
    tags = route53.list_tags_for_resource(ResourceType="healthcheck", ResourceId=check_id)["ResourceTagSet"]["Tags"]
    state["tags"] = {tag["Key"]: tag.get("Value", "") for tag in tags}
    return state


def terraform_update(route53: Any, check_id: str, changed: dict[str, Any]) -> None:
    """resourceHealthCheckUpdate: UpdateHealthCheck with the changed attributes only, no version."""
    route53.update_health_check(
        HealthCheckId=check_id, **{TERRAFORM_ATTRIBUTES[attribute]: value for attribute, value in changed.items()}
    )


def terraform_delete(route53: Any, check_id: str) -> None:
    try:
        route53.delete_health_check(HealthCheckId=check_id)
    except ClientError as error:
        if error.response["Error"]["Code"] != "NoSuchHealthCheck":
            raise


def test_terraform_endpoint_health_check(route53: Any) -> None:
    resource = {
        "type": "HTTPS",
        "fqdn": "api.example.com",
        "port": 443,
        "resource_path": "/healthz",
        "failure_threshold": 5,
        "request_interval": 30,
        "measure_latency": True,
        "regions": ["us-west-1", "us-east-1", "eu-west-1"],
    }
    check_id = terraform_create(route53, resource, {"Name": "api"})
    state = terraform_read(route53, check_id)
    assert state is not None
    assert {attribute: state[attribute] for attribute in resource} == resource
    assert (state["enable_sni"], state["disabled"], state["invert_healthcheck"]) == (True, False, False)
    assert state["tags"] == {"Name": "api"}
    assert terraform_read(route53, check_id) == state  # refresh: no drift
    version = route53.get_health_check(HealthCheckId=check_id)["HealthCheck"]["HealthCheckVersion"]

    terraform_update(route53, check_id, {"failure_threshold": 2, "resource_path": "/ready", "invert_healthcheck": True})
    route53.change_tags_for_resource(
        ResourceType="healthcheck", ResourceId=check_id, AddTags=[{"Key": "team", "Value": "web"}]
    )
    updated = terraform_read(route53, check_id)
    assert updated == {
        **state,
        "failure_threshold": 2,
        "resource_path": "/ready",
        "invert_healthcheck": True,
        "tags": {"Name": "api", "team": "web"},
    }
    check = route53.get_health_check(HealthCheckId=check_id)["HealthCheck"]
    assert check["HealthCheckVersion"] == version + 1

    terraform_delete(route53, check_id)
    terraform_delete(route53, check_id)  # a second destroy finds nothing and succeeds
    assert terraform_read(route53, check_id) is None


def test_terraform_calculated_and_cloudwatch_health_checks(route53: Any) -> None:
    child = terraform_create(route53, {"type": "TCP", "ip_address": "1.1.1.1", "port": 53}, {})
    calculated = terraform_create(
        route53, {"type": "CALCULATED", "child_health_threshold": 0, "child_healthchecks": [child]}, {}
    )
    state = terraform_read(route53, calculated)
    assert state is not None
    assert (state["child_health_threshold"], state["child_healthchecks"]) == (0, [child])
    assert (state["port"], state["request_interval"], state["measure_latency"]) == (None, None, None)
    terraform_update(route53, calculated, {"child_health_threshold": 1})
    assert (terraform_read(route53, calculated) or {})["child_health_threshold"] == 1

    metric = terraform_create(
        route53,
        {
            "type": "CLOUDWATCH_METRIC",
            "cloudwatch_alarm_name": "5xx",
            "cloudwatch_alarm_region": "eu-central-1",
            "insufficient_data_health_status": "Unhealthy",
        },
        {"Name": "metric"},
    )
    state = terraform_read(route53, metric)
    assert state is not None
    assert (state["cloudwatch_alarm_name"], state["cloudwatch_alarm_region"]) == ("5xx", "eu-central-1")
    assert state["insufficient_data_health_status"] == "Unhealthy"
    for check_id in (metric, calculated, child):
        terraform_delete(route53, check_id)
        assert terraform_read(route53, check_id) is None


OCTODNS_VERSION = "0001"


def octodns_list(route53: Any) -> dict[str, dict[str, Any]]:
    """Route53Provider.health_checks: every page, following NextMarker, keeping ``dddd:`` references."""
    checks: dict[str, dict[str, Any]] = {}
    start: dict[str, str] = {}
    while True:
        page = route53.list_health_checks(**start)
        for check in page["HealthChecks"]:
            reference = check.get("CallerReference", "xxxxx")
            if len(reference) > 4 and reference[4] != ":":
                continue
            checks[check["Id"]] = check
        if not page["IsTruncated"]:
            return checks
        start["Marker"] = page.get("NextMarker")


def octodns_equivalent(check: dict[str, Any], host: str, path: str, value: str | None, status: str) -> bool:
    """_health_check_equivalent for an HTTPS check: every member read with no default."""
    config = check["HealthCheckConfig"]
    down = status == "down"
    address = ip_address(value) if value else None
    configured = ip_address(config["IPAddress"]) if value else None
    return (
        host == config.get("FullyQualifiedDomainName")
        and path == config.get("ResourcePath")
        and config["Type"] == "HTTPS"
        and config["Port"] == 443
        and config["MeasureLatency"] is True
        and config["RequestInterval"] == 10
        and config["FailureThreshold"] == 6
        and config["Disabled"] == down
        and config["Inverted"] == down
        and address == configured
    )


def octodns_health_check_id(route53: Any, checks: dict[str, dict[str, Any]], fqdn: str, value: str, status: str) -> str:
    """get_health_check_id for an A/AAAA value: reuse an equivalent check of this record, else create and tag."""
    prefix = f"{OCTODNS_VERSION}:A:{fqdn}"
    for check_id, check in checks.items():
        if check["CallerReference"].startswith(prefix) and octodns_equivalent(check, fqdn[:-1], "/_dns", value, status):
            return check_id
    down = status == "down"
    config = {
        "Disabled": down,
        "Inverted": down,
        "EnableSNI": True,
        "FailureThreshold": 6,
        "MeasureLatency": True,
        "Port": 443,
        "RequestInterval": 10,
        "Type": "HTTPS",
        "FullyQualifiedDomainName": fqdn[:-1],
        "ResourcePath": "/_dns",
        "IPAddress": value,
    }
    created = route53.create_health_check(CallerReference=f"{prefix}:{uuid.uuid4().hex[:12]}", HealthCheckConfig=config)
    check = created["HealthCheck"]
    route53.change_tags_for_resource(
        ResourceType="healthcheck", ResourceId=check["Id"], AddTags=[{"Key": "Name", "Value": f"{fqdn}:A - {value}"}]
    )
    checks[check["Id"]] = check
    return str(check["Id"])


def octodns_gc(route53: Any, checks: dict[str, dict[str, Any]], fqdn: str, in_use: set[str]) -> None:
    """_gc_health_checks: delete this record's checks that the new record sets no longer use."""
    for check_id, check in list(checks.items()):
        if check["CallerReference"].startswith(f"{OCTODNS_VERSION}:A:{fqdn}:") and check_id not in in_use:
            route53.delete_health_check(HealthCheckId=check_id)


def test_octodns_health_check_sync(route53: Any) -> None:
    fqdn = f"www.{uuid.uuid4().hex[:8]}.example.com."
    for _ in range(101):  # more than one default page (100), of checks octoDNS does not own
        route53.create_health_check(
            CallerReference=terraform_unique_id(), HealthCheckConfig={"Type": "TCP", "IPAddress": "9.9.9.9", "Port": 53}
        )
    assert route53.list_health_checks()["IsTruncated"] is True
    values = ["1.1.1.1", "2606:4700:4700::1111"]

    checks = octodns_list(route53)
    first = [octodns_health_check_id(route53, checks, fqdn, value, "obey") for value in values]
    tags = route53.list_tags_for_resources(ResourceType="healthcheck", ResourceIds=first)["ResourceTagSets"]
    assert [s["Tags"] for s in tags] == [[{"Key": "Name", "Value": f"{fqdn}:A - {value}"}] for value in values]

    # A later run, from a fresh listing: the IPv6 check is found despite Route 53's form of the address.
    checks = octodns_list(route53)
    assert set(first) <= set(checks)
    assert route53.get_health_check(HealthCheckId=first[1])["HealthCheck"]["HealthCheckConfig"]["IPAddress"] == (
        "2606:4700:4700:0:0:0:0:1111"
    )
    assert [octodns_health_check_id(route53, checks, fqdn, value, "obey") for value in values] == first

    # The first value is forced down: a new Disabled + Inverted check, and the old one is collected.
    checks = octodns_list(route53)
    forced = octodns_health_check_id(route53, checks, fqdn, values[0], "down")
    assert forced not in first
    octodns_gc(route53, checks, fqdn, {forced, first[1]})
    remaining = octodns_list(route53)
    assert forced in remaining and first[1] in remaining and first[0] not in remaining
    config = remaining[forced]["HealthCheckConfig"]
    assert (config["Disabled"], config["Inverted"]) == (True, True)
