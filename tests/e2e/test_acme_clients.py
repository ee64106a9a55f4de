"""ACME DNS-01 clients against the live server: certbot-dns-route53 itself, and cert-manager's call sequence.

certbot's Route 53 authenticator is imported and run unchanged (``perform`` and ``cleanup`` with real DNS-01
challenges and an account key; no ACME server is needed to compute the validations), with
``AWS_ENDPOINT_URL`` pointing at the server. cert-manager is written in Go, so its calls
(pkg/issuer/acme/dns/route53) are replayed with boto3: ListHostedZonesByName, an UPSERT of a multivalue TXT
record set whose SetIdentifier is the quoted key, GetChange every 4 s until INSYNC, and a DELETE of the
identical record set on cleanup that ignores InvalidChangeBatch.
"""

import os
import time
import uuid
from types import SimpleNamespace
from typing import Any

import boto3
import josepy as jose
import pytest
from acme import challenges, messages
from botocore.exceptions import ClientError
from certbot import achallenges
from certbot_dns_route53._internal.dns_route53 import Authenticator
from cryptography.hazmat.primitives.asymmetric import ec

from tests.e2e.helpers import error_of, new_zone

PRIVATE_VPC = {"VPCRegion": "us-east-1", "VPCId": "vpc-0123456789abcdef0"}


def txt_record_sets(route53: Any, zone_id: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = route53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
    return [record for record in records if record["Type"] == "TXT"]


# --- certbot-dns-route53 ---------------------------------------------------------------------------------------


@pytest.fixture
def certbot_environment(live_server: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """The standard AWS environment, pointed at the live server, and a fresh default boto3 session that reads
    it (the authenticator calls ``boto3.client("route53")``); both are restored afterwards."""
    monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ENDPOINT_URL", live_server.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))


def dns01(domain: str, account_key: jose.JWK) -> achallenges.KeyAuthorizationAnnotatedChallenge:
    """A pending DNS-01 challenge for ``domain``, as certbot annotates the ones an ACME server hands out."""
    body = messages.ChallengeBody(
        chall=challenges.DNS01(token=os.urandom(32)), uri="https://acme.invalid/chall", status=messages.STATUS_PENDING
    )
    identifier = messages.Identifier(typ=messages.IDENTIFIER_FQDN, value=domain)
    return achallenges.KeyAuthorizationAnnotatedChallenge(challb=body, identifier=identifier, account_key=account_key)


@pytest.mark.usefixtures("certbot_environment")
def test_certbot_upserts_every_accumulated_value_and_cleans_up(route53: Any) -> None:
    base = f"{uuid.uuid4().hex[:10]}.example.com"
    parent_id = new_zone(route53, base)
    zone_id = new_zone(route53, f"sub.{base}")  # the longest public suffix of the domain wins
    private_id = new_zone(route53, f"www.sub.{base}", VPC=PRIVATE_VPC)  # more specific, but private: skipped
    account_key = jose.JWKEC(key=ec.generate_private_key(ec.SECP256R1()))
    # A certificate for www.sub.<base> and *.www.sub.<base>: two authorizations, one validation name.
    achalls = [dns01(f"www.sub.{base}", account_key), dns01(f"www.sub.{base}", account_key)]
    first, second = (f'"{achall.validation(account_key)}"' for achall in achalls)

    authenticator = Authenticator(SimpleNamespace(), "dns-route53")
    responses = authenticator.perform(achalls)
    assert len(responses) == 2
    # Each UPSERT carries every value accumulated so far for the name.
    assert txt_record_sets(route53, zone_id) == [
        {
            "Name": f"_acme-challenge.www.sub.{base}.",
            "Type": "TXT",
            "TTL": 10,
            "ResourceRecords": [{"Value": first}, {"Value": second}],
        }
    ]
    assert txt_record_sets(route53, parent_id) == txt_record_sets(route53, private_id) == []

    # Cleanup of the first challenge UPSERTs the rest; cleanup of the last DELETEs the record set.
    authenticator.cleanup(achalls[:1])
    assert [record["ResourceRecords"] for record in txt_record_sets(route53, zone_id)] == [[{"Value": second}]]
    authenticator.cleanup(achalls[1:])
    assert txt_record_sets(route53, zone_id) == []
    assert route53.get_hosted_zone(Id=zone_id)["HostedZone"]["ResourceRecordSetCount"] == 2


# --- cert-manager ------------------------------------------------------------------------------------------------


class CertManager:
    """cert-manager's Route 53 DNS-01 solver (pkg/issuer/acme/dns/route53/route53.go), call for call."""

    TTL = 10
    POLL_SECONDS = 4
    TIMEOUT_SECONDS = 120

    def __init__(self, route53: Any) -> None:
        self.route53 = route53
        self.change_ids: list[str] = []

    def hosted_zone_id(self, fqdn: str, auth_zone: str) -> str:
        """getHostedZoneID: the zone found by DNS (here: given), looked up by name without its dot; private
        zones skipped; the best (longest) match of the FQDN wins; the /hostedzone/ prefix is trimmed."""
        listed = self.route53.list_hosted_zones_by_name(DNSName=auth_zone.rstrip("."))["HostedZones"]
        public = {zone["Name"]: zone["Id"] for zone in listed if not zone["Config"]["PrivateZone"]}
        matches = [name for name in public if fqdn == name or fqdn.endswith("." + name)]
        assert matches, f"zone {auth_zone} not found in Route 53 for domain {fqdn}"
        zone_id: str = public[max(matches, key=len)]
        return zone_id.removeprefix("/hostedzone/")

    def change_record(self, action: str, fqdn: str, auth_zone: str, key: str) -> None:
        value = f'"{key}"'
        record = {
            "Name": fqdn,
            "Type": "TXT",
            "TTL": self.TTL,
            "MultiValueAnswer": True,
            "SetIdentifier": value,
            "ResourceRecords": [{"Value": value}],
        }
        try:
            response = self.route53.change_resource_record_sets(
                HostedZoneId=self.hosted_zone_id(fqdn, auth_zone),
                ChangeBatch={
                    "Comment": "Managed by cert-manager",
                    "Changes": [{"Action": action, "ResourceRecordSet": record}],
                },
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "InvalidChangeBatch" and action == "DELETE":
                return  # already deleted
            raise
        change_id = response["ChangeInfo"]["Id"]
        self.change_ids.append(change_id)
        deadline = time.monotonic() + self.TIMEOUT_SECONDS
        while self.route53.get_change(Id=change_id)["ChangeInfo"]["Status"] != "INSYNC":
            assert time.monotonic() < deadline, f"change {change_id} never reached INSYNC"
            time.sleep(self.POLL_SECONDS)

    def present(self, fqdn: str, auth_zone: str, key: str) -> None:
        self.change_record("UPSERT", fqdn, auth_zone, key)

    def clean_up(self, fqdn: str, auth_zone: str, key: str) -> None:
        self.change_record("DELETE", fqdn, auth_zone, key)


def multivalue_txt(fqdn: str, key: str) -> dict[str, Any]:
    return {
        "Name": fqdn,
        "Type": "TXT",
        "SetIdentifier": f'"{key}"',
        "MultiValueAnswer": True,
        "TTL": 10,
        "ResourceRecords": [{"Value": f'"{key}"'}],
    }


def test_cert_manager_presents_multivalue_txt_records_and_cleans_them_up(route53: Any) -> None:
    zone = f"{uuid.uuid4().hex[:10]}.example.com."
    zone_id = new_zone(route53, zone)
    private_id = new_zone(route53, zone, VPC=PRIVATE_VPC)  # same name, private: cert-manager skips it
    solver = CertManager(route53)
    fqdn = f"_acme-challenge.www.{zone}"
    # A certificate for www.<zone> and *.www.<zone>: two keys under one name, one multivalue set each.
    keys = sorted(f"{uuid.uuid4().hex}{uuid.uuid4().hex}"[:43] for _ in range(2))
    for key in keys:
        solver.present(fqdn, zone, key)
    assert txt_record_sets(route53, zone_id) == [multivalue_txt(fqdn, key) for key in keys]
    comments = {route53.get_change(Id=change_id)["ChangeInfo"]["Comment"] for change_id in solver.change_ids}
    assert comments == {"Managed by cert-manager"}

    # Present retried (the controller re-runs it) is an idempotent UPSERT.
    solver.present(fqdn, zone, keys[0])
    assert txt_record_sets(route53, zone_id) == [multivalue_txt(fqdn, key) for key in keys]

    # CleanUp deletes the identical record set; a second CleanUp's InvalidChangeBatch is what it ignores.
    solver.clean_up(fqdn, zone, keys[0])
    assert txt_record_sets(route53, zone_id) == [multivalue_txt(fqdn, keys[1])]
    stale = {"Action": "DELETE", "ResourceRecordSet": multivalue_txt(fqdn, keys[0])}
    assert error_of(route53.change_resource_record_sets, HostedZoneId=zone_id, ChangeBatch={"Changes": [stale]}) == (
        "InvalidChangeBatch",
        400,
        f"[Tried to delete resource record set [name='{fqdn}', type='TXT', set-identifier='\"{keys[0]}\"'] but it "
        "was not found]",
    )
    solver.clean_up(fqdn, zone, keys[0])
    solver.clean_up(fqdn, zone, keys[1])
    assert txt_record_sets(route53, zone_id) == []
    assert txt_record_sets(route53, private_id) == []


def test_cert_manager_cannot_present_beside_a_simple_txt_record(route53: Any) -> None:
    zone = f"{uuid.uuid4().hex[:10]}.example.com."
    zone_id = new_zone(route53, zone)
    fqdn = f"_acme-challenge.{zone}"
    simple = {"Name": fqdn, "Type": "TXT", "TTL": 300, "ResourceRecords": [{"Value": '"left by hand"'}]}
    route53.change_resource_record_sets(
        HostedZoneId=zone_id, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": simple}]}
    )
    with pytest.raises(ClientError) as raised:
        CertManager(route53).present(fqdn, zone, "key")
    error = raised.value.response["Error"]
    assert (error["Code"], error["Message"]) == (
        "InvalidChangeBatch",
        f'[RRSet with DNS name {fqdn}, type TXT, SetIdentifier "key" cannot be created because a non multivalue '
        "answer rrset exists with the same name and type.]",
    )
    assert txt_record_sets(route53, zone_id) == [simple]
