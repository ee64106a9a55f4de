"""Resets under load through real servers (one worker, three workers, two replicas): clients of two accounts
create zones and KMS keys while one account is reset. Nothing answers 500; the reset account holds nothing
acknowledged before the reset and nothing that was refused, and stays so; the other account holds exactly
what was acknowledged."""

import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.concurrency.topologies import TOPOLOGIES, topology_servers
from tests.conftest import LiveServer

RESET, KEPT = "111111111111", "222222222222"
THREADS_PER_ACCOUNT = 3


@pytest.fixture(scope="module", params=list(TOPOLOGIES))
def servers(
    request: pytest.FixtureRequest, template_database: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[LiveServer]]:
    folder = tmp_path_factory.mktemp(request.param)
    with topology_servers(request.param, template_database, folder, max_hosted_zones="100000") as started:
        yield started


def client(server: LiveServer, service: str, account: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=server.url,
        region_name="us-east-1",
        aws_access_key_id=account,
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 1}),
    )


@dataclass
class Attempt:
    account: str
    name: str
    started: float
    finished: float
    outcome: str  # "ok" or the error code


def load(server: LiveServer, account: str, thread: int, stop: threading.Event) -> list[Attempt]:
    route53, kms = client(server, "route53", account), client(server, "kms", account)
    attempts = []
    number = 0
    while not stop.is_set():
        number += 1
        name = f"{account}-{thread}-{number}-{uuid.uuid4().hex[:6]}.reset.example."
        started = time.monotonic()
        try:
            route53.create_hosted_zone(Name=name, CallerReference=uuid.uuid4().hex)
            outcome = "ok"
        except ClientError as error:
            outcome = f"{error.response['Error']['Code']}/{error.response['ResponseMetadata']['HTTPStatusCode']}"
        attempts.append(Attempt(account, name, started, time.monotonic(), outcome))
        if number % 5 == 0:
            try:
                kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
            except ClientError as error:
                assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 503, error.response
    return attempts


def zone_names(server: LiveServer, account: str) -> set[str]:
    pages = client(server, "route53", account).get_paginator("list_hosted_zones").paginate()
    return {zone["Name"] for page in pages for zone in page["HostedZones"]}


def run_load_around_a_reset(servers: list[LiveServer], params: dict[str, str]) -> tuple[list[Attempt], float, float]:
    """Two accounts' clients writing for 1.5 s, a reset (``params``), 1 s more; every attempt, and when the
    reset was sent and answered."""
    stop = threading.Event()
    jobs = [
        (servers[index % len(servers)], account, index)
        for account in (RESET, KEPT)
        for index in range(THREADS_PER_ACCOUNT)
    ]
    with ThreadPoolExecutor(len(jobs)) as pool:
        futures = [pool.submit(load, server, account, index, stop) for server, account, index in jobs]
        time.sleep(1.5)
        reset_sent = time.monotonic()
        response = httpx.post(f"{servers[-1].url}/_route53/reset", params=params, timeout=30)
        reset_done = time.monotonic()
        assert response.status_code == 200, response.text
        time.sleep(1.0)
        stop.set()
        attempts = [attempt for future in futures for attempt in future.result()]
    outcomes = {attempt.outcome for attempt in attempts}
    assert outcomes <= {"ok", "ServiceUnavailable/503"}, outcomes
    time.sleep(0.5)
    return attempts, reset_sent, reset_done


def check_reset_account(
    servers: list[LiveServer], account: str, attempts: list[Attempt], reset_sent: float, reset_done: float
) -> None:
    """Nothing acknowledged before the reset, nothing refused, only what was acknowledged, all that was
    acknowledged after it; and it stays so."""
    present = zone_names(servers[0], account)
    ours = [attempt for attempt in attempts if attempt.account == account]
    acknowledged = {attempt.name for attempt in ours if attempt.outcome == "ok"}
    before = {attempt.name for attempt in ours if attempt.outcome == "ok" and attempt.finished < reset_sent}
    after = {attempt.name for attempt in ours if attempt.outcome == "ok" and attempt.started > reset_done}
    refused = {attempt.name for attempt in ours if attempt.outcome != "ok"}
    assert before and after, (len(before), len(after))  # the load ran on both sides of the reset
    assert not present & before
    assert not present & refused
    assert present <= acknowledged
    assert after <= present
    time.sleep(1.0)
    assert zone_names(servers[-1], account) == present  # nothing in flight landed later


def test_reset_of_one_account_under_load(servers: list[LiveServer]) -> None:
    attempts, reset_sent, reset_done = run_load_around_a_reset(servers, {"account": RESET})
    check_reset_account(servers, RESET, attempts, reset_sent, reset_done)
    kept = {attempt.name for attempt in attempts if attempt.account == KEPT and attempt.outcome == "ok"}
    assert zone_names(servers[0], KEPT) >= kept
    assert {name for name in zone_names(servers[0], KEPT) if name.endswith(".reset.example.")} == kept


def test_reset_of_everything_under_load(servers: list[LiveServer]) -> None:
    attempts, reset_sent, reset_done = run_load_around_a_reset(servers, {})
    for account in (RESET, KEPT):
        check_reset_account(servers, account, attempts, reset_sent, reset_done)
