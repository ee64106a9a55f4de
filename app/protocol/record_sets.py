"""ChangeResourceRecordSets and ListResourceRecordSets on the wire (Route 53 API Reference).

A request's ``ChangeBatch`` is checked against the model (``app.protocol.shapes``), then against the shape
rules Route 53 answers with ``InvalidInput`` ("Invalid request: Expected exactly one of …"), then each
record set's name and values are parsed; the problems found there travel with the change, so that the batch
rules report them in batch order beside the problems only the zone's state reveals. Record sets render in
the model's member order.
"""

import json
from functools import lru_cache
from typing import Any

from botocore.model import StructureShape

from app.errors import InvalidInput
from app.protocol.route53 import validation_error
from app.protocol.shapes import parse_structure, route53_shape
from app.protocol.xml import Fragment, render_element, xml_text
from app.records.batch import RequestedChange
from app.records.names import NameProblem, parse_name
from app.records.record_set import KNOWN_MEMBERS, ROUTING_MEMBERS, AliasTarget, RecordSet
from app.records.values import value_problems

_RECORD_SET_SHAPE = "ResourceRecordSet"
_POLICY_LIST = "Weight, Region, Failover, GeoLocation, MultiValueAnswer, GeoProximityLocation, or CidrRoutingConfig"


def parse_change_batch(element: Any, zone_id: str) -> tuple[str | None, list[RequestedChange]]:
    """The comment and the changes of a ``ChangeBatch`` element (xmltodict's value for it)."""
    problems: list[str] = []
    if len(zone_id) > 32:
        problems.append(
            f"Value '{zone_id}' at 'hostedZoneId' failed to satisfy constraint: Member must have length less than "
            "or equal to 32"
        )
    shape = route53_shape("ChangeBatch")
    assert isinstance(shape, StructureShape)
    batch = parse_structure(element, shape, "ChangeBatch", "changeBatch", problems)
    if problems:
        raise validation_error(problems)
    changes = [_change(change["Action"], change["ResourceRecordSet"]) for change in batch["Changes"]]
    return batch.get("Comment"), changes


def _change(action: str, members: dict[str, Any]) -> RequestedChange:
    _check_shape_rules(action, members)
    problems: list[str] = []
    try:
        name = parse_name(members["Name"])
    except NameProblem as problem:
        return RequestedChange(action, None, (problem.message,))
    alias = members.get("AliasTarget")
    alias_target = None
    if alias is not None:
        try:
            dns_name = parse_name(alias["DNSName"]).text
        except NameProblem as problem:
            problems.append(problem.message)
            dns_name = alias["DNSName"]
        alias_target = AliasTarget(alias["HostedZoneId"], dns_name, alias["EvaluateTargetHealth"])
    values = tuple(record["Value"] for record in members.get("ResourceRecords", ()))
    if alias_target is None:
        problems += value_problems(members["Type"], values)
    record = RecordSet(
        name=name,
        type=members["Type"],
        set_identifier=members.get("SetIdentifier"),
        routing=tuple((member, members[member]) for member in ROUTING_MEMBERS if member in members),
        ttl=members.get("TTL"),
        values=values,
        alias=alias_target,
        health_check_id=members.get("HealthCheckId"),
        traffic_policy_instance_id=members.get("TrafficPolicyInstanceId"),
        extra=tuple(
            (member, value)
            for member, value in members.items()
            if member not in KNOWN_MEMBERS and member not in ("Name", "Type")
        ),
    )
    return RequestedChange(action, record, tuple(problems))


def _check_shape_rules(action: str, members: dict[str, Any]) -> None:
    """Route 53's ``Invalid request: …`` rules: exactly one of an alias, TTL with records, or a traffic
    policy instance; a set identifier exactly when one routing policy is given."""
    set_identifier = members.get("SetIdentifier")
    where = (
        f"in Change with [Action={action}, Name={members['Name']}, Type={members['Type']}, "
        f"SetIdentifier={'null' if set_identifier is None else set_identifier}]"
    )
    records = ("TTL" in members) + ("ResourceRecords" in members)
    kinds = ("AliasTarget" in members) + (records > 0) + ("TrafficPolicyInstanceId" in members)
    if kinds != 1 or records == 1:
        found = "more than one" if kinds > 1 else "none"
        raise InvalidInput(
            "Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or "
            f"TrafficPolicyInstanceId], but found {found} {where}"
        )
    policies = [member for member in ROUTING_MEMBERS if member in members]
    if policies and set_identifier is None:
        raise InvalidInput(f"Invalid request: Missing field 'SetIdentifier' {where}")
    if set_identifier is not None and len(policies) != 1:
        found = "none" if not policies else "more than one"
        raise InvalidInput(f"Invalid request: Expected exactly one of [{_POLICY_LIST}], but found {found} {where}")


def record_set(record: RecordSet) -> dict[str, Any]:
    """A ResourceRecordSet in the model's member order."""
    members: dict[str, Any] = {"Name": record.name.text, "Type": record.type, "SetIdentifier": record.set_identifier}
    members.update(record.routing)
    members["TTL"] = record.ttl
    if record.alias is None:
        members["ResourceRecords"] = {"ResourceRecord": [{"Value": value} for value in record.values]}
    else:
        members["AliasTarget"] = {
            "HostedZoneId": record.alias.hosted_zone_id,
            "DNSName": record.alias.dns_name,
            "EvaluateTargetHealth": record.alias.evaluate_target_health,
        }
    members["HealthCheckId"] = record.health_check_id
    members["TrafficPolicyInstanceId"] = record.traffic_policy_instance_id
    members.update(record.extra)
    shape = route53_shape(_RECORD_SET_SHAPE)
    assert isinstance(shape, StructureShape)
    return {name: members[name] for name in shape.members if name in members}


_SIMPLE_MEMBERS = frozenset({"TTL", "ResourceRecords"})
# List pages keep the elements of recently listed small record sets: a page that is listed again (Terraform
# refreshes, external-dns and octoDNS syncs) renders by lookup. At most this many per worker, each of a name
# and document of at most this many characters together (an element escapes to at most about 5 times that),
# so a worker's cache stays under about 50 MB, and a few MB for common records.
RENDERED_RECORD_SETS_KEPT = 8192
RENDERED_ROW_CHARS = 1024


def stored_record_set_xml(name: str, type_: str, document: str) -> str:
    """A stored record set (its returned name, type and ``RecordSet.to_document`` JSON) as its
    ``<ResourceRecordSet>`` element, the same as rendering ``record_set``: the simple record sets (a TTL and
    values, most of any zone) by template, the others through ``record_set``."""
    members = json.loads(document)
    if members.keys() <= _SIMPLE_MEMBERS:
        values = "".join(
            f"<ResourceRecord><Value>{xml_text(value)}</Value></ResourceRecord>"
            for value in members.get("ResourceRecords", ())
        )
        ttl = members.get("TTL")
        return (
            f"<ResourceRecordSet><Name>{xml_text(name)}</Name><Type>{type_}</Type>"
            + ("" if ttl is None else f"<TTL>{ttl}</TTL>")
            + (f"<ResourceRecords>{values}</ResourceRecords>" if values else "<ResourceRecords/>")
            + "</ResourceRecordSet>"
        )
    record = RecordSet.from_document(parse_name(name), type_, document)
    return render_element("ResourceRecordSet", record_set(record))


_recently_rendered = lru_cache(maxsize=RENDERED_RECORD_SETS_KEPT)(stored_record_set_xml)


def stored_record_sets_xml(rows: list[tuple[str, str, str]]) -> Fragment:
    """``<ResourceRecordSet>`` elements of ``(name, type, document)`` rows, for a list page."""
    return Fragment("".join(_page_element(name, type_, document) for name, type_, document in rows))


def _page_element(name: str, type_: str, document: str) -> str:
    """A small record set's element is kept, keyed by its stored row (an edited record set renders afresh)."""
    if len(name) + len(document) > RENDERED_ROW_CHARS:
        return stored_record_set_xml(name, type_, document)
    return _recently_rendered(name, type_, document)
