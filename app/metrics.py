"""Prometheus metrics (prometheus_client), exposed at ``GET /metrics`` in the text format 0.0.4.

Names follow the Prometheus naming practices (base units, ``_seconds``, counters ending in ``_total``):

* ``route53_requests_total{service,operation,code}``: API requests answered (``code`` is the HTTP status);
* ``route53_request_duration_seconds{service,operation}``: their latency;
* ``route53_writer_batch_size`` and ``route53_writer_batch_duration_seconds``: the zone writer's group
  commits (writes per batch; time from BEGIN to COMMIT);
* ``route53_hosted_zones``, ``route53_hosted_zones_by_signing_status{status}`` and
  ``route53_key_signing_keys{status}``: the store, read when scraped (one grouped query per table).

* ``route53_dns_queries_total{type,rcode,transport}``: DNS queries answered by the listener, counted in
  process and added to the counter about once a second (``flush_dns_queries``), so that a query costs one
  dictionary update rather than a (multiprocess) metric update.

With several workers the counts live in ``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's multiprocess
mode): ``python -m app serve`` prepares it before the workers start (app.metrics_folder), and a scrape
answered by any worker sums them all. The store gauges are computed by the scrape itself, as a
multiprocess registry runs no custom collectors (client_python docs, "Multiprocess Mode").
"""

import collections
import os
import time
from collections.abc import Awaitable, Callable, Iterable, Sized
from functools import wraps
from typing import Any, TypeVar, cast

import dns.rcode
from dns.rdatatype import RdataType
from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics, generate_latest
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.metrics_folder import MULTIPROCESS_DIR
from app.services.rows import KEY_TABLE, ZONE_TABLE

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
SIGNING_STATUSES = ("SIGNING", "NOT_SIGNING")  # stored; ACTION_NEEDED is evaluated live on each read
KEY_STATUSES = ("ACTIVE", "INACTIVE")
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
BATCH_SIZE_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)

# The same series with one worker as with several: multiprocess mode exports no ``_created`` samples.
disable_created_metrics()  # type: ignore[no-untyped-call]
REGISTRY = CollectorRegistry()
REQUESTS = Counter(
    "route53_requests",
    "API requests answered, by service, operation and HTTP status code.",
    ("service", "operation", "code"),
    registry=REGISTRY,
)
REQUEST_SECONDS = Histogram(
    "route53_request_duration_seconds",
    "Time from receiving an API request to sending the last byte of its response.",
    ("service", "operation"),
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
WRITE_BATCH_SIZE = Histogram(
    "route53_writer_batch_size",
    "Writes committed together in one zone-writer batch.",
    buckets=BATCH_SIZE_BUCKETS,
    registry=REGISTRY,
)
WRITE_BATCH_SECONDS = Histogram(
    "route53_writer_batch_duration_seconds",
    "Time from BEGIN to COMMIT of one zone-writer batch.",
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)

DNS_QUERIES = Counter(
    "route53_dns_queries",
    "DNS queries answered, by query type, response code and transport (udp, tcp).",
    ("type", "rcode", "transport"),
    registry=REGISTRY,
)
DNS_TYPE_NAMES = {member.value: member.name for member in RdataType}  # dnspython's known types; others: OTHER

_dns_counts: collections.Counter[tuple[int, int, str]] = collections.Counter()


def count_dns_query(qtype: int, rcode: int, transport: str) -> None:
    """Count one answered DNS query (added to ``route53_dns_queries_total`` by ``flush_dns_queries``)."""
    _dns_counts[(qtype, rcode, transport)] += 1


def flush_dns_queries() -> None:
    """Add the DNS queries counted since the last flush to the counter."""
    counts = dict(_dns_counts)
    _dns_counts.clear()
    for (qtype, rcode, transport), count in counts.items():
        DNS_QUERIES.labels(
            DNS_TYPE_NAMES.get(qtype, "OTHER"), dns.rcode.to_text(dns.rcode.Rcode.make(rcode)), transport
        ).inc(count)


_request_series: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def observe_request(service: str, operation: str, status: int, seconds: float) -> None:
    """Count one answered request and its latency."""
    series = _request_series.get((service, operation, status))
    if series is None:
        series = (REQUESTS.labels(service, operation, str(status)), REQUEST_SECONDS.labels(service, operation))
        _request_series[(service, operation, status)] = series
    series[0].inc()
    series[1].observe(seconds)


_Commit = TypeVar("_Commit", bound=Callable[..., Awaitable[None]])


def observe_write_batch(commit: _Commit) -> _Commit:
    """Wrap the zone writer's ``_commit_batch(self, batch)``: record its size and duration when it returns
    (before any of its requests is answered)."""

    @wraps(commit)
    async def timed(self: object, batch: Sized) -> None:
        started = time.perf_counter()
        await commit(self, batch)
        WRITE_BATCH_SECONDS.observe(time.perf_counter() - started)
        WRITE_BATCH_SIZE.observe(len(batch))

    return cast(_Commit, timed)


async def store_gauges(engine: AsyncEngine) -> list[Metric]:
    """Hosted zones (in all, and by signing status) and KSKs by status: one grouped query per table."""
    async with engine.connect() as connection:
        signing = await connection.execute(
            select(ZONE_TABLE.c.serve_signature, func.count()).group_by(ZONE_TABLE.c.serve_signature)
        )
        zones_by_status = {str(status): int(count) for status, count in signing}
        keys = await connection.execute(select(KEY_TABLE.c.status, func.count()).group_by(KEY_TABLE.c.status))
        keys_by_status = {str(status): int(count) for status, count in keys}
    zones = GaugeMetricFamily("route53_hosted_zones", "Hosted zones in the store.", sum(zones_by_status.values()))
    return [
        zones,
        labelled_gauge(
            "route53_hosted_zones_by_signing_status",
            "Hosted zones by stored DNSSEC signing status.",
            SIGNING_STATUSES,
            zones_by_status,
        ),
        labelled_gauge("route53_key_signing_keys", "Key-signing keys by stored status.", KEY_STATUSES, keys_by_status),
    ]


def labelled_gauge(name: str, documentation: str, known: Iterable[str], counts: dict[str, int]) -> Metric:
    """A gauge with one ``status`` series per known status (0 when none) and per other status found."""
    gauge = GaugeMetricFamily(name, documentation, labels=("status",))
    for status in dict.fromkeys((*known, *sorted(counts))):
        gauge.add_metric((status,), counts.get(status, 0))
    return gauge


class _Families:
    """A collector of metric families computed beforehand (the store gauges of one scrape)."""

    def __init__(self, families: list[Metric]) -> None:
        self._families = families

    def collect(self) -> Iterable[Metric]:
        return self._families


def exposition(store: list[Metric]) -> bytes:
    """The scrape body: this process's metrics, or every worker's in multiprocess mode, then ``store``."""
    folder = os.environ.get(MULTIPROCESS_DIR)
    workers = MultiProcessCollector(None, path=folder) if folder else None  # type: ignore[no-untyped-call]
    counted = generate_latest(workers or REGISTRY)
    return counted + generate_latest(_Families(store))


def worker_exited() -> None:
    """Multiprocess bookkeeping when a worker stops (uvicorn has no ``child_exit`` hook: the lifespan calls it)."""
    if os.environ.get(MULTIPROCESS_DIR):
        mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]
