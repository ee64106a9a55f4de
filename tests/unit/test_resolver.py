import math
import random
from collections.abc import Iterable
from dataclasses import dataclass

import dns.name
import dns.node
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rrset
import dns.zone
import pytest
from dns.rdatatype import RdataType

from app.records.resolver import (
    MAX_HOPS,
    AliasTarget,
    Answer,
    ClientContext,
    Kind,
    RecordSet,
    Zone,
    build_zone,
    resolve,
)

APEX = dns.name.from_text("example.com.")
DS_DIGEST = "b4c8c1fe2e7477127b27115656ad6256f424625bf5c1e2770ce6d6e37df61d17"
HEAD = """
$ORIGIN example.com.
$TTL 300
@        900    SOA   ns-1.awsdns-01.org. hostmaster.example.com. 1 7200 900 1209600 60
@        172800 NS    ns-1.awsdns-01.org.
@        172800 NS    ns-2.awsdns-02.net.
"""
ZONE = (
    HEAD
    + f"""
www             A     192.0.2.1
www             AAAA  2001:db8::1
alias    60     CNAME www
chain           CNAME alias
out             CNAME www.example.net.
dangling        CNAME ghost
loop1           CNAME loop2
loop2           CNAME loop1
tosub           CNAME host.sub
a.b.c           TXT   "deep"
*.wild          TXT   "wild"
*.wild          MX    10 mail
sub.*.wild      TXT   "literal"
*.cn            CNAME www
sub      86400  NS    ns1.sub
sub      86400  NS    ns2
sub      86400  NS    ns.other.org.
sub             DS    60485 13 2 {DS_DIGEST}
ns1.sub         A     192.0.2.53
ns1.sub         AAAA  2001:db8::53
ns2             A     192.0.2.54
nods            NS    ns.other.org.
"""
)
SOA_NEGATIVE = "example.com. 60 IN SOA ns-1.awsdns-01.org. hostmaster.example.com. 1 7200 900 1209600 60"
REFERRAL_NS = [
    "sub.example.com. 86400 IN NS ns1.sub.example.com.",
    "sub.example.com. 86400 IN NS ns2.example.com.",
    "sub.example.com. 86400 IN NS ns.other.org.",
]
REFERRAL_DS = [f"sub.example.com. 300 IN DS 60485 13 2 {DS_DIGEST}"]
GLUE = [
    "ns1.sub.example.com. 300 IN A 192.0.2.53",
    "ns1.sub.example.com. 300 IN AAAA 2001:db8::53",
    "ns2.example.com. 300 IN A 192.0.2.54",
]


def name(text: str) -> dns.name.Name:
    return dns.name.from_text(text, APEX)


def record_sets_of(zone: dns.zone.Zone) -> list[RecordSet]:
    return [
        RecordSet(owner, rdataset.rdtype, rdataset.ttl, tuple(rdataset))
        for owner, node in zone.items()
        for rdataset in node
    ]


def record_sets(text: str, origin: str = "example.com.") -> list[RecordSet]:
    return record_sets_of(dns.zone.from_text(text, origin, relativize=False))


def a_set(owner: str, address: str | None = None, ttl: int = 60, **fields: object) -> RecordSet:
    rdatas = (dns.rdata.from_text("IN", "A", address),) if address else ()
    return RecordSet(name(owner), RdataType.A, None if "alias" in fields else ttl, rdatas, **fields)


def zone_with(*extra: RecordSet, text: str = ZONE, zone_id: str = "Z1") -> Zone:
    return build_zone(zone_id, APEX, [*record_sets(text), *extra])


BASE = zone_with()


def lines(rrsets: Iterable[dns.rrset.RRset]) -> list[str]:
    return [line for rrset in rrsets for line in rrset.to_text().splitlines()]


@dataclass
class Sections:
    rcode: dns.rcode.Rcode
    aa: bool
    kind: Kind
    answer: list[str]
    authority: list[str]
    additional: list[str]


def sections(answer: Answer) -> Sections:
    return Sections(
        answer.rcode,
        answer.authoritative,
        answer.kind,
        lines(answer.answer),
        lines(answer.authority),
        lines(answer.additional),
    )


def ask(qname: str, qtype: RdataType, zone: Zone = BASE, **options: object) -> Answer:
    return resolve(zone, name(qname), qtype, **options)


def positive(*answer: str, kind: Kind = Kind.POSITIVE) -> Sections:
    return Sections(dns.rcode.NOERROR, True, kind, list(answer), [], [])


def negative(*answer: str, kind: Kind = Kind.NODATA) -> Sections:
    rcode = dns.rcode.NXDOMAIN if kind is Kind.NXDOMAIN else dns.rcode.NOERROR
    return Sections(rcode, True, kind, list(answer), [SOA_NEGATIVE], [])


# --- exact match, NODATA, NXDOMAIN, empty non-terminals ---------------------------------------------------


def test_exact_match_answers_the_rrset() -> None:
    answer = ask("www", RdataType.A)
    assert sections(answer) == positive("www.example.com. 300 IN A 192.0.2.1")
    assert answer.name == name("www")
    assert answer.types == {RdataType.A, RdataType.AAAA}
    assert answer.wildcard is None


def test_owner_names_keep_the_case_of_the_query() -> None:
    answer = resolve(BASE, dns.name.from_text("WWW.Example.COM."), RdataType.AAAA)
    assert lines(answer.answer) == ["WWW.Example.COM. 300 IN AAAA 2001:db8::1"]
    assert answer.name.to_text() == "WWW.Example.COM."


def test_nodata_has_the_soa_with_the_negative_ttl_and_the_types_present() -> None:
    answer = ask("www", RdataType.MX)
    assert sections(answer) == negative()
    assert answer.types == {RdataType.A, RdataType.AAAA}


def test_nxdomain_has_the_soa() -> None:
    answer = ask("nope", RdataType.A)
    assert sections(answer) == negative(kind=Kind.NXDOMAIN)
    assert (answer.name, answer.types) == (name("nope"), frozenset())


@pytest.mark.parametrize("qname", ["c", "b.c", "B.C"])
def test_empty_non_terminals_are_nodata(qname: str) -> None:
    answer = ask(qname, RdataType.TXT)
    assert sections(answer) == negative(kind=Kind.EMPTY_NON_TERMINAL)
    assert answer.types == frozenset()


def test_below_an_empty_non_terminal_is_nxdomain() -> None:
    assert sections(ask("x.b.c", RdataType.TXT)) == negative(kind=Kind.NXDOMAIN)


def test_changing_an_answer_leaves_the_zone_unchanged() -> None:
    first = ask("www", RdataType.A)
    first.answer[0].ttl = 1
    first.answer[0].add(dns.rdata.from_text("IN", "A", "203.0.113.9"))
    ask("nope", RdataType.A).authority[0].ttl = 1
    assert lines(ask("www", RdataType.A).answer) == ["www.example.com. 300 IN A 192.0.2.1"]
    assert lines(ask("nope", RdataType.A).authority) == [SOA_NEGATIVE]


def test_apex_soa_and_ns_are_answered_as_stored() -> None:
    assert sections(ask("@", RdataType.SOA)) == positive(
        "example.com. 900 IN SOA ns-1.awsdns-01.org. hostmaster.example.com. 1 7200 900 1209600 60"
    )
    assert sections(ask("@", RdataType.NS)) == positive(
        "example.com. 172800 IN NS ns-1.awsdns-01.org.", "example.com. 172800 IN NS ns-2.awsdns-02.net."
    )


def test_negative_ttl_is_the_soa_ttl_when_it_is_below_the_minimum() -> None:
    zone = build_zone(
        "Z1", APEX, record_sets(HEAD.replace("1209600 60", "1209600 3600").replace("900    SOA", "120 SOA"))
    )
    assert lines(ask("nope", RdataType.A, zone).authority) == [
        "example.com. 120 IN SOA ns-1.awsdns-01.org. hostmaster.example.com. 1 7200 900 1209600 3600"
    ]


def test_any_answers_every_rrset_in_type_order() -> None:
    assert sections(ask("www", RdataType.ANY)) == positive(
        "www.example.com. 300 IN A 192.0.2.1", "www.example.com. 300 IN AAAA 2001:db8::1"
    )


def test_dnssec_types_are_not_record_sets() -> None:
    for qtype in (RdataType.DNSKEY, RdataType.NSEC, RdataType.RRSIG):
        assert sections(ask("@", qtype)) == negative()


# --- CNAME --------------------------------------------------------------------------------------------------


def test_cname_chain_is_followed_inside_the_zone() -> None:
    answer = ask("chain", RdataType.A)
    assert sections(answer) == positive(
        "chain.example.com. 300 IN CNAME alias.example.com.",
        "alias.example.com. 60 IN CNAME www.example.com.",
        "www.example.com. 300 IN A 192.0.2.1",
    )
    assert answer.name == name("www")


def test_cname_query_answers_the_cname_only() -> None:
    assert sections(ask("alias", RdataType.CNAME)) == positive("alias.example.com. 60 IN CNAME www.example.com.")
    assert sections(ask("alias", RdataType.ANY)) == positive("alias.example.com. 60 IN CNAME www.example.com.")


def test_cname_chain_stops_at_the_zone_edge() -> None:
    answer = ask("out", RdataType.A)
    assert sections(answer) == positive("out.example.com. 300 IN CNAME www.example.net.", kind=Kind.CNAME)
    assert answer.name == dns.name.from_text("www.example.net.")


def test_cname_loop_stops() -> None:
    assert sections(ask("loop1", RdataType.A)) == positive(
        "loop1.example.com. 300 IN CNAME loop2.example.com.",
        "loop2.example.com. 300 IN CNAME loop1.example.com.",
        kind=Kind.CNAME,
    )


def test_cname_chain_stops_after_max_hops() -> None:
    chain = "".join(f"c{i} CNAME c{i + 1}\n" for i in range(MAX_HOPS + 4))
    answer = ask("c0", RdataType.A, zone_with(text=HEAD + chain))
    assert answer.kind is Kind.CNAME
    assert len(answer.answer) == MAX_HOPS
    assert lines(answer.answer)[-1] == f"c{MAX_HOPS - 1}.example.com. 300 IN CNAME c{MAX_HOPS}.example.com."


def test_cname_to_a_missing_name_is_nxdomain_with_the_cname() -> None:
    answer = ask("dangling", RdataType.A)
    assert sections(answer) == negative("dangling.example.com. 300 IN CNAME ghost.example.com.", kind=Kind.NXDOMAIN)
    assert answer.name == name("ghost")


def test_cname_to_a_name_without_the_type_is_nodata_with_the_cname() -> None:
    answer = ask("alias", RdataType.MX)
    assert sections(answer) == negative("alias.example.com. 60 IN CNAME www.example.com.")
    assert (answer.name, answer.types) == (name("www"), {RdataType.A, RdataType.AAAA})


def test_cname_into_a_delegation_is_a_referral_after_the_cname() -> None:
    answer = ask("tosub", RdataType.A)
    assert sections(answer) == Sections(
        dns.rcode.NOERROR,
        True,  # RFC 1035 §4.1.1: AA is about the first owner name in the answer
        Kind.REFERRAL,
        ["tosub.example.com. 300 IN CNAME host.sub.example.com."],
        REFERRAL_NS + REFERRAL_DS,
        GLUE,
    )
    assert answer.name == name("sub")


# --- wildcards (RFC 4592) -----------------------------------------------------------------------------------


def test_wildcard_synthesizes_under_the_query_name() -> None:
    answer = resolve(BASE, dns.name.from_text("Deep.X.wild.example.com."), RdataType.TXT)
    assert sections(answer) == positive('Deep.X.wild.example.com. 300 IN TXT "wild"', kind=Kind.WILDCARD)
    assert answer.wildcard == name("*.wild")
    assert answer.types == {RdataType.TXT, RdataType.MX}


def test_wildcard_without_the_type_is_nodata_with_the_wildcard_types() -> None:
    answer = ask("x.wild", RdataType.A)
    assert sections(answer) == negative()
    assert (answer.name, answer.wildcard, answer.types) == (
        name("x.wild"),
        name("*.wild"),
        {RdataType.TXT, RdataType.MX},
    )


def test_query_for_the_wildcard_name_itself_is_an_exact_match() -> None:
    answer = ask("*.wild", RdataType.MX)
    assert sections(answer) == positive("*.wild.example.com. 300 IN MX 10 mail.example.com.")
    assert answer.wildcard is None


def test_star_in_the_middle_is_a_literal_label() -> None:
    assert sections(ask("sub.*.wild", RdataType.TXT)) == positive('sub.*.wild.example.com. 300 IN TXT "literal"')
    assert sections(ask("sub.*.wild", RdataType.MX)) == negative()
    assert sections(ask("ghost.*.wild", RdataType.TXT)) == negative(kind=Kind.NXDOMAIN)


def test_existing_names_block_the_wildcard() -> None:
    zone = zone_with(text=HEAD + '*.ent TXT "wild"\nx.y.ent TXT "x"\n')
    assert sections(ask("y.ent", RdataType.TXT, zone)) == negative(kind=Kind.EMPTY_NON_TERMINAL)
    assert sections(ask("z.y.ent", RdataType.TXT, zone)) == negative(kind=Kind.NXDOMAIN)
    assert sections(ask("q.ent", RdataType.TXT, zone)) == positive(
        'q.ent.example.com. 300 IN TXT "wild"', kind=Kind.WILDCARD
    )


def test_an_empty_non_terminal_wildcard_matches_with_no_data() -> None:
    zone = zone_with(text=HEAD + 'a.*.e TXT "below the wildcard"\n')
    answer = ask("q.e", RdataType.TXT, zone)
    assert sections(answer) == negative()
    assert (answer.wildcard, answer.types) == (name("*.e"), frozenset())


def test_wildcard_cname_is_synthesized_and_followed() -> None:
    assert sections(ask("Host.cn", RdataType.A)) == positive(
        "Host.cn.example.com. 300 IN CNAME www.example.com.", "www.example.com. 300 IN A 192.0.2.1"
    )


def test_apex_wildcard_does_not_reach_below_a_cut() -> None:
    zone = zone_with(text=ZONE + '* TXT "apex wildcard"\n')
    assert ask("host.sub", RdataType.TXT, zone).kind is Kind.REFERRAL
    assert sections(ask("elsewhere", RdataType.TXT, zone)) == positive(
        'elsewhere.example.com. 300 IN TXT "apex wildcard"', kind=Kind.WILDCARD
    )


# RFC 4592 §2.2.1, verbatim; <SOA RDATA> and <SRV RDATA> filled in.
RFC4592_ZONE = """
$ORIGIN example.
example.                 3600 IN  SOA   ns.example.com. hostmaster.example. 1 7200 900 1209600 3600
example.                 3600     NS    ns.example.com.
example.                 3600     NS    ns.example.net.
*.example.               3600     TXT   "this is a wildcard"
*.example.               3600     MX    10 host1.example.
sub.*.example.           3600     TXT   "this is not a wildcard"
host1.example.           3600     A     192.0.2.1
_ssh._tcp.host1.example. 3600     SRV   0 0 22 host1.example.
_ssh._tcp.host2.example. 3600     SRV   0 0 22 host2.example.
subdel.example.          3600     NS    ns.example.com.
subdel.example.          3600     NS    ns.example.net.
"""
RFC4592 = build_zone("ZRFC", dns.name.from_text("example."), record_sets(RFC4592_ZONE, "example."))
RFC4592_SOA = "example. 3600 IN SOA ns.example.com. hostmaster.example. 1 7200 900 1209600 3600"


@pytest.mark.parametrize(
    ("qname", "qtype", "expected"),
    [
        # "The following responses would be synthesized from one of the wildcards in the zone:"
        ("host3.example.", "MX", positive("host3.example. 3600 IN MX 10 host1.example.", kind=Kind.WILDCARD)),
        ("host3.example.", "A", Sections(dns.rcode.NOERROR, True, Kind.NODATA, [], [RFC4592_SOA], [])),
        ("foo.bar.example.", "TXT", positive('foo.bar.example. 3600 IN TXT "this is a wildcard"', kind=Kind.WILDCARD)),
        # "The following responses would not be synthesized from any of the wildcards in the zone:"
        ("host1.example.", "MX", Sections(dns.rcode.NOERROR, True, Kind.NODATA, [], [RFC4592_SOA], [])),
        ("sub.*.example.", "MX", Sections(dns.rcode.NOERROR, True, Kind.NODATA, [], [RFC4592_SOA], [])),
        (
            "_telnet._tcp.host1.example.",
            "SRV",
            Sections(dns.rcode.NXDOMAIN, True, Kind.NXDOMAIN, [], [RFC4592_SOA], []),
        ),
        (
            "host.subdel.example.",
            "A",
            Sections(
                dns.rcode.NOERROR,
                False,
                Kind.REFERRAL,
                [],
                ["subdel.example. 3600 IN NS ns.example.com.", "subdel.example. 3600 IN NS ns.example.net."],
                [],
            ),
        ),
        ("ghost.*.example.", "MX", Sections(dns.rcode.NXDOMAIN, True, Kind.NXDOMAIN, [], [RFC4592_SOA], [])),
        # and the empty non-terminals of the same zone
        (
            "_tcp.host1.example.",
            "SRV",
            Sections(dns.rcode.NOERROR, True, Kind.EMPTY_NON_TERMINAL, [], [RFC4592_SOA], []),
        ),
        ("host2.example.", "A", Sections(dns.rcode.NOERROR, True, Kind.EMPTY_NON_TERMINAL, [], [RFC4592_SOA], [])),
    ],
)
def test_rfc4592_examples(qname: str, qtype: str, expected: Sections) -> None:
    assert sections(resolve(RFC4592, dns.name.from_text(qname), RdataType.make(qtype))) == expected


# --- delegations --------------------------------------------------------------------------------------------


REFERRAL = Sections(dns.rcode.NOERROR, False, Kind.REFERRAL, [], REFERRAL_NS + REFERRAL_DS, GLUE)


@pytest.mark.parametrize(
    ("qname", "qtype"),
    [("host.sub", RdataType.A), ("sub", RdataType.A), ("sub", RdataType.NS), ("x.sub", RdataType.DS)],
)
def test_at_and_below_a_cut_is_a_referral_with_ds_and_glue(qname: str, qtype: RdataType) -> None:
    answer = ask(qname, qtype)
    assert sections(answer) == REFERRAL
    assert (answer.name, answer.types) == (name("sub"), {RdataType.NS, RdataType.DS})


def test_glue_below_the_cut_is_occluded() -> None:
    assert sections(ask("ns1.sub", RdataType.A)) == REFERRAL


def test_ds_at_the_cut_is_answered_by_the_parent() -> None:
    assert sections(ask("sub", RdataType.DS)) == positive(*REFERRAL_DS)


def test_ds_missing_at_the_cut_is_nodata_with_the_cut_types() -> None:
    answer = ask("nods", RdataType.DS)
    assert sections(answer) == negative()
    assert answer.types == {RdataType.NS}


def test_referral_without_ds_and_out_of_zone_name_servers() -> None:
    answer = ask("deep.nods", RdataType.AAAA)
    assert sections(answer) == Sections(
        dns.rcode.NOERROR, False, Kind.REFERRAL, [], ["nods.example.com. 300 IN NS ns.other.org."], []
    )
    assert (answer.name, answer.types) == (name("nods"), {RdataType.NS})


def test_referral_owner_keeps_the_case_of_the_query() -> None:
    answer = resolve(BASE, dns.name.from_text("Host.SUB.example.com."), RdataType.A)
    assert answer.authority[0].name.to_text() == "SUB.example.com."


# --- TTL cap ------------------------------------------------------------------------------------------------


def test_ttl_cap_applies_to_every_rrset() -> None:
    assert lines(ask("@", RdataType.NS, ttl_cap=604800).answer)[0] == "example.com. 172800 IN NS ns-1.awsdns-01.org."
    assert lines(ask("@", RdataType.NS, ttl_cap=600).answer) == [
        "example.com. 600 IN NS ns-1.awsdns-01.org.",
        "example.com. 600 IN NS ns-2.awsdns-02.net.",
    ]
    assert lines(ask("nope", RdataType.A, ttl_cap=30).authority) == [SOA_NEGATIVE.replace(" 60 IN", " 30 IN")]
    referral = ask("host.sub", RdataType.A, ttl_cap=200)
    assert lines(referral.authority) == [
        line.replace(" 86400 ", " 200 ").replace(" 300 ", " 200 ") for line in REFERRAL_NS + REFERRAL_DS
    ]
    assert lines(referral.additional) == [line.replace(" 300 ", " 200 ") for line in GLUE]
    assert lines(ask("chain", RdataType.A, ttl_cap=100).answer) == [
        "chain.example.com. 100 IN CNAME alias.example.com.",
        "alias.example.com. 60 IN CNAME www.example.com.",
        "www.example.com. 100 IN A 192.0.2.1",
    ]


# --- aliases ------------------------------------------------------------------------------------------------


OTHER_APEX = dns.name.from_text("example.org.")
OTHER = build_zone(
    "Z2",
    OTHER_APEX,
    record_sets(
        """
$ORIGIN example.org.
@ 900 SOA ns-1.awsdns-01.org. hostmaster.example.org. 1 7200 900 1209600 60
@ 172800 NS ns-1.awsdns-01.org.
www 120 A 198.51.100.1
""",
        "example.org.",
    ),
)


def alias_to(target: str, zone_id: str = "Z1") -> AliasTarget:
    return AliasTarget(zone_id, dns.name.from_text(target), evaluate_target_health=True)


ALIASED = zone_with(
    a_set("@", alias=alias_to("www.example.com.")),
    a_set("toapex", alias=alias_to("example.com.")),
    a_set("missing", alias=alias_to("nothere.example.com.")),
    a_set("other", alias=alias_to("www.example.org.", "Z2")),
    a_set("elb", alias=alias_to("dualstack.my-elb-1234.us-east-1.elb.amazonaws.com.", "Z35SXDOTRQ7X7K")),
    a_set("loopa", alias=alias_to("loopb.example.com.")),
    a_set("loopb", alias=alias_to("loopa.example.com.")),
    RecordSet(name("cnamealias"), RdataType.CNAME, None, (), alias=alias_to("alias.example.com.")),
    a_set("weighted", "192.0.2.10", set_identifier="one", weight=1),
    a_set("weighted", "192.0.2.20", set_identifier="two", weight=1),
    a_set("toweighted", alias=alias_to("weighted.example.com.")),
)
ZONES = {"Z1": ALIASED, "Z2": OTHER}


def ask_alias(qname: str, qtype: RdataType = RdataType.A, **options: object) -> Answer:
    return ask(qname, qtype, ALIASED, zones=ZONES.get, **options)


def test_alias_answers_the_target_data_under_its_own_name_with_the_target_ttl() -> None:
    assert sections(ask_alias("@")) == positive("example.com. 300 IN A 192.0.2.1")


def test_alias_to_alias() -> None:
    assert sections(ask_alias("toapex")) == positive("toapex.example.com. 300 IN A 192.0.2.1")


def test_alias_into_another_hosted_zone() -> None:
    assert sections(ask_alias("other")) == positive("other.example.com. 120 IN A 198.51.100.1")
    assert sections(ask("other", RdataType.A, ALIASED)) == negative()  # no zones: Z2 is not known


@pytest.mark.parametrize("qname", ["missing", "elb", "loopa"])
def test_alias_without_a_target_here_is_nodata(qname: str) -> None:
    answer = ask_alias(qname)
    assert sections(answer) == negative()
    assert answer.types == frozenset()  # the A "exists" but has no data: never in the NSEC bitmap


def test_alias_answers_only_its_own_type() -> None:
    answer = ask_alias("@", RdataType.AAAA)
    assert sections(answer) == negative()
    assert answer.types == {RdataType.SOA, RdataType.NS, RdataType.A}


def test_cname_alias_is_followed_like_a_cname() -> None:
    assert sections(ask_alias("cnamealias")) == positive(
        "cnamealias.example.com. 60 IN CNAME www.example.com.", "www.example.com. 300 IN A 192.0.2.1"
    )


def test_alias_to_a_weighted_target_routes() -> None:
    assert lines(ask_alias("toweighted", pick=0.2).answer) == ["toweighted.example.com. 60 IN A 192.0.2.10"]
    assert lines(ask_alias("toweighted", pick=0.7).answer) == ["toweighted.example.com. 60 IN A 192.0.2.20"]


# --- routing policies ---------------------------------------------------------------------------------------


def routed(*sets: RecordSet) -> Zone:
    return zone_with(*sets, text=HEAD)


def addresses(zone: Zone, **options: object) -> list[str]:
    answer = ask("r", RdataType.A, zone, **options)
    return [rdata.to_text() for rrset in answer.answer for rdata in rrset]


def test_weighted_chooses_proportionally_in_set_identifier_order() -> None:
    zone = routed(
        a_set("r", "192.0.2.3", set_identifier="c", weight=1),
        a_set("r", "192.0.2.1", set_identifier="a", weight=1),
        a_set("r", "192.0.2.2", set_identifier="b", weight=2),
    )
    chosen = {pick: addresses(zone, pick=pick) for pick in (0.0, 0.2499, 0.25, 0.7499, 0.75, 0.9999)}
    assert chosen == {
        0.0: ["192.0.2.1"],
        0.2499: ["192.0.2.1"],
        0.25: ["192.0.2.2"],
        0.7499: ["192.0.2.2"],
        0.75: ["192.0.2.3"],
        0.9999: ["192.0.2.3"],
    }


def test_weight_zero_is_never_chosen_unless_all_are_zero() -> None:
    some = routed(
        a_set("r", "192.0.2.1", set_identifier="a", weight=0), a_set("r", "192.0.2.2", set_identifier="b", weight=3)
    )
    assert [addresses(some, pick=pick) for pick in (0.0, 0.5, 0.9999)] == [["192.0.2.2"]] * 3
    last = routed(
        a_set("r", "192.0.2.1", set_identifier="a", weight=1), a_set("r", "192.0.2.2", set_identifier="b", weight=0)
    )
    assert addresses(last, pick=math.nextafter(1.0, 0.0)) == ["192.0.2.1"]
    none = routed(
        a_set("r", "192.0.2.1", set_identifier="a", weight=0), a_set("r", "192.0.2.2", set_identifier="b", weight=0)
    )
    assert [addresses(none, pick=pick) for pick in (0.0, 0.4999, 0.5, 0.9999)] == [
        ["192.0.2.1"],
        ["192.0.2.1"],
        ["192.0.2.2"],
        ["192.0.2.2"],
    ]


def test_failover_answers_primary_then_secondary() -> None:
    secondary = a_set("r", "192.0.2.2", set_identifier="backup", failover="SECONDARY")
    primary = a_set("r", "192.0.2.1", set_identifier="main", failover="PRIMARY", health_check_id="hc-1")
    assert addresses(routed(secondary, primary)) == ["192.0.2.1"]
    assert addresses(routed(secondary)) == ["192.0.2.2"]


def test_latency_answers_the_client_region_else_the_first() -> None:
    zone = routed(
        a_set("r", "192.0.2.2", set_identifier="use", region="us-east-1"),
        a_set("r", "192.0.2.1", set_identifier="eu", region="eu-west-1"),
    )
    assert addresses(zone) == ["192.0.2.2"]
    assert addresses(zone, client=ClientContext(region="eu-west-1")) == ["192.0.2.1"]
    assert addresses(zone, client=ClientContext(region="ap-south-1")) == ["192.0.2.1"]


GEO = (
    a_set("r", "192.0.2.1", set_identifier="na", geo_location=("NA", None, None)),
    a_set("r", "192.0.2.2", set_identifier="us", geo_location=(None, "US", None)),
    a_set("r", "192.0.2.3", set_identifier="va", geo_location=(None, "US", "VA")),
    a_set("r", "192.0.2.4", set_identifier="gb", geo_location=(None, "GB", None)),
)
GEO_DEFAULT = a_set("r", "192.0.2.9", set_identifier="default", geo_location=(None, "*", None))


@pytest.mark.parametrize(
    ("client", "expected"),
    [
        (ClientContext(), "192.0.2.3"),  # NA / US / VA: the subdivision
        (ClientContext(subdivision="CA"), "192.0.2.2"),  # the country
        (ClientContext(country="MX", subdivision=None), "192.0.2.1"),  # the continent
        (ClientContext(continent="EU", country="GB", subdivision=None), "192.0.2.4"),
        (ClientContext(continent="EU", country="FR", subdivision=None), "192.0.2.9"),  # the default
    ],
)
def test_geolocation_answers_the_most_specific_match(client: ClientContext, expected: str) -> None:
    assert addresses(routed(GEO_DEFAULT, *GEO), client=client) == [expected]


def test_geolocation_without_a_match_or_default_is_nodata() -> None:
    answer = ask("r", RdataType.A, routed(*GEO), client=ClientContext(continent="EU", country="FR", subdivision=None))
    assert sections(answer) == negative()
    assert answer.types == frozenset()


def test_multivalue_answers_every_value_with_the_smallest_ttl() -> None:
    zone = routed(
        a_set("r", "192.0.2.1", ttl=60, set_identifier="a", multivalue=True),
        a_set("r", "192.0.2.2", ttl=30, set_identifier="b", multivalue=True),
        a_set("r", "192.0.2.3", ttl=60, set_identifier="c", multivalue=True),
    )
    assert lines(ask("r", RdataType.A, zone).answer) == [
        "r.example.com. 30 IN A 192.0.2.1",
        "r.example.com. 30 IN A 192.0.2.2",
        "r.example.com. 30 IN A 192.0.2.3",
    ]


def test_multivalue_answers_eight_consecutive_sets_from_pick() -> None:
    zone = routed(*(a_set("r", f"192.0.2.{i}", set_identifier=f"m{i}", multivalue=True) for i in range(10)))
    assert addresses(zone) == [f"192.0.2.{i}" for i in range(8)]
    assert addresses(zone, pick=0.95) == [f"192.0.2.{i}" for i in (9, 0, 1, 2, 3, 4, 5, 6)]


def test_cidr_answers_the_client_location_else_the_default() -> None:
    office = a_set("r", "192.0.2.1", set_identifier="office", cidr_location=("col-1", "office"))
    rest = a_set("r", "192.0.2.2", set_identifier="rest", cidr_location=("col-1", "*"))
    at_office = ClientContext(cidr_locations=(("col-1", "office"),))
    assert addresses(routed(office, rest)) == ["192.0.2.2"]
    assert addresses(routed(office, rest), client=at_office) == ["192.0.2.1"]
    assert ask("r", RdataType.A, routed(office)).kind is Kind.NODATA


def test_other_policies_answer_the_first_set() -> None:
    zone = routed(a_set("r", "192.0.2.2", set_identifier="b"), a_set("r", "192.0.2.1", set_identifier="a"))
    assert addresses(zone) == ["192.0.2.1"]


# --- input checks -------------------------------------------------------------------------------------------


def test_query_outside_the_zone_or_bad_pick_is_refused() -> None:
    with pytest.raises(ValueError, match="is not in zone"):
        resolve(BASE, dns.name.from_text("www.example.net."), RdataType.A)
    with pytest.raises(ValueError, match="is not in zone"):
        resolve(BASE, dns.name.from_text("www", None), RdataType.A)
    with pytest.raises(ValueError, match="pick must be in"):
        ask("www", RdataType.A, pick=1.0)


def test_build_zone_refuses_broken_input() -> None:
    with pytest.raises(ValueError, match="is not in zone"):
        build_zone(
            "Z1", APEX, [*record_sets(HEAD), RecordSet(dns.name.from_text("a.example.net."), RdataType.A, 60, ())]
        )
    with pytest.raises(ValueError, match="neither a TTL nor an alias"):
        build_zone("Z1", APEX, [*record_sets(HEAD), RecordSet(name("a"), RdataType.A, None, ())])
    with pytest.raises(ValueError, match="repeated"):
        build_zone("Z1", APEX, [*record_sets(HEAD), a_set("a", "192.0.2.1"), a_set("a", "192.0.2.2")])
    with pytest.raises(ValueError, match="exactly one SOA"):
        build_zone("Z1", APEX, [set_ for set_ in record_sets(HEAD) if set_.rdtype != RdataType.SOA])


# --- generated zones against dnspython's zone and a brute-force reading of RFC 1034 / RFC 4592 ---------------

QTYPES = (RdataType.A, RdataType.TXT, RdataType.MX, RdataType.CNAME, RdataType.NS, RdataType.DS)


def generated_zone(rng: random.Random) -> dns.zone.Zone:
    """A dnspython zone of random names (wildcards, literal '*', ENTs, CNAMEs, delegations, glue)."""
    zone = dns.zone.from_text(HEAD, "example.com.", relativize=False)
    names: list[dns.name.Name] = []

    def add(owner: dns.name.Name, rdtype: str, text: str) -> None:
        node = zone.find_node(owner, create=True)
        node.find_rdataset(dns.rdataclass.IN, RdataType.make(rdtype), create=True).add(
            dns.rdata.from_text("IN", rdtype, text, APEX), 300
        )

    for _ in range(40):
        owner = dns.name.Name([rng.choice("ab*c").encode() for _ in range(rng.randint(1, 4))]).concatenate(APEX)
        fresh = zone.get_node(owner) is None
        roll = rng.random()
        if fresh and roll < 0.15 and names:
            add(owner, "CNAME", rng.choice([*names, dns.name.from_text("elsewhere.example.net.")]).to_text())
        elif fresh and roll < 0.3 and owner.labels[0] != b"*":
            add(owner, "NS", f"ns.{owner.to_text()}")
            add(dns.name.from_text("ns", owner), "A", "192.0.2.53")
            if rng.random() < 0.5:
                add(owner, "DS", f"60485 13 2 {DS_DIGEST}")
        elif zone.get_rdataset(owner, RdataType.CNAME) is None:
            add(owner, *rng.choice([("A", "192.0.2.1"), ("TXT", '"t"'), ("MX", "10 mx")]))
        names.append(owner)
    return zone


@dataclass
class Reference:
    """What a dnspython zone answers, by brute force over its nodes (every name and cut scanned per query)."""

    zone: dns.zone.Zone

    def __post_init__(self) -> None:
        origin = self.zone.origin
        assert origin is not None
        self.existing = {origin}
        for owner in self.zone.nodes:
            while owner != origin:
                self.existing.add(owner)
                owner = owner.parent()
        self.cuts = [
            owner for owner in self.zone.nodes if owner != origin and self.zone.get_rdataset(owner, RdataType.NS)
        ]

    def outcome(self, qname: dns.name.Name, qtype: RdataType) -> tuple[str, dns.rrset.RRset | None]:
        referring = [
            cut for cut in self.cuts if qname.is_subdomain(cut) and not (qname == cut and qtype == RdataType.DS)
        ]
        if referring:
            top = min(referring, key=lambda cut: len(cut.labels))
            return "referral", rrset_at(self.zone.get_node(top), top, RdataType.NS)
        source, kind = qname, "positive"
        if qname not in self.existing:
            encloser = qname.parent()
            while encloser not in self.existing:
                encloser = encloser.parent()
            source, kind = dns.name.Name((b"*", *encloser.labels)), "wildcard"
            if source not in self.existing:
                return "nxdomain", None
        node = self.zone.get_node(source)
        if node is None:
            return ("ent" if kind == "positive" else "nodata"), None
        if qtype != RdataType.CNAME and node.get_rdataset(dns.rdataclass.IN, RdataType.CNAME) is not None:
            return "cname", rrset_at(node, qname, RdataType.CNAME)
        if node.get_rdataset(dns.rdataclass.IN, qtype) is not None:
            return kind, rrset_at(node, qname, qtype)
        return "nodata", None


def rrset_at(node: dns.node.Node | None, owner: dns.name.Name, rdtype: RdataType) -> dns.rrset.RRset:
    assert node is not None
    rdataset = node.get_rdataset(dns.rdataclass.IN, rdtype)
    assert rdataset is not None
    return dns.rrset.from_rdata_list(owner, rdataset.ttl, list(rdataset))


KINDS = {
    "positive": Kind.POSITIVE,
    "wildcard": Kind.WILDCARD,
    "nodata": Kind.NODATA,
    "ent": Kind.EMPTY_NON_TERMINAL,
    "nxdomain": Kind.NXDOMAIN,
    "referral": Kind.REFERRAL,
}


@pytest.mark.parametrize("seed", range(30))
def test_generated_zones_agree_with_dnspython(seed: int) -> None:
    rng = random.Random(seed)
    generated = generated_zone(rng)
    reference = Reference(generated)
    zone = build_zone("Z1", APEX, record_sets_of(generated))
    queries = set(generated.nodes)
    for owner in list(queries):
        queries |= {dns.name.from_text("q", owner), dns.name.from_text("q.r", owner), owner.parent()}
    queries |= {
        dns.name.Name([rng.choice("ab*cq").encode() for _ in range(rng.randint(1, 5))]).concatenate(APEX)
        for _ in range(40)
    }
    checked = set()
    for qname in sorted(query for query in queries if query.is_subdomain(APEX)):
        for qtype in QTYPES:
            outcome, rrset = reference.outcome(qname, qtype)
            answer = resolve(zone, qname, qtype)
            checked.add(outcome)
            if outcome == "cname":  # the first step; following chains is tested above
                assert answer.answer[0] == rrset, (qname, qtype)
                continue
            assert answer.kind is KINDS[outcome], (qname, qtype)
            assert answer.rcode == (dns.rcode.NXDOMAIN if outcome == "nxdomain" else dns.rcode.NOERROR)
            if outcome == "referral":
                assert (answer.answer, answer.authority[0], answer.authoritative) == ([], rrset, False), (qname, qtype)
            elif rrset is not None:
                assert answer.answer == [rrset], (qname, qtype)
            else:
                assert (answer.answer, answer.authority[0].rdtype) == ([], RdataType.SOA), (qname, qtype)
    assert set(KINDS) <= checked  # every outcome is exercised (a CNAME in most seeds)
