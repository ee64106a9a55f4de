"""Online signing with a zone's ZSK: every RRset an answer holds is signed when it is asked for, and the
signature is kept for reuse until it nears expiry (Route 53 signs non-DNSKEY RRsets online; Developer
Guide, "Proof of nonexistence").

Signatures are cached per ``OnlineSigner`` (one per zone and ZSK), least recently used first out:

* positive RRsets by owner (case-insensitively), type, TTL and the identity of their rdatas: the resolver
  copies RRsets per query but shares their rdatas, built once per zone snapshot, so a hit costs no wire
  encoding. An entry holds its rdatas, so an identity is never reused while it is cached;
* denials by owner and type bitmap.

The RRSIG RRsets returned are shared between answers: callers render them and never change them. Their
owner's case is that of the first query (names compare case-insensitively, and message compression points
them at the question name).
"""

from collections import OrderedDict
from dataclasses import dataclass
from typing import Generic, TypeVar

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from dns.rdatatype import RdataType

from app.dnssec.denial import delegation_next_name, next_name, nsec_rdata, nsec_rdata_wire, nsec_types
from app.dnssec.schedule import Timings, online_window
from app.dnssec.signatures import RrsigFields, canonical_rdatas, der_to_raw, rrsig_labels, signed_data
from app.records.resolver import Kind

DEFAULT_CAPACITY = 100_000  # cached signatures per signer (about 1 KB each)
_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())

K = TypeVar("K")
V = TypeVar("V")


class _Lru(Generic[K, V]):
    def __init__(self, capacity: int) -> None:
        self._items: OrderedDict[K, V] = OrderedDict()
        self._capacity = capacity

    def get(self, key: K) -> V | None:
        value = self._items.get(key)
        if value is not None:
            self._items.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self._items[key] = value
        self._items.move_to_end(key)
        if len(self._items) > self._capacity:
            self._items.popitem(last=False)


@dataclass(frozen=True)
class _Signed:
    rdatas: tuple[dns.rdata.Rdata, ...]  # held so that their ids stay theirs
    rrsig: dns.rrset.RRset
    reuse_until: float


@dataclass(frozen=True)
class _Denied:
    nsec: dns.rrset.RRset
    rrsig: dns.rrset.RRset
    reuse_until: float


@dataclass
class SignerStats:
    hits: int = 0
    misses: int = 0


class OnlineSigner:
    """Signs with one ZSK for one zone (``apex`` is the RRSIG signer name)."""

    def __init__(
        self,
        apex: dns.name.Name,
        private_key: ec.EllipticCurvePrivateKey,
        key_tag: int,
        timings: Timings,
        capacity: int = DEFAULT_CAPACITY,
    ) -> None:
        self.apex = apex.canonicalize()
        self.key_tag = key_tag
        self.stats = SignerStats()
        self._private_key = private_key
        self._timings = timings
        self._positive: _Lru[tuple[dns.name.Name, RdataType, int, tuple[int, ...]], _Signed] = _Lru(capacity)
        self._denials: _Lru[tuple[dns.name.Name, frozenset[RdataType], bool, int], _Denied] = _Lru(capacity)

    def sign(self, rrset: dns.rrset.RRset, now: float) -> dns.rrset.RRset:
        """The RRSIG RRset of ``rrset`` (one signature, TTL and original TTL those of ``rrset``)."""
        key = (rrset.name, rrset.rdtype, rrset.ttl, tuple(map(id, rrset)))
        cached = self._positive.get(key)
        if cached is not None and now < cached.reuse_until:
            self.stats.hits += 1
            return cached.rrsig
        self.stats.misses += 1
        rdatas = canonical_rdatas(rrset, self.apex)
        rrsig, reuse_until = self._signature(rrset.name, rrset.rdtype, rrset.ttl, rdatas, now)
        self._positive.put(key, _Signed(tuple(rrset), rrsig, reuse_until))
        return rrsig

    def deny(
        self, name: dns.name.Name, types: frozenset[RdataType], kind: Kind, ttl: int, now: float
    ) -> list[dns.rrset.RRset]:
        """The black-lies NSEC about ``name`` and its RRSIG (``app.dnssec.denial``)."""
        at_cut = name != self.apex and RdataType.NS in types
        bitmap = nsec_types(kind, types, at_apex=name == self.apex, at_cut=at_cut)
        key = (name, bitmap, at_cut, ttl)
        cached = self._denials.get(key)
        if cached is not None and now < cached.reuse_until:
            self.stats.hits += 1
            return [cached.nsec, cached.rrsig]
        self.stats.misses += 1
        next_domain = delegation_next_name(name) if at_cut else next_name(name)
        nsec = _rrset(name, RdataType.NSEC, RdataType.NONE, ttl, nsec_rdata(next_domain, bitmap))
        rdata_wire = nsec_rdata_wire(next_domain, bitmap)
        rrsig, reuse_until = self._signature(name, RdataType.NSEC, ttl, [rdata_wire], now)
        self._denials.put(key, _Denied(nsec, rrsig, reuse_until))
        return [nsec, rrsig]

    def _signature(
        self, owner: dns.name.Name, rdtype: RdataType, ttl: int, rdatas: list[bytes], now: float
    ) -> tuple[dns.rrset.RRset, float]:
        inception, expiration, reuse_until = online_window(now, self._timings)
        fields = RrsigFields(rdtype, rrsig_labels(owner), ttl, expiration, inception, self.key_tag, self.apex)
        der = self._private_key.sign(signed_data(fields, owner, rdatas), _ECDSA_SHA256)
        return _rrset(owner, RdataType.RRSIG, rdtype, ttl, fields.rdata(der_to_raw(der))), reuse_until


def _rrset(
    owner: dns.name.Name, rdtype: RdataType, covers: RdataType, ttl: int, rdata: dns.rdata.Rdata
) -> dns.rrset.RRset:
    """A one-rdata RRset. The rdata goes straight into the set's items: ``add`` would hash it twice, and
    hashing an rdata is encoding it (about 12 µs for an NSEC)."""
    rrset = dns.rrset.RRset(owner, dns.rdataclass.IN, rdtype, covers)
    rrset.update_ttl(ttl)
    rrset.items[rdata] = None
    return rrset
