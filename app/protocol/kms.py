"""The AWS JSON 1.1 protocol as KMS speaks it (KMS API Reference, "Common Parameters" and "Common Errors").

A request is ``POST /`` with ``X-Amz-Target: TrentService.<Operation>`` and a JSON object body; the region is
the one in the SigV4 credential scope. Blob members travel as base64 strings. Errors are
``{"__type": code, "message": text}``.

No KMS request nests deeper than three levels (``Tags``: list, structure, string), so a body nested deeper
than ``MAX_JSON_DEPTH`` is refused before anything walks it; nothing after parsing recurses on client data.
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
# A region name as AWS forms them (us-east-1, us-gov-west-1, ap-southeast-5): at most 29 characters, so it
# fits the 32-character region columns; any other scope means the default region.
CREDENTIAL_SCOPE = re.compile(
    r"Credential=[^/,\s]+/[0-9]{8}/(?P<region>[a-z]{2,4}(?:-[a-z]{1,10}){1,2}-[0-9]{1,2})/kms/aws4_request"
)
MAX_JSON_DEPTH = 64
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
    except RecursionError as error:  # far deeper than MAX_JSON_DEPTH
        raise _too_deep() from error
    except ValueError as error:
        raise SerializationException(f"The request body is not valid JSON: {error}") from error
    if not isinstance(params, dict):
        raise SerializationException("The request body must be a JSON object.")
    _check_members(params)
    for name in BLOB_MEMBERS:
        if isinstance(params.get(name), str):
            params[name] = _decode_blob(name, params[name])
    match = CREDENTIAL_SCOPE.search(headers.get("authorization", ""))
    return KmsRequest(operation, params, match["region"] if match else default_region)


def target_operation(headers: Mapping[str, str]) -> str | None:
    """The operation ``X-Amz-Target`` names, or None when it is not a ``TrentService.`` target."""
    target = headers.get("x-amz-target", "")
    return target.removeprefix(TARGET_PREFIX) if target.startswith(TARGET_PREFIX) else None


def _check_members(params: dict[str, Any]) -> None:
    """SerializationException for nesting deeper than ``MAX_JSON_DEPTH``, or a NUL or an unpaired surrogate
    anywhere in the members (no database stores those in text); walked without recursion."""
    pending: list[tuple[Any, int]] = [(params, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            if _UNSTORABLE.search(value):
                raise SerializationException("The request body holds a NUL character or an unpaired surrogate.")
            continue
        if not isinstance(value, dict | list):
            continue
        if depth > MAX_JSON_DEPTH:
            raise _too_deep()
        items = [*value.keys(), *value.values()] if isinstance(value, dict) else value
        pending.extend((item, depth + 1) for item in items)


def _too_deep() -> SerializationException:
    return SerializationException(f"The request body is nested deeper than {MAX_JSON_DEPTH} levels.")


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
