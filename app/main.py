"""Application factory: ``create_app(settings)`` wires the engine, KMS backend, the zone writer and the
services into ``app.state`` in the lifespan, and mounts the Route 53 and KMS routers on one port."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import PlainTextResponse, Response
from starlette.exceptions import HTTPException

from app.accounts.identity import AccountMiddleware
from app.admin import routes as admin_routes
from app.admin.routes import AdminRefusal
from app.api import dnssec as dnssec_routes
from app.api import health_checks as health_check_routes
from app.api import hosted_zones as hosted_zone_routes
from app.api import kms as kms_routes
from app.api import metrics as metrics_routes
from app.api import record_sets as record_set_routes
from app.api.dispatch import DirectDispatchMiddleware
from app.api.telemetry import RequestTelemetryMiddleware
from app.api.unimplemented import unrouted_response
from app.api.xml_route import RequestIdMiddleware
from app.auth.credentials import load_credentials
from app.auth.middleware import SignatureMiddleware
from app.authoritative.listener import start_listener
from app.authoritative.signing import DnssecSigning
from app.config import Settings
from app.db.fence import ArrivalMiddleware
from app.db.readiness import ReadinessProbe
from app.db.reads import Reader
from app.db.session import create_engine, create_sessionmaker
from app.kms.backend import build_kms_backend
from app.kms.service import LocalKms
from app.metrics import worker_exited
from app.secrets import sealer
from app.server.run import WRITER_DRAIN_SHARE
from app.services.changes import Changes
from app.services.dnssec import Dnssec
from app.services.health_checks import HealthChecks
from app.services.hosted_zones import HostedZones
from app.services.key_signing_keys import KeySigningKeys
from app.services.record_sets import RecordSets
from app.services.writer import ZoneWriter
from app.services.zone_signing import ZoneSigningService
from app.services.zone_snapshots import ZoneSnapshots

READINESS_TIMEOUT_SECONDS = 2.0


API_ROUTERS = (
    admin_routes.router,
    hosted_zone_routes.router,
    record_set_routes.router,
    dnssec_routes.router,
    health_check_routes.router,
    kms_routes.router,
    metrics_routes.router,
)


def probe_router() -> APIRouter:
    """``/healthz`` and ``/readyz`` for orchestrators."""
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    async def healthz() -> Response:
        """Liveness: the process serves requests."""
        return PlainTextResponse("ok")

    @router.get("/readyz")
    async def readyz(request: Request) -> Response:
        """Readiness: the database answers and its schema is at the newest migration (503 within 2 s otherwise)."""
        ready = await request.app.state.readiness.ready()
        return PlainTextResponse("ready" if ready else "not ready", status_code=200 if ready else 503)

    return router


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings)
        sessionmaker = create_sessionmaker(engine)
        reader = Reader(sessionmaker, settings.sqlite_path())
        kms = build_kms_backend(settings, reader)
        key_sealer = sealer(settings)
        writer = ZoneWriter(sessionmaker, settings, kms)
        writer.start()
        app.state.settings = settings
        app.state.writer = writer
        app.state.engine = engine
        app.state.sessionmaker = sessionmaker
        app.state.sealer = key_sealer
        app.state.readiness = ReadinessProbe(engine, READINESS_TIMEOUT_SECONDS)
        app.state.local_kms = LocalKms(sessionmaker, settings, key_sealer)
        app.state.hosted_zones = HostedZones(sessionmaker, writer, settings.max_hosted_zones, reader)
        app.state.zone_snapshots = ZoneSnapshots(sessionmaker)
        app.state.record_sets = RecordSets(
            sessionmaker, writer, app.state.hosted_zones, settings.max_record_sets_per_zone, reader
        )
        app.state.changes = Changes(sessionmaker, settings.change_propagation_seconds)
        zone_signing = ZoneSigningService(sessionmaker, writer, kms, settings.signing_timings, key_sealer)
        zone_signing.start()
        app.state.zone_signing = zone_signing
        app.state.key_signing_keys = KeySigningKeys(sessionmaker, writer, kms, zone_signing)
        app.state.dnssec = Dnssec(sessionmaker, writer, kms, zone_signing)
        app.state.health_checks = HealthChecks(sessionmaker, settings.lock_timeout_ms, settings.max_health_checks)
        dns_listener = await start_listener(
            settings, sessionmaker, app.state.zone_snapshots, DnssecSigning(zone_signing)
        )
        try:
            yield
        finally:
            if dns_listener is not None:
                await dns_listener.stop()
            await zone_signing.stop()
            await app.state.readiness.close()
            await writer.stop(drain_timeout=settings.shutdown_timeout_seconds * WRITER_DRAIN_SHARE)
            reader.close()
            await engine.dispose()
            worker_exited()

    app = FastAPI(
        title="route53-dnssec",
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,  # a trailing slash is a missing id (NoSuch…), never a redirect
        # The service has its own access log and Prometheus metrics; FastAPI's OpenTelemetry hooks would look
        # up the global providers (and the environment) on every request: about 5 % of a GetHostedZone.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    routers = (*API_ROUTERS, probe_router())
    # innermost: Route 53 operations called without the router's scan (app.api.dispatch), once the account is set
    app.add_middleware(DirectDispatchMiddleware, routes=[route for router in routers for route in router.routes])
    app.add_middleware(AccountMiddleware)  # an outer SigV4 check may set the verified account
    if settings.auth == "sigv4":
        credentials = load_credentials(settings.credentials_file)
        app.add_middleware(SignatureMiddleware, credentials=credentials, max_body_bytes=settings.max_body_bytes)
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(RequestTelemetryMiddleware)
    app.add_middleware(ArrivalMiddleware)  # outermost: the reset fence's arrival time (app.db.fence)
    for router in routers:
        app.include_router(router)

    @app.exception_handler(AdminRefusal)
    async def admin_refusal(request: Request, refusal: AdminRefusal) -> Response:
        return refusal.response

    @app.exception_handler(HTTPException)
    async def unknown_route(request: Request, error: HTTPException) -> Response:
        """A path or method no operation serves: an XML error rather than Starlette's plain text
        (NotImplemented for an operation of the Route 53 API that has no route here)."""
        return unrouted_response(request, error.status_code)

    return app


def create_app_from_environment() -> FastAPI:
    """Factory for uvicorn (``--factory``): settings from ``R53_*`` variables."""
    return create_app(Settings())
