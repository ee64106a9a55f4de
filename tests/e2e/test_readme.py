"""The README works as written: its DNSSEC examples (boto3, AWS CLI) run unchanged against the real server,
and the README and docs point at nothing outside the repository."""

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCUMENTS = [README, ROOT / "CHANGELOG.md", *sorted((ROOT / "docs").glob("*.md"))]
README_ENDPOINT = "http://127.0.0.1:8053"
DS_LINE = re.compile(r"^(example\.com\. 3600 IN DS )?(\d+ 13 2 [0-9A-F]{64})$")


def example(name: str) -> str:
    """The fenced block that follows the ``<!-- example: name … -->`` marker in the README."""
    found = re.search(rf"<!-- example: {name}\b[^>]*-->\n```\w*\n(.*?)^```", README.read_text(), re.S | re.M)
    assert found, f"no example {name} in README.md"
    return found.group(1)


def run(command: list[str], folder: Path, **env: str) -> str:
    """Run an example in an empty folder with a clean AWS configuration; its standard output."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    environment.update(HOME=str(folder), **env)
    done = subprocess.run(command, cwd=folder, env=environment, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def assert_signing_zone_has(route53: Any, output: str) -> None:
    """The example's last line is the DS record of a signing example.com zone's key ``example_ksk``."""
    found = DS_LINE.match(output.strip().splitlines()[-1])
    assert found, output
    zones = route53.list_hosted_zones_by_name(DNSName="example.com")["HostedZones"]
    signed = []
    for zone in zones:
        if zone["Name"] != "example.com.":
            continue
        dnssec = route53.get_dnssec(HostedZoneId=zone["Id"].split("/")[-1])
        keys = {key["Name"]: key for key in dnssec["KeySigningKeys"]}
        if "example_ksk" in keys and keys["example_ksk"]["DSRecord"] == found.group(2):
            signed.append((dnssec["Status"]["ServeSignature"], keys["example_ksk"]["Status"]))
    assert signed == [("SIGNING", "ACTIVE")]


def test_boto3_example_signs_a_zone_and_prints_its_ds(live_server: Any, route53: Any, tmp_path: Path) -> None:
    code = example("dnssec-boto3")
    assert README_ENDPOINT in code
    output = run([sys.executable, "-c", code.replace(README_ENDPOINT, live_server.url)], tmp_path)
    assert output.splitlines()[0] == "SIGNING"
    assert_signing_zone_has(route53, output)


def test_aws_cli_example_signs_a_zone_and_prints_its_ds(live_server: Any, route53: Any, tmp_path: Path) -> None:
    script = example("dnssec-aws-cli")
    assert README_ENDPOINT in script
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    output = run(
        ["bash", "-euo", "pipefail", "-c", script.replace(README_ENDPOINT, live_server.url)], tmp_path, PATH=path
    )
    assert_signing_zone_has(route53, output)


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_documents_point_only_inside_the_repository(document: Path) -> None:
    text = document.read_text()
    assert not re.findall(r"\.\./|/work/|shared/reference", text)
    for target in re.findall(r"\]\(([^)#\s]+)", text):
        if not re.match(r"https?://", target):
            assert (document.parent / target).exists(), target
