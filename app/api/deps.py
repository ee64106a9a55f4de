"""Services and settings from ``app.state``, set by the lifespan in app.main. Routes call these directly:
FastAPI's dependency injection costs more per request than the lookups themselves."""

import re

from fastapi import Request

from app.api.telemetry import request_account
from app.config import Settings
from app.services.changes import Changes
from app.services.dnssec import Dnssec
from app.services.health_checks import HealthChecks
from app.services.hosted_zones import HostedZones
from app.services.key_signing_keys import KeySigningKeys
from app.services.record_sets import RecordSets
from app.services.zone_snapshots import ZoneSnapshots


def account(request: Request) -> str:
    """The account the request acts for (``app.accounts.identity``); every route asks this, and only this."""
    return request_account(request.scope)


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


# RFC 9110 section 7.2: Host is uri-host [":" port]; names (letters, digits, "-" and "_", as container names
# use), IPv4 addresses, or bracketed IPv6 literals.
_HOST = re.compile(
    r"(?:[A-Za-z0-9_-]{1,63}(?:\.[A-Za-z0-9_-]{1,63}){0,126}\.?|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?"
)


def base_url(request: Request) -> str:
    """The endpoint the client called, for ``Location`` headers: its scheme and ``Host``. A ``Host`` that is not
    a host name or address with an optional port is never echoed; the address the server listens on stands in."""
    host = request.headers.get("host", "")
    if len(host) > 255 or not _HOST.fullmatch(host):
        address, port = request.scope.get("server") or ("localhost", None)
        address = f"[{address}]" if ":" in address else address
        host = address if port is None else f"{address}:{port}"
    scheme: str = request.scope.get("scheme", "http")  # what ``request.url.scheme`` reads, without building the URL
    return f"{scheme}://{host}"
