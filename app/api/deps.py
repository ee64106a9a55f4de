"""Services and settings from ``app.state``, set by the lifespan in app.main. Routes call these directly:
FastAPI's dependency injection costs more per request than the lookups themselves."""

from fastapi import Request

from app.config import Settings
from app.services.changes import Changes
from app.services.dnssec import Dnssec
from app.services.health_checks import HealthChecks
from app.services.hosted_zones import HostedZones
from app.services.key_signing_keys import KeySigningKeys
from app.services.record_sets import RecordSets
from app.services.zone_snapshots import ZoneSnapshots


def settings(request: Request) -> Settings:
    value: Settings = request.app.state.settings
    return value


def hosted_zones(request: Request) -> HostedZones:
    value: HostedZones = request.app.state.hosted_zones
    return value


def changes(request: Request) -> Changes:
    value: Changes = request.app.state.changes
    return value


def key_signing_keys(request: Request) -> KeySigningKeys:
    value: KeySigningKeys = request.app.state.key_signing_keys
    return value


def dnssec(request: Request) -> Dnssec:
    value: Dnssec = request.app.state.dnssec
    return value


def record_sets(request: Request) -> RecordSets:
    value: RecordSets = request.app.state.record_sets
    return value


def health_checks(request: Request) -> HealthChecks:
    value: HealthChecks = request.app.state.health_checks
    return value


def zone_snapshots(request: Request) -> ZoneSnapshots:
    value: ZoneSnapshots = request.app.state.zone_snapshots
    return value


def base_url(request: Request) -> str:
    """The endpoint the client called, for ``Location`` headers."""
    return str(request.base_url).rstrip("/")
