"""The KMS API through boto3 against a real server: shapes, state rules, signatures and exact error texts."""

import hashlib
import json
import logging
from collections.abc import Callable
from typing import Any

import botocore.loaders
import httpx
import pytest
from botocore.exceptions import ClientError
from botocore.retries.standard import RetryContext, ThrottledRetryableChecker
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from fastapi import FastAPI
from mypy_boto3_kms import KMSClient

from app.api.kms import router
from app.api.xml_route import RequestIdMiddleware
from app.config import Settings
from app.db.reads import Reader
from app.db.session import LockTimeout, create_engine, create_sessionmaker
from app.kms.backend import LocalKmsBackend
from app.kms.checks import check_dnssec_key
from app.protocol.kms import CONTENT_TYPE
from app.secrets import sealer
from tests.kms_keys import DNSSEC_POLICY

ACCOUNT_ID = "123456789012"


def error_of(call: Callable[..., Any], **params: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


def ecc_key(kms: KMSClient, spec: Any = "ECC_NIST_P256", **params: Any) -> dict[str, Any]:
    return dict(kms.create_key(KeySpec=spec, KeyUsage="SIGN_VERIFY", **params)["KeyMetadata"])


def raw(endpoint: str, operation: str, body: bytes, **headers: str) -> httpx.Response:
    headers = {"X-Amz-Target": f"TrentService.{operation}", "Content-Type": CONTENT_TYPE, **headers}
    return httpx.post(endpoint + "/", content=body, headers=headers)


# -- CreateKey and DescribeKey ------------------------------------------------------------------------------


def test_create_key_returns_metadata_for_a_p256_signing_key(kms: KMSClient) -> None:
    metadata = ecc_key(kms, Description="DNSSEC KSK")

    assert metadata["Arn"] == f"arn:aws:kms:us-east-1:{ACCOUNT_ID}:key/{metadata['KeyId']}"
    assert {key: metadata[key] for key in metadata if key not in ("KeyId", "Arn", "CreationDate")} == {
        "AWSAccountId": ACCOUNT_ID,
        "Enabled": True,
        "Description": "DNSSEC KSK",
        "KeyUsage": "SIGN_VERIFY",
        "KeyState": "Enabled",
        "Origin": "AWS_KMS",
        "KeyManager": "CUSTOMER",
        "CustomerMasterKeySpec": "ECC_NIST_P256",
        "KeySpec": "ECC_NIST_P256",
        "SigningAlgorithms": ["ECDSA_SHA_256"],
        "MultiRegion": False,
    }


def test_key_metadata_members_are_in_model_order(kms: KMSClient, kms_endpoint: str) -> None:
    key = ecc_key(kms)
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)

    response = raw(kms_endpoint, "DescribeKey", json.dumps({"KeyId": key["KeyId"]}).encode())

    assert list(response.json()["KeyMetadata"]) == [
        "AWSAccountId", "KeyId", "Arn", "CreationDate", "Enabled", "Description", "KeyUsage", "KeyState",
        "DeletionDate", "Origin", "KeyManager", "CustomerMasterKeySpec", "KeySpec", "SigningAlgorithms",
        "MultiRegion",
    ]  # fmt: skip
    assert response.headers["content-type"] == CONTENT_TYPE
    assert response.headers["x-amzn-RequestId"]


def test_customer_master_key_spec_is_accepted_as_terraform_sends_it(kms: KMSClient) -> None:
    metadata = kms.create_key(CustomerMasterKeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]

    assert metadata["KeySpec"] == "RSA_2048"
    assert metadata["EncryptionAlgorithms"] == ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]


def test_symmetric_key_is_the_default(kms: KMSClient) -> None:
    metadata = kms.create_key()["KeyMetadata"]

    assert (metadata["KeySpec"], metadata["KeyUsage"]) == ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT")
    assert metadata["EncryptionAlgorithms"] == ["SYMMETRIC_DEFAULT"]


def test_describe_key_accepts_key_id_key_arn_alias_name_and_alias_arn(kms: KMSClient) -> None:
    key = ecc_key(kms)
    kms.create_alias(AliasName="alias/describe-by-alias", TargetKeyId=key["KeyId"])
    alias_arn = f"arn:aws:kms:us-east-1:{ACCOUNT_ID}:alias/describe-by-alias"

    for reference in (key["KeyId"], key["Arn"], "alias/describe-by-alias", alias_arn):
        assert kms.describe_key(KeyId=reference)["KeyMetadata"]["Arn"] == key["Arn"]


def test_key_lives_in_the_region_of_the_request(kms_client: Callable[[str], KMSClient]) -> None:
    west = ecc_key(kms_client("us-west-2"))
    east = kms_client("us-east-1")

    assert west["Arn"] == f"arn:aws:kms:us-west-2:{ACCOUNT_ID}:key/{west['KeyId']}"
    assert error_of(east.describe_key, KeyId=west["Arn"]) == ("NotFoundException", "Invalid arn us-west-2")
    assert error_of(east.describe_key, KeyId=west["KeyId"]) == (
        "NotFoundException",
        f"Key 'arn:aws:kms:us-east-1:{ACCOUNT_ID}:key/{west['KeyId']}' does not exist",
    )


def test_unknown_keys_and_aliases_are_not_found(kms: KMSClient) -> None:
    missing = "11111111-2222-3333-4444-555555555555"

    assert error_of(kms.describe_key, KeyId=missing) == (
        "NotFoundException",
        f"Key 'arn:aws:kms:us-east-1:{ACCOUNT_ID}:key/{missing}' does not exist",
    )
    assert error_of(kms.describe_key, KeyId="not-a-key") == ("NotFoundException", "Invalid keyId not-a-key")
    assert error_of(kms.describe_key, KeyId="alias/none") == (
        "NotFoundException",
        f"Alias arn:aws:kms:us-east-1:{ACCOUNT_ID}:alias/none is not found.",
    )
    assert error_of(kms.describe_key, KeyId="arn:aws:s3:::bucket") == (
        "NotFoundException",
        "Invalid arn arn:aws:s3:::bucket",
    )


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"KeySpec": "ECC_NIST_P256"},
            "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.",
        ),
        (
            {"KeySpec": "ECC_NIST_P256", "KeyUsage": "ENCRYPT_DECRYPT"},
            "KeyUsage ENCRYPT_DECRYPT is not compatible with KeySpec ECC_NIST_P256",
        ),
        (
            {"KeySpec": "HMAC_256", "KeyUsage": "GENERATE_VERIFY_MAC"},
            "1 validation error detected: Value 'GENERATE_VERIFY_MAC' at 'keyUsage' failed to satisfy "
            "constraint: Member must satisfy enum value set: [SIGN_VERIFY, ENCRYPT_DECRYPT]",
        ),
        (
            {"KeySpec": "HMAC_256", "KeyUsage": "SIGN_VERIFY"},
            "1 validation error detected: Value 'HMAC_256' at 'keySpec' failed to satisfy constraint: Member "
            "must satisfy enum value set: [SYMMETRIC_DEFAULT, RSA_2048, RSA_3072, RSA_4096, ECC_NIST_P256, "
            "ECC_NIST_P384, ECC_NIST_P521, ECC_SECG_P256K1]",
        ),
        (
            {"Description": "x" * 8193},
            f"1 validation error detected: Value '{'x' * 8193}' at 'description' failed to satisfy "
            "constraint: Member must have length less than or equal to 8192",
        ),
    ],
)
def test_create_key_validation(kms: KMSClient, params: dict[str, Any], message: str) -> None:
    assert error_of(kms.create_key, **params) == ("ValidationException", message)


def test_create_key_refuses_unsupported_origins_and_multi_region(kms: KMSClient) -> None:
    assert error_of(kms.create_key, Origin="EXTERNAL") == (
        "UnsupportedOperationException",
        "Origin EXTERNAL is not supported; use AWS_KMS.",
    )
    assert error_of(kms.create_key, MultiRegion=True) == (
        "UnsupportedOperationException",
        "Multi-Region keys are not supported.",
    )


# -- GetPublicKey, Sign, Verify -----------------------------------------------------------------------------


def test_get_public_key_returns_der_subject_public_key_info(kms: KMSClient) -> None:
    key = ecc_key(kms)

    response = kms.get_public_key(KeyId=key["KeyId"])

    public = serialization.load_der_public_key(response["PublicKey"])
    assert isinstance(public, ec.EllipticCurvePublicKey) and public.curve.name == "secp256r1"
    assert response["KeyId"] == key["Arn"]
    assert (response["KeySpec"], response["CustomerMasterKeySpec"]) == ("ECC_NIST_P256", "ECC_NIST_P256")
    assert (response["KeyUsage"], response["SigningAlgorithms"]) == ("SIGN_VERIFY", ["ECDSA_SHA_256"])


def test_get_public_key_of_a_symmetric_key_is_unsupported(kms: KMSClient) -> None:
    arn = kms.create_key()["KeyMetadata"]["Arn"]

    assert error_of(kms.get_public_key, KeyId=arn) == (
        "UnsupportedOperationException",
        f"{arn} key spec is SYMMETRIC_DEFAULT which is not valid for GetPublicKey.",
    )


def test_sign_digest_and_raw_verify_with_the_public_key(kms: KMSClient) -> None:
    key = ecc_key(kms)
    public = serialization.load_der_public_key(kms.get_public_key(KeyId=key["KeyId"])["PublicKey"])
    assert isinstance(public, ec.EllipticCurvePublicKey)
    message = b"example.com. 3600 IN DNSKEY"
    digest = hashlib.sha256(message).digest()

    signed_digest = kms.sign(KeyId=key["Arn"], Message=digest, MessageType="DIGEST", SigningAlgorithm="ECDSA_SHA_256")
    signed_raw = kms.sign(KeyId=key["KeyId"], Message=message, SigningAlgorithm="ECDSA_SHA_256")

    assert signed_digest["KeyId"] == signed_raw["KeyId"] == key["Arn"]
    assert signed_digest["SigningAlgorithm"] == "ECDSA_SHA_256"
    public.verify(signed_digest["Signature"], message, ec.ECDSA(hashes.SHA256()))
    public.verify(signed_raw["Signature"], digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))


def test_verify_accepts_good_and_refuses_bad_signatures(kms: KMSClient) -> None:
    key_id = ecc_key(kms)["KeyId"]
    signature = kms.sign(KeyId=key_id, Message=b"data", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    digest = hashlib.sha256(b"data").digest()

    good = kms.verify(
        KeyId=key_id, Message=digest, MessageType="DIGEST", Signature=signature, SigningAlgorithm="ECDSA_SHA_256"
    )

    assert good["SignatureValid"] is True
    assert error_of(
        kms.verify, KeyId=key_id, Message=b"other", Signature=signature, SigningAlgorithm="ECDSA_SHA_256"
    ) == ("KMSInvalidSignatureException", "")
    assert error_of(
        kms.verify, KeyId=key_id, Message=b"data", Signature=b"garbage", SigningAlgorithm="ECDSA_SHA_256"
    ) == ("KMSInvalidSignatureException", "")


def test_p384_and_rsa_signatures_verify(kms: KMSClient) -> None:
    p384 = ecc_key(kms, "ECC_NIST_P384")["KeyId"]
    rsa_key = kms.create_key(CustomerMasterKeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    message = b"payload"

    signature = kms.sign(KeyId=p384, Message=message, SigningAlgorithm="ECDSA_SHA_384")["Signature"]
    ec_public = serialization.load_der_public_key(kms.get_public_key(KeyId=p384)["PublicKey"])
    assert isinstance(ec_public, ec.EllipticCurvePublicKey)
    ec_public.verify(signature, message, ec.ECDSA(hashes.SHA384()))

    rsa_public = serialization.load_der_public_key(kms.get_public_key(KeyId=rsa_key)["PublicKey"])
    assert isinstance(rsa_public, rsa.RSAPublicKey)
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH)
    schemes: list[tuple[Any, padding.AsymmetricPadding]] = [
        ("RSASSA_PKCS1_V1_5_SHA_256", padding.PKCS1v15()),
        ("RSASSA_PSS_SHA_256", pss),
    ]
    for algorithm, scheme in schemes:
        signed = kms.sign(KeyId=rsa_key, Message=message, SigningAlgorithm=algorithm)["Signature"]
        rsa_public.verify(signed, message, scheme, hashes.SHA256())
        assert kms.verify(KeyId=rsa_key, Message=message, Signature=signed, SigningAlgorithm=algorithm)[
            "SignatureValid"
        ]


def test_sign_refusals(kms: KMSClient) -> None:
    key = ecc_key(kms)
    symmetric = kms.create_key()["KeyMetadata"]["Arn"]

    assert error_of(
        kms.sign, KeyId=key["KeyId"], Message=b"short", MessageType="DIGEST", SigningAlgorithm="ECDSA_SHA_256"
    ) == ("ValidationException", "Digest is invalid length for algorithm ECDSA_SHA_256.")
    assert error_of(kms.sign, KeyId=key["KeyId"], Message=b"m", SigningAlgorithm="RSASSA_PSS_SHA_256") == (
        "InvalidKeyUsageException",
        "Algorithm RSASSA_PSS_SHA_256 is incompatible with key spec ECC_NIST_P256.",
    )
    assert error_of(kms.sign, KeyId=symmetric, Message=b"m", SigningAlgorithm="ECDSA_SHA_256") == (
        "InvalidKeyUsageException",
        f"{symmetric} key usage is ENCRYPT_DECRYPT which is not valid for Sign.",
    )
    assert error_of(kms.sign, KeyId=key["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_1") == (
        "ValidationException",
        "1 validation error detected: Value 'ECDSA_SHA_1' at 'signingAlgorithm' failed to satisfy constraint: "
        "Member must satisfy enum value set: [RSASSA_PKCS1_V1_5_SHA_256, RSASSA_PKCS1_V1_5_SHA_384, "
        "RSASSA_PKCS1_V1_5_SHA_512, RSASSA_PSS_SHA_256, RSASSA_PSS_SHA_384, RSASSA_PSS_SHA_512, ECDSA_SHA_256, "
        "ECDSA_SHA_384, ECDSA_SHA_512]",
    )
    assert error_of(kms.sign, KeyId=key["KeyId"], Message=b"m" * 4097, SigningAlgorithm="ECDSA_SHA_256") == (
        "ValidationException",
        "1 validation error detected: Value at 'message' failed to satisfy constraint: Member must have length "
        "less than or equal to 4096",
    )


def test_disabled_key_cannot_sign_until_enabled(kms: KMSClient) -> None:
    key = ecc_key(kms)
    kms.disable_key(KeyId=key["KeyId"])

    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Disabled"
    assert error_of(kms.sign, KeyId=key["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256") == (
        "DisabledException",
        f"{key['Arn']} is disabled.",
    )
    assert kms.get_public_key(KeyId=key["KeyId"])["PublicKey"]

    kms.enable_key(KeyId=key["KeyId"])
    assert kms.sign(KeyId=key["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256")["Signature"]


# -- deletion -----------------------------------------------------------------------------------------------


def test_schedule_and_cancel_key_deletion(kms: KMSClient) -> None:
    key = ecc_key(kms)

    scheduled = kms.schedule_key_deletion(KeyId=key["KeyId"])

    assert (scheduled["KeyId"], scheduled["KeyState"], scheduled["PendingWindowInDays"]) == (
        key["Arn"],
        "PendingDeletion",
        30,
    )
    assert (scheduled["DeletionDate"] - key["CreationDate"]).days in (29, 30)
    described = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert (described["KeyState"], described["Enabled"], described["DeletionDate"]) == (
        "PendingDeletion",
        False,
        scheduled["DeletionDate"],
    )
    pending = ("KMSInvalidStateException", f"{key['Arn']} is pending deletion.")
    assert error_of(kms.sign, KeyId=key["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256") == pending
    assert error_of(kms.get_public_key, KeyId=key["KeyId"]) == pending
    assert error_of(kms.schedule_key_deletion, KeyId=key["KeyId"]) == pending
    assert error_of(kms.enable_key, KeyId=key["KeyId"]) == pending

    assert kms.cancel_key_deletion(KeyId=key["KeyId"])["KeyId"] == key["Arn"]
    described = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert (described["KeyState"], "DeletionDate" in described) == ("Disabled", False)
    assert error_of(kms.cancel_key_deletion, KeyId=key["KeyId"]) == (
        "KMSInvalidStateException",
        f"{key['Arn']} is not pending deletion.",
    )


@pytest.mark.parametrize(("days", "constraint"), [(6, "greater than or equal to 7"), (31, "less than or equal to 30")])
def test_pending_window_is_7_to_30_days(kms: KMSClient, days: int, constraint: str) -> None:
    key_id = ecc_key(kms)["KeyId"]

    assert error_of(kms.schedule_key_deletion, KeyId=key_id, PendingWindowInDays=days) == (
        "ValidationException",
        f"1 validation error detected: Value '{days}' at 'pendingWindowInDays' failed to satisfy constraint: "
        f"Member must have value {constraint}",
    )


# -- policies, aliases, listing, tags -----------------------------------------------------------------------


def test_key_policy_defaults_to_account_root_and_can_be_replaced(kms: KMSClient) -> None:
    key_id = ecc_key(kms)["KeyId"]

    default = kms.get_key_policy(KeyId=key_id, PolicyName="default")
    kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=DNSSEC_POLICY)

    assert json.loads(default["Policy"])["Statement"] == [
        {
            "Sid": "Enable IAM User Permissions",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ]
    assert kms.get_key_policy(KeyId=key_id)["Policy"] == DNSSEC_POLICY
    assert error_of(kms.get_key_policy, KeyId=key_id, PolicyName="other") == (
        "NotFoundException",
        "No such policy exists",
    )


@pytest.mark.parametrize("policy", ["not json", "[]", '{"Version": "2012-10-17"}'])
def test_put_key_policy_needs_a_json_policy_document(kms: KMSClient, policy: str) -> None:
    key_id = ecc_key(kms)["KeyId"]

    assert error_of(kms.put_key_policy, KeyId=key_id, PolicyName="default", Policy=policy) == (
        "MalformedPolicyDocumentException",
        "The key policy is not a JSON policy document with a Statement.",
    )


def test_create_key_with_a_malformed_policy_is_refused(kms: KMSClient) -> None:
    assert error_of(kms.create_key, Policy="{") == (
        "MalformedPolicyDocumentException",
        "The key policy is not a JSON policy document with a Statement.",
    )


def test_aliases(kms_client: Callable[[str], KMSClient]) -> None:
    kms = kms_client("ap-south-1")
    first, second = ecc_key(kms), ecc_key(kms)
    alias_arn = f"arn:aws:kms:ap-south-1:{ACCOUNT_ID}:alias/first"
    kms.create_alias(AliasName="alias/first", TargetKeyId=first["Arn"])
    kms.create_alias(AliasName="alias/second", TargetKeyId=second["KeyId"])

    listed = kms.list_aliases()["Aliases"]
    only_second = kms.list_aliases(KeyId=second["KeyId"])["Aliases"]
    page = kms.list_aliases(Limit=1)

    assert [(a["AliasName"], a["AliasArn"], a["TargetKeyId"]) for a in listed] == [
        ("alias/first", alias_arn, first["KeyId"]),
        ("alias/second", f"arn:aws:kms:ap-south-1:{ACCOUNT_ID}:alias/second", second["KeyId"]),
    ]
    assert [a["AliasName"] for a in only_second] == ["alias/second"]
    assert (page["Truncated"], [a["AliasName"] for a in page["Aliases"]]) == (True, ["alias/first"])
    rest = kms.list_aliases(Limit=1, Marker=page["NextMarker"])
    assert (rest["Truncated"], [a["AliasName"] for a in rest["Aliases"]]) == (False, ["alias/second"])
    assert error_of(kms.create_alias, AliasName="alias/first", TargetKeyId=second["KeyId"]) == (
        "AlreadyExistsException",
        f"An alias with the name {alias_arn} already exists",
    )


@pytest.mark.parametrize(
    ("name", "target", "message"),
    [
        (
            "first",
            None,
            'Alias must start with the prefix "alias/". Please see '
            "https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html",
        ),
        ("alias/aws/s3", None, "Alias alias/aws/s3 uses the prefix alias/aws/, which is reserved for AWS."),
        (
            "alias/bad name",
            None,
            "1 validation error detected: Value 'alias/bad name' at 'aliasName' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$",
        ),
        ("alias/fine", "alias/other", "Aliases must refer to keys. Not aliases"),
    ],
)
def test_create_alias_validation(kms: KMSClient, name: str, target: str | None, message: str) -> None:
    target = target or ecc_key(kms)["KeyId"]

    assert error_of(kms.create_alias, AliasName=name, TargetKeyId=target) == ("ValidationException", message)


def test_list_keys_pages_by_key_id(kms_client: Callable[[str], KMSClient]) -> None:
    kms = kms_client("eu-west-1")
    created = sorted(ecc_key(kms)["KeyId"] for _ in range(3))

    first = kms.list_keys(Limit=2)
    second = kms.list_keys(Limit=2, Marker=first["NextMarker"])

    assert [k["KeyId"] for k in first["Keys"]] == created[:2] and first["Truncated"] is True
    assert [k["KeyId"] for k in second["Keys"]] == created[2:] and second["Truncated"] is False
    assert second["Keys"][0]["KeyArn"] == f"arn:aws:kms:eu-west-1:{ACCOUNT_ID}:key/{created[2]}"


def test_tags_are_added_replaced_listed_and_removed(kms: KMSClient) -> None:
    key_id = ecc_key(kms, Tags=[{"TagKey": "b", "TagValue": "1"}, {"TagKey": "a", "TagValue": "2"}])["KeyId"]

    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "b", "TagValue": "3"}, {"TagKey": "c", "TagValue": ""}])
    listed = kms.list_resource_tags(KeyId=key_id)
    page = kms.list_resource_tags(KeyId=key_id, Limit=2)
    kms.untag_resource(KeyId=key_id, TagKeys=["a", "missing"])

    assert listed["Tags"] == [
        {"TagKey": "a", "TagValue": "2"},
        {"TagKey": "b", "TagValue": "3"},
        {"TagKey": "c", "TagValue": ""},
    ]
    assert (page["Truncated"], page["NextMarker"]) == (True, "c")
    assert [tag["TagKey"] for tag in kms.list_resource_tags(KeyId=key_id)["Tags"]] == ["b", "c"]
    assert error_of(kms.tag_resource, KeyId=key_id, Tags=[{"TagKey": "k" * 129, "TagValue": "v"}]) == (
        "ValidationException",
        f"1 validation error detected: Value '{'k' * 129}' at 'tags.1.member.tagKey' failed to satisfy "
        "constraint: Member must have length less than or equal to 128",
    )


def test_key_rotation_is_never_enabled(kms: KMSClient) -> None:
    key = ecc_key(kms)

    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is False


# -- wire protocol ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "body", "status", "expected"),
    [
        ("DescribeKey", b'{"KeyId": 5}', 400, {
            "__type": "ValidationException",
            "message": "1 validation error detected: Value '5' at 'keyId' failed to satisfy constraint: "
            "Member must be a string",
        }),
        ("DescribeKey", b"{}", 400, {
            "__type": "ValidationException",
            "message": "1 validation error detected: Value null at 'keyId' failed to satisfy constraint: "
            "Member must not be null",
        }),
        ("DescribeKey", b"[1]", 400, {
            "__type": "SerializationException", "message": "The request body must be a JSON object.",
        }),
        ("Sign", b'{"KeyId": "k", "Message": "%%%", "SigningAlgorithm": "ECDSA_SHA_256"}', 400, {
            "__type": "SerializationException", "message": "The value of 'Message' is not valid base64.",
        }),
        ("Decrypt", b"{}", 501, {
            "__type": "NotImplemented", "message": "Decrypt is not implemented by this service.",
        }),
        ("Decipher", b"{}", 400, {
            "__type": "UnknownOperationException",
            "message": "The operation 'TrentService.Decipher' is not supported by this KMS endpoint.",
        }),
        ("ListKeys", b"{" + b" " * 1_100_000 + b"}", 400, {
            "__type": "SerializationException", "message": "The request body is larger than 1048576 bytes.",
        }),
        ("ListKeys", b"", 200, {"Keys": [], "Truncated": False}),
        ("Sign", '{"KeyId": "k", "Message": "alias/é", "SigningAlgorithm": "ECDSA_SHA_256"}'.encode(), 400, {
            "__type": "SerializationException", "message": "The value of 'Message' is not valid base64.",
        }),
        ("CreateKey", b'{"Description": "a\\u0000b"}', 400, {
            "__type": "SerializationException",
            "message": "The request body holds a NUL character or an unpaired surrogate.",
        }),
        ("CreateKey", b'{"Description": "\\ud800"}', 400, {
            "__type": "SerializationException",
            "message": "The request body holds a NUL character or an unpaired surrogate.",
        }),
    ],
)  # fmt: skip
def test_wire_protocol(kms_endpoint: str, operation: str, body: bytes, status: int, expected: dict[str, Any]) -> None:
    scope = "Credential=test/20260101/sa-east-1/kms/aws4_request, SignedHeaders=host, Signature=x"

    response = raw(kms_endpoint, operation, body, Authorization=f"AWS4-HMAC-SHA256 {scope}")

    assert (response.status_code, response.json()) == (status, expected)
    assert response.headers["content-type"] == CONTENT_TYPE
    assert len(response.headers.get_list("x-amzn-RequestId")) == 1


def test_deeply_nested_json_is_a_serialization_exception(kms_endpoint: str) -> None:
    response = raw(kms_endpoint, "ListKeys", b"[" * 3000)
    assert response.status_code == 400
    assert response.json()["__type"] == "SerializationException"


async def answer_when_failing(kms_settings: Settings, fault: Exception) -> httpx.Response:
    """The response of ListKeys on a KMS whose operation raises ``fault``."""

    async def failing(params: dict[str, Any], region: str, account: str) -> dict[str, Any]:
        raise fault

    class BrokenKms:
        def __init__(self) -> None:
            self.operations = {"ListKeys": failing}
            self.read_operations = frozenset({"ListKeys"})

    app = FastAPI()
    app.add_middleware(RequestIdMiddleware)
    app.include_router(router)
    app.state.settings = kms_settings
    app.state.local_kms = BrokenKms()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://kms") as client:
        return await client.post("/", content=b"{}", headers={"X-Amz-Target": "TrentService.ListKeys"})


async def test_unexpected_faults_are_500_kms_internal_exception(
    kms_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    response = await answer_when_failing(kms_settings, RuntimeError("boom"))

    assert (response.status_code, response.json()) == (
        500,
        {"__type": "KMSInternalException", "message": "An internal error occurred."},
    )
    assert response.headers["x-amzn-RequestId"]
    assert any(record.name == "app.api.kms" for record in caplog.records)


async def test_a_lock_timeout_is_a_400_throttling_exception_that_sdks_retry(
    kms_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    response = await answer_when_failing(kms_settings, LockTimeout("busy"))

    message = "The request could not get the store's lock in time. Retry the request."
    assert (response.status_code, response.json()) == (400, {"__type": "ThrottlingException", "message": message})
    assert any(record.name == "app.api.kms" for record in caplog.records)
    legacy = botocore.loaders.Loader().load_data("_retry")  # boto3's default retry mode
    assert legacy["retry"]["__default__"]["policies"]["throttling_exception"] == {"$ref": "throttling_exception"}
    rule = legacy["definitions"]["throttling_exception"]["applies_when"]["response"]
    assert rule == {"service_error_code": "ThrottlingException", "http_status_code": 400}
    standard = RetryContext(attempt_number=1, parsed_response={"Error": {"Code": response.json()["__type"]}})
    assert ThrottledRetryableChecker().is_retryable(standard)  # standard mode, the AWS CLI's default


# -- the local backend sees what the API created ------------------------------------------------------------


async def test_local_backend_reads_keys_created_through_the_api(kms: KMSClient, kms_settings: Settings) -> None:
    key = ecc_key(kms, Policy=DNSSEC_POLICY)
    disabled = ecc_key(kms)
    kms.disable_key(KeyId=disabled["KeyId"])
    public_key = kms.get_public_key(KeyId=key["KeyId"])["PublicKey"]
    engine = create_engine(kms_settings)
    reader = Reader(create_sessionmaker(engine), kms_settings.sqlite_path())
    backend = LocalKmsBackend(reader, sealer(kms_settings))
    try:
        view = await backend.describe(key["Arn"])
        many = await backend.describe_many([key["Arn"], disabled["Arn"], key["Arn"] + "0"])
        nothing = await backend.describe_many([])
    finally:
        reader.close()
        await engine.dispose()

    assert view is not None
    assert (view.arn, view.key_id, view.region, view.account_id) == (key["Arn"], key["KeyId"], "us-east-1", ACCOUNT_ID)
    assert (view.key_state, view.key_spec, view.key_usage, view.policy) == (
        "Enabled",
        "ECC_NIST_P256",
        "SIGN_VERIFY",
        DNSSEC_POLICY,
    )
    assert check_dnssec_key(key["Arn"], view) == public_key
    assert set(many) == {key["Arn"], disabled["Arn"]}
    assert (many[disabled["Arn"]].key_state, many[disabled["Arn"]].public_key_der) == ("Disabled", None)
    assert nothing == {}


def test_logging_is_quiet_for_client_errors(kms: KMSClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="app.api.kms"):
        error_of(kms.describe_key, KeyId="alias/quiet")

    assert not [record for record in caplog.records if record.name == "app.api.kms"]
