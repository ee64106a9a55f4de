"""Alembic environment (async template). The database URL comes from the service settings (``R53_*``),
or from the connection the service passes in ``config.attributes["connection"]``."""

import asyncio
from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection

from app.config import Settings
from app.db.base import Base, UtcDateTime
from app.db.models import Change, HostedZone  # noqa: F401  (registers the tables)
from app.db.session import create_engine
from app.kms.models import KmsKey  # noqa: F401

config = context.config
if config.config_file_name is not None and config.attributes.get("connection") is None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
target_metadata = Base.metadata


def render_item(kind: str, item: object, _autogen_context: object) -> str | bool:
    """Render the service's UTC timestamp type as a plain ``sa.DateTime`` so migrations import no app code."""
    if kind == "type" and isinstance(item, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_with(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_online() -> None:
    engine = create_engine(config.attributes.get("settings") or Settings(), foreign_keys=False)
    async with engine.connect() as connection:
        await connection.run_sync(run_with)
        await connection.commit()
    await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) migrations are not supported")
shared = config.attributes.get("connection")
if shared is not None:
    run_with(shared)
else:
    asyncio.run(run_online())
