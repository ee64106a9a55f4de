"""Checking one request's SigV4 signature against the known credentials: the rules, in AWS's order, and the
failure each one gives (``Failure``); the wire codes per protocol are in ``app.auth.responses``.

Order: a signature must be present (``MISSING``), readable (``INCOMPLETE``), by a known access key with its
session token (``UNKNOWN_KEY``, ``EXPIRED_TOKEN``), within five minutes of now, scoped to this service and
its own date, over a body whose hash is what it claims, and right (``MISMATCH``).
"""

import enum
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qsl

from app.auth import sigv4
from app.auth.credentials import StoredCredential

CLOCK_WINDOW = timedelta(minutes=5)  # Route 53 and KMS (reference: 5 min, measured)
INVALID_TOKEN = "The security token included in the request is invalid."
EXPIRED_TOKEN = "The security token included in the request is expired"
MISSING_TOKEN = "Request is missing Authentication Token"
WRONG_SIGNATURE = (
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
    "Access Key and signing method. Consult the service documentation for details."
)


class FailureKind(enum.Enum):
    MISSING = "missing"
    INCOMPLETE = "incomplete"
    UNKNOWN_KEY = "unknown key"
    EXPIRED_TOKEN = "expired token"
    MISMATCH = "mismatch"


class Failure(Exception):
    def __init__(self, kind: FailureKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass(frozen=True)
class SignedRequest:
    """What verification reads of an HTTP request: headers are (name, value) pairs as received."""

    method: str
    raw_path: str
    raw_query: str
    headers: Sequence[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (lower case)."""
        return next((value for key, value in self.headers if key.lower() == name), None)


def verify(
    request: SignedRequest, service: str, credentials: Mapping[str, StoredCredential], now: datetime
) -> StoredCredential:
    """The credential that signed ``request`` for ``service`` (``route53``, ``kms``), or ``Failure``."""
    authorization, token, presigned = _read_authorization(request)
    credential = credentials.get(authorization.credential.access_key)
    if credential is None or token != credential.session_token:
        raise Failure(FailureKind.UNKNOWN_KEY, INVALID_TOKEN)
    if credential.expires is not None and now >= credential.expires:
        raise Failure(FailureKind.EXPIRED_TOKEN, EXPIRED_TOKEN)
    moment = sigv4.parse_timestamp(authorization.timestamp)
    if moment is None:
        raise Failure(
            FailureKind.INCOMPLETE,
            f"Date must be in ISO-8601 'basic format'. Got '{authorization.timestamp}'. See "
            "http://en.wikipedia.org/wiki/ISO_8601",
        )
    skew = sigv4.clock_skew_problem(moment, now, CLOCK_WINDOW)
    if skew is not None:
        raise Failure(FailureKind.MISMATCH, skew)
    _check_scope(authorization, service)
    payload_hash = _payload_hash(request)
    canonical = sigv4.canonical_request(
        request.method,
        request.raw_path,
        request.raw_query,
        request.headers,
        authorization.signed_headers,
        payload_hash,
        presigned=presigned,
    )
    scope = authorization.credential
    key = sigv4.signing_key(credential.secret_access_key, scope.date, scope.region, scope.service)
    expected = sigv4.signature(key, sigv4.string_to_sign(authorization.timestamp, scope.scope, canonical))
    if not sigv4.signatures_match(expected, authorization.signature):
        raise Failure(FailureKind.MISMATCH, WRONG_SIGNATURE)
    return credential


def _read_authorization(request: SignedRequest) -> tuple[sigv4.Authorization, str | None, bool]:
    """The claimed signature, the session token sent with it, and whether it came in the query string."""
    header = request.header("authorization")
    try:
        if header is not None and header.strip():
            timestamp = sigv4.request_timestamp(request.header("x-amz-date"), request.header("date"))
            return sigv4.parse_authorization_header(header, timestamp), request.header("x-amz-security-token"), False
        query = dict(parse_qsl(request.raw_query, keep_blank_values=True))
        if "X-Amz-Algorithm" in query:
            return sigv4.parse_presigned_query(query), query.get("X-Amz-Security-Token"), True
    except sigv4.MalformedSignature as error:
        raise Failure(FailureKind.INCOMPLETE, str(error)) from error
    raise Failure(FailureKind.MISSING, MISSING_TOKEN)


def _check_scope(authorization: sigv4.Authorization, service: str) -> None:
    credential = authorization.credential
    if credential.terminator != sigv4.TERMINATOR:
        raise Failure(
            FailureKind.MISMATCH,
            f"Credential should be scoped with a valid terminator: '{sigv4.TERMINATOR}', not "
            f"'{credential.terminator}'.",
        )
    if credential.service != service:
        raise Failure(FailureKind.MISMATCH, f"Credential should be scoped to correct service: '{service}'.")
    if credential.date != authorization.timestamp[:8]:
        raise Failure(
            FailureKind.MISMATCH,
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            f"'{credential.date}' != '{authorization.timestamp[:8]}', from '{authorization.timestamp}'.",
        )


def _payload_hash(request: SignedRequest) -> str:
    """The body's SHA-256; a claimed ``X-Amz-Content-SHA256`` that is not it is a wrong signature (Route 53
    and KMS sign every payload: there is no ``UNSIGNED-PAYLOAD`` outside S3). A presigned request hashes its
    body the same way (botocore ``SigV4QueryAuth``)."""
    actual = hashlib.sha256(request.body).hexdigest() if request.body else sigv4.EMPTY_SHA256
    claimed = request.header("x-amz-content-sha256")
    if claimed is not None and claimed != actual:
        raise Failure(FailureKind.MISMATCH, WRONG_SIGNATURE)
    return actual
