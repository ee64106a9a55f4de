"""The listener's seam to DNSSEC signing (``app.dnssec.signer``): the zone's material, and the answer signed
with it.

Queries with the DO bit get the zone's material (when it signs) and a signed answer; queries without it get
unsigned answers, except that a DNSKEY query at the apex still gets the DNSKEY RRset
(``docs/dnssec-signing.md``). The response cache keeps a signed answer only while its material is the one
``material`` returns.
"""

from typing import Any, Protocol

import dns.name
from dns.rdatatype import RdataType

from app.dnssec import signer
from app.dnssec.signer import SignedSections as Sections
from app.records import resolver
from app.services.zone_snapshots import Snapshot

__all__ = ["DnssecSigning", "Sections", "ZoneSigning", "needs_material", "unsigned"]


def unsigned(answer: resolver.Answer) -> Sections:
    """The resolver's answer as it is, for zones that do not sign."""
    return Sections(answer.rcode, answer.authoritative, answer.answer, answer.authority, answer.additional)


def needs_material(dnssec_ok: bool, qtype: int) -> bool:
    """Whether a query's answer may depend on the signing material."""
    return dnssec_ok or qtype == RdataType.DNSKEY


class ZoneSigning(Protocol):
    async def material(self, snapshot: Snapshot, now: float) -> Any | None:
        """None unless the zone signs and its keys are ready; the same object while it stays valid."""

    def cached_material(self, snapshot: Snapshot, now: float) -> tuple[bool, Any | None]:
        """``(True, what material gives)`` when it is known without waiting, else ``(False, None)``."""

    def sign_response(
        self,
        answer: resolver.Answer,
        qname: dns.name.Name,
        qtype: RdataType,
        material: Any,
        now: float,
        dnssec_ok: bool,
    ) -> Sections:
        """The answer's sections signed with ``material`` (black-lies denial, DNSKEY answers)."""


class DnssecSigning:
    """``ZoneSigning`` from the process's signing service (``app.services.zone_signing``)."""

    def __init__(self, service: signer.ZoneSigning) -> None:
        self._service = service

    async def material(self, snapshot: Snapshot, now: float) -> signer.SigningMaterial | None:
        return await self._service.material(snapshot, now)

    def cached_material(self, snapshot: Snapshot, now: float) -> tuple[bool, signer.SigningMaterial | None]:
        return self._service.cached_material(snapshot, now)

    def sign_response(
        self,
        answer: resolver.Answer,
        qname: dns.name.Name,
        qtype: RdataType,
        material: signer.SigningMaterial,
        now: float,
        dnssec_ok: bool,
    ) -> Sections:
        return signer.sign_response(answer, qname, qtype, material, now, dnssec_ok)
