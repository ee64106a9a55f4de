"""Readiness (``GET /readyz``): does the database answer, at the newest schema? An answer comes within
``timeout`` seconds even while the database stalls.

The check runs in a task of its own that is never cancelled mid-query (that would leave a pooled connection in an
unknown state); the database timeouts of ``app.db.session`` end it. Probes arriving while a check runs share it,
so a stalled database never piles up checks.
"""

import asyncio
import logging

from sqlalchemy.ext.asyncio import AsyncEngine

from app.migrations import schema_is_current

log = logging.getLogger(__name__)


class ReadinessProbe:
    def __init__(self, engine: AsyncEngine, timeout: float) -> None:
        self._engine = engine
        self._timeout = timeout
        self._check: asyncio.Task[bool] | None = None

    async def ready(self) -> bool:
        if self._check is None or self._check.done():
            self._check = asyncio.create_task(self._run(), name="readiness-check")
        try:
            return await asyncio.wait_for(asyncio.shield(self._check), self._timeout)
        except TimeoutError:
            return False

    async def close(self) -> None:
        if self._check is not None:
            self._check.cancel()
            await asyncio.gather(self._check, return_exceptions=True)

    async def _run(self) -> bool:
        try:
            return await schema_is_current(self._engine)
        except Exception as error:
            log.info("Not ready: %s", error.__class__.__name__)
            return False
