"""How a failed signature check answers, per protocol (reference: accounts-auth-admin.md section 1).

Route 53 (REST-XML): 403 and an ``<ErrorResponse>`` with ``Type Sender``. KMS (JSON 1.1): 400 and
``{"__type", "message"}``. Route 53's status for a missing or malformed signature is not confirmed by any
capture; like every other Route 53 signature failure it is 403 here.
"""

from starlette.responses import Response

from app.api.xml_route import error_response
from app.auth.verify import Failure, FailureKind
from app.errors import KmsError, Route53Error
from app.protocol.kms import CONTENT_TYPE, render_error


class MissingAuthenticationToken(Route53Error):
    status = 403


class IncompleteSignature(Route53Error):
    status = 403


class InvalidClientTokenId(Route53Error):
    status = 403


class SignatureDoesNotMatch(Route53Error):
    status = 403


class ExpiredToken(Route53Error):
    status = 403


class MissingAuthenticationTokenException(KmsError):
    pass


class IncompleteSignatureException(KmsError):
    pass


class UnrecognizedClientException(KmsError):
    pass


class InvalidSignatureException(KmsError):
    pass


class ExpiredTokenException(KmsError):
    pass


ROUTE53_ERRORS: dict[FailureKind, type[Route53Error]] = {
    FailureKind.MISSING: MissingAuthenticationToken,
    FailureKind.INCOMPLETE: IncompleteSignature,
    FailureKind.UNKNOWN_KEY: InvalidClientTokenId,
    FailureKind.MISMATCH: SignatureDoesNotMatch,
    FailureKind.EXPIRED_TOKEN: ExpiredToken,
}
KMS_ERRORS: dict[FailureKind, type[KmsError]] = {
    FailureKind.MISSING: MissingAuthenticationTokenException,
    FailureKind.INCOMPLETE: IncompleteSignatureException,
    FailureKind.UNKNOWN_KEY: UnrecognizedClientException,
    FailureKind.MISMATCH: InvalidSignatureException,
    FailureKind.EXPIRED_TOKEN: ExpiredTokenException,
}


def failure_code(service: str, failure: Failure) -> str:
    return (KMS_ERRORS if service == "kms" else ROUTE53_ERRORS)[failure.kind].code


def failure_response(service: str, failure: Failure, request_id: str) -> Response:
    if service == "kms":
        error = KMS_ERRORS[failure.kind](failure.message)
        return Response(render_error(error), status_code=error.status, media_type=CONTENT_TYPE)
    return error_response(ROUTE53_ERRORS[failure.kind](failure.message), request_id)
