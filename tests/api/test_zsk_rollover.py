"""ZSK rollovers with a short ``R53_ZSK_ROLLOVER_SECONDS``, on a simulated clock in 100 ms steps: at every
step the answers validate, for a resolver asking now and for one holding earlier answers or an earlier DNSKEY
RRset in its cache; several workers rolling the same zone store one successor."""

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import dns.dnssec
import dns.name
import dns.rrset
import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select

from app.config import Settings
from app.db.models import ZoneSigningKey
from app.dnssec.signer import SigningMaterial
from app.main import create_app
from app.records.resolver import Kind
from tests.signing import SignedZone, change, ksk_dnskey, material, record, signing_zone, trusted_keys

ROLLOVER = 20  # seconds: DNSKEY TTL 1 s, publication lead 2 s, online signatures valid 20 s, removal 21 s after
STEP = 0.1


@asynccontextmanager
async def app_for(settings: Settings) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    app = create_app(settings.model_copy(update={"zsk_rollover_seconds": ROLLOVER}))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://route53.amazonaws.com") as client,
    ):
        yield app, client


class Validator:
    """Signature checks, each pair of RRSIG and key set verified once; the validity window is checked at
    every moment asked."""

    def __init__(self) -> None:
        self._verified: dict[tuple[int, int], bool] = {}
        self.checks = 0

    def valid(self, rrset: dns.rrset.RRset, rrsigs: dns.rrset.RRset, keys: dns.rrset.RRset, now: float) -> bool:
        self.checks += 1
        for rrsig in rrsigs:
            if not rrsig.inception <= now <= rrsig.expiration:
                continue
            pair = (id(rrsig), id(keys))
            if pair not in self._verified:
                try:
                    single = dns.rrset.from_rdata(rrsigs.name, rrsigs.ttl, rrsig)
                    dns.dnssec.validate(rrset, single, {keys.name: keys}, now=rrsig.inception)
                    self._verified[pair] = True
                except dns.dnssec.ValidationFailure:
                    self._verified[pair] = False
            if self._verified[pair]:
                return True
        return False


async def walk_a_rollover(app: FastAPI, zone: SignedZone, start: float, seconds: float) -> set[int]:
    """Step the clock; the maintenance task's refresh runs at every step. Returns the key tags that signed."""
    validator = Validator()
    ksk_keys = ksk_dnskey(zone)
    data = dns.rrset.from_text("www.rollover.example.", 60, "IN", "A", "192.0.2.1")
    seen: list[tuple[float, SigningMaterial, dns.rrset.RRset, dns.rrset.RRset]] = []  # (t, material, rrsig, nsec)
    signers: set[int] = set()
    ttl = app.state.zone_signing.timings.dnskey_ttl
    for step in range(int(seconds / STEP)):
        now = start + step * STEP
        await app.state.zone_signing.refresh(zone.zone_id, now)
        signing = await material(app, zone.zone_id, now)
        assert signing is not None, now
        assert validator.valid(signing.dnskey, signing.dnskey_rrsigs, ksk_keys, now), "DNSKEY RRSIG"
        rrsig = signing.sign(data.copy(), now)
        denial = signing.deny(dns.name.from_text(f"nx{step}.rollover.example."), frozenset(), Kind.NXDOMAIN, now)
        signers.add(rrsig[0].key_tag)
        assert validator.valid(data, rrsig, signing.dnskey, now), ("fresh answer", now)
        assert validator.valid(denial[0], denial[1], signing.dnskey, now), ("fresh denial", now)
        for then, earlier, earlier_rrsig, _ in seen:
            if now - then <= ttl:  # a cache holding an earlier DNSKEY RRset, a fresh answer
                assert validator.valid(data, rrsig, earlier.dnskey, now), ("cached DNSKEY", then, now)
                assert validator.valid(earlier.dnskey, earlier.dnskey_rrsigs, ksk_keys, now)
            if now <= earlier_rrsig[0].expiration:  # a cache holding an earlier answer, a fresh DNSKEY RRset
                assert validator.valid(data, earlier_rrsig, signing.dnskey, now), ("cached answer", then, now)
        seen.append((now, signing, rrsig, denial[1]))
        seen = [entry for entry in seen if now <= entry[2][0].expiration or now - entry[0] <= ttl]
    assert validator.checks > 10 * len(signers)
    return signers


async def test_zsk_rollovers_never_break_validation(settings: Settings) -> None:
    async with app_for(settings) as (app, client):
        zone = await signing_zone(app, client, "rollover.example")
        await change(client, zone.zone_id, record("www.rollover.example", "A", 60, "192.0.2.1"))
        start = time.time()
        signers = await walk_a_rollover(app, zone, start, 3 * ROLLOVER)
        assert len(signers) >= 3  # two rollovers, each validating throughout
        async with app.state.zone_signing._sessionmaker() as session:
            keys = (await session.scalars(select(ZoneSigningKey).order_by(ZoneSigningKey.id))).all()
        assert len(keys) <= 3  # removed keys are deleted
        first, second = keys[-2], keys[-1]
        assert second.activate_at.timestamp() - second.publish_at.timestamp() == pytest.approx(2, abs=0.01)
        assert first.retire_at == second.activate_at
        assert first.remove_at.timestamp() - first.retire_at.timestamp() == pytest.approx(21, abs=0.01)
        signing = await material(app, zone.zone_id, start + 3 * ROLLOVER)
        assert signing is not None
        trusted_keys(zone, signing, start + 3 * ROLLOVER)


async def test_workers_rolling_one_zone_store_one_successor(settings: Settings) -> None:
    """Three processes' services (each its own writer and engine, one database) refresh at the moment the
    successor is due: one successor is stored and every worker then serves the same DNSKEY RRset."""
    async with (
        app_for(settings) as (first_app, client),
        app_for(settings) as (second_app, _),
        app_for(settings) as (third_app, _),
    ):
        zone = await signing_zone(first_app, client, "workers.example")
        apps = (first_app, second_app, third_app)
        due = time.time() + ROLLOVER - 2 + 0.5
        await asyncio.gather(*(app.state.zone_signing.refresh(zone.zone_id, due) for app in apps))
        await asyncio.gather(*(app.state.zone_signing.refresh(zone.zone_id, due + 0.1) for app in apps))
        async with first_app.state.zone_signing._sessionmaker() as session:
            keys = (await session.scalars(select(ZoneSigningKey))).all()
        assert len(keys) == 2
        materials = [await material(app, zone.zone_id, due + 0.2) for app in apps]
        assert all(signing is not None for signing in materials)
        assert len({signing.dnskey.to_text() for signing in materials if signing}) == 1
        assert materials[0] is not None and len(materials[0].dnskey) == 3  # two ZSKs during the handover
