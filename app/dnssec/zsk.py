"""Route 53's own zone-signing keys: one ECDSA P-256 key pair per zone and rollover, made by the service
(Developer Guide, "KMS key and ZSK management in Route 53"), and DNSKEY records (RFC 4034 §2, RFC 6605).

The private key leaves this module only through ``seal_private_key`` (for storage: AES-256-GCM under the
master key, ``app.secrets``, bound to its zone and public key) and comes back through ``open_private_key``.
It is never logged or answered.
"""

import struct
from dataclasses import dataclass, field

import dns.dnssectypes
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.DNSKEY
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from app.dnssec.records import ALGORITHM, PROTOCOL, key_tag
from app.secrets import Sealer, zsk_context

FLAG_ZSK = 256


@dataclass(frozen=True)
class Zsk:
    """A zone-signing key: the 64-octet public key (RFC 6605 §4) and its key tag; the private key is
    PKCS#8 DER and kept out of ``repr``."""

    public_key: bytes
    key_tag: int
    private_key: bytes = field(repr=False)


def generate_zsk() -> Zsk:
    private = ec.generate_private_key(ec.SECP256R1())
    point = private.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    public_key = point[1:]
    der = private.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return Zsk(public_key=public_key, key_tag=key_tag(dnskey_wire(FLAG_ZSK, public_key)), private_key=der)


def dnskey_wire(flags: int, public_key: bytes) -> bytes:
    return struct.pack("!HBB", flags, PROTOCOL, ALGORITHM) + public_key


def dnskey_rdata(flags: int, public_key: bytes) -> dns.rdtypes.ANY.DNSKEY.DNSKEY:
    return dns.rdtypes.ANY.DNSKEY.DNSKEY(  # type: ignore[no-untyped-call]
        dns.rdataclass.IN, dns.rdatatype.DNSKEY, flags, PROTOCOL, dns.dnssectypes.Algorithm(ALGORITHM), public_key
    )


def signing_key(private_key: bytes) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_der_private_key(private_key, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("a ZSK is an ECDSA P-256 key")
    return key


def seal_private_key(sealer: Sealer, zone_id: str, key: Zsk) -> bytes:
    """The stored form of the zone's ZSK private key."""
    return sealer.seal(key.private_key, zsk_context(zone_id, key.public_key))


def open_private_key(sealer: Sealer, zone_id: str, public_key: bytes, stored: bytes) -> bytes:
    """The private key ``seal_private_key`` stored for this zone and public key."""
    return sealer.open(stored, zsk_context(zone_id, public_key))
