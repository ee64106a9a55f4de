"""Shared fixtures: a migrated database per test (SQLite file, or PostgreSQL when ``TEST_DATABASE_URL`` is
set), the app in process (httpx over ASGI), and the real server on a loopback port for boto3.

The schema is migrated once per run into a template (a SQLite file, or a PostgreSQL template database);
each test gets a fresh copy, so tests never share state.
"""

import asyncio
import base64
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config as BotoConfig
from fastapi import FastAPI

from app.config import Settings
from app.main import create_app
from app.migrations import migrate

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
RUN_ID = uuid.uuid4().hex[:8]
# No app or server of the tests listens for DNS unless a test gives it a port: 8054 is shared by everyone.
os.environ["R53_DNS_PORT"] = "0"
if POSTGRES_URL:  # PostgreSQL stores need a configured master key (app.secrets); SQLite ones make their own
    os.environ.setdefault("R53_MASTER_KEY", base64.b64encode(b"route53-dnssec test master key!!").decode())


def _admin_execute(statement: str) -> None:
    """Run one statement on PostgreSQL's ``test`` database outside a transaction (CREATE/DROP DATABASE)."""
    import asyncpg  # only needed for PostgreSQL runs

    async def run() -> None:
        assert POSTGRES_URL is not None
        connection = await asyncpg.connect(POSTGRES_URL.replace("postgresql+asyncpg", "postgresql"))
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(run())


def _postgres_url(database: str) -> str:
    assert POSTGRES_URL is not None
    return POSTGRES_URL.rsplit("/", 1)[0] + "/" + database


@pytest.fixture(scope="session")
def template_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database migrated to head once per run; tests copy it."""
    if POSTGRES_URL:
        name = f"r53_template_{RUN_ID}"
        _admin_execute(f"CREATE DATABASE {name}")
        asyncio.run(migrate(Settings(database_url=_postgres_url(name))))
        yield name
        _admin_execute(f"DROP DATABASE IF EXISTS {name}")
    else:
        path = tmp_path_factory.mktemp("template") / "template.db"
        asyncio.run(migrate(Settings(database_url=f"sqlite+aiosqlite:///{path}")))
        yield str(path)


def fresh_database_url(template: str | None, folder: Path) -> Iterator[str]:
    """A database of its own, copied from ``template`` (None: empty, not migrated)."""
    if POSTGRES_URL:
        name = f"r53_{RUN_ID}_{uuid.uuid4().hex[:10]}"
        _admin_execute(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
        yield _postgres_url(name)
        _admin_execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    else:
        path = folder / "route53.db"
        if template:
            shutil.copy(template, path)
        yield f"sqlite+aiosqlite:///{path}"


@pytest.fixture
def database_url(template_database: str, tmp_path: Path) -> Iterator[str]:
    yield from fresh_database_url(template_database, tmp_path)


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    yield from fresh_database_url(None, tmp_path)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, lock_timeout_ms=10_000)


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://route53.amazonaws.com") as http:
        yield http


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def free_dns_port() -> int:
    """A port free on 127.0.0.1 for both UDP and TCP."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp, socket.socket() as tcp:
            udp.bind(("127.0.0.1", 0))
            port: int = udp.getsockname()[1]
            try:
                tcp.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


class LiveServer:
    """``python -m app serve`` on a loopback port, as users run it."""

    def __init__(
        self,
        database_url: str,
        folder: Path,
        workers: int = 1,
        preexec_fn: Callable[[], None] | None = None,
        **settings: str,
    ) -> None:
        self.database_url = database_url
        self.folder = folder
        self.workers = workers
        self.preexec_fn = preexec_fn  # run in the server process before it starts (e.g. to set rlimits)
        self.settings = settings
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> "LiveServer":
        env = {**os.environ, "R53_DATABASE_URL": self.database_url}
        env.update({f"R53_{key.upper()}": value for key, value in self.settings.items()})
        log = open(self.log_path, "ab")  # noqa: SIM115 (kept open for the child)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--port", str(self.port), "--workers", str(self.workers)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=self.preexec_fn,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("server did not become ready")

    @property
    def log_path(self) -> Path:
        """The server's stdout and stderr, across restarts."""
        return self.folder / f"server-{self.port}.log"

    def stop(self, kill: bool = False) -> None:
        if self.process is not None and self.process.poll() is None:
            if kill:
                self.process.kill()
            else:
                self.process.terminate()
            self.process.wait(timeout=30)
        self.process = None

    def client(self, service: str, region: str = "us-east-1", access_key: str = "test") -> Any:
        """A boto3 client; a 12-digit ``access_key`` acts for that account, any other for R53_ACCOUNT_ID."""
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=region,
            aws_access_key_id=access_key,
            aws_secret_access_key="test",
            config=BotoConfig(retries={"max_attempts": 1}),
        )


@pytest.fixture(scope="module")
def live_server(template_database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One real server per test module, on a fresh database."""
    folder = tmp_path_factory.mktemp("live")
    urls = fresh_database_url(template_database, folder)
    server = LiveServer(next(urls), folder).start()
    try:
        yield server
    finally:
        server.stop()
        next(urls, None)


@pytest.fixture
def route53(live_server: LiveServer) -> Any:
    return live_server.client("route53")


@pytest.fixture
def kms(live_server: LiveServer) -> Any:
    return live_server.client("kms")
