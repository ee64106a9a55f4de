"""CreateKeySigningKey in process: the seed page field by field, every modeled error, and the check order."""

import base64
import re
import sqlite3
import uuid

import dns.dnssec
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import httpx
import pytest
from fastapi import FastAPI

from app.config import Settings
from app.main import create_app
from tests.kms_keys import make_key, public_key_der
from tests.wire import assert_error, create_ksk_body, create_zone_body, parse

ACCOUNT = "123456789012"  # R53_ACCOUNT_ID's default: the account of the tests' requests

CONCURRENT = (
    "Another user submitted a request to create, update, or delete the object at the same time that you did. "
    "Retry the request."
)


async def new_zone(client: httpx.AsyncClient, name: str = "example.com", extra: str = "") -> str:
    response = await client.post(
        "/2013-04-01/hostedzone", content=create_zone_body(name, uuid.uuid4().hex, extra=extra)
    )
    assert response.status_code == 201, response.text
    return str(parse("CreateHostedZone", response)["HostedZone"]["Id"]).split("/")[-1]


async def create_ksk(client: httpx.AsyncClient, **members: str | None) -> httpx.Response:
    members.setdefault("CallerReference", uuid.uuid4().hex)
    members.setdefault("Status", "ACTIVE")
    return await client.post("/2013-04-01/keysigningkey", content=create_ksk_body(**members))


async def test_create_returns_201_location_change_and_complete_key_from_the_kms_public_key(app, client):
    zone_id = await new_zone(client, "Example.NET")
    arn = await make_key(app)
    response = await create_ksk(client, HostedZoneId=zone_id, KeyManagementServiceArn=arn, Name="example_ksk")
    assert response.status_code == 201, response.text
    assert (
        response.headers["location"] == f"https://route53.amazonaws.com/2013-04-01/keysigningkey/{zone_id}/example_ksk"
    )
    parsed = parse("CreateKeySigningKey", response)
    assert parsed["ChangeInfo"]["Status"] == "PENDING"
    key = parsed["KeySigningKey"]
    spki = await public_key_der(app, arn)
    xy = spki[-64:]
    dnskey = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.DNSKEY, f"257 3 13 {base64.b64encode(xy).decode()}")
    ds = dns.dnssec.make_ds(dns.name.from_text("example.net."), dnskey, "SHA256")
    assert key["Name"] == "example_ksk"
    assert key["KmsArn"] == arn
    assert key["Flag"] == 257
    assert (key["SigningAlgorithmMnemonic"], key["SigningAlgorithmType"]) == ("ECDSAP256SHA256", 13)
    assert (key["DigestAlgorithmMnemonic"], key["DigestAlgorithmType"]) == ("SHA-256", 2)
    assert key["PublicKey"] == base64.b64encode(xy).decode()
    assert key["KeyTag"] == dns.dnssec.key_id(dnskey)
    assert key["DigestValue"] == ds.digest.hex().upper()
    assert key["DSRecord"] == f"{key['KeyTag']} 13 2 {key['DigestValue']}"
    assert key["DNSKEYRecord"] == f"257 3 13 {key['PublicKey']}"
    assert key["Status"] == "ACTIVE"
    assert "StatusMessage" not in key
    assert key["CreatedDate"] == key["LastModifiedDate"]
    assert re.search(r"<CreatedDate>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z</CreatedDate>", response.text)


async def test_key_appears_in_get_dnssec_at_once_as_member_items(app, client):
    zone_id = await new_zone(client)
    empty = await client.get(f"/2013-04-01/hostedzone/{zone_id}/dnssec")
    assert b"<Status><ServeSignature>NOT_SIGNING</ServeSignature></Status><KeySigningKeys/>" in empty.content
    assert parse("GetDNSSEC", empty)["KeySigningKeys"] == []
    created = await create_ksk(
        client, HostedZoneId=zone_id, KeyManagementServiceArn=await make_key(app), Name="ksk1", Status="INACTIVE"
    )
    listed = await client.get(f"/2013-04-01/hostedzone/{zone_id}/dnssec")
    assert b"<KeySigningKeys><member><Name>ksk1</Name>" in listed.content
    assert parse("GetDNSSEC", listed)["KeySigningKeys"] == [parse("CreateKeySigningKey", created)["KeySigningKey"]]


async def test_reused_caller_reference_is_accepted(app, client):
    zone_id = await new_zone(client)
    for name in ("first", "second"):
        response = await create_ksk(
            client, CallerReference="same", HostedZoneId=zone_id, KeyManagementServiceArn=await make_key(app), Name=name
        )
        assert response.status_code == 201


async def test_names_take_letters_digits_underscore_hyphen_dot_case_sensitively(app, client):
    zone_id = await new_zone(client)
    for name in ("tf-acc-test-123", "Zone.example_KSK"):
        response = await create_ksk(
            client, HostedZoneId=zone_id, KeyManagementServiceArn=await make_key(app), Name=name
        )
        assert response.status_code == 201, response.text
    other = await new_zone(client, "other.example")
    for name in ("case", "CASE"):
        response = await create_ksk(client, HostedZoneId=other, KeyManagementServiceArn=await make_key(app), Name=name)
        assert response.status_code == 201, response.text


@pytest.mark.parametrize("name", ["has space", "a/b", "bang!", "näme", "semi;colon"])
async def test_invalid_key_signing_key_name(app, client, name):
    zone_id = await new_zone(client)
    response = await create_ksk(client, HostedZoneId=zone_id, KeyManagementServiceArn=await make_key(app), Name=name)
    assert_error(
        response,
        400,
        "InvalidKeySigningKeyName",
        f"The key-signing key name '{name}' is not valid. A name can contain only letters, digits, underscores (_), "
        "hyphens (-) and periods (.).",
    )


@pytest.mark.parametrize("status", ["ENABLED", "active", "DELETING", "ACTION_NEEDED"])
async def test_invalid_key_signing_key_status(app, client, status):
    zone_id = await new_zone(client)
    response = await create_ksk(
        client, HostedZoneId=zone_id, KeyManagementServiceArn=await make_key(app), Name="ksk1", Status=status
    )
    assert_error(
        response,
        400,
        "InvalidKeySigningKeyStatus",
        f"The key-signing key status '{status}' is not valid. Specify ACTIVE or INACTIVE.",
    )


def length_message(value: str, member: str, bound: str) -> str:
    return f"Value '{value}' at '{member}' failed to satisfy constraint: Member must have length {bound}"


@pytest.mark.parametrize(
    ("members", "problems"),
    [
        ({"Name": "ab"}, [length_message("ab", "name", "greater than or equal to 3")]),
        ({"Name": "n" * 129}, [length_message("n" * 129, "name", "less than or equal to 128")]),
        ({"Status": "ACT"}, [length_message("ACT", "status", "greater than or equal to 5")]),
        ({"Status": "S" * 151}, [length_message("S" * 151, "status", "less than or equal to 150")]),
        ({"CallerReference": ""}, [length_message("", "callerReference", "greater than or equal to 1")]),
        ({"CallerReference": "c" * 129}, [length_message("c" * 129, "callerReference", "less than or equal to 128")]),
        (
            {"HostedZoneId": "/hostedzone/Z09546752YPG9QI64P1DF"},
            [length_message("/hostedzone/Z09546752YPG9QI64P1DF", "hostedZoneId", "less than or equal to 32")],
        ),
        (
            {"Name": None, "Status": None},
            [
                "Value null at 'name' failed to satisfy constraint: Member must not be null",
                "Value null at 'status' failed to satisfy constraint: Member must not be null",
            ],
        ),
    ],
)
async def test_invalid_input_for_each_constraint(app, client, members, problems):
    zone_id = await new_zone(client)
    body = {"HostedZoneId": zone_id, "KeyManagementServiceArn": await make_key(app), "Name": "ksk1", **members}
    response = await create_ksk(client, **body)
    count = len(problems)
    noun = "error" if count == 1 else "errors"
    assert_error(response, 400, "InvalidInput", f"{count} validation {noun} detected: " + "; ".join(problems))


async def test_no_such_hosted_zone(app, client):
    response = await create_ksk(
        client, HostedZoneId="ZDOESNOTEXIST1", KeyManagementServiceArn=await make_key(app), Name="ksk1"
    )
    assert_error(response, 404, "NoSuchHostedZone", "No hosted zone found with ID: ZDOESNOTEXIST1")


async def test_private_zone_is_invalid_argument(app, client):
    vpc = "<VPC><VPCRegion>us-east-1</VPCRegion><VPCId>vpc-0123456789abcdef0</VPCId></VPC>"
    zone_id = await new_zone(client, "private.example", extra=vpc)
    response = await create_ksk(client, HostedZoneId=zone_id, KeyManagementServiceArn=await make_key(app), Name="ksk1")
    assert_error(response, 400, "InvalidArgument", "Operation is unsupported for private hosted zones.")
    dnssec = await client.get(f"/2013-04-01/hostedzone/{zone_id}/dnssec")
    assert_error(dnssec, 400, "InvalidArgument", "Operation is unsupported for private hosted zones.")


async def test_same_name_or_same_kms_key_is_key_signing_key_already_exists(app, client):
    zone_id = await new_zone(client)
    arn = await make_key(app)
    assert (await create_ksk(client, HostedZoneId=zone_id, KeyManagementServiceArn=arn, Name="ksk1")).status_code == 201
    same_name = await create_ksk(client, HostedZoneId=zone_id, KeyManagementServiceArn=await make_key(app), Name="ksk1")
    assert_error(
        same_name,
        409,
        "KeySigningKeyAlreadyExists",
        f"A key-signing key named 'ksk1' already exists in hosted zone '{zone_id}'.",
    )
    same_key = await create_ksk(client, HostedZoneId=zone_id, KeyManagementServiceArn=arn, Name="ksk2")
    assert_error(
        same_key,
        409,
        "KeySigningKeyAlreadyExists",
        f"A key-signing key using the KMS key '{arn}' already exists in hosted zone '{zone_id}'.",
    )
    other_zone = await new_zone(client, "other.example")
    assert (
        await create_ksk(client, HostedZoneId=other_zone, KeyManagementServiceArn=arn, Name="ksk1")
    ).status_code == 201


async def test_third_key_is_too_many_key_signing_keys(app, client):
    zone_id = await new_zone(client)
    for name in ("ksk1", "ksk2"):
        response = await create_ksk(
            client, HostedZoneId=zone_id, KeyManagementServiceArn=await make_key(app), Name=name
        )
        assert response.status_code == 201
    third = await create_ksk(client, HostedZoneId=zone_id, KeyManagementServiceArn=await make_key(app), Name="ksk3")
    assert_error(
        third,
        400,
        "TooManyKeySigningKeys",
        f"Hosted zone '{zone_id}' already has 2 key-signing keys, the most a hosted zone can have. Delete a "
        "key-signing key, and then try again.",
    )


POLICY_WITHOUT_ROUTE53 = (
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:*","Resource":"*"}]}'
)


async def test_every_unfit_kms_key_is_invalid_kms_arn(app, client):
    zone_id = await new_zone(client)
    cases: dict[str, str] = {}
    malformed = "arn:aws:kms:us-east-1:123456789012:alias/dnssec"
    cases[malformed] = (
        f"The KMS key ARN '{malformed}' is not valid. Specify the ARN of a customer managed key in the form arn:aws:kms:us-east-1:<account id>:key/<key id>; alias ARNs are not accepted."
    )
    west = await make_key(app, region="us-west-2")
    cases[west] = (
        f"The CMK with ARN '{west}' is in region 'us-west-2'. DNSSEC signing requires a customer managed key in us-east-1."
    )
    missing = "arn:aws:kms:us-east-1:123456789012:key/" + str(uuid.uuid4())
    cases[missing] = f"The CMK with ARN '{missing}' does not exist."
    disabled = await make_key(app)
    await app.state.local_kms.disable_key({"KeyId": disabled}, "us-east-1", ACCOUNT)
    cases[disabled] = f"The CMK with ARN '{disabled}' is disabled. Enable the key, and then try again."
    pending = await make_key(app)
    await app.state.local_kms.schedule_key_deletion({"KeyId": pending, "PendingWindowInDays": 7}, "us-east-1", ACCOUNT)
    cases[pending] = (
        f"The CMK with ARN '{pending}' is pending deletion. Cancel the key deletion, enable the key, and then try again."
    )
    p384 = await make_key(app, spec="ECC_NIST_P384")
    cases[p384] = (
        f"The CMK with ARN '{p384}' has key spec 'ECC_NIST_P384'. DNSSEC signing requires key spec ECC_NIST_P256."
    )
    rsa = await make_key(app, spec="RSA_2048")
    cases[rsa] = f"The CMK with ARN '{rsa}' has key spec 'RSA_2048'. DNSSEC signing requires key spec ECC_NIST_P256."
    symmetric = await make_key(app, spec="SYMMETRIC_DEFAULT", usage="ENCRYPT_DECRYPT")
    cases[symmetric] = (
        f"The CMK with ARN '{symmetric}' has key spec 'SYMMETRIC_DEFAULT'. DNSSEC signing requires key spec ECC_NIST_P256."
    )
    no_grant = await make_key(app, policy=POLICY_WITHOUT_ROUTE53)
    cases[no_grant] = (
        f"The CMK with ARN '{no_grant}' did not grant all required permissions for DNSSEC usage. Please review your "
        "key-policy, and verify that you and Route 53 have permissions to perform the following actions: "
        "DescribeKey, GetPublicKey, and Sign."
    )
    for index, (arn, message) in enumerate(cases.items()):
        response = await create_ksk(client, HostedZoneId=zone_id, KeyManagementServiceArn=arn, Name=f"ksk{index}")
        assert_error(response, 400, "InvalidKMSArn", message)
    assert parse("GetDNSSEC", await client.get(f"/2013-04-01/hostedzone/{zone_id}/dnssec"))["KeySigningKeys"] == []


async def test_check_order_name_status_kms_zone_duplicate_limit(app, client):
    """Pinned order: InvalidInput, name, status, KMS key, zone, private zone, signing status,
    duplicate name, duplicate KMS key, limit."""
    zone_id = await new_zone(client)
    bad_arn = "arn:aws:kms:us-east-1:123456789012:key/" + str(uuid.uuid4())
    both = await create_ksk(
        client, HostedZoneId=zone_id, KeyManagementServiceArn=bad_arn, Name="bad name", Status="ON_IT"
    )
    assert_error(both, 400, "InvalidKeySigningKeyName")
    status_and_kms = await create_ksk(
        client, HostedZoneId=zone_id, KeyManagementServiceArn=bad_arn, Name="ksk1", Status="ON_IT"
    )
    assert_error(status_and_kms, 400, "InvalidKeySigningKeyStatus")
    kms_and_zone = await create_ksk(client, HostedZoneId="ZNOPE123", KeyManagementServiceArn=bad_arn, Name="ksk1")
    assert_error(kms_and_zone, 400, "InvalidKMSArn")
    short_and_bad = await create_ksk(client, HostedZoneId=zone_id, KeyManagementServiceArn=bad_arn, Name="a!")
    assert_error(short_and_bad, 400, "InvalidInput")
    for name in ("ksk1", "ksk2"):
        await create_ksk(client, HostedZoneId=zone_id, KeyManagementServiceArn=await make_key(app), Name=name)
    duplicate_in_full_zone = await create_ksk(
        client, HostedZoneId=zone_id, KeyManagementServiceArn=await make_key(app), Name="ksk1"
    )
    assert_error(duplicate_in_full_zone, 409, "KeySigningKeyAlreadyExists")


async def test_signing_zone_without_a_usable_active_key_is_invalid_signing_status(app, client):
    zone_id = await new_zone(client)
    arn = await make_key(app)
    await create_ksk(client, HostedZoneId=zone_id, KeyManagementServiceArn=arn, Name="ksk1")
    assert (await client.post(f"/2013-04-01/hostedzone/{zone_id}/enable-dnssec")).status_code == 200
    await app.state.local_kms.disable_key({"KeyId": arn}, "us-east-1", ACCOUNT)
    response = await create_ksk(client, HostedZoneId=zone_id, KeyManagementServiceArn=await make_key(app), Name="ksk2")
    assert_error(
        response,
        400,
        "InvalidSigningStatus",
        f"The DNSSEC signing status of hosted zone '{zone_id}' is ACTION_NEEDED. Activate a usable key-signing key "
        "or disable DNSSEC signing, and then try again.",
    )


async def test_delete_hosted_zone_with_keys_is_hosted_zone_not_empty(app, client):
    zone_id = await new_zone(client)
    await create_ksk(
        client, HostedZoneId=zone_id, KeyManagementServiceArn=await make_key(app), Name="ksk1", Status="INACTIVE"
    )
    response = await client.delete(f"/2013-04-01/hostedzone/{zone_id}")
    assert_error(
        response,
        400,
        "HostedZoneNotEmpty",
        "The specified hosted zone contains DNSSEC Key Signing Keys and so cannot be deleted.",
    )


async def _app_with(settings: Settings, **changes: object) -> FastAPI:
    return create_app(settings.model_copy(update=changes))


async def test_fault_injection_answers_concurrent_modification_and_writes_nothing(settings):
    app = await _app_with(settings, fault_concurrent_modification_rate=1.0)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://route53.amazonaws.com") as client,
    ):
        zone_id = await new_zone(client)
        response = await create_ksk(
            client, HostedZoneId=zone_id, KeyManagementServiceArn=await make_key(app), Name="ksk1"
        )
        assert_error(response, 400, "ConcurrentModification", CONCURRENT)
        dnssec = parse("GetDNSSEC", await client.get(f"/2013-04-01/hostedzone/{zone_id}/dnssec"))
        assert dnssec["KeySigningKeys"] == []


async def test_lock_held_past_the_timeout_is_concurrent_modification(settings):
    if settings.sqlite_path() is None:
        pytest.skip("holds the SQLite write lock from outside")
    app = await _app_with(settings, lock_timeout_ms=200)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://route53.amazonaws.com") as client,
    ):
        zone_id = await new_zone(client)
        arn = await make_key(app)
        blocker = sqlite3.connect(settings.sqlite_path(), isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            response = await create_ksk(client, HostedZoneId=zone_id, KeyManagementServiceArn=arn, Name="ksk1")
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert_error(response, 400, "ConcurrentModification", CONCURRENT)
        retried = await create_ksk(client, HostedZoneId=zone_id, KeyManagementServiceArn=arn, Name="ksk1")
        assert retried.status_code == 201
