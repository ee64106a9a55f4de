"""Micro-measure of online signing (``app.dnssec``): signatures per second and signature cache hit rates
(not a pytest suite).

Run from the repository root: ``.venv/bin/python -m tests.benchmark.signing [--queries 20000]``. On the
resolver benchmark's generated zone it measures, per operation: a bare ECDSA P-256 signature with its DER →
r‖s conversion; ``OnlineSigner.sign`` on RRsets never seen (every call signs); and resolve + ``sign_response``
as the DNS listener runs them (wire format apart) for a hot set of names (positive answers, cache hits),
for distinct nonexistent names (black lies: one fresh NSEC signature each, the SOA's signature cached), and
for a mix of both.
"""

import argparse
import time
from collections.abc import Callable

import dns.name
import dns.rrset
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from dns.rdatatype import RdataType

from app.dnssec.online import OnlineSigner
from app.dnssec.schedule import Timings
from app.dnssec.signatures import der_to_raw
from app.dnssec.signer import SigningMaterial, sign_response
from app.dnssec.zsk import FLAG_ZSK, dnskey_rdata, generate_zsk, signing_key
from app.records.resolver import resolve
from app.services.zone_snapshots import SIGNED_TTL_CAP
from tests.benchmark.resolver import APEX, generated_zone

TIMINGS = Timings.for_rollover(14 * 86400)


def measure(label: str, count: int, operation: Callable[[int], object], signer: OnlineSigner | None = None) -> None:
    hits, misses = (signer.stats.hits, signer.stats.misses) if signer else (0, 0)
    start = time.perf_counter()
    for index in range(count):
        operation(index)
    elapsed = time.perf_counter() - start
    rate = ""
    if signer is not None:
        looked_up = signer.stats.hits + signer.stats.misses - hits - misses
        hit_rate = (signer.stats.hits - hits) / looked_up if looked_up else 0.0
        fresh = (signer.stats.misses - misses) / elapsed
        rate = f"{hit_rate:6.1%} {fresh:12,.0f}"
    print(f"| {label:<40} | {elapsed / count * 1e6:8.1f} | {count / elapsed:10,.0f} | {rate:>19} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--names", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=20_000)
    parser.add_argument("--hot", type=int, default=100, help="names in the hot set")
    arguments = parser.parse_args()
    zone = generated_zone(arguments.names)
    zsk = generate_zsk()
    key = signing_key(zsk.private_key)
    signer = OnlineSigner(APEX, key, zsk.key_tag, TIMINGS)
    dnskey = dns.rrset.from_rdata(APEX, TIMINGS.dnskey_ttl, dnskey_rdata(FLAG_ZSK, zsk.public_key))
    material = SigningMaterial(dnskey, dns.rrset.RRset(APEX, 1, RdataType.RRSIG), 900, signer)
    now = time.time()
    queries = arguments.queries
    ecdsa = ec.ECDSA(hashes.SHA256())
    message = b"\x00" * 120

    def answer(qname: dns.name.Name, qtype: RdataType) -> None:
        sign_response(resolve(zone, qname, qtype, ttl_cap=SIGNED_TTL_CAP), qname, qtype, material, now)

    def hot(index: int) -> dns.name.Name:
        return dns.name.from_text(
            f"h{(index % arguments.hot) * 10 + 5}.d{(index % arguments.hot) * 10 % 100 + 5}", APEX
        )

    hot_names = [hot(index) for index in range(arguments.hot)]
    fresh = [dns.rrset.from_text(f"n{index}.bench.example.", 300, "IN", "A", "192.0.2.1") for index in range(queries)]
    missing = [dns.name.from_text(f"nope{index}.d{index % 100}", APEX) for index in range(queries)]
    print(f"{arguments.names:,} names, {queries:,} operations each, hot set of {arguments.hot} names\n")
    print("| operation                                |  µs/op   |    ops/s   | hit rate  sigs/s    |")
    print("|---|--:|--:|--:|")
    measure("ECDSA P-256 sign + DER to r‖s", queries, lambda i: der_to_raw(key.sign(message, ecdsa)))
    measure("OnlineSigner.sign, RRsets never seen", queries, lambda i: signer.sign(fresh[i], now), signer)
    measure(
        "hot positive A: resolve + sign_response",
        queries,
        lambda i: answer(hot_names[i % len(hot_names)], RdataType.A),
        signer,
    )
    measure("distinct NXDOMAIN: resolve + sign_response", queries, lambda i: answer(missing[i], RdataType.A), signer)

    def mixed(index: int) -> None:  # nine hot answers in ten, one new nonexistent name
        if index % 10:
            answer(hot_names[index % len(hot_names)], RdataType.A)
        else:
            answer(dns.name.from_text(f"mix{index}.d{index % 100}", APEX), RdataType.A)

    measure("mix: 90 % hot A, 10 % distinct NXDOMAIN", queries, mixed, signer)


if __name__ == "__main__":
    main()
