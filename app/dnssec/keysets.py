"""Pure DNSKEY RRsets and the KSK signatures made for them ahead of time.

A zone's DNSKEY RRset holds its published ZSKs (flags 256) and its ACTIVE KSKs (flags 257, from the KMS
public key; Developer Guide, "KMS key and ZSK management in Route 53"). Each ACTIVE KSK signs it through
KMS Sign; what KMS signs is ``dnskey_signing_input`` and its DER answer becomes the RRSIG with
``dnskey_rrsig`` (RFC 4034 §3.1.8.1, RFC 6605 §4).
"""

import hashlib
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.RRSIG
import dns.rrset
from dns.rdatatype import RdataType

from app.dnssec.records import FLAG_KSK
from app.dnssec.schedule import Timings, ksk_signature_window
from app.dnssec.signatures import RrsigFields, canonical_rdatas, der_to_raw, rrsig_labels, signed_data
from app.dnssec.zsk import FLAG_ZSK, dnskey_rdata


@dataclass(frozen=True)
class SigningKsk:
    """An ACTIVE key-signing key as signing uses it: its KMS key, key tag and 64-octet public key."""

    kms_arn: str
    key_tag: int
    public_key: bytes


def dnskey_rrset(
    apex: dns.name.Name, zsk_public_keys: Iterable[bytes], ksks: Iterable[SigningKsk], ttl: int
) -> dns.rrset.RRset:
    rdatas = [dnskey_rdata(FLAG_ZSK, key) for key in zsk_public_keys]
    rdatas += [dnskey_rdata(FLAG_KSK, ksk.public_key) for ksk in ksks]
    return dns.rrset.from_rdata_list(apex, ttl, rdatas)


def key_set_id(rrset: dns.rrset.RRset) -> str:
    """What identifies a DNSKEY RRset of a zone: the SHA-256 of its TTL and canonical rdatas."""
    digest = hashlib.sha256(struct.pack("!I", rrset.ttl))
    for rdata in canonical_rdatas(rrset):
        digest.update(struct.pack("!H", len(rdata)) + rdata)
    return digest.hexdigest()


def dnskey_fields(rrset: dns.rrset.RRset, ksk: SigningKsk, slot: int, timings: Timings) -> RrsigFields:
    inception, expiration = ksk_signature_window(slot, timings)
    apex = rrset.name.canonicalize()
    return RrsigFields(RdataType.DNSKEY, rrsig_labels(apex), rrset.ttl, expiration, inception, ksk.key_tag, apex)


def dnskey_signing_input(rrset: dns.rrset.RRset, fields: RrsigFields) -> bytes:
    """The message KMS Sign signs (``RAW``; it hashes it with SHA-256)."""
    return signed_data(fields, rrset.name, canonical_rdatas(rrset))


def dnskey_rrsig(fields: RrsigFields, der_signature: bytes) -> bytes:
    """The RRSIG RDATA (wire form, as stored) of a KMS DER signature."""
    wire = fields.rdata(der_to_raw(der_signature)).to_wire()
    assert wire is not None  # to_wire without a file returns the octets
    return wire


def parse_rrsig(wire: bytes) -> dns.rdtypes.ANY.RRSIG.RRSIG:
    rdata = dns.rdata.from_wire(dns.rdataclass.IN, dns.rdatatype.RRSIG, wire, 0, len(wire))
    if not isinstance(rdata, dns.rdtypes.ANY.RRSIG.RRSIG):
        raise ValueError("not an RRSIG")
    return rdata


def usable_rrsig(
    rrsigs: Sequence[dns.rdtypes.ANY.RRSIG.RRSIG], now: float, ttl: int
) -> dns.rdtypes.ANY.RRSIG.RRSIG | None:
    """Of one KSK's RRSIGs over one DNSKEY RRset, the one to serve at ``now``: valid now and for a TTL
    more, the latest to expire."""
    valid = [rrsig for rrsig in rrsigs if rrsig.inception <= now and now + ttl < rrsig.expiration]
    return max(valid, key=lambda rrsig: rrsig.expiration, default=None)
