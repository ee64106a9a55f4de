"""Pure "black lies" denial of existence, as Route 53 answers it (Developer Guide, "Proof of nonexistence";
RFC 9824, Compact Denial of Existence): one NSEC owned by the name asked about, whose next name is the
name's immediate successor, so it covers nothing but that name.

Type bitmaps (Route 53 publishes none; chosen so that validators accept every answer, pinned by tests):

* a name that does not exist (NXDOMAIN, answered NOERROR) and an empty non-terminal: ``RRSIG NSEC``, the
  base Compact Denial scheme Route 53 implements (RFC 9824 §3; no NXNAME, which Route 53 does not send);
* a name that exists without the type asked (NODATA, a wildcard's types for a synthesized name): the types
  that answer at the name, plus ``RRSIG NSEC``, and ``DNSKEY`` at the apex (RFC 9824 §3.2);
* a delegation (a DS query at the cut, or a referral without DS): ``NS`` (and ``DS`` when there is one),
  ``RRSIG NSEC``: the parent has authority for nothing else there (RFC 4034 §4.1.2).

The next name is ``\\000.<name>`` (RFC 9824 §3.1), lower-case so that validators that lower-case NSEC next
names (RFC 4034 §6.2) and those that do not (RFC 6840 §5.1) check the same signature; at a delegation it is
``<first label>\\000.<parent>`` (RFC 9824 §3.4), which claims no name below the cut. A name too long for the
extra label gets the next name no longer than itself instead (RFC 4471 §3.1).
"""

from collections.abc import Iterable
from functools import lru_cache

import dns.name
from dns.rdatatype import RdataType
from dns.rdtypes.util import Bitmap

from app.dnssec.signatures import canonical_wire
from app.dnssec.wired import WiredNsec
from app.records.resolver import Kind

DENIAL_TYPES = frozenset({RdataType.RRSIG, RdataType.NSEC})
DELEGATION_TYPES = frozenset({RdataType.NS, RdataType.DS})
_ZERO_LABEL = b"\x00"
_MAX_NAME = 255
_MAX_LABEL = 63


def nsec_types(kind: Kind, types: Iterable[RdataType], at_apex: bool, at_cut: bool) -> frozenset[RdataType]:
    """The NSEC type bitmap for a denial about a name (module docstring)."""
    if kind in (Kind.NXDOMAIN, Kind.EMPTY_NON_TERMINAL):
        return DENIAL_TYPES
    present = frozenset(types)
    if at_cut:
        return (present & DELEGATION_TYPES) | DENIAL_TYPES
    return present | DENIAL_TYPES | ({RdataType.DNSKEY} if at_apex else frozenset())


def next_name(name: dns.name.Name) -> dns.name.Name:
    """``\\000.<name>`` in lower case: the first name after ``name`` in canonical order (RFC 4034 §6.1)."""
    labels = tuple(label.lower() for label in name.labels)
    if _wire_length(labels) + 2 <= _MAX_NAME:
        return dns.name.Name((_ZERO_LABEL, *labels))
    return _successor_of_same_length(dns.name.Name(labels))


def delegation_next_name(cut: dns.name.Name) -> dns.name.Name:
    """``<first label>\\000.<parent>``: the first name after the cut that is not below it (RFC 9824 §3.4)."""
    first, *rest = (label.lower() for label in cut.labels)
    if len(first) < _MAX_LABEL and _wire_length(cut.labels) < _MAX_NAME:
        return dns.name.Name((first + _ZERO_LABEL, *rest))
    return _successor_of_same_length(dns.name.Name((first, *rest)))


def _wire_length(labels: tuple[bytes, ...]) -> int:
    return sum(len(label) + 1 for label in labels)


def _successor_of_same_length(name: dns.name.Name) -> dns.name.Name:
    """For a name too long to grow: its first label with the trailing 0xFF octets dropped and the last octet
    left raised by one. No name can sort between the two, as none can be longer (RFC 4471 §3.1.2)."""
    first, *rest = name.labels
    last = first.rstrip(b"\xff")
    if not last:
        raise ValueError(f"no successor name for {name}")
    return dns.name.Name((last[:-1] + bytes([last[-1] + 1]), *rest))


@lru_cache(maxsize=1024)
def _windows(types: frozenset[RdataType]) -> tuple[tuple[int, bytes], ...]:
    return tuple(Bitmap.from_rdtypes(sorted(types)).windows)


@lru_cache(maxsize=1024)
def bitmap_wire(types: frozenset[RdataType]) -> bytes:
    """The type bitmap field of an NSEC RDATA (RFC 4034 §4.1.2)."""
    return b"".join(bytes([window, len(octets)]) + octets for window, octets in _windows(types))


def nsec_rdata_wire(next_domain: dns.name.Name, types: frozenset[RdataType]) -> bytes:
    """The canonical NSEC RDATA (the next name as it is: lower-case already, RFC 6840 §5.1)."""
    return canonical_wire(next_domain) + bitmap_wire(types)


def nsec_rdata(next_domain: dns.name.Name, types: frozenset[RdataType]) -> WiredNsec:
    return WiredNsec.make(next_domain, _windows(types), nsec_rdata_wire(next_domain, types))
