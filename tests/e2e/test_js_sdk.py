"""The DNSSEC flow through the AWS SDK for JavaScript v3 (tests/e2e/js/dnssec_flow.mjs) against the real server.

The JS SDK reads GetDNSSEC's list items strictly by their modeled name (``<member>``) and maps error codes to
typed exceptions per operation, so it catches wire mistakes that botocore forgives.
"""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

JS = Path(__file__).resolve().parent / "js"
STEPS = [
    "CreateHostedZone",
    "CreateKey",
    "CreateKeySigningKey",
    "GetDNSSEC",
    "NoSuchKeySigningKey",
    "ActivateKeySigningKey",
    "EnableHostedZoneDNSSEC",
    "DisableHostedZoneDNSSEC",
    "DeactivateKeySigningKey",
    "DeleteKeySigningKey",
    "DeleteHostedZone",
    "ScheduleKeyDeletion",
]


@pytest.fixture(scope="module")
def node_project() -> Path:
    """tests/e2e/js with its locked dependencies installed (``npm ci`` once, when node_modules is missing)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are needed for the AWS SDK for JavaScript v3 test and are not on PATH")
    if not (JS / "node_modules" / "@aws-sdk" / "client-route-53").is_dir():
        installed = subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund"], cwd=JS, capture_output=True, text=True, timeout=600, check=False
        )
        assert installed.returncode == 0, f"npm ci failed:\n{installed.stdout}\n{installed.stderr}"
    return JS


def test_dnssec_flow_through_the_js_sdk(live_server, node_project):
    node = shutil.which("node")
    assert node is not None
    ran = subprocess.run(
        [node, "dnssec_flow.mjs", live_server.url],
        cwd=node_project,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = ran.stdout.strip().splitlines()
    assert lines, f"no output; stderr:\n{ran.stderr}"
    summary = json.loads(lines[-1])
    assert ran.returncode == 0, f"{json.dumps(summary, indent=2)}\n{ran.stderr}"
    assert summary["ok"] is True
    assert summary["endpoint"] == live_server.url
    assert summary["steps"] == STEPS
    zone_id = summary["zoneId"]
    assert summary["error"] == {
        "name": "NoSuchKeySigningKey",
        "httpStatusCode": 404,
        "message": f"No key-signing key named 'no_such_ksk' exists in hosted zone '{zone_id}'.",
    }
    assert 0 <= summary["keyTag"] <= 65535
