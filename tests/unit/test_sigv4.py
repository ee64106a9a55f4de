"""SigV4 maths against AWS's published test vector and botocore's signer; header parsing texts; the
credentials file."""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock

import pytest
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from app.auth import sigv4
from app.auth.credentials import CredentialsFileError, StoredCredential, load_credentials, parse_credentials
from app.auth.verify import Failure, FailureKind, SignedRequest, verify

EXAMPLE_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
NOW = datetime(2026, 12, 2, 6, 30, tzinfo=UTC)
CREDENTIALS = {
    "AKIDEXAMPLE": StoredCredential("AKIDEXAMPLE", EXAMPLE_SECRET, "111111111111"),
    "ASIATEMP": StoredCredential("ASIATEMP", "temp-secret", "222222222222", "token-1", NOW + timedelta(hours=1)),
}


def test_aws_test_suite_get_vanilla() -> None:
    """aws-sig-v4-test-suite ``get-vanilla``: the canonical request, string to sign and signature AWS publishes."""
    headers = [("Host", "example.amazonaws.com"), ("X-Amz-Date", "20150830T123600Z")]
    canonical = sigv4.canonical_request("GET", "/", "", headers, ("host", "x-amz-date"), sigv4.EMPTY_SHA256)
    assert canonical == (
        "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    )
    to_sign = sigv4.string_to_sign("20150830T123600Z", "20150830/us-east-1/service/aws4_request", canonical)
    assert to_sign.endswith("bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63")
    key = sigv4.signing_key(EXAMPLE_SECRET, "20150830", "us-east-1", "service")
    assert sigv4.signature(key, to_sign) == "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"


def botocore_signed(
    method: str,
    url: str,
    body: bytes = b"",
    service: str = "route53",
    access_key: str = "AKIDEXAMPLE",
    secret: str = EXAMPLE_SECRET,
    token: str | None = None,
    at: datetime = NOW,
    presign: bool = False,
) -> SignedRequest:
    request = AWSRequest(method=method, url=url, data=body, headers={"Content-Type": "text/xml"})
    signer_type = SigV4QueryAuth if presign else SigV4Auth
    with mock.patch("botocore.auth.get_current_datetime", return_value=at.replace(tzinfo=None)):
        signer_type(Credentials(access_key, secret, token), service, "us-east-1").add_auth(request)
    prepared = request.prepare()
    split = prepared.url.split("?", 1)
    path = split[0].split("://", 1)[1].split("/", 1)[1]
    headers = [("host", "route53.example"), *((name, value) for name, value in prepared.headers.items())]
    return SignedRequest(method, "/" + path, split[1] if len(split) > 1 else "", headers, prepared.body or b"")


@pytest.mark.parametrize(
    "url",
    [
        "http://route53.example/2013-04-01/hostedzone",
        "http://route53.example/2013-04-01/hostedzone?maxitems=2&marker=Z%2F1",
        "http://route53.example/2013-04-01/hostedzone/Z1/rrset?name=a%20b.example.com.&type=A",
        "http://route53.example/2013-04-01/hostedzone/./Z1/../Z2//rrset",
        "http://route53.example/2013-04-01/healthcheck/%7Eodd%20id",
    ],
)
def test_botocore_signatures_verify(url: str) -> None:
    assert verify(botocore_signed("GET", url), "route53", CREDENTIALS, NOW).account_id == "111111111111"


def test_botocore_presigned_query_verifies() -> None:
    signed = botocore_signed("GET", "http://route53.example/2013-04-01/hostedzone?maxitems=1", presign=True)
    assert verify(signed, "route53", CREDENTIALS, NOW).account_id == "111111111111"


def test_body_is_signed_with_or_without_a_content_hash_header() -> None:
    signed = botocore_signed("POST", "http://route53.example/", b'{"KeyId":"k"}', service="kms")
    assert verify(signed, "kms", CREDENTIALS, NOW).account_id == "111111111111"
    changed = SignedRequest(signed.method, signed.raw_path, signed.raw_query, signed.headers, b'{"KeyId":"x"}')
    assert failure_of(changed, "kms").kind is FailureKind.MISMATCH
    claimed = [*signed.headers, ("X-Amz-Content-SHA256", "0" * 64)]
    with_claim = SignedRequest(signed.method, signed.raw_path, signed.raw_query, claimed, signed.body)
    assert failure_of(with_claim, "kms").kind is FailureKind.MISMATCH


def failure_of(request: SignedRequest, service: str = "route53", now: datetime = NOW) -> Failure:
    with pytest.raises(Failure) as raised:
        verify(request, service, CREDENTIALS, now)
    return raised.value


def with_authorization(value: str | None, date: bool = True) -> SignedRequest:
    headers = [("host", "route53.example")]
    if date:
        headers.append(("X-Amz-Date", "20261202T063000Z"))
    if value is not None:
        headers.append(("Authorization", value))
    return SignedRequest("GET", "/2013-04-01/hostedzone", "", headers, b"")


def test_missing_and_malformed_headers() -> None:
    assert (failure_of(with_authorization(None)).kind, failure_of(with_authorization(None)).message) == (
        FailureKind.MISSING,
        "Request is missing Authentication Token",
    )
    raw = "AWS4-HMAC-SHA256 SignedHeaders=host"
    failure = failure_of(with_authorization(raw, date=False))
    assert failure.kind is FailureKind.INCOMPLETE
    assert failure.message == (
        "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' "
        "parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
        f"Authorization={raw}"
    )
    raw = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261202/us-east-1/route53/aws4_request, oops"
    assert failure_of(with_authorization(raw)).message == (
        f"'oops' not a valid key=value pair (missing equal-sign) in Authorization header: '{raw}'."
    )
    assert failure_of(with_authorization("Bearer=abc")).message == "Unsupported AWS 'algorithm': 'Bearer=abc'."
    raw = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261202, SignedHeaders=host, Signature=00"
    assert (
        failure_of(with_authorization(raw)).message == "Credential should have at least 5 slash-separated parts, not 2."
    )


def test_unknown_key_token_and_expiry() -> None:
    url = "http://route53.example/2013-04-01/hostedzone"
    assert failure_of(botocore_signed("GET", url, access_key="AKIDUNKNOWN")).kind is FailureKind.UNKNOWN_KEY
    assert failure_of(botocore_signed("GET", url, secret="wrong")).message.startswith("The request signature we")
    temporary = {"access_key": "ASIATEMP", "secret": "temp-secret"}
    assert verify(botocore_signed("GET", url, token="token-1", **temporary), "route53", CREDENTIALS, NOW)
    assert failure_of(botocore_signed("GET", url, token="token-2", **temporary)).kind is FailureKind.UNKNOWN_KEY
    assert failure_of(botocore_signed("GET", url, **temporary)).kind is FailureKind.UNKNOWN_KEY
    late = NOW + timedelta(hours=2)
    expired = failure_of(botocore_signed("GET", url, token="token-1", at=late, **temporary), now=late)
    assert (expired.kind, expired.message) == (
        FailureKind.EXPIRED_TOKEN,
        "The security token included in the request is expired",
    )


def test_clock_window_texts() -> None:
    url = "http://route53.example/2013-04-01/hostedzone"
    early = failure_of(botocore_signed("GET", url, at=NOW - timedelta(minutes=30)))
    assert early.message == (
        "Signature expired: 20261202T060000Z is now earlier than 20261202T062500Z (20261202T063000Z - 5 min.)"
    )
    late = failure_of(botocore_signed("GET", url, at=NOW + timedelta(minutes=30)))
    assert late.message == (
        "Signature not yet current: 20261202T070000Z is still later than 20261202T063500Z (20261202T063000Z + 5 min.)"
    )
    inside = botocore_signed("GET", url, at=NOW - timedelta(minutes=4, seconds=59))
    assert verify(inside, "route53", CREDENTIALS, NOW)


def test_scope_must_name_the_service() -> None:
    signed = botocore_signed("POST", "http://route53.example/", b"{}", service="kms")
    assert failure_of(signed, "route53").message == "Credential should be scoped to correct service: 'route53'."


def test_credentials_file(tmp_path: Path) -> None:
    text = "# comment\nAKID1 secret1 111111111111\n\nASIA2 secret2 222222222222 tok 2026-12-02T08:00:00Z # temp\n"
    parsed = parse_credentials(text, "creds")
    assert parsed["AKID1"] == StoredCredential("AKID1", "secret1", "111111111111")
    assert parsed["ASIA2"].expires == datetime(2026, 12, 2, 8, tzinfo=UTC)
    for bad, problem in [
        ("AKID1 secret1", "creds line 1: expected 'access_key_id secret_access_key account_id"),
        ("AKID1 secret1 1234", "creds line 1: the account id must be 12 digits, not '1234'"),
        ("A s 111111111111\nA s 111111111111", "creds line 2: access key id 'A' appears twice"),
        ("A s 111111111111 t tomorrow", "creds line 1: expires must be an ISO 8601 time with a zone"),
        ("# nothing", "creds: no credentials"),
    ]:
        with pytest.raises(CredentialsFileError, match="^" + problem.replace("(", r"\(")):
            parse_credentials(bad, "creds")
    with pytest.raises(CredentialsFileError, match="needs R53_CREDENTIALS_FILE"):
        load_credentials(None)
    with pytest.raises(CredentialsFileError, match="cannot read"):
        load_credentials(tmp_path / "missing")
