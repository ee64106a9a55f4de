"""Health checks: create, read, list, update, delete, count, status and tags (Route 53 API Reference,
CreateHealthCheck, UpdateHealthCheck, HealthCheckConfig, GetHealthCheckStatus).

The configuration rules the API Reference documents (which members each Type takes, Port, an IP address or a
domain name, the immutable members) and AWS's defaults are pure functions here; the schema (lengths, ranges,
enums) is checked before, by app.protocol.health_checks. Every write is one short write transaction; the
rule "one CallerReference, one health check, even after delete" is the primary key of
``health_check_caller_reference``. Nothing is probed: ``observations`` reports every endpoint healthy.
"""

import ipaddress
import json
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.accounts.locks import HEALTH_CHECK_CREATION_LOCK, lock_accounts
from app.db.models import HealthCheck, HealthCheckCallerReference, HealthCheckTag
from app.db.session import LockTimeout, write_transaction
from app.errors import (
    HealthCheckAlreadyExists,
    HealthCheckVersionMismatch,
    InvalidInput,
    NoSuchHealthCheck,
    PriorRequestNotComplete,
    Route53Error,
    ServiceUnavailable,
    TooManyHealthChecks,
)

ENDPOINT_TYPES = ("HTTP", "HTTPS", "HTTP_STR_MATCH", "HTTPS_STR_MATCH", "TCP")
STRING_MATCH_TYPES = ("HTTP_STR_MATCH", "HTTPS_STR_MATCH")
HTTPS_TYPES = ("HTTPS", "HTTPS_STR_MATCH")
DEFAULT_PORTS = {"HTTP": 80, "HTTP_STR_MATCH": 80, "HTTPS": 443, "HTTPS_STR_MATCH": 443}
# The HealthCheckRegion enum: where checkers run when a check names no Regions (API Reference, HealthCheckConfig).
CHECKER_REGIONS = (
    "us-east-1",
    "us-west-1",
    "us-west-2",
    "eu-west-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-northeast-1",
    "sa-east-1",
)
# One stable address per checker region, inside Route 53's published ROUTE53_HEALTHCHECKS ranges.
CHECKER_ADDRESSES = {
    "us-east-1": "54.243.31.193",
    "us-west-1": "54.183.255.129",
    "us-west-2": "54.244.52.193",
    "eu-west-1": "54.228.16.1",
    "ap-southeast-1": "54.251.31.129",
    "ap-southeast-2": "54.252.79.129",
    "ap-northeast-1": "54.248.220.1",
    "sa-east-1": "54.232.40.65",
}
SUCCESS = {
    "HTTP": "Success: HTTP Status Code 200, OK",
    "HTTPS": "Success: HTTP Status Code 200, OK",
    "HTTP_STR_MATCH": "Success: HTTP Status Code 200, OK",
    "HTTPS_STR_MATCH": "Success: HTTP Status Code 200, OK",
    "TCP": "Success: TCP connection established",
    "CLOUDWATCH_METRIC": "Success: CloudWatch alarm state OK",
    "RECOVERY_CONTROL": "Success: Routing control state ON",
}
TCP_WITH_ADDRESS_AND_NAME = (
    "TCP health checks that have IP address must not have a fully qualified domain name specified."
)
ALREADY_EXISTS = "A different health check has already been created with the specified caller reference."
VERSION_MISMATCH = (
    "The value of HealthCheckVersion in the request doesn't match the value of HealthCheckVersion in the health check."
)
BUSY = "The request could not be completed in time. Retry the request."
PRIOR_REQUEST = "The request was rejected because Route 53 was still processing a prior request."


@dataclass(frozen=True)
class AlarmIdentifier:
    region: str
    name: str


@dataclass(frozen=True, kw_only=True)
class HealthCheckConfig:
    """HealthCheckConfig, members in model order; None is "not set"."""

    ip_address: str | None = None
    port: int | None = None
    type: str
    resource_path: str | None = None
    fully_qualified_domain_name: str | None = None
    search_string: str | None = None
    request_interval: int | None = None
    failure_threshold: int | None = None
    measure_latency: bool | None = None
    inverted: bool | None = None
    disabled: bool | None = None
    health_threshold: int | None = None
    child_health_checks: tuple[str, ...] | None = None
    enable_sni: bool | None = None
    regions: tuple[str, ...] | None = None
    alarm_identifier: AlarmIdentifier | None = None
    insufficient_data_health_status: str | None = None
    routing_control_arn: str | None = None
    endpoint_type: str | None = None
    health_check_source_id: str | None = None


def _wire_name(name: str) -> str:
    special = {"ip_address": "IPAddress", "enable_sni": "EnableSNI"}
    return special.get(name) or "".join(part.capitalize() for part in name.split("_"))


# Field name -> model member name, in model order.
WIRE_NAMES = {f.name: _wire_name(f.name) for f in fields(HealthCheckConfig)}
FIELD_NAMES = {wire: name for name, wire in WIRE_NAMES.items()}
_EMPTY_MEANS_NONE = ("resource_path", "fully_qualified_domain_name", "search_string")


@dataclass(frozen=True)
class HealthCheckUpdate:
    """UpdateHealthCheck: the members sent (field name -> value), the ResetElements (field names), the version."""

    version: int | None
    changes: Mapping[str, Any] = field(default_factory=dict)
    reset: frozenset[str] = frozenset()


@dataclass(frozen=True)
class HealthCheckView:
    id: str
    caller_reference: str
    config: HealthCheckConfig
    version: int


@dataclass(frozen=True)
class HealthCheckPage:
    checks: list[HealthCheckView]
    next_id: str | None


@dataclass(frozen=True)
class Observation:
    """One checker's report (HealthCheckObservation)."""

    region: str
    ip_address: str
    status: str
    checked_at: datetime


def members_of(config: HealthCheckConfig) -> dict[str, Any]:
    """The set members of ``config`` by model name, in model order, as JSON values."""
    members: dict[str, Any] = {}
    for name, wire in WIRE_NAMES.items():
        value = getattr(config, name)
        if isinstance(value, AlarmIdentifier):
            value = {"Region": value.region, "Name": value.name}
        elif isinstance(value, tuple):
            value = list(value)
        if value is not None:
            members[wire] = value
    return members


def fields_of(members: Mapping[str, Any]) -> dict[str, Any]:
    """Model members (as ``members_of`` gives them, or as the protocol layer parsed them) as field values."""
    values: dict[str, Any] = {}
    for wire, value in members.items():
        if wire == "AlarmIdentifier":
            value = AlarmIdentifier(value["Region"], value["Name"])
        elif isinstance(value, list | tuple):
            value = tuple(value)
        values[FIELD_NAMES[wire]] = value
    return values


def config_json(config: HealthCheckConfig) -> str:
    return json.dumps(members_of(config), separators=(",", ":"))


def config_from_json(document: str) -> HealthCheckConfig:
    return HealthCheckConfig(**fields_of(json.loads(document)))


def invalid(message: str) -> InvalidInput:
    """Route 53's wording for a configuration it refuses (``Invalid parameter : …``)."""
    return InvalidInput(f"Invalid parameter : {message}")


@dataclass(frozen=True)
class _Family:
    """Health-check types other than endpoint checks: the members they take and the one they need."""

    label: str
    members: tuple[str, ...]
    required: str
    required_message: str
    defaults: Mapping[str, Any] = field(default_factory=dict)


_FAMILIES = {
    "CALCULATED": _Family(
        "Calculated",
        ("health_threshold", "child_health_checks"),
        "health_threshold",
        "Calculated health checks must have a health threshold specified.",
    ),
    "CLOUDWATCH_METRIC": _Family(
        "CloudWatch metric",
        ("alarm_identifier", "insufficient_data_health_status"),
        "alarm_identifier",
        "CloudWatch metric health checks must have AlarmIdentifier specified.",
        {"insufficient_data_health_status": "LastKnownStatus"},
    ),
    "RECOVERY_CONTROL": _Family(
        "Recovery control",
        ("routing_control_arn",),
        "routing_control_arn",
        "Recovery control health checks must have RoutingControlArn specified.",
    ),
}


def complete(config: HealthCheckConfig) -> HealthCheckConfig:
    """Check the documented rules between members and fill in AWS's defaults (API Reference,
    HealthCheckConfig); InvalidInput for the first rule broken. An empty ResourcePath, FullyQualifiedDomainName
    or SearchString means none."""
    empty: dict[str, Any] = {name: None for name in _EMPTY_MEANS_NONE if getattr(config, name) == ""}
    config = replace(config, **empty)
    common: dict[str, Any] = {"inverted": bool(config.inverted), "disabled": bool(config.disabled)}
    if config.type in ENDPOINT_TYPES:
        return replace(_checked_endpoint(config), **common)
    family = _FAMILIES[config.type]
    for name in WIRE_NAMES:
        if name not in ("type", "inverted", "disabled", *family.members) and getattr(config, name) is not None:
            raise invalid(f"{family.label} health checks must not have {WIRE_NAMES[name]} specified.")
    if getattr(config, family.required) is None:
        raise invalid(family.required_message)
    defaults: dict[str, Any] = {name: value for name, value in family.defaults.items() if getattr(config, name) is None}
    return replace(config, **common, **defaults)


def _checked_endpoint(config: HealthCheckConfig) -> HealthCheckConfig:
    """An HTTP, HTTPS, string-matching or TCP check, with its defaults (Port by type, RequestInterval 30,
    FailureThreshold 3, no latency measurement, SNI for HTTPS, a public endpoint)."""
    if config.alarm_identifier is not None:
        raise invalid("Basic health checks must not have an metric region specified.")
    for family in _FAMILIES.values():
        for name in family.members:
            if getattr(config, name) is not None:
                raise invalid(f"Basic health checks must not have {WIRE_NAMES[name]} specified.")
    kind, tcp = config.type, config.type == "TCP"
    if tcp and config.resource_path is not None:
        raise InvalidInput("TCP health checks must not have a resource path specificed.")
    if (config.search_string is None) == (kind in STRING_MATCH_TYPES):
        verb = "must" if kind in STRING_MATCH_TYPES else "must not"
        raise invalid(f"{kind} health checks {verb} have SearchString specified.")
    if config.ip_address is None and config.fully_qualified_domain_name is None:
        raise invalid("Basic health checks must have IPAddress or FullyQualifiedDomainName specified.")
    if tcp and config.ip_address is not None and config.fully_qualified_domain_name is not None:
        raise InvalidInput(TCP_WITH_ADDRESS_AND_NAME)
    if tcp and config.port is None:
        raise invalid("TCP health checks must have Port specified.")
    if config.request_interval not in (None, 10, 30):
        raise invalid("RequestInterval must be 10 or 30.")
    endpoint_type = config.endpoint_type or "PUBLIC"
    if endpoint_type == "PRIVATE":
        if config.health_check_source_id is None:
            raise invalid("Private health checks must have HealthCheckSourceId specified.")
        raise invalid(f"No health check source with ID {config.health_check_source_id} exists.")
    if config.health_check_source_id is not None:
        raise invalid("Public health checks must not have HealthCheckSourceId specified.")
    return replace(
        config,
        ip_address=None if config.ip_address is None else checkable_address(config.ip_address),
        port=DEFAULT_PORTS.get(kind) if config.port is None else config.port,
        request_interval=config.request_interval or 30,
        failure_threshold=config.failure_threshold or 3,
        measure_latency=bool(config.measure_latency),
        enable_sni=kind in HTTPS_TYPES if config.enable_sni is None else config.enable_sni,
        endpoint_type=endpoint_type,
    )


def checkable_address(text: str) -> str:
    """The address as Route 53 answers it: IPv6 uncompressed without leading zeros, the Java form
    (``2001:4860:4860:0:0:0:0:8842``), and an IPv4-mapped address as IPv4. InvalidInput for addresses in
    local, private, non-routable or multicast ranges (RFC 5735, RFC 6598, RFC 5156), which Route 53 can't check."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise invalid(f"IPAddress {text} is not a valid IP address.") from None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if not address.is_global or address.is_multicast:
        raise invalid(f"IPAddress {text} is in a local, private, non-routable or multicast range.")
    if isinstance(address, ipaddress.IPv4Address):
        return str(address)
    return ":".join(f"{int(group, 16):x}" for group in address.exploded.split(":"))


def updated(current: HealthCheckConfig, change: HealthCheckUpdate) -> HealthCheckConfig:
    """``current`` with the members sent replaced and the ResetElements cleared, checked again as a whole
    (API Reference, UpdateHealthCheck: IPAddress can be changed but not added or removed)."""
    for name in change.reset:
        if name in change.changes:
            raise invalid(f"{WIRE_NAMES[name]} can't be both specified and reset.")
    if "ip_address" in change.changes and current.ip_address is None:
        raise invalid("IPAddress can't be added to a health check that was created without one.")
    cleared: dict[str, Any] = dict.fromkeys(change.reset)
    return complete(replace(current, **change.changes, **cleared))


def observations(config: HealthCheckConfig, now: datetime) -> list[Observation]:
    """What GetHealthCheckStatus reports when nothing is probed: every checker of the check's Regions (all
    eight by default) sees a healthy endpoint. Inverted and Disabled do not change what checkers observe.
    A calculated check has no checkers (API Reference, GetHealthCheckStatus)."""
    if config.type == "CALCULATED":
        raise invalid("GetHealthCheckStatus can't report the status of a calculated health check.")
    status = SUCCESS[config.type]
    return [Observation(region, CHECKER_ADDRESSES[region], status, now) for region in config.regions or CHECKER_REGIONS]


def no_such_health_check(check_id: str) -> NoSuchHealthCheck:
    return NoSuchHealthCheck(f"A health check with id {check_id} does not exist.")


_COLUMNS = (HealthCheck.id, HealthCheck.caller_reference, HealthCheck.config, HealthCheck.version)


def _view(row: Any) -> HealthCheckView:
    return HealthCheckView(row.id, row.caller_reference, config_from_json(row.config), row.version)


async def _read(session: AsyncSession, account: str, check_id: str, *, lock: bool = False) -> HealthCheckView:
    """The account's check (another account's is NoSuchHealthCheck)."""
    query = select(*_COLUMNS).where(HealthCheck.id == check_id, HealthCheck.account_id == account)
    row = (await session.execute(query.with_for_update() if lock else query)).first()
    if row is None:
        raise no_such_health_check(check_id)
    return _view(row)


async def _check_children(session: AsyncSession, account: str, children: tuple[str, ...] | None) -> None:
    """Every ChildHealthCheck of a calculated check must exist in the account when it is named."""
    if not children:
        return
    query = select(HealthCheck.id).where(HealthCheck.id.in_(children), HealthCheck.account_id == account)
    found = set(await session.scalars(query))
    missing = next((child for child in children if child not in found), None)
    if missing is not None:
        raise invalid(f"The child health check {missing} does not exist.")


class HealthChecks:
    """Reads run in their own short transaction; each write is one write transaction of its own. Every
    operation acts for one account: its checks, tags, caller references and limit are its own."""

    def __init__(
        self, sessionmaker: async_sessionmaker[AsyncSession], lock_timeout_ms: int, max_checks: int = 200
    ) -> None:
        self._sessionmaker = sessionmaker
        self._lock_timeout_ms = lock_timeout_ms
        self._max_checks = max_checks

    @asynccontextmanager
    async def _write(self, busy: Callable[[], Route53Error]) -> AsyncIterator[AsyncSession]:
        try:
            async with write_transaction(self._sessionmaker, self._lock_timeout_ms) as session:
                yield session
        except LockTimeout:
            raise busy() from None

    async def create(self, account: str, caller_reference: str, config: HealthCheckConfig) -> HealthCheckView:
        """A new check, or the existing one when this CallerReference created it with the same configuration;
        TooManyHealthChecks once the account has ``max_checks`` (counted under the account's lock)."""
        config = complete(config)
        try:
            return await self._create(account, caller_reference, config)
        except IntegrityError:
            # Another create with this reference committed first (the primary key of
            # health_check_caller_reference). The account lock serializes creates, so this is the backstop
            # should a create ever run without it; run again, now seeing it, to answer as for a retry.
            return await self._create(account, caller_reference, config)

    async def _create(self, account: str, caller_reference: str, config: HealthCheckConfig) -> HealthCheckView:
        document = config_json(config)
        reference = HealthCheckCallerReference
        async with self._write(lambda: ServiceUnavailable(BUSY)) as session:
            await lock_accounts(session, HEALTH_CHECK_CREATION_LOCK, [account])
            taken = (
                await session.execute(
                    select(reference.health_check_id, reference.config).where(
                        reference.account_id == account, reference.caller_reference == caller_reference
                    )
                )
            ).first()
            if taken is not None:
                if taken.config != document:
                    raise HealthCheckAlreadyExists(ALREADY_EXISTS)
                try:
                    return await _read(session, account, taken.health_check_id)
                except NoSuchHealthCheck:
                    raise HealthCheckAlreadyExists(ALREADY_EXISTS) from None
            count = await session.scalar(
                select(func.count()).select_from(HealthCheck).where(HealthCheck.account_id == account)
            )
            if int(count or 0) >= self._max_checks:
                raise TooManyHealthChecks(
                    f"This operation would exceed the limit of {self._max_checks} health checks for the account."
                )
            await _check_children(session, account, config.child_health_checks)
            check_id = str(uuid.uuid4())
            await session.execute(
                insert(HealthCheckCallerReference).values(
                    account_id=account, caller_reference=caller_reference, health_check_id=check_id, config=document
                )
            )
            await session.execute(
                insert(HealthCheck).values(
                    id=check_id,
                    account_id=account,
                    caller_reference=caller_reference,
                    config=document,
                    version=1,
                    created_at=datetime.now(UTC),
                )
            )
        return HealthCheckView(check_id, caller_reference, config, 1)

    async def get(self, account: str, check_id: str) -> HealthCheckView:
        async with self._sessionmaker() as session:
            return await _read(session, account, check_id)

    async def count(self, account: str) -> int:
        query = select(func.count()).select_from(HealthCheck).where(HealthCheck.account_id == account)
        async with self._sessionmaker() as session:
            return int(await session.scalar(query) or 0)

    async def update(self, account: str, check_id: str, change: HealthCheckUpdate) -> HealthCheckView:
        """NoSuchHealthCheck, then HealthCheckVersionMismatch, then the configuration rules; every accepted
        update increments HealthCheckVersion."""
        async with self._write(lambda: ServiceUnavailable(BUSY)) as session:
            current = await _read(session, account, check_id, lock=True)
            if change.version is not None and change.version != current.version:
                raise HealthCheckVersionMismatch(VERSION_MISMATCH)
            config = updated(current.config, change)
            if "child_health_checks" in change.changes:
                await _check_children(session, account, config.child_health_checks)
            version = current.version + 1
            await session.execute(
                update(HealthCheck)
                .where(HealthCheck.id == check_id)
                .values(config=config_json(config), version=version)
            )
        return replace(current, config=config, version=version)

    async def delete(self, account: str, check_id: str) -> None:
        """Not blocked by record sets that name the check (API Reference, DeleteHealthCheck); tags go with it,
        its CallerReference stays taken."""
        async with self._write(lambda: ServiceUnavailable(BUSY)) as session:
            statement = (
                delete(HealthCheck)
                .where(HealthCheck.id == check_id, HealthCheck.account_id == account)
                .returning(HealthCheck.id)
            )
            if await session.scalar(statement) is None:
                raise no_such_health_check(check_id)

    async def status(self, account: str, check_id: str) -> list[Observation]:
        return observations((await self.get(account, check_id)).config, datetime.now(UTC))

    async def last_failure_reason(self, account: str, check_id: str) -> list[Observation]:
        """No checker ever failed: no observations."""
        await self.get(account, check_id)
        return []

    async def change_tags(self, account: str, check_id: str, add: dict[str, str], remove: tuple[str, ...]) -> None:
        """Remove, then add or overwrite, tags of the check (ChangeTagsForResource)."""
        async with self._write(lambda: PriorRequestNotComplete(PRIOR_REQUEST)) as session:
            await _read(session, account, check_id, lock=True)
            keys = {*remove, *add}
            if keys:
                await session.execute(
                    delete(HealthCheckTag).where(
                        HealthCheckTag.health_check_id == check_id, HealthCheckTag.key.in_(keys)
                    )
                )
            if add:
                await session.execute(
                    insert(HealthCheckTag),
                    [{"health_check_id": check_id, "key": key, "value": value} for key, value in add.items()],
                )

    async def tags(self, account: str, check_ids: list[str]) -> dict[str, dict[str, str]]:
        """The tags of each check, by id in key order; NoSuchHealthCheck for the first id that is missing
        from the account."""
        async with self._sessionmaker() as session:
            query = select(HealthCheck.id).where(HealthCheck.id.in_(check_ids), HealthCheck.account_id == account)
            found = set(await session.scalars(query))
            missing = next((check_id for check_id in check_ids if check_id not in found), None)
            if missing is not None:
                raise no_such_health_check(missing)
            rows = await session.execute(
                select(HealthCheckTag.health_check_id, HealthCheckTag.key, HealthCheckTag.value)
                .where(HealthCheckTag.health_check_id.in_(check_ids))
                .order_by(HealthCheckTag.key)
            )
        tags: dict[str, dict[str, str]] = {check_id: {} for check_id in check_ids}
        for row in rows:
            tags[row.health_check_id][row.key] = row.value
        return tags

    async def list(self, account: str, marker: str | None, max_items: int) -> HealthCheckPage:
        """The account's checks in id order from ``marker`` on (keyset pagination on the primary key)."""
        query = select(*_COLUMNS).where(HealthCheck.account_id == account).order_by(HealthCheck.id).limit(max_items + 1)
        if marker is not None:
            query = query.where(HealthCheck.id >= marker)
        async with self._sessionmaker() as session:
            checks = [_view(row) for row in await session.execute(query)]
        extra = checks[max_items].id if len(checks) > max_items else None
        return HealthCheckPage(checks[:max_items], extra)
