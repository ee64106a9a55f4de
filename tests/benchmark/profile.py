"""Profile one write under the benchmark's load: ``python -m tests.benchmark.profile ksk|upsert``.

Starts our server (SQLite, one worker) pinned to core 0 and drives it from core 1 at c=64 for ``--seconds``,
with fresh zones and KMS keys for CreateKeySigningKey or fresh names in one zone for UPSERT, as the goals do.
Prints the rate, the p99, the server's CPU per request (from ``/proc``) and the writer's mean batch size;
with ``--py-spy FILE`` it records the server with ``py-spy record --gil`` (raw stacks) meanwhile.
"""

import argparse
import asyncio
import os
import sys
import tempfile
import urllib.request
from pathlib import Path

from tests.benchmark import aws
from tests.benchmark.loadgen import run_load
from tests.benchmark.servers import HOST, our_server

CONCURRENCY = 64
SETUP_CONCURRENCY = 16
SETUP_SECONDS = 120.0


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process (``/proc/PID/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def writer_batches(host: str) -> tuple[float, float]:
    """(writes, batches) the server's zone writer committed so far, from ``/metrics``."""
    text = urllib.request.urlopen(f"http://{host}/metrics", timeout=10).read().decode()
    values = dict(line.rsplit(" ", 1) for line in text.splitlines() if line.startswith("route53_writer_batch_size_"))
    return float(values.get("route53_writer_batch_size_sum", 0)), float(
        values.get("route53_writer_batch_size_count", 0)
    )


async def setup(host: str, port: int, operation: str, count: int) -> list[bytes]:
    """The measured requests: CreateKeySigningKey on ``count`` fresh zones and keys, or ``count`` UPSERTs."""
    zones_wanted = count if operation == "ksk" else 1
    made = await run_load(
        HOST,
        port,
        [aws.create_zone(host, f"z{i}.example.com", f"profile-{i}") for i in range(zones_wanted)],
        concurrency=SETUP_CONCURRENCY,
        duration=SETUP_SECONDS,
        limit=zones_wanted,
        expect=frozenset({201}),
        keep_bodies=True,
    )
    zones = [aws.zone_id(body) for status, body in made.bodies.values() if status == 201]
    if operation == "upsert":
        return [
            aws.change_record_sets(host, zones[0], [("UPSERT", f"r{i}.z0.example.com", "192.0.2.1")])
            for i in range(count)
        ]
    made = await run_load(
        HOST,
        port,
        [aws.create_kms_key(host)],
        concurrency=SETUP_CONCURRENCY,
        duration=SETUP_SECONDS,
        limit=count,
        expect=frozenset({200}),
        keep_bodies=True,
    )
    keys = [aws.key_arn(body) for status, body in made.bodies.values() if status == 200]
    return [aws.create_ksk(host, zone, key, f"k{i}") for i, (zone, key) in enumerate(zip(zones, keys, strict=False))]


async def profile(operation: str, seconds: float, count: int, spy_output: Path | None) -> None:
    os.sched_setaffinity(0, {1})
    work = Path(tempfile.mkdtemp(prefix="r53-profile-"))
    with our_server(work, f"sqlite+aiosqlite:///{work}/route53.db", 1, core=0) as server:
        host = f"{HOST}:{server.port}"
        requests = await setup(host, server.port, operation, count)
        spy = None
        if spy_output is not None:
            argv = ["py-spy", "record", "--gil", "-r", "200", "-f", "raw", "-o", str(spy_output)]
            spy = await asyncio.create_subprocess_exec(
                *argv, "-p", str(server.process.pid), "-d", str(int(seconds) + 2)
            )
            await asyncio.sleep(1)  # py-spy attaches
        writes, batches = writer_batches(host)
        cpu = cpu_seconds(server.process.pid)
        expect = frozenset({201}) if operation == "ksk" else frozenset({200})
        result = await run_load(
            HOST, server.port, requests, concurrency=CONCURRENCY, duration=seconds, limit=len(requests), expect=expect
        )
        cpu = cpu_seconds(server.process.pid) - cpu
        writes_after, batches_after = writer_batches(host)
        if spy is not None:
            await spy.wait()
    per_batch = (writes_after - writes) / max(batches_after - batches, 1)
    print(
        f"{operation}: {result.rate:.0f}/s n={result.count} statuses={dict(result.statuses)} "
        f"p99={result.percentile_ms(0.99):.1f} ms cpu={cpu / max(result.count, 1) * 1e6:.0f} µs/request "
        f"writes/batch={per_batch:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("operation", choices=("ksk", "upsert"))
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--count", type=int, default=10_000, help="fresh zones and keys (ksk) or names (upsert)")
    parser.add_argument("--py-spy", type=Path, default=None, help="record the server's stacks to this file")
    args = parser.parse_args()
    if len(os.sched_getaffinity(0)) < 2:
        sys.exit("needs two cores: the server runs on core 0, the load on core 1")
    asyncio.run(profile(args.operation, args.seconds, args.count, args.py_spy))


if __name__ == "__main__":
    main()
