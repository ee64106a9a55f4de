"""Route 53 record names: parsing what clients send, the form Route 53 returns, and its list order.

Route 53 Developer Guide, "DNS domain name format": letters are case-insensitive and stored lower-case; a
name may end with a dot or not; characters other than ``a-z``, ``0-9``, ``-`` and ``_`` may be sent raw (the
printable ones) or as ``\\ooo`` **octal** escapes, and are returned as ``\\ooo`` (``*`` → ``\\052``, ``@`` →
``\\100``). A leftmost ``*`` label is a wildcard (RFC 4592). Labels are 1-63 octets, names at most 255
(RFC 1035 §2.3.4). ListResourceRecordSets orders names by their labels reversed (``com.example.www.``),
compared as ASCII strings of the returned form.
"""

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache

import dns.name

_PLAIN = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789-_")
_PLAIN_LABEL = re.compile(rb"[a-z0-9_-]*")
_PRINTABLE = frozenset(range(0x21, 0x7F))  # what may be sent unescaped; the rest needs \ooo
_OCTAL_ESCAPE = re.compile(r"\\([0-3][0-7]{2})")
MAX_LABEL = 63
MAX_NAME = 255


class NameProblem(ValueError):
    """A name Route 53 refuses; ``message`` is Route 53's ``FATAL problem: …`` text."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RecordName:
    """A parsed name: its labels (lower-case octets, leftmost first) and the form Route 53 returns."""

    labels: tuple[bytes, ...]

    @cached_property
    def text(self) -> str:
        """Route 53's returned form: lower-case, ``\\ooo`` escapes, trailing dot (worked out once per name:
        the writer, the list order and the response all ask for it)."""
        return "".join(escape_label(label) + "." for label in self.labels) or "."

    @cached_property
    def sort_key(self) -> str:
        """Labels reversed, as ListResourceRecordSets orders names (``com.example.www.``)."""
        return "".join(escape_label(label) + "." for label in reversed(self.labels)) or "."

    @property
    def is_wildcard(self) -> bool:
        return bool(self.labels) and self.labels[0] == b"*"

    def is_within(self, zone: "RecordName") -> bool:
        """True when this name is the zone's apex or below it, label by label (``badexample.com.`` is not
        in ``example.com.``)."""
        count = len(zone.labels)
        return count == 0 or self.labels[-count:] == zone.labels

    def to_dns(self) -> dns.name.Name:
        return dns.name.Name([*self.labels, b""])


def escape_label(label: bytes) -> str:
    """One label as Route 53 returns it: ``a-z0-9-_`` as they are, every other octet as ``\\ooo``."""
    if _PLAIN_LABEL.fullmatch(label):
        return label.decode("ascii")
    return "".join(chr(octet) if octet in _PLAIN else f"\\{octet:03o}" for octet in label)


@lru_cache(maxsize=4096)
def parse_name(text: str) -> RecordName:
    """Parse a name as a client sends it (raw printable characters or ``\\ooo`` octal escapes, any case,
    trailing dot optional); ``NameProblem`` with Route 53's message when it is not a valid name."""
    if text in ("", "."):
        raise NameProblem(f"FATAL problem: DomainNameEmpty (Domain name is empty) encountered with '{text}'")
    body = text[:-1] if text.endswith(".") else text
    labels: list[bytes] = []
    for part in body.split("."):
        label = _label_octets(part, text)
        if not label:
            raise NameProblem(f"FATAL problem: DomainLabelEmpty (Domain label is empty) encountered with '{text}'")
        if len(label) > MAX_LABEL:
            raise NameProblem(f"FATAL problem: LabelTooLong (Domain label is too long) encountered with '{text}'")
        labels.append(label.lower())
    if sum(len(label) + 1 for label in labels) + 1 > MAX_NAME:
        raise NameProblem(f"FATAL problem: DomainNameTooLong (Domain name is too long) encountered with '{text}'")
    return RecordName(tuple(labels))


def _label_octets(part: str, whole: str) -> bytes:
    """The octets of one label: raw printable ASCII, with ``\\ooo`` octal escapes decoded."""
    out = bytearray()
    position = 0
    for match in _OCTAL_ESCAPE.finditer(part):
        out += _raw_octets(part[position : match.start()], whole)
        out.append(int(match.group(1), 8))
        position = match.end()
    out += _raw_octets(part[position:], whole)
    return bytes(out)


def _raw_octets(chunk: str, whole: str) -> bytes:
    for char in chunk:
        if ord(char) not in _PRINTABLE:
            raise NameProblem(
                "FATAL problem: UnsupportedCharacter (Value contains unsupported characters) "
                f"encountered with '{whole}'"
            )
    return chunk.encode("ascii")


def from_dns(name: dns.name.Name) -> RecordName:
    """A dnspython name (absolute) as a RecordName, lower-cased."""
    return RecordName(tuple(label.lower() for label in name.labels if label))
