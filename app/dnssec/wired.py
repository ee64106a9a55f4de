"""NSEC and RRSIG rdatas that carry their wire form, made once when they are signed.

An online denial makes a fresh NSEC and RRSIG for every name asked about; dnspython would check every field
again in its constructors, and encode each rdata again to hash it (``Rdata.__hash__`` encodes) and to render
it. These subclasses have every field dnspython's have, so validators and tests read them as usual, but are
made from fields the signer has already built (no checks again: ``make``) and write the octets already built
for the signature. Neither type's names are ever compressed on the wire (RFC 4034 §3.1.7, §4.1.1; RFC 3597
§4), and both octet strings are in canonical form (RFC 4034 §6.2; the NSEC next name lower-case already,
RFC 6840 §5.1), so one form serves rendering, hashing and digests alike. Unit tests pin that each renders,
hashes and compares exactly as dnspython's own.
"""

from typing import Any, BinaryIO, Self

import dns.immutable
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.NSEC
import dns.rdtypes.ANY.RRSIG

_COMMON = {"rdclass": dns.rdataclass.IN, "rdcomment": None}


def _make(cls: type[Any], fields: dict[str, Any]) -> Any:
    """An instance of ``cls`` with these slot values, its immutability kept (no ``__init__``: the values
    come checked)."""
    rdata = object.__new__(cls)
    for name, value in fields.items():
        object.__setattr__(rdata, name, value)
    return rdata


@dns.immutable.immutable
class WiredNsec(dns.rdtypes.ANY.NSEC.NSEC):
    """An NSEC whose RDATA octets are ``wire``."""

    __slots__ = ("wire",)
    wire: bytes

    @classmethod
    def make(cls, next_domain: Any, windows: Any, wire: bytes) -> Self:
        fields = {**_COMMON, "rdtype": dns.rdatatype.NSEC, "next": next_domain, "windows": windows, "wire": wire}
        made: Self = _make(cls, fields)
        return made

    def _to_wire(self, file: BinaryIO, compress: Any = None, origin: Any = None, canonicalize: bool = False) -> None:
        file.write(self.wire)


_RRSIG_FIELDS = (
    "type_covered",
    "algorithm",
    "labels",
    "original_ttl",
    "expiration",
    "inception",
    "key_tag",
    "signer",
    "signature",
)


@dns.immutable.immutable
class WiredRrsig(dns.rdtypes.ANY.RRSIG.RRSIG):
    """An RRSIG whose RDATA octets are ``wire`` (the signed fields, then the signature)."""

    __slots__ = ("wire",)
    wire: bytes

    @classmethod
    def make(cls, values: tuple[Any, ...], wire: bytes) -> Self:
        fields = {**_COMMON, "rdtype": dns.rdatatype.RRSIG, **dict(zip(_RRSIG_FIELDS, values, strict=True))}
        made: Self = _make(cls, {**fields, "wire": wire})
        return made

    def _to_wire(self, file: BinaryIO, compress: Any = None, origin: Any = None, canonicalize: bool = False) -> None:
        file.write(self.wire)
