"""The DNS listener of ``python -m app serve`` seen through dig and kdig: flags, sections and rcodes of every
rule (AA, referrals with glue and DS, SOA in negative answers, REFUSED, NOTIMP, FORMERR, BADVERS), EDNS,
the query name's case, TC over UDP and the TCP retry, several queries on one TCP connection, the zone that
answers among several, TestDNSAnswer and DNS agreeing, and seeded fuzzing after which it still answers."""

import random
import re
import socket
import struct
import subprocess
import uuid
from collections.abc import Iterator
from typing import Any

import dns.edns
import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import httpx
import pytest

from tests.conftest import LiveServer, free_dns_port, fresh_database_url
from tests.dns_tools import HOST, ask, dig, kdig, plain, raw_udp, records, upsert
from tests.e2e.helpers import bare, insync, new_zone, poll

BIG_TXT = [f'"{i:02d}{"x" * 240}"' for i in range(8)]  # about 2 KB of data: more than any UDP answer here


@pytest.fixture(scope="module")
def server(template_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("dns")
    urls = fresh_database_url(template_database, folder)
    live = LiveServer(next(urls), folder, dns_port=str(free_dns_port())).start()
    try:
        yield live
    finally:
        live.stop()
        next(urls, None)


@pytest.fixture(scope="module")
def port(server: LiveServer) -> int:
    return int(server.settings["dns_port"])


@pytest.fixture(scope="module")
def route53(server: LiveServer) -> Any:
    return server.client("route53")


@pytest.fixture(scope="module")
def zone(route53: Any) -> tuple[str, str]:
    """A zone with one name of every kind, and a child zone hosted here too (delegated, with a DS)."""
    name = f"{uuid.uuid4().hex[:8]}.example.com."
    zone_id = new_zone(route53, name)
    child_id = new_zone(route53, f"child.{name}")
    child_ns = route53.get_hosted_zone(Id=child_id)["DelegationSet"]["NameServers"]
    info = upsert(
        route53,
        zone_id,
        plain(f"www.{name}", "A", "192.0.2.1", "192.0.2.2"),
        plain(f"c.{name}", "CNAME", f"www.{name}"),
        plain(f"*.wild.{name}", "TXT", '"wild"'),
        plain(f"deep.ent.{name}", "A", "192.0.2.3"),
        plain(f"sub.{name}", "NS", f"ns1.sub.{name}", "ns.example.net."),
        plain(f"ns1.sub.{name}", "A", "192.0.2.53"),
        plain(f"sub.{name}", "DS", "12345 13 2 " + "ab" * 32),
        plain(f"child.{name}", "NS", *child_ns),
        plain(f"child.{name}", "DS", "54321 13 2 " + "cd" * 32),
        plain(f"big.{name}", "TXT", *BIG_TXT),
    )
    insync(route53, info)
    insync(route53, upsert(route53, child_id, plain(f"www.child.{name}", "A", "198.51.100.1")))
    return zone_id, name


def flags(answer: dict[str, Any]) -> set[str]:
    return {flag for flag in ("QR", "AA", "TC", "RD", "RA", "AD", "CD") if answer[flag]}


def opt(answer: dict[str, Any]) -> dict[str, Any] | None:
    return next((record for record in answer.get("additionalRRs", []) if record["TYPE"] == 41), None)


def test_start_line_names_the_dns_address(server: LiveServer, port: int) -> None:
    log = (server.folder / f"server-{server.port}.log").read_text()
    assert f" dns={HOST}:{port} workers=1" in log


def test_positive_answer_is_authoritative_and_alone(port: int, zone: tuple[str, str]) -> None:
    _, name = zone
    answer = kdig(port, f"www.{name}", "A")
    assert (answer["RCODE"], flags(answer)) == (0, {"QR", "AA", "RD"})
    assert sorted(records(answer, "answerRRs")) == [
        (f"www.{name}", "A", 300, "192.0.2.1"),
        (f"www.{name}", "A", 300, "192.0.2.2"),
    ]
    assert (answer["NSCOUNT"], answer["ARCOUNT"]) == (0, 0)  # kdig sends no EDNS by default: no OPT back
    norec = kdig(port, "+norec", f"www.{name}", "A")
    assert flags(norec) == {"QR", "AA"}  # RD copied, never RA


def test_the_query_names_case_is_kept(port: int, zone: tuple[str, str]) -> None:
    _, name = zone
    for spelling in (f"WwW.{name.upper()}", f"wWw.{name}", f"www.{name}"):  # kdig lower-cases names: dig
        text = dig(port, "+noall", "+question", "+answer", spelling, "A")
        assert re.findall(r"^;?(\S+)\s", text, re.MULTILINE) == [spelling] * 3, text
        reply = ask(port, spelling, "A")
        assert [reply.question[0].name.to_text(), reply.answer[0].name.to_text()] == [spelling] * 2


@pytest.mark.parametrize(("label", "rdtype", "rcode"), [("nothing", "A", 3), ("www", "AAAA", 0), ("ent", "A", 0)])
def test_negative_answers_carry_the_soa(port: int, zone: tuple[str, str], label: str, rdtype: str, rcode: int) -> None:
    _, name = zone
    answer = kdig(port, f"{label}.{name}", rdtype)
    assert (answer["RCODE"], flags(answer), answer["ANCOUNT"]) == (rcode, {"QR", "AA", "RD"}, 0)
    [(owner, rtype, ttl, data)] = records(answer, "authorityRRs")
    assert (owner, rtype, ttl) == (name, "SOA", 900)  # min(SOA TTL 900, MINIMUM 86400)
    assert data.endswith(" awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400")


def test_wildcard_and_cname(port: int, zone: tuple[str, str]) -> None:
    _, name = zone
    wild = ask(port, f"Any.Wild.{name}", "TXT")
    assert [(rrset.name.to_text(), rrset.ttl, rrset[0].to_text()) for rrset in wild.answer] == [
        (f"Any.Wild.{name}", 300, '"wild"')
    ]
    chained = kdig(port, f"c.{name}", "A")
    assert [record[:2] for record in records(chained, "answerRRs")] == [
        (f"c.{name}", "CNAME"),
        (f"www.{name}", "A"),
        (f"www.{name}", "A"),
    ]


def test_referral_has_ns_and_ds_in_authority_glue_in_additional_and_no_aa(port: int, zone: tuple[str, str]) -> None:
    _, name = zone
    answer = kdig(port, f"host.sub.{name}", "A")
    assert (answer["RCODE"], flags(answer), answer["ANCOUNT"]) == (0, {"QR", "RD"}, 0)
    assert sorted(records(answer, "authorityRRs")) == [
        (f"sub.{name}", "DS", 300, "12345 13 2 " + "AB" * 32),
        (f"sub.{name}", "NS", 300, "ns.example.net."),
        (f"sub.{name}", "NS", 300, f"ns1.sub.{name}"),
    ]
    assert [record for record in records(answer, "additionalRRs") if record[1] != "OPT"] == [
        (f"ns1.sub.{name}", "A", 300, "192.0.2.53")
    ]


def test_ds_at_a_cut_is_answered_by_the_parent(port: int, zone: tuple[str, str]) -> None:
    _, name = zone
    at_cut = kdig(port, f"sub.{name}", "DS")
    assert (flags(at_cut), records(at_cut, "answerRRs")) == (
        {"QR", "AA", "RD"},
        [(f"sub.{name}", "DS", 300, "12345 13 2 " + "AB" * 32)],
    )
    child_apex = kdig(port, f"child.{name}", "DS")  # the child zone is hosted here too: RFC 4035 §3.1.4.1
    assert (flags(child_apex), records(child_apex, "answerRRs")) == (
        {"QR", "AA", "RD"},
        [(f"child.{name}", "DS", 300, "54321 13 2 " + "CD" * 32)],
    )
    inside_child = kdig(port, f"www.child.{name}", "A")
    assert (flags(inside_child), records(inside_child, "answerRRs")) == (
        {"QR", "AA", "RD"},
        [(f"www.child.{name}", "A", 300, "198.51.100.1")],
    )
    child_soa = kdig(port, f"child.{name}", "SOA")
    assert records(child_soa, "answerRRs")[0][:2] == (f"child.{name}", "SOA")


def test_names_in_no_hosted_zone_and_other_classes_are_refused(port: int, zone: tuple[str, str]) -> None:
    _, name = zone
    for args in (("www.example.org.", "A"), ("-c", "CH", "version.bind.", "TXT"), ("-c", "CLASS4", f"www.{name}", "A")):
        answer = kdig(port, *args)
        assert (answer["RCODE"], flags(answer), answer["ANCOUNT"], answer["NSCOUNT"]) == (5, {"QR", "RD"}, 0, 0)
    assert "; Transfer failed." in dig(port, f"{name}", "AXFR")  # no zone transfers
    assert ask(port, name, "AXFR", tcp=True).rcode() == dns.rcode.REFUSED


def test_other_opcodes_are_notimp(port: int, zone: tuple[str, str]) -> None:
    _, name = zone
    for opcode in ("notify", "update", "status"):
        text = dig(port, f"+opcode={opcode}", name, "SOA")
        assert re.search(rf"opcode: {opcode.upper()}, status: NOTIMP", text), text


def test_what_does_not_parse_is_formerr(port: int, zone: tuple[str, str]) -> None:
    _, name = zone
    assert "status: FORMERR" in dig(port, "+header-only")  # no question
    query = dns.message.make_query(name, "SOA").to_wire()
    for broken in (query + b"junk", query[:-2], query[:4] + b"\x00\x02" + query[6:]):
        reply = dns.message.from_wire(raw_udp(port, broken) or b"")
        assert (reply.id, reply.rcode()) == (dns.message.from_wire(query).id, dns.rcode.FORMERR)
    for meta in ("OPT", "TSIG", "TKEY"):
        assert kdig(port, name, f"TYPE{dns.rdatatype.from_text(meta).value}")["RCODE"] == 1


def test_edns(port: int, zone: tuple[str, str]) -> None:
    _, name = zone
    plain_query = kdig(port, "+noedns", f"www.{name}", "A")
    assert opt(plain_query) is None
    with_do = kdig(port, "+dnssec", "+bufsize=4096", f"www.{name}", "A")
    assert (opt(with_do) or {})["CLASS"] == 1232 and (opt(with_do) or {})["TTL"] == 0x8000  # our size, DO echoed
    without_do = kdig(port, "+edns", f"www.{name}", "A")
    assert (opt(without_do) or {})["TTL"] == 0
    badvers = kdig(port, "+edns=1", f"www.{name}", "A")
    assert (badvers["RCODE"], (opt(badvers) or {})["TTL"] >> 24, badvers["ANCOUNT"]) == (0, 1, 0)  # 16 = 1 << 4
    assert "status: BADVERS" in dig(port, "+edns=1", "+noednsneg", f"www.{name}", "A")
    nsid = ask(port, f"www.{name}", "A", use_edns=0, options=[dns.edns.GenericOption(dns.edns.NSID, b"")])
    [option] = nsid.options
    assert option.otype == dns.edns.NSID and option.to_wire().endswith(f":{_server_pid(port)}".encode())


def _server_pid(port: int) -> int:
    """The pid of the process answering on ``port`` (the test server has one)."""
    reply = ask(port, "example.invalid.", "A", use_edns=0, options=[dns.edns.GenericOption(dns.edns.NSID, b"")])
    return int(reply.options[0].to_wire().rsplit(b":", 1)[1])


def test_a_large_answer_is_truncated_over_udp_and_whole_over_tcp(port: int, zone: tuple[str, str]) -> None:
    _, name = zone
    for args in (("+noedns",), ("+bufsize=1232",), ("+bufsize=4096",)):
        truncated = kdig(port, "+notcp", "+ignore", *args, f"big.{name}", "TXT")
        assert (truncated["RCODE"], flags(truncated), truncated["ANCOUNT"], truncated["NSCOUNT"]) == (
            0,
            {"QR", "AA", "TC", "RD"},
            0,
            0,
        )
        assert truncated["msgLength"] <= (512 if args == ("+noedns",) else 1232)
    text = dig(port, f"big.{name}", "TXT")
    assert ";; Truncated, retrying in TCP mode." in text
    assert "ANSWER: 8," in text and "(TCP)" in text
    whole = kdig(port, "+tcp", f"big.{name}", "TXT")
    assert sorted(record[3] for record in records(whole, "answerRRs")) == BIG_TXT
    small = kdig(port, "+noedns", "+notcp", f"www.{name}", "A")
    assert "TC" not in flags(small)


def test_several_queries_on_one_tcp_connection_pipelined(port: int, zone: tuple[str, str]) -> None:
    _, name = zone
    queries = [dns.message.make_query(f"{label}.{name}", "A") for label in ("www", "nothing", "c", "www")]
    queries.append(dns.message.make_query(f"big.{name}", "TXT"))
    with socket.create_connection((HOST, port), timeout=5) as sock:
        sock.sendall(b"".join(struct.pack("!H", len(q.to_wire())) + q.to_wire() for q in queries))  # all at once
        replies = [_read_frame(sock) for _ in queries]
        again = dns.message.make_query(f"www.{name}", "AAAA")  # and later, on the same connection
        sock.sendall(struct.pack("!H", len(again.to_wire())) + again.to_wire())
        replies.append(_read_frame(sock))
    parsed = [dns.message.from_wire(reply) for reply in replies]
    assert [reply.id for reply in parsed] == [q.id for q in queries] + [again.id]
    assert [reply.rcode() for reply in parsed] == [0, 3, 0, 0, 0, 0]
    assert len(parsed[4].answer[0]) == 8  # the large answer whole over TCP
    kdig_text = subprocess_kdig_keepopen(port, name)
    assert kdig_text.count("status: NOERROR") == 3


def subprocess_kdig_keepopen(port: int, name: str) -> str:
    done = subprocess.run(
        ["kdig", f"@{HOST}", "-p", str(port), "+tcp", "+keepopen", f"www.{name}", "A", f"c.{name}", "A", name, "SOA"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return done.stdout


def _read_frame(sock: socket.socket) -> bytes:
    def exactly(count: int) -> bytes:
        data = b""
        while len(data) < count:
            chunk = sock.recv(count - len(data))
            assert chunk, "connection closed"
            data += chunk
        return data

    return exactly(struct.unpack("!H", exactly(2))[0])


def test_which_zone_answers_among_several(route53: Any, port: int) -> None:
    base = f"{uuid.uuid4().hex[:8]}.test."
    assert kdig(port, f"www.{base}", "A")["RCODE"] == 5
    private = new_zone(route53, base, VPC={"VPCRegion": "us-east-1", "VPCId": "vpc-12345678"})
    insync(route53, upsert(route53, private, plain(f"www.{base}", "A", "10.0.0.1")))
    assert kdig(port, f"www.{base}", "A")["RCODE"] == 5  # private zones never answer
    older = new_zone(route53, base)
    newer = new_zone(route53, base)
    insync(route53, upsert(route53, newer, plain(f"www.{base}", "A", "192.0.2.20")))
    insync(route53, upsert(route53, older, plain(f"www.{base}", "A", "192.0.2.10")))
    assert records(kdig(port, f"www.{base}", "A"), "answerRRs") == [(f"www.{base}", "A", 300, "192.0.2.10")]
    route53.change_resource_record_sets(
        HostedZoneId=older,
        ChangeBatch={"Changes": [{"Action": "DELETE", "ResourceRecordSet": plain(f"www.{base}", "A", "192.0.2.10")}]},
    )
    insync(route53, route53.delete_hosted_zone(Id=older)["ChangeInfo"])
    assert records(kdig(port, f"www.{base}", "A"), "answerRRs") == [(f"www.{base}", "A", 300, "192.0.2.20")]


def test_test_dns_answer_and_dns_agree(route53: Any, port: int, zone: tuple[str, str]) -> None:
    """Generated names (every name of the zone, names below them, missing names) by TestDNSAnswer types."""
    zone_id, name = zone
    child_id = next(
        bare(z["Id"])
        for z in route53.list_hosted_zones_by_name(DNSName=f"child.{name}")["HostedZones"]
        if z["Name"] == f"child.{name}"
    )
    rng = random.Random(5)
    labels = ["www", "c", "any.wild", "deep.ent", "ent", "sub", "host.sub", "ns1.sub", "child", "big", "nothing", ""]
    types = ["SOA", "A", "TXT", "NS", "CNAME", "MX", "AAAA", "DS", "CAA", "SRV"]
    cases = [(rng.choice(labels), rng.choice(types)) for _ in range(60)]
    cases += [(f"x{rng.randrange(1000)}.{rng.choice(labels)}".rstrip("."), "A") for _ in range(10)]
    for label, rdtype in cases:
        qname = f"{label}.{name}" if label else name
        in_child = label.endswith("child") and not (label == "child" and rdtype == "DS")  # the child zone's
        answering = child_id if in_child else zone_id
        api = route53.test_dns_answer(HostedZoneId=answering, RecordName=qname, RecordType=rdtype)
        reply = ask(port, qname, rdtype)
        data = [rdata.to_text() for rrset in reply.answer for rdata in rrset]
        assert (api["ResponseCode"], api["RecordData"]) == (dns.rcode.to_text(reply.rcode()), data), (qname, rdtype)


def test_fuzzed_packets_never_stop_the_listener(server: LiveServer, port: int, zone: tuple[str, str]) -> None:
    """A few thousand seeded random, truncated and mutated queries over UDP and TCP; every reply is a
    well-formed DNS message with the query's id; then the listener answers correctly."""
    _, name = zone
    rng = random.Random(2026)
    seeds = [
        dns.message.make_query(f"www.{name}", "A").to_wire(),
        dns.message.make_query(f"big.{name}", "TXT", use_edns=0, want_dnssec=True).to_wire(),
        dns.message.make_query(f"host.sub.{name}", "A", use_edns=0, payload=4096).to_wire(),
    ]
    packets = []
    for _ in range(3000):
        seed = rng.choice(seeds)
        kind = rng.randrange(3)
        if kind == 0:
            packets.append(rng.randbytes(rng.randrange(1, 80)))
        elif kind == 1:
            packets.append(seed[: rng.randrange(1, len(seed))])
        else:
            mutable = bytearray(seed)
            for _ in range(rng.randrange(1, 5)):
                mutable[rng.randrange(len(mutable))] = rng.randrange(256)
            packets.append(bytes(mutable))
    expected = [len(packet) >= 12 and not packet[2] & 0x80 for packet in packets]  # a query's header
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(5)
        for packet, answered in zip(packets, expected, strict=True):
            sock.sendto(packet, (HOST, port))
            if answered:
                _check_reply(sock.recv(65535), packet)
    assert sum(expected) > 2000
    for packet, answered in list(zip(packets, expected, strict=True))[:300]:  # over TCP too, one connection each
        with socket.create_connection((HOST, port), timeout=5) as tcp:
            tcp.sendall(struct.pack("!H", len(packet)) + packet)
            if answered:
                _check_reply(_read_frame(tcp), packet)
            else:
                assert tcp.recv(10) == b""  # not DNS: the connection is closed
    answer = ask(port, f"WWW.{name}", "A")
    assert (answer.rcode(), answer.question[0].name.to_text(), len(answer.answer[0])) == (0, f"WWW.{name}", 2)
    assert kdig(port, "+tcp", f"www.{name}", "A")["ANCOUNT"] == 2
    log = (server.folder / f"server-{server.port}.log").read_text()
    assert "Traceback" not in log


def _check_reply(reply: bytes, query: bytes) -> None:
    """A response header with the query's id, QR set and the query's opcode; a QUERY reply parses whole."""
    assert reply[:2] == query[:2]
    assert reply[2] & 0x80 and reply[2] & 0x78 == query[2] & 0x78
    if query[2] & 0x78 == 0:
        dns.message.from_wire(reply)


def test_dns_queries_are_counted_by_type_rcode_and_transport(
    server: LiveServer, port: int, zone: tuple[str, str]
) -> None:
    _, name = zone
    kdig(port, "+tcp", f"nothing.{name}", "MX")

    def counted() -> float:
        body = httpx.get(f"{server.url}/metrics").text
        match = re.search(r'route53_dns_queries_total\{rcode="NXDOMAIN",transport="tcp",type="MX"\} (\S+)', body)
        return float(match.group(1)) if match else 0.0

    assert poll(lambda: counted() >= 1, True, attempts=40)
