"""The signing maths against fixed vectors and dnspython: signed data (RFC 4034 §3.1.8.1), DER → r‖s
(RFC 6605 §4), online signatures and their cache, black-lies NSEC records."""

import base64
import time

import dns.dnssec
import dns.message
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from dns.rdatatype import RdataType

from app.dnssec.denial import DENIAL_TYPES, delegation_next_name, next_name, nsec_rdata, nsec_rdata_wire, nsec_types
from app.dnssec.online import OnlineSigner
from app.dnssec.schedule import Timings
from app.dnssec.signatures import (
    RrsigFields,
    canonical_rdatas,
    canonical_wire,
    der_to_raw,
    rrset_signed_data,
    rrsig_labels,
    signed_data,
)
from app.dnssec.zsk import FLAG_ZSK, dnskey_rdata, generate_zsk, signing_key
from app.records.resolver import Kind

APEX = dns.name.from_text("example.com.")
TIMINGS = Timings.for_rollover(14 * 86400)

# RFC 6605 §6.1: the P-256 example key and its signature over www.example.net. A 192.0.2.1.
RFC6605_DNSKEY = "257 3 13 GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA=="
RFC6605_PRIVATE_KEY = "GU6SnQ/Ou+xC5RumuIUIuJZteXT2z0O/ok1s38Et6mQ="
RFC6605_RRSIG = (
    "A 13 3 3600 20100909100439 20100812100439 55648 example.net. "
    "qx6wLYqmh+l9oCKTN6qIc+bw6ya+KJ8oMz0YP107epXAyGmt+3SNruPFKG7tZoLBLlUzGGus7ZwmwWep666VCw=="
)


def rrsig_fields(rrsig: dns.rdata.Rdata) -> RrsigFields:
    return RrsigFields(
        rrsig.type_covered,
        rrsig.labels,
        rrsig.original_ttl,
        rrsig.expiration,
        rrsig.inception,
        rrsig.key_tag,
        rrsig.signer,
    )


def test_signed_data_verifies_the_rfc_6605_signature() -> None:
    """An external vector: the RFC's own signature checks out over the octets this module builds."""
    rrset = dns.rrset.from_text("www.example.net.", 3600, "IN", "A", "192.0.2.1")
    rrsig = dns.rdata.from_text("IN", "RRSIG", RFC6605_RRSIG)
    key = dns.rdata.from_text("IN", "DNSKEY", RFC6605_DNSKEY)
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + key.key)
    signature = encode_dss_signature(int.from_bytes(rrsig.signature[:32]), int.from_bytes(rrsig.signature[32:]))
    public.verify(signature, rrset_signed_data(rrsig_fields(rrsig), rrset), ec.ECDSA(hashes.SHA256()))
    assert dns.dnssec.key_id(key) == 55648


def test_a_signature_made_with_the_rfc_6605_key_validates_with_dnspython() -> None:
    private = ec.derive_private_key(int.from_bytes(base64.b64decode(RFC6605_PRIVATE_KEY)), ec.SECP256R1())
    rrset = dns.rrset.from_text("www.example.net.", 3600, "IN", "A", "192.0.2.1")
    fields = RrsigFields(RdataType.A, 3, 3600, 1_284_026_679, 1_281_607_479, 55648, dns.name.from_text("example.net."))
    der = private.sign(rrset_signed_data(fields, rrset), ec.ECDSA(hashes.SHA256()))
    rrsigs = dns.rrset.from_rdata(rrset.name, 3600, fields.rdata(der_to_raw(der)))
    keys = {
        dns.name.from_text("example.net."): dns.rrset.from_text("example.net.", 3600, "IN", "DNSKEY", RFC6605_DNSKEY)
    }
    dns.dnssec.validate(rrset, rrsigs, keys, now=1_283_000_000)


@pytest.mark.parametrize(
    ("owner", "rdtype", "values"),
    [
        ("WWW.Example.COM.", "A", ["192.0.2.9", "192.0.2.1", "192.0.2.10"]),
        ("example.com.", "MX", ["20 MAIL2.Example.com.", "10 mail.example.com."]),
        ("Alias.example.com.", "CNAME", ["Target.Example.NET."]),
        ("example.com.", "SOA", ["NS-1.AWSDNS-1.com. Hostmaster.Example.com. 1 7200 900 1209600 86400"]),
        ("*.example.com.", "TXT", ['"v=spf1 -all"', '"second"']),
        ("txt.example.com.", "TXT", ['"a"', '"a"']),
        ("sub.example.com.", "DS", ["12345 13 2 " + "AB" * 32]),
        ("Nx.example.com.", "NSEC", ["\\000.nx.example.com. RRSIG NSEC"]),
    ],
)
def test_signed_data_equals_dnspython(owner: str, rdtype: str, values: list[str]) -> None:
    """The same octets as dnspython's signer for mixed case, unsorted and repeated rdatas, names inside
    rdatas, and a wildcard owner; and a deterministic signature over them equals dnspython's ``sign``."""
    rrset = dns.rrset.from_text(owner, 300, "IN", rdtype, *values)
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_numbers()
    dnskey = dnskey_rdata(FLAG_ZSK, public.x.to_bytes(32, "big") + public.y.to_bytes(32, "big"))
    expected = dns.dnssec.sign(rrset, key, APEX, dnskey, inception=1_700_000_000, expiration=1_700_600_000)
    fields = rrsig_fields(expected)
    assert fields.labels == rrsig_labels(rrset.name)
    assert rrset_signed_data(fields, rrset) == dns.dnssec._make_rrsig_signature_data(rrset, expected)
    der = key.sign(rrset_signed_data(fields, rrset), ec.ECDSA(hashes.SHA256(), deterministic_signing=True))
    assert der_to_raw(der) == expected.signature


def test_a_wildcard_expansion_is_signed_under_the_wildcard_owner() -> None:
    """RFC 4035 §5.3.2: an RRSIG with fewer labels than its owner covers ``*.`` and the rightmost labels."""
    rrset = dns.rrset.from_text("a.b.example.com.", 60, "IN", "A", "192.0.2.1")
    wildcard = dns.rrset.from_text("*.b.example.com.", 60, "IN", "A", "192.0.2.1")
    fields = RrsigFields(RdataType.A, 3, 60, 2, 1, 7, APEX)
    assert signed_data(fields, rrset.name, canonical_rdatas(rrset)) == rrset_signed_data(fields, wildcard)
    assert rrsig_labels(wildcard.name) == 3 and rrsig_labels(rrset.name) == 4


def test_canonical_wire_lowercases_ascii_only() -> None:
    name = dns.name.from_text("A\\195\\137b.EXAMPLE.com.")
    assert canonical_wire(name) == name.canonicalize().to_wire()
    assert canonical_wire(name) == b"\x04a\xc3\x89b\x07example\x03com\x00"


@pytest.mark.parametrize("r_octets", [32, 31, 30, 1])
def test_der_to_raw_pads_short_integers(r_octets: int) -> None:
    r = (1 << (8 * r_octets - 1)) | 5
    s = (1 << 255) | 3
    raw = der_to_raw(encode_dss_signature(r, s))
    assert len(raw) == 64
    assert raw[:32] == r.to_bytes(32, "big") and raw[:32].startswith(b"\x00" * (32 - r_octets))
    assert raw[32:] == s.to_bytes(32, "big")


def test_der_to_raw_pads_the_short_integers_real_signatures_have() -> None:
    """About one signature in 128 has an r or s under 32 octets; every one of 2,000 stays 64 octets and
    verifies once turned back into DER."""
    key = ec.generate_private_key(ec.SECP256R1())
    short = 0
    for index in range(2000):
        message = index.to_bytes(4, "big")
        raw = der_to_raw(key.sign(message, ec.ECDSA(hashes.SHA256())))
        r, s = int.from_bytes(raw[:32]), int.from_bytes(raw[32:])
        short += r < 1 << 248 or s < 1 << 248
        key.public_key().verify(encode_dss_signature(r, s), message, ec.ECDSA(hashes.SHA256()))
    assert short > 0


@pytest.mark.parametrize(
    "der", [b"", b"\x30\x00", b"not der", encode_dss_signature(1 << 256, 1), encode_dss_signature(0, 1)]
)
def test_der_to_raw_refuses_what_is_no_p256_signature(der: bytes) -> None:
    with pytest.raises(ValueError):
        der_to_raw(der)


@pytest.mark.parametrize(
    ("kind", "types", "apex", "cut", "bitmap"),
    [
        (Kind.NXDOMAIN, set(), False, False, "RRSIG NSEC"),
        (Kind.EMPTY_NON_TERMINAL, set(), False, False, "RRSIG NSEC"),
        (Kind.NODATA, {RdataType.A, RdataType.TXT}, False, False, "A TXT RRSIG NSEC"),
        (Kind.NODATA, {RdataType.SOA, RdataType.NS, RdataType.MX}, True, False, "NS SOA MX RRSIG NSEC DNSKEY"),
        (Kind.NODATA, set(), False, False, "RRSIG NSEC"),
        (Kind.NODATA, {RdataType.NS, RdataType.A}, False, True, "NS RRSIG NSEC"),
        (Kind.REFERRAL, {RdataType.NS, RdataType.DS, RdataType.AAAA}, False, True, "NS DS RRSIG NSEC"),
        (Kind.NODATA, {RdataType.CAA, RdataType.HTTPS}, False, False, "RRSIG NSEC HTTPS CAA"),
    ],
)
def test_nsec_type_bitmaps(kind: Kind, types: set[RdataType], apex: bool, cut: bool, bitmap: str) -> None:
    """The documented bitmaps (app.dnssec.denial), presented in type-number order."""
    rdata = nsec_rdata(next_name(APEX), nsec_types(kind, types, at_apex=apex, at_cut=cut))
    assert rdata.to_text() == f"\\000.example.com. {bitmap}"


def test_next_names_are_the_immediate_successors_in_lower_case() -> None:
    assert next_name(dns.name.from_text("Nx.Example.com.")).to_text() == "\\000.nx.example.com."
    assert delegation_next_name(dns.name.from_text("Sub.Example.com.")).to_text() == "sub\\000.example.com."
    longest = dns.name.from_text(".".join(["a" * 63] * 3 + ["b" * 61]) + ".")
    successor = next_name(longest)
    assert successor.to_text().startswith("a" * 62 + "b.")
    assert successor > longest
    assert delegation_next_name(dns.name.from_text("a" * 63 + ".example.com.")).to_text() == "a" * 62 + "b.example.com."


def test_nsec_rdata_wire_is_its_canonical_form() -> None:
    next_domain = next_name(dns.name.from_text("A.Example.com."))
    types = frozenset({RdataType.A, RdataType.CAA, RdataType.RRSIG, RdataType.NSEC})
    text = f"{next_domain} A RRSIG NSEC CAA"
    plain = dns.rdata.from_text("IN", "NSEC", text)
    assert nsec_rdata_wire(next_domain, types) == plain.to_digestable()
    wired = nsec_rdata(next_domain, types)
    assert (wired.to_wire(), wired.to_digestable(), wired.to_text()) == (plain.to_wire(), plain.to_digestable(), text)
    assert wired == plain and hash(wired) == hash(plain)
    assert (wired.next, wired.windows) == (plain.next, plain.windows)


def test_wired_rrsig_renders_as_dnspython_does() -> None:
    """The RRSIG rdata made when signing writes the octets dnspython's own RRSIG writes, in a message too."""
    signer = dns.name.from_text("example.com.")
    fields = RrsigFields(RdataType.NSEC, 3, 300, 1_800_000_000, 1_700_000_000, 12345, signer)
    wired = fields.rdata(bytes(range(64)))
    plain = dns.rdata.from_text("IN", "RRSIG", wired.to_text())
    assert (wired.to_wire(), wired.to_digestable()) == (plain.to_wire(), plain.to_digestable())
    message = dns.message.make_response(dns.message.make_query("a.example.com.", "A"))
    message.authority.append(dns.rrset.from_rdata("a.example.com.", 300, wired))
    parsed = dns.message.from_wire(message.to_wire())
    assert parsed.authority[0][0] == plain
    assert all(getattr(wired, field) == getattr(plain, field) for field in plain.__slots__)
    assert type(wired.algorithm) is type(plain.algorithm) and type(wired.type_covered) is type(plain.type_covered)


def zsk_signer() -> tuple[OnlineSigner, dict[dns.name.Name, dns.rrset.RRset]]:
    zsk = generate_zsk()
    keys = {APEX: dns.rrset.from_rdata(APEX, 3600, dnskey_rdata(FLAG_ZSK, zsk.public_key))}
    return OnlineSigner(APEX, signing_key(zsk.private_key), zsk.key_tag, TIMINGS), keys


def test_online_signatures_validate_and_are_reused_until_they_near_expiry() -> None:
    signer, keys = zsk_signer()
    rrset = dns.rrset.from_text("WWW.example.com.", 300, "IN", "A", "192.0.2.1", "192.0.2.2")
    now = time.time()
    first = signer.sign(rrset, now)
    dns.dnssec.validate(rrset, first, keys, now=now)
    rrsig = first[0]
    assert (rrsig.inception, rrsig.expiration) == (int(now) - 3600, int(now) - 3600 + 7 * 86400)
    assert (rrsig.labels, rrsig.original_ttl, rrsig.key_tag) == (3, 300, signer.key_tag)
    again = rrset.copy()  # the resolver's per-query copy shares the rdatas
    assert signer.sign(again, now + 86400) is first
    assert signer.stats.hits == 1 and signer.stats.misses == 1
    renewed = signer.sign(again, now + 5 * 86400)  # less than two days left: signed again
    assert renewed is not first and renewed[0].expiration > rrsig.expiration
    dns.dnssec.validate(rrset, renewed, keys, now=now + 5 * 86400)
    retimed = rrset.copy()
    retimed.ttl = 60
    assert signer.sign(retimed, now + 5 * 86400)[0].original_ttl == 60


def test_denials_validate_and_are_cached_per_name_and_bitmap() -> None:
    signer, keys = zsk_signer()
    now = time.time()
    name = dns.name.from_text("No.Such.example.com.")
    nsec, rrsig = signer.deny(name, frozenset(), Kind.NXDOMAIN, 900, now)
    dns.dnssec.validate(nsec, rrsig, keys, now=now)
    assert nsec.ttl == rrsig.ttl == 900
    assert nsec[0].next.to_text() == "\\000.no.such.example.com."
    assert set(nsec[0].windows) == set(nsec_rdata(next_name(name), DENIAL_TYPES).windows)
    assert signer.deny(dns.name.from_text("no.such.example.com."), frozenset(), Kind.NXDOMAIN, 900, now)[1] is rrsig
    other = signer.deny(name, frozenset({RdataType.A}), Kind.NODATA, 900, now)
    assert other[1] is not rrsig
    dns.dnssec.validate(other[0], other[1], keys, now=now)
    cut = signer.deny(dns.name.from_text("sub.example.com."), frozenset({RdataType.NS}), Kind.REFERRAL, 900, now)
    assert cut[0][0].next.to_text() == "sub\\000.example.com."
    dns.dnssec.validate(cut[0], cut[1], keys, now=now)
