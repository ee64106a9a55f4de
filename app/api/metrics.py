"""``GET /metrics``: Prometheus text exposition (see app.metrics for every metric)."""

import logging

from fastapi import APIRouter, Request, Response
from prometheus_client.metrics_core import Metric

from app.metrics import CONTENT_TYPE, exposition, store_gauges

log = logging.getLogger(__name__)
router = APIRouter()


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    """Request and writer metrics of every worker, and the store gauges read now; without the store gauges
    when the database does not answer (the scrape itself still succeeds)."""
    store: list[Metric] = []
    try:
        store = await store_gauges(request.app.state.engine)
    except Exception:
        log.warning("metrics: the store gauges could not be read", exc_info=True)
    return Response(exposition(store), media_type=CONTENT_TYPE)
