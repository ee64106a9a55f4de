"""Terraform's flows (reference §13) scripted with boto3 against the real server, call for call, plus the AWS CLI.

Resources: aws_route53_zone, aws_kms_key, aws_route53_key_signing_key, aws_route53_hosted_zone_dnssec. Each
create, read, update and delete below issues the calls the provider issues, in its order, with its waiters
(GetChange until INSYNC, GetDNSSEC until the wanted status), and its tolerated errors on destroy.
"""

import json
import os
import re
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

from tests.e2e.helpers import (
    bare,
    error_of,
    no_such_key,
    no_such_zone,
    poll,
    zone_not_empty,
)
from tests.kms_keys import DNSSEC_POLICY

ROOT = Path(__file__).resolve().parents[2]
AWS_CLI = ROOT / ".venv" / "bin" / "aws"

# The KMS key policy of Terraform's own aws_route53_key_signing_key acceptance test: the legacy service
# principal, no Resource in its DNSSEC statement, plus an {"AWS": "*"} kms:* statement.
TERRAFORM_TEST_POLICY = json.dumps(
    {
        "Statement": [
            {
                "Action": ["kms:DescribeKey", "kms:GetPublicKey", "kms:Sign"],
                "Effect": "Allow",
                "Principal": {"Service": "api-service.dnssec.route53.aws.internal"},
                "Sid": "Route 53 DNSSEC Permissions",
            },
            {
                "Action": "kms:*",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Resource": "*",
                "Sid": "IAM User Permissions",
            },
        ],
        "Version": "2012-10-17",
    }
)

_counter = 0


def caller_reference() -> str:
    """Terraform's ``terraform-<timestamp><counter>`` caller references."""
    global _counter
    _counter += 1
    return f"terraform-{time.strftime('%Y%m%d%H%M%S')}{int(time.time() * 1e6) % 10**8:08d}{_counter:08d}"


def wait_change_insync(route53: Any, change_id: str) -> None:
    """Terraform's waitChangeInsync: GetChange while PENDING, done on INSYNC, any other status fails."""

    def status() -> str:
        got: str = route53.get_change(Id=change_id)["ChangeInfo"]["Status"]
        assert got in ("PENDING", "INSYNC"), got
        return got

    poll(status, "INSYNC")


def ksk_by_name(route53: Any, zone_id: str, name: str) -> dict[str, Any] | None:
    keys = route53.get_dnssec(HostedZoneId=zone_id)["KeySigningKeys"]
    return next((key for key in keys if key["Name"] == name), None)


def wait_ksk_status(route53: Any, zone_id: str, name: str, status: str) -> None:
    """waitKeySigningKeyStatusUpdated: GetDNSSEC until the key with this exact name has the status."""

    def current() -> str | None:
        key = ksk_by_name(route53, zone_id, name)
        return None if key is None else str(key["Status"])

    poll(current, status)


def wait_signing(route53: Any, zone_id: str, serve_signature: str) -> None:
    poll(lambda: route53.get_dnssec(HostedZoneId=zone_id)["Status"]["ServeSignature"], serve_signature)


def ksk_state(route53: Any, zone_id: str, name: str) -> dict[str, Any] | None:
    """aws_route53_key_signing_key Read: the attributes Terraform stores (None = removed from state)."""
    key = ksk_by_name(route53, zone_id, name)
    if key is None:
        return None
    return {
        "id": f"{zone_id},{name}",
        "hosted_zone_id": zone_id,
        "digest_algorithm_mnemonic": key["DigestAlgorithmMnemonic"],
        "digest_algorithm_type": key["DigestAlgorithmType"],
        "digest_value": key["DigestValue"],
        "dnskey_record": key["DNSKEYRecord"],
        "ds_record": key["DSRecord"],
        "flag": key["Flag"],
        "key_management_service_arn": key["KmsArn"],
        "key_tag": key["KeyTag"],
        "name": key["Name"],
        "public_key": key["PublicKey"],
        "signing_algorithm_mnemonic": key["SigningAlgorithmMnemonic"],
        "signing_algorithm_type": key["SigningAlgorithmType"],
        "status": key["Status"],
    }


def check_acceptance_test_attributes(state: dict[str, Any], kms_arn: str, name: str, status: str) -> None:
    """The checks of Terraform's TestAccRoute53KeySigningKey_basic."""
    assert state["digest_algorithm_mnemonic"] == "SHA-256"
    assert state["digest_algorithm_type"] == 2
    assert re.fullmatch(r"[0-9A-F]+", state["digest_value"])
    assert re.fullmatch(r"257 [0-9]+ [0-9]+ [0-9A-Za-z+/]+={0,3}", state["dnskey_record"])
    assert re.fullmatch(r"[0-9]+ [0-9]+ [0-9]+ [0-9A-F]+", state["ds_record"])
    assert state["flag"] == 257
    assert state["key_management_service_arn"] == kms_arn
    assert 0 <= state["key_tag"] <= 65535
    assert state["name"] == name
    assert re.fullmatch(r"[0-9A-Za-z+/]+={0,3}", state["public_key"])
    assert state["signing_algorithm_mnemonic"] == "ECDSAP256SHA256"
    assert state["signing_algorithm_type"] == 13
    assert state["status"] == status


# --- aws_route53_zone ------------------------------------------------------------------------------------------


def zone_create(route53: Any, name: str, tags: dict[str, str], use_botocore_waiter: bool = False) -> str:
    created = route53.create_hosted_zone(
        Name=name, CallerReference=caller_reference(), HostedZoneConfig={"Comment": "Managed by Terraform"}
    )
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert created["ChangeInfo"]["Status"] == "PENDING"
    zone_id = bare(created["HostedZone"]["Id"])
    if use_botocore_waiter:
        waiter = route53.get_waiter("resource_record_sets_changed")
        waiter.wait(Id=created["ChangeInfo"]["Id"], WaiterConfig={"Delay": 1, "MaxAttempts": 5})
        assert route53.get_change(Id=created["ChangeInfo"]["Id"])["ChangeInfo"]["Status"] == "INSYNC"
    else:
        wait_change_insync(route53, created["ChangeInfo"]["Id"])
    if tags:
        route53.change_tags_for_resource(
            ResourceType="hostedzone",
            ResourceId=zone_id,
            AddTags=[{"Key": key, "Value": value} for key, value in tags.items()],
        )
    return zone_id


def zone_read(route53: Any, zone_id: str) -> dict[str, Any]:
    got = route53.get_hosted_zone(Id=zone_id)
    name_servers = got["DelegationSet"]["NameServers"]
    assert name_servers, "public zones must have name servers (Terraform indexes nameServers[0])"
    assert name_servers[0]
    listed = route53.list_tags_for_resource(ResourceType="hostedzone", ResourceId=zone_id)["ResourceTagSet"]
    assert (listed["ResourceType"], listed["ResourceId"]) == ("hostedzone", zone_id)
    return {
        "zone_id": bare(got["HostedZone"]["Id"]),
        "name": got["HostedZone"]["Name"],
        "comment": got["HostedZone"]["Config"].get("Comment"),
        "name_servers": sorted(name_servers),
        "tags": {tag["Key"]: tag["Value"] for tag in listed["Tags"]},
    }


def zone_delete_force_destroy(route53: Any, zone_id: str) -> None:
    """force_destroy: delete non-apex records (none here), disable signing if SIGNING, then DeleteHostedZone and
    wait on its change after the zone is gone."""
    records = route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    assert {record["Type"] for record in records} == {"SOA", "NS"}
    if route53.get_dnssec(HostedZoneId=zone_id)["Status"]["ServeSignature"] == "SIGNING":
        wait_change_insync(route53, route53.disable_hosted_zone_dnssec(HostedZoneId=zone_id)["ChangeInfo"]["Id"])
    deleted = route53.delete_hosted_zone(Id=zone_id)
    assert deleted["ChangeInfo"]["Status"] == "PENDING"
    assert error_of(route53.get_hosted_zone, Id=zone_id) == no_such_zone(zone_id)
    wait_change_insync(route53, deleted["ChangeInfo"]["Id"])


# --- aws_kms_key -----------------------------------------------------------------------------------------------


def kms_key_create(kms: Any, policy: str, tags: dict[str, str]) -> str:
    created = kms.create_key(
        CustomerMasterKeySpec="ECC_NIST_P256",
        KeyUsage="SIGN_VERIFY",
        Policy=policy,
        Description="DNSSEC KSK key, managed by Terraform",
        Tags=[{"TagKey": key, "TagValue": value} for key, value in tags.items()],
    )
    metadata = created["KeyMetadata"]
    assert (metadata["KeySpec"], metadata["CustomerMasterKeySpec"]) == ("ECC_NIST_P256", "ECC_NIST_P256")
    key_id = metadata["KeyId"]
    # Wait until the policy and the tags read back.
    poll(lambda: json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]), json.loads(policy))
    poll(lambda: {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=key_id)["Tags"]}, tags)
    arn: str = metadata["Arn"]
    return arn


def kms_key_read(kms: Any, arn: str) -> dict[str, Any]:
    metadata = kms.describe_key(KeyId=arn)["KeyMetadata"]
    policy = kms.get_key_policy(KeyId=arn, PolicyName="default")["Policy"]
    rotation = kms.get_key_rotation_status(KeyId=arn)["KeyRotationEnabled"]
    tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=arn)["Tags"]}
    return {
        "arn": metadata["Arn"],
        "key_id": metadata["KeyId"],
        "customer_master_key_spec": metadata["CustomerMasterKeySpec"],
        "key_usage": metadata["KeyUsage"],
        "is_enabled": metadata["Enabled"],
        "description": metadata["Description"],
        "policy": json.loads(policy),
        "enable_key_rotation": rotation,
        "tags": tags,
    }


def kms_key_delete(kms: Any, arn: str) -> None:
    scheduled = kms.schedule_key_deletion(KeyId=arn, PendingWindowInDays=7)
    assert scheduled["KeyState"] == "PendingDeletion"
    poll(lambda: kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"], "PendingDeletion")


# --- aws_route53_key_signing_key and aws_route53_hosted_zone_dnssec ----------------------------------------------


def ksk_create(route53: Any, zone_id: str, kms_arn: str, name: str, status: str = "ACTIVE") -> dict[str, Any]:
    created = route53.create_key_signing_key(
        CallerReference=caller_reference(),
        HostedZoneId=zone_id,
        KeyManagementServiceArn=kms_arn,
        Name=name,
        Status=status,
    )
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert created["ChangeInfo"]["Status"] == "PENDING"
    wait_change_insync(route53, created["ChangeInfo"]["Id"])
    wait_ksk_status(route53, zone_id, name, status)
    state = ksk_state(route53, zone_id, name)
    assert state is not None
    return state


def ksk_update_status(route53: Any, zone_id: str, name: str, status: str) -> None:
    operation = route53.activate_key_signing_key if status == "ACTIVE" else route53.deactivate_key_signing_key
    wait_change_insync(route53, operation(HostedZoneId=zone_id, Name=name)["ChangeInfo"]["Id"])
    wait_ksk_status(route53, zone_id, name, status)


def ksk_delete(route53: Any, zone_id: str, name: str, state_status: str) -> None:
    """Deactivate (if ACTIVE or ACTION_NEEDED; NoSuchKeySigningKey = done), then Delete (NoSuchHostedZone or
    NoSuchKeySigningKey = done), each waited to INSYNC. No retry: Deactivate must take effect at once."""
    if state_status in ("ACTIVE", "ACTION_NEEDED"):
        wait_change_insync(
            route53, route53.deactivate_key_signing_key(HostedZoneId=zone_id, Name=name)["ChangeInfo"]["Id"]
        )
    deleted = route53.delete_key_signing_key(HostedZoneId=zone_id, Name=name)
    assert deleted["ChangeInfo"]["Status"] == "PENDING"
    wait_change_insync(route53, deleted["ChangeInfo"]["Id"])
    assert ksk_state(route53, zone_id, name) is None


def dnssec_set(route53: Any, zone_id: str, signing_status: str) -> None:
    """aws_route53_hosted_zone_dnssec create/update: Enable for SIGNING, Disable for NOT_SIGNING."""
    if signing_status == "SIGNING":
        change = route53.enable_hosted_zone_dnssec(HostedZoneId=zone_id)["ChangeInfo"]
    else:
        change = route53.disable_hosted_zone_dnssec(HostedZoneId=zone_id)["ChangeInfo"]
    assert change["Status"] == "PENDING"
    wait_change_insync(route53, change["Id"])
    wait_signing(route53, zone_id, signing_status)


def dnssec_read(route53: Any, zone_id: str) -> dict[str, Any]:
    got = route53.get_dnssec(HostedZoneId=zone_id)
    assert "Status" in got and "ServeSignature" in got["Status"]
    return {"hosted_zone_id": zone_id, "signing_status": got["Status"]["ServeSignature"]}


def dnssec_delete(route53: Any, zone_id: str) -> None:
    """Disable once; DNSSECNotFound or NoSuchHostedZone would mean done."""
    wait_change_insync(route53, route53.disable_hosted_zone_dnssec(HostedZoneId=zone_id)["ChangeInfo"]["Id"])


def unique_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().int % 10**18}"


# --- the flows ---------------------------------------------------------------------------------------------------


def test_signing_flow_create_read_import_verify_and_destroy(route53, kms):
    zone_name = f"{unique_name('tf-acc-test')}.terraformtest.com"
    ksk_name = unique_name("tf-acc-test")
    tags = {"Name": "tf-acc-test", "Env": "e2e"}

    # terraform apply
    zone_id = zone_create(route53, zone_name, tags, use_botocore_waiter=True)
    zone = zone_read(route53, zone_id)
    assert zone["name"] == zone_name + "."
    assert zone["comment"] == "Managed by Terraform"
    assert zone["tags"] == tags

    kms_arn = kms_key_create(kms, TERRAFORM_TEST_POLICY, {"Name": "tf-acc-test"})
    kms_state = kms_key_read(kms, kms_arn)
    assert kms_state["customer_master_key_spec"] == "ECC_NIST_P256"
    assert (kms_state["key_usage"], kms_state["is_enabled"], kms_state["enable_key_rotation"]) == (
        "SIGN_VERIFY",
        True,
        False,
    )

    ksk = ksk_create(route53, zone_id, kms_arn, ksk_name)
    check_acceptance_test_attributes(ksk, kms_arn, ksk_name, "ACTIVE")
    dnssec_set(route53, zone_id, "SIGNING")
    assert dnssec_read(route53, zone_id) == {"hosted_zone_id": zone_id, "signing_status": "SIGNING"}

    # terraform plan (refresh) and import: ImportStateVerify demands every attribute unchanged on re-read.
    first, second = ksk_state(route53, zone_id, ksk_name), ksk_state(route53, zone_id, ksk_name)
    assert first == second == ksk
    assert zone_read(route53, zone_id) == zone
    assert kms_key_read(kms, kms_arn) == kms_state
    assert dnssec_read(route53, zone_id) == dnssec_read(route53, zone_id)

    # Tags change in place (ChangeTagsForResource add and remove).
    route53.change_tags_for_resource(
        ResourceType="hostedzone", ResourceId=zone_id, AddTags=[{"Key": "Env", "Value": "prod"}], RemoveTagKeys=["Name"]
    )
    assert zone_read(route53, zone_id)["tags"] == {"Env": "prod"}

    # terraform destroy, in the acceptance test's order.
    dnssec_delete(route53, zone_id)
    assert dnssec_read(route53, zone_id)["signing_status"] == "NOT_SIGNING"
    ksk_delete(route53, zone_id, ksk_name, "ACTIVE")
    zone_delete_force_destroy(route53, zone_id)
    kms_key_delete(kms, kms_arn)

    # CheckDestroy: the zone lookup is NoSuchHostedZone, which removes both resources from state.
    assert error_of(route53.get_dnssec, HostedZoneId=zone_id) == no_such_zone(zone_id)
    # A second destroy (e.g. after a partial failure) finds nothing and treats each answer as done.
    assert error_of(route53.disable_hosted_zone_dnssec, HostedZoneId=zone_id) == no_such_zone(zone_id)
    assert error_of(route53.deactivate_key_signing_key, HostedZoneId=zone_id, Name=ksk_name) == no_such_key(
        zone_id, ksk_name
    )
    assert error_of(route53.delete_key_signing_key, HostedZoneId=zone_id, Name=ksk_name) == no_such_key(
        zone_id, ksk_name
    )
    assert error_of(route53.delete_hosted_zone, Id=zone_id) == no_such_zone(zone_id)
    code, status, message = error_of(kms.schedule_key_deletion, KeyId=kms_arn, PendingWindowInDays=7)
    assert (code, status) == ("KMSInvalidStateException", 400)
    assert "is pending deletion" in message


def test_not_signing_variant_creates_by_disable_and_updates_both_ways(route53, kms):
    zone_name = f"{unique_name('tf-acc-test')}.terraformtest.com"
    ksk_name = unique_name("tf-acc-test")
    zone_id = zone_create(route53, zone_name, {})
    assert zone_read(route53, zone_id)["tags"] == {}
    kms_arn = kms_key_create(kms, DNSSEC_POLICY, {})
    ksk = ksk_create(route53, zone_id, kms_arn, ksk_name)

    # signing_status = "NOT_SIGNING": created through DisableHostedZoneDNSSEC on a never-signed zone.
    dnssec_set(route53, zone_id, "NOT_SIGNING")
    assert dnssec_read(route53, zone_id)["signing_status"] == "NOT_SIGNING"
    # Update to SIGNING and back.
    dnssec_set(route53, zone_id, "SIGNING")
    dnssec_set(route53, zone_id, "NOT_SIGNING")
    # aws_route53_key_signing_key status update: INACTIVE then ACTIVE again (zone not signing).
    ksk_update_status(route53, zone_id, ksk_name, "INACTIVE")
    inactive = ksk_state(route53, zone_id, ksk_name)
    assert inactive == {**ksk, "status": "INACTIVE"}
    ksk_update_status(route53, zone_id, ksk_name, "ACTIVE")
    assert ksk_state(route53, zone_id, ksk_name) == ksk

    # Destroy out of order first: the zone still holds a KSK.
    assert error_of(route53.delete_hosted_zone, Id=zone_id) == zone_not_empty()
    dnssec_delete(route53, zone_id)
    ksk_delete(route53, zone_id, ksk_name, "ACTIVE")
    zone_delete_force_destroy(route53, zone_id)
    kms_key_delete(kms, kms_arn)
    assert error_of(route53.get_dnssec, HostedZoneId=zone_id) == no_such_zone(zone_id)


def test_destroy_of_an_inactive_key_skips_deactivate(route53, kms):
    zone_id = zone_create(route53, f"{unique_name('inactive')}.example.org", {"Name": "x"})
    kms_arn = kms_key_create(kms, DNSSEC_POLICY, {"Name": "x"})
    ksk_name = unique_name("tf-acc-test")
    check_acceptance_test_attributes(
        ksk_create(route53, zone_id, kms_arn, ksk_name, "INACTIVE"), kms_arn, ksk_name, "INACTIVE"
    )
    ksk_delete(route53, zone_id, ksk_name, "INACTIVE")
    zone_delete_force_destroy(route53, zone_id)
    kms_key_delete(kms, kms_arn)


# --- the AWS CLI -------------------------------------------------------------------------------------------------


def aws_cli(live_server: Any, home: Path, *args: str, expect_ok: bool = True) -> Any:
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=str(home / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / "credentials"),
        AWS_MAX_ATTEMPTS="1",
        HOME=str(home),
    )
    result = subprocess.run(
        [str(AWS_CLI), *args, "--endpoint-url", live_server.url, "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if not expect_ok:
        assert result.returncode != 0, result.stdout
        return result.stderr
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout) if result.stdout.strip() else None


def test_aws_cli_zone_and_key_signing_key(live_server, kms, route53, tmp_path):
    name = f"{unique_name('cli')}.example.net"
    created = aws_cli(
        live_server,
        tmp_path,
        "route53",
        "create-hosted-zone",
        "--name",
        name,
        "--caller-reference",
        uuid.uuid4().hex,
        "--hosted-zone-config",
        "Comment=from the cli",
    )
    zone_id = bare(created["HostedZone"]["Id"])
    assert created["HostedZone"]["Name"] == name + "."
    assert created["ChangeInfo"]["Status"] == "PENDING"
    assert created["Location"].endswith(f"/2013-04-01/hostedzone/{zone_id}")
    assert len(created["DelegationSet"]["NameServers"]) == 4

    got = aws_cli(live_server, tmp_path, "route53", "get-hosted-zone", "--id", zone_id)
    assert got["HostedZone"]["Id"] == f"/hostedzone/{zone_id}"
    assert got["HostedZone"]["Config"]["Comment"] == "from the cli"
    assert got["DelegationSet"]["NameServers"] == created["DelegationSet"]["NameServers"]

    listed = aws_cli(live_server, tmp_path, "route53", "list-hosted-zones")
    assert f"/hostedzone/{zone_id}" in [zone["Id"] for zone in listed["HostedZones"]]

    kms_arn = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY", Policy=DNSSEC_POLICY)["KeyMetadata"][
        "Arn"
    ]
    ksk = aws_cli(
        live_server,
        tmp_path,
        "route53",
        "create-key-signing-key",
        "--caller-reference",
        uuid.uuid4().hex,
        "--hosted-zone-id",
        zone_id,
        "--key-management-service-arn",
        kms_arn,
        "--name",
        "cli_ksk",
        "--status",
        "INACTIVE",
    )
    assert ksk["Location"].endswith(f"/2013-04-01/keysigningkey/{zone_id}/cli_ksk")
    assert ksk["ChangeInfo"]["Status"] == "PENDING"
    assert (ksk["KeySigningKey"]["Name"], ksk["KeySigningKey"]["Status"]) == ("cli_ksk", "INACTIVE")
    assert ksk["KeySigningKey"]["KmsArn"] == kms_arn

    dnssec = aws_cli(live_server, tmp_path, "route53", "get-dnssec", "--hosted-zone-id", zone_id)
    assert dnssec["Status"] == {"ServeSignature": "NOT_SIGNING"}
    assert dnssec["KeySigningKeys"] == [ksk["KeySigningKey"]]

    # The zone holds a KSK: delete-hosted-zone fails with the service's error.
    stderr = aws_cli(live_server, tmp_path, "route53", "delete-hosted-zone", "--id", zone_id, expect_ok=False)
    assert "(HostedZoneNotEmpty)" in stderr
    assert "The specified hosted zone contains DNSSEC Key Signing Keys and so cannot be deleted." in stderr

    route53.delete_key_signing_key(HostedZoneId=zone_id, Name="cli_ksk")
    deleted = aws_cli(live_server, tmp_path, "route53", "delete-hosted-zone", "--id", zone_id)
    assert deleted["ChangeInfo"]["Status"] == "PENDING"
    assert route53.get_change(Id=deleted["ChangeInfo"]["Id"])["ChangeInfo"]["Status"] == "INSYNC"
    assert error_of(route53.get_hosted_zone, Id=zone_id) == no_such_zone(zone_id)
