"""DNS benchmark (``python -m tests.benchmark --dns``): our listener against PowerDNS Authoritative.

Both serve the same zone: ours through the Route 53 API, PowerDNS from its sqlite3 backend, live-signing
with ECDSAP256SHA256 (``pdnsutil secure-zone``). Both are pinned to one core (``taskset``, one worker)
and measured one at a time, while dnsperf with the DO bit runs on the other core. Two loads:

* a hot set of names (positive answers, ``--seconds`` long);
* ``--denial-names`` distinct nonexistent names, each asked once (denials: every answer a new one; each
  round asks names no round asked before).

``--rounds`` rounds run each load on ours, then at once on PowerDNS, so that each ratio compares two
servers on the machine as it was at that moment. It prints the ratio ours / PowerDNS first (min, median,
max over the rounds), the median queries/s, and the in-process cost of the parts of one of our answers. Our zone signs as Route 53 does (a KSK on an embedded KMS key, DNSSEC
signing enabled, online ZSK signatures, black-lies denial); the output says whether each server's answers
carried RRSIGs.
"""

import argparse
import contextlib
import json
import os
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import dns.message
import dns.query

from tests.benchmark.goals import cpu_seconds
from tests.benchmark.servers import HOST, Server, our_server
from tests.kms_keys import DNSSEC_POLICY

ZONE = "bench.example."
HOT_NAMES = 100
PDNS_SCHEMA = Path("/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql")
READY_SECONDS = 30.0


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmark --dns", description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the hot-set run")
    parser.add_argument("--denial-names", type=int, default=200_000, help="distinct nonexistent names")
    parser.add_argument("--clients", type=int, default=4, help="dnsperf -c")
    parser.add_argument("--outstanding", type=int, default=200, help="dnsperf -q (queries in flight)")
    parser.add_argument("--server-core", type=int, default=0)
    parser.add_argument("--client-core", type=int, default=1)
    parser.add_argument("--pdns-nsec3-narrow", action="store_true", help="PowerDNS denies with NSEC3 white lies")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of both loads on both servers, in turn")
    parser.add_argument("--skip-pdns", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the results here")
    return parser.parse_args(argv)


def free_port() -> int:
    """A port free on 127.0.0.1 for UDP and TCP."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp, socket.socket() as tcp:
            udp.bind((HOST, 0))
            port = int(udp.getsockname()[1])
            with contextlib.suppress(OSError):
                tcp.bind((HOST, port))
                return port


def wait_for_dns(port: int) -> None:
    deadline = time.monotonic() + READY_SECONDS
    query = dns.message.make_query(ZONE, "SOA")
    while time.monotonic() < deadline:
        try:
            if dns.query.udp(query, HOST, port=port, timeout=1).answer:
                return
        except (OSError, dns.exception.Timeout):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"no SOA answer on port {port} after {READY_SECONDS:.0f}s")


def fill_our_zone(server: Server) -> str:
    """Create the zone and its hot names through the API and sign it (a KSK on an embedded KMS key, DNSSEC
    signing enabled); the zone in master-file form, for PowerDNS."""
    aws: dict[str, Any] = {
        "endpoint_url": f"http://{HOST}:{server.port}",
        "region_name": "us-east-1",
        "aws_access_key_id": "bench",
        "aws_secret_access_key": "bench",
    }
    route53 = boto3.client("route53", **aws)
    kms = boto3.client("kms", **aws)
    zone_id = route53.create_hosted_zone(Name=ZONE, CallerReference=str(time.time()))["HostedZone"]["Id"]
    changes = [
        {
            "Action": "CREATE",
            "ResourceRecordSet": {
                "Name": f"h{i}.{ZONE}",
                "Type": "A",
                "TTL": 300,
                "ResourceRecords": [{"Value": f"192.0.2.{i % 250 + 1}"}],
            },
        }
        for i in range(HOT_NAMES)
    ]
    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})
    key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY", Policy=DNSSEC_POLICY)
    route53.create_key_signing_key(
        CallerReference=str(time.time()),
        HostedZoneId=zone_id,
        KeyManagementServiceArn=key["KeyMetadata"]["Arn"],
        Name="bench",
        Status="ACTIVE",
    )
    route53.enable_hosted_zone_dnssec(HostedZoneId=zone_id)
    lines = [f"$ORIGIN {ZONE}"]
    for record_set in route53.list_resource_record_sets(HostedZoneId=zone_id, MaxItems="300")["ResourceRecordSets"]:
        for record in record_set["ResourceRecords"]:
            lines.append(f"{record_set['Name']} {record_set['TTL']} IN {record_set['Type']} {record['Value']}")
    return "\n".join(lines) + "\n"


@contextlib.contextmanager
def pdns_server(workdir: Path, zone_text: str, port: int, core: int, narrow: bool) -> Iterator[subprocess.Popen[bytes]]:
    """PowerDNS Authoritative with the zone in its sqlite3 backend, secured and rectified, on ``core``."""
    folder = workdir / "pdns"
    folder.mkdir()
    database = folder / "pdns.sqlite3"
    with sqlite3.connect(database) as connection:
        connection.executescript(PDNS_SCHEMA.read_text())
    (folder / "pdns.conf").write_text(
        "\n".join(
            [
                "launch=gsqlite3",
                f"gsqlite3-database={database}",
                "gsqlite3-dnssec=yes",
                f"local-address={HOST}",
                f"local-port={port}",
                f"socket-dir={folder}",
                "guardian=no",
                "daemon=no",
                "disable-syslog=yes",
                "write-pid=no",
                "loglevel=3",
            ]
        )
        + "\n"
    )
    (folder / "zone.txt").write_text(zone_text)
    util = ["pdnsutil", f"--config-dir={folder}"]
    subprocess.run([*util, "load-zone", ZONE.rstrip("."), str(folder / "zone.txt")], check=True, capture_output=True)
    subprocess.run([*util, "secure-zone", ZONE.rstrip(".")], check=True, capture_output=True)
    if narrow:
        subprocess.run([*util, "set-nsec3", ZONE.rstrip("."), "1 0 0 -", "narrow"], check=True, capture_output=True)
    subprocess.run([*util, "rectify-zone", ZONE.rstrip(".")], check=True, capture_output=True)
    log = (folder / "pdns.log").open("wb")
    process = subprocess.Popen(
        ["taskset", "-c", str(core), "pdns_server", f"--config-dir={folder}"], stdout=log, stderr=subprocess.STDOUT
    )
    try:
        wait_for_dns(port)
        yield process
    finally:
        process.terminate()
        process.wait(10)
        log.close()


def dnsperf(port: int, queries: Path, core: int, args: argparse.Namespace, once: bool) -> dict[str, float]:
    """One dnsperf run with the DO bit, on ``core``: queries/s, share lost, mean latency (ms)."""
    command = ["taskset", "-c", str(core), "dnsperf", "-s", HOST, "-p", str(port), "-d", str(queries), "-D"]
    command += ["-c", str(args.clients), "-q", str(args.outstanding), "-t", "2"]
    command += ["-n", "1"] if once else ["-l", f"{args.seconds:g}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout

    def number(label: str) -> float:
        match = re.search(rf"{label}:\s+([0-9.]+)", output)
        if match is None:
            raise RuntimeError(f"dnsperf printed no {label!r}:\n{output}")
        return float(match.group(1))

    sent, lost = number("Queries sent"), number("Queries lost")
    return {
        "qps": number("Queries per second"),
        "completed": number("Queries completed"),
        "run_seconds": number("Run time \\(s\\)"),
        "lost": lost / sent if sent else 0.0,
        "latency_ms": number("Average Latency \\(s\\)") * 1000,
    }


def wait_for_signatures(port: int) -> None:
    """Wait until the zone's first signatures are made (the ZSK and the KMS-signed DNSKEY RRset)."""
    deadline = time.monotonic() + READY_SECONDS
    while not signed(port):
        if time.monotonic() > deadline:
            raise RuntimeError(f"no signed answer on port {port} after {READY_SECONDS:.0f}s")
        time.sleep(0.2)


def signed(port: int) -> bool:
    """Whether a DO query for a hot name gets an RRSIG."""
    reply = dns.query.udp(dns.message.make_query(f"h1.{ZONE}", "A", want_dnssec=True), HOST, port=port, timeout=2)
    return any(rrset.rdtype == dns.rdatatype.RRSIG for rrset in reply.answer)


def cost_parts() -> dict[str, float]:
    """µs per part of one of our answers, measured in process (pure parts; no sockets, no event loop)."""
    import dns.name
    import dns.rdatatype

    from app.authoritative import responder, wire
    from app.authoritative.signing import unsigned
    from app.records import resolver

    apex = dns.name.from_text(ZONE)
    soa = resolver.RecordSet(
        apex, dns.rdatatype.SOA, 900, (dns.rdata.from_text("IN", "SOA", "a. b. 1 7200 900 1209600 86400"),)
    )
    hosts = [
        resolver.RecordSet(
            dns.name.from_text(f"h{i}.{ZONE}"), dns.rdatatype.A, 300, (dns.rdata.from_text("IN", "A", "192.0.2.1"),)
        )
        for i in range(HOT_NAMES)
    ]
    zone = resolver.build_zone("Z", apex, [soa, *hosts])
    hot = dns.message.make_query(f"h1.{ZONE}", "A", want_dnssec=True).to_wire()
    missing = dns.message.make_query(f"nx1.{ZONE}", "A", want_dnssec=True).to_wire()
    query = wire.parse_query(hot)
    qname = dns.name.Name((*query.labels, b""))
    answer = resolver.resolve(zone, qname, dns.rdatatype.A)
    denial = resolver.resolve(zone, dns.name.from_text(f"nx1.{ZONE}"), dns.rdatatype.A)
    opt = wire.opt_record(responder.UDP_PAYLOAD, 0, True, None)
    cached = responder.render(query, unsigned(answer), 1232, opt)
    parts = {
        "parse query": lambda: wire.parse_query(hot),
        "patch cached response": lambda: wire.patched(cached, query),
        "resolve positive": lambda: resolver.resolve(zone, qname, dns.rdatatype.A),
        "resolve NXDOMAIN": lambda: resolver.resolve(zone, dns.name.from_text(f"nx1.{ZONE}"), dns.rdatatype.A),
        "name from wire": lambda: dns.name.Name((*wire.parse_query(missing).labels, b"")),
        "render positive": lambda: responder.render(query, unsigned(answer), 1232, opt),
        "render NXDOMAIN": lambda: responder.render(query, unsigned(denial), 1232, opt),
    }
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "version.db"
        sqlite3.connect(path).execute("PRAGMA journal_mode=WAL").close()
        from app.authoritative.zones import SqliteReader

        version = SqliteReader(path)
        parts["freshness check (data_version)"] = version.data_version
        results = {name: _microseconds(run) for name, run in parts.items()}
        version.close()
    return results


def _microseconds(run: Any, count: int = 20_000) -> float:
    started = time.perf_counter()
    for _ in range(count):
        run()
    return (time.perf_counter() - started) / count * 1e6


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    missing = [tool for tool in ("dnsperf", "taskset", "pdns_server", "pdnsutil") if shutil.which(tool) is None]
    if missing and not (args.skip_pdns and missing == ["pdns_server", "pdnsutil"]):
        print(f"missing tools: {', '.join(missing)} (apt-get install dnsperf pdns-server pdns-backend-sqlite3)")
        return 2
    print(f"cores: {os.cpu_count()}, load average at start: {os.getloadavg()[0]:.2f}", flush=True)
    results: dict[str, Any] = {"started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "rounds": []}
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="r53-dns-bench-")))
        hot = workdir / "hot.txt"
        hot.write_text("".join(f"h{i}.{ZONE} A\n" for i in range(HOT_NAMES)))
        dns_port = free_port()
        env = {"R53_DNS_PORT": str(dns_port), "R53_LOG_FORMAT": "text"}
        url = f"sqlite+aiosqlite:///{workdir}/bench.db"
        ours = stack.enter_context(our_server(workdir, url, 1, env=env, core=args.server_core))
        zone_text = fill_our_zone(ours)
        wait_for_dns(dns_port)
        wait_for_signatures(dns_port)
        servers = {"ours": (dns_port, ours.process.pid)}
        results["signed"] = {"ours": signed(dns_port)}
        if not args.skip_pdns:
            pdns_port = free_port()
            pdns = stack.enter_context(
                pdns_server(workdir, zone_text, pdns_port, args.server_core, args.pdns_nsec3_narrow)
            )
            servers["pdns"] = (pdns_port, pdns.pid)
            results["signed"]["pdns"] = signed(pdns_port)
        mode = "NSEC3 narrow" if args.pdns_nsec3_narrow else "NSEC"
        print(f"signed answers: {results['signed']} (PowerDNS denies with {mode})", flush=True)
        for number in range(args.rounds):
            denials = workdir / f"denials-{number}.txt"  # names never asked before: every denial a new one
            denials.write_text("".join(f"nx{number}-{i}.{ZONE} A\n" for i in range(args.denial_names)))
            results["rounds"].append(_round(number, servers, hot, denials, args))
    results["cost_parts_us"] = cost_parts()
    _report(results, args)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


def _round(
    number: int, servers: dict[str, tuple[int, int]], hot: Path, denials: Path, args: argparse.Namespace
) -> dict[str, dict[str, dict[str, float]]]:
    """One round: each load on each server in turn, so that both see the machine as it is at that moment. Beside
    each run, the server's CPU time (``/proc``) per answer, and its share of its core over dnsperf's run time:
    well below 1 the server was not what limited the rate."""
    loads: dict[str, dict[str, dict[str, float]]] = {}
    for load, queries, once in (("hot set", hot, False), (f"{args.denial_names} denials", denials, True)):
        loads[load] = {}
        for name, (port, pid) in servers.items():
            cpu = cpu_seconds(pid)
            run = dnsperf(port, queries, args.client_core, args, once)
            used = cpu_seconds(pid) - cpu
            run["server_core_share"] = used / run["run_seconds"]
            run["server_cpu_us_per_answer"] = used / run["completed"] * 1e6 if run["completed"] else 0.0
            loads[load][name] = run
        line = ", ".join(
            f"{name} {run['qps']:,.0f} q/s (lost {run['lost']:.2%}; server {run['server_core_share']:.2f} of a core, "
            f"{run['server_cpu_us_per_answer']:.1f} µs CPU per answer)"
            for name, run in loads[load].items()
        )
        print(f"round {number + 1}, {load}: {line}", flush=True)
    return loads


def _report(results: dict[str, Any], args: argparse.Namespace) -> None:
    """The ratio ours / PowerDNS first (min, median, max over the rounds), then the queries/s, then the parts."""
    rounds: list[dict[str, dict[str, dict[str, float]]]] = results["rounds"]
    print()
    print(
        "| load | ours / PowerDNS min / median / max | ours q/s median | PowerDNS q/s median "
        "| CPU µs per answer, ours / PowerDNS (median) | lowest share of a core, ours / PowerDNS |"
    )
    print("|---|--:|--:|--:|--:|--:|")
    for load in rounds[0]:
        runs = {name: [each[load][name] for each in rounds if name in each[load]] for name in ("ours", "pdns")}
        ours, theirs = ([run["qps"] for run in runs[name]] for name in ("ours", "pdns"))
        cost = " / ".join(
            f"{statistics.median(run['server_cpu_us_per_answer'] for run in runs[name]):.1f}" if runs[name] else "-"
            for name in ("ours", "pdns")
        )
        share = " / ".join(
            f"{min(run['server_core_share'] for run in runs[name]):.2f}" if runs[name] else "-"
            for name in ("ours", "pdns")
        )
        spread, median_theirs = "-", "-"
        if theirs:
            ratios = sorted(mine / other for mine, other in zip(ours, theirs, strict=True))
            spread = f"{ratios[0]:.2f} / {statistics.median(ratios):.2f} / {ratios[-1]:.2f}"
            median_theirs = f"{statistics.median(theirs):,.0f}"
        print(f"| {load} | {spread} | {statistics.median(ours):,.0f} | {median_theirs} | {cost} | {share} |")
    print()
    print("| part of one answer (in process) | µs |")
    print("|---|--:|")
    for part, micros in results["cost_parts_us"].items():
        print(f"| {part} | {micros:.2f} |")
