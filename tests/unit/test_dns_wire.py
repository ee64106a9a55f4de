"""The listener's wire format (app.authoritative.wire): queries read by hand as dnspython writes them,
replies built by hand as dnspython reads them, cached responses patched, TCP framing; seeded fuzzing."""

import random

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import pytest

from app.authoritative import wire


def query_wire(name: str = "www.example.com.", rdtype: str = "A", **options: object) -> bytes:
    return dns.message.make_query(name, rdtype, **options).to_wire()  # type: ignore[arg-type]


def test_a_plain_query() -> None:
    message = dns.message.make_query("WwW.Example.COM.", "AAAA")
    message.flags |= dns.flags.CD
    query = wire.parse_query(message.to_wire())
    assert (query.id, query.qtype, query.qclass, query.opcode, query.edns) == (message.id, 28, 1, 0, None)
    assert query.flags == message.flags
    assert query.qname == b"\x03WwW\x07Example\x03COM\x00"
    assert query.labels == (b"WwW", b"Example", b"COM")
    assert query.name_text == "WwW.Example.COM."
    assert query.question == message.to_wire()[12:]


def test_edns_payload_version_do_and_nsid() -> None:
    nsid = dns.edns.GenericOption(dns.edns.NSID, b"")
    query = wire.parse_query(query_wire(use_edns=0, payload=4096, want_dnssec=True, options=[nsid]))
    assert query.edns == wire.Edns(payload=4096, version=0, do=True, nsid=True)
    small = wire.parse_query(query_wire(use_edns=1, payload=100))
    assert small.edns == wire.Edns(payload=512, version=1, do=False, nsid=False)  # below 512 counts as 512


def test_other_records_are_skipped() -> None:
    message = dns.message.make_query("example.com.", "SOA", use_edns=0)
    message.answer.append(dns.rrset.from_text("example.com.", 60, "IN", "A", "192.0.2.1"))
    message.additional.append(dns.rrset.from_text("x.example.com.", 60, "IN", "TXT", '"y"'))
    query = wire.parse_query(message.to_wire())
    assert (query.qtype, query.edns is not None) == (6, True)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x12\x34\x01\x00\x00\x00" + b"\x00" * 6, "0 questions"),
        (b"\x12\x34\x01\x00\x00\x02" + b"\x00" * 6 + b"\x00\x00\x01\x00\x01" * 2, "2 questions"),
        (b"\x12\x34\x01\x00\x00\x01" + b"\x00" * 6 + b"\x03www", "question name cut short"),
        (b"\x12\x34\x01\x00\x00\x01" + b"\x00" * 6 + b"\xc0\x0c\x00\x01\x00\x01", "pointer"),
        (b"\x12\x34\x01\x00\x00\x01" + b"\x00" * 6 + b"\x00\x00\x01", "question cut short"),
        (b"\x12\x34\x01\x00\x00\x01" + b"\x00" * 6 + b"\x3f" + b"a" * 63 + (b"\x3f" + b"a" * 63) * 3 + b"\x00", "255"),
        (query_wire() + b"\x00", "bytes after the last record"),
        (query_wire(use_edns=0)[:-3], "record cut short"),
    ],
)
def test_what_does_not_parse_is_malformed(data: bytes, reason: str) -> None:
    with pytest.raises(wire.Malformed, match=reason) as raised:
        wire.parse_query(data)
    assert (raised.value.query_id, raised.value.flags) == (
        0x1234 if data[:2] == b"\x12\x34" else data[0] << 8 | data[1],
        data[2] << 8 | data[3],
    )


def test_opt_rules() -> None:
    two_opts = dns.message.make_query("example.com.", "A", use_edns=0).to_wire()
    opt = two_opts[-11:]
    with pytest.raises(wire.Malformed, match="more than one OPT") as raised:
        wire.parse_query(two_opts[:10] + b"\x00\x02" + two_opts[12:] + opt)
    assert raised.value.question == two_opts[12:-11]  # the question parsed and is echoed
    with pytest.raises(wire.Malformed, match="OPT outside the additional section"):
        wire.parse_query(two_opts[:6] + b"\x00\x01\x00\x00\x00\x00" + two_opts[12:])
    with pytest.raises(wire.Malformed, match="OPT owner is not the root"):
        wire.parse_query(two_opts[:-11] + b"\xc0\x0c" + opt[1:])
    with pytest.raises(wire.Malformed, match="EDNS option cut short"):
        wire.parse_query(two_opts[:-2] + b"\x00\x02\x00\x03")


@pytest.mark.parametrize(
    "data", [b"", b"\x00" * 11, dns.message.make_response(dns.message.make_query("a.", "A")).to_wire()]
)
def test_no_header_or_a_response_is_unanswerable(data: bytes) -> None:
    with pytest.raises(wire.Unanswerable):
        wire.parse_query(data)


def test_short_responses_parse_as_dnspython_reads_them() -> None:
    query = wire.parse_query(query_wire("Www.Example.com.", "MX", use_edns=0, want_dnssec=True))
    opt = wire.opt_record(1232, dns.rcode.BADVERS, do=True, nsid=b"host:1")
    reply = dns.message.from_wire(wire.short_response(query.id, query.flags | wire.CD, 16, query.question, opt))
    assert reply.id == query.id
    assert (
        reply.flags & (dns.flags.QR | dns.flags.RD | dns.flags.CD | dns.flags.AA)
        == dns.flags.QR | dns.flags.RD | dns.flags.CD
    )
    assert reply.rcode() == dns.rcode.BADVERS
    assert reply.question[0].name.to_text() == "Www.Example.com."
    assert (reply.payload, reply.edns, reply.ednsflags & dns.flags.DO) == (1232, 0, dns.flags.DO)
    assert [(option.otype, option.to_wire()) for option in reply.options] == [(dns.edns.NSID, b"host:1")]
    bare = dns.message.from_wire(wire.short_response(7, 0, dns.rcode.FORMERR, None, None, wire.TC))
    assert (bare.id, bare.rcode(), bare.question, bare.edns, bare.flags & dns.flags.TC) == (7, 1, [], -1, dns.flags.TC)


def test_patched_takes_the_id_flags_and_case_of_the_new_query() -> None:
    first = dns.message.make_query("www.example.com.", "A")
    response = dns.message.make_response(first)
    response.flags |= dns.flags.AA
    response.answer.append(dns.rrset.from_text("www.example.com.", 300, "IN", "A", "192.0.2.1"))
    cached = response.to_wire()
    second = dns.message.make_query("WWW.eXample.com.", "A")
    second.flags = dns.flags.CD  # no RD, CD set
    reply = dns.message.from_wire(wire.patched(cached, wire.parse_query(second.to_wire())))
    assert reply.id == second.id
    assert reply.flags == dns.flags.QR | dns.flags.AA | dns.flags.CD
    assert reply.question[0].name.to_text() == "WWW.eXample.com."
    assert reply.answer[0].name.to_text() == "WWW.eXample.com."  # a pointer to the question
    assert reply.answer[0][0].to_text() == "192.0.2.1"


def test_tcp_frames() -> None:
    buffer = bytearray(wire.tcp_frame(b"one") + wire.tcp_frame(b"") + wire.tcp_frame(b"three")[:4])
    assert wire.tcp_frames(buffer) == [b"one", b""]
    assert buffer == wire.tcp_frame(b"three")[:4]
    buffer += b"ree"
    assert wire.tcp_frames(buffer) == [b"three"]
    assert buffer == b""


def test_seeded_fuzz_never_raises_anything_else() -> None:
    """Random bytes, truncated and mutated real queries: a Query, Malformed or Unanswerable, nothing else;
    every Malformed question is a prefix of what was sent."""
    rng = random.Random(9)
    seeds = [
        query_wire(),
        query_wire("a.b.c.example.com.", "DS", use_edns=0, want_dnssec=True),
        query_wire("x.example.", "TXT", use_edns=0, options=[dns.edns.GenericOption(dns.edns.NSID, b"")]),
    ]
    outcomes: dict[str, int] = {}
    for _ in range(5000):
        seed = rng.choice(seeds)
        kind = rng.randrange(3)
        if kind == 0:
            data = rng.randbytes(rng.randrange(64))
        elif kind == 1:
            data = seed[: rng.randrange(len(seed))]
        else:
            mutable = bytearray(seed)
            for _ in range(rng.randrange(1, 4)):
                mutable[rng.randrange(len(mutable))] = rng.randrange(256)
            data = bytes(mutable)
        try:
            query = wire.parse_query(data)
            assert data[12:].startswith(query.question)
            outcomes["query"] = outcomes.get("query", 0) + 1
        except wire.Malformed as problem:
            assert problem.question is None or data[12:].startswith(problem.question)
            outcomes["malformed"] = outcomes.get("malformed", 0) + 1
        except wire.Unanswerable:
            outcomes["unanswerable"] = outcomes.get("unanswerable", 0) + 1
    assert min(outcomes.values()) > 100, outcomes  # every outcome is exercised


def test_render_compresses_owners_and_reads_back_as_dnspython_reads_it() -> None:
    message = dns.message.make_query("Host.SUB.example.com.", "A", use_edns=0)
    query = wire.parse_query(message.to_wire())
    authority = [
        dns.rrset.from_text("Host.SUB.example.com.", 300, "IN", "NS", "ns1.sub.example.com.", "ns.example.net."),
        dns.rrset.from_text("sub.example.com.", 300, "IN", "DS", "12345 13 2 " + "ab" * 32),
    ]
    additional = [dns.rrset.from_text("ns1.sub.example.com.", 300, "IN", "A", "192.0.2.53")]
    opt = wire.opt_record(1232, 0, False, None)
    flags = wire.response_flags(query.flags, 0)
    rendered = wire.render(query, flags, ([], authority, additional), 1232, opt)
    reply = dns.message.from_wire(rendered)
    assert reply.id == query.id and reply.question[0].name.to_text() == "Host.SUB.example.com."
    assert [rrset.to_text().lower() for rrset in reply.authority] == [rrset.to_text().lower() for rrset in authority]
    assert reply.authority[1].name.to_text() == "SUB.example.com."  # a pointer into the question: its case
    assert [rrset.to_text().lower() for rrset in reply.additional] == [rrset.to_text().lower() for rrset in additional]
    assert reply.edns == 0
    spelled = [rendered.count(b"\x03sub"), rendered.count(b"\x07example")]
    assert spelled == [1, 3]  # owners are pointers: only the question and the (uncompressed) NS data spell them
    assert rendered.count(b"\xc0\x0c") == 2  # both NS records' owner: a pointer to the question name
    with pytest.raises(wire.TooBig):
        wire.render(query, flags, ([], authority, additional), len(rendered) - 1, opt)
