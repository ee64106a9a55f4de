"""A commit whose answer is lost: the service reads back what landed and answers the truth, the success for a
committed write and a fresh attempt for one that did not commit, never a refusal of its own write.

On PostgreSQL the fault is real: a TCP proxy between the service and the database forwards COMMIT and then
cuts the connection before the answer comes back (or drops the COMMIT unsent). On every store the writer's
logic is also checked in process, with the commit's answer lost on purpose."""

import socket
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from app.db import session as db_session
from app.services import writer as writer_module
from app.services.hosted_zones import CreateZone
from tests.conftest import POSTGRES_URL, LiveServer, fresh_database_url

ACCOUNT = "123456789012"  # R53_ACCOUNT_ID's default: the account of the tests' requests


class CommitCuttingProxy:
    """Forwards TCP to PostgreSQL; once armed, the next connection that sends COMMIT is cut, either right
    after the COMMIT reached the server (``forward=True``) or before it is sent."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.armed: bool | None = None  # None: off; True/False: cut once, forwarding the COMMIT or not
        self.cuts = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def arm(self, forward: bool) -> None:
        self.armed = forward

    def _accept(self) -> None:
        while True:
            client, _ = self.listener.accept()
            server = socket.create_connection(self.target)
            cut = threading.Event()
            threading.Thread(target=self._pipe, args=(client, server, cut, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, cut, False), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, cut: threading.Event, upstream: bool) -> None:
        try:
            while (data := source.recv(65536)) and not cut.is_set():
                if upstream and self.armed is not None and b"COMMIT" in data:
                    forward, self.armed = self.armed, None
                    cut.set()  # nothing more goes back to the service on this connection
                    if forward:
                        sink.sendall(data)
                        cut.wait(0.5)  # the server commits; its answer is never passed on
                    self.cuts += 1
                    break
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):
            with suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()


@pytest.fixture
def proxied_server(template_database: str, tmp_path: Path) -> Iterator[tuple[LiveServer, CommitCuttingProxy]]:
    if not POSTGRES_URL:
        pytest.skip("cuts a PostgreSQL connection")
    urls = fresh_database_url(template_database, tmp_path)
    url = next(urls)
    proxy = CommitCuttingProxy(("127.0.0.1", 5432))
    server = LiveServer(url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}"), tmp_path).start()
    try:
        yield server, proxy
    finally:
        server.stop()
        next(urls, None)


@pytest.mark.parametrize("forward", [True, False], ids=["commit-landed", "commit-lost"])
def test_a_cut_commit_answers_the_truth(proxied_server: tuple[LiveServer, CommitCuttingProxy], forward: bool) -> None:
    server, proxy = proxied_server
    route53 = server.client("route53")  # no SDK retries: the first answer must be the truth
    name = f"doubt-{uuid.uuid4().hex[:8]}.example"
    proxy.arm(forward)
    created = route53.create_hosted_zone(Name=name, CallerReference=uuid.uuid4().hex)
    assert proxy.cuts == 1
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    zone_id = created["HostedZone"]["Id"].split("/")[-1]
    assert route53.get_hosted_zone(Id=zone_id)["HostedZone"]["Name"] == name + "."
    assert [z["Name"] for z in route53.list_hosted_zones()["HostedZones"]].count(name + ".") == 1
    record = {"Name": f"www.{name}", "Type": "A", "TTL": 60, "ResourceRecords": [{"Value": "192.0.2.1"}]}
    proxy.arm(forward)
    changed = route53.change_resource_record_sets(
        HostedZoneId=zone_id, ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": record}]}
    )
    assert proxy.cuts == 2
    assert route53.get_change(Id=changed["ChangeInfo"]["Id"])["ChangeInfo"]["Status"] == "INSYNC"
    assert route53.get_hosted_zone(Id=zone_id)["HostedZone"]["ResourceRecordSetCount"] == 3


@asynccontextmanager
async def commit_answer_lost(monkeypatch: pytest.MonkeyPatch, landed: bool) -> AsyncIterator[list[int]]:
    """The next write transaction's commit raises CommitInDoubt, after committing (``landed``) or instead."""
    real = db_session.write_transaction
    faults = [1]

    @asynccontextmanager
    async def faulty(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        if not faults:
            async with real(*args, **kwargs) as session:
                yield session
            return
        faults.pop()
        if landed:
            async with real(*args, **kwargs) as session:
                yield session
        else:
            async with real(*args, **kwargs) as session:
                yield session
                await session.rollback()
        raise db_session.CommitInDoubt("the answer to COMMIT was lost")

    monkeypatch.setattr(writer_module, "write_transaction", faulty)
    yield faults


@pytest.mark.parametrize("landed", [True, False], ids=["landed", "not-landed"])
async def test_the_writer_reads_back_a_commit_in_doubt(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch, landed: bool
) -> None:
    name = f"doubt-{uuid.uuid4().hex[:8]}.example."
    async with commit_answer_lost(monkeypatch, landed) as faults:
        zone, _ = await app.state.hosted_zones.create(ACCOUNT, CreateZone(name, uuid.uuid4().hex, None, None, None))
    assert faults == []
    assert (await app.state.hosted_zones.get(ACCOUNT, zone.id)).name == name
    listed = await app.state.hosted_zones.list_by_name(ACCOUNT, name, None, 100)
    assert [z.name for z in listed.zones].count(name) == 1
