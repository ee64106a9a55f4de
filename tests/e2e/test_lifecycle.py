"""The KSK and zone-signing state machine, end to end through boto3 against the real server.

Walks every status transition (KSK: INACTIVE, ACTIVE, ACTION_NEEDED, deleted; zone: NOT_SIGNING, SIGNING,
ACTION_NEEDED) and every error the product decided for ActivateKeySigningKey, DeactivateKeySigningKey,
DeleteKeySigningKey, GetDNSSEC, EnableHostedZoneDNSSEC, DisableHostedZoneDNSSEC and DeleteHostedZone, comparing
error Code, HTTP status and Message exactly.
"""

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.e2e.helpers import (
    ACCOUNT_ONLY_POLICY,
    ZONE_ACTION_NEEDED,
    call_ok,
    dnssec,
    dnssec_not_found,
    error_of,
    invalid_kms_arn,
    key_in_use,
    key_state,
    kms_disabled,
    kms_no_permission,
    kms_pending_deletion,
    new_kms_key,
    new_ksk,
    new_zone,
    no_active_key,
    no_such_key,
    no_such_zone,
    not_inactive,
    private_zone,
    zone_not_empty,
    zone_state,
)
from tests.kms_keys import DNSSEC_POLICY

DERIVED = (
    "Name",
    "KmsArn",
    "Flag",
    "SigningAlgorithmMnemonic",
    "SigningAlgorithmType",
    "DigestAlgorithmMnemonic",
    "DigestAlgorithmType",
    "KeyTag",
    "DigestValue",
    "PublicKey",
    "DSRecord",
    "DNSKEYRecord",
    "CreatedDate",
)


def derived(key: dict[str, Any]) -> dict[str, Any]:
    return {field: key[field] for field in DERIVED}


def raw_dnssec(url: str, zone_id: str) -> str:
    response = httpx.get(f"{url}/2013-04-01/hostedzone/{zone_id}/dnssec", timeout=10)
    assert response.status_code == 200, response.text
    return response.text


def test_full_key_and_zone_state_machine(route53, kms, live_server):
    zone_id = new_zone(route53)
    arn1, arn2 = new_kms_key(kms), new_kms_key(kms)

    # A fresh public zone: NOT_SIGNING, no keys (the empty list element is still there).
    assert route53.get_dnssec(HostedZoneId=zone_id)["Status"] == {"ServeSignature": "NOT_SIGNING"}
    assert route53.get_dnssec(HostedZoneId=zone_id)["KeySigningKeys"] == []
    assert "<KeySigningKeys/>" in raw_dnssec(live_server.url, zone_id)
    # No KSK and not signing: Disable has nothing to act on; Enable has no ACTIVE key.
    assert error_of(route53.disable_hosted_zone_dnssec, HostedZoneId=zone_id) == dnssec_not_found(zone_id)
    assert error_of(route53.enable_hosted_zone_dnssec, HostedZoneId=zone_id) == no_active_key(zone_id)
    # Nothing to activate, deactivate or delete yet.
    for operation in ("activate_key_signing_key", "deactivate_key_signing_key", "delete_key_signing_key"):
        call = getattr(route53, operation)
        assert error_of(call, HostedZoneId=zone_id, Name="ksk1") == no_such_key(zone_id, "ksk1")

    # Create ksk1 INACTIVE: visible at once as a <member> item, without StatusMessage.
    created = new_ksk(route53, zone_id, arn1, "ksk1", "INACTIVE")
    assert created["Status"] == "INACTIVE"
    status, keys = dnssec(route53, zone_id)
    assert status == {"ServeSignature": "NOT_SIGNING"}
    assert keys["ksk1"] == created
    assert "StatusMessage" not in keys["ksk1"]
    assert "<KeySigningKeys><member><Name>ksk1</Name>" in raw_dnssec(live_server.url, zone_id)

    # Only an INACTIVE key: Enable still finds no ACTIVE key.
    assert error_of(route53.enable_hosted_zone_dnssec, HostedZoneId=zone_id) == no_active_key(zone_id)
    # A KSK but never signed: Disable succeeds and leaves NOT_SIGNING (Terraform's NOT_SIGNING create).
    call_ok(route53, "disable_hosted_zone_dnssec", HostedZoneId=zone_id)
    assert zone_state(route53, zone_id) == ("NOT_SIGNING", None)
    # Deactivating an INACTIVE key succeeds.
    call_ok(route53, "deactivate_key_signing_key", HostedZoneId=zone_id, Name="ksk1")
    assert key_state(route53, zone_id, "ksk1") == ("INACTIVE", None)

    # INACTIVE -> ACTIVE; LastModifiedDate moves, CreatedDate and the derived fields do not.
    before = dnssec(route53, zone_id)[1]["ksk1"]
    time.sleep(0.01)
    call_ok(route53, "activate_key_signing_key", HostedZoneId=zone_id, Name="ksk1")
    after = dnssec(route53, zone_id)[1]["ksk1"]
    assert after["Status"] == "ACTIVE"
    assert "StatusMessage" not in after
    assert after["LastModifiedDate"] > before["LastModifiedDate"]
    assert derived(after) == derived(before)
    # Activating an ACTIVE key succeeds.
    call_ok(route53, "activate_key_signing_key", HostedZoneId=zone_id, Name="ksk1")
    assert key_state(route53, zone_id, "ksk1") == ("ACTIVE", None)
    # An ACTIVE key cannot be deleted.
    assert error_of(route53.delete_key_signing_key, HostedZoneId=zone_id, Name="ksk1") == not_inactive("ksk1")

    # NOT_SIGNING -> SIGNING; enabling a SIGNING zone succeeds.
    call_ok(route53, "enable_hosted_zone_dnssec", HostedZoneId=zone_id)
    assert zone_state(route53, zone_id) == ("SIGNING", None)
    call_ok(route53, "enable_hosted_zone_dnssec", HostedZoneId=zone_id)
    assert zone_state(route53, zone_id) == ("SIGNING", None)
    assert "<Status><ServeSignature>SIGNING</ServeSignature></Status>" in raw_dnssec(live_server.url, zone_id)

    # The only ACTIVE key of a SIGNING zone cannot be deactivated.
    assert error_of(route53.deactivate_key_signing_key, HostedZoneId=zone_id, Name="ksk1") == key_in_use(
        zone_id, "ksk1"
    )
    assert key_state(route53, zone_id, "ksk1") == ("ACTIVE", None)
    # A zone with keys cannot be deleted, signing or not.
    assert error_of(route53.delete_hosted_zone, Id=zone_id) == zone_not_empty()

    # A second ACTIVE key lets the first go INACTIVE at once; then the second is the one in use.
    new_ksk(route53, zone_id, arn2, "ksk2", "ACTIVE")
    before = dnssec(route53, zone_id)[1]["ksk1"]
    time.sleep(0.01)
    call_ok(route53, "deactivate_key_signing_key", HostedZoneId=zone_id, Name="ksk1")
    after = dnssec(route53, zone_id)[1]["ksk1"]
    assert after["Status"] == "INACTIVE"
    assert after["LastModifiedDate"] > before["LastModifiedDate"]
    assert zone_state(route53, zone_id) == ("SIGNING", None)
    assert error_of(route53.deactivate_key_signing_key, HostedZoneId=zone_id, Name="ksk2") == key_in_use(
        zone_id, "ksk2"
    )
    # Deleting the INACTIVE ksk1 while the zone signs with ksk2 is fine; it is gone at once.
    call_ok(route53, "delete_key_signing_key", HostedZoneId=zone_id, Name="ksk1")
    assert list(dnssec(route53, zone_id)[1]) == ["ksk2"]
    for operation in ("activate_key_signing_key", "deactivate_key_signing_key", "delete_key_signing_key"):
        call = getattr(route53, operation)
        assert error_of(call, HostedZoneId=zone_id, Name="ksk1") == no_such_key(zone_id, "ksk1")

    # SIGNING -> NOT_SIGNING; Disable again still succeeds (the zone has a KSK); the keys keep their status.
    call_ok(route53, "disable_hosted_zone_dnssec", HostedZoneId=zone_id)
    assert zone_state(route53, zone_id) == ("NOT_SIGNING", None)
    call_ok(route53, "disable_hosted_zone_dnssec", HostedZoneId=zone_id)
    assert key_state(route53, zone_id, "ksk2") == ("ACTIVE", None)
    assert error_of(route53.delete_hosted_zone, Id=zone_id) == zone_not_empty()
    # Not signing: the last ACTIVE key may now be deactivated and deleted.
    call_ok(route53, "deactivate_key_signing_key", HostedZoneId=zone_id, Name="ksk2")
    call_ok(route53, "delete_key_signing_key", HostedZoneId=zone_id, Name="ksk2")
    assert route53.get_dnssec(HostedZoneId=zone_id)["KeySigningKeys"] == []
    assert "<KeySigningKeys/>" in raw_dnssec(live_server.url, zone_id)

    # The names and KMS keys of deleted keys can be reused at once, with swapped pairs too.
    again = new_ksk(route53, zone_id, arn2, "ksk1", "ACTIVE")
    assert (again["Name"], again["KmsArn"], again["Status"]) == ("ksk1", arn2, "ACTIVE")
    new_ksk(route53, zone_id, arn1, "ksk2", "INACTIVE")
    call_ok(route53, "enable_hosted_zone_dnssec", HostedZoneId=zone_id)
    call_ok(route53, "disable_hosted_zone_dnssec", HostedZoneId=zone_id)
    call_ok(route53, "deactivate_key_signing_key", HostedZoneId=zone_id, Name="ksk1")
    for name in ("ksk1", "ksk2"):
        call_ok(route53, "delete_key_signing_key", HostedZoneId=zone_id, Name=name)

    # No keys, not signing: DNSSECNotFound again, and the zone can be deleted at once.
    assert error_of(route53.disable_hosted_zone_dnssec, HostedZoneId=zone_id) == dnssec_not_found(zone_id)
    call_ok(route53, "delete_hosted_zone", Id=zone_id)

    # The zone is gone: zone operations are NoSuchHostedZone, key operations NoSuchKeySigningKey.
    assert error_of(route53.get_dnssec, HostedZoneId=zone_id) == no_such_zone(zone_id)
    assert error_of(route53.enable_hosted_zone_dnssec, HostedZoneId=zone_id) == no_such_zone(zone_id)
    assert error_of(route53.disable_hosted_zone_dnssec, HostedZoneId=zone_id) == no_such_zone(zone_id)
    for operation in ("activate_key_signing_key", "deactivate_key_signing_key", "delete_key_signing_key"):
        call = getattr(route53, operation)
        assert error_of(call, HostedZoneId=zone_id, Name="ksk1") == no_such_key(zone_id, "ksk1")


@pytest.mark.parametrize("zone_id", ["Z0000000000NOSUCHZONE", "ZNEVER1"])
def test_missing_zone(route53, zone_id):
    assert error_of(route53.get_dnssec, HostedZoneId=zone_id) == no_such_zone(zone_id)
    assert error_of(route53.enable_hosted_zone_dnssec, HostedZoneId=zone_id) == no_such_zone(zone_id)
    assert error_of(route53.disable_hosted_zone_dnssec, HostedZoneId=zone_id) == no_such_zone(zone_id)
    assert error_of(route53.delete_hosted_zone, Id=zone_id) == no_such_zone(zone_id)
    for operation in ("activate_key_signing_key", "deactivate_key_signing_key", "delete_key_signing_key"):
        call = getattr(route53, operation)
        assert error_of(call, HostedZoneId=zone_id, Name="some_ksk") == no_such_key(zone_id, "some_ksk")


def test_private_zone_is_invalid_argument_for_get_enable_disable(route53):
    zone_id = new_zone(
        route53,
        VPC={"VPCRegion": "us-east-1", "VPCId": "vpc-0123456789abcdef0"},
        HostedZoneConfig={"Comment": "private", "PrivateZone": True},
    )
    assert route53.get_hosted_zone(Id=zone_id)["HostedZone"]["Config"]["PrivateZone"] is True
    assert error_of(route53.get_dnssec, HostedZoneId=zone_id) == private_zone()
    assert error_of(route53.enable_hosted_zone_dnssec, HostedZoneId=zone_id) == private_zone()
    assert error_of(route53.disable_hosted_zone_dnssec, HostedZoneId=zone_id) == private_zone()
    call_ok(route53, "delete_hosted_zone", Id=zone_id)


# Each way a KMS key stops being usable: (break it, the InvalidKMSArn text, repair it).
Breakage = tuple[Callable[[Any, str], None], Callable[[str], str], Callable[[Any, str], None]]


def _disable(kms: Any, arn: str) -> None:
    kms.disable_key(KeyId=arn)


def _enable(kms: Any, arn: str) -> None:
    kms.enable_key(KeyId=arn)


def _schedule_deletion(kms: Any, arn: str) -> None:
    scheduled = kms.schedule_key_deletion(KeyId=arn, PendingWindowInDays=7)
    assert scheduled["KeyState"] == "PendingDeletion"


def _cancel_deletion(kms: Any, arn: str) -> None:
    kms.cancel_key_deletion(KeyId=arn)
    assert kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "Disabled"
    kms.enable_key(KeyId=arn)


def _revoke_policy(kms: Any, arn: str) -> None:
    kms.put_key_policy(KeyId=arn, PolicyName="default", Policy=ACCOUNT_ONLY_POLICY)


def _restore_policy(kms: Any, arn: str) -> None:
    kms.put_key_policy(KeyId=arn, PolicyName="default", Policy=DNSSEC_POLICY)


BREAKAGES: dict[str, Breakage] = {
    "disabled": (_disable, kms_disabled, _enable),
    "pending_deletion": (_schedule_deletion, kms_pending_deletion, _cancel_deletion),
    "policy_revoked": (_revoke_policy, kms_no_permission, _restore_policy),
}


@pytest.mark.parametrize("breakage", list(BREAKAGES))
def test_action_needed_and_recovery(route53, kms, live_server, breakage):
    break_key, message_for, repair_key = BREAKAGES[breakage]
    zone_id = new_zone(route53)
    arn = new_kms_key(kms)
    new_ksk(route53, zone_id, arn, "ksk", "ACTIVE")
    call_ok(route53, "enable_hosted_zone_dnssec", HostedZoneId=zone_id)
    healthy = dnssec(route53, zone_id)[1]["ksk"]
    assert zone_state(route53, zone_id) == ("SIGNING", None)

    break_key(kms, arn)
    message = message_for(arn)
    status, keys = dnssec(route53, zone_id)
    assert status == {"ServeSignature": "ACTION_NEEDED", "StatusMessage": ZONE_ACTION_NEEDED}
    assert (keys["ksk"]["Status"], keys["ksk"]["StatusMessage"]) == ("ACTION_NEEDED", message)
    assert derived(keys["ksk"]) == derived(healthy)
    xml = raw_dnssec(live_server.url, zone_id)
    assert "<Status><ServeSignature>ACTION_NEEDED</ServeSignature><StatusMessage>" in xml
    assert "<KeySigningKeys><member><Name>ksk</Name>" in xml
    assert "<Status>ACTION_NEEDED</Status><StatusMessage>" in xml

    # Until the KMS key is repaired, activating the key or enabling signing is InvalidKMSArn with that text,
    # and the key cannot be deleted (it is not INACTIVE).
    assert error_of(route53.activate_key_signing_key, HostedZoneId=zone_id, Name="ksk") == invalid_kms_arn(message)
    assert error_of(route53.enable_hosted_zone_dnssec, HostedZoneId=zone_id) == invalid_kms_arn(message)
    assert error_of(route53.delete_key_signing_key, HostedZoneId=zone_id, Name="ksk") == not_inactive("ksk")
    assert error_of(route53.delete_hosted_zone, Id=zone_id) == zone_not_empty()
    assert key_state(route53, zone_id, "ksk") == ("ACTION_NEEDED", message)

    # Repair the KMS key, activate again: ACTIVE and SIGNING, without StatusMessage.
    repair_key(kms, arn)
    call_ok(route53, "activate_key_signing_key", HostedZoneId=zone_id, Name="ksk")
    status, keys = dnssec(route53, zone_id)
    assert status == {"ServeSignature": "SIGNING"}
    assert keys["ksk"]["Status"] == "ACTIVE"
    assert "StatusMessage" not in keys["ksk"]
    assert derived(keys["ksk"]) == derived(healthy)
    assert "StatusMessage" not in raw_dnssec(live_server.url, zone_id)

    # And it is usable again: signing can be re-enabled.
    call_ok(route53, "enable_hosted_zone_dnssec", HostedZoneId=zone_id)
    assert zone_state(route53, zone_id) == ("SIGNING", None)


def test_action_needed_key_can_be_torn_down_in_terraform_order(route53, kms):
    """Terraform's destroy of a broken setup: Disable, Deactivate (state ACTION_NEEDED), Delete, delete zone."""
    zone_id = new_zone(route53)
    arn = new_kms_key(kms)
    new_ksk(route53, zone_id, arn, "ksk", "ACTIVE")
    call_ok(route53, "enable_hosted_zone_dnssec", HostedZoneId=zone_id)
    kms.disable_key(KeyId=arn)
    assert zone_state(route53, zone_id) == ("ACTION_NEEDED", ZONE_ACTION_NEEDED)

    call_ok(route53, "disable_hosted_zone_dnssec", HostedZoneId=zone_id)
    assert zone_state(route53, zone_id) == ("NOT_SIGNING", None)
    assert key_state(route53, zone_id, "ksk") == ("ACTION_NEEDED", kms_disabled(arn))
    call_ok(route53, "deactivate_key_signing_key", HostedZoneId=zone_id, Name="ksk")
    # INACTIVE keys are not watched: no ACTION_NEEDED although the KMS key is still disabled.
    assert key_state(route53, zone_id, "ksk") == ("INACTIVE", None)
    call_ok(route53, "delete_key_signing_key", HostedZoneId=zone_id, Name="ksk")
    call_ok(route53, "delete_hosted_zone", Id=zone_id)
    assert error_of(route53.get_dnssec, HostedZoneId=zone_id) == no_such_zone(zone_id)


def test_inactive_keys_are_not_watched_and_activate_rechecks_the_kms_key(route53, kms):
    zone_id = new_zone(route53)
    disabled, pending, revoked = new_kms_key(kms), new_kms_key(kms), new_kms_key(kms)
    new_ksk(route53, zone_id, disabled, "disabled", "INACTIVE")
    new_ksk(route53, zone_id, pending, "pending", "INACTIVE")
    kms.disable_key(KeyId=disabled)
    kms.schedule_key_deletion(KeyId=pending, PendingWindowInDays=7)
    status, keys = dnssec(route53, zone_id)
    assert status == {"ServeSignature": "NOT_SIGNING"}
    assert {name: (key["Status"], key.get("StatusMessage")) for name, key in keys.items()} == {
        "disabled": ("INACTIVE", None),
        "pending": ("INACTIVE", None),
    }
    # Activate re-checks the KMS key and refuses with the checks.py texts; nothing changes.
    activate = route53.activate_key_signing_key
    assert error_of(activate, HostedZoneId=zone_id, Name="disabled") == invalid_kms_arn(kms_disabled(disabled))
    assert error_of(activate, HostedZoneId=zone_id, Name="pending") == invalid_kms_arn(kms_pending_deletion(pending))
    assert key_state(route53, zone_id, "disabled") == ("INACTIVE", None)
    assert error_of(route53.enable_hosted_zone_dnssec, HostedZoneId=zone_id) == no_active_key(zone_id)

    # The policy case, on an INACTIVE key: the same.
    call_ok(route53, "delete_key_signing_key", HostedZoneId=zone_id, Name="pending")
    new_ksk(route53, zone_id, revoked, "revoked", "INACTIVE")
    kms.put_key_policy(KeyId=revoked, PolicyName="default", Policy=ACCOUNT_ONLY_POLICY)
    assert key_state(route53, zone_id, "revoked") == ("INACTIVE", None)
    assert error_of(activate, HostedZoneId=zone_id, Name="revoked") == invalid_kms_arn(kms_no_permission(revoked))

    # Repaired keys activate.
    kms.enable_key(KeyId=disabled)
    call_ok(route53, "activate_key_signing_key", HostedZoneId=zone_id, Name="disabled")
    assert key_state(route53, zone_id, "disabled") == ("ACTIVE", None)


def test_active_key_of_a_zone_that_does_not_sign(route53, kms):
    """An ACTIVE key whose KMS key broke shows ACTION_NEEDED; the zone stays NOT_SIGNING, Enable is InvalidKMSArn."""
    zone_id = new_zone(route53)
    arn = new_kms_key(kms)
    new_ksk(route53, zone_id, arn, "ksk", "ACTIVE")
    kms.disable_key(KeyId=arn)
    assert zone_state(route53, zone_id) == ("NOT_SIGNING", None)
    assert key_state(route53, zone_id, "ksk") == ("ACTION_NEEDED", kms_disabled(arn))
    assert error_of(route53.enable_hosted_zone_dnssec, HostedZoneId=zone_id) == invalid_kms_arn(kms_disabled(arn))
    assert zone_state(route53, zone_id) == ("NOT_SIGNING", None)
    # Not signing: deactivating the broken key is allowed and clears ACTION_NEEDED.
    call_ok(route53, "deactivate_key_signing_key", HostedZoneId=zone_id, Name="ksk")
    assert key_state(route53, zone_id, "ksk") == ("INACTIVE", None)


def test_one_usable_active_key_keeps_the_zone_signing(route53, kms):
    zone_id = new_zone(route53)
    good, bad = new_kms_key(kms), new_kms_key(kms)
    new_ksk(route53, zone_id, good, "good", "ACTIVE")
    new_ksk(route53, zone_id, bad, "bad", "ACTIVE")
    call_ok(route53, "enable_hosted_zone_dnssec", HostedZoneId=zone_id)
    kms.disable_key(KeyId=bad)
    assert zone_state(route53, zone_id) == ("SIGNING", None)
    assert key_state(route53, zone_id, "good") == ("ACTIVE", None)
    assert key_state(route53, zone_id, "bad") == ("ACTION_NEEDED", kms_disabled(bad))
    # Enable succeeds while at least one ACTIVE key is usable.
    call_ok(route53, "enable_hosted_zone_dnssec", HostedZoneId=zone_id)
    assert zone_state(route53, zone_id) == ("SIGNING", None)
    # Both broken: the zone needs action too; Enable is InvalidKMSArn.
    kms.disable_key(KeyId=good)
    assert zone_state(route53, zone_id) == ("ACTION_NEEDED", ZONE_ACTION_NEEDED)
    code, status, message = error_of(route53.enable_hosted_zone_dnssec, HostedZoneId=zone_id)
    assert (code, status) == ("InvalidKMSArn", 400)
    assert message in (kms_disabled(good), kms_disabled(bad))
    # Repair one and activate it: SIGNING again, the other still ACTION_NEEDED.
    kms.enable_key(KeyId=good)
    call_ok(route53, "activate_key_signing_key", HostedZoneId=zone_id, Name="good")
    assert zone_state(route53, zone_id) == ("SIGNING", None)
    assert key_state(route53, zone_id, "good") == ("ACTIVE", None)
    assert key_state(route53, zone_id, "bad") == ("ACTION_NEEDED", kms_disabled(bad))


def test_deactivating_the_last_usable_active_key_of_a_signing_zone_is_key_signing_key_in_use(route53, kms):
    """A broken ACTIVE key does not count: the zone would be left with nothing to sign with."""
    zone_id = new_zone(route53)
    good, bad = new_kms_key(kms), new_kms_key(kms)
    new_ksk(route53, zone_id, good, "good", "ACTIVE")
    new_ksk(route53, zone_id, bad, "bad", "ACTIVE")
    call_ok(route53, "enable_hosted_zone_dnssec", HostedZoneId=zone_id)
    kms.disable_key(KeyId=bad)
    assert error_of(route53.deactivate_key_signing_key, HostedZoneId=zone_id, Name="good") == key_in_use(
        zone_id, "good"
    )
    assert zone_state(route53, zone_id) == ("SIGNING", None)
    call_ok(route53, "deactivate_key_signing_key", HostedZoneId=zone_id, Name="bad")
    assert key_state(route53, zone_id, "bad") == ("INACTIVE", None)
    assert error_of(route53.deactivate_key_signing_key, HostedZoneId=zone_id, Name="good") == key_in_use(
        zone_id, "good"
    )
