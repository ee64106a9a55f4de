"""Test helpers for signed zones, in process: zones, KSKs and record sets through the API, answers through the
resolver and ``sign_response`` as the DNS listener gives them, and validation from the DS with dnspython."""

import time
import uuid
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

import dns.dnssec
import dns.name
import dns.rdata
import dns.rdatatype
import dns.rrset
import httpx
from dns.rdatatype import RdataType
from fastapi import FastAPI

from app.dnssec.signer import SignedSections, SigningMaterial, sign_response
from app.records import resolver
from app.services.zone_snapshots import SIGNED_TTL_CAP
from tests.kms_keys import make_key
from tests.wire import NAMESPACE, create_ksk_body, create_zone_body, parse


async def new_zone(client: httpx.AsyncClient, name: str) -> str:
    response = await client.post("/2013-04-01/hostedzone", content=create_zone_body(name, uuid.uuid4().hex))
    assert response.status_code == 201, response.text
    return str(parse("CreateHostedZone", response)["HostedZone"]["Id"]).split("/")[-1]


async def create_ksk(client: httpx.AsyncClient, zone_id: str, arn: str, name: str, status: str = "ACTIVE") -> Any:
    body = create_ksk_body(
        CallerReference=uuid.uuid4().hex, HostedZoneId=zone_id, KeyManagementServiceArn=arn, Name=name, Status=status
    )
    response = await client.post("/2013-04-01/keysigningkey", content=body)
    assert response.status_code == 201, response.text
    return parse("CreateKeySigningKey", response)["KeySigningKey"]


async def get_dnssec(client: httpx.AsyncClient, zone_id: str) -> dict[str, Any]:
    response = await client.get(f"/2013-04-01/hostedzone/{zone_id}/dnssec")
    assert response.status_code == 200, response.text
    return parse("GetDNSSEC", response)


async def post(client: httpx.AsyncClient, path: str) -> httpx.Response:
    return await client.post(f"/2013-04-01/{path}")


@dataclass(frozen=True)
class SignedZone:
    zone_id: str
    name: dns.name.Name
    ksk: dict[str, Any]  # the KSK as GetDNSSEC reports it


async def signing_zone(app: FastAPI, client: httpx.AsyncClient, name: str, arn: str | None = None) -> SignedZone:
    """A zone with one ACTIVE KSK on a fresh KMS key (or ``arn``), signing."""
    zone_id = await new_zone(client, name)
    await create_ksk(client, zone_id, arn or await make_key(app), "ksk_one")
    response = await post(client, f"hostedzone/{zone_id}/enable-dnssec")
    assert response.status_code == 200, response.text
    dnssec = await get_dnssec(client, zone_id)
    assert dnssec["Status"]["ServeSignature"] == "SIGNING"
    return SignedZone(zone_id, dns.name.from_text(name), dnssec["KeySigningKeys"][0])


def record(name: str, rtype: str, ttl: int, *values: str, action: str = "UPSERT") -> str:
    items = "".join(f"<ResourceRecord><Value>{escape(value)}</Value></ResourceRecord>" for value in values)
    return (
        f"<Change><Action>{action}</Action><ResourceRecordSet><Name>{escape(name)}</Name><Type>{rtype}</Type>"
        f"<TTL>{ttl}</TTL><ResourceRecords>{items}</ResourceRecords></ResourceRecordSet></Change>"
    )


async def change(client: httpx.AsyncClient, zone_id: str, *changes: str) -> None:
    body = (
        f'<ChangeResourceRecordSetsRequest xmlns="{NAMESPACE}"><ChangeBatch><Changes>{"".join(changes)}</Changes>'
        "</ChangeBatch></ChangeResourceRecordSetsRequest>"
    )
    response = await client.post(f"/2013-04-01/hostedzone/{zone_id}/rrset/", content=body)
    assert response.status_code == 200, response.text


async def material(app: FastAPI, zone_id: str, now: float | None = None) -> SigningMaterial | None:
    snapshot = await app.state.zone_snapshots.get(zone_id)
    assert snapshot is not None
    found: SigningMaterial | None = await app.state.zone_signing.material(snapshot, time.time() if now is None else now)
    return found


async def answer(
    app: FastAPI, zone_id: str, qname: str, qtype: str, now: float | None = None, dnssec_ok: bool = True
) -> SignedSections:
    """What the DNS listener answers a DO query with, from the zone's current snapshot."""
    now = time.time() if now is None else now
    snapshot = await app.state.zone_snapshots.get(zone_id)
    signing = await app.state.zone_signing.material(snapshot, now)
    assert signing is not None
    name, rdtype = dns.name.from_text(qname), dns.rdatatype.from_text(qtype)
    resolved = resolver.resolve(snapshot.zone, name, rdtype, ttl_cap=SIGNED_TTL_CAP)
    return sign_response(resolved, name, rdtype, signing, now, dnssec_ok)


def ksk_dnskey(zone: SignedZone, ksk: dict[str, Any] | None = None) -> dns.rrset.RRset:
    return dns.rrset.from_text(zone.name, 3600, "IN", "DNSKEY", (ksk or zone.ksk)["DNSKEYRecord"])


def ds_matches(zone_name: dns.name.Name, ds_text: str, dnskey: dns.rdata.Rdata) -> bool:
    ds = dns.rdata.from_text("IN", "DS", ds_text)
    return bool(dns.dnssec.make_ds(zone_name, dnskey, "SHA256") == ds)


def trusted_keys(zone: SignedZone, signing: SigningMaterial, now: float) -> dict[dns.name.Name, dns.rrset.RRset]:
    """The zone's DNSKEY RRset, validated from the DS GetDNSSEC gives: the DS names the KSK, whose DNSKEY is
    in the RRset, and the KSK's RRSIG over the RRset validates."""
    (ksk,) = ksk_dnskey(zone)
    assert ds_matches(zone.name, zone.ksk["DSRecord"], ksk)
    assert ksk in signing.dnskey
    dns.dnssec.validate(signing.dnskey, signing.dnskey_rrsigs, {zone.name: ksk_dnskey(zone)}, now=now)
    return {zone.name: signing.dnskey}


def validate_sections(sections: SignedSections, keys: dict[dns.name.Name, dns.rrset.RRset], now: float) -> int:
    """Validate every RRSIG RRset of the answer and authority sections against the RRset it covers; every
    RRset but a referral's NS is signed. Returns how many signatures were checked."""
    checked = 0
    for section in (sections.answer, sections.authority):
        rrsigs = [rrset for rrset in section if rrset.rdtype == RdataType.RRSIG]
        data = [rrset for rrset in section if rrset.rdtype != RdataType.RRSIG]
        for rrset in data:
            covering = [sig for sig in rrsigs if sig.name == rrset.name and sig.covers == rrset.rdtype]
            if rrset.rdtype == RdataType.NS and not covering and section is sections.authority:
                continue  # a referral's NS RRset is not signed (RFC 4035 §2.2)
            assert covering, f"{rrset.name} {rrset.rdtype.name} is not signed"
            dns.dnssec.validate(rrset, covering[0], keys, now=now)
            checked += 1
    return checked


def types_in(rrsets: list[dns.rrset.RRset]) -> list[str]:
    return [
        f"{rrset.rdtype.name}({rrset.covers.name})" if rrset.rdtype == RdataType.RRSIG else rrset.rdtype.name
        for rrset in rrsets
    ]
