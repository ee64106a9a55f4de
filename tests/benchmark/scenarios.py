"""The measurements: what is timed against our server and against moto, and the untimed setup for it."""

import itertools
import secrets
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from urllib.parse import quote

from tests.benchmark import aws
from tests.benchmark.loadgen import Connection, Result, run_load
from tests.benchmark.servers import HOST

BULK_CONCURRENCY = 32
BULK_SECONDS = 300.0
CREATE_RATE_CAP = 5000  # pre-built CreateHostedZone requests per second of --duration
KSK_RATE_CAP = 2000  # largest CreateKeySigningKey pool per second of --duration
SAMPLE_IDS = 1000
MAX_PAGES = 2000
SMALL_STORE = 100


@dataclass(frozen=True)
class Options:
    """Resolved command-line knobs."""

    concurrency: tuple[int, ...]
    duration: float
    zones_for_list: int
    ksk_pool_cap: int
    moto_fill_seconds: float


@dataclass
class Measurement:
    """One row of the results table."""

    server: str
    operation: str
    concurrency: int
    zones: int | None
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    statuses: dict[str, int]
    note: str = ""
    cpu_us: float | None = None  # the server process's CPU time per request (user + system, every thread)


@dataclass
class Bench:
    """Runs and records measurements against one server."""

    name: str
    port: int
    options: Options
    results: list[Measurement] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    tag: str = field(default_factory=lambda: secrets.token_hex(3))
    serial: Iterator[int] = field(default_factory=itertools.count)

    @property
    def host(self) -> str:
        return f"{HOST}:{self.port}"

    async def load(
        self,
        requests: Sequence[bytes],
        concurrency: int,
        expect: int,
        limit: int | None = None,
        keep_bodies: bool = False,
    ) -> Result:
        """One timed run of ``requests`` (cycled up to ``limit``, default once each)."""
        return await run_load(
            HOST,
            self.port,
            requests,
            concurrency=concurrency,
            duration=self.options.duration,
            limit=len(requests) if limit is None else limit,
            expect=frozenset({expect}),
            keep_bodies=keep_bodies,
        )

    def record(self, operation: str, result: Result, zones: int | None = None, note: str = "") -> None:
        """Keep one measurement, print it, and shout about unexpected statuses."""
        if result.exhausted and result.elapsed < self.options.duration * 0.9:
            note = (note + ", " if note else "") + f"used up after {result.elapsed:.1f}s"
        row = Measurement(
            self.name,
            operation,
            result.concurrency,
            zones,
            result.count,
            round(result.elapsed, 3),
            round(result.rate, 1),
            round(result.percentile_ms(0.50), 2),
            round(result.percentile_ms(0.99), 2),
            result.unexpected,
            dict(result.statuses),
            note,
        )
        self.results.append(row)
        print(
            f"  {self.name:5} {operation:24} c={row.concurrency:<3} {row.rps:9.1f} req/s  "
            f"p50 {row.p50_ms:7.2f} ms  p99 {row.p99_ms:7.2f} ms  n={row.requests} {note}",
            flush=True,
        )
        if result.unexpected:
            self.problem(f"{operation} c={result.concurrency}: unexpected statuses {dict(result.statuses)}")

    def problem(self, message: str) -> None:
        self.problems.append(f"{self.name}: {message}")
        print(f"!!! {self.name}: {message}", file=sys.stderr, flush=True)

    # --- untimed setup -------------------------------------------------------------------------------

    def zone_requests(self, count: int) -> list[bytes]:
        """``count`` CreateHostedZone requests with fresh names and caller references."""
        numbers = [next(self.serial) for _ in range(count)]
        return [aws.create_zone(self.host, f"z{n}.b{self.tag}.example.com", f"{self.tag}-{n}") for n in numbers]

    async def bulk(
        self,
        what: str,
        requests: Sequence[bytes],
        expect: int,
        limit: int | None = None,
        seconds: float = BULK_SECONDS,
    ) -> Result:
        """Untimed bulk run (at most ``seconds``) that keeps every response body."""
        started = time.perf_counter()
        result = await run_load(
            HOST,
            self.port,
            requests,
            concurrency=BULK_CONCURRENCY,
            duration=seconds,
            limit=len(requests) if limit is None else limit,
            expect=frozenset({expect}),
            keep_bodies=True,
        )
        elapsed = time.perf_counter() - started
        print(f"  setup: {what}: {result.count} in {elapsed:.1f}s ({result.rate:.0f}/s)", flush=True)
        if result.unexpected:
            self.problem(f"setup {what}: unexpected statuses {dict(result.statuses)}")
        return result

    async def create_zones(self, count: int, seconds: float = BULK_SECONDS) -> list[str]:
        """Create ``count`` zones (or as many as fit in ``seconds``); return their ids."""
        if count <= 0:
            return []
        result = await self.bulk("zones", self.zone_requests(count), 201, seconds=seconds)
        return [aws.zone_id(body) for status, body in result.bodies.values() if status == 201]

    async def create_keys(self, count: int) -> list[str]:
        """Create ``count`` KMS signing keys; return their ARNs."""
        result = await self.bulk("KMS keys", [aws.create_kms_key(self.host)], 200, limit=count)
        return [aws.key_arn(body) for status, body in result.bodies.values() if status == 200]

    async def walk_zones(self) -> tuple[list[str], str]:
        """Page through ListHostedZones: every zone id in list order, and a marker in the middle."""
        conn = Connection(HOST, self.port)
        ids: list[str] = []
        markers: list[str] = []
        marker: str | None = None
        try:
            for _ in range(MAX_PAGES):
                query = f"?maxitems=100&marker={quote(marker, safe='')}" if marker else "?maxitems=100"
                status, body = await conn.request(aws.route53(self.host, "GET", aws.ZONES + query))
                if status != 200:
                    raise RuntimeError(f"ListHostedZones answered {status}: {body[:300]!r}")
                page, marker = aws.list_page(body)
                ids += page
                if marker is None:
                    break
                markers.append(marker)
            if not markers:  # a single page: ask for half of it to get a marker
                half = max(1, len(ids) // 2)
                _, body = await conn.request(aws.route53(self.host, "GET", f"{aws.ZONES}?maxitems={half}"))
                markers.append(aws.list_page(body)[1] or "")
        finally:
            conn.close()
        print(f"  setup: store holds {len(ids)} zones", flush=True)
        return ids, markers[len(markers) // 2]

    async def fill_zones(self, target: int, seconds: float = BULK_SECONDS) -> tuple[list[str], str]:
        """Bring the store up to ``target`` zones (bounded by ``seconds``) and walk it."""
        ids, marker = await self.walk_zones()
        if len(ids) >= target:
            return ids, marker
        await self.create_zones(target - len(ids), seconds)
        return await self.walk_zones()

    # --- timed measurements --------------------------------------------------------------------------

    async def measure_reads(self, ids: list[str], marker: str, operations: Sequence[str]) -> None:
        """GetHostedZone / ListHostedZones / ListHostedZones(marker) at every concurrency."""
        step = max(1, len(ids) // SAMPLE_IDS)
        get = [aws.route53(self.host, "GET", f"{aws.ZONES}/{zone}") for zone in ids[::step]]
        requests = {
            "GetHostedZone": get,
            "ListHostedZones": [aws.route53(self.host, "GET", f"{aws.ZONES}?maxitems=100")],
            "ListHostedZones(marker)": [
                aws.route53(self.host, "GET", f"{aws.ZONES}?marker={quote(marker, safe='')}&maxitems=100")
            ],
        }
        limit = CREATE_RATE_CAP * 4 * int(self.options.duration + 1)
        for operation in operations:
            for concurrency in self.options.concurrency:
                result = await self.load(requests[operation], concurrency, 200, limit)
                self.record(operation, result, zones=len(ids))

    async def measure_create_zone(self) -> None:
        """CreateHostedZone, fresh name and caller reference per request."""
        for concurrency in self.options.concurrency:
            requests = self.zone_requests(int(CREATE_RATE_CAP * self.options.duration))
            result = await self.load(requests, concurrency, 201)
            self.record("CreateHostedZone", result)

    async def measure_ksk(self) -> list[str]:
        """CreateKeySigningKey on fresh zones and keys; return the zones that got a KSK.

        Each pool is sized by ``pool_size``; a run stops early when its pool is used up.
        """
        signed: list[str] = []
        for concurrency in self.options.concurrency:
            size = self.pool_size(concurrency)
            keys = await self.create_keys(size)
            zones = await self.create_zones(size)
            requests = [
                aws.create_ksk(self.host, zone, key, f"ksk-{self.tag}-{zone}")
                for zone, key in zip(zones, keys, strict=False)
            ]
            result = await self.load(requests, concurrency, 201, keep_bodies=True)
            self.record("CreateKeySigningKey", result, note=f"pool {len(requests)}")
            signed += [zones[i] for i, (status, _) in result.bodies.items() if status == 201]
        return signed

    def pool_size(self, concurrency: int) -> int:
        """Fresh zones and keys to prepare for one CreateKeySigningKey run.

        Enough for twice the CreateHostedZone rate at this concurrency (a KSK costs more than a zone) and
        for four times the best CreateKeySigningKey rate so far, whichever is smaller, at most ``ksk_pool_cap``.
        """
        duration, cap = self.options.duration, self.options.ksk_pool_cap
        bounds = [
            2 * r.rps * duration
            for r in self.results
            if (r.operation, r.concurrency) == ("CreateHostedZone", concurrency)
        ]
        if ksk_rates := [r.rps for r in self.results if r.operation == "CreateKeySigningKey"]:
            bounds.append(4 * max(ksk_rates) * duration)
        return min(cap, int(min(bounds)) + 100) if bounds else cap

    async def measure_get_dnssec(self, zones: list[str]) -> None:
        """GetDNSSEC on zones that have a KSK."""
        if not zones:
            self.problem("GetDNSSEC skipped: no zone got a KSK")
            return
        requests = [aws.route53(self.host, "GET", f"{aws.ZONES}/{zone}/dnssec") for zone in zones[:SAMPLE_IDS]]
        for concurrency in self.options.concurrency:
            limit = CREATE_RATE_CAP * 4 * int(self.options.duration + 1)
            self.record("GetDNSSEC", await self.load(requests, concurrency, 200, limit))


READS = ("GetHostedZone", "ListHostedZones", "ListHostedZones(marker)")


async def bench_ours(bench: Bench) -> None:
    """Everything measured against our server, smallest store first."""
    ids, marker = await bench.fill_zones(SMALL_STORE)
    await bench.measure_reads(ids, marker, READS)
    await bench.measure_create_zone()
    await bench.measure_get_dnssec(await bench.measure_ksk())
    ids, marker = await bench.fill_zones(bench.options.zones_for_list)
    await bench.measure_reads(ids, marker, READS)


async def bench_moto(bench: Bench) -> None:
    """The moto comparison: CreateHostedZone, then ListHostedZones on a store as full as time allows."""
    await bench.measure_create_zone()
    ids, marker = await bench.fill_zones(bench.options.zones_for_list, bench.options.moto_fill_seconds)
    if len(ids) < bench.options.zones_for_list:
        print(
            f"  note: moto store reached {len(ids)} of {bench.options.zones_for_list} zones in time",
            flush=True,
        )
    await bench.measure_reads(ids, marker, READS[1:])
