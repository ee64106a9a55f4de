"""The DNS listener in process (the app's lifespan starts it): the signing seam, answers that vary per query
are never cached, a fault answers SERVFAIL and the listener goes on, idle TCP connections are closed, and
every answered query is counted and logged at DEBUG."""

import asyncio
import logging
import socket
import uuid
from collections.abc import AsyncIterator
from typing import Any

import dns.asyncquery
import dns.message
import dns.name
import dns.rcode
import dns.rrset
import httpx
import pytest
from dns.rdatatype import RdataType
from fastapi import FastAPI

from app.authoritative import listener as listener_module
from app.authoritative.responder import Responder
from app.authoritative.signing import Sections
from app.authoritative.zones import ZoneDirectory
from app.config import Settings
from app.db.session import create_engine, create_sessionmaker
from app.main import create_app
from app.metrics import DNS_QUERIES, flush_dns_queries
from app.records import resolver
from app.services.zone_snapshots import Snapshot, ZoneSnapshots
from tests.conftest import free_dns_port
from tests.dns_tools import raw_udp
from tests.wire import NAMESPACE, create_zone_body, parse

HOST = "127.0.0.1"


@pytest.fixture
async def dns_app(settings: Settings) -> AsyncIterator[tuple[FastAPI, int]]:
    port = free_dns_port()
    application = create_app(settings.model_copy(update={"dns_port": port}))
    async with application.router.lifespan_context(application):
        yield application, port


@pytest.fixture
async def api(dns_app: tuple[FastAPI, int]) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=dns_app[0])
    async with httpx.AsyncClient(transport=transport, base_url="https://route53.amazonaws.com") as http:
        yield http


async def new_zone(api: httpx.AsyncClient) -> tuple[str, str]:
    name = f"{uuid.uuid4().hex[:8]}.example.com."
    response = await api.post("/2013-04-01/hostedzone", content=create_zone_body(name, uuid.uuid4().hex))
    assert response.status_code == 201, response.text
    return parse("CreateHostedZone", response)["HostedZone"]["Id"].rsplit("/", 1)[-1], name


async def upsert(api: httpx.AsyncClient, zone_id: str, *record_sets: str) -> None:
    changes = "".join(f"<Change><Action>UPSERT</Action>{record}</Change>" for record in record_sets)
    body = (
        f'<ChangeResourceRecordSetsRequest xmlns="{NAMESPACE}"><ChangeBatch><Changes>{changes}</Changes>'
        "</ChangeBatch></ChangeResourceRecordSetsRequest>"
    )
    response = await api.post(f"/2013-04-01/hostedzone/{zone_id}/rrset/", content=body)
    assert response.status_code == 200, response.text


def a_record(name: str, value: str, routing: str = "") -> str:
    return (
        f"<ResourceRecordSet><Name>{name}</Name><Type>A</Type>{routing}<TTL>60</TTL>"
        f"<ResourceRecords><ResourceRecord><Value>{value}</Value></ResourceRecord></ResourceRecords></ResourceRecordSet>"
    )


async def ask(port: int, name: str, rdtype: str = "A", **options: Any) -> dns.message.Message:
    query = dns.message.make_query(name, rdtype, **options)
    return await dns.asyncquery.udp(query, HOST, port=port, timeout=5)


async def test_a_change_is_answered_at_once(dns_app: tuple[FastAPI, int], api: httpx.AsyncClient) -> None:
    _, port = dns_app
    zone_id, name = await new_zone(api)
    for value in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        await upsert(api, zone_id, a_record(f"www.{name}", value))
        reply = await ask(port, f"www.{name}")
        assert [rdata.to_text() for rdata in reply.answer[0]] == [value]


async def test_weighted_answers_are_chosen_per_query_not_cached(
    dns_app: tuple[FastAPI, int], api: httpx.AsyncClient
) -> None:
    _, port = dns_app
    zone_id, name = await new_zone(api)
    await upsert(
        api,
        zone_id,
        a_record(f"w.{name}", "192.0.2.1", "<SetIdentifier>one</SetIdentifier><Weight>1</Weight>"),
        a_record(f"w.{name}", "192.0.2.2", "<SetIdentifier>two</SetIdentifier><Weight>1</Weight>"),
    )
    seen = {(await ask(port, f"w.{name}")).answer[0][0].to_text() for _ in range(60)}
    assert seen == {"192.0.2.1", "192.0.2.2"}  # a cached answer would always give the first one drawn


async def test_a_fault_answers_servfail_and_the_listener_goes_on(
    dns_app: tuple[FastAPI, int],
    api: httpx.AsyncClient,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, port = dns_app
    _, name = await new_zone(api)
    original = resolver.resolve

    def broken(*args: Any, **kwargs: Any) -> resolver.Answer:
        raise RuntimeError("a bug")

    monkeypatch.setattr(resolver, "resolve", broken)
    assert (await ask(port, f"x.{name}")).rcode() == dns.rcode.SERVFAIL
    assert "answer failed" in caplog.text and "RuntimeError: a bug" in caplog.text
    monkeypatch.setattr(resolver, "resolve", original)
    assert (await ask(port, f"x.{name}")).rcode() == dns.rcode.NXDOMAIN


async def test_idle_tcp_connections_are_closed(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(listener_module, "TCP_IDLE_SECONDS", 0.2)
    port = free_dns_port()
    application = create_app(settings.model_copy(update={"dns_port": port}))
    async with application.router.lifespan_context(application):
        reader, writer = await asyncio.open_connection(HOST, port)
        assert await asyncio.wait_for(reader.read(10), timeout=10) == b""  # closed by the server
        writer.close()


async def test_queries_are_counted_and_logged_at_debug(
    dns_app: tuple[FastAPI, int], api: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    _, port = dns_app
    zone_id, name = await new_zone(api)
    flush_dns_queries()
    before = DNS_QUERIES.labels("MX", "NXDOMAIN", "udp")._value.get()
    query = dns.message.make_query(f"Nope.{name}", "MX", use_edns=0, want_dnssec=True)
    with caplog.at_level(logging.DEBUG, logger="app.dns"):
        raw = await asyncio.to_thread(raw_udp, port, query.to_wire())
    assert raw is not None
    flush_dns_queries()
    assert DNS_QUERIES.labels("MX", "NXDOMAIN", "udp")._value.get() == before + 1
    [record] = [record for record in caplog.records if record.name == "app.dns"]
    assert record.levelno == logging.DEBUG and record.msg == "query"
    fields = dict(record.args)  # type: ignore[arg-type]
    assert fields.pop("client").startswith(f"{HOST}:")
    assert fields == {
        "transport": "udp",
        "id": query.id,
        "name": f"Nope.{name}",
        "type": "MX",
        "do": True,
        "rcode": "NXDOMAIN",
        "size": len(raw),
        "zone": zone_id,
    }


class FakeSigning:
    """Material per zone revision; "signing" adds a TXT marker naming the material to the additional section."""

    def __init__(self) -> None:
        self.materials: dict[int, object] = {}
        self.signed = 0

    async def material(self, snapshot: Snapshot, now: float) -> object:
        return self.materials.setdefault(snapshot.revision, object())

    def cached_material(self, snapshot: Snapshot, now: float) -> tuple[bool, object | None]:
        material = self.materials.get(snapshot.revision)
        return material is not None, material

    def sign_response(
        self,
        answer: resolver.Answer,
        qname: dns.name.Name,
        qtype: RdataType,
        material: Any,
        now: float,
        dnssec_ok: bool,
    ) -> Sections:
        self.signed += 1
        marker = dns.rrset.from_text(qname, 0, "IN", "TXT", f'"signed {id(material)}"')
        return Sections(answer.rcode, answer.authoritative, answer.answer, answer.authority, [marker])


async def test_the_signing_seam_signs_do_queries_and_its_answers_are_cached_per_material(
    settings: Settings, api: httpx.AsyncClient
) -> None:
    zone_id, name = await new_zone(api)
    await upsert(api, zone_id, a_record(f"www.{name}", "192.0.2.1"))
    engine = create_engine(settings)
    sessionmaker = create_sessionmaker(engine)
    signing = FakeSigning()
    responder = Responder(
        ZoneDirectory(sessionmaker, settings.sqlite_path()), ZoneSnapshots(sessionmaker), signing, b"t"
    )
    try:
        plain_query = dns.message.make_query(f"www.{name}", "A", use_edns=0)
        do_query = dns.message.make_query(f"WWW.{name}", "A", use_edns=0, want_dnssec=True)
        [unsigned, signed, again] = await responder.answer(
            [plain_query.to_wire(), do_query.to_wire(), do_query.to_wire()], tcp=False
        )
        assert dns.message.from_wire(unsigned.reply or b"").additional == []
        first, second = (dns.message.from_wire(outcome.reply or b"") for outcome in (signed, again))
        assert first.additional[0].name.to_text() == f"WWW.{name}"
        assert first.additional[0][0].to_text() == f'"signed {id(signing.materials[max(signing.materials)])}"'
        assert second.additional == first.additional and signing.signed == 1  # the second came from the cache
        signing.materials.clear()  # new material: the cached answer is not reused
        [third] = await responder.answer([do_query.to_wire()], tcp=False)
        assert signing.signed == 2 and dns.message.from_wire(third.reply or b"").additional != first.additional
    finally:
        responder.close()
        await engine.dispose()


def test_the_listener_port_is_shared(settings: Settings) -> None:
    port = free_dns_port()
    first = listener_module.bound_socket(HOST, port, socket.SOCK_DGRAM)
    second = listener_module.bound_socket(HOST, port, socket.SOCK_DGRAM)  # another worker: SO_REUSEPORT
    assert first.getsockname() == second.getsockname() == (HOST, port)
    first.close()
    second.close()
