"""Seeded mutations of valid requests at both APIs on the real server (issue 11, item 3): not one may answer a 5xx
or log a traceback. Valid Route 53 XML and KMS JSON requests are mutated at the byte level (flips, cuts,
repeats, odd bytes), the structure level (values replaced by long, empty, control-character, deeply nested or
wrongly typed ones; members dropped, repeated or invented; entities and DTDs) and the envelope (ids, query
strings, credential scopes, content types)."""

import json
import random
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx

from app.protocol.kms import CONTENT_TYPE
from tests.conftest import LiveServer
from tests.kms_keys import DNSSEC_POLICY
from tests.wire import NAMESPACE, create_ksk_body, create_zone_body

SEED = 20261201
REQUESTS_PER_API = 1500

Request = tuple[str, str, dict[str, str], bytes]  # method, path with query, headers, body
ODD_TEXT = [
    "",
    " ",
    "a" * 129,
    "b" * 1025,
    "c" * 70_000,
    "é" * 300,
    "\u202e\u0000",
    "😀" * 50,
    "%00",
    "../../etc/passwd",
    "-1",
    "99999999999999999999",
    "1e400",
    "true",
    "null",
    "&#0;",
    "&#x1;",
    "&amp;",
    "<x/>",
    "]]>",
    "'\"",
    "ACTIVE",
    "INACTIVE",
    "us-east-1",
    "arn:aws:kms:us-east-1:123456789012:key/" + "0" * 36,
]
ODD_BYTES = [b"\x00", b"\xff", b"\xc3", b"\xed\xa0\x80", b"<", b">", b"&", b"]]>", b'"', b"{", b"}", b"[", b"\\"]


def odd_text(rng: random.Random) -> str:
    return rng.choice(ODD_TEXT)


def mutate_bytes(rng: random.Random, body: bytes) -> bytes:
    if not body:
        return rng.choice(ODD_BYTES)
    at = rng.randrange(len(body))
    kind = rng.randrange(5)
    if kind == 0:
        return body[:at] + bytes([body[at] ^ (1 << rng.randrange(8))]) + body[at + 1 :]
    if kind == 1:
        return body[:at] + body[at + rng.randint(1, 40) :]
    if kind == 2:
        return body[:at] + body[at : at + 40] * rng.randint(2, 50) + body[at:]
    if kind == 3:
        return body[:at] + rng.choice(ODD_BYTES) + body[at:]
    return body[:at]


def mutate_xml(rng: random.Random, body: bytes) -> bytes:
    try:
        text = body.decode()
    except UnicodeDecodeError:  # mutated already
        return mutate_bytes(rng, body)
    kind = rng.randrange(7)
    starts = [i for i, c in enumerate(text) if c == ">" and i + 1 < len(text) and text[i + 1] != "<"]
    if kind == 0 and starts:  # replace one element's text
        at = rng.choice(starts) + 1
        end = text.find("<", at) % (len(text) + 1)  # to the end when no tag follows
        return (text[:at] + escape_xml(odd_text(rng)) + text[end:]).encode()
    if kind == 1:  # deep nesting inside the root
        depth = rng.choice([10, 100, 1000, 5000])
        inner = "<N>" * depth + "</N>" * depth
        return text.replace("</", inner + "</", 1).encode()
    if kind == 2:  # an entity or a DTD
        dtd = '<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
        return (dtd + text.replace("<Name>", "<Name>&b;", 1)).encode()
    if kind == 3:  # wrong or no namespace
        return text.replace(NAMESPACE, rng.choice(["", "urn:other", NAMESPACE + "x"])).encode()
    if kind == 4:  # repeat an element (or whatever follows the root's start tag)
        first = text.find("<", text.find(">") + 1) % (len(text) + 1)
        close = text.find(">", text.find("</", first) + 1) % (len(text) + 1) + 1
        return (text[:first] + text[first:close] * rng.randint(2, 5) + text[first:]).encode()
    if kind == 5:  # an unknown element
        return text.replace("</", f"<Unknown{rng.randrange(9)}>{escape_xml(odd_text(rng))}</Unknown0></", 1).encode()
    return mutate_bytes(rng, body)


def escape_xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;") if "&#" not in text else text


def odd_json_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(9)
    if kind == 0:
        return odd_text(rng)
    if kind == 1:
        return rng.choice([0, -1, 2**31, 2**63, 10**30, 1.5, -0.0])
    if kind == 2:
        return rng.choice([True, False, None])
    if kind == 3 and depth < 3:
        return [odd_json_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    if kind == 4 and depth < 3:
        return {odd_text(rng)[:20]: odd_json_value(rng, depth + 1) for _ in range(rng.randint(0, 4))}
    if kind == 5:
        nested: Any = odd_text(rng)
        for _ in range(rng.choice([10, 62, 63, 64, 65, 100])):
            nested = [nested]
        return nested
    if kind == 6:
        return "\ud800"  # a lone surrogate, sent as the escape "\ud800"
    if kind == 7:
        return json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*" * 30 + "x"}]})
    return "[" * 2000 + "]" * 2000


def mutate_json(rng: random.Random, body: bytes) -> bytes:
    try:
        members = json.loads(body)
    except (ValueError, RecursionError):  # mutated already
        return mutate_bytes(rng, body)
    if not isinstance(members, dict):
        return mutate_bytes(rng, body)
    kind = rng.randrange(6)
    if kind == 5:  # nesting deeper than json.dumps goes, spliced in as text
        depth = rng.choice([400, 900, 989, 3000])
        member = rng.choice(["KeyId", "Policy", "Tags", "Unknown"])
        return json.dumps(members).encode()[:-1] + f', "{member}": {"[" * depth}{"]" * depth}}}'.encode()
    if kind == 0 and members:
        members[rng.choice(sorted(members))] = odd_json_value(rng)
    elif kind == 1 and members:
        del members[rng.choice(sorted(members))]
    elif kind == 2:
        members[rng.choice(["KeyId", "Policy", "Tags", "Limit", "Marker", "Unknown", "Message", "Signature"])] = (
            odd_json_value(rng)
        )
    elif kind == 3:
        return mutate_bytes(rng, body)
    else:
        return json.dumps(odd_json_value(rng)).encode()
    return json.dumps(members).encode()


def mutate_path(rng: random.Random, path: str) -> str:
    base, _, query = path.partition("?")
    segments = base.split("/")
    kind = rng.randrange(4)
    if kind == 0 and len(segments) > 3:
        at = rng.randrange(3, len(segments))
        segments[at] = quote(odd_text(rng)[:600], safe="")
    elif kind == 1:
        query = "&".join(
            f"{name}={quote(odd_text(rng)[:300], safe='')}"
            for name in rng.sample(["maxitems", "marker", "dnsname", "hostedzoneid", "name", "type"], 2)
        )
    elif kind == 2:
        segments.append(rng.choice(["", "x", "%2F", "%00", ".."]))
    else:
        return path
    return "/".join(segments) + (f"?{query}" if query else "")


def mutate_headers(rng: random.Random, headers: dict[str, str]) -> dict[str, str]:
    mutated = dict(headers)
    kind = rng.randrange(4)
    if kind == 0:
        region = rng.choice(["us-" + "east-" * 30 + "1", "", "x", "us-east-1/kms", "ü", "eu-west-99"])
        mutated["Authorization"] = (
            f"AWS4-HMAC-SHA256 Credential=test/20260101/{region}/kms/aws4_request, SignedHeaders=host, Signature=0"
        )
    elif kind == 1:
        mutated["Content-Type"] = rng.choice(["text/plain", "application/json", "", "multipart/form-data; boundary=x"])
    elif kind == 2 and "X-Amz-Target" in mutated:
        mutated["X-Amz-Target"] = rng.choice(["TrentService.", "TrentService.Nope", "Other.ListKeys", "TrentService"])
    return mutated


def route53_templates(zone_id: str, key_arn: str) -> list[Request]:
    xml = {"Content-Type": "text/xml"}
    tags = (
        f'<ChangeTagsForResourceRequest xmlns="{NAMESPACE}"><AddTags><Tag><Key>k</Key><Value>v</Value></Tag>'
        "</AddTags><RemoveTagKeys><Key>old</Key></RemoveTagKeys></ChangeTagsForResourceRequest>"
    )
    comment = (
        f'<UpdateHostedZoneCommentRequest xmlns="{NAMESPACE}"><Comment>c</Comment></UpdateHostedZoneCommentRequest>'
    )
    ksk = create_ksk_body(
        CallerReference="fuzz", HostedZoneId=zone_id, KeyManagementServiceArn=key_arn, Name="fuzz_ksk", Status="ACTIVE"
    )
    return [
        ("POST", "/2013-04-01/hostedzone", xml, create_zone_body("fuzz.example", "fuzz-ref", comment="c").encode()),
        ("POST", "/2013-04-01/keysigningkey", xml, ksk.encode()),
        ("POST", f"/2013-04-01/tags/hostedzone/{zone_id}", xml, tags.encode()),
        ("POST", f"/2013-04-01/hostedzone/{zone_id}", xml, comment.encode()),
        ("GET", f"/2013-04-01/hostedzone/{zone_id}", {}, b""),
        ("GET", f"/2013-04-01/hostedzone/{zone_id}/dnssec", {}, b""),
        ("GET", f"/2013-04-01/hostedzone/{zone_id}/rrset?maxitems=10", {}, b""),
        ("GET", "/2013-04-01/hostedzone?maxitems=5", {}, b""),
        ("GET", "/2013-04-01/hostedzonesbyname?dnsname=fuzz.example&maxitems=5", {}, b""),
        ("GET", f"/2013-04-01/tags/hostedzone/{zone_id}", {}, b""),
        ("POST", f"/2013-04-01/keysigningkey/{zone_id}/fuzz_ksk/activate", {}, b""),
        ("POST", f"/2013-04-01/hostedzone/{zone_id}/enable-dnssec", {}, b""),
        ("GET", "/2013-04-01/change/C0000000000000000000", {}, b""),
    ]


def kms_templates(key_id: str) -> list[Request]:
    def call(operation: str, members: dict[str, Any]) -> Request:
        headers = {"X-Amz-Target": f"TrentService.{operation}", "Content-Type": CONTENT_TYPE}
        return ("POST", "/", headers, json.dumps(members).encode())

    return [
        call("CreateKey", {"KeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY", "Policy": DNSSEC_POLICY}),
        call("DescribeKey", {"KeyId": key_id}),
        call("GetPublicKey", {"KeyId": key_id}),
        call("Sign", {"KeyId": key_id, "Message": "aGVsbG8=", "SigningAlgorithm": "ECDSA_SHA_256"}),
        call(
            "Verify",
            {"KeyId": key_id, "Message": "aGVsbG8=", "Signature": "MEUCIQ==", "SigningAlgorithm": "ECDSA_SHA_256"},
        ),
        call("PutKeyPolicy", {"KeyId": key_id, "PolicyName": "default", "Policy": DNSSEC_POLICY}),
        call("TagResource", {"KeyId": key_id, "Tags": [{"TagKey": "k", "TagValue": "v"}]}),
        call("UntagResource", {"KeyId": key_id, "TagKeys": ["k"]}),
        call("CreateAlias", {"AliasName": f"alias/fuzz-{uuid.uuid4().hex[:6]}", "TargetKeyId": key_id}),
        call("ListKeys", {"Limit": 10}),
        call("ListAliases", {"KeyId": key_id}),
        call("ListResourceTags", {"KeyId": key_id}),
        call("GetKeyPolicy", {"KeyId": key_id, "PolicyName": "default"}),
    ]


def mutants(
    rng: random.Random, templates: list[Request], mutate_body: Callable[[random.Random, bytes], bytes]
) -> list[Request]:
    requests = []
    for _ in range(REQUESTS_PER_API):
        method, path, headers, body = rng.choice(templates)
        for _ in range(rng.randint(1, 2)):
            part = rng.randrange(4)
            if part == 0 and body:
                body = mutate_body(rng, body)
            elif part == 1:
                path = mutate_path(rng, path)
            elif part == 2:
                headers = mutate_headers(rng, headers)
            else:
                body = mutate_bytes(rng, body)
        requests.append((method, path, headers, body))
    return requests


def test_thousands_of_mutated_requests_answer_no_5xx(live_server: LiveServer) -> None:
    route53, kms = live_server.client("route53"), live_server.client("kms")
    zone_id = route53.create_hosted_zone(Name="fuzz.example", CallerReference=uuid.uuid4().hex)["HostedZone"]["Id"]
    zone_id = zone_id.split("/")[-1]
    key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY", Policy=DNSSEC_POLICY)["KeyMetadata"]
    rng = random.Random(SEED)
    requests = mutants(rng, route53_templates(zone_id, key["Arn"]), mutate_xml)
    requests += mutants(rng, kms_templates(key["KeyId"]), mutate_json)

    statuses: dict[int, int] = {}
    server_errors = []
    with httpx.Client(base_url=live_server.url, timeout=60) as http:
        for method, path, headers, body in requests:
            raw_headers = {name: value.encode() for name, value in headers.items()}  # any bytes, as a client may
            response = http.request(method, path, headers=raw_headers, content=body)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            if response.status_code >= 500:
                server_errors.append((method, path, headers, body[:300], response.status_code, response.text[:300]))

    assert sum(statuses.values()) == 2 * REQUESTS_PER_API
    assert server_errors == []
    assert len(statuses) > 3, statuses  # the mutations reach past the parsers: several outcomes
    assert "Traceback" not in live_server.log_path.read_text()
