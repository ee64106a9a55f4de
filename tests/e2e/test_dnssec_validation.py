"""DNSSEC over the wire as resolvers see it: delv (BIND), trusting only the DS that GetDNSSEC hands out, must
report "fully validated" for every kind of answer, through a signed parent to a signed child, and before,
during and after KSK and ZSK rollovers. Every RRSIG of an answer also validates with dnspython."""

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dns.dnssec
import dns.message
import dns.name
import dns.rdatatype
import pytest

from tests.conftest import LiveServer, free_dns_port, fresh_database_url
from tests.dns_tools import ask, delv, plain, upsert
from tests.e2e.helpers import error_of, insync, new_kms_key, new_ksk, new_zone

VALID = "; fully validated"
NEGATIVE = "; negative response, fully validated"


def start(template_database: str, folder: Path, **settings: str) -> tuple[LiveServer, Any]:
    urls = fresh_database_url(template_database, folder)
    server = LiveServer(next(urls), folder, dns_port=str(free_dns_port()), **settings).start()
    return server, urls


@pytest.fixture(scope="module")
def server(template_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live, urls = start(template_database, tmp_path_factory.mktemp("dnssec"))
    try:
        yield live
    finally:
        live.stop()
        next(urls, None)


def port_of(server: LiveServer) -> int:
    return int(server.settings["dns_port"])


def signed_zone(server: LiveServer, name: str, *records: dict[str, Any], ksk: str = "ksk_one") -> tuple[str, str]:
    """A zone holding ``records``, signing with one ACTIVE KSK; its id and that KSK's DS record."""
    route53, kms = server.client("route53"), server.client("kms")
    zone_id = new_zone(route53, name)
    if records:
        insync(route53, upsert(route53, zone_id, *records))
    key = new_ksk(route53, zone_id, new_kms_key(kms), ksk)
    insync(route53, route53.enable_hosted_zone_dnssec(HostedZoneId=zone_id)["ChangeInfo"])
    return zone_id, key["DSRecord"]


def validate_with_dnspython(port: int, zone: str, name: str, rdtype: str) -> None:
    """Every RRset of the answer and authority sections carries an RRSIG that validates against the zone's
    DNSKEY RRset (itself signed by the KSK)."""
    keys = ask(port, zone, "DNSKEY", use_edns=0, want_dnssec=True, payload=4096)
    dnskey = keys.find_rrset(keys.answer, dns.name.from_text(zone), dns.rdataclass.IN, dns.rdatatype.DNSKEY)
    sigs = keys.find_rrset(
        keys.answer, dns.name.from_text(zone), dns.rdataclass.IN, dns.rdatatype.RRSIG, dns.rdatatype.DNSKEY
    )
    key_map = {dns.name.from_text(zone): dnskey}
    dns.dnssec.validate(dnskey, sigs, key_map)
    response = ask(port, name, rdtype, use_edns=0, want_dnssec=True, payload=4096)
    checked = 0
    for section in (response.answer, response.authority):
        for rrset in [rrset for rrset in section if rrset.rdtype != dns.rdatatype.RRSIG]:
            checked += 1
            rrsig = response.find_rrset(section, rrset.name, rrset.rdclass, dns.rdatatype.RRSIG, rrset.rdtype)
            dns.dnssec.validate(rrset, rrsig, key_map)
    assert checked, response


@pytest.fixture(scope="module")
def zone(server: LiveServer) -> tuple[str, str, str]:
    name = f"s{uuid.uuid4().hex[:8]}.example."
    zone_id, ds = signed_zone(
        server,
        name,
        plain(f"www.{name}", "A", "192.0.2.1"),
        plain(f"c.{name}", "CNAME", f"www.{name}"),
        plain(f"*.wild.{name}", "TXT", '"wild"'),
        plain(f"deep.ent.{name}", "A", "192.0.2.2"),
        plain(f"mx.{name}", "MX", f"10 www.{name}"),
    )
    return zone_id, name, ds


CASES = [
    ("www", "A", VALID),
    ("WWW", "A", VALID),
    ("c", "A", VALID),
    ("x.wild", "TXT", VALID),
    ("mx", "MX", VALID),
    ("", "SOA", VALID),
    ("", "NS", VALID),
    ("", "DNSKEY", VALID),
    ("www", "AAAA", NEGATIVE),
    ("ent", "A", NEGATIVE),
    ("nothing-here", "A", NEGATIVE),
    ("deeper.nothing-here", "TXT", NEGATIVE),
    ("x.wild", "A", NEGATIVE),
]


@pytest.mark.parametrize(("label", "rdtype", "verdict"), CASES, ids=[f"{c[0] or 'apex'}-{c[1]}" for c in CASES])
def test_delv_validates_every_kind_of_answer_from_the_ds_alone(
    server: LiveServer, zone: tuple[str, str, str], tmp_path: Path, label: str, rdtype: str, verdict: str
) -> None:
    _, name, ds = zone
    qname = f"{label}.{name}" if label else name
    assert delv(port_of(server), {name: [ds]}, qname, rdtype, str(tmp_path)) == verdict


@pytest.mark.parametrize(("label", "rdtype"), [("www", "A"), ("x.wild", "TXT"), ("nothing-here", "A"), ("www", "AAAA")])
def test_every_rrsig_validates_with_dnspython(
    server: LiveServer, zone: tuple[str, str, str], label: str, rdtype: str
) -> None:
    _, name, _ = zone
    validate_with_dnspython(port_of(server), name, f"{label}.{name}", rdtype)


def test_unsigned_without_do_and_after_disabling(server: LiveServer, tmp_path: Path) -> None:
    name = f"d{uuid.uuid4().hex[:8]}.example."
    route53 = server.client("route53")
    zone_id, ds = signed_zone(server, name, plain(f"www.{name}", "A", "192.0.2.1"))
    port = port_of(server)
    plain_answer = ask(port, f"www.{name}", "A", use_edns=0)
    assert [r.rdtype for r in plain_answer.answer] == [dns.rdatatype.A]
    assert ask(port, f"nx.{name}", "A").rcode() == dns.rcode.NXDOMAIN
    signed = ask(port, f"www.{name}", "A", use_edns=0, want_dnssec=True)
    assert {r.rdtype for r in signed.answer} == {dns.rdatatype.A, dns.rdatatype.RRSIG}
    insync(route53, route53.disable_hosted_zone_dnssec(HostedZoneId=zone_id)["ChangeInfo"])
    after = ask(port, f"www.{name}", "A", use_edns=0, want_dnssec=True)
    assert [r.rdtype for r in after.answer] == [dns.rdatatype.A]
    assert ask(port, name, "DNSKEY", use_edns=0, want_dnssec=True).answer == []
    denial = ask(port, f"nx.{name}", "A", use_edns=0, want_dnssec=True)
    assert denial.rcode() == dns.rcode.NXDOMAIN
    assert not [r for r in denial.authority if r.rdtype in (dns.rdatatype.NSEC, dns.rdatatype.RRSIG)]
    assert delv(port, {name: [ds]}, f"www.{name}", "A", str(tmp_path)) != VALID


def test_a_chain_of_trust_from_a_signed_parent_through_ksk_rollovers(server: LiveServer, tmp_path: Path) -> None:
    """The parent's DS is the only anchor; the child's DS record is created in the parent from GetDNSSEC. A
    KSK rollover done in the right order never breaks validation; done too early it is refused."""
    route53, kms = server.client("route53"), server.client("kms")
    port, folder = port_of(server), str(tmp_path)
    parent = f"p{uuid.uuid4().hex[:8]}.example."
    child = f"child.{parent}"
    parent_id, parent_ds = signed_zone(server, parent)
    child_id, child_ds = signed_zone(server, child, plain(f"www.{child}", "A", "198.51.100.1"))
    servers = route53.get_hosted_zone(Id=child_id)["DelegationSet"]["NameServers"]
    anchor = {parent: [parent_ds]}

    def parent_ds_records(*records: str) -> None:
        insync(route53, upsert(route53, parent_id, plain(child, "NS", *servers), plain(child, "DS", *records)))

    assert delv(port, anchor, f"www.{child}", "A", folder) != VALID  # no DS in the parent: insecure at best
    parent_ds_records(child_ds)
    assert delv(port, anchor, f"www.{child}", "A", folder) == VALID
    assert delv(port, anchor, f"nx.{child}", "A", folder) == NEGATIVE

    second = new_ksk(route53, child_id, new_kms_key(kms), "ksk_two")
    assert delv(port, anchor, f"www.{child}", "A", folder) == VALID
    parent_ds_records(child_ds, second["DSRecord"])
    assert delv(port, anchor, f"www.{child}", "A", folder) == VALID
    code, status, message = error_of(route53.deactivate_key_signing_key, HostedZoneId=child_id, Name="ksk_one")
    assert (code, status) == ("KeySigningKeyInParentDSRecord", 400)
    assert "'ksk_one'" in message
    parent_ds_records(second["DSRecord"])
    assert delv(port, anchor, f"www.{child}", "A", folder) == VALID
    insync(route53, route53.deactivate_key_signing_key(HostedZoneId=child_id, Name="ksk_one")["ChangeInfo"])
    assert delv(port, anchor, f"www.{child}", "A", folder) == VALID
    insync(route53, route53.delete_key_signing_key(HostedZoneId=child_id, Name="ksk_one")["ChangeInfo"])
    assert delv(port, anchor, f"www.{child}", "A", folder) == VALID
    assert delv(port, anchor, f"nothing.{child}", "TXT", folder) == NEGATIVE


def zsk_tags(port: int, name: str) -> set[int]:
    keys = ask(port, name, "DNSKEY", use_edns=0, want_dnssec=True, payload=4096).answer
    return {
        dns.dnssec.key_id(key)
        for rrset in keys
        if rrset.rdtype == dns.rdatatype.DNSKEY
        for key in rrset
        if key.flags == 256
    }


def test_a_zsk_rollover_never_fails_validation(template_database: str, tmp_path: Path) -> None:
    server, urls = start(template_database, tmp_path, zsk_rollover_seconds="10")
    try:
        name = f"z{uuid.uuid4().hex[:8]}.example."
        _, ds = signed_zone(server, name, plain(f"www.{name}", "A", "192.0.2.1"))
        port = port_of(server)
        seen: set[int] = set()
        verdicts: list[str] = []
        deadline = time.monotonic() + 25  # two and a half rollovers
        while time.monotonic() < deadline:
            verdicts.append(delv(port, {name: [ds]}, f"www.{name}", "A", str(tmp_path)))
            seen |= zsk_tags(port, name)
            time.sleep(0.1)
        assert [v for v in verdicts if v != VALID] == []
        assert len(verdicts) > 50
        assert len(seen) >= 3, seen  # the ZSK rolled at least twice
    finally:
        server.stop()
        next(urls, None)
