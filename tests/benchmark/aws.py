"""Pre-built Route 53 and KMS request bytes, and the few response fields the benchmark reads."""

import json
import re

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.kms_keys import DNSSEC_POLICY

NS = "https://route53.amazonaws.com/doc/2013-04-01/"
ZONES = "/2013-04-01/hostedzone"
# Unchecked by both servers; the credential scope routes moto to the service and the region.
AUTH = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0"
ROUTE53_HEADERS = {"Authorization": AUTH.format(service="route53")}
# ``--sigv4``: the credential every request is signed with (botocore's signer, at the time it is built), the
# line of the server's R53_CREDENTIALS_FILE.
SIGNING_CREDENTIALS = Credentials("AKIABENCHMARK", "benchmark-secret")
CREDENTIALS_LINE = "AKIABENCHMARK benchmark-secret 123456789012\n"
signing = False


_ZONE_ID = re.compile(rb"<HostedZone>\s*<Id>/hostedzone/([^<]+)</Id>")
_ALL_ZONE_IDS = re.compile(rb"<Id>/hostedzone/([^<]+)</Id>")
_NEXT_MARKER = re.compile(rb"<NextMarker>([^<]*)</NextMarker>")


def http_request(host: str, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None) -> bytes:
    """Serialise one HTTP/1.1 keep-alive request (signed with SigV4 when ``signing``)."""
    headers = signed(host, method, path, body, headers or {}) if signing else headers or {}
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", *(f"{k}: {v}" for k, v in headers.items())]
    if body or method in ("POST", "PUT"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def signed(host: str, method: str, path: str, body: bytes, headers: dict[str, str]) -> dict[str, str]:
    """``headers`` with botocore's SigV4 ``Authorization`` and ``X-Amz-Date`` for this request."""
    service = "kms" if path == "/" and method == "POST" else "route53"
    unsigned = {name: value for name, value in headers.items() if name != "Authorization"}
    request = AWSRequest(method=method, url=f"http://{host}{path}", data=body, headers=unsigned)
    SigV4Auth(SIGNING_CREDENTIALS, service, "us-east-1").add_auth(request)
    return dict(request.headers.items())


def route53(host: str, method: str, path: str, body: str = "") -> bytes:
    """A Route 53 REST-XML request."""
    headers = {**ROUTE53_HEADERS, **({"Content-Type": "application/xml"} if body else {})}
    return http_request(host, method, path, body.encode(), headers)


def create_zone(host: str, name: str, reference: str) -> bytes:
    """CreateHostedZone for a public zone."""
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?><CreateHostedZoneRequest xmlns="{NS}">'
        f"<Name>{name}</Name><CallerReference>{reference}</CallerReference></CreateHostedZoneRequest>"
    )
    return route53(host, "POST", ZONES, body)


def create_ksk(host: str, zone_id: str, key_arn: str, reference: str) -> bytes:
    """CreateKeySigningKey ``ksk1``, ACTIVE."""
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?><CreateKeySigningKeyRequest xmlns="{NS}">'
        f"<CallerReference>{reference}</CallerReference><HostedZoneId>{zone_id}</HostedZoneId>"
        f"<KeyManagementServiceArn>{key_arn}</KeyManagementServiceArn><Name>ksk1</Name>"
        "<Status>ACTIVE</Status></CreateKeySigningKeyRequest>"
    )
    return route53(host, "POST", "/2013-04-01/keysigningkey", body)


def change_record_sets(host: str, zone_id: str, changes: list[tuple[str, str, str]]) -> bytes:
    """ChangeResourceRecordSets with ``(action, name, IPv4 address)`` A-record changes, TTL 300."""
    items = "".join(
        f"<Change><Action>{action}</Action><ResourceRecordSet><Name>{name}</Name><Type>A</Type><TTL>300</TTL>"
        f"<ResourceRecords><ResourceRecord><Value>{value}</Value></ResourceRecord></ResourceRecords>"
        "</ResourceRecordSet></Change>"
        for action, name, value in changes
    )
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?><ChangeResourceRecordSetsRequest xmlns="{NS}">'
        f"<ChangeBatch><Changes>{items}</Changes></ChangeBatch></ChangeResourceRecordSetsRequest>"
    )
    return route53(host, "POST", f"{ZONES}/{zone_id}/rrset/", body)


def create_kms_key(host: str) -> bytes:
    """KMS CreateKey for an ECC_NIST_P256 signing key usable by Route 53 DNSSEC."""
    body = json.dumps({"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY", "Policy": DNSSEC_POLICY})
    headers = {
        "Authorization": AUTH.format(service="kms"),
        "X-Amz-Target": "TrentService.CreateKey",
        "Content-Type": "application/x-amz-json-1.1",
    }
    return http_request(host, "POST", "/", body.encode(), headers)


def zone_id(body: bytes) -> str:
    """The bare zone id from a CreateHostedZone or GetHostedZone response."""
    match = _ZONE_ID.search(body)
    if match is None:
        raise ValueError(f"no zone id in {body[:200]!r}")
    return match.group(1).decode()


def key_arn(body: bytes) -> str:
    """``KeyMetadata.Arn`` from a KMS CreateKey response."""
    return str(json.loads(body)["KeyMetadata"]["Arn"])


def list_page(body: bytes) -> tuple[list[str], str | None]:
    """Zone ids and NextMarker (None on the last page) of a ListHostedZones response."""
    ids = [m.decode() for m in _ALL_ZONE_IDS.findall(body)]
    marker = _NEXT_MARKER.search(body) if b"<IsTruncated>true</IsTruncated>" in body else None
    return ids, marker.group(1).decode() if marker else None
