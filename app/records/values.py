"""Record values (ResourceRecord ``Value``) checked as Route 53 checks them, and read as DNS rdata.

Route 53 API Reference, ResourceRecord, and Developer Guide, "Supported DNS record types": a value is the
record's presentation format (RFC 1035 §5.1), stored and returned verbatim; names inside it are absolute
whether or not they end in a dot. Each refused value is one ``InvalidChangeBatch`` message; which texts
are AWS's own and which are this service's decisions is in ``docs/record-values.md``.

dnspython parses the values (A, AAAA, TXT/SPF and lone names take a faster direct path to the same
result); the checks dnspython does not make are Route 53's: quoted TXT/SPF/CAA/NAPTR strings, plain
dotted-quad IPv4, CAA tags of letters and digits, printable ASCII only, 4000 characters a value, 400
values a record set, one value for CNAME and SOA, no duplicate values.
"""

import re
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

import dns.exception
import dns.ipv6
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.CNAME
import dns.rdtypes.ANY.NS
import dns.rdtypes.ANY.PTR
import dns.rdtypes.ANY.SPF
import dns.rdtypes.ANY.TXT
import dns.rdtypes.IN.A
import dns.rdtypes.IN.AAAA
import dns.rdtypes.nsbase
import dns.tokenizer

RECORD_TYPES: tuple[str, ...] = (
    "SOA",
    "A",
    "TXT",
    "NS",
    "CNAME",
    "MX",
    "NAPTR",
    "PTR",
    "SRV",
    "SPF",
    "AAAA",
    "CAA",
    "DS",
    "TLSA",
    "SSHFP",
    "SVCB",
    "HTTPS",
)
MAX_VALUES_PER_RECORD_SET = 400
MAX_VALUE_LENGTH = 4000
MAX_CHARACTER_STRING_BYTES = 255
SINGLE_VALUE_TYPES = frozenset({"CNAME", "SOA"})
NAME_TYPES = frozenset({"CNAME", "NS", "PTR"})
STRING_TYPES = frozenset({"TXT", "SPF"})


@dataclass(frozen=True)
class Problem:
    """One Route 53 rdata problem: its code and the description shown in brackets."""

    code: str
    description: str

    def message(self, value: str) -> str:
        return f"Invalid Resource Record: 'FATAL problem: {self.code} ({self.description}) encountered with '{value}''"


class ValueRefused(Exception):
    """A value breaks ``problem``."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.code)
        self.problem = problem


ILLEGAL_IPV4 = Problem("ARRDATAIllegalIPv4Address", "Value is not a valid IPv4 address")
ILLEGAL_IPV6 = Problem("AAAARRDATAIllegalIPv6Address", "Value is not a valid IPv6 address")
NOT_QUOTED = Problem("InvalidCharacterString", "Value should be enclosed in quotation marks")
STRING_TOO_LONG = Problem("CharacterStringTooLong", "Value is too long")
UNSUPPORTED_CHARACTER = Problem("UnsupportedCharacter", "Value contains unsupported characters")
LABEL_EMPTY = Problem("DomainLabelEmpty", "Domain label is empty")
LABEL_TOO_LONG = Problem("DomainLabelTooLong", "Domain label is too long")
NAME_TOO_LONG = Problem("DomainNameTooLong", "Domain name is too long")
ILLEGAL_ESCAPE = Problem("IllegalEscapeSequence", "Value contains an illegal escape sequence")
VALUE_TOO_LONG = Problem("RRDATATooLong", f"Value is longer than {MAX_VALUE_LENGTH} characters")
CAA_ILLEGAL_TAG = Problem("CAARRDATAIllegalTag", "Tag should contain only letters and digits")

NOT_SINGLE_FIELD = {
    rtype: Problem(f"{rtype}RRDATANotSingleField", "Value contains spaces") for rtype in ("A", "AAAA", *NAME_TYPES)
}
NOT_SINGLE_VALUE = {
    rtype: Problem(f"{rtype}RRDATANotSingleValue", f"A {rtype} record set can have only one value")
    for rtype in SINGLE_VALUE_TYPES
}
_SVCB_FORMAT = "a priority from 0 to 65535, a target name and service parameters"
ILLEGAL_FORMAT = {
    rtype: Problem(f"{rtype}RRDATAIllegalFormat", f"Value should be {expected}")
    for rtype, expected in (
        ("SOA", "a primary name server, an administrator mailbox and five numbers"),
        ("MX", "a priority from 0 to 65535 and a mail server name"),
        ("NAPTR", "order and preference from 0 to 65535, quoted flags, service and regexp, and a replacement name"),
        ("SRV", "priority, weight and port from 0 to 65535 and a target name"),
        ("CAA", "flags from 0 to 255, a tag and a quoted value"),
        ("DS", "a key tag, an algorithm, a digest type and a hexadecimal digest of that type's length"),
        ("TLSA", "usage, selector and matching type from 0 to 255 and a hexadecimal certificate association"),
        ("SSHFP", "an algorithm and a fingerprint type from 0 to 255 and a hexadecimal fingerprint"),
        ("SVCB", _SVCB_FORMAT),
        ("HTTPS", _SVCB_FORMAT),
    )
}


def duplicate_message(value: str) -> str:
    """Route 53's text for a value repeated in one record set [real, external-dns #1929]."""
    return f"Duplicate Resource Record: '{value}'"


def too_many_values_message() -> str:
    """The 2017 text [real], with today's limit of 400 values a record set (Route 53 quotas)."""
    return f"Cannot have more than {MAX_VALUES_PER_RECORD_SET} records in a RRSet."


def value_problems(rtype: str, values: Sequence[str]) -> list[str]:
    """Route 53's InvalidChangeBatch messages for the values of one record set of type ``rtype``, one entry
    per problem, in value order, WITHOUT the surrounding [ ] (the caller joins a whole batch's messages as
    "[m1, m2]"). Empty list: all values are valid. Also the set-level rules: more than one value for CNAME
    or SOA, more values than Route 53 allows in one record set, duplicate values if Route 53 refuses them.

    Each bad value gets one message, its first problem. A value equal in meaning to an earlier one (same
    rdata: ``mail.example.com`` and ``MAIL.example.com.``) is a duplicate (RFC 2181 §5: an RRset holds no
    duplicate records). ``rtype`` must be one of RECORD_TYPES (ValueError otherwise).
    """
    check = _check_for(rtype)
    problems: list[str] = []
    seen: set[Hashable] = set()
    for index, value in enumerate(values):
        try:
            identity = check(value)
        except ValueRefused as refused:
            problems.append(refused.problem.message(value))
            continue
        if index and rtype in SINGLE_VALUE_TYPES:
            problems.append(NOT_SINGLE_VALUE[rtype].message(value))
        elif len(values) > 1:  # hashing an rdata costs its canonical wire form
            if identity in seen:
                problems.append(duplicate_message(value))
            seen.add(identity)
    if len(values) > MAX_VALUES_PER_RECORD_SET:
        problems.append(too_many_values_message())
    return problems


def to_rdata(rtype: str, value: str) -> dns.rdata.Rdata:
    """The value (already accepted by value_problems) as a dnspython rdata, for the resolver and the DNS
    server. Names inside values are absolute (Route 53 treats `mail.example.com` as `mail.example.com.`).

    A refused value raises ValueRefused; a type outside RECORD_TYPES, ValueError.
    """
    _check_for(rtype)
    _check_common(value)
    rdtype = dns.rdatatype.from_text(rtype)
    if rtype == "A":
        _ipv4(value)
        return dns.rdtypes.IN.A.A(dns.rdataclass.IN, rdtype, value)  # type: ignore[no-untyped-call]
    if rtype == "AAAA":
        _ipv6(value)
        return dns.rdtypes.IN.AAAA.AAAA(dns.rdataclass.IN, rdtype, value)  # type: ignore[no-untyped-call]
    if rtype == "TXT":
        return dns.rdtypes.ANY.TXT.TXT(dns.rdataclass.IN, rdtype, _character_strings(value))
    if rtype == "SPF":
        return dns.rdtypes.ANY.SPF.SPF(dns.rdataclass.IN, rdtype, _character_strings(value))
    if rtype in NAME_TYPES:
        return _NAME_RDATA[rtype](dns.rdataclass.IN, rdtype, _lone_name(rtype, value))
    return _parsed(rtype, value)


# -- per-type checks: each raises ValueRefused or returns the value's identity (equal for equal rdata) ------


def _check_for(rtype: str) -> Callable[[str], Hashable]:
    try:
        return _CHECKS[rtype]
    except KeyError:
        raise ValueError(f"unknown record type {rtype!r}") from None


def _check_common(value: str) -> None:
    """Every type: at most 4000 characters (model), printable ASCII (other octets are written ``\\ooo``)."""
    if len(value) > MAX_VALUE_LENGTH:
        raise ValueRefused(VALUE_TOO_LONG)
    if not (value.isascii() and value.isprintable()):
        raise ValueRefused(UNSUPPORTED_CHARACTER)


def _check_a(value: str) -> Hashable:
    _check_common(value)
    _ipv4(value)
    return value  # a dotted quad without leading zeros is canonical


def _ipv4(value: str) -> None:
    """Four decimal octets 0 to 255 with no leading zeros and nothing else, as Route 53 requires."""
    if " " in value:
        raise ValueRefused(NOT_SINGLE_FIELD["A"])
    octets = value.split(".")
    if len(octets) != 4:
        raise ValueRefused(ILLEGAL_IPV4)
    for octet in octets:
        if not (octet.isdigit() and len(octet) <= 3 and (octet == "0" or octet[0] != "0") and int(octet) <= 255):
            raise ValueRefused(ILLEGAL_IPV4)


def _check_aaaa(value: str) -> Hashable:
    _check_common(value)
    return _ipv6(value)


def _ipv6(value: str) -> bytes:
    """An RFC 4291 §2.2 address (dnspython's parser: no zone index, embedded IPv4 allowed)."""
    if " " in value:
        raise ValueRefused(NOT_SINGLE_FIELD["AAAA"])
    try:
        return dns.ipv6.inet_aton(value)
    except dns.exception.SyntaxError:
        raise ValueRefused(ILLEGAL_IPV6) from None


def _check_strings(value: str) -> Hashable:
    _check_common(value)
    return _character_strings(value)


_PLAIN_STRINGS = re.compile(r'(?: *"[^"\\]*")+ *')


def _character_strings(value: str) -> tuple[bytes, ...]:
    """TXT/SPF: one or more ``"…"`` character-strings of at most 255 octets each, spaces between them or
    none (RFC 1035 §5.1 escapes ``\\X``, and ``\\ooo`` in octal). Route 53 requires the quotes, which dnspython does
    not, and refuses a string over 255 octets (CharacterStringTooLong, quoting the whole value)."""
    if "\\" not in value and _PLAIN_STRINGS.fullmatch(value):
        strings = [string.encode() for string in value.split('"')[1::2]]
        if any(len(string) > MAX_CHARACTER_STRING_BYTES for string in strings):
            raise ValueRefused(STRING_TOO_LONG)
        return tuple(strings)
    strings = []
    position, end = 0, len(value)
    while True:
        while position < end and value[position] == " ":
            position += 1
        if position == end:
            break
        if value[position] != '"':
            raise ValueRefused(NOT_QUOTED)
        string, position = _quoted_string(value, position + 1)
        if len(string) > MAX_CHARACTER_STRING_BYTES:
            raise ValueRefused(STRING_TOO_LONG)
        strings.append(string)
        if position < end and value[position] not in ' "':
            raise ValueRefused(NOT_QUOTED)
    if not strings:
        raise ValueRefused(NOT_QUOTED)
    return tuple(strings)


def _quoted_string(value: str, position: int) -> tuple[bytes, int]:
    """The octets of the string opening before ``position``, and the position after its closing quote."""
    octets = bytearray()
    end = len(value)
    while position < end:
        char = value[position]
        if char == '"':
            return bytes(octets), position + 1
        if char != "\\":
            octets.append(ord(char))
            position += 1
            continue
        escaped = value[position + 1 : position + 2]
        if not escaped:
            break
        if escaped.isdigit():
            octets.append(_octal_escape(value, position))
            position += 4
        else:
            octets.append(ord(escaped))
            position += 2
    raise ValueRefused(NOT_QUOTED)  # no closing quote


def _octal_escape(value: str, position: int) -> int:
    """The octet of the ``\\ooo`` escape at ``position``: Route 53 writes three *octal* digits (``\\052`` is
    ``*``, ``\\100`` is ``@``), where RFC 1035 §5.1 and dnspython read ``\\DDD`` as decimal."""
    digits = value[position + 1 : position + 4]
    if len(digits) != 3 or not all(digit in "01234567" for digit in digits) or digits[0] > "3":
        raise ValueRefused(ILLEGAL_ESCAPE)
    return int(digits, 8)


def _decimal_escapes(value: str) -> str:
    """The value with Route 53's octal escapes rewritten as the decimal ones dnspython reads."""
    if "\\" not in value:
        return value
    out: list[str] = []
    position, end = 0, len(value)
    while (backslash := value.find("\\", position)) >= 0:
        out.append(value[position:backslash])
        escaped = value[backslash + 1 : backslash + 2]
        if not escaped:
            raise ValueRefused(ILLEGAL_ESCAPE)
        if escaped.isdigit():
            out.append(f"\\{_octal_escape(value, backslash):03d}")
            position = backslash + 4
        else:
            out.append(value[backslash : backslash + 2])
            position = backslash + 2
    out.append(value[position:end])
    return "".join(out)


def _name_check(rtype: str) -> Callable[[str], Hashable]:
    def check(value: str) -> Hashable:
        _check_common(value)
        return _lone_name(rtype, value)

    return check


def _lone_name(rtype: str, value: str) -> dns.name.Name:
    """CNAME, NS, PTR: one domain name, relative names taken as absolute. Every printable character is part
    of the name (Route 53 names allow ``;``, ``(``, ``"``, ``@``…), so no zone-file tokenizing here."""
    if " " in value:
        raise ValueRefused(NOT_SINGLE_FIELD[rtype])
    if not value or value == "@":
        # dnspython reads both as the origin; for Route 53 "" is an empty label and "@" a literal "@".
        if not value:
            raise ValueRefused(LABEL_EMPTY)
        value = "\\@"
    try:
        return dns.name.from_text(_decimal_escapes(value), origin=dns.name.root)
    except dns.exception.DNSException as error:
        raise ValueRefused(_name_problem(error) or LABEL_EMPTY) from None


def _name_problem(error: BaseException) -> Problem | None:
    """The name rule a dnspython error breaks (NameTooLong comes wrapped in a SyntaxError), if any."""
    for cause in (error, error.__cause__):
        if isinstance(cause, dns.name.EmptyLabel):
            return LABEL_EMPTY
        if isinstance(cause, dns.name.LabelTooLong):
            return LABEL_TOO_LONG
        if isinstance(cause, dns.name.NameTooLong):
            return NAME_TOO_LONG
        if isinstance(cause, dns.name.BadEscape):
            return ILLEGAL_ESCAPE
    return None


def _parsed_check(rtype: str) -> Callable[[str], Hashable]:
    def check(value: str) -> Hashable:
        _check_common(value)
        return _parsed(rtype, value)

    return check


_TOKEN_CHECKED_TYPES = frozenset({"CAA", "NAPTR", "SOA"})


def _parsed(rtype: str, value: str) -> dns.rdata.Rdata:
    """The multi-field types, parsed by dnspython from the value as zone-file text (RFC 1035 §5.1 and each
    type's RFC), plus Route 53's stricter rules on quoting, CAA tags and SOA numbers."""
    illegal = ILLEGAL_FORMAT[rtype]
    text = _zone_text(value, illegal)
    tokens = _tokens(text, illegal) if rtype in _TOKEN_CHECKED_TYPES else []
    if rtype == "CAA":
        if len(tokens) > 1 and not (tokens[1].is_identifier() and tokens[1].value.isalnum()):
            raise ValueRefused(CAA_ILLEGAL_TAG)
        if len(tokens) != 3 or not tokens[2].is_quoted_string():
            raise ValueRefused(illegal)
    elif rtype == "NAPTR" and (len(tokens) != 6 or not all(token.is_quoted_string() for token in tokens[2:5])):
        raise ValueRefused(illegal)
    try:
        rdata = dns.rdata.from_text(
            dns.rdataclass.IN, dns.rdatatype.from_text(rtype), text, origin=dns.name.root, relativize=False
        )
    except (dns.exception.DNSException, ValueError) as error:
        raise ValueRefused(_name_problem(error) or illegal) from None
    if rtype == "SOA" and not all(token.value.isdigit() for token in tokens[2:]):
        raise ValueRefused(illegal)  # dnspython also reads BIND units (1h, 2w) in SOA timers
    return rdata


def _zone_text(value: str, illegal: Problem) -> str:
    """The value as zone-file text that dnspython reads as Route 53 does: outside quotes, ``;``, ``(`` and
    ``)`` are literal characters (not a comment or a grouping) and ``@`` alone is a literal ``@`` (not the
    origin), ``\\ooo`` escapes are octal; RFC 3597's generic ``\\#`` form is not Route 53 syntax."""
    if value.split(None, 1)[:1] == ["\\#"]:
        raise ValueRefused(illegal)
    if not any(char in value for char in ";()@"):
        return _decimal_escapes(value)
    out: list[str] = []
    quoted = False
    position, end = 0, len(value)
    while position < end:
        char = value[position]
        if char == "\\":
            escape_end = position + (4 if value[position + 1 : position + 2].isdigit() else 2)
            out.append(_decimal_escapes(value[position:escape_end]))
            position = escape_end
            continue
        if char == '"':
            quoted = not quoted
        elif not quoted and (
            char in ";()"
            or (
                char == "@"
                and (position == 0 or value[position - 1] == " ")
                and (position + 1 == end or value[position + 1] == " ")
            )
        ):
            out.append("\\")
        out.append(char)
        position += 1
    return "".join(out)


def _tokens(text: str, illegal: Problem) -> list[dns.tokenizer.Token]:
    """The zone-file tokens of one value (quoted strings keep their kind)."""
    tokenizer = dns.tokenizer.Tokenizer(text)
    tokens: list[dns.tokenizer.Token] = []
    try:
        while not (token := tokenizer.get()).is_eol_or_eof():
            tokens.append(token)
    except dns.exception.DNSException:
        raise ValueRefused(illegal) from None
    return tokens


_NAME_RDATA: dict[str, type[dns.rdtypes.nsbase.NSBase]] = {
    "CNAME": dns.rdtypes.ANY.CNAME.CNAME,
    "NS": dns.rdtypes.ANY.NS.NS,
    "PTR": dns.rdtypes.ANY.PTR.PTR,
}
_CHECKS: dict[str, Callable[[str], Hashable]] = {
    "A": _check_a,
    "AAAA": _check_aaaa,
    "TXT": _check_strings,
    "SPF": _check_strings,
    **{rtype: _name_check(rtype) for rtype in NAME_TYPES},
    **{rtype: _parsed_check(rtype) for rtype in ILLEGAL_FORMAT},
}
