"""The seam between the DNS listener and signing: a zone's ``SigningMaterial`` and the pure
``sign_response`` that turns a resolver answer into the sections a DO query gets (RFC 4035 §3).

* Positive answers (wildcard ones included, owned by the query name) and every CNAME: each RRset followed
  by its RRSIG.
* Negative answers (NXDOMAIN, NODATA, empty non-terminals), as Route 53 does "black lies": rcode NOERROR,
  the SOA and one NSEC about the name (``app.dnssec.denial``), each with its RRSIG, in authority.
* A DNSKEY query at the apex: the DNSKEY RRset and the RRSIGs every ACTIVE KSK made for it.
* An NSEC query: the NSEC about the name, with its RRSIG, in the answer section (a positive answer, so
  validators accept it; the bitmap holds NSEC).
* An RRSIG query: the NODATA answer with its signed SOA and no NSEC (the name has RRSIGs, so no NSEC can
  deny them).
* Referrals: the NS RRset unsigned (RFC 4035 §2.2), then the DS RRset and its RRSIG, or, without DS, the
  NSEC of the cut that proves there is none (RFC 4035 §3.1.4.1); glue unsigned.

Without DO (``dnssec_ok=False``) answers are those of an unsigned zone, NXDOMAIN included, except that a
DNSKEY query at the apex gets the DNSKEY RRset (without RRSIGs): RFC 4035 §3.2.1 answers types asked for.
TTLs are those the resolver gave (capped at one week while signing); every RRSIG has its RRset's TTL.
"""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import dns.name
import dns.rcode
import dns.rrset
from dns.rdatatype import RdataType

from app.dnssec.online import OnlineSigner
from app.records import resolver
from app.records.resolver import Kind

if TYPE_CHECKING:
    from app.services.zone_snapshots import Snapshot


@dataclass(frozen=True)
class SigningMaterial:
    """What one zone signs with at one moment: its DNSKEY RRset (ZSKs and ACTIVE KSKs), the RRSIGs the
    ACTIVE KSKs made for it ahead of time, and the ZSK's online signer."""

    dnskey: dns.rrset.RRset
    dnskey_rrsigs: dns.rrset.RRset
    negative_ttl: int  # min(SOA TTL, SOA MINIMUM), capped (RFC 2308 §5): the NSEC TTL (RFC 9077)
    signer: OnlineSigner = field(repr=False)

    @property
    def apex(self) -> dns.name.Name:
        return self.signer.apex

    def sign(self, rrset: dns.rrset.RRset, now: float) -> dns.rrset.RRset:
        """The RRSIG RRset of ``rrset`` by the zone's ZSK, cached until it nears expiry."""
        return self.signer.sign(rrset, now)

    def deny(self, name: dns.name.Name, types: frozenset[RdataType], kind: Kind, now: float) -> list[dns.rrset.RRset]:
        """Black lies: the NSEC owned by ``name`` with next name ``\\000.<name>``, and its RRSIG."""
        return self.signer.deny(name, types, kind, self.negative_ttl, now)


class ZoneSigning(Protocol):
    async def material(self, snapshot: "Snapshot", now: float) -> SigningMaterial | None:
        """None unless the zone's ServeSignature is SIGNING and keys are ready. Cheap when cached
        (called for every DO query); refreshed per zone revision and as signatures near expiry."""
        ...

    def cached_material(self, snapshot: "Snapshot", now: float) -> tuple[bool, SigningMaterial | None]:
        """``(True, what material gives)`` when it is known without waiting, else ``(False, None)``."""
        ...


@dataclass(frozen=True)
class SignedSections:
    """What the response carries besides its question and OPT (AA: ``authoritative``)."""

    rcode: dns.rcode.Rcode
    authoritative: bool
    answer: list[dns.rrset.RRset]
    authority: list[dns.rrset.RRset]
    additional: list[dns.rrset.RRset]


_POSITIVE = (Kind.POSITIVE, Kind.WILDCARD, Kind.CNAME)


def sign_response(
    answer: resolver.Answer,
    qname: dns.name.Name,
    qtype: RdataType,
    material: SigningMaterial,
    now: float,
    dnssec_ok: bool = True,
) -> SignedSections:
    """The sections of the answer to ``qname``/``qtype`` in a signing zone (module docstring)."""
    if qtype == RdataType.DNSKEY and qname == material.apex and answer.kind is Kind.NODATA:
        dnskey = [material.dnskey, material.dnskey_rrsigs] if dnssec_ok else [material.dnskey]
        return SignedSections(dns.rcode.NOERROR, True, dnskey, [], [])
    if not dnssec_ok:
        return SignedSections(answer.rcode, answer.authoritative, answer.answer, answer.authority, answer.additional)
    signed = _signed(answer.answer, material, now)
    if answer.kind in _POSITIVE:
        return SignedSections(answer.rcode, answer.authoritative, signed, answer.authority, answer.additional)
    if answer.kind is Kind.REFERRAL:
        authority = list(answer.authority)
        ds = [rrset for rrset in answer.authority if rrset.rdtype == RdataType.DS]
        if ds:
            authority.append(material.sign(ds[0], now))
        else:
            authority.extend(material.deny(answer.name, answer.types, answer.kind, now))
        return SignedSections(answer.rcode, answer.authoritative, signed, authority, answer.additional)
    denial = material.deny(answer.name, answer.types, answer.kind, now)
    if qtype == RdataType.NSEC:
        return SignedSections(dns.rcode.NOERROR, answer.authoritative, signed + denial, [], [])
    authority = _signed(answer.authority, material, now)
    if qtype != RdataType.RRSIG:
        authority.extend(denial)
    return SignedSections(dns.rcode.NOERROR, answer.authoritative, signed, authority, [])


def _signed(rrsets: list[dns.rrset.RRset], material: SigningMaterial, now: float) -> list[dns.rrset.RRset]:
    signed: list[dns.rrset.RRset] = []
    for rrset in rrsets:
        signed.append(rrset)
        signed.append(material.sign(rrset, now))
    return signed
