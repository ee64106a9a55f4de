"""Real Terraform (hashicorp/aws 5.100.0, installed from the local filesystem mirror) against the live server.

One configuration (tests/e2e/terraform/main.tf) is applied, imported into, changed, planned and destroyed, as
a user runs it: aws_route53_zone, aws_route53_record (A, wildcard, a TXT value over 255 characters split in
strings, MX, CNAME, an alias to a record of the zone, weighted records, the apex NS taken over with
allow_overwrite, an NS delegation and a DS record), and the DNSSEC chain (aws_kms_key,
aws_route53_key_signing_key, aws_route53_hosted_zone_dnssec). What Terraform wrote is read back through boto3
value for value, the change batches it sent are read from the provider's debug log, and a plan after the
changes must find nothing to do: the provider's read-back matches what it wrote.

The provider sleeps 15 s after every change before its first GetChange, whatever GetChange would say, so
one apply costs about 15 s per level of dependencies; every resource of a level is created in parallel.
"""

import json
import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
import xmltodict

from tests.e2e.helpers import error_of, no_such_zone

TERRAFORM = shutil.which("terraform")
CONFIGURATION = Path(__file__).resolve().parent / "terraform" / "main.tf"
PROVIDER_MIRROR = "/opt/tf-plugins"
CLI_CONFIG = f"""\
provider_installation {{
  filesystem_mirror {{
    path = "{PROVIDER_MIRROR}"
  }}
}}
disable_checkpoint = true
"""
DKIM = "".join("abcdefghijklmnopqrstuvwxyz0123456789"[i % 36] for i in range(300))
APEX_NS_KEPT = "[A HostedZone must contain at least one NS record for the zone itself.]"

pytestmark = [
    pytest.mark.skipif(TERRAFORM is None, reason="terraform is not on PATH"),
    # Terraform sees only the HTTP API, which the SQLite run covers; its 15 s waits per change would add
    # five minutes to the PostgreSQL run for nothing the boto3 tests there do not already check.
    pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")), reason="run once, on the SQLite pass"),
]


class Terraform:
    """``terraform`` in a folder of its own, never reaching the network (provider from the filesystem mirror,
    checkpoint off), with the provider's debug log of each command kept for inspection."""

    def __init__(self, folder: Path, endpoint: str, parent: str) -> None:
        self.folder = folder
        shutil.copy(CONFIGURATION, folder / "main.tf")
        (folder / "cli.tfrc").write_text(CLI_CONFIG)
        self.env = {key: value for key, value in os.environ.items() if not key.startswith(("TF_", "AWS_"))}
        self.env.update(
            TF_CLI_CONFIG_FILE=str(folder / "cli.tfrc"),
            TF_IN_AUTOMATION="1",
            TF_INPUT="0",
            CHECKPOINT_DISABLE="1",
            TF_LOG_PROVIDER="DEBUG",
            TF_VAR_endpoint=endpoint,
            TF_VAR_parent=parent,
        )

    def run(self, step: str, *args: str, stage: int, expect: int = 0) -> tuple[str, str]:
        """Run one command; (its output, the provider's debug log)."""
        log = self.folder / f"{step}.log"
        env = {**self.env, "TF_VAR_stage": str(stage), "TF_LOG_PATH": str(log)}
        assert TERRAFORM is not None
        result = subprocess.run(
            [TERRAFORM, *args, "-no-color"],
            cwd=self.folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        assert result.returncode == expect, f"terraform {step}: {result.stdout}\n{result.stderr}"
        return result.stdout, log.read_text() if log.exists() else ""

    def outputs(self) -> dict[str, Any]:
        output, _ = self.run("output", "output", "-json", stage=2)
        return {name: value["value"] for name, value in json.loads(output).items()}


def change_batches(debug_log: str) -> list[list[tuple[str, str, str]]]:
    """The ChangeResourceRecordSets bodies the provider sent: [(Action, Name, Type), …] per request."""
    batches = []
    for body in re.findall(r"<ChangeResourceRecordSetsRequest .*?</ChangeResourceRecordSetsRequest>", debug_log):
        changes = xmltodict.parse(body, force_list=("Change",))["ChangeResourceRecordSetsRequest"]["ChangeBatch"]
        batches.append(
            [
                (item["Action"], item["ResourceRecordSet"]["Name"], item["ResourceRecordSet"]["Type"])
                for item in changes["Changes"]["Change"]
            ]
        )
    return batches


def error_messages(debug_log: str) -> list[tuple[str, str]]:
    """(Code, Message) of every error response the provider received."""
    errors = []
    for body in re.findall(r"<ErrorResponse .*?</ErrorResponse>", debug_log):
        error = xmltodict.parse(body)["ErrorResponse"]["Error"]
        errors.append((error["Code"], error["Message"]))
    return errors


def record_sets(route53: Any, zone_id: str) -> list[dict[str, Any]]:
    """Every record set of the zone in Route 53's order, values sorted (Terraform sends sets unordered)."""
    found = []
    for page in route53.get_paginator("list_resource_record_sets").paginate(
        HostedZoneId=zone_id, PaginationConfig={"PageSize": 300}
    ):
        for record in page["ResourceRecordSets"]:
            if "ResourceRecords" in record:
                record["ResourceRecords"] = sorted(record["ResourceRecords"], key=lambda value: value["Value"])
            found.append(record)
    return found


def simple(name: str, type_: str, ttl: int, *values: str, **members: Any) -> dict[str, Any]:
    return {
        "Name": name,
        "Type": type_,
        **members,
        "TTL": ttl,
        "ResourceRecords": [{"Value": value} for value in sorted(values)],
    }


def expected_parent(parent: str, outputs: dict[str, Any], soa: dict[str, Any], stage: int) -> list[dict[str, Any]]:
    """The parent zone after each stage, in ListResourceRecordSets order (labels reversed: ``\\052`` sorts
    before ``_``, which sorts before letters)."""
    www = ("192.0.2.1", "192.0.2.2") if stage == 1 else ("192.0.2.3",)
    moved = simple(f"moved.{parent}.", "CNAME", 300, "old.example.net")
    if stage == 2:
        moved = simple(f"moved.{parent}.", "A", 300, "192.0.2.77")
    imported = [
        simple(
            f"legacy.{parent}.",
            "TXT",
            120,
            '"hello world"',
            '"quote \\"inside\\""',
            SetIdentifier="legacy",
            Weight=5,
        )
    ]
    return [
        simple(f"{parent}.", "MX", 3600, f"10 mail.{parent}", "20 backup.example.net"),
        simple(f"{parent}.", "NS", 3600, *outputs["parent_name_servers"]),
        soa,
        simple(f"\\052.{parent}.", "A", 60, "192.0.2.9"),
        simple(f"dkim._domainkey.{parent}.", "TXT", 300, f'"{DKIM[:255]}""{DKIM[255:]}"', '"v=spf1 -all"'),
        {
            "Name": f"alias.{parent}.",
            "Type": "A",
            "AliasTarget": {
                "HostedZoneId": outputs["parent_zone_id"],
                "DNSName": f"www.{parent}.",
                "EvaluateTargetHealth": False,
            },
        },
        simple(f"app.{parent}.", "A", 60, "192.0.2.10", SetIdentifier="blue", Weight=90),
        simple(f"app.{parent}.", "A", 60, "192.0.2.11", SetIdentifier="green", Weight=10),
        *(imported if stage == 2 else []),
        moved,
        simple(f"signed.{parent}.", "DS", 3600, outputs["ds_record"]),
        simple(f"signed.{parent}.", "NS", 172800, *outputs["child_name_servers"]),
        simple(f"www.{parent}.", "A", 300, *www),
    ]


def test_terraform_applies_imports_updates_plans_and_destroys_records_and_the_dnssec_chain(
    live_server: Any, route53: Any, kms: Any, tmp_path: Path
) -> None:
    parent = f"tf-{uuid.uuid4().hex[:10]}.example.com"
    terraform = Terraform(tmp_path, live_server.url, parent)
    terraform.run("init", "init", "-input=false", stage=1)

    # terraform apply: zones, records, the KMS key, the KSK, signing, the delegation with its DS.
    output, log = terraform.run("apply-1", "apply", "-auto-approve", "-parallelism=20", stage=1)
    assert "Apply complete! Resources: 16 added, 0 changed, 0 destroyed." in output
    assert error_messages(log) == []
    outputs = terraform.outputs()
    parent_id, child_id = outputs["parent_zone_id"], outputs["child_zone_id"]
    created = {change for batch in change_batches(log) for change in batch}
    assert ("CREATE", f"www.{parent}", "A") in created
    assert ("CREATE", f"\\052.{parent}", "A") in created  # Terraform sends names in API form
    assert ("UPSERT", parent, "NS") in created  # allow_overwrite
    soa = next(record for record in record_sets(route53, parent_id) if record["Type"] == "SOA")
    assert record_sets(route53, parent_id) == expected_parent(parent, outputs, soa, stage=1)
    child_records = record_sets(route53, child_id)
    assert [(record["Name"], record["Type"]) for record in child_records] == [
        (f"signed.{parent}.", "NS"),
        (f"signed.{parent}.", "SOA"),
    ]
    dnssec = route53.get_dnssec(HostedZoneId=child_id)
    assert dnssec["Status"]["ServeSignature"] == "SIGNING"
    [ksk] = dnssec["KeySigningKeys"]
    assert (ksk["Name"], ksk["Status"], ksk["KmsArn"]) == ("child_ksk", "ACTIVE", outputs["kms_key_arn"])
    assert ksk["DSRecord"] == outputs["ds_record"]

    # A record made outside Terraform, then terraform import (a weighted TXT, so the id carries its set id).
    legacy = {
        "Name": f"legacy.{parent}",
        "Type": "TXT",
        "SetIdentifier": "legacy",
        "Weight": 5,
        "TTL": 120,
        "ResourceRecords": [{"Value": '"hello world"'}, {"Value": '"quote \\"inside\\""'}],
    }
    route53.change_resource_record_sets(
        HostedZoneId=parent_id, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": legacy}]}
    )
    # And one in the child zone, which only force_destroy will remove.
    orphan = {"Name": f"orphan.signed.{parent}", "Type": "TXT", "TTL": 60, "ResourceRecords": [{"Value": '"x"'}]}
    route53.change_resource_record_sets(
        HostedZoneId=child_id, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": orphan}]}
    )
    output, _ = terraform.run(
        "import", "import", "aws_route53_record.imported[0]", f"{parent_id}_legacy.{parent}_TXT_legacy", stage=2
    )
    assert "Import successful!" in output

    # Drift: the wildcard is deleted behind Terraform's back. Its read (ListResourceRecordSets from the name,
    # maxitems 1) now finds the next record set instead, so Terraform must plan to create it again.
    wildcard = next(record for record in record_sets(route53, parent_id) if record["Name"] == f"\\052.{parent}.")
    route53.change_resource_record_sets(
        HostedZoneId=parent_id, ChangeBatch={"Changes": [{"Action": "DELETE", "ResourceRecordSet": wildcard}]}
    )

    # Stage 2: one value change (UPSERT), one type change (DELETE + CREATE in one batch) and the lost wildcard;
    # the plan must hold exactly those, so every other record (the imported one too) read back as configured.
    output, log = terraform.run("apply-2", "apply", "-auto-approve", "-parallelism=20", stage=2)
    assert "Plan: 1 to add, 2 to change, 0 to destroy." in output
    assert "# aws_route53_record.www will be updated in-place" in output
    assert "# aws_route53_record.moved will be updated in-place" in output
    assert "# aws_route53_record.wildcard will be created" in output
    assert sorted(change_batches(log)) == [
        [("CREATE", f"\\052.{parent}", "A")],
        [("DELETE", f"moved.{parent}", "CNAME"), ("CREATE", f"moved.{parent}", "A")],
        [("UPSERT", f"www.{parent}", "A")],
    ]
    assert error_messages(log) == []
    assert record_sets(route53, parent_id) == expected_parent(parent, outputs, soa, stage=2)

    # A second plan finds nothing to do.
    output, _ = terraform.run("plan", "plan", "-detailed-exitcode", stage=2)
    assert "No changes. Your infrastructure matches the configuration." in output

    # terraform destroy: the apex NS cannot go (InvalidChangeBatch, which the provider ignores); the rest can.
    output, log = terraform.run("destroy", "destroy", "-auto-approve", "-parallelism=20", stage=2)
    assert "Destroy complete! Resources: 17 destroyed." in output
    # The provider deletes each record set as it listed it (names in Route 53's returned form).
    deleted = {change for batch in change_batches(log) for change in batch}
    assert {
        ("DELETE", f"{parent}.", "NS"),
        ("DELETE", f"\\052.{parent}.", "A"),
        ("DELETE", f"orphan.signed.{parent}.", "TXT"),
    } <= deleted
    assert error_messages(log) == [("InvalidChangeBatch", APEX_NS_KEPT)]
    for zone_id in (parent_id, child_id):
        assert error_of(route53.get_hosted_zone, Id=zone_id) == no_such_zone(zone_id)
    assert kms.describe_key(KeyId=outputs["kms_key_arn"])["KeyMetadata"]["KeyState"] == "PendingDeletion"
