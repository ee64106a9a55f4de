"""Benchmark our Route 53 DNSSEC server (and moto) with a raw asyncio HTTP/1.1 load generator.

By default: the speed goals (``tests.benchmark.goals``), ``--runs`` times, ours and moto side by side, each
server pinned to one core and the load generator to another; ``--full`` adds the table at c=1, 16, 64.
"""

import argparse
import asyncio
import dataclasses
import os
import platform
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Coroutine, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from pathlib import Path
from typing import Any

from tests.benchmark import aws, goals, report
from tests.benchmark.scenarios import KSK_RATE_CAP, Bench, Measurement, Options, bench_moto, bench_ours
from tests.benchmark.servers import Server, echo_server, moto_server, our_server, postgres_database

POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
MAX_DURATION = 60.0
MAX_CONCURRENCY = 256
MAX_ZONES = 100_000


def concurrency_list(text: str) -> tuple[int, ...]:
    """Parse ``1,16,64``."""
    values = tuple(int(part) for part in text.split(","))
    if not values or not all(1 <= v <= MAX_CONCURRENCY for v in values):
        raise argparse.ArgumentTypeError(f"each concurrency must be 1..{MAX_CONCURRENCY}")
    return values


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.benchmark", description=__doc__)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--postgres-url", default=POSTGRES_URL, help="a fresh database is created next to it")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers of our server")
    parser.add_argument("--concurrency", type=concurrency_list, help="clients per measurement (1,16,64)")
    parser.add_argument("--duration", type=float, help=f"seconds per measurement (5; at most {MAX_DURATION:.0f})")
    parser.add_argument("--zones-for-list", type=int, help="store size for the second read round (10000)")
    parser.add_argument("--skip-moto", action="store_true", help="do not compare with moto_server")
    parser.add_argument("--quick", action="store_true", help="small counts for a smoke run")
    parser.add_argument("--calibrate", action="store_true", help="measure the load generator on a trivial server")
    parser.add_argument("--runs", type=int, help="rounds of the goal measurements (5; 2 with --quick)")
    parser.add_argument("--full", action="store_true", help="also measure every operation at c=1, 16, 64")
    parser.add_argument(
        "--cores",
        default="auto",
        help="SERVER,LOADGEN cores to pin to ('auto': 0,1 on a machine with two or more cores; 'none')",
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--sigv4", action="store_true", help="our server with R53_AUTH=sigv4, every request signed")
    parser.add_argument("--dns", action="store_true", help="benchmark DNS against PowerDNS instead (--dns --help)")
    return parser.parse_args(argv)


def cores(text: str) -> tuple[int | None, int | None]:
    """The server's and the load generator's core."""
    if text == "none" or (text == "auto" and (os.cpu_count() or 1) < 2):
        return None, None
    if text == "auto":
        return 0, 1
    server, _, loadgen = text.partition(",")
    return int(server), int(loadgen)


def run_goals(args: argparse.Namespace, options: Options, workdir: Path, meta: dict[str, Any]) -> bool:
    """Both servers at once, pinned; the goal runs; True when every goal held in every run."""
    server_core, loadgen_core = cores(args.cores)
    runs = args.runs or (2 if args.quick else 5)
    with ExitStack() as stack:
        url = stack.enter_context(database_url(args, workdir, "goals"))
        ours = stack.enter_context(our_server(workdir, url, args.workers, core=server_core))
        moto = None if args.skip_moto else stack.enter_context(moto_server(workdir, aws.ROUTE53_HEADERS, server_core))
        goals.pin_to(loadgen_core)
        print(f"== goals: ours on port {ours.port}" + (f", moto on port {moto.port}" if moto else ""), flush=True)
        ours_side = goals.Side(Bench("ours", ours.port, options), ours.process.pid)
        moto_side = goals.Side(Bench("moto", moto.port, options), moto.process.pid) if moto else None
        where = (
            f"server core {server_core}, load generator core {loadgen_core}" if server_core is not None else "unpinned"
        )
        summary = (
            f"{args.database}, {args.workers} worker(s), {options.duration:g}s each, {where}, "
            f"load average at start {meta['load_average_at_start'][0]}"
        )
        try:
            results, held = asyncio.run(goals.run_goals(ours_side, moto_side, runs, summary))
        finally:
            goals.pin_to_all()
        meta["goal_runs"] = [{key: dataclasses.asdict(row) for key, row in run.items()} for run in results]
        meta["goals_held"] = held
        return held


def resolve(args: argparse.Namespace) -> Options:
    """Defaults (smaller with ``--quick``) and bounds."""
    duration = min(MAX_DURATION, max(0.5, args.duration or (1.0 if args.quick else 5.0)))
    zones = args.zones_for_list if args.zones_for_list is not None else (300 if args.quick else 10_000)
    return Options(
        concurrency=args.concurrency or ((1, 16) if args.quick else (1, 16, 64)),
        duration=duration,
        zones_for_list=min(MAX_ZONES, max(0, zones)),
        ksk_pool_cap=200 if args.quick else int(KSK_RATE_CAP * duration),
        moto_fill_seconds=30.0 if args.quick else 180.0,
    )


@contextmanager
def database_url(args: argparse.Namespace, workdir: Path, name: str = "bench") -> Iterator[str]:
    """The SQLAlchemy URL our server gets: a file in ``workdir``, or a throwaway PostgreSQL database."""
    if args.database == "sqlite":
        yield f"sqlite+aiosqlite:///{workdir}/{name}.db"
    else:
        with postgres_database(args.postgres_url) as url:
            yield url


def server_env(args: argparse.Namespace, workdir: Path) -> dict[str, str]:
    """Room for every zone the benchmark makes in its one account (the quota is 500 per account); with
    ``--sigv4``, every request signed and the server verifying them against one credential."""
    env = {"R53_MAX_HOSTED_ZONES": str(10 * MAX_ZONES)}
    if not args.sigv4:
        return env
    aws.signing = True
    credentials = workdir / "credentials"
    credentials.write_text(aws.CREDENTIALS_LINE)
    return {**env, "R53_AUTH": "sigv4", "R53_CREDENTIALS_FILE": str(credentials)}


async def calibrate(bench: Bench) -> None:
    """The generator's own ceiling: a bodiless GET against the echo server."""
    request = [aws.http_request(bench.host, "GET", "/")]
    for concurrency in bench.options.concurrency:
        result = await bench.load(request, concurrency, 200, limit=1_000_000)
        bench.record("trivial GET", result)


def phase(
    server: AbstractContextManager[Server],
    plan: Callable[[Bench], Coroutine[Any, Any, None]],
    options: Options,
    rows: list[Measurement],
    problems: list[str],
) -> None:
    """Start a server, run one plan against it, keep whatever it measured."""
    with server as running:
        print(f"== {running.name} on port {running.port}", flush=True)
        bench = Bench(running.name, running.port, options)
        try:
            asyncio.run(plan(bench))
        finally:
            rows += bench.results
            problems += bench.problems


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _interrupt)  # stop the servers on SIGTERM too
    argv = sys.argv[1:] if argv is None else argv
    if "--dns" in argv:
        from tests.benchmark.dns import main as dns_main

        return dns_main([arg for arg in argv if arg != "--dns"])
    args = parse_args(argv)
    options = resolve(args)
    meta: dict[str, Any] = {
        "cores": os.cpu_count(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "platform": platform.platform(),
        "database": args.database,
        "workers": args.workers,
        "concurrency": list(options.concurrency),
        "duration_s": options.duration,
        "zones_for_list": options.zones_for_list,
        "server": f"python -m app serve --workers {args.workers}; only R53_DATABASE_URL and R53_MAX_HOSTED_ZONES set, other R53_* at defaults"
        + ("; R53_AUTH=sigv4" if args.sigv4 else ""),
        "load_generator": "one asyncio process, one keep-alive HTTP/1.1 connection per client, closed loop",
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    print("  ".join(f"{k}={v}" for k, v in meta.items() if k != "load_generator"), flush=True)
    rows: list[Measurement] = []
    problems: list[str] = []
    with tempfile.TemporaryDirectory(prefix="r53-bench-") as tmp:
        workdir = Path(tmp)
        try:
            if args.calibrate:
                phase(echo_server(workdir), calibrate, options, rows, problems)
            elif not run_goals(args, options, workdir, meta):
                problems.append("a goal was missed in at least one run (see the summary)")
            if args.full and not args.calibrate:
                with database_url(args, workdir) as url:
                    meta["database_url"] = url
                    phase(
                        our_server(workdir, url, args.workers, server_env(args, workdir)),
                        bench_ours,
                        options,
                        rows,
                        problems,
                    )
                if not args.skip_moto:  # fill moto's store to the size ours was read at
                    zones = max([options.zones_for_list, *(r.zones or 0 for r in rows)])
                    moto_options = dataclasses.replace(options, zones_for_list=zones)
                    phase(moto_server(workdir, aws.ROUTE53_HEADERS), bench_moto, moto_options, rows, problems)
        except KeyboardInterrupt:
            problems.append("interrupted")
        except Exception as error:  # report what was measured before the failure
            traceback.print_exc()
            problems.append(f"aborted: {type(error).__name__}: {error}")
    if rows:
        print()
        print(
            f"cores: {meta['cores']}, python {meta['python']}, database {args.database}, workers {args.workers}, "
            f"{options.duration:g}s per measurement"
        )
        if ratios := report.ratios(rows):
            print()
            print(report.ratio_lines(ratios))
        print()
        print(report.table(rows))
    if args.json:
        report.write_json(args.json, meta, rows, problems)
    if problems:
        print("\n!!! FAILED:", *problems, sep="\n!!! ", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
