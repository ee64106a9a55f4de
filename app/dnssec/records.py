"""Pure derivation of DNSSEC KSK records (DNSKEY, key tag, DS) from a KMS public key."""

import base64
import hashlib
import struct
from dataclasses import dataclass

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_der_public_key

FLAG_KSK = 257
PROTOCOL = 3
ALGORITHM = 13
ALGORITHM_MNEMONIC = "ECDSAP256SHA256"
DIGEST_TYPE = 2
DIGEST_MNEMONIC = "SHA-256"


def public_key_from_spki(spki_der: bytes) -> bytes:
    """Return the 64-byte X||Y public key field for a DER SubjectPublicKeyInfo (RFC 6605 §4).

    The SPKI must hold a P-256 (secp256r1) point, as returned by AWS KMS GetPublicKey.
    """
    try:
        key = load_der_public_key(spki_der)
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise ValueError(f"not a DER SubjectPublicKeyInfo: {exc}") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("public key is not an ECDSA P-256 (secp256r1) key")
    point = key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return point[1:]


def dnskey_rdata(public_key: bytes) -> bytes:
    """Return the KSK DNSKEY RDATA: flags, protocol, algorithm, public key (RFC 4034 §2.1)."""
    return struct.pack("!HBB", FLAG_KSK, PROTOCOL, ALGORITHM) + public_key


def key_tag(rdata: bytes) -> int:
    """Return the key tag of a DNSKEY RDATA (RFC 4034 Appendix B)."""
    acc = (sum(rdata[0::2]) << 8) + sum(rdata[1::2])  # even octets are high bytes, odd ones low bytes
    acc += (acc >> 16) & 0xFFFF
    return acc & 0xFFFF


def owner_name_wire(zone_name: str) -> bytes:
    """Return the canonical wire form of a domain name (RFC 4034 §6.2): absolute, lower-case.

    Accepts presentation format with ``\\ddd`` and ``\\X`` escapes, with or without the trailing dot.
    """
    if zone_name in ("", "."):
        return b"\x00"
    if "\\" not in zone_name:  # no escapes: the labels are the text between dots
        return _wire(zone_name, [label.encode("ascii") for label in zone_name.removesuffix(".").split(".")])
    labels: list[bytes] = []
    label = bytearray()
    i = 0
    while i < len(zone_name):
        char = zone_name[i]
        if char == "\\":
            digits = zone_name[i + 1 : i + 4]
            if len(digits) == 3 and digits.isascii() and digits.isdigit():
                value = int(digits)
                if value > 255:
                    raise ValueError(f"invalid escape \\{digits} in {zone_name!r}")
                label.append(value)
                i += 4
                continue
            if i + 1 == len(zone_name):
                raise ValueError(f"dangling escape in {zone_name!r}")
            label += zone_name[i + 1].encode("ascii")
            i += 2
            continue
        if char == ".":
            labels.append(bytes(label))
            label.clear()
        else:
            label += char.encode("ascii")
        i += 1
    if label:
        labels.append(bytes(label))
    return _wire(zone_name, labels)


def _wire(zone_name: str, labels: list[bytes]) -> bytes:
    """The canonical wire form of ``labels``, checked for RFC 1035 §2.3.4's sizes."""
    wire = bytearray()
    for part in labels:
        if not 1 <= len(part) <= 63:
            raise ValueError(f"invalid label length {len(part)} in {zone_name!r}")
        wire += bytes([len(part)]) + part.lower()
    if len(wire) + 1 > 255:
        raise ValueError(f"domain name too long: {zone_name!r}")
    return bytes(wire) + b"\x00"


def ds_digest(zone_name: str, rdata: bytes) -> str:
    """Return the upper-case hex SHA-256 of owner name | DNSKEY RDATA (RFC 4034 §5.1.4, RFC 4509)."""
    return hashlib.sha256(owner_name_wire(zone_name) + rdata).hexdigest().upper()


@dataclass(frozen=True)
class KskMaterial:
    """The DNSSEC fields Route 53 reports for a key-signing key."""

    flag: int
    signing_algorithm_mnemonic: str
    signing_algorithm_type: int
    digest_algorithm_mnemonic: str
    digest_algorithm_type: int
    key_tag: int
    digest_value: str
    public_key: str
    ds_record: str
    dnskey_record: str


def ds_record_text(tag: int, digest: str) -> str:
    """DS RDATA in presentation form without owner, as Route 53's DSRecord (RFC 4034 §5.3)."""
    return f"{tag} {ALGORITHM} {DIGEST_TYPE} {digest}"


def dnskey_record_text(public_key_b64: str) -> str:
    """DNSKEY RDATA in presentation form with unbroken base64, as Route 53's DNSKEYRecord (RFC 4034 §2.2)."""
    return f"{FLAG_KSK} {PROTOCOL} {ALGORITHM} {public_key_b64}"


def derive_ksk_material(zone_name: str, spki_der: bytes) -> KskMaterial:
    """Derive the DNSKEY (RFC 4034 §2) and SHA-256 DS (RFC 4509) fields for a zone's P-256 KSK."""
    public_key = public_key_from_spki(spki_der)
    rdata = dnskey_rdata(public_key)
    tag = key_tag(rdata)
    digest = ds_digest(zone_name, rdata)
    public_key_b64 = base64.b64encode(public_key).decode("ascii")
    return KskMaterial(
        flag=FLAG_KSK,
        signing_algorithm_mnemonic=ALGORITHM_MNEMONIC,
        signing_algorithm_type=ALGORITHM,
        digest_algorithm_mnemonic=DIGEST_MNEMONIC,
        digest_algorithm_type=DIGEST_TYPE,
        key_tag=tag,
        digest_value=digest,
        public_key=public_key_b64,
        ds_record=ds_record_text(tag, digest),
        dnskey_record=dnskey_record_text(public_key_b64),
    )
