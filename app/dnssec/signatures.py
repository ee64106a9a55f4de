"""Pure DNSSEC signature maths for ECDSAP256SHA256 (algorithm 13).

* The data an RRSIG signs: its RDATA without the signature, then every RR of the RRset in canonical form
  and order (RFC 4034 §3.1.8.1, §6.2, §6.3), the owner of a wildcard expansion rebuilt from the Labels
  field (RFC 4035 §5.3.2).
* ECDSA signatures in DNSSEC form: r and s, each as 32 big-endian octets (RFC 6605 §4), from the DER
  ``ECDSA-Sig-Value`` that AWS KMS Sign and pyca/cryptography return (RFC 3279 §2.2.3). Either integer may
  be shorter than 32 octets (about one signature in 128), so both are left-padded with zeros.
"""

import struct
from dataclasses import dataclass

import dns.dnssectypes
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.rrset
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from app.dnssec.records import ALGORITHM
from app.dnssec.wired import WiredRrsig

P256_OCTETS = 32
_ALGORITHM = dns.dnssectypes.Algorithm(ALGORITHM)
_WILDCARD = b"*"


def der_to_raw(der: bytes) -> bytes:
    """The 64-octet r‖s of a DER ECDSA P-256 signature (RFC 6605 §4); ``ValueError`` when it is not one."""
    r, s = decode_dss_signature(der)
    if not (0 < r < 1 << 256 and 0 < s < 1 << 256):
        raise ValueError("not an ECDSA P-256 signature")
    return r.to_bytes(P256_OCTETS, "big") + s.to_bytes(P256_OCTETS, "big")


def rrsig_labels(owner: dns.name.Name) -> int:
    """The RRSIG Labels field of an owner name: its labels without the root and a leading ``*``
    (RFC 4034 §3.1.3)."""
    count = len(owner.labels) - 1
    return count - 1 if owner.labels and owner.labels[0] == _WILDCARD else count


@dataclass(frozen=True)
class RrsigFields:
    """Every RRSIG RDATA field but the signature (RFC 4034 §3.1)."""

    type_covered: dns.rdatatype.RdataType
    labels: int
    original_ttl: int
    expiration: int
    inception: int
    key_tag: int
    signer: dns.name.Name  # the zone apex, lower-case

    def wire(self) -> bytes:
        """The RDATA prefix the signature covers; the signer name in canonical form (RFC 4034 §3.1.8.1)."""
        header = struct.pack(
            "!HBBIIIH",
            self.type_covered,
            ALGORITHM,
            self.labels,
            self.original_ttl,
            self.expiration,
            self.inception,
            self.key_tag,
        )
        return header + canonical_wire(self.signer)

    def rdata(self, signature: bytes) -> WiredRrsig:
        """The RRSIG RDATA with ``signature``; its octets are ``wire()`` and the signature."""
        fields = (
            self.type_covered,
            _ALGORITHM,
            self.labels,
            self.original_ttl,
            self.expiration,
            self.inception,
            self.key_tag,
            self.signer,
            signature,
        )
        return WiredRrsig.make(fields, self.wire() + signature)


_LENGTHS = tuple(bytes([length]) for length in range(64))


def canonical_wire(name: dns.name.Name) -> bytes:
    """A name's canonical wire form: uncompressed, ASCII letters lower-cased (RFC 4034 §6.2). Built from
    the labels directly: dnspython's ``canonicalize().to_wire()`` costs ten times as much."""
    return b"".join(_LENGTHS[len(label)] + label.lower() for label in name.labels)


def signed_owner(owner: dns.name.Name, labels: int) -> bytes:
    """The owner as signed: canonical (lower-case) wire form, or ``*.`` and its rightmost ``labels`` labels
    when the RRset was expanded from a wildcard (RFC 4035 §5.3.2)."""
    if labels < len(owner.labels) - 1:
        owner = dns.name.Name((_WILDCARD, *owner.labels[-(labels + 1) :]))
    return canonical_wire(owner)


def canonical_rdatas(rrset: dns.rrset.RRset, origin: dns.name.Name | None = None) -> list[bytes]:
    """Every RDATA in canonical form (RFC 4034 §6.2), in canonical order, duplicates dropped (§6.3); relative
    names inside them are taken as relative to ``origin``."""
    return sorted({rdata.to_digestable(origin) for rdata in rrset})


def signed_data(fields: RrsigFields, owner: dns.name.Name, rdatas: list[bytes]) -> bytes:
    """RRSIG_RDATA | RR(1) | RR(2) …: the octets an RRSIG signs (RFC 4034 §3.1.8.1), class IN, every RR
    with the original TTL; ``rdatas`` as ``canonical_rdatas`` gives them."""
    prefix = signed_owner(owner, fields.labels) + struct.pack(
        "!HHI", fields.type_covered, dns.rdataclass.IN, fields.original_ttl
    )
    return fields.wire() + b"".join(prefix + struct.pack("!H", len(rdata)) + rdata for rdata in rdatas)


def rrset_signed_data(fields: RrsigFields, rrset: dns.rrset.RRset) -> bytes:
    return signed_data(fields, rrset.name, canonical_rdatas(rrset))
