"""Responses to DNS queries: the rules of an authoritative server for hosted zones, above the wire format.

For each query, in order (first match answers):

* not a query at all (``wire.Unanswerable``): no reply; does not parse: FORMERR (RFC 1035 §4.1.1);
* an opcode other than QUERY: NOTIMP; an EDNS version other than 0: BADVERS (RFC 6891 §6.1.3);
* a class other than IN: REFUSED; a question type that is no query (OPT, TKEY, TSIG): FORMERR; a zone
  transfer (AXFR, IXFR): REFUSED, as Route 53 allows none;
* a name in no public hosted zone (``zones.answering_zone``): REFUSED, not authoritative;
* otherwise the resolver's answer from the zone's snapshot at its current revision (the code that serves
  TestDNSAnswer, TTLs capped at one week while the zone signs), signed when the query has the DO bit and
  the zone's signing gives material; AA on authoritative answers.

Every reply to a query with an OPT record carries ours: UDP payload ``UDP_PAYLOAD``, the DO bit echoed, and
the NSID option when asked for (the process that answered, RFC 5001). Over UDP a response may be as large as
the client's payload size, at most ``UDP_PAYLOAD`` (512 without EDNS, RFC 1035 §4.2.1); a larger one is
sent as its header, question and OPT with TC set, and the client asks again over TCP (RFC 7766 §5), where
the limit is 65,535 octets.

Responses are cached by (zone, revision, query name lower-cased, type, DO, size limit, NSID) and patched
for each query (``wire.patched``: id, RD/CD, the query name's case). Answers that vary per query (weighted
or multivalue record sets, aliases into other hosted zones) are built every time; a signed one is reused
only while the signing material it was made with is current.
"""

import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import dns.name
import dns.rcode
from dns.rdatatype import RdataType

from app.authoritative import wire
from app.authoritative.signing import Sections, ZoneSigning, needs_material, unsigned
from app.authoritative.zones import ZoneDirectory, ZoneRef
from app.records import resolver
from app.services.zone_snapshots import MAX_ALIAS_ZONES, SIGNED_TTL_CAP, Snapshot, ZoneSnapshots

UDP_PAYLOAD = 1232  # the most we send over UDP, and advertise (DNS Flag Day 2020)
TCP_LIMIT = 65535
CACHE_SIZE = 50_000
CLASS_IN = 1
NOT_QUERIES = frozenset({RdataType.OPT, RdataType.TKEY, RdataType.TSIG})
TRANSFERS = frozenset({RdataType.AXFR, RdataType.IXFR})
BADVERS = 16

log = logging.getLogger("app.dns")


@dataclass(slots=True)
class Outcome:
    """The reply to one message (None: no reply), and what the metrics and the query log say about it."""

    reply: bytes | None
    rcode: int | None = None
    query: wire.Query | None = None
    zone_id: str | None = None


DROPPED = Outcome(None)


def udp_limit(edns: wire.Edns | None) -> int:
    """The largest UDP response for this query: the client's payload size, within 512..``UDP_PAYLOAD``."""
    return min(edns.payload, UDP_PAYLOAD) if edns is not None else wire.MIN_UDP_PAYLOAD


def render(query: wire.Query, sections: Sections, limit: int, opt: bytes | None) -> bytes:
    """The response in wire form, or its truncated form (TC) when it exceeds ``limit``."""
    extra = wire.AA if sections.authoritative else 0
    flags = wire.response_flags(query.flags, sections.rcode, extra)
    try:
        return wire.render(query, flags, (sections.answer, sections.authority, sections.additional), limit, opt)
    except wire.TooBig:
        return wire.short_response(query.id, query.flags, sections.rcode, query.question, opt, extra | wire.TC)


def _cache_key(snapshot: Snapshot, name: bytes, query: wire.Query, tcp: bool) -> tuple[Any, ...]:
    """What a cached response depends on besides the signing material (module docstring)."""
    edns = query.edns
    limit = TCP_LIMIT if tcp else udp_limit(edns)
    do = edns is not None and edns.do
    return (snapshot.zone_id, snapshot.revision, name, query.qtype, do, limit, edns and edns.nsid)


class ResponseCache:
    """Rendered responses, at most ``size``; the oldest entry goes first."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: dict[tuple[Any, ...], tuple[bytes, Any]] = {}

    def get(self, key: tuple[Any, ...], material: Any) -> bytes | None:
        entry = self._entries.get(key)
        return entry[0] if entry is not None and entry[1] is material else None

    def put(self, key: tuple[Any, ...], response: bytes, material: Any) -> None:
        if len(self._entries) >= self._size:
            del self._entries[next(iter(self._entries))]
        self._entries[key] = (response, material)


class Responder:
    def __init__(
        self,
        directory: ZoneDirectory,
        snapshots: ZoneSnapshots,
        signing: ZoneSigning,
        nsid: bytes,
        *,
        cache_size: int = CACHE_SIZE,
        clock: Callable[[], float] = time.time,
        pick: Callable[[], float] = random.random,
    ) -> None:
        self._directory = directory
        self._snapshots = snapshots
        self._signing = signing
        self._nsid = nsid
        self._cache = ResponseCache(cache_size)
        self._clock = clock
        self._pick = pick

    def close(self) -> None:
        self._directory.close()

    async def answer(self, messages: Sequence[bytes], tcp: bool) -> list[Outcome]:
        """The replies to messages that arrived together: one zone read for all of them (module docstring)."""
        outcomes = [DROPPED] * len(messages)
        pending: list[tuple[int, wire.Query, tuple[bytes, bool]]] = []
        for index, message in enumerate(messages):
            try:
                query = wire.parse_query(message)
            except wire.Unanswerable:
                continue
            except wire.Malformed as problem:
                reply = wire.short_response(problem.query_id, problem.flags, dns.rcode.FORMERR, problem.question, None)
                outcomes[index] = Outcome(reply, dns.rcode.FORMERR)
                continue
            refusal = self._refusal(query)
            if refusal is not None:
                outcomes[index] = refusal
            else:
                pending.append((index, query, (query.qname.lower(), query.qtype == RdataType.DS)))
        if pending:
            zones = await self._directory.answering({name for _, _, name in pending})
            for index, query, name in pending:
                zone = zones[name]
                hit = self._cached(query, name[0], zone, tcp) if zone is not None else None
                outcomes[index] = hit or await self._answer_safely(query, name, zone, tcp)
        return outcomes

    def _cached(self, query: wire.Query, name: bytes, zone: ZoneRef, tcp: bool) -> Outcome | None:
        """The cached response, when everything it depends on is in memory: no coroutine for the answers
        most queries get (the same key and checks as ``_answer``)."""
        snapshot = self._snapshots.cached_at(zone.id, zone.revision)
        if snapshot is None:
            return None
        edns = query.edns
        do = edns is not None and edns.do
        material = None
        if needs_material(do, query.qtype):
            known, material = self._signing.cached_material(snapshot, self._clock())
            if not known:
                return None
        cached = self._cache.get(_cache_key(snapshot, name, query, tcp), material)  # only cacheable ones are put
        if cached is None:
            return None
        return Outcome(wire.patched(cached, query), cached[3] & 0xF, query, snapshot.zone_id)

    def _opt(self, query: wire.Query, rcode: int) -> bytes | None:
        edns = query.edns
        if edns is None:
            return None
        return wire.opt_record(UDP_PAYLOAD, rcode, edns.do, self._nsid if edns.nsid else None)

    def _short(self, query: wire.Query, rcode: int) -> Outcome:
        reply = wire.short_response(query.id, query.flags, rcode, query.question, self._opt(query, rcode))
        return Outcome(reply, rcode, query)

    def _refusal(self, query: wire.Query) -> Outcome | None:
        """The answer to a query that no zone answers for its opcode, EDNS version, class or type."""
        if query.opcode != wire.OPCODE_QUERY:
            return self._short(query, dns.rcode.NOTIMP)
        if query.edns is not None and query.edns.version != 0:
            return self._short(query, BADVERS)
        if query.qclass != CLASS_IN or query.qtype in TRANSFERS:
            return self._short(query, dns.rcode.REFUSED)
        if query.qtype in NOT_QUERIES:
            return self._short(query, dns.rcode.FORMERR)
        return None

    async def _answer_safely(
        self, query: wire.Query, name: tuple[bytes, bool], zone: ZoneRef | None, tcp: bool
    ) -> Outcome:
        try:
            return await self._answer(query, name, zone, tcp)
        except Exception:
            log.exception("answer failed", {"name": query.name_text, "type": query.qtype})
            return self._short(query, dns.rcode.SERVFAIL)

    async def _answer(self, query: wire.Query, name: tuple[bytes, bool], zone: ZoneRef | None, tcp: bool) -> Outcome:
        snapshot = await self._snapshots.at_revision(zone.id, zone.revision) if zone is not None else None
        if snapshot is None:
            return self._short(query, dns.rcode.REFUSED)
        edns = query.edns
        do = edns is not None and edns.do
        now = self._clock()
        material = await self._signing.material(snapshot, now) if needs_material(do, query.qtype) else None
        limit = TCP_LIMIT if tcp else udp_limit(edns)
        cacheable = not snapshot.chooses_at_random and not snapshot.alias_zone_ids
        key = _cache_key(snapshot, name[0], query, tcp)
        if cacheable:
            cached = self._cache.get(key, material)
            if cached is not None:
                return Outcome(wire.patched(cached, query), cached[3] & 0xF, query, snapshot.zone_id)
        qname = dns.name.Name((*query.labels, b""))
        qtype = RdataType.make(query.qtype)
        others = await self._alias_zones(snapshot) if snapshot.alias_zone_ids else {}
        try:
            answer = resolver.resolve(
                snapshot.zone,
                qname,
                qtype,
                zones=others.get,
                pick=self._pick(),
                ttl_cap=SIGNED_TTL_CAP if snapshot.serve_signature == "SIGNING" else None,
            )
        except ValueError:  # the zone's stored name spells the query name's ancestor differently
            return self._short(query, dns.rcode.REFUSED)
        if material is None:
            sections = unsigned(answer)
        else:
            sections = self._signing.sign_response(answer, qname, qtype, material, now, do)
        reply = render(query, sections, limit, self._opt(query, sections.rcode))
        if cacheable:
            self._cache.put(key, reply, material)
        return Outcome(reply, sections.rcode, query, snapshot.zone_id)

    async def _alias_zones(self, snapshot: Snapshot) -> dict[str, resolver.Zone]:
        """The snapshots, at their current revisions, of the hosted zones the zone's aliases reach
        (transitively, at most ``MAX_ALIAS_ZONES``), as TestDNSAnswer reads them."""
        others: dict[str, resolver.Zone] = {}
        pending = set(snapshot.alias_zone_ids)
        while pending and len(others) < MAX_ALIAS_ZONES:
            refs = await self._directory.by_ids(pending)
            pending = set()
            for zone_id, ref in refs.items():
                if ref is None or zone_id in others or len(others) >= MAX_ALIAS_ZONES:
                    continue
                other = await self._snapshots.at_revision(zone_id, ref.revision)
                if other is not None:
                    others[zone_id] = other.zone
                    pending |= other.alias_zone_ids - others.keys() - {snapshot.zone_id}
        return others
