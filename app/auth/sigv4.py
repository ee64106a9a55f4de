"""Signature Version 4 maths and header parsing, as pure functions (AWS General Reference, "Signature Version 4
signing process"; botocore ``botocore/auth.py`` ``SigV4Auth`` is the reference implementation).

A request is signed over its canonical form::

    method \\n canonical URI \\n canonical query \\n canonical headers \\n\\n signed headers \\n payload hash

then over the string to sign ``AWS4-HMAC-SHA256 \\n <x-amz-date> \\n <scope> \\n hex(sha256(canonical request))``
with a key derived from the secret, the scope's date, region and service (``signing_key``, cached: the chain
of four HMACs costs more than the rest of a verification).

The canonical URI is the path *as sent* (already percent-encoded by the client), with dot segments and
empty segments removed, percent-encoded once more (every AWS service but S3 encodes twice). The canonical
query decodes every name and value and encodes it again in RFC 3986 form, sorted by name then value.
"""

import hashlib
import hmac
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import lru_cache
from urllib.parse import quote, unquote

ALGORITHM = "AWS4-HMAC-SHA256"
TERMINATOR = "aws4_request"
TIMESTAMP_FORMAT = "%Y%m%dT%H%M%SZ"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
SIGNATURE_PARAMETER = "X-Amz-Signature"  # the one query parameter a presigned request does not sign
_TIMESTAMP = re.compile(r"[0-9]{8}T[0-9]{6}Z")
_REQUIRED = ("Credential", "Signature", "SignedHeaders")


class MalformedSignature(Exception):
    """The Authorization header (or presigned query) cannot be read: AWS's ``IncompleteSignature``."""


@dataclass(frozen=True)
class Credential:
    """The ``Credential=`` part: ``<access key>/<date>/<region>/<service>/aws4_request``."""

    access_key: str
    date: str
    region: str
    service: str
    terminator: str

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{self.service}/{self.terminator}"


@dataclass(frozen=True)
class Authorization:
    """What a signed request claims: its credential, the headers it signed, its signature, its time."""

    credential: Credential
    signed_headers: tuple[str, ...]
    signature: str
    timestamp: str  # YYYYMMDDTHHMMSSZ


def parse_credential(text: str) -> Credential:
    parts = text.split("/")
    if len(parts) < 5:
        raise MalformedSignature(f"Credential should have at least 5 slash-separated parts, not {len(parts)}.")
    access_key = "/".join(parts[:-4])  # an access key cannot hold '/', but AWS reads from the right
    date, region, service, terminator = parts[-4:]
    return Credential(access_key, date, region, service, terminator)


def parse_authorization_header(header: str, timestamp: str | None) -> Authorization:
    """The parts of an ``Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`` header;
    ``timestamp`` is the request's ``X-Amz-Date`` (or ``Date``) in SigV4 form, None when it has neither.

    Raises ``MalformedSignature`` with AWS's texts: each missing parameter (and a missing date) named in one
    message ending ``Authorization=<header>``, or the first part without ``=``.
    """
    algorithm, _, rest = header.strip().partition(" ")
    parameters: dict[str, str] = {}
    for part in rest.split(","):
        part = part.strip()
        if not part:
            continue
        name, equals, value = part.partition("=")
        if not equals:
            raise MalformedSignature(
                f"'{part}' not a valid key=value pair (missing equal-sign) in Authorization header: '{header}'."
            )
        parameters[name.strip()] = value.strip()
    if algorithm != ALGORITHM:
        raise MalformedSignature(f"Unsupported AWS 'algorithm': '{algorithm}'.")
    problems = [f"Authorization header requires '{name}' parameter." for name in _REQUIRED if name not in parameters]
    if timestamp is None:
        problems.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
    if problems:
        raise MalformedSignature(" ".join([*problems, f"Authorization={header}"]))
    assert timestamp is not None
    return Authorization(
        credential=parse_credential(parameters["Credential"]),
        signed_headers=tuple(parameters["SignedHeaders"].split(";")),
        signature=parameters["Signature"],
        timestamp=timestamp,
    )


def parse_presigned_query(query: dict[str, str]) -> Authorization:
    """The parts of a presigned request's ``X-Amz-*`` query parameters (``X-Amz-Algorithm`` present)."""
    if query.get("X-Amz-Algorithm") != ALGORITHM:
        raise MalformedSignature(f"Unsupported AWS 'algorithm': '{query.get('X-Amz-Algorithm')}'.")
    required = ("X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date")
    problems = [f"AWS query-string parameters must include '{name}'." for name in required if name not in query]
    if problems:
        raise MalformedSignature(" ".join([*problems, "Re-examine the query-string parameters."]))
    return Authorization(
        credential=parse_credential(query["X-Amz-Credential"]),
        signed_headers=tuple(query["X-Amz-SignedHeaders"].split(";")),
        signature=query["X-Amz-Signature"],
        timestamp=query["X-Amz-Date"],
    )


def request_timestamp(amz_date: str | None, date: str | None) -> str | None:
    """The request time in SigV4 form: ``X-Amz-Date`` when present (a Date header is then ignored), else the
    RFC 7231 ``Date`` header converted; None when neither is there or usable."""
    if amz_date is not None:
        return amz_date
    if date is None:
        return None
    try:
        return parsedate_to_datetime(date).astimezone(UTC).strftime(TIMESTAMP_FORMAT)
    except (TypeError, ValueError):
        return None


def parse_timestamp(timestamp: str) -> datetime | None:
    if not _TIMESTAMP.fullmatch(timestamp):
        return None
    try:
        return datetime.strptime(timestamp, TIMESTAMP_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def clock_skew_problem(timestamp: datetime, now: datetime, window: timedelta) -> str | None:
    """AWS's text for a request time outside ``now ± window``, or None when it is inside."""
    minutes = int(window.total_seconds() // 60)
    if timestamp < now - window:
        return (
            f"Signature expired: {_stamp(timestamp)} is now earlier than {_stamp(now - window)} "
            f"({_stamp(now)} - {minutes} min.)"
        )
    if timestamp > now + window:
        return (
            f"Signature not yet current: {_stamp(timestamp)} is still later than {_stamp(now + window)} "
            f"({_stamp(now)} + {minutes} min.)"
        )
    return None


def _stamp(moment: datetime) -> str:
    return moment.strftime(TIMESTAMP_FORMAT)


def remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4, and empty segments dropped, as AWS services (but S3) normalise the path."""
    if not path:
        return "/"
    segments: list[str] = []
    for segment in path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
        else:
            segments.append(segment)
    leading = "/" if path.startswith("/") else ""
    trailing = "/" if path.endswith("/") and segments else ""
    return leading + "/".join(segments) + trailing


def canonical_uri(raw_path: str) -> str:
    return quote(remove_dot_segments(raw_path), safe="/~")


def canonical_query(raw_query: str, exclude: str | None = None) -> str:
    """Every ``name=value`` of the query (``exclude``: a name left out), decoded, RFC 3986-encoded, sorted."""
    pairs = []
    for pair in raw_query.split("&"):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        name, value = unquote(name), unquote(value)
        if name == exclude:
            continue
        pairs.append((quote(name, safe="-_.~"), quote(value, safe="-_.~")))
    return "&".join(f"{name}={value}" for name, value in sorted(pairs))


def canonical_headers(headers: Iterable[tuple[str, str]], signed: Sequence[str]) -> str:
    """``name:value`` lines of the ``signed`` headers (lower-case names; repeated headers joined by ``,``;
    runs of spaces in a value made one), in ``signed``'s order; a signed header the request lacks is empty."""
    values: dict[str, list[str]] = {name: [] for name in signed}
    for name, value in headers:
        lower = name.lower()
        if lower in values:
            values[lower].append(" ".join(value.split()))
    return "".join(f"{name}:{','.join(values[name])}\n" for name in signed)


def canonical_request(
    method: str,
    raw_path: str,
    raw_query: str,
    headers: Iterable[tuple[str, str]],
    signed_headers: Sequence[str],
    payload_hash: str,
    presigned: bool = False,
) -> str:
    return "\n".join(
        [
            method.upper(),
            canonical_uri(raw_path),
            canonical_query(raw_query, exclude=SIGNATURE_PARAMETER if presigned else None),
            canonical_headers(headers, signed_headers),
            ";".join(signed_headers),
            payload_hash,
        ]
    )


def string_to_sign(timestamp: str, scope: str, request: str) -> str:
    return "\n".join([ALGORITHM, timestamp, scope, hashlib.sha256(request.encode()).hexdigest()])


@lru_cache(maxsize=1024)
def signing_key(secret: str, date: str, region: str, service: str) -> bytes:
    """``HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")``, cached per scope."""
    key = ("AWS4" + secret).encode()
    for part in (date, region, service, TERMINATOR):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def signature(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def signatures_match(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode())
