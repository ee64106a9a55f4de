"""Server subprocesses (ours, moto, the echo server) and the throwaway PostgreSQL database."""

import asyncio
import base64
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
READY_SECONDS = 60.0
STOP_SECONDS = 10.0


@dataclass(frozen=True)
class Server:
    """A running server subprocess."""

    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _log_tail(log: Path, lines: int = 40) -> str:
    text = log.read_text(errors="replace") if log.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


def _wait_ready(server: Server, path: str, headers: dict[str, str]) -> None:
    """Poll ``GET path`` until it answers 200; fail if the process exits or time runs out."""
    deadline = time.monotonic() + READY_SECONDS
    url = f"http://{HOST}:{server.port}{path}"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.process.returncode}")
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=2) as reply:
                if reply.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{server.name} not ready after {READY_SECONDS:.0f}s")


def _stop(server: Server) -> None:
    """SIGTERM the server's process group, then SIGKILL it if it lingers."""
    if server.process.poll() is None:
        os.killpg(server.process.pid, signal.SIGTERM)
        try:
            server.process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait(STOP_SECONDS)


@contextmanager
def run_server(
    name: str,
    argv: list[str],
    workdir: Path,
    *,
    ready_path: str,
    ready_headers: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[Server]:
    """Start ``argv`` (with ``{port}`` filled in) in its own session, wait until ready, stop it on exit."""
    port = free_port()
    log = workdir / f"{name}.log"
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("R53_")}  # server defaults only
    full_env = {**inherited, "PYTHONPATH": str(ROOT), **(env or {})}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [arg.format(port=port) for arg in argv],
            cwd=workdir,
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    server = Server(name, port, process, log)
    try:
        _wait_ready(server, ready_path, ready_headers or {})
        yield server
    except BaseException:
        print(f"--- last lines of the {name} log:\n{_log_tail(log)}", file=sys.stderr)
        raise
    finally:
        _stop(server)


def our_server(
    workdir: Path, database_url: str, workers: int, env: dict[str, str] | None = None, core: int | None = None
) -> AbstractContextManager[Server]:
    """``python -m app serve`` on a free port (no DNS listener unless ``env`` sets ``R53_DNS_PORT``), pinned
    to ``core`` when given."""
    pinned = ["taskset", "-c", str(core)] if core is not None else []
    argv = [
        *pinned,
        sys.executable,
        "-m",
        "app",
        "serve",
        "--host",
        HOST,
        "--port",
        "{port}",
        "--workers",
        str(workers),
    ]
    # the benchmark's store holds tens of thousands of zones: past Route 53's quota of 500 per account
    settings = {"R53_DATABASE_URL": database_url, "R53_DNS_PORT": "0", "R53_MAX_HOSTED_ZONES": "1000000", **(env or {})}
    if database_url.startswith("postgresql"):  # PostgreSQL stores need a configured master key (app.secrets)
        settings.setdefault("R53_MASTER_KEY", base64.b64encode(os.urandom(32)).decode())
    return run_server("ours", argv, workdir, ready_path="/readyz", env=settings)


def moto_server(
    workdir: Path, route53_headers: dict[str, str], core: int | None = None
) -> AbstractContextManager[Server]:
    """``moto_server`` on a free port (ready once ListHostedZones answers), pinned to ``core`` when given."""
    pinned = ["taskset", "-c", str(core)] if core is not None else []
    argv = [*pinned, str(Path(sys.executable).with_name("moto_server")), "-H", HOST, "-p", "{port}"]
    return run_server("moto", argv, workdir, ready_path="/2013-04-01/hostedzone", ready_headers=route53_headers)


def echo_server(workdir: Path) -> AbstractContextManager[Server]:
    """The trivial calibration server."""
    argv = [sys.executable, "-m", "tests.benchmark.echo_server", "{port}"]
    return run_server("echo", argv, workdir, ready_path="/")


@contextmanager
def postgres_database(admin_url: str) -> Iterator[str]:
    """Create a fresh database next to ``admin_url``'s, yield its SQLAlchemy URL, drop it on exit."""
    import asyncpg  # type: ignore[import-untyped]  # only needed for --database postgres

    base, _, _ = admin_url.rpartition("/")
    dsn = admin_url.replace("postgresql+asyncpg://", "postgresql://", 1)
    name = f"r53_bench_{secrets.token_hex(4)}"

    async def execute(sql: str) -> None:
        conn = await asyncpg.connect(dsn)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(execute(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{base}/{name}"
    finally:
        asyncio.run(execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
