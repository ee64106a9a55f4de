"""The seam to DNSSEC signing (the design's ``app/dnssec/signer.py``): the listener asks ``ZoneSigning``
for a zone's material on every DO query, and when there is some, has it sign the answer.

Until signing lands no zone signs (``NotSigning``): answers are unsigned, DO bit or not, and DNSKEY, NSEC
and RRSIG queries get the resolver's NODATA.
"""

from dataclasses import dataclass
from typing import Any, Protocol

import dns.name
import dns.rcode
import dns.rrset
from dns.rdatatype import RdataType

from app.records import resolver
from app.services.zone_snapshots import Snapshot


@dataclass(frozen=True)
class Sections:
    """What a response carries besides its question and OPT."""

    rcode: dns.rcode.Rcode
    authoritative: bool
    answer: list[dns.rrset.RRset]
    authority: list[dns.rrset.RRset]
    additional: list[dns.rrset.RRset]

    @classmethod
    def unsigned(cls, answer: resolver.Answer) -> "Sections":
        return cls(answer.rcode, answer.authoritative, answer.answer, answer.authority, answer.additional)


class ZoneSigning(Protocol):
    """What the listener needs from DNSSEC signing: ``app.dnssec.signer``'s ``ZoneSigning.material`` and
    ``sign_response``, side by side."""

    async def material(self, snapshot: Snapshot, now: float) -> Any | None:
        """None unless the zone signs and its keys are ready; cheap when cached (called per DO query).
        Material that is still valid is returned as the same object (the response cache relies on it)."""

    def sign_response(
        self, answer: resolver.Answer, qname: dns.name.Name, qtype: RdataType, material: Any, now: float
    ) -> Sections:
        """The answer's sections signed with ``material``: RRSIGs, black-lies denial, DNSKEY answers."""


class NotSigning:
    """No zone signs yet: no material, and answers as the resolver gives them."""

    async def material(self, snapshot: Snapshot, now: float) -> None:
        return None

    def sign_response(
        self, answer: resolver.Answer, qname: dns.name.Name, qtype: RdataType, material: Any, now: float
    ) -> Sections:
        return Sections.unsigned(answer)
