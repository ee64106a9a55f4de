"""The KMS endpoint: ``POST /`` with ``X-Amz-Target: TrentService.<Operation>`` (KMS API Reference).

Every response, error or not, is JSON 1.1; the request-id middleware adds its ``x-amzn-RequestId`` header.
A read while the database is unreachable answers 503 ``ServiceUnavailable`` with ``Retry-After``, and so
does a write of a request that arrived before an admin reset (``app.db.fence``).
"""

import logging

from fastapi import APIRouter, Request, Response
from starlette.requests import ClientDisconnect

from app.api import deps
from app.api.body import read_body
from app.api.telemetry import UNKNOWN_OPERATION, label_error, label_request
from app.api.unimplemented import kms_operations
from app.api.xml_route import RETRY_AFTER_SECONDS, UNAVAILABLE_MESSAGE, request_id
from app.config import Settings
from app.db.fence import StoreWasReset
from app.db.session import LockTimeout, is_database_unavailable
from app.errors import KmsError, KMSInternalException, KmsServiceUnavailable, KmsThrottling, SerializationException
from app.kms.service import LocalKms
from app.protocol.kms import CONTENT_TYPE, parse_request, render_error, render_result, target_operation

logger = logging.getLogger(__name__)
router = APIRouter()


@router.post("/", include_in_schema=False)
async def kms_operation(request: Request) -> Response:
    """Parse, run the operation on ``app.state.local_kms``, render; unexpected faults become a logged 500."""
    kms: LocalKms = request.app.state.local_kms
    settings: Settings = request.app.state.settings
    rid = request_id(request)
    operation = target_operation(request.headers)
    label_request(request, "kms", operation if operation in kms_operations() else UNKNOWN_OPERATION)
    headers: dict[str, str] = {}
    try:
        kms_request = parse_request(
            request.headers,
            await read_body(request, settings.max_body_bytes),
            operations=kms.operations,
            modeled=kms_operations(),
            default_region=settings.region,
            max_body_bytes=settings.max_body_bytes,
        )
        operation = kms_request.operation
        result = await kms.operations[operation](kms_request.params, kms_request.region, deps.account(request))
        status, body = 200, render_result(result)
    except KmsError as error:
        label_error(request, error.code)
        status, body = error.status, render_error(error)
    except LockTimeout:
        logger.warning("KMS request %s timed out waiting for a database lock", rid)
        throttled = KmsThrottling("The request could not get the store's lock in time. Retry the request.")
        label_error(request, throttled.code)
        status, body = throttled.status, render_error(throttled)
    except StoreWasReset as reset:
        label_error(request, KmsServiceUnavailable.code)
        status, body = 503, render_error(KmsServiceUnavailable(str(reset)))
        headers["Retry-After"] = RETRY_AFTER_SECONDS
    except ClientDisconnect:
        logger.info("KMS request %s: the client disconnected before sending its whole body", rid)
        label_error(request, SerializationException.code)
        status, body = 400, render_error(SerializationException("The request body is incomplete."))  # never sent
    except Exception as error:
        if operation in kms.read_operations and is_database_unavailable(error):
            logger.warning("KMS %s: database unavailable (%s; request %s)", operation, type(error).__name__, rid)
            label_error(request, KmsServiceUnavailable.code)
            status, body = 503, render_error(KmsServiceUnavailable(UNAVAILABLE_MESSAGE))
            headers["Retry-After"] = RETRY_AFTER_SECONDS
        else:
            logger.exception("KMS request %s failed", rid)
            label_error(request, KMSInternalException.code)
            status, body = 500, render_error(KMSInternalException("An internal error occurred."))
    return Response(body, status_code=status, media_type=CONTENT_TYPE, headers=headers)
