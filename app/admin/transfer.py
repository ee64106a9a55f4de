"""``GET /_route53/export?account=`` and ``POST /_route53/import``: one account's whole state as JSON.

The document holds every row the account owns (``app.admin.ownership``), table by table, with the ids the
API shows (hosted zones, changes, health checks, KMS keys), so a fresh server given it answers every API
call as the exporting one did. Binary columns are base64; times ISO 8601. Private key material (KMS keys,
zone-signing keys) is exported *in the clear* (base64 PKCS#8) and sealed again with the importing server's
master key: an export is a secret, like the key file.

Import refuses (409) an account that already has state, unless ``replace=true``: then the account is reset
and imported in the same transaction. It refuses (409) ids another account holds, and (400) a document of
another format or schema revision. Zones get a revision above every revision a deleted zone had
(``store_reset.revision_floor``), so no process's cache of an older zone of that id is ever used for it.
"""

import base64
import binascii
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import LargeBinary, Table, func, insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError, StatementError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.admin.ownership import ACCOUNT_TABLES, GENERATED_IDS, owned_by
from app.admin.reset import lock_every_table, reset_in, revision_floor
from app.db.base import UtcDateTime
from app.db.session import write_transaction
from app.secrets import SealedValueError, Sealer, kms_key_context, zsk_context

FORMAT = "route53-dnssec/account-state"
FORMAT_VERSION = 1
TABLES = {table.name: table for table in ACCOUNT_TABLES}


class TransferError(Exception):
    """A document that cannot be imported; ``status`` 400 (malformed) or 409 (conflicts with the store)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _sealed_context(table: str, row: dict[str, Any]) -> bytes | None:
    """The associated data a sealed ``private_key`` of this row is bound to; None for unsealed tables."""
    if table == "kms_key":
        return kms_key_context(row["key_id"])
    if table == "zone_signing_key":
        return zsk_context(row["hosted_zone_id"], row["public_key"])
    return None


def _encoder(table: Table, name: str) -> Callable[[Any], Any]:
    kind = table.c[name].type
    if isinstance(kind, LargeBinary):
        return lambda value: None if value is None else base64.b64encode(value).decode()
    if isinstance(kind, UtcDateTime):
        return lambda value: None if value is None else value.isoformat()
    return lambda value: value


def _decoder(table: Table, name: str) -> Callable[[Any], Any]:
    kind = table.c[name].type
    if isinstance(kind, LargeBinary):
        return lambda value: None if value is None else base64.b64decode(value, validate=True)
    if isinstance(kind, UtcDateTime):
        return lambda value: None if value is None else datetime.fromisoformat(value)
    return lambda value: value


async def export_account(
    sessionmaker: async_sessionmaker[AsyncSession], sealer: Sealer, account: str, schema: str | None
) -> dict[str, Any]:
    """The account's state as one document, read in one transaction (a consistent snapshot)."""
    tables: dict[str, list[dict[str, Any]]] = {}
    async with sessionmaker() as session, session.begin():
        await _consistent_read(session)
        for table in ACCOUNT_TABLES:
            order = [*table.primary_key.columns]
            rows = (await session.execute(select(table).where(owned_by(table, account)).order_by(*order))).mappings()
            encoded = []
            for row in rows:
                values = dict(row)
                context = _sealed_context(table.name, values)
                if context is not None:
                    values["private_key"] = sealer.open(values["private_key"], context)
                encoded.append({name: _encoder(table, name)(value) for name, value in values.items()})
            tables[table.name] = encoded
    return {"format": FORMAT, "version": FORMAT_VERSION, "schema": schema, "account": account, "tables": tables}


async def _consistent_read(session: AsyncSession) -> None:
    """PostgreSQL: one snapshot for every statement of the export (SQLite's read transaction already is)."""
    connection = await session.connection()
    if connection.dialect.name == "postgresql":
        await connection.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")


def _rows_of(document: Any, schema: str | None) -> tuple[str, dict[str, list[dict[str, Any]]]]:
    """The account and each table's rows of a document; ``TransferError`` 400 when it is not one of ours."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise TransferError(400, f"not a {FORMAT} document")
    if document.get("version") != FORMAT_VERSION or document.get("schema") != schema:
        raise TransferError(
            400,
            f"the document is version {document.get('version')} of schema {document.get('schema')}; this server "
            f"reads version {FORMAT_VERSION} of schema {schema}",
        )
    account, tables = document.get("account"), document.get("tables")
    if not (isinstance(account, str) and len(account) == 12 and account.isdigit()):
        raise TransferError(400, "account must be a 12-digit account id")
    if not isinstance(tables, dict) or set(tables) - set(TABLES):
        raise TransferError(400, f"tables must be an object with some of: {', '.join(TABLES)}")
    for name, rows in tables.items():
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise TransferError(400, f"tables.{name} must be a list of rows")
    return account, tables


def _decoded_rows(table: Table, rows: list[dict[str, Any]], sealer: Sealer, floor: int) -> list[dict[str, Any]]:
    columns = set(table.c.keys())
    decoded = []
    for number, row in enumerate(rows):
        if set(row) != columns:
            raise TransferError(400, f"tables.{table.name}[{number}] must have exactly the columns {sorted(columns)}")
        try:
            values = {name: _decoder(table, name)(value) for name, value in row.items()}
            context = _sealed_context(table.name, values)
            if context is not None:
                values["private_key"] = sealer.seal(values["private_key"], context)
            if table.name == "hosted_zone":
                values["revision"] = floor + 1 + int(values["revision"])
        except (binascii.Error, TypeError, ValueError) as error:
            raise TransferError(400, f"tables.{table.name}[{number}]: {error}") from error
        values.pop(GENERATED_IDS.get(table.name, ""), None)
        decoded.append(values)
    return decoded


async def import_account(
    sessionmaker: async_sessionmaker[AsyncSession],
    sealer: Sealer,
    lock_timeout_ms: int,
    document: Any,
    schema: str | None,
    replace: bool,
) -> dict[str, Any]:
    """Write a document's state in one transaction; the account and the rows written per table."""
    account, tables = _rows_of(document, schema)
    try:
        async with write_transaction(sessionmaker, lock_timeout_ms) as session:
            await lock_every_table(session)
            if replace:
                await reset_in(session, account)
            elif await _has_state(session, account):
                raise TransferError(
                    409, f"account {account} already has state; reset it first, or import with replace=true"
                )
            floor = await revision_floor(session)
            decoded = {
                table.name: _decoded_rows(table, tables.get(table.name, []), sealer, floor) for table in ACCOUNT_TABLES
            }
            _check_owners(decoded, account)
            written = {}
            for table in ACCOUNT_TABLES:
                if decoded[table.name]:
                    await session.execute(insert(table), decoded[table.name])
                written[table.name] = len(decoded[table.name])
    except IntegrityError as error:
        raise TransferError(409, f"the document's rows clash with the store's: {error.orig}") from error
    except (DBAPIError, StatementError) as error:  # a value of the wrong type for its column
        raise TransferError(400, f"the document's rows do not fit the store: {error}") from error
    except SealedValueError as error:
        raise TransferError(400, str(error)) from error
    return {"account": account, "imported": written}


def _check_owners(decoded: dict[str, list[dict[str, Any]]], account: str) -> None:
    """Every row is the account's: its own ``account_id``, or a parent (zone, health check, key) it brings."""
    parents = {
        "hosted_zone_id": {row["id"] for row in decoded["hosted_zone"]},
        "health_check_id": {row["id"] for row in decoded["health_check"]},
        "target_key_id": {row["key_id"] for row in decoded["kms_key"]},
    }
    for name, rows in decoded.items():
        for row in rows:
            foreign = row.get("account_id", account) != account or any(
                row[column] not in ids
                for column, ids in parents.items()
                if column in row and name != "health_check_caller_reference"
            )
            if foreign:
                raise TransferError(400, f"tables.{name} holds a row that is not account {account}'s")


async def _has_state(session: AsyncSession, account: str) -> bool:
    for table in ACCOUNT_TABLES:
        if await session.scalar(select(func.count()).select_from(table).where(owned_by(table, account))):
            return True
    return False
