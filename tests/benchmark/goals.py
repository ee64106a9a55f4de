"""The speed goals (issue 13), measured side by side with moto in every run, so the ratio holds on a noisy machine.

Both servers run at once, pinned to the same core; the load generator runs on another. Each run measures, at
one concurrency (64): CreateKeySigningKey on fresh zones and KMS keys against moto's CreateHostedZone,
ChangeResourceRecordSets with one UPSERT (a fresh name each) against moto's, and list pages of 100 items
(ListHostedZones and ListHostedZonesByName in the middle of the store, ListResourceRecordSets at the start of
a zone of 100 and of 10,000 record sets, and pages of 300). The summary gives each goal's min/median/max over
the runs and how many runs met it.
"""

import os
import re
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import quote

from tests.benchmark import aws
from tests.benchmark.loadgen import Connection
from tests.benchmark.scenarios import Bench, Measurement
from tests.benchmark.servers import HOST

CONCURRENCY = 64
LIST_STORE = 1000  # zones in each server's store when the list marker is chosen (it grows with every run)
SMALL_ZONE, LARGE_ZONE = 100, 10_000  # record sets in the two zones ListResourceRecordSets pages through
CHANGES_PER_FILL = 500  # CREATEs per ChangeResourceRecordSets while filling the zones
FIRST_KSK_POOL_PER_SECOND = 2500  # KSK requests prepared per second of --duration before a rate is known
UPSERT_ZONES = 64
WRITE_LIMIT_PER_SECOND = 5000  # pre-built CreateHostedZone / UPSERT requests per second of --duration
LIST_LIMIT_PER_SECOND = 20_000


@dataclass(frozen=True)
class Goal:
    """One line of the summary: a value per run from that run's measurements, and the bound it must meet."""

    name: str
    value: Callable[[dict[str, Measurement]], float | None]
    bound: float
    at_least: bool
    unit: str

    def met(self, value: float) -> bool:
        return value >= self.bound if self.at_least else value < self.bound


def _ratio(ours: str, moto: str) -> Callable[[dict[str, Measurement]], float | None]:
    def value(rows: dict[str, Measurement]) -> float | None:
        a, b = rows.get(f"ours {ours}"), rows.get(f"moto {moto}")
        return round(a.rps / b.rps, 2) if a and b and b.rps else None

    return value


def _field(key: str, attribute: str) -> Callable[[dict[str, Measurement]], float | None]:
    def value(rows: dict[str, Measurement]) -> float | None:
        row = rows.get(key)
        return float(getattr(row, attribute)) if row else None

    return value


def _same_cost(small: str, large: str) -> Callable[[dict[str, Measurement]], float | None]:
    def value(rows: dict[str, Measurement]) -> float | None:
        a, b = rows.get(small), rows.get(large)
        return round(b.rps / a.rps, 2) if a and b and a.rps else None

    return value


KSK, CHZ, UPSERT = "CreateKeySigningKey", "CreateHostedZone", "UPSERT"
LHZ, LHZN = "ListHostedZones(marker)", "ListHostedZonesByName(dnsname)"
LRRS = "ListResourceRecordSets"


def lrrs(items: int, store: int) -> str:
    return f"{LRRS}(maxitems={items}, {store} rrsets)"


GOALS = (
    Goal(f"{KSK} / moto {CHZ}", _ratio(KSK, CHZ), 5.0, True, "x"),
    Goal(f"{KSK} p99", _field(f"ours {KSK}", "p99_ms"), 150.0, False, "ms"),
    Goal(f"{UPSERT} / moto {UPSERT}", _ratio(UPSERT, UPSERT), 5.0, True, "x"),
    Goal(f"{UPSERT} p99", _field(f"ours {UPSERT}", "p99_ms"), 150.0, False, "ms"),
    Goal(f"{LHZ} pages/s", _field(f"ours {LHZ}", "rps"), 1000.0, True, "/s"),
    Goal(f"{LHZN} pages/s", _field(f"ours {LHZN}", "rps"), 1000.0, True, "/s"),
    Goal(f"{lrrs(100, LARGE_ZONE)} pages/s", _field(f"ours {lrrs(100, LARGE_ZONE)}", "rps"), 1000.0, True, "/s"),
    Goal(
        f"{LRRS} 100-item page, {LARGE_ZONE} vs {SMALL_ZONE} rrsets (rate ratio)",
        _same_cost(f"ours {lrrs(100, SMALL_ZONE)}", f"ours {lrrs(100, LARGE_ZONE)}"),
        0.8,
        True,
        "x",
    ),
)


def _cpu_ratio(ours: str, moto: str) -> Callable[[dict[str, Measurement]], float | None]:
    """moto's server CPU per request over ours: the speed-up with the machine's noise taken out."""

    def value(rows: dict[str, Measurement]) -> float | None:
        a, b = rows.get(f"ours {ours}"), rows.get(f"moto {moto}")
        return round(b.cpu_us / a.cpu_us, 2) if a and b and a.cpu_us and b.cpu_us else None

    return value


REPORTED = (  # ratios shown beside the goals, without a bound
    (f"CPU per request: moto {CHZ} / ours {KSK}", _cpu_ratio(KSK, CHZ)),
    (f"CPU per request: moto {UPSERT} / ours {UPSERT}", _cpu_ratio(UPSERT, UPSERT)),
    (f"{LHZ} / moto", _ratio(LHZ, LHZ)),
    (f"{LHZN} / moto", _ratio(LHZN, LHZN)),
    (f"{lrrs(100, LARGE_ZONE)} / moto", _ratio(lrrs(100, LARGE_ZONE), lrrs(100, LARGE_ZONE))),
    (f"{lrrs(300, LARGE_ZONE)} / moto", _ratio(lrrs(300, LARGE_ZONE), lrrs(300, LARGE_ZONE))),
)


def _median(values: Sequence[float]) -> float:
    return statistics.median(values)


def print_summary(runs: list[dict[str, Measurement]], meta: str) -> bool:
    """The goals first (min/median/max over the runs, runs that met each), then the other ratios; True if
    every goal held in every run."""
    print(f"\n== goals over {len(runs)} runs at c={CONCURRENCY} ({meta})")
    header = f"{'goal':72} {'bound':>8} {'min':>8} {'median':>8} {'max':>8}  runs met"
    print(header)
    print("-" * len(header))
    every = True
    for goal in GOALS:
        values = [v for run in runs if (v := goal.value(run)) is not None]
        bound = f"{'>=' if goal.at_least else '<'}{goal.bound:g}{goal.unit}"
        if not values:
            print(f"{goal.name:72} {bound:>8} {'-':>8} {'-':>8} {'-':>8}  not measured")
            every = False
            continue
        met = sum(goal.met(v) for v in values)
        every &= met == len(runs)
        verdict = "ok" if met == len(runs) else "MISSED"
        print(
            f"{goal.name:72} {bound:>8} {min(values):8.2f} {_median(values):8.2f} {max(values):8.2f}  "
            f"{met}/{len(runs)} {verdict}"
        )
    for name, value in REPORTED:
        values = [v for run in runs if (v := value(run)) is not None]
        if values:
            print(f"{name:72} {'':>8} {min(values):8.2f} {_median(values):8.2f} {max(values):8.2f}")
    print(f"\n{'measurement':62} {'req/s min':>9} {'median':>7} {'max':>7} {'p99 ms med':>10} {'CPU µs med':>10}")
    for key in dict.fromkeys(key for run in runs for key in run):
        rows = [run[key] for run in runs if key in run]
        rates = [row.rps for row in rows]
        cpu = [row.cpu_us for row in rows if row.cpu_us]
        print(
            f"{key:62} {min(rates):9.0f} {_median(rates):7.0f} {max(rates):7.0f} "
            f"{_median([row.p99_ms for row in rows]):10.1f} {(f'{_median(cpu):.0f}' if cpu else '-'):>10}"
        )
    return every


def pin_to(core: int | None) -> None:
    """Run this process (the load generator) on ``core`` only."""
    if core is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {core})


def pin_to_all() -> None:
    """Undo ``pin_to``."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, range(os.cpu_count() or 1))


_ZONE = re.compile(rb"<HostedZone>\s*<Id>/hostedzone/([^<]+)</Id>\s*<Name>([^<]+)</Name>")


async def zone_name(bench: Bench, zone_id: str) -> str:
    """The name of the zone ``zone_id`` (GetHostedZone)."""
    conn = Connection(HOST, bench.port)
    try:
        status, body = await conn.request(aws.route53(bench.host, "GET", f"{aws.ZONES}/{zone_id}"))
    finally:
        conn.close()
    found = _ZONE.search(body)
    if status != 200 or found is None:
        raise RuntimeError(f"GetHostedZone answered {status}: {body[:200]!r}")
    return found.group(2).decode()


async def create_named_zones(bench: Bench, count: int) -> list[tuple[str, str]]:
    """Create ``count`` zones; return ``(id, name)`` of each."""
    result = await bench.bulk("zones", bench.zone_requests(count), 201)
    found = [_ZONE.search(body) for status, body in result.bodies.values() if status == 201]
    return [(m.group(1).decode(), m.group(2).decode()) for m in found if m]


def fill_requests(host: str, zone: tuple[str, str], count: int) -> list[bytes]:
    """CREATE ``count`` A record sets ``r00000.<zone>`` ... in requests of ``CHANGES_PER_FILL`` changes."""
    zone_id, name = zone
    return [
        aws.change_record_sets(
            host,
            zone_id,
            [("CREATE", f"r{n:05d}.{name}", "192.0.2.1") for n in range(start, min(count, start + CHANGES_PER_FILL))],
        )
        for start in range(0, count, CHANGES_PER_FILL)
    ]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far, threads that ended included (Linux ``/proc``)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime: fields 14, 15 of proc(5)


@dataclass
class Side:
    """One server in the goal runs and what was prepared on it (untimed)."""

    bench: Bench
    pid: int
    upsert_zones: list[tuple[str, str]] = field(default_factory=list)
    lists: dict[str, list[bytes]] = field(default_factory=dict)
    upserts: int = 0

    @property
    def host(self) -> str:
        return self.bench.host

    async def prepare(self, with_lists: bool = True) -> None:
        """Zones for the UPSERTs; the two record-set zones and a store of ``LIST_STORE`` zones for the lists."""
        bench = self.bench
        self.upsert_zones = await create_named_zones(bench, UPSERT_ZONES)
        if not with_lists:
            return
        small, large = await create_named_zones(bench, 2)
        for zone, count in ((small, SMALL_ZONE), (large, LARGE_ZONE)):  # the SOA and NS count too (quota 10,000)
            await bench.bulk(f"{count} record sets", fill_requests(self.host, zone, count - 2), 200)
        ids, marker = await bench.fill_zones(LIST_STORE)
        name = await zone_name(bench, ids[len(ids) // 2])
        route53 = aws.route53
        self.lists = {
            LHZ: [route53(self.host, "GET", f"{aws.ZONES}?marker={quote(marker, safe='')}&maxitems=100")],
            LHZN: [route53(self.host, "GET", f"/2013-04-01/hostedzonesbyname?dnsname={quote(name)}&maxitems=100")],
        }
        for zone, store in ((small, SMALL_ZONE), (large, LARGE_ZONE)):
            for items in (100, 300):
                self.lists[lrrs(items, store)] = [
                    route53(self.host, "GET", f"{aws.ZONES}/{zone[0]}/rrset?maxitems={items}")
                ]

    def upsert_requests(self, count: int) -> list[bytes]:
        """``count`` UPSERTs of fresh names, spread over the UPSERT zones."""
        first, self.upserts = self.upserts, self.upserts + count
        return [
            aws.change_record_sets(
                self.host,
                zone_id,
                [("UPSERT", f"u{n}.{name}", f"198.51.100.{n % 250 + 1}")],
            )
            for n in range(first, first + count)
            for zone_id, name in [self.upsert_zones[n % len(self.upsert_zones)]]
        ]

    async def measure_lists(self, run: dict[str, Measurement]) -> None:
        limit = LIST_LIMIT_PER_SECOND * int(self.bench.options.duration + 1)
        for operation, requests in self.lists.items():
            run[f"{self.bench.name} {operation}"] = await timed(self, operation, requests, 200, limit)


async def timed(
    side: Side, operation: str, requests: Sequence[bytes], expect: int, limit: int | None = None
) -> Measurement:
    """One measurement at ``CONCURRENCY``, recorded with the server's CPU time per request."""
    before = cpu_seconds(side.pid)
    result = await side.bench.load(requests, CONCURRENCY, expect, limit)
    used = cpu_seconds(side.pid) - before
    side.bench.record(operation, result)
    row = side.bench.results[-1]
    row.cpu_us = round(used / row.requests * 1e6) if row.requests and used else None
    print(f"  {'':5} {'':24} server CPU {row.cpu_us} µs per request ({used / row.seconds:.0%} of a core)", flush=True)
    return row


async def measure_ksk(ours: Side, pool: int, run: dict[str, Measurement]) -> None:
    """CreateKeySigningKey on ``pool`` fresh zones with fresh KMS keys."""
    bench = ours.bench
    keys = await bench.create_keys(pool)
    zones = await bench.create_zones(pool)
    requests = [aws.create_ksk(bench.host, z, k, f"ksk-{bench.tag}-{z}") for z, k in zip(zones, keys, strict=False)]
    run[f"ours {KSK}"] = row = await timed(ours, KSK, requests, 201)
    if row.requests >= len(requests):
        row.note = f"pool of {len(requests)} used up"


async def measure_writes(side: Side, run: dict[str, Measurement], create_zone: bool) -> None:
    bench = side.bench
    budget = WRITE_LIMIT_PER_SECOND * int(bench.options.duration)
    if create_zone:
        run[f"{bench.name} {CHZ}"] = await timed(side, CHZ, bench.zone_requests(budget), 201)
    run[f"{bench.name} {UPSERT}"] = await timed(side, UPSERT, side.upsert_requests(budget), 200)


def ksk_pool(runs: list[dict[str, Measurement]], duration: float, cap: int) -> int:
    """Enough fresh zones and keys for twice the best CreateKeySigningKey rate so far (a first guess before)."""
    rates = [run[f"ours {KSK}"].rps for run in runs if f"ours {KSK}" in run]
    wanted = 2 * max(rates) * duration + 200 if rates else FIRST_KSK_POOL_PER_SECOND * duration
    return min(cap, int(wanted))


async def run_goals(ours: Side, moto: Side | None, runs: int, meta: str) -> tuple[list[dict[str, Measurement]], bool]:
    """Prepare both servers, then ``runs`` rounds of every goal measurement, ours and moto interleaved."""
    await ours.prepare()
    if moto is not None:
        await moto.prepare()
    results: list[dict[str, Measurement]] = []
    for number in range(1, runs + 1):
        print(f"-- run {number} of {runs} (load average {os.getloadavg()[0]:.2f})", flush=True)
        run: dict[str, Measurement] = {}
        await measure_ksk(ours, ksk_pool(results, ours.bench.options.duration, ours.bench.options.ksk_pool_cap), run)
        if moto is not None:
            await measure_writes(moto, run, create_zone=True)
        await measure_writes(ours, run, create_zone=False)
        await ours.measure_lists(run)
        if moto is not None:
            await moto.measure_lists(run)
        results.append(run)
    return results, print_summary(results, meta)
