"""Health-check shapes of the Route 53 REST-XML protocol: request members checked against the botocore
``route53`` 2013-04-01 model (types, lengths, ranges, patterns, enums, list sizes) with AWS's messages, and
responses in model member order.

Type errors are schema errors and answer at once (``Invalid XML ; cvc-datatype-valid.1.2.1: …``); the
model's constraints are all collected into one ``N validation errors detected: …``, member paths in AWS's
form (``healthCheckConfig.iPAddress``).
"""

import re
from functools import cache
from typing import Any

import botocore.session

from app.errors import InvalidInput
from app.protocol import route53 as wire
from app.services.health_checks import (
    FIELD_NAMES,
    HealthCheckConfig,
    HealthCheckUpdate,
    HealthCheckView,
    Observation,
    fields_of,
    members_of,
)

_XSD_TYPES = {"integer": "int", "long": "long"}


@cache
def shape(name: str) -> Any:
    """A shape of the botocore route53 model."""
    return botocore.session.get_session().get_service_model("route53").shape_for(name)


def _path(prefix: str, member: str) -> str:
    return prefix + member[0].lower() + member[1:]


def _shown(value: Any) -> str:
    """A value as AWS echoes it: strings quoted, lists in Java's ``[a, b]``."""
    if isinstance(value, list | tuple):
        return "'[" + ", ".join(str(item) for item in value) + "]'"
    return f"'{value}'"


def _scalar_constraints(member: Any) -> list[str]:
    """Every constraint of a string shape, as Coral lists them for list items."""
    meta = member.metadata
    found = []
    if "max" in meta:
        found.append(f"Member must have length less than or equal to {meta['max']}")
    if "min" in meta:
        found.append(f"Member must have length greater than or equal to {meta['min']}")
    if "enum" in meta:
        found.append(_enum_constraint(meta["enum"]))
    if "pattern" in meta:
        found.append(f"Member must satisfy regular expression pattern: {meta['pattern']}")
    return found


def _enum_constraint(values: list[str]) -> str:
    return "Member must satisfy enum value set: [" + ", ".join(values) + "]"


def _string_problem(member: Any, value: str) -> str | None:
    meta = member.metadata
    if "max" in meta and len(value) > meta["max"]:
        return f"Member must have length less than or equal to {meta['max']}"
    if "min" in meta and len(value) < meta["min"]:
        return f"Member must have length greater than or equal to {meta['min']}"
    if "enum" in meta and value not in meta["enum"]:
        return _enum_constraint(meta["enum"])
    if "pattern" in meta and not _pattern(meta["pattern"]).fullmatch(value):
        return f"Member must satisfy regular expression pattern: {meta['pattern']}"
    return None


@cache
def _pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _integer(member: Any, text: str) -> int:
    """An ``xs:int`` / ``xs:long``: optional sign and digits, nothing else."""
    body = text[1:] if text[:1] in "+-" else text
    if not (body.isascii() and body.isdigit()):
        xsd = _XSD_TYPES[member.type_name]
        raise InvalidInput(f"Invalid XML ; cvc-datatype-valid.1.2.1: '{text}' is not a valid value for '{xsd}'.")
    return int(text)


def body_members(name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The element names a request structure's body may hold, and those of them that are complex."""
    members = {m: s for m, s in shape(name).members.items() if "location" not in s.serialization}
    return tuple(members), tuple(m for m, s in members.items() if s.type_name in ("list", "structure"))


class _Members:
    """Reads the members of one request structure, collecting every constraint it breaks."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, value: Any, path: str, constraint: str) -> None:
        shown = "null" if value is None else _shown(value)
        self.problems.append(f"Value {shown} at '{path}' failed to satisfy constraint: {constraint}")

    def raise_any(self) -> None:
        if self.problems:
            raise wire.validation_error(self.problems)

    def structure(self, struct: Any, element: Any, name: str, prefix: str) -> dict[str, Any]:
        """The body members of ``struct`` read from ``element`` (uri and header members are not body
        members), by model name in model order; a missing required member is a problem."""
        allowed, nested = body_members(struct.name)
        children = wire.element_children(element, name, allowed, nested=nested)
        values: dict[str, Any] = {}
        for member in allowed:
            member_shape = struct.members[member]
            path = _path(prefix, member)
            if member not in children:
                if member in struct.required_members:
                    self.fail(None, path, "Member must not be null")
                continue
            value = self.value(member_shape, children[member], member, path)
            if value is not None:
                values[member] = value
        return values

    def value(self, member: Any, raw: Any, name: str, path: str) -> Any:
        kind = member.type_name
        if kind == "structure":
            return self.structure(member, raw, name, path + ".")
        if kind == "list":
            return self.items(member, raw, name, path)
        if kind == "boolean":
            return wire.parse_boolean(raw)
        if kind in _XSD_TYPES:
            number = _integer(member, raw)
            meta = member.metadata
            if "max" in meta and number > meta["max"]:
                self.fail(raw, path, f"Member must have value less than or equal to {meta['max']}")
            elif "min" in meta and number < meta["min"]:
                self.fail(raw, path, f"Member must have value greater than or equal to {meta['min']}")
            return number
        problem = _string_problem(member, raw)
        if problem is not None:
            self.fail(raw, path, problem)
        return raw

    def items(self, member: Any, raw: Any, name: str, path: str) -> list[str]:
        """A list of strings (``<Regions><Region>…</Region></Regions>``): its size, then its items."""
        item = member.member
        item_name = item.serialization.get("name", "member")
        items: list[str] = wire.element_children(raw, name, (item_name,), repeated=(item_name,)).get(item_name, [])
        meta = member.metadata
        if "max" in meta and len(items) > meta["max"]:
            self.fail(items, path, f"Member must have length less than or equal to {meta['max']}")
        elif "min" in meta and len(items) < meta["min"]:
            self.fail(items, path, f"Member must have length greater than or equal to {meta['min']}")
        elif any(_string_problem(item, value) for value in items):
            self.fail(items, path, "Member must satisfy constraint: [" + ", ".join(_scalar_constraints(item)) + "]")
        return items


HEALTH_CHECK_ID = wire.Member("HealthCheckId", "healthCheckId", max_length=64)


def create_request(body: dict[str, Any]) -> tuple[str, HealthCheckConfig]:
    """CreateHealthCheckRequest's children: the CallerReference and the HealthCheckConfig as sent."""
    reader = _Members()
    request = shape("CreateHealthCheckRequest")
    members = reader.structure(request, body, "CreateHealthCheckRequest", "")
    reader.raise_any()
    return members["CallerReference"], HealthCheckConfig(**fields_of(members["HealthCheckConfig"]))


def update_request(body: dict[str, Any]) -> HealthCheckUpdate:
    """UpdateHealthCheckRequest's children. Type, RequestInterval, MeasureLatency and EndpointType are not
    members of it, so sending one is a schema error: they cannot change."""
    reader = _Members()
    members = reader.structure(shape("UpdateHealthCheckRequest"), body, "UpdateHealthCheckRequest", "")
    reader.raise_any()
    version = members.pop("HealthCheckVersion", None)
    reset = frozenset(FIELD_NAMES[name] for name in members.pop("ResetElements", []))
    return HealthCheckUpdate(version, fields_of(members), reset)


def resource_ids(body: dict[str, Any]) -> list[str]:
    """ListTagsForResourcesRequest's ResourceIds (1 to 10 ids of up to 64 characters)."""
    reader = _Members()
    members = reader.structure(shape("ListTagsForResourcesRequest"), body, "ListTagsForResourcesRequest", "")
    reader.raise_any()
    ids: list[str] = members["ResourceIds"]
    return ids


def health_check_config(config: HealthCheckConfig) -> dict[str, Any]:
    """HealthCheckConfig in model member order, lists wrapped in their item elements."""
    members = members_of(config)
    for name, item in (("ChildHealthChecks", "ChildHealthCheck"), ("Regions", "Region")):
        if name in members:
            members[name] = {item: members[name]}
    return members


def cloudwatch_alarm_configuration() -> dict[str, Any]:
    """There is no CloudWatch here to read the alarm from: a fixed description of an alarm on one data point."""
    return {
        "EvaluationPeriods": 1,
        "Threshold": 1.0,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "Period": 60,
        "MetricName": "HealthCheckStatus",
        "Namespace": "AWS/Route53",
        "Statistic": "Minimum",
    }


def health_check(check: HealthCheckView) -> dict[str, Any]:
    """A HealthCheck in model member order; CloudWatchAlarmConfiguration for CLOUDWATCH_METRIC checks."""
    metric = check.config.type == "CLOUDWATCH_METRIC"
    return {
        "Id": check.id,
        "CallerReference": check.caller_reference,
        "HealthCheckConfig": health_check_config(check.config),
        "HealthCheckVersion": check.version,
        "CloudWatchAlarmConfiguration": cloudwatch_alarm_configuration() if metric else None,
    }


def health_check_observations(observations: list[Observation]) -> dict[str, Any]:
    return {
        "HealthCheckObservations": {
            "HealthCheckObservation": [
                {
                    "Region": observation.region,
                    "IPAddress": observation.ip_address,
                    "StatusReport": {
                        "Status": observation.status,
                        "CheckedTime": wire.timestamp(observation.checked_at),
                    },
                }
                for observation in observations
            ]
        }
    }
