"""ChangeResourceRecordSets and ListResourceRecordSets through boto3 against the live server: every rule with
Route 53's exact code and message, batches all or nothing, round trips, Route 53's list order and paging."""

import uuid
from typing import Any

import httpx
import pytest

from tests.e2e.helpers import bare, error_of, insync, new_zone
from tests.wire import NAMESPACE

ELB_ZONE = "Z35SXDOTRQ7X7K"  # us-east-1 Classic Load Balancers: another AWS service's zone


def rrset(name: str, type_: str, *values: str, ttl: int | None = 300, **members: Any) -> dict[str, Any]:
    record: dict[str, Any] = {"Name": name, "Type": type_, **members}
    if values:
        record["TTL"] = ttl
        record["ResourceRecords"] = [{"Value": value} for value in values]
    return record


def change(route53: Any, zone_id: str, *changes: tuple[str, dict[str, Any]], comment: str | None = None) -> Any:
    batch: dict[str, Any] = {"Changes": [{"Action": action, "ResourceRecordSet": record} for action, record in changes]}
    if comment is not None:
        batch["Comment"] = comment
    response = route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch=batch)
    insync(route53, response["ChangeInfo"])
    return response


def refused(route53: Any, zone_id: str, *changes: tuple[str, dict[str, Any]]) -> tuple[str, int, str]:
    batch = {"Changes": [{"Action": action, "ResourceRecordSet": record} for action, record in changes]}
    return error_of(route53.change_resource_record_sets, HostedZoneId=zone_id, ChangeBatch=batch)


def invalid_batch(*messages: str) -> tuple[str, int, str]:
    return ("InvalidChangeBatch", 400, "[" + ", ".join(messages) + "]")


def listed(route53: Any, zone_id: str, **params: Any) -> list[dict[str, Any]]:
    record_sets: list[dict[str, Any]] = route53.list_resource_record_sets(HostedZoneId=zone_id, **params)[
        "ResourceRecordSets"
    ]
    return record_sets


def user_record_sets(route53: Any, zone_id: str) -> list[dict[str, Any]]:
    return [record for record in listed(route53, zone_id, MaxItems="300") if record["Type"] not in ("SOA", "NS")]


@pytest.fixture
def zone(route53: Any) -> tuple[str, str]:
    name = f"{uuid.uuid4().hex[:10]}.example.com"
    return new_zone(route53, name), name


def test_create_upsert_delete_round_trip_with_the_change_comment(route53: Any, zone: tuple[str, str]) -> None:
    zone_id, name = zone
    created = change(route53, zone_id, ("CREATE", rrset(f"www.{name}", "A", "192.0.2.1")), comment="first")
    assert created["ChangeInfo"]["Comment"] == "first"
    assert route53.get_change(Id=created["ChangeInfo"]["Id"])["ChangeInfo"]["Comment"] == "first"
    assert user_record_sets(route53, zone_id) == [rrset(f"www.{name}.", "A", "192.0.2.1")]
    change(route53, zone_id, ("UPSERT", rrset(f"WWW.{name.upper()}.", "A", "192.0.2.2", "192.0.2.3", ttl=60)))
    assert user_record_sets(route53, zone_id) == [rrset(f"www.{name}.", "A", "192.0.2.2", "192.0.2.3", ttl=60)]
    change(route53, zone_id, ("DELETE", rrset(f"www.{name}", "A", "192.0.2.3", "192.0.2.2", ttl=60)))
    assert user_record_sets(route53, zone_id) == []


def test_resource_record_set_count_and_delete_of_a_zone_with_records(route53: Any, zone: tuple[str, str]) -> None:
    zone_id, name = zone
    assert route53.get_hosted_zone(Id=zone_id)["HostedZone"]["ResourceRecordSetCount"] == 2
    change(
        route53, zone_id, ("CREATE", rrset(f"a.{name}", "A", "192.0.2.1")), ("CREATE", rrset(f"b.{name}", "TXT", '"x"'))
    )
    assert route53.get_hosted_zone(Id=zone_id)["HostedZone"]["ResourceRecordSetCount"] == 4
    listed_zone = next(z for z in route53.list_hosted_zones()["HostedZones"] if bare(z["Id"]) == zone_id)
    assert listed_zone["ResourceRecordSetCount"] == 4
    assert error_of(route53.delete_hosted_zone, Id=zone_id) == (
        "HostedZoneNotEmpty",
        400,
        "The specified hosted zone contains non-required resource record sets and so cannot be deleted.",
    )
    change(
        route53, zone_id, ("DELETE", rrset(f"a.{name}", "A", "192.0.2.1")), ("DELETE", rrset(f"b.{name}", "TXT", '"x"'))
    )
    assert route53.get_hosted_zone(Id=zone_id)["HostedZone"]["ResourceRecordSetCount"] == 2
    route53.delete_hosted_zone(Id=zone_id)
    assert error_of(route53.list_resource_record_sets, HostedZoneId=zone_id)[0] == "NoSuchHostedZone"


def test_new_zones_hold_route53s_apex_soa_and_ns(route53: Any, zone: tuple[str, str]) -> None:
    zone_id, name = zone
    servers = route53.get_hosted_zone(Id=zone_id)["DelegationSet"]["NameServers"]
    assert listed(route53, zone_id) == [
        rrset(f"{name}.", "NS", *(f"{server}." for server in servers), ttl=172800),
        rrset(f"{name}.", "SOA", f"{servers[0]}. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400", ttl=900),
    ]


def test_duplicate_create_missing_and_mismatched_delete(route53: Any, zone: tuple[str, str]) -> None:
    zone_id, name = zone
    record = rrset(f"www.{name}", "A", "192.0.2.1")
    change(route53, zone_id, ("CREATE", record))
    label = f"[name='www.{name}.', type='A']"
    assert refused(route53, zone_id, ("CREATE", record)) == invalid_batch(
        f"Tried to create resource record set {label} but it already exists"
    )
    assert refused(route53, zone_id, ("DELETE", rrset(f"nope.{name}", "A", "192.0.2.1"))) == invalid_batch(
        f"Tried to delete resource record set [name='nope.{name}.', type='A'] but it was not found"
    )
    for stale in (rrset(f"www.{name}", "A", "192.0.2.9"), rrset(f"www.{name}", "A", "192.0.2.1", ttl=60)):
        assert refused(route53, zone_id, ("DELETE", stale)) == invalid_batch(
            f"Tried to delete resource record set {label} but the values provided do not match the current values"
        )


def test_a_batch_with_one_problem_changes_nothing_and_lists_every_problem(route53: Any, zone: tuple[str, str]) -> None:
    zone_id, name = zone
    assert refused(
        route53,
        zone_id,
        ("CREATE", rrset(f"ok.{name}", "A", "192.0.2.1")),
        ("CREATE", rrset(f"bad{name}", "A", "192.0.2.1")),
        ("CREATE", rrset(f"ip.{name}", "A", "1.2.3")),
    ) == invalid_batch(
        f"RRSet with DNS name bad{name}. is not permitted in zone {name}.",
        "Invalid Resource Record: 'FATAL problem: ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address) "
        "encountered with '1.2.3''",
    )
    assert user_record_sets(route53, zone_id) == []
    assert route53.get_hosted_zone(Id=zone_id)["HostedZone"]["ResourceRecordSetCount"] == 2


def test_changes_apply_in_order_delete_then_create_replaces(route53: Any, zone: tuple[str, str]) -> None:
    zone_id, name = zone
    change(route53, zone_id, ("CREATE", rrset(f"www.{name}", "CNAME", "old.example.net")))
    change(
        route53,
        zone_id,
        ("DELETE", rrset(f"www.{name}", "CNAME", "old.example.net")),
        ("CREATE", rrset(f"www.{name}", "A", "192.0.2.1")),
    )
    assert user_record_sets(route53, zone_id) == [rrset(f"www.{name}.", "A", "192.0.2.1")]


def test_the_same_record_set_twice_in_one_batch(route53: Any, zone: tuple[str, str]) -> None:
    zone_id, name = zone
    record = rrset(f"_acme-challenge.{name}", "TXT", '"a"')
    message = f"The request contains an invalid set of changes for a resource record set 'TXT _acme-challenge.{name}.'"
    assert refused(route53, zone_id, ("UPSERT", record), ("UPSERT", record)) == invalid_batch(message)
    assert refused(route53, zone_id, ("CREATE", record), ("UPSERT", record), ("UPSERT", record)) == invalid_batch(
        message
    )
    change(route53, zone_id, ("CREATE", record))
    assert refused(route53, zone_id, ("DELETE", record), ("DELETE", record)) == invalid_batch(
        f"Tried to delete resource record set [name='_acme-challenge.{name}.', type='TXT'] but it was not found"
    )


def test_cname_at_the_apex_and_beside_other_types(route53: Any, zone: tuple[str, str]) -> None:
    zone_id, name = zone
    assert refused(route53, zone_id, ("CREATE", rrset(name, "CNAME", "x.example.net"))) == invalid_batch(
        f"RRSet of type CNAME with DNS name {name}. is not permitted at apex in zone {name}."
    )
    change(route53, zone_id, ("CREATE", rrset(f"a.{name}", "A", "192.0.2.1")))
    change(route53, zone_id, ("CREATE", rrset(f"c.{name}", "CNAME", "x.example.net")))
    assert refused(route53, zone_id, ("CREATE", rrset(f"a.{name}", "CNAME", "x.example.net"))) == invalid_batch(
        f"RRSet of type CNAME with DNS name a.{name}. is not permitted as it conflicts with other records with the "
        f"same DNS name in zone {name}."
    )
    assert refused(route53, zone_id, ("CREATE", rrset(f"c.{name}", "TXT", '"t"'))) == invalid_batch(
        f"RRSet of type TXT with DNS name c.{name}. is not permitted because a conflicting RRSet of type CNAME with "
        f"the same DNS name already exists in zone {name}."
    )


def test_the_apex_soa_and_ns_must_stay_but_may_be_upserted(route53: Any, zone: tuple[str, str]) -> None:
    zone_id, _ = zone
    ns, soa = listed(route53, zone_id)
    assert refused(route53, zone_id, ("DELETE", ns), ("DELETE", soa)) == invalid_batch(
        "A HostedZone must contain at least one NS record for the zone itself.",
        "A HostedZone must contain exactly one SOA record.",
    )
    new_soa = {
        **soa,
        "TTL": 60,
        "ResourceRecords": [{"Value": soa["ResourceRecords"][0]["Value"].replace(" 1 ", " 2 ")}],
    }
    change(route53, zone_id, ("UPSERT", new_soa))
    change(route53, zone_id, ("DELETE", ns), ("CREATE", {**ns, "TTL": 3600}))
    assert listed(route53, zone_id) == [{**ns, "TTL": 3600}, new_soa]


def test_names_are_case_insensitive_and_wildcards_list_escaped(route53: Any, zone: tuple[str, str]) -> None:
    zone_id, name = zone
    change(route53, zone_id, ("CREATE", rrset(f"*.{name}", "TXT", '"wild"')))
    change(route53, zone_id, ("CREATE", rrset(f"Mixed.{name.upper()}", "A", "192.0.2.1")))
    assert [r["Name"] for r in user_record_sets(route53, zone_id)] == [f"\\052.{name}.", f"mixed.{name}."]
    change(route53, zone_id, ("DELETE", rrset(f"\\052.{name}.", "TXT", '"wild"')))
    change(route53, zone_id, ("DELETE", rrset(f"MIXED.{name}", "A", "192.0.2.1")))
    assert user_record_sets(route53, zone_id) == []


def test_shape_errors_are_invalid_input_naming_the_change(route53: Any, zone: tuple[str, str]) -> None:
    zone_id, name = zone
    found = "Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found"
    assert refused(route53, zone_id, ("DELETE", {"Name": f"x.{name}", "Type": "A"})) == (
        "InvalidInput",
        400,
        f"{found} none in Change with [Action=DELETE, Name=x.{name}, Type=A, SetIdentifier=null]",
    )
    both = rrset(
        f"x.{name}",
        "A",
        "192.0.2.1",
        AliasTarget={"HostedZoneId": zone_id, "DNSName": name, "EvaluateTargetHealth": False},
    )
    assert refused(route53, zone_id, ("CREATE", both)) == (
        "InvalidInput",
        400,
        f"{found} more than one in Change with [Action=CREATE, Name=x.{name}, Type=A, SetIdentifier=null]",
    )
    assert refused(route53, zone_id, ("CREATE", rrset(f"x.{name}", "A", "192.0.2.1", Weight=10))) == (
        "InvalidInput",
        400,
        f"Invalid request: Missing field 'SetIdentifier' in Change with [Action=CREATE, Name=x.{name}, Type=A, SetIdentifier=null]",
    )
    assert refused(route53, zone_id, ("UPSERT", rrset(f"x.{name}", "TXT", '"v"', SetIdentifier="one"))) == (
        "InvalidInput",
        400,
        "Invalid request: Expected exactly one of [Weight, Region, Failover, GeoLocation, MultiValueAnswer, "
        f"GeoProximityLocation, or CidrRoutingConfig], but found none in Change with [Action=UPSERT, Name=x.{name}, "
        "Type=TXT, SetIdentifier=one]",
    )


def test_model_constraints_are_listed_in_one_invalid_input(route53: Any, zone: tuple[str, str]) -> None:
    zone_id, name = zone
    record = rrset(f"x.{name}", "A", "192.0.2.1", ttl=2147483648, SetIdentifier="w", Weight=256)
    assert refused(route53, zone_id, ("CREATE", record)) == (
        "InvalidInput",
        400,
        "2 validation errors detected: Value '256' at 'changeBatch.changes.1.member.resourceRecordSet.weight' "
        "failed to satisfy constraint: Member must have value less than or equal to 255; Value '2147483648' at "
        "'changeBatch.changes.1.member.resourceRecordSet.tTL' failed to satisfy constraint: Member must have value "
        "less than or equal to 2147483647",
    )


def test_batch_limits_count_upserts_twice(route53: Any, zone: tuple[str, str]) -> None:
    zone_id, name = zone
    values = [f"192.0.2.{i % 250}" for i in range(400)]
    many = [("UPSERT", rrset(f"n{i}.{name}", "A", *values[:251])) for i in range(2)]  # 502 records, counted 1,004
    assert refused(route53, zone_id, *many) == invalid_batch("Number of records limit of 1000 exceeded.")
    long_txt = '"' + "x" * 250 + '" ' * 1  # 253 characters a value
    text = [("CREATE", rrset(f"t{i}.{name}", "TXT", *([long_txt] * 10))) for i in range(13)]  # 130 values, 32,890
    assert refused(route53, zone_id, *text) == invalid_batch("RDATA character limit of 32000 exceeded.")
    assert user_record_sets(route53, zone_id) == []


def test_the_largest_batch_route53_accepts_is_accepted(route53: Any, zone: tuple[str, str]) -> None:
    zone_id, name = zone
    value = '"' + "v" * 30 + '"'  # 32 characters: 1,000 of them are 32,000
    changes = [("CREATE", rrset(f"record-{i:04d}.{name}", "TXT", value)) for i in range(1000)]
    change(route53, zone_id, *changes)
    assert route53.get_hosted_zone(Id=zone_id)["HostedZone"]["ResourceRecordSetCount"] == 1002


def test_aliases_to_record_sets_of_the_zone(route53: Any, zone: tuple[str, str]) -> None:
    zone_id, name = zone

    def alias(target: str, zone_of_target: str = zone_id, type_: str = "A") -> dict[str, Any]:
        return rrset(
            f"alias.{name}",
            type_,
            AliasTarget={"HostedZoneId": zone_of_target, "DNSName": target, "EvaluateTargetHealth": False},
        )

    prefix = f"Tried to create an alias that targets {{}}, type A in zone {zone_id}"
    assert refused(route53, zone_id, ("CREATE", alias(f"www.{name}"))) == invalid_batch(
        prefix.format(f"www.{name}.") + ", but that target was not found"
    )
    assert refused(route53, zone_id, ("CREATE", alias("www.example.org"))) == invalid_batch(
        prefix.format("www.example.org.") + ", but the alias target name does not lie within the target zone",
        prefix.format("www.example.org.") + ", but that target was not found",
    )
    change(route53, zone_id, ("CREATE", rrset(f"www.{name}", "A", "192.0.2.1")), ("CREATE", alias(f"WWW.{name}")))
    assert user_record_sets(route53, zone_id)[0] == {
        "Name": f"alias.{name}.",
        "Type": "A",
        "AliasTarget": {"HostedZoneId": zone_id, "DNSName": f"www.{name}.", "EvaluateTargetHealth": False},
    }
    change(route53, zone_id, ("DELETE", alias(f"www.{name}.")))


def test_aliases_to_other_aws_services_are_stored_as_sent(route53: Any, zone: tuple[str, str]) -> None:
    zone_id, name = zone
    target = {
        "HostedZoneId": ELB_ZONE,
        "DNSName": "dualstack.My-LB-1.us-east-1.elb.amazonaws.com",
        "EvaluateTargetHealth": True,
    }
    change(route53, zone_id, ("CREATE", rrset(name, "A", AliasTarget=target)))
    assert listed(route53, zone_id, StartRecordName=name, StartRecordType="A", MaxItems="1")[0] == {
        "Name": f"{name}.",
        "Type": "A",
        "AliasTarget": {**target, "DNSName": "dualstack.my-lb-1.us-east-1.elb.amazonaws.com."},
    }


def test_weighted_sets_list_by_set_identifier_and_page_with_next_identifier(
    route53: Any, zone: tuple[str, str]
) -> None:
    zone_id, name = zone
    weighted = [rrset(f"w.{name}", "A", f"192.0.2.{i}", SetIdentifier=f"set-{i}", Weight=i) for i in (3, 1, 2)]
    change(route53, zone_id, *(("CREATE", record) for record in weighted))
    page = route53.list_resource_record_sets(
        HostedZoneId=zone_id, StartRecordName=f"w.{name}", StartRecordType="A", MaxItems="2"
    )
    assert [r["SetIdentifier"] for r in page["ResourceRecordSets"]] == ["set-1", "set-2"]
    assert (page["IsTruncated"], page["NextRecordName"], page["NextRecordType"], page["NextRecordIdentifier"]) == (
        True,
        f"w.{name}.",
        "A",
        "set-3",
    )
    rest = route53.list_resource_record_sets(
        HostedZoneId=zone_id, StartRecordName=f"w.{name}", StartRecordType="A", StartRecordIdentifier="set-3"
    )
    assert rest["ResourceRecordSets"] == [{**weighted[0], "Name": f"w.{name}."}]
    assert rest["IsTruncated"] is False and "NextRecordName" not in rest


def test_routing_policies_do_not_mix(route53: Any, zone: tuple[str, str]) -> None:
    zone_id, name = zone
    change(route53, zone_id, ("CREATE", rrset(f"p.{name}", "TXT", '"simple"')))
    assert refused(
        route53, zone_id, ("CREATE", rrset(f"p.{name}", "TXT", '"w"', SetIdentifier="recordID", Weight=1))
    ) == invalid_batch(
        f"RRSet with DNS name p.{name}., type TXT, SetIdentifier recordID cannot be created as a non-weighted set "
        "exists with the same name and type."
    )
    assert refused(
        route53, zone_id, ("CREATE", rrset(f"p.{name}", "TXT", '"l"', SetIdentifier="green", Region="eu-west-2"))
    ) == invalid_batch(
        f"RRSet with DNS name p.{name}., type TXT, SetIdentifier green, and Region Name=eu-west-2 cannot be created "
        "because a non-latency RRSet with the same name and type already exists."
    )
    geo = rrset(f"p.{name}", "TXT", '"g"', SetIdentifier="ue1", GeoLocation={"ContinentCode": "NA"})
    assert refused(route53, zone_id, ("CREATE", geo)) == invalid_batch(
        f"RRSet with DNS name p.{name}., type TXT, SetIdentifier ue1, and routing to [continent = (NA, North "
        "America)] cannot be created because a non-GEO RRSet with the same name and type already exists"
    )
    multi = rrset(f"p.{name}", "TXT", '"m"', SetIdentifier='"token"', MultiValueAnswer=True)
    assert refused(route53, zone_id, ("CREATE", multi)) == invalid_batch(
        f'RRSet with DNS name p.{name}., type TXT, SetIdentifier "token" cannot be created because a non '
        "multivalue answer rrset exists with the same name and type."
    )
    change(route53, zone_id, ("CREATE", rrset(f"q.{name}", "A", "192.0.2.1", SetIdentifier="a", Weight=1)))
    assert refused(route53, zone_id, ("CREATE", rrset(f"q.{name}", "A", "192.0.2.2"))) == invalid_batch(
        f"RRSet with DNS name q.{name}., type A cannot be created as other RRSets exist with the same name and type."
    )


def test_every_routing_member_round_trips(route53: Any, zone: tuple[str, str]) -> None:
    zone_id, name = zone
    records = [
        rrset(f"f.{name}", "A", "192.0.2.1", SetIdentifier="primary", Failover="PRIMARY"),
        rrset(f"f.{name}", "A", "192.0.2.2", SetIdentifier="secondary", Failover="SECONDARY"),
        rrset(
            f"g.{name}",
            "A",
            "192.0.2.3",
            SetIdentifier="us-wa",
            GeoLocation={"CountryCode": "US", "SubdivisionCode": "WA"},
        ),
        rrset(f"g.{name}", "A", "192.0.2.4", SetIdentifier="default", GeoLocation={"CountryCode": "*"}),
        rrset(f"l.{name}", "A", "192.0.2.5", SetIdentifier="use1", Region="us-east-1"),
        rrset(f"m.{name}", "TXT", '"m"', ttl=10, SetIdentifier='"token"', MultiValueAnswer=True),
        rrset(
            f"x.{name}",
            "A",
            "192.0.2.6",
            SetIdentifier="gp",
            GeoProximityLocation={"AWSRegion": "us-east-1", "Bias": -10},
        ),
        rrset(
            f"y.{name}",
            "A",
            "192.0.2.7",
            SetIdentifier="gc",
            GeoProximityLocation={"Coordinates": {"Latitude": "49.22", "Longitude": "-74.01"}},
        ),
    ]
    change(route53, zone_id, *(("CREATE", record) for record in records))
    got = user_record_sets(route53, zone_id)
    assert sorted(got, key=str) == sorted(({**r, "Name": r["Name"] + "."} for r in records), key=str)
    two_primaries = rrset(f"f.{name}", "A", "192.0.2.9", SetIdentifier="other", Failover="PRIMARY")
    assert refused(route53, zone_id, ("CREATE", two_primaries)) == invalid_batch(
        f"RRSet with DNS name f.{name}., type A, SetIdentifier other cannot be created because another RRSet with "
        "the same name, type and failover value PRIMARY exists."
    )
    change(route53, zone_id, *(("DELETE", record) for record in records))


def test_list_positions_type_without_name_and_page_cap(route53: Any, zone: tuple[str, str]) -> None:
    zone_id, name = zone
    change(route53, zone_id, *(("CREATE", rrset(f"r{i:03d}.{name}", "A", "192.0.2.1")) for i in range(305)))
    page = route53.list_resource_record_sets(HostedZoneId=zone_id, MaxItems="5000")
    assert (len(page["ResourceRecordSets"]), page["MaxItems"], page["IsTruncated"]) == (300, "300", True)
    assert (page["NextRecordName"], page["NextRecordType"]) == (f"r298.{name}.", "A")
    assert "NextRecordIdentifier" not in page
    default = route53.list_resource_record_sets(HostedZoneId=zone_id)
    assert (len(default["ResourceRecordSets"]), default["MaxItems"]) == (100, "100")
    from_name = listed(route53, zone_id, StartRecordName=f"r100.{name}", MaxItems="1")
    assert from_name[0]["Name"] == f"r100.{name}."
    after_type = listed(route53, zone_id, StartRecordName=name, StartRecordType="SOA", MaxItems="2")
    assert [(r["Name"], r["Type"]) for r in after_type] == [(f"{name}.", "SOA"), (f"r000.{name}.", "A")]
    code, status, _ = error_of(route53.list_resource_record_sets, HostedZoneId=zone_id, StartRecordType="A")
    assert (code, status) == ("InvalidInput", 400)
    assert error_of(route53.list_resource_record_sets, HostedZoneId=zone_id, StartRecordName="a..b") == (
        "InvalidInput",
        400,
        "FATAL problem: DomainLabelEmpty (Domain label is empty) encountered with 'a..b'",
    )


def test_raw_xml_with_and_without_the_trailing_slash(live_server: Any, route53: Any, zone: tuple[str, str]) -> None:
    zone_id, name = zone
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?><ChangeResourceRecordSetsRequest xmlns="{NAMESPACE}"><ChangeBatch>'
        "<Changes><Change><Action>CREATE</Action><ResourceRecordSet><Name>{}</Name><Type>A</Type><TTL>300</TTL>"
        "<ResourceRecords><ResourceRecord><Value>192.0.2.1</Value></ResourceRecord></ResourceRecords>"
        "</ResourceRecordSet></Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>"
    )
    for index, path in enumerate(
        (f"/2013-04-01/hostedzone/{zone_id}/rrset/", f"/2013-04-01/hostedzone/{zone_id}/rrset")
    ):
        response = httpx.post(live_server.url + path, content=body.format(f"s{index}.{name}"))
        assert response.status_code == 200, response.text
        assert (
            b"<ChangeResourceRecordSetsResponse" in response.content and b"<Status>PENDING</Status>" in response.content
        )
    response = httpx.post(
        f"{live_server.url}/2013-04-01/hostedzone/{zone_id}/rrset/", content=body.format(f"s0.{name}")
    )
    assert response.status_code == 400
    assert response.content.endswith(
        f"<Error><Type>Sender</Type><Code>InvalidChangeBatch</Code><Message>[Tried to create resource record set "
        f"[name=&apos;s0.{name}.&apos;, type=&apos;A&apos;] but it already exists]</Message></Error>".encode().replace(
            b"&apos;", b"'"
        )
        + f"<RequestId>{response.headers['x-amzn-requestid']}</RequestId></ErrorResponse>".encode()
    )
    listing = httpx.get(f"{live_server.url}/2013-04-01/hostedzone/{zone_id}/rrset?name=s0.{name}&type=A&maxitems=1")
    assert (
        f"<ResourceRecordSets><ResourceRecordSet><Name>s0.{name}.</Name><Type>A</Type><TTL>300</TTL><ResourceRecords>"
        "<ResourceRecord><Value>192.0.2.1</Value></ResourceRecord></ResourceRecords></ResourceRecordSet>"
        "</ResourceRecordSets><IsTruncated>true</IsTruncated>"
    ).encode() in listing.content


def test_empty_record_lists_are_schema_errors(live_server: Any, zone: tuple[str, str]) -> None:
    zone_id, name = zone
    body = (
        f'<ChangeResourceRecordSetsRequest xmlns="{NAMESPACE}"><ChangeBatch><Changes><Change><Action>CREATE</Action>'
        f"<ResourceRecordSet><Name>e.{name}</Name><Type>A</Type><TTL>300</TTL><ResourceRecords/></ResourceRecordSet>"
        "</Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>"
    )
    response = httpx.post(f"{live_server.url}/2013-04-01/hostedzone/{zone_id}/rrset/", content=body)
    assert response.status_code == 400
    assert (
        "<Code>InvalidInput</Code><Message>Invalid XML ; cvc-complex-type.2.4.b: The content of element "
        "'ResourceRecords' is not complete. One of '{\"https://route53.amazonaws.com/doc/2013-04-01/\":ResourceRecord}' "
        "is expected.</Message>"
    ) in response.text.replace("&quot;", '"')


def test_missing_zone(route53: Any) -> None:
    record = rrset("www.example.com", "A", "192.0.2.1")
    assert refused(route53, "ZNOSUCHZONE", ("CREATE", record)) == (
        "NoSuchHostedZone",
        404,
        "No hosted zone found with ID: ZNOSUCHZONE",
    )


def test_health_check_ids_must_exist_and_may_dangle_after_delete(route53: Any, zone: tuple[str, str]) -> None:
    zone_id, name = zone
    missing = "00000000-0000-4000-8000-000000000000"
    record = rrset(f"hc.{name}", "A", "192.0.2.1", SetIdentifier="p", Failover="PRIMARY", HealthCheckId=missing)
    assert refused(route53, zone_id, ("CREATE", record)) == (
        "NoSuchHealthCheck",
        404,
        f"A health check with id {missing} does not exist.",
    )
    check = route53.create_health_check(
        CallerReference=uuid.uuid4().hex, HealthCheckConfig={"Type": "HTTP", "IPAddress": "8.8.8.8"}
    )["HealthCheck"]["Id"]
    record["HealthCheckId"] = check
    change(route53, zone_id, ("CREATE", record))
    route53.delete_health_check(HealthCheckId=check)
    assert user_record_sets(route53, zone_id) == [{**record, "Name": f"hc.{name}."}]
    change(route53, zone_id, ("DELETE", record))
