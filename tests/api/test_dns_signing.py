"""Signed answers in process: every kind of answer a DO query gets from a signing zone, each RRSIG validated
with dnspython against the DNSKEY RRset, itself validated from the DS that GetDNSSEC reports."""

import base64
import logging
import time

import dns.name
import dns.rcode
import dns.rrset
import httpx
import pytest
from dns.rdatatype import RdataType
from fastapi import FastAPI
from sqlalchemy import select

from app.db.models import DnskeySignature, ZoneSigningKey
from tests.kms_keys import make_key
from tests.signing import (
    SignedZone,
    answer,
    change,
    create_ksk,
    get_dnssec,
    ksk_dnskey,
    material,
    new_zone,
    post,
    record,
    signing_zone,
    trusted_keys,
    types_in,
    validate_sections,
)

ACCOUNT = "123456789012"  # R53_ACCOUNT_ID's default: the account of the tests' requests

DAY = 86400


@pytest.fixture
async def zone(app: FastAPI, client: httpx.AsyncClient) -> SignedZone:
    signed = await signing_zone(app, client, "example.com")
    await change(
        client,
        signed.zone_id,
        record("www.example.com", "A", 300, "192.0.2.1", "192.0.2.2"),
        record("www.example.com", "TXT", 300, '"hello"'),
        record("example.com", "MX", 300, "10 mail.example.com."),
        record("*.wild.example.com", "TXT", 60, '"wild"'),
        record("alias.example.com", "CNAME", 300, "www.example.com."),
        record("out.example.com", "CNAME", 300, "elsewhere.example.net."),
        record("dangling.example.com", "CNAME", 300, "missing.example.com."),
        record("deep.ent.example.com", "A", 300, "192.0.2.3"),
        record("sub.example.com", "NS", 3600, "ns1.sub.example.com."),
        record("ns1.sub.example.com", "A", 3600, "192.0.2.53"),
        record("sub.example.com", "DS", 3600, "12345 13 2 " + "AB" * 32),
        record("insecure.example.com", "NS", 3600, "ns.other.example.net."),
        record("long.example.com", "A", 14 * DAY, "192.0.2.4"),
    )
    return signed


async def signed(app: FastAPI, zone: SignedZone, qname: str, qtype: str) -> tuple[object, int]:
    now = time.time()
    sections = await answer(app, zone.zone_id, qname, qtype, now)
    signing = await material(app, zone.zone_id, now)
    assert signing is not None
    return sections, validate_sections(sections, trusted_keys(zone, signing, now), now)


async def test_positive_answers_are_signed(app: FastAPI, zone: SignedZone) -> None:
    sections, checked = await signed(app, zone, "WWW.Example.com.", "A")
    assert (sections.rcode, types_in(sections.answer), sections.authority) == (dns.rcode.NOERROR, ["A", "RRSIG(A)"], [])
    assert sections.authoritative
    assert checked == 1
    rrsig = sections.answer[1][0]
    assert (rrsig.labels, rrsig.original_ttl, rrsig.signer) == (3, 300, dns.name.from_text("example.com."))


async def test_a_nonexistent_name_is_a_black_lie(app: FastAPI, zone: SignedZone) -> None:
    sections, checked = await signed(app, zone, "Nope.example.com.", "A")
    assert sections.rcode == dns.rcode.NOERROR
    assert sections.answer == []
    assert types_in(sections.authority) == ["SOA", "RRSIG(SOA)", "NSEC", "RRSIG(NSEC)"]
    nsec = sections.authority[2]
    assert nsec.name == dns.name.from_text("nope.example.com.")
    assert nsec[0].to_text() == "\\000.nope.example.com. RRSIG NSEC"
    assert nsec.ttl == sections.authority[0].ttl == 900  # min(SOA TTL, SOA MINIMUM)
    assert checked == 2


@pytest.mark.parametrize(
    ("qname", "qtype", "nsec"),
    [
        ("www.example.com.", "MX", "\\000.www.example.com. A TXT RRSIG NSEC"),
        ("ent.example.com.", "A", "\\000.ent.example.com. RRSIG NSEC"),
        ("x.wild.example.com.", "A", "\\000.x.wild.example.com. TXT RRSIG NSEC"),
        ("example.com.", "AAAA", "\\000.example.com. NS SOA MX RRSIG NSEC DNSKEY"),
        ("www.example.com.", "DNSKEY", "\\000.www.example.com. A TXT RRSIG NSEC"),
        ("insecure.example.com.", "DS", "insecure\\000.example.com. NS RRSIG NSEC"),
    ],
)
async def test_nodata_answers_deny_with_the_documented_bitmaps(
    app: FastAPI, zone: SignedZone, qname: str, qtype: str, nsec: str
) -> None:
    sections, checked = await signed(app, zone, qname, qtype)
    assert (sections.rcode, sections.answer) == (dns.rcode.NOERROR, [])
    assert types_in(sections.authority) == ["SOA", "RRSIG(SOA)", "NSEC", "RRSIG(NSEC)"]
    assert sections.authority[2].name == dns.name.from_text(qname)
    assert sections.authority[2][0].to_text() == nsec
    assert RdataType[qtype].name not in nsec.split()[1:]
    assert checked == 2


async def test_wildcard_answers_are_signed_as_owned_by_the_query_name(app: FastAPI, zone: SignedZone) -> None:
    sections, checked = await signed(app, zone, "x.Wild.example.com.", "TXT")
    assert types_in(sections.answer) == ["TXT", "RRSIG(TXT)"]
    assert sections.answer[0].name == dns.name.from_text("x.wild.example.com.")
    assert sections.answer[1][0].labels == 4  # the query name's labels: no wildcard proof needed
    assert sections.authority == [] and checked == 1


async def test_cname_chains_sign_every_rrset(app: FastAPI, zone: SignedZone) -> None:
    sections, checked = await signed(app, zone, "alias.example.com.", "A")
    assert types_in(sections.answer) == ["CNAME", "RRSIG(CNAME)", "A", "RRSIG(A)"] and checked == 2
    sections, checked = await signed(app, zone, "out.example.com.", "A")
    assert types_in(sections.answer) == ["CNAME", "RRSIG(CNAME)"] and sections.authority == [] and checked == 1
    sections, checked = await signed(app, zone, "dangling.example.com.", "A")  # into a missing name: a black lie
    assert (sections.rcode, types_in(sections.answer)) == (dns.rcode.NOERROR, ["CNAME", "RRSIG(CNAME)"])
    assert types_in(sections.authority) == ["SOA", "RRSIG(SOA)", "NSEC", "RRSIG(NSEC)"] and checked == 3
    assert sections.authority[2].name == dns.name.from_text("missing.example.com.")


async def test_dnskey_and_nsec_queries_are_answered_positively(app: FastAPI, zone: SignedZone) -> None:
    sections, checked = await signed(app, zone, "example.com.", "DNSKEY")
    assert types_in(sections.answer) == ["DNSKEY", "RRSIG(DNSKEY)"] and checked == 1
    assert sorted(key.flags for key in sections.answer[0]) == [256, 257]
    assert sections.answer[0].ttl == 3600
    sections, checked = await signed(app, zone, "www.example.com.", "NSEC")
    assert types_in(sections.answer) == ["NSEC", "RRSIG(NSEC)"] and sections.authority == [] and checked == 1
    assert sections.answer[0][0].to_text() == "\\000.www.example.com. A TXT RRSIG NSEC"


async def test_an_rrsig_query_gets_a_signed_soa_and_no_nsec(app: FastAPI, zone: SignedZone) -> None:
    sections, checked = await signed(app, zone, "www.example.com.", "RRSIG")
    assert types_in(sections.authority) == ["SOA", "RRSIG(SOA)"] and checked == 1


async def test_delegations_carry_a_signed_ds_or_the_nsec_that_denies_it(app: FastAPI, zone: SignedZone) -> None:
    sections, checked = await signed(app, zone, "sub.example.com.", "DS")
    assert types_in(sections.answer) == ["DS", "RRSIG(DS)"] and checked == 1
    sections, checked = await signed(app, zone, "host.sub.example.com.", "A")
    assert (sections.answer, types_in(sections.authority)) == ([], ["NS", "DS", "RRSIG(DS)"])
    assert not sections.authoritative  # a referral
    assert types_in(sections.additional) == ["A"] and checked == 1
    sections, checked = await signed(app, zone, "host.insecure.example.com.", "A")
    assert types_in(sections.authority) == ["NS", "NSEC", "RRSIG(NSEC)"] and checked == 1
    assert sections.authority[1].name == dns.name.from_text("insecure.example.com.")
    assert sections.authority[1][0].to_text() == "insecure\\000.example.com. NS RRSIG NSEC"


async def test_ttls_stay_capped_at_one_week(app: FastAPI, zone: SignedZone) -> None:
    sections, _ = await signed(app, zone, "long.example.com.", "A")
    assert sections.answer[0].ttl == sections.answer[1].ttl == sections.answer[1][0].original_ttl == 7 * DAY


async def test_queries_without_do_get_unsigned_answers(
    app: FastAPI, client: httpx.AsyncClient, zone: SignedZone
) -> None:
    """Without DO a name that does not exist is NXDOMAIN, as TestDNSAnswer (which models such a query) says;
    an explicit DNSKEY query still gets the DNSKEY RRset, without RRSIG."""
    sections = await answer(app, zone.zone_id, "nope.example.com.", "A", dnssec_ok=False)
    assert (sections.rcode, sections.answer, types_in(sections.authority)) == (dns.rcode.NXDOMAIN, [], ["SOA"])
    tested = await client.get(
        "/2013-04-01/testdnsanswer",
        params={"hostedzoneid": zone.zone_id, "recordname": "nope.example.com", "recordtype": "A"},
    )
    assert "<ResponseCode>NXDOMAIN</ResponseCode>" in tested.text
    sections = await answer(app, zone.zone_id, "example.com.", "DNSKEY", dnssec_ok=False)
    assert types_in(sections.answer) == ["DNSKEY"]
    sections = await answer(app, zone.zone_id, "www.example.com.", "A", dnssec_ok=False)
    assert types_in(sections.answer) == ["A"]


async def test_disabling_signing_stops_signed_answers_and_enabling_resumes_them(
    app: FastAPI, client: httpx.AsyncClient, zone: SignedZone
) -> None:
    before = await material(app, zone.zone_id)
    assert before is not None
    assert (await post(client, f"hostedzone/{zone.zone_id}/disable-dnssec")).status_code == 200
    assert await material(app, zone.zone_id) is None
    assert (await post(client, f"hostedzone/{zone.zone_id}/enable-dnssec")).status_code == 200
    after = await material(app, zone.zone_id)
    assert after is not None and after.dnskey == before.dnskey  # the same ZSK: caches holding it stay right


async def test_a_zone_that_does_not_sign_has_no_material(app: FastAPI, client: httpx.AsyncClient) -> None:
    zone_id = await new_zone(client, "plain.example")
    assert await material(app, zone_id) is None


async def test_dnskey_signatures_are_made_fifteen_slots_ahead(app: FastAPI, client: httpx.AsyncClient) -> None:
    zone = await signing_zone(app, client, "ahead.example")
    async with app.state.zone_signing._sessionmaker() as session:
        slots = sorted((await session.scalars(select(DnskeySignature.slot))).all())
    slot = app.state.zone_signing.timings.ksk_slot
    assert len(slots) == 15 and slots == [slots[0] + index * slot for index in range(15)]
    now = time.time()
    assert slots[0] <= now < slots[0] + slot
    for index in range(15):  # the signature served in each slot validates there, from the DS
        moment = max(now, slots[index] + slot / 2)
        signing = await material(app, zone.zone_id, moment)
        assert signing is not None, index
        trusted_keys(zone, signing, moment)
        (rrsig,) = signing.dnskey_rrsigs
        assert rrsig.inception <= moment and rrsig.expiration - moment > slot
        assert index == 0 or rrsig.inception == slots[index] - 3600


async def test_a_kms_outage_leaves_the_zone_valid_for_days_and_waits_to_rotate(
    app: FastAPI, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    arn = await make_key(app)
    zone = await signing_zone(app, client, "outage.example", arn)
    await app.state.local_kms.disable_key({"KeyId": arn}, "us-east-1", ACCOUNT)
    dnssec = await get_dnssec(client, zone.zone_id)
    assert dnssec["KeySigningKeys"][0]["Status"] == "ACTION_NEEDED"
    start = time.time()
    for day in (1, 7, 13, 14):  # the successor comes due on day 14, but KMS cannot sign a DNSKEY RRset with it
        moment = start + day * DAY
        await app.state.zone_signing.refresh(zone.zone_id, moment)
        signing = await material(app, zone.zone_id, moment)
        assert signing is not None, day
        validate_sections(
            await answer(app, zone.zone_id, "nx.outage.example.", "A", moment),
            trusted_keys(zone, signing, moment),
            moment,
        )
    async with app.state.zone_signing._sessionmaker() as session:
        assert len((await session.scalars(select(ZoneSigningKey.id))).all()) == 1
    assert "KMS did not sign the DNSKEY RRset" in caplog.text
    assert await material(app, zone.zone_id, start + 17 * DAY) is None  # every signature made ahead has expired
    await app.state.local_kms.enable_key({"KeyId": arn}, "us-east-1", ACCOUNT)
    await app.state.zone_signing.refresh(zone.zone_id, start + 17 * DAY)
    signing = await material(app, zone.zone_id, start + 17 * DAY)
    assert signing is not None
    trusted_keys(zone, signing, start + 17 * DAY)
    assert len([key for key in signing.dnskey if key.flags == 256]) == 2  # the late successor is published


async def test_every_ksk_operation_refreshes_the_dnskey_signatures(app: FastAPI, client: httpx.AsyncClient) -> None:
    zone = await signing_zone(app, client, "roll.example")
    second = await create_ksk(client, zone.zone_id, await make_key(app), "ksk_two", status="INACTIVE")
    signing = await material(app, zone.zone_id)
    assert signing is not None and len(signing.dnskey) == 2  # an INACTIVE KSK is not published
    assert (await post(client, f"keysigningkey/{zone.zone_id}/ksk_two/activate")).status_code == 200
    now = time.time()
    signing = await material(app, zone.zone_id, now)
    assert signing is not None and len(signing.dnskey) == 3 and len(signing.dnskey_rrsigs) == 2
    trusted_keys(zone, signing, now)
    second_zone = SignedZone(zone.zone_id, zone.name, (await get_dnssec(client, zone.zone_id))["KeySigningKeys"][1])
    assert second_zone.ksk["Name"] == second["Name"]
    trusted_keys(second_zone, signing, now)
    assert (await post(client, f"keysigningkey/{zone.zone_id}/ksk_one/deactivate")).status_code == 200
    signing = await material(app, zone.zone_id, now)
    assert signing is not None and [key.flags for key in signing.dnskey].count(257) == 1
    assert len(signing.dnskey_rrsigs) == 1 and ksk_dnskey(second_zone)[0] in signing.dnskey
    keys = trusted_keys(second_zone, signing, now)
    validate_sections(await answer(app, zone.zone_id, "roll.example.", "SOA", now), keys, now)


async def test_the_zsk_private_key_is_never_answered_or_logged(
    app: FastAPI, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    zone = await signing_zone(app, client, "secret.example")
    async with app.state.zone_signing._sessionmaker() as session:
        private = (await session.scalars(select(ZoneSigningKey.private_key))).one()
    responses = [
        await client.get(f"/2013-04-01/hostedzone/{zone.zone_id}/dnssec"),
        await client.get(f"/2013-04-01/hostedzone/{zone.zone_id}/rrset"),
        await client.get(f"/2013-04-01/hostedzone/{zone.zone_id}"),
    ]
    secret = private[-32:]  # the private scalar's last octets, in every encoding a leak could take
    for form in (secret.hex(), secret.hex().upper(), base64.b64encode(private).decode()[-40:]):
        assert all(form not in response.text for response in responses)
        assert form not in caplog.text
    signing = await material(app, zone.zone_id)
    assert signing is not None and private.hex() not in repr(signing)
    assert "private_key" not in repr(signing.dnskey)


async def test_maintenance_finds_zones_whose_horizon_is_short_or_whose_successor_is_due(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    zone = await signing_zone(app, client, "due.example")
    await new_zone(client, "idle.example")
    signing = app.state.zone_signing
    now = time.time()
    assert await signing.due_zones(now) == []
    assert await signing.due_zones(now + DAY) == [zone.zone_id]  # a slot has gone by: one more signature due
    await signing.refresh(zone.zone_id, now + DAY)
    assert await signing.due_zones(now + DAY) == []
    assert await signing.due_zones(now + 14 * DAY - 7200) == [zone.zone_id]  # the successor is due
    await post(client, f"hostedzone/{zone.zone_id}/disable-dnssec")
    assert await signing.due_zones(now + 14 * DAY) == []


async def test_a_zone_that_signed_can_be_deleted_with_its_keys_and_signatures(
    app: FastAPI, client: httpx.AsyncClient
) -> None:
    zone = await signing_zone(app, client, "gone.example")
    for path in (f"hostedzone/{zone.zone_id}/disable-dnssec", f"keysigningkey/{zone.zone_id}/ksk_one/deactivate"):
        assert (await post(client, path)).status_code == 200
    assert (await client.delete(f"/2013-04-01/keysigningkey/{zone.zone_id}/ksk_one")).status_code == 200
    assert (await client.delete(f"/2013-04-01/hostedzone/{zone.zone_id}")).status_code == 200
    async with app.state.zone_signing._sessionmaker() as session:
        assert (await session.scalars(select(ZoneSigningKey.id))).all() == []
        assert (await session.scalars(select(DnskeySignature.slot))).all() == []
