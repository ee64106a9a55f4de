"""``R53_FAULT_CONCURRENT_MODIFICATION_RATE`` makes about that share of KSK and signing writes fail with
ConcurrentModification, before they do anything, and nothing else."""

import uuid
from collections import Counter

import httpx

from app.main import create_app
from tests.kms_keys import make_key
from tests.wire import create_ksk_body, create_zone_body, parse

RATE = 0.3
CALLS = 300


async def test_fault_injection_rate(settings):
    app = create_app(settings.model_copy(update={"fault_concurrent_modification_rate": RATE}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://route53.amazonaws.com") as client:
            created = await client.post("/2013-04-01/hostedzone", content=create_zone_body("fault.example", "f"))
            zone_id = parse("CreateHostedZone", created)["HostedZone"]["Id"].split("/")[-1]
            arn = await make_key(app)
            while True:
                body = create_ksk_body(
                    CallerReference=uuid.uuid4().hex,
                    HostedZoneId=zone_id,
                    KeyManagementServiceArn=arn,
                    Name="fault_ksk",
                    Status="INACTIVE",
                )
                if (await client.post("/2013-04-01/keysigningkey", content=body)).status_code == 201:
                    break
            outcomes = Counter()
            for _ in range(CALLS):
                response = await client.post(f"/2013-04-01/keysigningkey/{zone_id}/fault_ksk/deactivate")
                outcomes[
                    response.status_code
                    if response.status_code == 200
                    else parse("GetChange", response)["Error"]["Code"]
                ] += 1
            reads = [await client.get(f"/2013-04-01/hostedzone/{zone_id}/dnssec") for _ in range(20)]
    assert set(outcomes) == {200, "ConcurrentModification"}, outcomes
    share = outcomes["ConcurrentModification"] / CALLS
    assert abs(share - RATE) < 0.1, share  # five standard deviations at n=300
    assert all(read.status_code == 200 for read in reads)  # reads are never injected
