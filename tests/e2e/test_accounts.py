"""Accounts side by side on one real server, through boto3: a 12-digit access key id is the account, any
other key (``test``) is R53_ACCOUNT_ID's. Nothing one account made is seen, changed, counted or named in an
error by another; cross-account KMS use works only as the key policy grants it."""

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LiveServer, free_dns_port, fresh_database_url
from tests.dns_tools import ask, plain, upsert
from tests.e2e.helpers import bare, error_of, insync, new_ksk, new_zone, no_such_zone, poll, zone_state

A, B, C = "111111111111", "222222222222", "333333333333"
DEFAULT = "123456789012"  # R53_ACCOUNT_ID's default: the account of the key "test"
HTTP_CONFIG = {"Type": "HTTP", "IPAddress": "8.8.8.8", "Port": 80, "ResourcePath": "/"}


def clients(server: LiveServer, service: str) -> dict[str, Any]:
    return {account: server.client(service, access_key=account) for account in (A, B, C, DEFAULT)}


@pytest.fixture
def r53(live_server: LiveServer) -> dict[str, Any]:
    return clients(live_server, "route53")


@pytest.fixture
def kms(live_server: LiveServer) -> dict[str, Any]:
    return clients(live_server, "kms")


def dnssec_policy(owner: str, *, source_account: str | None = None, grant_account: str | None = None) -> str:
    """The documented DNSSEC key policy of a key owned by ``owner``; ``source_account`` adds the
    ``aws:SourceAccount`` condition, ``grant_account`` lets that account use the key as KMS allows."""
    route53: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Service": "dnssec-route53.amazonaws.com"},
        "Action": ["kms:DescribeKey", "kms:GetPublicKey", "kms:Sign"],
        "Resource": "*",
    }
    if source_account is not None:
        route53["Condition"] = {"StringEquals": {"aws:SourceAccount": source_account}}
    statements = [
        route53,
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{owner}:root"}, "Action": "kms:*", "Resource": "*"},
    ]
    if grant_account is not None:
        statements.append(
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{grant_account}:root"},
                "Action": ["kms:DescribeKey", "kms:GetPublicKey", "kms:Sign", "kms:Verify"],
                "Resource": "*",
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def new_key(kms: Any, policy: str) -> dict[str, Any]:
    metadata: dict[str, Any] = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY", Policy=policy)[
        "KeyMetadata"
    ]
    return metadata


def zone_ids(route53: Any) -> set[str]:
    return {
        bare(zone["Id"])
        for page in route53.get_paginator("list_hosted_zones").paginate()
        for zone in page["HostedZones"]
    }


def check_ids(route53: Any) -> set[str]:
    pages = route53.get_paginator("list_health_checks").paginate()
    return {check["Id"] for page in pages for check in page["HealthChecks"]}


def no_such_check(check_id: str) -> tuple[str, int, str]:
    return ("NoSuchHealthCheck", 404, f"A health check with id {check_id} does not exist.")


def test_the_access_key_names_the_account(r53: dict[str, Any], live_server: LiveServer) -> None:
    """``test`` and any key that is not 12 digits act for R53_ACCOUNT_ID; 12 digits act for themselves."""
    zone_id = new_zone(live_server.client("route53", access_key="test"))
    assert r53[DEFAULT].get_hosted_zone(Id=zone_id)["HostedZone"]["Id"] == f"/hostedzone/{zone_id}"
    assert live_server.client("route53", access_key="AKIAEXAMPLE").get_hosted_zone(Id=zone_id)
    for account in (A, B):
        assert error_of(r53[account].get_hosted_zone, Id=zone_id) == no_such_zone(zone_id)
    thirteen = live_server.client("route53", access_key="1111111111112")  # not 12 digits: the default account
    assert thirteen.get_hosted_zone(Id=zone_id)
    logged = poll(lambda: "account=111111111111" in live_server.log_path.read_text(), True)
    assert logged  # the access log names the account each request acted for


def test_hosted_zones_and_their_record_sets_and_tags_stay_in_their_account(r53: dict[str, Any]) -> None:
    name, reference = f"{uuid.uuid4().hex[:10]}.example.com", uuid.uuid4().hex
    created = {
        account: r53[account].create_hosted_zone(Name=name, CallerReference=reference) for account in (A, B, C)
    }  # the same name and caller reference in three accounts: three zones
    ids = {account: bare(response["HostedZone"]["Id"]) for account, response in created.items()}
    assert len(set(ids.values())) == 3
    for account in (A, B, C):
        insync(r53[account], created[account]["ChangeInfo"])
    zone_a = ids[A]
    r53[A].change_tags_for_resource(
        ResourceType="hostedzone", ResourceId=zone_a, AddTags=[{"Key": "team", "Value": "a"}]
    )
    upsert = {
        "Changes": [
            {
                "Action": "UPSERT",
                "ResourceRecordSet": {
                    "Name": f"www.{name}",
                    "Type": "A",
                    "TTL": 60,
                    "ResourceRecords": [{"Value": "192.0.2.1"}],
                },
            }
        ]
    }
    change_a = r53[A].change_resource_record_sets(HostedZoneId=zone_a, ChangeBatch=upsert)["ChangeInfo"]

    for other in (B, C, DEFAULT):
        client, missing = r53[other], no_such_zone(zone_a)
        assert zone_a not in zone_ids(client)
        assert error_of(client.get_hosted_zone, Id=zone_a) == missing
        assert error_of(client.update_hosted_zone_comment, Id=zone_a, Comment="x") == missing
        assert error_of(client.delete_hosted_zone, Id=zone_a) == missing
        assert error_of(client.list_resource_record_sets, HostedZoneId=zone_a) == missing
        assert error_of(client.change_resource_record_sets, HostedZoneId=zone_a, ChangeBatch=upsert) == missing
        assert error_of(client.list_tags_for_resource, ResourceType="hostedzone", ResourceId=zone_a) == missing
        assert error_of(client.list_tags_for_resources, ResourceType="hostedzone", ResourceIds=[zone_a]) == missing
        tag = {"ResourceType": "hostedzone", "ResourceId": zone_a, "AddTags": [{"Key": "k", "Value": "v"}]}
        assert error_of(client.change_tags_for_resource, **tag) == missing
        answer = {"HostedZoneId": zone_a, "RecordName": f"www.{name}", "RecordType": "A"}
        assert error_of(client.test_dns_answer, **answer) == missing
        assert error_of(client.get_dnssec, HostedZoneId=zone_a) == missing
        assert error_of(client.enable_hosted_zone_dnssec, HostedZoneId=zone_a) == missing
        assert error_of(client.disable_hosted_zone_dnssec, HostedZoneId=zone_a) == missing
        assert error_of(client.get_change, Id=change_a["Id"]) == (
            "NoSuchChange",
            404,
            f"Could not find resource with ID: {bare(change_a['Id'])}",
        )
        by_name = client.list_hosted_zones_by_name(DNSName=name)["HostedZones"]
        assert zone_a not in {bare(zone["Id"]) for zone in by_name}

    # A's own view is whole, and B's zone of the same name kept only its apex records and no tags.
    assert r53[A].get_change(Id=change_a["Id"])["ChangeInfo"]["Status"] == "INSYNC"
    assert [r["Type"] for r in r53[A].list_resource_record_sets(HostedZoneId=zone_a)["ResourceRecordSets"]] == [
        "NS",
        "SOA",
        "A",
    ]
    assert [r["Type"] for r in r53[B].list_resource_record_sets(HostedZoneId=ids[B])["ResourceRecordSets"]] == [
        "NS",
        "SOA",
    ]
    assert r53[B].list_tags_for_resource(ResourceType="hostedzone", ResourceId=ids[B])["ResourceTagSet"]["Tags"] == []
    assert error_of(r53[A].create_hosted_zone, Name=name, CallerReference=reference) == (
        "HostedZoneAlreadyExists",
        409,
        "A hosted zone has already been created with the specified caller reference.",
    )  # taken in A; the same reference in B and C made their own zones above


def test_counts_and_pages_are_per_account(r53: dict[str, Any]) -> None:
    before = {account: r53[account].get_hosted_zone_count()["HostedZoneCount"] for account in (A, B, C)}
    made = [new_zone(r53[A]) for _ in range(3)] + [new_zone(r53[B])]
    after = {account: r53[account].get_hosted_zone_count()["HostedZoneCount"] for account in (A, B, C)}
    assert {account: after[account] - before[account] for account in after} == {A: 3, B: 1, C: 0}
    pages = list(r53[A].get_paginator("list_hosted_zones").paginate(PaginationConfig={"PageSize": 1}))
    listed = [bare(zone["Id"]) for page in pages for zone in page["HostedZones"]]
    assert set(made[:3]) <= set(listed) and made[3] not in listed and len(listed) == after[A]
    # A marker naming another account's zone pages through the caller's own zones only.
    marker_page = r53[A].list_hosted_zones(Marker=made[3], MaxItems="100")["HostedZones"]
    assert made[3] not in {bare(zone["Id"]) for zone in marker_page}
    by_name = zones_by_name(r53[B])
    assert made[3] in by_name and not set(made[:3]) & set(by_name) and len(by_name) == after[B]


def zones_by_name(route53: Any) -> list[str]:
    """Every zone ListHostedZonesByName pages through, one per page (NextDNSName, NextHostedZoneId)."""
    ids: list[str] = []
    params: dict[str, Any] = {"MaxItems": "1"}
    while True:
        page = route53.list_hosted_zones_by_name(**params)
        ids += [bare(zone["Id"]) for zone in page["HostedZones"]]
        if not page["IsTruncated"]:
            return ids
        params = {"MaxItems": "1", "DNSName": page["NextDNSName"], "HostedZoneId": page["NextHostedZoneId"]}


def test_health_checks_their_tags_and_caller_references_stay_in_their_account(r53: dict[str, Any]) -> None:
    reference = uuid.uuid4().hex
    made = {
        account: r53[account].create_health_check(CallerReference=reference, HealthCheckConfig=HTTP_CONFIG)
        for account in (A, B)
    }
    check_a, check_b = made[A]["HealthCheck"]["Id"], made[B]["HealthCheck"]["Id"]
    assert check_a != check_b
    r53[A].change_tags_for_resource(
        ResourceType="healthcheck", ResourceId=check_a, AddTags=[{"Key": "t", "Value": "a"}]
    )
    counts = {account: r53[account].get_health_check_count()["HealthCheckCount"] for account in (A, B, C)}
    assert counts[C] == 0 and counts[A] >= 1
    for other in (B, C):
        client, missing = r53[other], no_such_check(check_a)
        assert check_a not in check_ids(client)
        assert error_of(client.get_health_check, HealthCheckId=check_a) == missing
        assert error_of(client.update_health_check, HealthCheckId=check_a, Port=81) == missing
        assert error_of(client.delete_health_check, HealthCheckId=check_a) == missing
        assert error_of(client.get_health_check_status, HealthCheckId=check_a) == missing
        assert error_of(client.get_health_check_last_failure_reason, HealthCheckId=check_a) == missing
        assert error_of(client.list_tags_for_resource, ResourceType="healthcheck", ResourceId=check_a) == missing
        assert error_of(client.list_tags_for_resources, ResourceType="healthcheck", ResourceIds=[check_a]) == missing
        tag = {"ResourceType": "healthcheck", "ResourceId": check_a, "AddTags": [{"Key": "k", "Value": "v"}]}
        assert error_of(client.change_tags_for_resource, **tag) == missing
    # A record set of B cannot name A's health check; a calculated check of B cannot have it as a child.
    zone_b = new_zone(r53[B])
    record = {
        "Name": f"w.{r53[B].get_hosted_zone(Id=zone_b)['HostedZone']['Name']}",
        "Type": "A",
        "TTL": 60,
        "SetIdentifier": "one",
        "Weight": 1,
        "HealthCheckId": check_a,
        "ResourceRecords": [{"Value": "192.0.2.2"}],
    }
    batch = {"Changes": [{"Action": "CREATE", "ResourceRecordSet": record}]}
    assert error_of(r53[B].change_resource_record_sets, HostedZoneId=zone_b, ChangeBatch=batch) == no_such_check(
        check_a
    )
    calculated = {"Type": "CALCULATED", "HealthThreshold": 1, "ChildHealthChecks": [check_a]}
    assert error_of(r53[B].create_health_check, CallerReference=uuid.uuid4().hex, HealthCheckConfig=calculated) == (
        "InvalidInput",
        400,
        f"Invalid parameter : The child health check {check_a} does not exist.",
    )
    assert r53[A].get_health_check(HealthCheckId=check_a)["HealthCheck"]["HealthCheckVersion"] == 1
    tags = r53[A].list_tags_for_resource(ResourceType="healthcheck", ResourceId=check_a)["ResourceTagSet"]["Tags"]
    assert tags == [{"Key": "t", "Value": "a"}]


def test_key_signing_keys_of_another_account_are_not_found(r53: dict[str, Any], kms: dict[str, Any]) -> None:
    zone_a = new_zone(r53[A])
    key_a = new_key(kms[A], dnssec_policy(A))
    new_ksk(r53[A], zone_a, key_a["Arn"], "ksk_a")
    key_b = new_key(kms[B], dnssec_policy(B))
    create = {
        "CallerReference": uuid.uuid4().hex,
        "HostedZoneId": zone_a,
        "KeyManagementServiceArn": key_b["Arn"],
        "Name": "intruder",
        "Status": "ACTIVE",
    }
    assert error_of(r53[B].create_key_signing_key, **create) == no_such_zone(zone_a)
    missing = ("NoSuchKeySigningKey", 404, f"No key-signing key named 'ksk_a' exists in hosted zone '{zone_a}'.")
    for operation in ("activate_key_signing_key", "deactivate_key_signing_key", "delete_key_signing_key"):
        assert error_of(getattr(r53[B], operation), HostedZoneId=zone_a, Name="ksk_a") == missing
    status, keys = (
        r53[A].get_dnssec(HostedZoneId=zone_a)["Status"],
        r53[A].get_dnssec(HostedZoneId=zone_a)["KeySigningKeys"],
    )
    assert status["ServeSignature"] == "NOT_SIGNING" and [key["Name"] for key in keys] == ["ksk_a"]
    assert keys[0]["KmsArn"].split(":")[4] == A  # the key ARN carries its owner's account


def test_kms_keys_and_aliases_belong_to_one_account(kms: dict[str, Any]) -> None:
    key_a = new_key(kms[A], dnssec_policy(A))
    assert key_a["AWSAccountId"] == A and key_a["Arn"] == f"arn:aws:kms:us-east-1:{A}:key/{key_a['KeyId']}"
    alias = f"alias/{uuid.uuid4().hex[:10]}"
    kms[A].create_alias(AliasName=alias, TargetKeyId=key_a["KeyId"])
    key_b = new_key(kms[B], dnssec_policy(B))
    kms[B].create_alias(AliasName=alias, TargetKeyId=key_b["KeyId"])  # the same alias name in another account
    assert kms[A].describe_key(KeyId=alias)["KeyMetadata"]["KeyId"] == key_a["KeyId"]
    assert kms[B].describe_key(KeyId=alias)["KeyMetadata"]["KeyId"] == key_b["KeyId"]

    key_id, arn = key_a["KeyId"], key_a["Arn"]
    in_b = ("NotFoundException", 400, f"Key 'arn:aws:kms:us-east-1:{B}:key/{key_id}' does not exist")
    by_arn = ("NotFoundException", 400, f"Key '{arn}' does not exist")
    assert error_of(kms[B].describe_key, KeyId=key_id) == in_b  # a bare id is looked up in the caller's account
    for operation, extra in (
        ("describe_key", {}),
        ("get_public_key", {}),
        ("get_key_policy", {"PolicyName": "default"}),
        ("disable_key", {}),
        ("enable_key", {}),
        ("schedule_key_deletion", {"PendingWindowInDays": 7}),
        ("list_resource_tags", {}),
        ("tag_resource", {"Tags": [{"TagKey": "k", "TagValue": "v"}]}),
        ("sign", {"Message": b"m", "SigningAlgorithm": "ECDSA_SHA_256"}),
        ("verify", {"Message": b"m", "Signature": b"s" * 70, "SigningAlgorithm": "ECDSA_SHA_256"}),
        ("get_key_rotation_status", {}),
        ("put_key_policy", {"PolicyName": "default", "Policy": dnssec_policy(B)}),
        ("cancel_key_deletion", {}),
        ("untag_resource", {"TagKeys": ["k"]}),
    ):
        assert error_of(getattr(kms[B], operation), KeyId=arn, **extra) == by_arn, operation
    alias_arn = f"arn:aws:kms:us-east-1:{A}:{alias}"
    assert kms[B].describe_key(KeyId=f"arn:aws:kms:us-east-1:{B}:{alias}")["KeyMetadata"]["KeyId"] == key_b["KeyId"]
    assert error_of(kms[B].describe_key, KeyId=alias_arn) == by_arn
    keys_b = {key["KeyId"] for page in kms[B].get_paginator("list_keys").paginate() for key in page["Keys"]}
    assert key_id not in keys_b and key_b["KeyId"] in keys_b
    aliases_b = [a for page in kms[B].get_paginator("list_aliases").paginate() for a in page["Aliases"]]
    assert {(a["AliasName"], a["TargetKeyId"]) for a in aliases_b if a["AliasName"] == alias} == {
        (alias, key_b["KeyId"])
    }
    assert all(a["AliasArn"].split(":")[4] == B for a in aliases_b)
    assert error_of(kms[B].list_aliases, KeyId=arn) == by_arn
    assert error_of(kms[B].create_alias, AliasName="alias/steal", TargetKeyId=arn) == by_arn
    assert kms[A].describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "Enabled"  # nothing B tried landed
    assert kms[A].get_key_policy(KeyId=key_id, PolicyName="default")["Policy"] == dnssec_policy(A)
    assert kms[A].list_resource_tags(KeyId=key_id)["Tags"] == []


def test_a_key_policy_grants_another_account_what_kms_allows_across_accounts(kms: dict[str, Any]) -> None:
    key = new_key(kms[A], dnssec_policy(A, grant_account=B))
    arn = key["Arn"]
    assert kms[B].describe_key(KeyId=arn)["KeyMetadata"]["AWSAccountId"] == A
    public_key = kms[B].get_public_key(KeyId=arn)["PublicKey"]
    assert public_key == kms[A].get_public_key(KeyId=arn)["PublicKey"]
    signature = kms[B].sign(KeyId=arn, Message=b"hello", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    assert kms[A].verify(KeyId=arn, Message=b"hello", Signature=signature, SigningAlgorithm="ECDSA_SHA_256")[
        "SignatureValid"
    ]
    by_arn = ("NotFoundException", 400, f"Key '{arn}' does not exist")
    assert error_of(kms[B].disable_key, KeyId=arn) == by_arn  # not an operation KMS allows across accounts
    assert error_of(kms[B].get_key_policy, KeyId=arn, PolicyName="default") == by_arn
    assert error_of(kms[C].describe_key, KeyId=arn) == by_arn  # granted to B only
    assert error_of(kms[B].describe_key, KeyId=key["KeyId"]) == (
        "NotFoundException",
        400,
        f"Key 'arn:aws:kms:us-east-1:{B}:key/{key['KeyId']}' does not exist",
    )


PERMISSIONS = (
    "did not grant all required permissions for DNSSEC usage. Please review your key-policy, and verify that you "
    "and Route 53 have permissions to perform the following actions: DescribeKey, GetPublicKey, and Sign."
)


def test_a_ksk_key_of_another_account_needs_its_policy_to_name_the_zone_account(
    r53: dict[str, Any], kms: dict[str, Any]
) -> None:
    zone_b = new_zone(r53[B])
    unnamed = new_key(kms[A], dnssec_policy(A))  # grants Route 53 for A's own zones only
    other = new_key(kms[A], dnssec_policy(A, source_account=C))  # grants Route 53 for C's zones
    for key in (unnamed, other):
        create = {
            "CallerReference": uuid.uuid4().hex,
            "HostedZoneId": zone_b,
            "KeyManagementServiceArn": key["Arn"],
            "Name": "cross",
            "Status": "ACTIVE",
        }
        assert error_of(r53[B].create_key_signing_key, **create) == (
            "InvalidKMSArn",
            400,
            f"The CMK with ARN '{key['Arn']}' {PERMISSIONS}",
        )
    assert r53[B].get_dnssec(HostedZoneId=zone_b)["KeySigningKeys"] == []
    named = new_key(kms[A], dnssec_policy(A, source_account=B))
    new_ksk(r53[B], zone_b, named["Arn"], "cross")
    insync(r53[B], r53[B].enable_hosted_zone_dnssec(HostedZoneId=zone_b)["ChangeInfo"])
    assert poll(lambda: zone_state(r53[B], zone_b), ("SIGNING", None)) == ("SIGNING", None)
    # The same policy does not let A's own zones use the key: aws:SourceAccount names B only.
    zone_a = new_zone(r53[A])
    create = {
        "CallerReference": uuid.uuid4().hex,
        "HostedZoneId": zone_a,
        "KeyManagementServiceArn": named["Arn"],
        "Name": "own",
        "Status": "ACTIVE",
    }
    assert error_of(r53[A].create_key_signing_key, **create)[0] == "InvalidKMSArn"


def test_the_dns_listener_serves_every_account_and_the_first_zone_of_a_name_answers(
    template_database: str, tmp_path: Path
) -> None:
    urls = fresh_database_url(template_database, tmp_path)
    server = LiveServer(next(urls), tmp_path, dns_port=str(free_dns_port())).start()
    try:
        port = int(server.settings["dns_port"])
        first, second = server.client("route53", access_key=A), server.client("route53", access_key=B)
        name = f"{uuid.uuid4().hex[:8]}.example.com."
        zone_a, zone_b = new_zone(first, name), new_zone(second, name)
        insync(first, upsert(first, zone_a, plain(f"www.{name}", "A", "192.0.2.1")))
        insync(second, upsert(second, zone_b, plain(f"www.{name}", "A", "192.0.2.2")))
        only_b = f"{uuid.uuid4().hex[:8]}.example.net."
        zone_c = new_zone(second, only_b)
        insync(second, upsert(second, zone_c, plain(f"www.{only_b}", "A", "192.0.2.3")))

        def address(query: str) -> list[str]:
            answer = ask(port, query, "A")
            return [item.to_text() for rrset in answer.answer for item in rrset]

        assert address(f"www.{name}") == ["192.0.2.1"]  # A's zone was created first
        assert address(f"www.{only_b}") == ["192.0.2.3"]  # B's zones are served as well
        batch = {"Changes": [{"Action": "DELETE", "ResourceRecordSet": plain(f"www.{name}", "A", "192.0.2.1")}]}
        first.change_resource_record_sets(HostedZoneId=zone_a, ChangeBatch=batch)
        first.delete_hosted_zone(Id=zone_a)
        assert poll(lambda: address(f"www.{name}"), ["192.0.2.2"]) == ["192.0.2.2"]  # now B's answers
    finally:
        server.stop()
        next(urls, None)
