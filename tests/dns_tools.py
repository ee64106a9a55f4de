"""Helpers for DNS tests: kdig's JSON answers (RFC 8427) and dig's text, dnspython queries, record changes."""

import json
import socket
import subprocess
from typing import Any

import dns.message
import dns.query

HOST = "127.0.0.1"


def kdig(port: int, *args: str) -> dict[str, Any]:
    """One query with kdig, its response as kdig's JSON."""
    done = subprocess.run(
        ["kdig", f"@{HOST}", "-p", str(port), "+json", "+retry=0", "+timeout=5", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


def dig(port: int, *args: str) -> str:
    """dig's full text output."""
    done = subprocess.run(
        ["dig", f"@{HOST}", "-p", str(port), "+tries=1", "+time=5", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return done.stdout + done.stderr


def records(answer: dict[str, Any], section: str) -> list[tuple[str, str, int, str]]:
    """(owner, type, TTL, data) of a kdig JSON section (``answerRRs``, ``authorityRRs``, ``additionalRRs``)."""
    out = []
    for record in answer.get(section, []):
        data = next((value for key, value in record.items() if key.startswith("rdata")), record.get("RDATAHEX"))
        out.append((record["NAME"], record["TYPEname"], record["TTL"], data))
    return out


def ask(port: int, name: str, rdtype: str, tcp: bool = False, **options: Any) -> dns.message.Message:
    """One query with dnspython, over UDP (a fresh source port each time) or TCP."""
    query = dns.message.make_query(name, rdtype, **options)
    if tcp:
        return dns.query.tcp(query, HOST, port=port, timeout=5)
    return dns.query.udp(query, HOST, port=port, timeout=5, ignore_unexpected=True)


def raw_udp(port: int, data: bytes, timeout: float = 2.0) -> bytes | None:
    """Send one datagram; the reply, or None when none comes within ``timeout``."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.sendto(data, (HOST, port))
        try:
            return sock.recv(65535)
        except TimeoutError:
            return None


def upsert(route53: Any, zone_id: str, *record_sets: dict[str, Any]) -> dict[str, Any]:
    """UPSERT the record sets in one batch; the ChangeInfo."""
    changes = [{"Action": "UPSERT", "ResourceRecordSet": record} for record in record_sets]
    response = route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})
    info: dict[str, Any] = response["ChangeInfo"]
    return info


def plain(name: str, rdtype: str, *values: str, ttl: int = 300) -> dict[str, Any]:
    return {"Name": name, "Type": rdtype, "TTL": ttl, "ResourceRecords": [{"Value": value} for value in values]}


def delv(port: int, anchors: dict[str, list[str]], name: str, rdtype: str, folder: str) -> str:
    """delv (BIND's validating resolver) asking the server for ``name``, trusting only ``anchors`` (zone →
    DS records as GetDNSSEC gives them, ``tag alg digest-type digest``); its first line of output, such as
    ``; fully validated`` or ``; negative response, fully validated``."""
    lines = []
    for zone, records_ in anchors.items():
        for record in records_:
            tag, algorithm, digest_type, digest = record.split()
            lines.append(f'  {zone.rstrip(".")}. static-ds {tag} {algorithm} {digest_type} "{digest}";')
    anchor_file = f"{folder}/anchors-{abs(hash(tuple(lines)))}.conf"
    with open(anchor_file, "w") as out:
        out.write("trust-anchors {\n" + "\n".join(lines) + "\n};\n")
    root = min(anchors, key=len).rstrip(".") + "."
    done = subprocess.run(
        ["delv", f"@{HOST}", "-p", str(port), "-a", anchor_file, f"+root={root}", name, rdtype],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    first = (done.stdout.splitlines() or [done.stderr.strip()])[0]
    return first
