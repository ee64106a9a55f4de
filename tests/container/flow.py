"""The container smoke test's client side: boto3 against a running service (one container, or the load
balancer in front of the compose replicas). ``tests/container/smoke.sh`` drives it.

    python -m tests.container.flow ready  --endpoint URL [--timeout S]   # wait for GET /readyz to answer 200
    python -m tests.container.flow create --endpoint URL --state FILE    # the whole DNSSEC flow; FILE records it
    python -m tests.container.flow check  --endpoint URL --state FILE    # the same zone, key and DS, e.g. after a restart

The DS record is checked against one computed here with dnspython from the KMS public key (RFC 4034 §5.1.4,
RFC 4509, RFC 6605), not against the service's own derivation.
"""

import argparse
import json
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import boto3
import dns.dnssec
import dns.name
import dns.rdataclass
import dns.rdatatype
import dns.rdtypes.ANY.DNSKEY
from botocore.config import Config
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_der_public_key

from tests.e2e.helpers import call_ok, dnssec, new_kms_key, new_ksk, new_zone

KSK_NAME = "smoke_ksk"


def clients(endpoint: str) -> tuple[Any, Any]:
    options = {
        "endpoint_url": endpoint,
        "region_name": "us-east-1",
        "aws_access_key_id": "test",
        "aws_secret_access_key": "test",
        "config": Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 2}),
    }
    return boto3.client("route53", **options), boto3.client("kms", **options)


def wait_ready(endpoint: str, timeout: float) -> None:
    """Poll ``/readyz`` until it answers 200 (database reachable, schema at the newest migration)."""
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{endpoint}/readyz", timeout=2) as response:
                if response.status == 200:
                    return
                last = response.status
        except (OSError, urllib.error.URLError) as error:
            last = error
        time.sleep(0.5)
    raise SystemExit(f"{endpoint}/readyz did not answer 200 within {timeout:.0f} s (last: {last})")


def expected_ds(zone_name: str, public_key_der: bytes) -> str:
    """The DS record (``<key tag> 13 2 <SHA-256 hex>``) of the KSK DNSKEY for this P-256 public key."""
    point = load_der_public_key(public_key_der).public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    dnskey = dns.rdtypes.ANY.DNSKEY.DNSKEY(dns.rdataclass.IN, dns.rdatatype.DNSKEY, 257, 3, 13, point[1:])
    ds = dns.dnssec.make_ds(dns.name.from_text(zone_name), dnskey, "SHA256")
    return f"{ds.key_tag} {ds.algorithm} {ds.digest_type} {ds.digest.hex().upper()}"


def create(endpoint: str, state: Path) -> None:
    """Zone, KMS key with the DNSSEC policy, ACTIVE KSK, enable signing, GetDNSSEC; record what was made."""
    route53, kms = clients(endpoint)
    zone_name = f"smoke-{uuid.uuid4().hex[:12]}.example.com."
    zone_id = new_zone(route53, zone_name)
    kms_arn = new_kms_key(kms)
    new_ksk(route53, zone_id, kms_arn, KSK_NAME)
    call_ok(route53, "enable_hosted_zone_dnssec", HostedZoneId=zone_id)
    status, keys = dnssec(route53, zone_id)
    assert status["ServeSignature"] == "SIGNING", status
    key = keys[KSK_NAME]
    assert (key["Status"], key["KmsArn"]) == ("ACTIVE", kms_arn), key
    ds = expected_ds(zone_name, kms.get_public_key(KeyId=kms_arn)["PublicKey"])
    assert key["DSRecord"] == ds, (key["DSRecord"], ds)
    state.write_text(json.dumps({"zone_id": zone_id, "zone_name": zone_name, "kms_arn": kms_arn, "ds": ds}))
    print(f"created {zone_name} ({zone_id}), signing with {KSK_NAME}; DS for the parent: {ds}")


def check(endpoint: str, state: Path) -> None:
    """Everything ``create`` made reads back unchanged."""
    made = json.loads(state.read_text())
    route53, kms = clients(endpoint)
    assert route53.get_hosted_zone(Id=made["zone_id"])["HostedZone"]["Name"] == made["zone_name"]
    status, keys = dnssec(route53, made["zone_id"])
    assert status["ServeSignature"] == "SIGNING", status
    key = keys[KSK_NAME]
    assert (key["Status"], key["KmsArn"], key["DSRecord"]) == ("ACTIVE", made["kms_arn"], made["ds"]), key
    assert kms.describe_key(KeyId=made["kms_arn"])["KeyMetadata"]["KeyState"] == "Enabled"
    print(f"{made['zone_name']} still signing with {KSK_NAME}; DS {made['ds']}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.container.flow", description=__doc__.split("\n\n")[0])
    parser.add_argument("step", choices=["ready", "create", "check"])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--state", type=Path)
    parser.add_argument("--timeout", type=float, default=90.0)
    args = parser.parse_args(argv)
    if args.step == "ready":
        wait_ready(args.endpoint, args.timeout)
    elif args.state is None:
        parser.error(f"{args.step} needs --state")
    elif args.step == "create":
        create(args.endpoint, args.state)
    else:
        check(args.endpoint, args.state)


if __name__ == "__main__":
    main()
