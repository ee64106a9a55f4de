"""The admin API under ``/_route53/`` (JSON; no AWS client sends these paths, and they are never SigV4-checked).

``GET /_route53/health``, ``POST /_route53/reset[?account=<id>]``, ``GET /_route53/export?account=<id>``,
``POST /_route53/import[?replace=true]``. With ``R53_ADMIN_TOKEN`` set every one needs
``Authorization: Bearer <token>`` (compared in constant time; 401 otherwise); unset, the admin API is open.
"""

import hmac
import json
import logging
import time
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from app.admin.reset import reset_store
from app.admin.transfer import TransferError, export_account, import_account
from app.config import Settings
from app.logs import service_version
from app.migrations import head_revision

log = logging.getLogger(__name__)
STARTED = time.monotonic()


def admin_error(status: int, error: str, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": error, "message": message}, status_code=status, headers=headers)


class AdminRefusal(Exception):
    def __init__(self, response: JSONResponse) -> None:
        self.response = response


def require_token(request: Request) -> None:
    """With ``R53_ADMIN_TOKEN`` set, ``Authorization: Bearer <token>`` (constant-time comparison)."""
    token: str | None = request.app.state.settings.admin_token
    if not token:
        return
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise AdminRefusal(
            admin_error(
                401,
                "Unauthorized",
                "The admin API needs Authorization: Bearer <R53_ADMIN_TOKEN>.",
                **{"WWW-Authenticate": 'Bearer realm="route53-dnssec admin"'},
            )
        )


router = APIRouter(prefix="/_route53", dependencies=[Depends(require_token)], include_in_schema=False)


def checked_account(account: str | None, required: bool) -> str | None:
    if account is None:
        if required:
            raise AdminRefusal(admin_error(400, "InvalidRequest", "account=<12-digit account id> is required."))
        return None
    if not (len(account) == 12 and account.isdigit()):
        raise AdminRefusal(
            admin_error(400, "InvalidRequest", f"account must be a 12-digit account id, not '{account}'.")
        )
    return account


async def schema_revision(request: Request) -> str | None:
    async with request.app.state.engine.connect() as connection:
        revision = await connection.scalar(text("SELECT version_num FROM alembic_version"))
    return None if revision is None else str(revision)


@router.get("/health")
async def health(request: Request) -> JSONResponse:
    """Version, store kind, uptime and schema revision (current, and the newest this version knows)."""
    settings: Settings = request.app.state.settings
    return JSONResponse(
        {
            "status": "ok",
            "version": service_version(),
            "store": "sqlite" if settings.is_sqlite else "postgresql",
            "uptime_seconds": round(time.monotonic() - STARTED, 3),
            "schema_revision": await schema_revision(request),
            "schema_head": head_revision(),
            "auth": settings.auth,
        }
    )


@router.post("/reset")
async def reset(request: Request, account: str | None = None) -> JSONResponse:
    """Everything, or one account, in one transaction; the rows deleted per table."""
    settings: Settings = request.app.state.settings
    scope = checked_account(account, required=False)
    deleted = await reset_store(request.app.state.sessionmaker, settings.lock_timeout_ms, scope)
    log.warning("admin reset of %s: %d rows deleted", scope or "every account", sum(deleted.values()))
    return JSONResponse({"reset": scope or "all", "deleted": deleted})


@router.get("/export")
async def export(request: Request, account: str | None = None) -> JSONResponse:
    scope = checked_account(account, required=True)
    assert scope is not None
    state = request.app.state
    document = await export_account(state.sessionmaker, state.sealer, scope, await schema_revision(request))
    return JSONResponse(document)


@router.post("/import")
async def import_state(request: Request, replace: bool = False) -> JSONResponse:
    """One account's state from an export; 409 when the account has state (unless ``replace=true``)."""
    state = request.app.state
    try:
        document: Any = json.loads(await request.body())
    except ValueError as error:
        return admin_error(400, "InvalidRequest", f"The body is not JSON: {error}")
    try:
        result = await import_account(
            state.sessionmaker,
            state.sealer,
            state.settings.lock_timeout_ms,
            document,
            await schema_revision(request),
            replace,
        )
    except TransferError as error:
        return admin_error(error.status, "Conflict" if error.status == 409 else "InvalidRequest", error.message)
    log.warning("admin import into account %s: %d rows", result["account"], sum(result["imported"].values()))
    return JSONResponse(result)
