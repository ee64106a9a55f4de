"""Micro-measure of ``app.records.resolver``: cost per query on generated zones (not a pytest suite).

Run from the repository root: ``.venv/bin/python -m tests.benchmark.resolver [--names 10000]``. Each zone
holds ``--names`` names (A and TXT records, CNAMEs, aliases, weighted sets, wildcards, delegations with
glue); each query kind is resolved ``--queries`` times over varied names, and the mean time per query is
printed for zones of a tenth of the size and of the full size (the cost must not grow with the zone).
"""

import argparse
import random
import time
from collections.abc import Callable

import dns.name
import dns.rdata
from dns.rdatatype import RdataType

from app.records.resolver import AliasTarget, RecordSet, Zone, build_zone, resolve

APEX = dns.name.from_text("bench.example.")


def _rdata(rdtype: str, text: str) -> tuple[dns.rdata.Rdata, ...]:
    return (dns.rdata.from_text("IN", rdtype, text, APEX),)


def _name(text: str) -> dns.name.Name:
    return dns.name.from_text(text, APEX)


def generated_zone(names: int) -> Zone:
    """One name in ten is a CNAME, an alias, a weighted pair, a wildcard or a delegation; the rest A + TXT."""
    sets = [
        RecordSet(APEX, RdataType.SOA, 900, _rdata("SOA", "ns-1.awsdns-01.org. hostmaster 1 7200 900 1209600 86400")),
        RecordSet(APEX, RdataType.NS, 172800, _rdata("NS", "ns-1.awsdns-01.org.")),
    ]
    for i in range(names):
        owner = _name(f"h{i}.d{i % 100}")
        match i % 10:
            case 0:
                sets.append(RecordSet(owner, RdataType.CNAME, 300, _rdata("CNAME", f"h{i + 1}.d{(i + 1) % 100}")))
            case 1:
                target = AliasTarget("ZBENCH", _name(f"h{i + 1}.d{(i + 1) % 100}"), False)
                sets.append(RecordSet(owner, RdataType.A, None, (), alias=target))
            case 2:
                for member in ("blue", "green"):
                    sets.append(
                        RecordSet(owner, RdataType.A, 60, _rdata("A", "192.0.2.2"), set_identifier=member, weight=1)
                    )
            case 3:
                sets.append(RecordSet(_name(f"*.h{i}.d{i % 100}"), RdataType.TXT, 300, _rdata("TXT", '"wild"')))
            case 4:
                sets.append(RecordSet(owner, RdataType.NS, 86400, _rdata("NS", f"ns.h{i}.d{i % 100}")))
                sets.append(RecordSet(_name(f"ns.h{i}.d{i % 100}"), RdataType.A, 300, _rdata("A", "192.0.2.53")))
            case _:
                sets.append(RecordSet(owner, RdataType.A, 300, _rdata("A", "192.0.2.1")))
                sets.append(RecordSet(owner, RdataType.TXT, 300, _rdata("TXT", '"t"')))
    return build_zone("ZBENCH", APEX, sets)


def query_kinds(names: int) -> dict[str, Callable[[int], tuple[dns.name.Name, RdataType]]]:
    """Each kind maps a counter to a query; the names cycle over the zone."""

    def nth(i: int, offset: int) -> int:
        return (i * 10 + offset) % names

    return {
        "positive A": lambda i: (_name(f"h{nth(i, 5)}.d{nth(i, 5) % 100}"), RdataType.A),
        "NODATA (MX)": lambda i: (_name(f"h{nth(i, 5)}.d{nth(i, 5) % 100}"), RdataType.MX),
        "NXDOMAIN": lambda i: (_name(f"nope{i}.d{i % 100}"), RdataType.A),
        "empty non-terminal": lambda i: (_name(f"d{i % 100}"), RdataType.A),
        "CNAME then A": lambda i: (_name(f"h{nth(i, 0)}.d{nth(i, 0) % 100}"), RdataType.A),
        "alias A": lambda i: (_name(f"h{nth(i, 1)}.d{nth(i, 1) % 100}"), RdataType.A),
        "weighted A": lambda i: (_name(f"h{nth(i, 2)}.d{nth(i, 2) % 100}"), RdataType.A),
        "wildcard TXT": lambda i: (_name(f"x{i}.h{nth(i, 3)}.d{nth(i, 3) % 100}"), RdataType.TXT),
        "referral + glue": lambda i: (_name(f"www.h{nth(i, 4)}.d{nth(i, 4) % 100}"), RdataType.A),
        "deep NXDOMAIN (9 labels)": lambda i: (_name(f"a.b.c.d.e.f{i}.d{i % 100}"), RdataType.A),
    }


def measure(names: int, queries: int) -> dict[str, float]:
    """Mean microseconds per resolve for each query kind (query names built beforehand)."""
    started = time.perf_counter()
    zone = generated_zone(names)
    print(f"zone of {names:,} names ({len(zone.nodes):,} nodes) built in {time.perf_counter() - started:.2f} s")
    results: dict[str, float] = {}
    rng = random.Random(names)
    for kind, make in query_kinds(names).items():
        batch = [make(rng.randrange(names)) for _ in range(queries)]
        started = time.perf_counter()
        for qname, qtype in batch:
            resolve(zone, qname, qtype, pick=0.5)
        results[kind] = (time.perf_counter() - started) / queries * 1e6
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmark.resolver", description=__doc__)
    parser.add_argument("--names", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=20_000, help="per query kind")
    args = parser.parse_args(argv)
    small, full = measure(args.names // 10, args.queries), measure(args.names, args.queries)
    print(f"\n| query | {args.names // 10:,} names: µs/query | {args.names:,} names: µs/query |")
    print("|---|--:|--:|")
    for kind in full:
        print(f"| {kind} | {small[kind]:.1f} | {full[kind]:.1f} |")


if __name__ == "__main__":
    main()
