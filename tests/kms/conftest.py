"""A KMS-only app on a real uvicorn server (loopback, free port), driven by boto3 as users drive it."""

import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import boto3
import pytest
import uvicorn
from botocore.config import Config
from fastapi import FastAPI
from moto.server import ThreadedMotoServer
from mypy_boto3_kms import KMSClient

from app.accounts.identity import AccountMiddleware
from app.api.kms import router
from app.api.xml_route import RequestIdMiddleware
from app.config import Settings
from app.db.base import Base
from app.db.session import create_engine, create_sessionmaker
from app.kms.service import LocalKms
from app.secrets import sealer

ACCOUNT_ID = "123456789012"


def kms_settings_for(directory: Path) -> Settings:
    return Settings(
        database_url=f"sqlite+aiosqlite:///{directory / 'kms.db'}",
        account_id=ACCOUNT_ID,
        region="us-east-1",
        kms_endpoint_url=None,
    )


def build_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings)
        async with engine.begin() as connection:
            await connection.run_sync(Base.metadata.create_all)
        app.state.settings = settings
        app.state.local_kms = LocalKms(create_sessionmaker(engine), settings, sealer(settings))
        yield
        await engine.dispose()

    app = FastAPI(lifespan=lifespan)
    app.add_middleware(AccountMiddleware)
    app.add_middleware(RequestIdMiddleware)
    app.include_router(router)
    return app


@pytest.fixture(scope="session")
def kms_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return kms_settings_for(tmp_path_factory.mktemp("kms"))


@pytest.fixture(scope="session")
def kms_endpoint(kms_settings: Settings) -> Iterator[str]:
    """Base URL of a uvicorn server running the KMS router in a background thread."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(build_app(kms_settings), log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    listener.close()


@pytest.fixture(scope="session")
def kms_client(kms_endpoint: str) -> Callable[[str], KMSClient]:
    """A boto3 KMS client for a region, pointed at the test server; no retries, so errors show at once."""
    clients: dict[str, KMSClient] = {}

    def client(region: str = "us-east-1") -> KMSClient:
        if region not in clients:
            clients[region] = boto3.client(
                "kms",
                endpoint_url=kms_endpoint,
                region_name=region,
                aws_access_key_id="test",
                aws_secret_access_key="test",
                config=Config(retries={"total_max_attempts": 1}),
            )
        return clients[region]

    return client


@pytest.fixture
def kms(kms_client: Callable[[str], KMSClient]) -> KMSClient:
    return kms_client("us-east-1")


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()
