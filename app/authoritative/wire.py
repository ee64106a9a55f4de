"""DNS messages on the wire, for the listener (pure): a query read by hand, small replies built by hand.

A query is read in one pass (RFC 1035 §4.1): the header, exactly one question (its name as received, case
kept, no compression pointers), then every record of the other sections skipped structurally, except one
OPT record in the additional section (RFC 6891 §6.1), whose UDP payload size, version, DO bit (RFC 3225) and
NSID option (RFC 5001) are kept. Anything that does not parse is ``Malformed``, answered FORMERR; a message
too short for a header, or a response (QR set), is ``Unanswerable`` and dropped, so that no reply can start a
loop between two servers.

Replies that carry no records (REFUSED, NOTIMP, FORMERR, BADVERS, SERVFAIL, and a truncated answer) are
built here, and so are answers (``render``: owner names compressed against the question and earlier
owners, RFC 1035 §4.1.4; record data as dnspython writes it, uncompressed); ``patched`` turns a cached
response into the answer to another query for the same name.
"""

import struct
from dataclasses import dataclass

import dns.name
import dns.rdata
import dns.rrset

HEADER_SIZE = 12
MAX_NAME = 255
MAX_LABEL = 63
QR = 0x8000
AA = 0x0400
TC = 0x0200
RD = 0x0100
CD = 0x0010
OPCODE_MASK = 0x7800
OPCODE_QUERY = 0
TYPE_OPT = 41
OPTION_NSID = 3
DO = 0x8000  # in the OPT record's TTL field, low 16 bits (RFC 3225)
MIN_UDP_PAYLOAD = 512  # RFC 6891 §6.2.5: a smaller advertised size counts as 512
NO_OPT = -1


class Unanswerable(Exception):
    """A datagram that gets no reply: shorter than a header, or a response rather than a query."""


class Malformed(Exception):
    """A query that does not parse (FORMERR). ``question`` is the question section when it did parse."""

    def __init__(self, reason: str, query_id: int = 0, flags: int = 0, question: bytes | None = None) -> None:
        super().__init__(reason)
        self.query_id = query_id
        self.flags = flags
        self.question = question


@dataclass(slots=True)
class Edns:
    """The query's OPT record (RFC 6891 §6.1.3)."""

    payload: int
    version: int
    do: bool
    nsid: bool


@dataclass(slots=True)
class Query:
    id: int
    flags: int  # the header's flags word as received
    qname: bytes  # the query name's wire form as received (case kept), root label included
    qtype: int
    qclass: int
    edns: Edns | None

    @property
    def opcode(self) -> int:
        return (self.flags & OPCODE_MASK) >> 11

    @property
    def question(self) -> bytes:
        """The question section as received."""
        return self.qname + _TYPE_CLASS.pack(self.qtype, self.qclass)

    @property
    def labels(self) -> tuple[bytes, ...]:
        """The query name's labels as received, leftmost first, root excluded."""
        return name_labels(self.qname)

    @property
    def name_text(self) -> str:
        """The query name in presentation form, case kept (for logs)."""
        return dns.name.Name((*self.labels, b"")).to_text()


def name_labels(name: bytes) -> tuple[bytes, ...]:
    """The labels of a name in uncompressed wire form, leftmost first, root excluded."""
    labels = []
    position = 0
    while name[position]:
        length = name[position]
        labels.append(name[position + 1 : position + 1 + length])
        position += 1 + length
    return tuple(labels)


_HEADER = struct.Struct("!HHHHHH")
_TYPE_CLASS = struct.Struct("!HH")
_RECORD = struct.Struct("!HHIH")  # type, class, TTL, data length: after a record's name


def parse_query(data: bytes) -> Query:
    """The query in ``data`` (module docstring); ``Unanswerable`` or ``Malformed`` when it is not one."""
    size = len(data)
    if size < HEADER_SIZE:
        raise Unanswerable("shorter than a DNS header")
    query_id, flags, qdcount, ancount, nscount, arcount = _HEADER.unpack_from(data)
    if flags & QR:
        raise Unanswerable("a response, not a query")
    if qdcount != 1:
        raise Malformed(f"{qdcount} questions", query_id, flags)
    position = HEADER_SIZE
    while True:
        if position >= size:
            raise Malformed("question name cut short", query_id, flags)
        length = data[position]
        if length == 0:
            break
        if length > MAX_LABEL:
            raise Malformed("question name has a pointer or a label type other than 0", query_id, flags)
        position += 1 + length
    name_end = position + 1
    if name_end - HEADER_SIZE > MAX_NAME:
        raise Malformed("question name longer than 255 octets", query_id, flags)
    if name_end + 4 > size:
        raise Malformed("question cut short", query_id, flags)
    qtype, qclass = _TYPE_CLASS.unpack_from(data, name_end)
    position = name_end + 4
    edns = None
    if ancount or nscount or arcount:
        try:
            edns, position = _read_records(data, position, ancount + nscount, arcount)
        except Malformed as problem:
            raise Malformed(str(problem), query_id, flags, data[HEADER_SIZE : name_end + 4]) from None
        except (IndexError, struct.error):  # a record runs off the end of the message
            raise Malformed("record cut short", query_id, flags, data[HEADER_SIZE : name_end + 4]) from None
    if position != size:
        raise Malformed("bytes after the last record", query_id, flags, data[HEADER_SIZE : name_end + 4])
    return Query(query_id, flags, data[HEADER_SIZE:name_end], qtype, qclass, edns)


def _read_records(data: bytes, position: int, before_additional: int, additional: int) -> tuple[Edns | None, int]:
    """Skip the records after the question; the one OPT record of the additional section (others are
    skipped: no TSIG here). A record that runs off the message raises IndexError or ``struct.error``."""
    size = len(data)
    edns = None
    for index in range(before_additional + additional):
        start = position
        while True:  # the owner name, possibly compressed
            length = data[position]
            if length == 0:
                position += 1
                break
            if length & 0xC0 == 0xC0:
                position += 2
                break
            if length > MAX_LABEL:
                raise Malformed("unknown label type")
            position += 1 + length
        rdtype, rdclass, ttl, rdlength = _RECORD.unpack_from(data, position)
        rdata = position + _RECORD.size
        position = rdata + rdlength
        if position > size:
            raise Malformed("record data cut short")
        if rdtype != TYPE_OPT:
            continue
        if index < before_additional:
            raise Malformed("OPT outside the additional section")
        if edns is not None:
            raise Malformed("more than one OPT record")
        if data[start] != 0:
            raise Malformed("OPT owner is not the root")
        nsid = bool(rdlength) and OPTION_NSID in _option_codes(data[rdata:position])
        edns = Edns(max(rdclass, MIN_UDP_PAYLOAD), (ttl >> 16) & 0xFF, bool(ttl & DO), nsid)
    return edns, position


def _option_codes(options: bytes) -> set[int]:
    codes = set()
    position = 0
    while position < len(options):
        if position + 4 > len(options):
            raise Malformed("EDNS option cut short")
        code, length = _TYPE_CLASS.unpack_from(options, position)
        if position + 4 + length > len(options):
            raise Malformed("EDNS option data cut short")
        codes.add(code)
        position += 4 + length
    return codes


def response_flags(query_flags: int, rcode: int, extra: int = 0) -> int:
    """A response's flags word: QR, the query's opcode, RD and CD copied (RFC 1035 §4.1.1, RFC 4035
    §3.1.6), ``extra`` (AA, TC) and the rcode's low four bits."""
    return QR | (query_flags & (OPCODE_MASK | RD | CD)) | extra | (rcode & 0xF)


def opt_record(payload: int, rcode: int, do: bool, nsid: bytes | None) -> bytes:
    """Our OPT record (RFC 6891 §6.1.2): our payload size, the rcode's upper eight bits, version 0, the DO
    bit echoed (RFC 3225 §3), and the NSID option when asked for (RFC 5001)."""
    ttl = ((rcode >> 4) << 24) | (DO if do else 0)
    options = b"" if nsid is None else OPTION_NSID.to_bytes(2, "big") + len(nsid).to_bytes(2, "big") + nsid
    return (
        b"\x00"
        + TYPE_OPT.to_bytes(2, "big")
        + payload.to_bytes(2, "big")
        + ttl.to_bytes(4, "big")
        + len(options).to_bytes(2, "big")
        + options
    )


def short_response(
    query_id: int, query_flags: int, rcode: int, question: bytes | None, opt: bytes | None, extra: int = 0
) -> bytes:
    """A response with no records but the question (when there is one) and our OPT (when given); ``extra``
    flags (AA, TC) set."""
    return (
        query_id.to_bytes(2, "big")
        + response_flags(query_flags, rcode, extra).to_bytes(2, "big")
        + (1 if question else 0).to_bytes(2, "big")
        + b"\x00\x00\x00\x00"
        + (1 if opt else 0).to_bytes(2, "big")
        + (question or b"")
        + (opt or b"")
    )


def append_additional(response: bytes, record: bytes) -> bytes:
    """``response`` with one more record (already in wire form) at the end of its additional section."""
    count = int.from_bytes(response[10:12], "big") + 1
    return response[:10] + count.to_bytes(2, "big") + response[12:] + record


class TooBig(Exception):
    """The response does not fit the size limit."""


_HEADER_COUNTS = struct.Struct("!HHHHHH")
MAX_POINTER = 0x3FFF
_rdata_wire: dict[int, tuple[dns.rdata.Rdata, bytes]] = {}  # by id, the object kept so that the id stays its own
MAX_RDATA_CACHE = 200_000


def _data_of(rdata: dns.rdata.Rdata) -> bytes:
    """An rdata's wire form, computed once per rdata object (zone snapshots share theirs between answers)."""
    entry = _rdata_wire.get(id(rdata))
    if entry is not None and entry[0] is rdata:
        return entry[1]
    data = rdata.to_wire()
    assert data is not None  # no file given: the bytes
    if len(_rdata_wire) >= MAX_RDATA_CACHE:
        _rdata_wire.clear()
    _rdata_wire[id(rdata)] = (rdata, data)
    return data


def _name_wire(name: dns.name.Name) -> bytes:
    return b"".join(bytes((len(label),)) + label for label in name.labels)


def render(
    query: Query,
    flags: int,
    sections: tuple[list[dns.rrset.RRset], list[dns.rrset.RRset], list[dns.rrset.RRset]],
    limit: int,
    opt: bytes | None,
) -> bytes:
    """The response to ``query`` with these answer, authority and additional RRsets and our OPT (last);
    ``TooBig`` when it would exceed ``limit`` octets."""
    out = bytearray(HEADER_SIZE)
    out += query.question
    room = limit - (len(opt) if opt else 0)
    pointers: dict[bytes, int] = {}
    _remember(pointers, query.qname.lower(), HEADER_SIZE)
    counts = [0, 0, 0]
    for index, rrsets in enumerate(sections):
        for rrset in rrsets:
            owner = _name_wire(rrset.name)
            fixed = _RECORD.pack(rrset.rdtype, rrset.rdclass, rrset.ttl, 0)[:-2]
            for rdata in rrset:
                data = _data_of(rdata)
                position = len(out)
                out += _compressed(owner, pointers, position)
                out += fixed
                out += len(data).to_bytes(2, "big")
                out += data
                if len(out) > room:
                    raise TooBig
                counts[index] += 1
    if opt:
        out += opt
    out[:HEADER_SIZE] = _HEADER_COUNTS.pack(query.id, flags, 1, counts[0], counts[1], counts[2] + (1 if opt else 0))
    return bytes(out)


def _remember(pointers: dict[bytes, int], name: bytes, offset: int, written: int | None = None) -> None:
    """Record the suffixes of ``name`` (lower-case wire form) that start in its first ``written`` octets
    (all of them by default), written at ``offset``, for compression."""
    end = len(name) - 1 if written is None else written
    position = 0
    while position < end and offset + position <= MAX_POINTER:
        pointers.setdefault(name[position:], offset + position)
        position += 1 + name[position]


def _compressed(name: bytes, pointers: dict[bytes, int], offset: int) -> bytes:
    """``name`` as written at ``offset``: its labels up to the longest suffix written before, then a pointer."""
    lower = name.lower()
    position = 0
    while lower[position]:
        target = pointers.get(lower[position:])
        if target is not None:
            _remember(pointers, lower, offset, position)
            return name[:position] + (0xC000 | target).to_bytes(2, "big")
        position += 1 + lower[position]
    _remember(pointers, lower, offset)
    return name


def patched(cached: bytes, query: Query) -> bytes:
    """A cached response to the same name and type, as the answer to ``query``: its id, its RD and CD
    flags, and its question name's case. Owner names that repeat the query name are compression pointers to
    the question (dnspython's renderer compresses case-insensitively), so they follow its case too."""
    flags = (cached[2] << 8 | cached[3]) & ~(RD | CD) | (query.flags & (RD | CD))
    end = HEADER_SIZE + len(query.qname)
    return b"".join((_ID_FLAGS.pack(query.id, flags), cached[4:HEADER_SIZE], query.qname, cached[end:]))


_ID_FLAGS = struct.Struct("!HH")


def tcp_frames(buffer: bytearray) -> list[bytes]:
    """The complete length-prefixed messages at the start of ``buffer`` (RFC 1035 §4.2.2), removed from it."""
    messages = []
    while len(buffer) >= 2:
        length = int.from_bytes(buffer[0:2], "big")
        if len(buffer) < 2 + length:
            break
        messages.append(bytes(buffer[2 : 2 + length]))
        del buffer[: 2 + length]
    return messages


def tcp_frame(message: bytes) -> bytes:
    return len(message).to_bytes(2, "big") + message
