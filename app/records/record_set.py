"""A Route 53 resource record set as this service keeps it (Route 53 API Reference, ResourceRecordSet).

Every member is kept exactly as the client sent it, so what a client writes it reads back unchanged
(values verbatim: TXT escapes, digest case), except the two names Route 53 itself normalises: the record
name and the alias target's DNS name, kept in Route 53's returned form (lower-case, ``\\ooo``, trailing dot).
A record set is stored as a JSON document of its non-key members (``to_document`` / ``from_document``).
"""

import json
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

from app.records.names import RecordName

ROUTING_MEMBERS = (
    "Weight",
    "Region",
    "GeoLocation",
    "Failover",
    "MultiValueAnswer",
    "GeoProximityLocation",
    "CidrRoutingConfig",
)

KNOWN_MEMBERS = frozenset(  # the members with fields of their own; ``extra`` holds any other
    {
        "SetIdentifier",
        *ROUTING_MEMBERS,
        "TTL",
        "ResourceRecords",
        "AliasTarget",
        "HealthCheckId",
        "TrafficPolicyInstanceId",
    }
)


@dataclass(frozen=True)
class AliasTarget:
    hosted_zone_id: str
    dns_name: str  # Route 53's returned form
    evaluate_target_health: bool


@dataclass(frozen=True)
class RecordSet:
    """One record set. ``routing`` holds the routing-policy members present and ``extra`` any other member
    (model names, model order, values as parsed: ``Weight`` an int, ``MultiValueAnswer`` a bool, nested
    members dicts)."""

    name: RecordName
    type: str
    set_identifier: str | None = None
    routing: tuple[tuple[str, Any], ...] = ()
    ttl: int | None = None
    values: tuple[str, ...] = ()
    alias: AliasTarget | None = None
    health_check_id: str | None = None
    traffic_policy_instance_id: str | None = None
    extra: tuple[tuple[str, Any], ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        """Identity inside one name: (type, set identifier or ``""``)."""
        return self.type, self.set_identifier or ""

    def routing_member(self, name: str) -> Any:
        return dict(self.routing).get(name)

    @property
    def policy(self) -> str:
        """The routing policy: ``simple`` without a set identifier, else the member that sets it."""
        if self.set_identifier is None:
            return "simple"
        return next((member for member, value in self.routing if value is not None), "simple")

    def matches(self, other: "RecordSet") -> bool:
        """DELETE's test: every member equal, the values as an unordered collection."""
        return replace(self, values=()) == replace(other, values=()) and Counter(self.values) == Counter(other.values)

    def to_document(self) -> str:
        """The non-key members as JSON, in model order."""
        document: dict[str, Any] = {}
        if self.set_identifier is not None:
            document["SetIdentifier"] = self.set_identifier
        document.update(self.routing)
        if self.ttl is not None:
            document["TTL"] = self.ttl
        if self.alias is None:
            document["ResourceRecords"] = list(self.values)
        else:
            document["AliasTarget"] = {
                "HostedZoneId": self.alias.hosted_zone_id,
                "DNSName": self.alias.dns_name,
                "EvaluateTargetHealth": self.alias.evaluate_target_health,
            }
        if self.health_check_id is not None:
            document["HealthCheckId"] = self.health_check_id
        if self.traffic_policy_instance_id is not None:
            document["TrafficPolicyInstanceId"] = self.traffic_policy_instance_id
        document.update(self.extra)
        return json.dumps(document, separators=(",", ":"))

    @classmethod
    def from_document(cls, name: RecordName, type_: str, document: str) -> "RecordSet":
        members = json.loads(document)
        alias = members.get("AliasTarget")
        return cls(
            name=name,
            type=type_,
            set_identifier=members.get("SetIdentifier"),
            routing=tuple((member, members[member]) for member in ROUTING_MEMBERS if member in members),
            ttl=members.get("TTL"),
            values=tuple(members.get("ResourceRecords", ())),
            alias=AliasTarget(alias["HostedZoneId"], alias["DNSName"], alias["EvaluateTargetHealth"])
            if alias
            else None,
            health_check_id=members.get("HealthCheckId"),
            traffic_policy_instance_id=members.get("TrafficPolicyInstanceId"),
            extra=tuple((member, value) for member, value in members.items() if member not in KNOWN_MEMBERS),
        )
