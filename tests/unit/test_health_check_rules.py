"""Pure health-check rules against the botocore model: the default checker regions are the model's
HealthCheckRegion enum, every member has its model name, and configurations survive a JSON round trip."""

import botocore.session

from app.services.health_checks import (
    CHECKER_ADDRESSES,
    CHECKER_REGIONS,
    SUCCESS,
    WIRE_NAMES,
    AlarmIdentifier,
    HealthCheckConfig,
    checkable_address,
    config_from_json,
    config_json,
)

MODEL = botocore.session.get_session().get_service_model("route53")


def test_checker_regions_are_the_model_enum_and_each_has_an_address() -> None:
    assert list(CHECKER_REGIONS) == MODEL.shape_for("HealthCheckRegion").metadata["enum"]
    assert set(CHECKER_ADDRESSES) == set(CHECKER_REGIONS)


def test_members_are_the_model_members_in_model_order() -> None:
    assert list(WIRE_NAMES.values()) == list(MODEL.shape_for("HealthCheckConfig").members)


def test_every_type_but_calculated_has_a_success_status() -> None:
    types = MODEL.shape_for("HealthCheckType").metadata["enum"]
    assert sorted(SUCCESS) == sorted(t for t in types if t != "CALCULATED")


def test_configuration_json_round_trip_is_exact() -> None:
    config = HealthCheckConfig(
        type="CALCULATED",
        inverted=False,
        disabled=True,
        health_threshold=2,
        child_health_checks=("a", "b"),
    )
    assert config_from_json(config_json(config)) == config
    metric = HealthCheckConfig(type="CLOUDWATCH_METRIC", alarm_identifier=AlarmIdentifier("us-east-1", "n"))
    assert config_json(metric) == '{"Type":"CLOUDWATCH_METRIC","AlarmIdentifier":{"Region":"us-east-1","Name":"n"}}'
    assert config_from_json(config_json(metric)) == metric


def test_addresses_come_back_as_route53_writes_them() -> None:
    assert checkable_address("2001:4860:85a3::abcd:1:2345") == "2001:4860:85a3:0:0:abcd:1:2345"
    assert checkable_address("8.8.8.8") == "8.8.8.8"
