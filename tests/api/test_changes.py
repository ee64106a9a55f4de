"""GetChange follows ``R53_CHANGE_PROPAGATION_SECONDS``: PENDING until the delay has passed, then INSYNC."""

import asyncio

import httpx

from app.main import create_app
from tests.wire import create_zone_body, parse


async def test_change_is_pending_until_the_propagation_delay_passes(settings):
    app = create_app(settings.model_copy(update={"change_propagation_seconds": 0.6}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://route53.amazonaws.com") as client:
            created = parse(
                "CreateHostedZone",
                await client.post("/2013-04-01/hostedzone", content=create_zone_body("p.example", "p")),
            )
            change_id = created["ChangeInfo"]["Id"].split("/")[-1]
            first = parse("GetChange", await client.get(f"/2013-04-01/change/{change_id}"))["ChangeInfo"]
            assert first["Status"] == "PENDING"
            assert first["SubmittedAt"] == created["ChangeInfo"]["SubmittedAt"]
            await asyncio.sleep(0.7)
            later = parse("GetChange", await client.get(f"/2013-04-01/change/{change_id}"))["ChangeInfo"]
            assert later["Status"] == "INSYNC"
