import base64
import os
import random

import dns.dnssec
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from dns.rdtypes.ANY.DNSKEY import DNSKEY

from app.dnssec.records import (
    KskMaterial,
    derive_ksk_material,
    dnskey_rdata,
    ds_digest,
    key_tag,
    owner_name_wire,
    public_key_from_spki,
)

# RFC 6605 Appendix A.1: the ECDSA P-256 KSK of example.net.
RFC6605_SPKI = base64.b64decode(
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEGojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+"
    "e+MAnLr+Wi9xMWyQLc8NAA=="
)
RFC6605_PUBLIC_KEY = "GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA=="
RFC6605_DIGEST = "B4C8C1FE2E7477127B27115656AD6256F424625BF5C1E2770CE6D6E37DF61D17"


def _spki(key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey) -> bytes:
    return key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def _p256_spki() -> bytes:
    return _spki(ec.generate_private_key(ec.SECP256R1()).public_key())


def test_rfc6605_known_answer() -> None:
    assert derive_ksk_material("example.net.", RFC6605_SPKI) == KskMaterial(
        flag=257,
        signing_algorithm_mnemonic="ECDSAP256SHA256",
        signing_algorithm_type=13,
        digest_algorithm_mnemonic="SHA-256",
        digest_algorithm_type=2,
        key_tag=55648,
        digest_value=RFC6605_DIGEST,
        public_key=RFC6605_PUBLIC_KEY,
        ds_record=f"55648 13 2 {RFC6605_DIGEST}",
        dnskey_record=f"257 3 13 {RFC6605_PUBLIC_KEY}",
    )


def test_public_key_is_64_bytes_of_x_and_y() -> None:
    public_key = public_key_from_spki(RFC6605_SPKI)
    assert public_key == base64.b64decode(RFC6605_PUBLIC_KEY)
    assert len(public_key) == 64
    assert len(RFC6605_PUBLIC_KEY) == 88


def test_matches_dnspython_for_random_keys() -> None:
    rng = random.Random(6605)
    zones = ["example.net.", "example.com", "Sub.Example.ORG.", "a-b.c.d.e.test.", "xn--bcher-kva.example."]
    for _ in range(200):
        zone = rng.choice(zones)
        material = derive_ksk_material(zone, _p256_spki())
        dnskey = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.DNSKEY, material.dnskey_record)
        assert isinstance(dnskey, DNSKEY)
        ds = dns.dnssec.make_ds(dns.name.from_text(zone), dnskey, "SHA256")
        assert material.key_tag == dns.dnssec.key_id(dnskey)
        assert material.digest_value == ds.digest.hex().upper()
        assert material.ds_record == ds.to_text().upper()
        assert dnskey.to_wire() == dnskey_rdata(base64.b64decode(material.public_key))


def test_zone_case_and_trailing_dot_do_not_change_digest() -> None:
    rdata = dnskey_rdata(public_key_from_spki(RFC6605_SPKI))
    variants = ["example.net.", "example.net", "Example.NET.", "EXAMPLE.net"]
    assert {ds_digest(zone, rdata) for zone in variants} == {RFC6605_DIGEST}


@pytest.mark.parametrize(
    ("name", "wire"),
    [
        (".", b"\x00"),
        ("net", b"\x03net\x00"),
        ("example.net", b"\x07example\x03net\x00"),
        ("Example.NET.", b"\x07example\x03net\x00"),
        ("a\\.b.example.", b"\x03a.b\x07example\x00"),
        ("\\065\\000x.example.", b"\x03a\x00x\x07example\x00"),
        ("\\\\x.example.", b"\x02\\x\x07example\x00"),
    ],
)
def test_owner_name_wire(name: str, wire: bytes) -> None:
    assert owner_name_wire(name) == wire
    assert wire == dns.name.from_text(name).canonicalize().to_wire()


@pytest.mark.parametrize("name", ["a..b.", ".example.", "x" * 64 + ".example.", "bad\\256.example.", "end\\"])
def test_owner_name_wire_rejects_invalid_names(name: str) -> None:
    with pytest.raises(ValueError):
        owner_name_wire(name)


def test_key_tag_of_rfc6605_dnskey() -> None:
    assert key_tag(dnskey_rdata(public_key_from_spki(RFC6605_SPKI))) == 55648


def test_same_key_gives_same_material() -> None:
    spki = _p256_spki()
    assert derive_ksk_material("example.com.", spki) == derive_ksk_material("example.com.", spki)


@pytest.mark.parametrize(
    "spki",
    [
        _spki(rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()),
        _spki(ec.generate_private_key(ec.SECP384R1()).public_key()),
        os.urandom(91),
        b"",
    ],
    ids=["rsa-2048", "p-384", "random-bytes", "empty"],
)
def test_rejects_non_p256_spki(spki: bytes) -> None:
    with pytest.raises(ValueError):
        derive_ksk_material("example.com.", spki)
