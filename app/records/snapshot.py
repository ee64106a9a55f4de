"""Stored record sets as the resolver's input: one zone's snapshot (pure).

A stored ``RecordSet`` (Route 53 members, values as sent) becomes a ``resolver.RecordSet`` (dnspython
names and rdatas, the routing member its policy uses). Values were checked when they were written; one
that no longer parses (a stricter check in a later release) is left out of the answers rather than failing
the zone.
"""

from collections.abc import Iterable

import dns.rdatatype

from app.records import resolver
from app.records.names import parse_name
from app.records.record_set import RecordSet
from app.records.values import ValueRefused, to_rdata


def resolver_record_set(record: RecordSet) -> resolver.RecordSet:
    """The resolver's view of one stored record set."""
    alias = None
    if record.alias is not None:
        target = parse_name(record.alias.dns_name).to_dns()
        alias = resolver.AliasTarget(record.alias.hosted_zone_id, target, record.alias.evaluate_target_health)
    rdatas = []
    for value in record.values:
        try:
            rdatas.append(to_rdata(record.type, value))
        except ValueRefused:
            continue
    geo = record.routing_member("GeoLocation")
    cidr = record.routing_member("CidrRoutingConfig")
    multivalue = record.routing_member("MultiValueAnswer")
    return resolver.RecordSet(
        name=record.name.to_dns(),
        rdtype=dns.rdatatype.from_text(record.type),
        ttl=record.ttl,
        rdatas=tuple(rdatas),
        alias=alias,
        set_identifier=record.set_identifier,
        weight=record.routing_member("Weight"),
        region=record.routing_member("Region"),
        failover=record.routing_member("Failover"),
        geo_location=(geo.get("ContinentCode"), geo.get("CountryCode"), geo.get("SubdivisionCode")) if geo else None,
        multivalue=bool(multivalue),
        cidr_location=(cidr["CollectionId"], cidr["LocationName"]) if cidr else None,
        health_check_id=record.health_check_id,
    )


def zone_snapshot(zone_id: str, zone_name: str, records: Iterable[RecordSet]) -> resolver.Zone:
    """The resolver's index of one hosted zone."""
    return resolver.build_zone(
        zone_id, parse_name(zone_name).to_dns(), [resolver_record_set(record) for record in records]
    )
