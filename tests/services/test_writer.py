"""The zone writer: a batch that fails as a whole is retried request by request, so only the guilty
request fails; the writer survives every failure; a constraint violation maps to its Route 53 error."""

import asyncio
import uuid
from dataclasses import dataclass

import pytest
from fastapi import FastAPI

from app.errors import KeySigningKeyAlreadyExists
from app.services.hosted_zones import CreateZone
from app.services.rows import KeyRow
from app.services.views import ChangeView, ZoneView
from app.services.writer import OneZoneWrite, WriteContext

ACCOUNT = "123456789012"  # R53_ACCOUNT_ID's default: the account of the tests' requests


@dataclass
class SneakyDuplicate(OneZoneWrite):
    """Inserts a KSK named like an existing one, bypassing the rules: only the unique constraint stops it."""

    async def apply(self, ctx: WriteContext) -> ChangeView:
        zone = ctx.zone(self.zone_id)
        original = zone.keys[0]
        ctx.add_key(zone, KeyRow(**{**original.values(), "kms_arn": "arn:other"}))
        return ctx.record_change()


@dataclass
class Broken:
    zone_ids: tuple[str, ...] = ()
    caller_reference: None = None

    def record_lookups(self, zones: object) -> dict[str, set[str]]:
        return {}

    async def apply(self, ctx: WriteContext) -> None:
        raise RuntimeError("a bug")


async def zone(app: FastAPI) -> ZoneView:
    created, _ = await app.state.hosted_zones.create(
        ACCOUNT, CreateZone(f"{uuid.uuid4().hex[:8]}.example.", uuid.uuid4().hex, None, None, None)
    )
    return created


async def test_a_constraint_violation_fails_only_its_own_request(app: FastAPI) -> None:
    from tests.kms_keys import make_key

    target = await zone(app)
    await app.state.key_signing_keys.create(ACCOUNT, target.id, "taken", await make_key(app), "INACTIVE")
    writer = app.state.writer
    names = [f"z{i}.batch.example." for i in range(20)]
    results = await asyncio.gather(
        writer.submit(SneakyDuplicate(target.id), ACCOUNT),
        *(writer.submit(CreateZone(name, uuid.uuid4().hex, None, None, None), ACCOUNT) for name in names),
        return_exceptions=True,
    )
    assert isinstance(results[0], KeySigningKeyAlreadyExists)
    assert all(isinstance(result, tuple) for result in results[1:]), results
    listed = await app.state.hosted_zones.list(ACCOUNT, None, 100, False)
    assert {z.name for z in listed.zones} >= set(names)


async def test_the_writer_survives_a_bug_in_a_request(app: FastAPI) -> None:
    writer = app.state.writer
    broken, fine = await asyncio.gather(writer.submit(Broken()), zone(app), return_exceptions=True)
    assert isinstance(broken, RuntimeError)
    assert isinstance(fine, ZoneView)
    with pytest.raises(RuntimeError):
        await writer.submit(Broken())
    assert isinstance(await zone(app), ZoneView)


async def test_tag_changes_and_a_zone_delete_in_one_batch_apply_in_order(app: FastAPI) -> None:
    from app.services.hosted_zones import ChangeTags, DeleteZone

    kept, doomed = await zone(app), await zone(app)
    writer = app.state.writer
    await asyncio.gather(
        writer.submit(ChangeTags(kept.id, {"a": "1", "b": "1"}, ()), ACCOUNT),
        writer.submit(ChangeTags(kept.id, {"a": "2"}, ("b",)), ACCOUNT),
        writer.submit(ChangeTags(doomed.id, {"x": "y"}, ()), ACCOUNT),
        writer.submit(DeleteZone(doomed.id), ACCOUNT),
    )
    assert await app.state.hosted_zones.tags(ACCOUNT, kept.id) == {"a": "2"}
    listed = await app.state.hosted_zones.list(ACCOUNT, None, 100, False)
    assert doomed.id not in {z.id for z in listed.zones}
