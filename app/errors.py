"""Errors returned to clients, one class per wire code.

Route 53 errors render as an XML ``<ErrorResponse>`` (Route 53 API Reference, "Common Errors"); KMS errors
render as JSON ``{"__type": code, "message": ...}`` (KMS API Reference, "Common Errors").
The class name is the wire code unless the class sets ``code``; the status comes from the service model
(400 where it gives none).

    Route53Error
    ├── InvalidInput, InvalidArgument, InvalidDomainName, InvalidVPCId, NoSuchDelegationSet,
    │   InvalidKMSArn, InvalidKeySigningKeyName,
    │   InvalidKeySigningKeyStatus, InvalidSigningStatus, TooManyKeySigningKeys, KeySigningKeyInUse,
    │   KeySigningKeyWithActiveStatusNotFound, KeySigningKeyInParentDSRecord, HostedZonePartiallyDelegated,
    │   DNSSECNotFound, HostedZoneNotEmpty, ConcurrentModification,
    │   PriorRequestNotComplete, InvalidChangeBatch, TooManyHealthChecks, TooManyHostedZones,
    │   HealthCheckInUse,
    │   IncompatibleVersion                                                            (400)
    ├── NoSuchHostedZone, NoSuchChange, NoSuchKeySigningKey, NoSuchHealthCheck         (404)
    ├── KeySigningKeyAlreadyExists, HostedZoneAlreadyExists, HealthCheckAlreadyExists,
    │   HealthCheckVersionMismatch                                                     (409)
    ├── ServiceUnavailable                                                             (503)
    ├── OperationNotImplemented (wire code NotImplemented)                             (501)
    └── InternalFailure                                                                (500)
    KmsError
    ├── NotFoundException, DisabledException, KMSInvalidStateException, ValidationException,
    │   InvalidArnException, InvalidKeyUsageException, MalformedPolicyDocumentException,
    │   UnsupportedOperationException, AlreadyExistsException, KMSInvalidSignatureException,
    │   UnknownOperationException, SerializationException, LimitExceededException,
    │   KmsThrottling ("ThrottlingException")                                           (400)
    ├── KmsOperationNotImplemented (wire code NotImplemented)                           (501)
    ├── KMSInternalException                                                            (500)
    └── KmsServiceUnavailable ("ServiceUnavailable")                                    (503)
"""

from typing import Any, ClassVar


class ServiceError(Exception):
    """Base of both families: a wire code, an HTTP status and a message."""

    code: ClassVar[str]
    status: ClassVar[int] = 400
    sender_fault: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.code = cls.__dict__.get("code", cls.__name__)

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def not_implemented_message(operation: str) -> str:
    return f"{operation} is not implemented by this service."


class Route53Error(ServiceError):
    """Base for every error returned as a Route 53 ``<ErrorResponse>``."""


class InvalidInput(Route53Error):
    """The request failed schema validation (length, type, missing element, malformed XML)."""


class InvalidArgument(Route53Error):
    """A parameter is not valid for the operation, e.g. DNSSEC on a private hosted zone."""


class InvalidDomainName(Route53Error):
    """CreateHostedZone got a name that is not a valid domain name."""


class InvalidVPCId(Route53Error):
    """CreateHostedZone got a VPC id that is not of the form ``vpc-<hex>``."""


class NoSuchDelegationSet(Route53Error):
    """A reusable delegation set was named; this service has none."""


class InvalidKMSArn(Route53Error):
    """The KMS key behind a KSK is missing, misconfigured or does not grant Route 53 access."""


class InvalidKeySigningKeyName(Route53Error):
    """A KSK name uses characters outside letters, digits, underscore, hyphen and dot."""


class InvalidKeySigningKeyStatus(Route53Error):
    """A KSK status is not valid for the request (unknown status, or delete of a key not INACTIVE)."""


class InvalidSigningStatus(Route53Error):
    """The zone's signing status does not allow the operation (a signing zone in ACTION_NEEDED)."""


class TooManyKeySigningKeys(Route53Error):
    """A third KSK was requested for a zone; Route 53 allows two."""


class KeySigningKeyInUse(Route53Error):
    """Deactivating the only ACTIVE KSK of a signing zone."""


class KeySigningKeyWithActiveStatusNotFound(Route53Error):
    """EnableHostedZoneDNSSEC on a zone with no ACTIVE KSK."""


class KeySigningKeyInParentDSRecord(Route53Error):
    """Deactivating a KSK, or disabling signing, while the parent hosted zone publishes a DS for the key."""


class HostedZonePartiallyDelegated(Route53Error):
    """EnableHostedZoneDNSSEC while the parent hosted zone delegates to only some of the zone's name servers."""


class DNSSECNotFound(Route53Error):
    """The hosted zone has no DNSSEC resources."""


class HostedZoneNotEmpty(Route53Error):
    """DeleteHostedZone on a zone that still has KSKs, signs, or holds records of its own."""


class ConcurrentModification(Route53Error):
    """Another request held the zone's lock past the lock timeout, or fault injection fired."""


class PriorRequestNotComplete(Route53Error):
    """A zone or tag write could not get its lock in time; SDKs retry this code."""


class InvalidChangeBatch(Route53Error):
    """A ChangeResourceRecordSets batch breaks a record-set rule; the message lists every problem as
    ``[first, second]`` (Route 53 API Reference, ChangeResourceRecordSets)."""


class TooManyHealthChecks(Route53Error):
    """CreateHealthCheck beyond the account's health-check limit."""


class TooManyHostedZones(Route53Error):
    """CreateHostedZone beyond the account's hosted-zone limit."""


class HealthCheckInUse(Route53Error):
    """Modeled for DeleteHealthCheck; AWS documents it as no longer in use."""


class IncompatibleVersion(Route53Error):
    """Modeled for GetHealthCheck and ListHealthChecks (a health check newer than the API version)."""


class NoSuchHostedZone(Route53Error):
    """No hosted zone has the given id."""

    status = 404


class NoSuchChange(Route53Error):
    """No change has the given id."""

    status = 404


class NoSuchKeySigningKey(Route53Error):
    """No KSK of that name in that zone (also when the zone itself is missing)."""

    status = 404


class NoSuchHealthCheck(Route53Error):
    """No health check has the given id (also when a record set names one)."""

    status = 404


class KeySigningKeyAlreadyExists(Route53Error):
    """The zone already has a KSK with this name or this KMS key."""

    status = 409


class HostedZoneAlreadyExists(Route53Error):
    """CreateHostedZone with a CallerReference that was used before."""

    status = 409


class HealthCheckAlreadyExists(Route53Error):
    """CreateHealthCheck with a CallerReference used before with another configuration, or reused after delete."""

    status = 409


class HealthCheckVersionMismatch(Route53Error):
    """UpdateHealthCheck with a HealthCheckVersion that is not the current one."""

    status = 409


class ServiceUnavailable(Route53Error):
    """A read while the database is unreachable, or CreateHostedZone without the database lock in time (it models
    neither ConcurrentModification nor PriorRequestNotComplete); a 5xx, so SDKs retry it."""

    status = 503
    sender_fault = False


class OperationNotImplemented(Route53Error):
    """An operation of the Route 53 API that this service does not serve; a 501 that SDKs do not retry."""

    code = "NotImplemented"
    status = 501
    sender_fault = False

    def __init__(self, operation: str) -> None:
        super().__init__(not_implemented_message(operation))


class InternalFailure(Route53Error):
    """An unexpected server fault; logged with its traceback."""

    status = 500
    sender_fault = False


class KmsError(ServiceError):
    """Base for every error returned in the KMS JSON 1.1 error format."""


class NotFoundException(KmsError):
    """The key or alias does not exist."""


class DisabledException(KmsError):
    """The key is disabled."""


class KMSInvalidStateException(KmsError):
    """The key's state does not allow the operation (e.g. pending deletion)."""


class ValidationException(KmsError):
    """A parameter failed validation."""


class InvalidArnException(KmsError):
    """A key ARN is malformed."""


class InvalidKeyUsageException(KmsError):
    """The key's usage or spec does not allow the operation."""


class MalformedPolicyDocumentException(KmsError):
    """A key policy is not valid JSON or not a policy document."""


class UnsupportedOperationException(KmsError):
    """The operation is not supported for this key type."""


class AlreadyExistsException(KmsError):
    """An alias of that name exists already."""


class KMSInvalidSignatureException(KmsError):
    """Verify found that the signature does not match."""


class UnknownOperationException(KmsError):
    """The X-Amz-Target names no KMS operation this service knows."""


class SerializationException(KmsError):
    """The request body is not a JSON object."""


class KmsOperationNotImplemented(KmsError):
    """An operation of the KMS API that this service does not serve; a 501 that SDKs do not retry."""

    code = "NotImplemented"
    status = 501
    sender_fault = False

    def __init__(self, operation: str) -> None:
        super().__init__(not_implemented_message(operation))


class LimitExceededException(KmsError):
    """A quota is exceeded, e.g. a key policy larger than 32 KB (KMS API Reference, PutKeyPolicy)."""


class KmsThrottling(KmsError):
    """A write that could not get the store's lock in time under concurrent load: KMS's ThrottlingException
    (KMS API Reference, "Common Errors"), a 400 that SDKs retry as throttling."""

    code = "ThrottlingException"


class KMSInternalException(KmsError):
    """An unexpected server fault in the KMS API."""

    status = 500
    sender_fault = False


class KmsServiceUnavailable(KmsError):
    """A KMS read while the database is unreachable; a 503, so SDKs retry it."""

    code = "ServiceUnavailable"
    status = 503
    sender_fault = False
