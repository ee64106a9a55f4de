"""Authoritative answers for one hosted zone: (name, type) → response sections (RFC 1034 §4.3.2, RFC 4592).

Plain data in, plain data out. ``build_zone`` indexes a zone's record sets once (O(zone)); ``resolve``
then answers a query with one dictionary lookup per label of the query name (O(labels)), plus one walk per
CNAME followed and one lookup per alias hop.

Lookup (RFC 1034 §4.3.2, with RFC 4592 wildcards):

* The name is walked from the apex down. A name with NS that is not the apex is a zone cut: a query at or
  below it is a referral (not AA): its NS RRset in authority, its DS RRset too when there is one, and
  A/AAAA glue in additional for every name server inside this zone (in-domain and sibling glue). A DS
  query exactly at a cut is answered here, authoritatively, as the parent's data.
* A name that exists answers its data; one whose only data is below it (an empty non-terminal) is NODATA.
* A name that does not exist is synthesized from ``*.<closest encloser>`` when that name exists (its
  owner is the query name); otherwise NXDOMAIN. A ``*`` label anywhere but leftmost is a literal label,
  and any existing name, empty non-terminals included, blocks the wildcard above it (RFC 4592 §2.2.1).
* A CNAME at the name (unless the query type is CNAME or ANY) is answered and followed within this zone;
  the chain stops at a target outside the zone, at a name already visited, or after ``MAX_HOPS`` CNAMEs.
  The outcome (rcode, authority) is that of the last name looked up (RFC 6604).
* NODATA and NXDOMAIN carry the zone's SOA in authority with TTL min(SOA TTL, SOA MINIMUM) (RFC 2308 §5).
* ANY answers every RRset at the name, in type order.

Route 53 aliases answer the target record set's data under the alias's own name and type, with the
target's TTL (alias to alias allowed, at most ``MAX_HOPS`` deep). The target is the record set of that
exact name and type in the zone ``hosted_zone_id`` names: this zone, or another zone through ``zones``.
A missing target, an alias loop and a ``hosted_zone_id`` that is no hosted zone here (ELB, CloudFront,
S3 website, API Gateway … whose data this service does not have) answer NODATA. An alias of type CNAME is
a CNAME and is followed like one. ``EvaluateTargetHealth`` is ignored: every target is healthy.

Routing policies (record sets sharing name and type, ordered by ``set_identifier``) choose
deterministically from ``pick`` (in [0, 1)) and ``client``; every health check counts as healthy:

* weighted: the set whose cumulative-weight interval holds ``pick * total``; weight 0 is never chosen
  unless every weight is 0, when the sets are equally likely;
* failover: PRIMARY when there is one, else SECONDARY;
* latency: the set whose region is the client's region, else the first;
* geolocation: the most specific match of the client's subdivision, then country, then continent, then
  the default (country ``*``); no match is NODATA;
* multivalue: the values of every set, or of 8 consecutive sets (cyclically) from ``floor(pick * n)``
  when there are more than 8, in one RRset with the smallest TTL;
* IP-based (CIDR): the set of the client's location in that collection, else the default location
  ``*``; no match is NODATA;
* any other policy (geoproximity): the first set.

TTLs are capped at ``ttl_cap`` when given (DNSSEC-signed zones: one week) in every RRset returned.

For the DNSSEC signer (black lies, online signing): sign every RRset of ``answer``, and in ``authority``
the SOA and the DS (never a referral's NS; additional holds only unsigned glue). A denial (NODATA, empty
non-terminal, NXDOMAIN) is about ``Answer.name``, whose types with data are ``Answer.types`` (never the
query type): the NSEC bitmap. A referral without DS needs the NSEC of ``Answer.name`` (the cut, ``types``
holding NS) to deny the DS. Synthesized answers are owned by the query name, so signing them as ordinary
RRsets (labels = the owner's label count) needs no wildcard NSEC; ``Answer.wildcard`` names the source.
DNSKEY, NSEC and RRSIG are not record sets: they are NODATA here, and the signer answers them itself.
"""

import bisect
import enum
import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import cast

import dns.name
import dns.rcode
import dns.rdata
import dns.rrset
from dns.rdatatype import RdataType

MAX_HOPS = 16  # CNAMEs followed in one answer, and the depth of an alias chain
MAX_MULTIVALUE = 8  # Route 53 answers up to eight multivalue records
WILDCARD_LABEL = b"*"


@dataclass(frozen=True)
class AliasTarget:
    hosted_zone_id: str
    dns_name: dns.name.Name  # absolute, lower-case
    evaluate_target_health: bool


@dataclass(frozen=True)
class RecordSet:
    """One Route 53 record set; the routing fields are those of its policy, ``None`` otherwise."""

    name: dns.name.Name  # absolute, lower-case; a leftmost '*' label is a wildcard (RFC 4592)
    rdtype: RdataType
    ttl: int | None  # None for aliases
    rdatas: tuple[dns.rdata.Rdata, ...]  # empty for aliases
    alias: AliasTarget | None = None
    set_identifier: str | None = None
    weight: int | None = None
    region: str | None = None
    failover: str | None = None  # PRIMARY / SECONDARY
    geo_location: tuple[str | None, str | None, str | None] | None = None  # continent, country, subdivision
    multivalue: bool = False
    cidr_location: tuple[str, str] | None = None  # CIDR collection id, location name ('*': the default)
    health_check_id: str | None = None


@dataclass(frozen=True)
class ClientContext:
    """Where the query comes from. The default is a resolver in us-east-1 (N. Virginia)."""

    region: str = "us-east-1"
    continent: str = "NA"
    country: str = "US"
    subdivision: str | None = "VA"
    cidr_locations: tuple[tuple[str, str], ...] = ()  # (collection id, location name) holding its address


DEFAULT_CLIENT = ClientContext()


class Kind(enum.Enum):
    """What an answer says about its final name."""

    POSITIVE = "positive"  # data of the query type at the name
    WILDCARD = "wildcard"  # the same, synthesized from a wildcard (RFC 4592)
    CNAME = "cname"  # the answer ends with a CNAME this zone does not follow (outside the zone, a loop)
    NODATA = "nodata"  # the name exists (or is synthesized) without data of the query type
    EMPTY_NON_TERMINAL = "empty-non-terminal"  # the name exists only because names below it do
    NXDOMAIN = "nxdomain"
    REFERRAL = "referral"  # the name is at or below a zone cut


@dataclass(frozen=True)
class Answer:
    """A response's sections and what the signer needs (see the module docstring).

    ``name`` is the name the outcome is about: the query name, the last CNAME target, or the zone cut of a
    referral, with the client's case for names taken from the query. ``types`` are the types at that name
    (of the wildcard for a synthesized name); in a NODATA answer only those with data for this client.
    ``wildcard`` is the wildcard that synthesized ``name``, if one did.
    """

    rcode: dns.rcode.Rcode
    authoritative: bool
    kind: Kind
    answer: list[dns.rrset.RRset]
    authority: list[dns.rrset.RRset]
    additional: list[dns.rrset.RRset]
    name: dns.name.Name
    types: frozenset[RdataType]
    wildcard: dns.name.Name | None = None


_Key = tuple[bytes, ...]  # a name's labels, lower-case, leftmost first


_Identity = tuple[RdataType, str]  # a record set inside its name: type and set identifier ("" for none)


@dataclass(frozen=True)
class _Node:
    sets: Mapping[RdataType, tuple[RecordSet, ...]]  # empty for an empty non-terminal
    rrsets: Mapping[_Identity, dns.rrset.RRset]  # the data of every non-alias set, built once (copied per query)
    cut: bool = False  # NS below the apex


_EMPTY_NON_TERMINAL = _Node(sets={}, rrsets={})


@dataclass(frozen=True)
class Zone:
    """One hosted zone's record sets, indexed by name; build it with ``build_zone``."""

    hosted_zone_id: str
    apex: dns.name.Name
    soa: dns.rrset.RRset
    nodes: Mapping[_Key, _Node] = field(repr=False)


def _key(name: dns.name.Name) -> _Key:
    return tuple(label.lower() for label in name.labels)


def _copy(rrset: dns.rrset.RRset) -> dns.rrset.RRset:
    """A copy to rename and re-time; it shares the rdatas, whose hashes (wire form) are not computed again."""
    return cast(dns.rrset.RRset, rrset.copy())  # type: ignore[no-untyped-call]


def build_zone(hosted_zone_id: str, apex: dns.name.Name, record_sets: Iterable[RecordSet]) -> Zone:
    """Index a zone: every name and every ancestor up to the apex (empty non-terminals) is a node.

    Raises ``ValueError`` for a record set outside the zone, a non-alias set without a TTL, two record
    sets with one name, type and set identifier, or an apex without exactly one SOA record.
    """
    apex_key = _key(apex)
    grouped: dict[_Key, dict[_Identity, RecordSet]] = {}
    for record_set in record_sets:
        if not record_set.name.is_subdomain(apex):
            raise ValueError(f"record set {record_set.name} is not in zone {apex}")
        if record_set.alias is None and record_set.ttl is None:
            raise ValueError(f"record set {record_set.name} {record_set.rdtype.name} has neither a TTL nor an alias")
        identity = (record_set.rdtype, record_set.set_identifier or "")
        if grouped.setdefault(_key(record_set.name), {}).setdefault(identity, record_set) is not record_set:
            raise ValueError(f"record set {record_set.name} {record_set.rdtype.name} {identity[1]!r} is repeated")
    nodes: dict[_Key, _Node] = {}
    for key, by_identity in grouped.items():
        sets: dict[RdataType, tuple[RecordSet, ...]] = {}
        for (rdtype, _), record_set in sorted(by_identity.items()):
            sets[rdtype] = (*sets.get(rdtype, ()), record_set)
        rrsets = {
            identity: dns.rrset.from_rdata_list(record_set.name, record_set.ttl, record_set.rdatas)
            for identity, record_set in by_identity.items()
            if record_set.alias is None and record_set.ttl is not None and record_set.rdatas
        }
        nodes[key] = _Node(sets=sets, rrsets=rrsets, cut=RdataType.NS in sets and key != apex_key)
        for start in range(1, len(key) - len(apex_key)):
            nodes.setdefault(key[start:], _EMPTY_NON_TERMINAL)
    soa = nodes[apex_key].rrsets.get((RdataType.SOA, "")) if apex_key in nodes else None
    if soa is None or len(soa) != 1 or len(nodes[apex_key].sets[RdataType.SOA]) != 1:
        raise ValueError(f"zone {apex} needs exactly one SOA record at its apex")
    return Zone(hosted_zone_id=hosted_zone_id, apex=apex, soa=soa, nodes=nodes)


def choose_record_sets(
    sets: Sequence[RecordSet], client: ClientContext = DEFAULT_CLIENT, pick: float = 0.0
) -> tuple[RecordSet, ...]:
    """The record sets of one name and type that answer this client (routing policies, module docstring).

    ``sets`` are ordered by ``set_identifier``; the policy is that of the first (a name and type never mixes
    policies).
    """
    first = sets[0]
    if first.set_identifier is None:
        return (first,)
    if first.weight is not None:
        return (_weighted(sets, pick),)
    if first.failover is not None:
        return (next((member for member in sets if member.failover == "PRIMARY"), first),)
    if first.region is not None:
        return (next((member for member in sets if member.region == client.region), first),)
    if first.geo_location is not None:
        return _geolocation(sets, client)
    if first.multivalue:
        if len(sets) <= MAX_MULTIVALUE:
            return tuple(sets)
        start = int(pick * len(sets))
        return tuple(sets[(start + offset) % len(sets)] for offset in range(MAX_MULTIVALUE))
    if first.cidr_location is not None:
        return _cidr(sets, client)
    return (first,)


def _weighted(sets: Sequence[RecordSet], pick: float) -> RecordSet:
    weighted = [(member, member.weight) for member in sets if member.weight]
    if not weighted:
        weighted = [(member, 1) for member in sets]
    cumulative = list(itertools.accumulate(weight for _, weight in weighted))
    return weighted[bisect.bisect_right(cumulative, pick * cumulative[-1])][0]  # first interval above the point


def _geolocation(sets: Sequence[RecordSet], client: ClientContext) -> tuple[RecordSet, ...]:
    def specificity(member: RecordSet) -> int:
        continent, country, subdivision = member.geo_location or (None, None, None)
        if country == "*":
            return 1
        if continent is not None:
            return 2 if continent == client.continent else 0
        if country != client.country:
            return 0
        if subdivision is None:
            return 3
        return 4 if subdivision == client.subdivision else 0

    best = max(sets, key=specificity)
    return (best,) if specificity(best) else ()


def _cidr(sets: Sequence[RecordSet], client: ClientContext) -> tuple[RecordSet, ...]:
    locations = dict(client.cidr_locations)

    def matches(member: RecordSet, default: bool) -> bool:
        collection, location = member.cidr_location or ("", "")
        return location == "*" if default else locations.get(collection) == location

    for default in (False, True):
        chosen = next((member for member in sets if matches(member, default)), None)
        if chosen is not None:
            return (chosen,)
    return ()


@dataclass(frozen=True)
class _Match:
    """Where a name led: a node (``owner`` is the name it answers as) or nothing (NXDOMAIN)."""

    node: _Node | None
    owner: dns.name.Name
    referral: bool = False
    wildcard: dns.name.Name | None = None


def _find(zone: Zone, name: dns.name.Name, qtype: RdataType) -> _Match:
    """Walk ``name`` from the apex down: a zone cut on the way, the node itself, its wildcard, or nothing."""
    labels = _key(name)
    depth = len(labels) - len(zone.apex.labels)
    closest = depth  # index in ``labels`` of the closest encloser; the apex always exists
    for start in range(depth - 1, -1, -1):
        node = zone.nodes.get(labels[start:])
        if node is None:
            break
        closest = start
        if node.cut and not (start == 0 and qtype == RdataType.DS):
            return _Match(node, dns.name.Name(name.labels[start:]), referral=True)
    if closest == 0:
        return _Match(zone.nodes[labels], name)
    source = (WILDCARD_LABEL, *labels[closest:])
    wildcard = zone.nodes.get(source)
    if wildcard is None:
        return _Match(None, name)
    return _Match(wildcard, name, wildcard=dns.name.Name(source))


@dataclass(frozen=True)
class _Query:
    """One query's parameters, shared by every lookup it makes."""

    zones: Callable[[str], Zone | None]
    client: ClientContext
    pick: float
    ttl_cap: int | None

    def rrset(self, zone: Zone, owner: dns.name.Name, rdtype: RdataType, node: _Node) -> dns.rrset.RRset | None:
        """The RRset ``node`` answers for ``rdtype`` under ``owner``, or ``None`` when it has no data."""
        rrset = self.data(zone, node, rdtype, 0)
        if rrset is not None:
            rrset.name = owner
            rrset.ttl = self.capped(rrset.ttl)
        return rrset

    def data(self, zone: Zone, node: _Node, rdtype: RdataType, depth: int) -> dns.rrset.RRset | None:
        """A fresh RRset of the chosen record sets' data, aliases resolved (TTL the smallest), or ``None``."""
        sets = node.sets.get(rdtype)
        if not sets:
            return None
        merged: dns.rrset.RRset | None = None
        for record_set in choose_record_sets(sets, self.client, self.pick):
            if record_set.alias is None:
                found = node.rrsets.get((rdtype, record_set.set_identifier or ""))
            else:
                found = self.alias_data(zone, record_set.alias, rdtype, depth)
            if found is None:
                continue
            if merged is None:
                merged = _copy(found)
            else:
                merged.union_update(found)  # type: ignore[no-untyped-call]
        return merged

    def alias_data(self, zone: Zone, alias: AliasTarget, rdtype: RdataType, depth: int) -> dns.rrset.RRset | None:
        """The data of the record set an alias targets (same name and type), in this or another zone."""
        if depth >= MAX_HOPS:
            return None
        target_zone = zone if alias.hosted_zone_id == zone.hosted_zone_id else self.zones(alias.hosted_zone_id)
        if target_zone is None:
            return None
        node = target_zone.nodes.get(_key(alias.dns_name))
        if node is None:
            return None
        return self.data(target_zone, node, rdtype, depth + 1)

    def capped(self, ttl: int) -> int:
        return ttl if self.ttl_cap is None else min(ttl, self.ttl_cap)

    def negative_soa(self, zone: Zone) -> dns.rrset.RRset:
        """The SOA for a negative answer: TTL min(SOA TTL, SOA MINIMUM) (RFC 2308 §5)."""
        soa = _copy(zone.soa)
        soa.ttl = self.capped(min(soa.ttl, soa[0].minimum))
        return soa

    def glue(self, zone: Zone, ns: dns.rrset.RRset) -> list[dns.rrset.RRset]:
        """A/AAAA of the name servers inside this zone, in NS order."""
        glue: list[dns.rrset.RRset] = []
        targets = dict.fromkeys(rdata.target for rdata in ns)
        for target in targets:
            node = zone.nodes.get(_key(target)) if target.is_subdomain(zone.apex) else None
            for rdtype in (RdataType.A, RdataType.AAAA):
                rrset = self.rrset(zone, target, rdtype, node) if node else None
                if rrset is not None:
                    glue.append(rrset)
        return glue

    def types_with_data(self, zone: Zone, match: _Match, qtype: RdataType) -> frozenset[RdataType]:
        assert match.node is not None
        node = match.node
        return frozenset(
            rdtype
            for rdtype in node.sets
            if rdtype != qtype and self.rrset(zone, match.owner, rdtype, node) is not None
        )


def resolve(
    zone: Zone,
    qname: dns.name.Name,
    qtype: RdataType,
    *,
    zones: Callable[[str], Zone | None] = lambda _id: None,
    client: ClientContext = DEFAULT_CLIENT,
    pick: float = 0.0,
    ttl_cap: int | None = None,
) -> Answer:
    """Answer ``qname``/``qtype`` (class IN) from ``zone`` as its authoritative server (module docstring).

    ``zones`` finds other hosted zones by id, for aliases; ``pick`` in [0, 1) drives the weighted and
    multivalue choices. Raises ``ValueError`` for a name outside the zone or a ``pick`` out of range.
    """
    if not qname.is_absolute() or not qname.is_subdomain(zone.apex):
        raise ValueError(f"{qname} is not in zone {zone.apex}")
    if not 0.0 <= pick < 1.0:
        raise ValueError(f"pick must be in [0, 1), not {pick}")
    query = _Query(zones=zones, client=client, pick=pick, ttl_cap=ttl_cap)
    answer: list[dns.rrset.RRset] = []
    name = qname
    visited = {_key(qname)}
    while True:
        match = _find(zone, name, qtype)
        if match.node is None:
            return _negative(query, zone, answer, name, Kind.NXDOMAIN, frozenset())
        if match.referral:
            return _referral(query, zone, answer, match)
        node = match.node
        if qtype not in (RdataType.CNAME, RdataType.ANY) and (cname := query.rrset(zone, name, RdataType.CNAME, node)):
            answer.append(cname)
            name = cname[0].target
            if not name.is_subdomain(zone.apex) or _key(name) in visited or len(answer) >= MAX_HOPS:
                return Answer(dns.rcode.NOERROR, True, Kind.CNAME, answer, [], [], name, frozenset())
            visited.add(_key(name))
            continue
        wanted = sorted(node.sets) if qtype == RdataType.ANY else [qtype]
        found = [rrset for rdtype in wanted if (rrset := query.rrset(zone, name, rdtype, node)) is not None]
        if found:
            kind = Kind.WILDCARD if match.wildcard else Kind.POSITIVE
            answer.extend(found)
            return Answer(dns.rcode.NOERROR, True, kind, answer, [], [], name, frozenset(node.sets), match.wildcard)
        if not node.sets and match.wildcard is None:  # a name synthesized from an empty wildcard is NODATA
            return _negative(query, zone, answer, name, Kind.EMPTY_NON_TERMINAL, frozenset())
        types = query.types_with_data(zone, match, qtype)
        return _negative(query, zone, answer, name, Kind.NODATA, types, match.wildcard)


def _negative(
    query: _Query,
    zone: Zone,
    answer: list[dns.rrset.RRset],
    name: dns.name.Name,
    kind: Kind,
    types: frozenset[RdataType],
    wildcard: dns.name.Name | None = None,
) -> Answer:
    rcode = dns.rcode.NXDOMAIN if kind is Kind.NXDOMAIN else dns.rcode.NOERROR
    return Answer(rcode, True, kind, answer, [query.negative_soa(zone)], [], name, types, wildcard)


def _referral(query: _Query, zone: Zone, answer: list[dns.rrset.RRset], match: _Match) -> Answer:
    """NS (and DS) of the cut in authority, glue in additional; AA only for a CNAME answered before it."""
    assert match.node is not None
    authority = [
        rrset
        for rdtype in (RdataType.NS, RdataType.DS)
        if (rrset := query.rrset(zone, match.owner, rdtype, match.node)) is not None
    ]
    additional = query.glue(zone, authority[0]) if authority else []
    return Answer(
        dns.rcode.NOERROR,
        bool(answer),
        Kind.REFERRAL,
        answer,
        authority,
        additional,
        match.owner,
        frozenset(match.node.sets),
    )
