"""The AWS JSON 1.1 protocol as KMS speaks it (KMS API Reference, "Common Parameters" and "Common Errors").

A request is ``POST /`` with ``X-Amz-Target: TrentService.<Operation>`` and a JSON object body; the region is
the one in the SigV4 credential scope. Blob members travel as base64 strings. Errors are
``{"__type": code, "message": text}``.
"""

import base64
import binascii
import json
import re
from collections.abc import Container, Mapping
from dataclasses import dataclass
from typing import Any

from app.errors import KmsError, KmsOperationNotImplemented, SerializationException, UnknownOperationException

CONTENT_TYPE = "application/x-amz-json-1.1"
TARGET_PREFIX = "TrentService."
BLOB_MEMBERS = ("Message", "Signature")
CREDENTIAL_SCOPE = re.compile(
    r"Credential=[^/,\s]+/[0-9]{8}/(?P<region>[a-z]{2}(?:-[a-z]+)+-[0-9]{1,2})/kms/aws4_request"
)
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


@dataclass(frozen=True)
class KmsRequest:
    operation: str
    params: dict[str, Any]
    region: str


def parse_request(
    headers: Mapping[str, str],
    body: bytes | None,
    *,
    operations: Container[str],
    modeled: Container[str],
    default_region: str,
    max_body_bytes: int,
) -> KmsRequest:
    """Operation, members (blobs decoded to bytes) and region of a request; an empty body means ``{}``.

    ``operations`` are the ones served; another operation of the KMS API (``modeled``) is NotImplemented,
    anything else UnknownOperationException.

    ``headers`` is looked up by lower-case name (Starlette's ``Headers`` is case-insensitive).
    """
    target = headers.get("x-amz-target", "")
    operation = target_operation(headers)
    if operation is None or operation not in operations:
        if operation is not None and operation in modeled:
            raise KmsOperationNotImplemented(operation)
        raise UnknownOperationException(f"The operation '{target}' is not supported by this KMS endpoint.")
    if body is None:
        raise SerializationException(f"The request body is larger than {max_body_bytes} bytes.")
    try:
        params = json.loads(body) if body.strip() else {}
    except (ValueError, RecursionError) as error:
        raise SerializationException(f"The request body is not valid JSON: {error}") from error
    if not isinstance(params, dict):
        raise SerializationException("The request body must be a JSON object.")
    if _unstorable(params):
        raise SerializationException("The request body holds a NUL character or an unpaired surrogate.")
    for name in BLOB_MEMBERS:
        if isinstance(params.get(name), str):
            params[name] = _decode_blob(name, params[name])
    match = CREDENTIAL_SCOPE.search(headers.get("authorization", ""))
    return KmsRequest(operation, params, match["region"] if match else default_region)


def target_operation(headers: Mapping[str, str]) -> str | None:
    """The operation ``X-Amz-Target`` names, or None when it is not a ``TrentService.`` target."""
    target = headers.get("x-amz-target", "")
    return target.removeprefix(TARGET_PREFIX) if target.startswith(TARGET_PREFIX) else None


def _unstorable(value: Any) -> bool:
    """A NUL or an unpaired surrogate anywhere in the members: no database stores those in text."""
    if isinstance(value, str):
        return _UNSTORABLE.search(value) is not None
    if isinstance(value, dict):
        return any(_unstorable(key) or _unstorable(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_unstorable(item) for item in value)
    return False


def render_result(result: Mapping[str, Any]) -> bytes:
    """A response body; ``bytes`` values become base64 strings."""
    return json.dumps(result, default=_encode_blob, separators=(",", ":")).encode()


def render_error(error: KmsError) -> bytes:
    return json.dumps({"__type": error.code, "message": error.message}).encode()


def _decode_blob(name: str, text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as error:
        raise SerializationException(f"The value of '{name}' is not valid base64.") from error


def _encode_blob(value: object) -> str:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
