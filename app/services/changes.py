"""Change records and GetChange (Route 53 API Reference, GetChange and ChangeInfo)."""

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db.models import Change
from app.errors import NoSuchChange
from app.services.views import ChangeView


def change_status(change: ChangeView, propagation: timedelta, now: datetime | None = None) -> str:
    """``INSYNC`` once the propagation delay has passed since submission, else ``PENDING``.

    Derived at read time, so every worker and replica agrees without a background job.
    """
    moment = now or datetime.now(UTC)
    return "INSYNC" if moment >= change.submitted_at + propagation else "PENDING"


class Changes:
    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], propagation_seconds: float) -> None:
        self._sessionmaker = sessionmaker
        self.propagation = timedelta(seconds=propagation_seconds)

    async def get(self, account: str, change_id: str) -> tuple[ChangeView, str]:
        """The account's change and its status; a delay of 0 means INSYNC from the first GetChange on.
        Another account's change is NoSuchChange."""
        async with self._sessionmaker() as session:
            change = await session.get(Change, change_id)
        if change is None or change.account_id != account:
            raise NoSuchChange(f"Could not find resource with ID: {change_id}")
        view = ChangeView.of(change)
        return view, change_status(view, self.propagation)
