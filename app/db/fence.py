"""The reset fence: no write of a request that arrived before an admin reset lands after it.

Each API request's arrival (wall-clock microseconds, taken by the outermost middleware,
``ArrivalMiddleware``) and its account (read from its state when a write needs it) are kept in a context
variable. Every write transaction of a request reads the ``store_reset`` rows of ``*`` and of the request's
account in the transaction (one primary-key read) and raises ``StoreWasReset`` when a reset happened at or
after the request's arrival: the reset commits its deletions and its row in one transaction, so a write
ordered after it always sees the row. The zone writer, whose batches run in its own task, carries each
request's arrival with the request (``current_arrival``).

Replicas compare their clocks with the resetting process's: on one host that is exact; across hosts it is as
good as their clock synchronisation (a request arriving within the skew after a reset may be refused once,
with a retryable 503). Requests with no arrival (background work: zone signing maintenance) are not fenced:
they write through the zone writer, which finds a reset zone gone.
"""

import time
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Receive, Scope, Send

from app.db.models import StoreReset

ALL_ACCOUNTS = "*"
RESET_TABLE = cast(Table, StoreReset.__table__)
RESET_MESSAGE = "The service was reset while this request was in flight. Retry the request."


class StoreWasReset(Exception):
    """A write of a request that arrived before a reset of its account (or of everything)."""


@dataclass(frozen=True, slots=True)
class Arrival:
    at_us: int
    scope: Scope

    @property
    def account(self) -> str:
        """As ``app.api.telemetry.request_account`` reads it (not imported: this module is imported by the
        command line before the metrics folder is prepared, and that one imports prometheus_client)."""
        state: dict[str, Any] = self.scope.get("state", {})
        account: str = state.get("account") or self.scope["app"].state.settings.account_id
        return account


_ARRIVAL: ContextVar[Arrival | None] = ContextVar("request_arrival", default=None)


def current_arrival() -> Arrival | None:
    return _ARRIVAL.get()


def now_us() -> int:
    return time.time_ns() // 1000


async def fenced(session: AsyncSession, arrivals: Iterable[Arrival | None]) -> list[bool]:
    """For each arrival, whether a reset of its scope happened at or after it (read in ``session``)."""
    arrivals = list(arrivals)
    accounts = {arrival.account for arrival in arrivals if arrival is not None}
    if not accounts:
        return [False] * len(arrivals)
    column = RESET_TABLE.c
    rows = await session.execute(
        select(column.scope, column.reset_at_us).where(column.scope.in_([ALL_ACCOUNTS, *sorted(accounts)]))
    )
    resets = {scope: at for scope, at in rows}
    everything = resets.get(ALL_ACCOUNTS, -1)
    return [
        arrival is not None and max(everything, resets.get(arrival.account, -1)) >= arrival.at_us
        for arrival in arrivals
    ]


async def refuse_if_reset(session: AsyncSession) -> None:
    """``StoreWasReset`` when the current request arrived before a reset of its scope."""
    arrival = _ARRIVAL.get()
    if arrival is not None and (await fenced(session, [arrival]))[0]:
        raise StoreWasReset(RESET_MESSAGE)


class ArrivalMiddleware:
    """Records each API request's arrival for the fence (outermost, before any body is read)."""

    def __init__(self, app: ASGIApp, exempt: tuple[str, ...] = ("/_route53",)) -> None:
        self.app = app
        self.exempt = exempt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(self.exempt):
            await self.app(scope, receive, send)
            return
        token = _ARRIVAL.set(Arrival(now_us(), scope))
        try:
            await self.app(scope, receive, send)
        finally:
            _ARRIVAL.reset(token)
