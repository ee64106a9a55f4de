"""Route 53 REST-XML shapes: request validation with AWS's messages, and responses in model member order.

Member order and names follow the botocore ``route53`` 2013-04-01 model; validation messages follow the
AWS format ``N validation error(s) detected: Value '…' at '…' failed to satisfy constraint: …``.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.dnssec.records import (
    ALGORITHM,
    ALGORITHM_MNEMONIC,
    DIGEST_MNEMONIC,
    DIGEST_TYPE,
    FLAG_KSK,
    dnskey_record_text,
    ds_record_text,
)
from app.errors import InvalidInput
from app.protocol.xml import Fragment, parse_request, xml_text
from app.services.views import ChangeView, DnssecView, KskView, ZoneView


@dataclass(frozen=True)
class Member:
    """One string member of a request: its wire name, model name and length constraints."""

    wire: str
    model: str
    required: bool = True
    min_length: int | None = None
    max_length: int | None = None


def validation_error(problems: list[str]) -> InvalidInput:
    count = len(problems)
    noun = "error" if count == 1 else "errors"
    return InvalidInput(f"{count} validation {noun} detected: " + "; ".join(problems))


def check_members(values: dict[str, str | None], members: tuple[Member, ...]) -> None:
    """Raise one InvalidInput listing every missing or wrong-length member, in model order."""
    problems = []
    for member in members:
        value = values.get(member.wire)
        if value is None:
            if member.required:
                problems.append(f"Value null at '{member.model}' failed to satisfy constraint: Member must not be null")
            continue
        prefix = f"Value '{value}' at '{member.model}' failed to satisfy constraint: Member must have length"
        if member.max_length is not None and len(value) > member.max_length:
            problems.append(f"{prefix} less than or equal to {member.max_length}")
        elif member.min_length is not None and len(value) < member.min_length:
            problems.append(f"{prefix} greater than or equal to {member.min_length}")
    if problems:
        raise validation_error(problems)


def parse_body(
    body: bytes | None, root: str, allowed: tuple[str, ...], max_bytes: int, nested: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Parse a request body and check its root's children (see ``element_children``)."""
    return element_children(parse_request(body, root, max_bytes), root, allowed, nested)


def element_children(
    value: Any, name: str, allowed: tuple[str, ...], nested: tuple[str, ...] = (), repeated: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The children of complex element ``name``, checked as the schema would (Xerces messages): only
    ``allowed`` names, at most once unless ``repeated`` (then a list), children only under ``nested`` ones.
    Simple children come back as strings (an empty element as ``""``, so length checks apply)."""
    if value is None or value == "":
        return {}
    if not isinstance(value, dict):
        raise InvalidInput(
            f"Invalid XML ; cvc-complex-type.2.3: Element '{name}' cannot have character [children], because the "
            "type's content type is element-only."
        )
    children: dict[str, Any] = {}
    for child, item in value.items():
        if child.startswith("@"):
            continue
        if child not in allowed:
            raise InvalidInput(
                f"Invalid XML ; cvc-complex-type.2.4.a: Invalid content was found starting with element '{child}'."
            )
        items = item if isinstance(item, list) else [item]
        if len(items) > 1 and child not in repeated:
            raise InvalidInput(f"Invalid XML ; cvc-complex-type.2.4.d: Element '{child}' may occur only once.")
        if child not in nested:
            items = [_simple(child, one) for one in items]
        children[child] = items if child in repeated else items[0]
    return children


def _simple(name: str, value: Any) -> str:
    if isinstance(value, dict):
        raise InvalidInput(
            f"Invalid XML ; cvc-type.3.1.2: Element '{name}' is a simple type, so it must have no element "
            "information item [children]."
        )
    return "" if value is None else str(value)


def text_members(elements: dict[str, Any], names: tuple[str, ...]) -> dict[str, str | None]:
    return {name: elements.get(name) for name in names}


def parse_boolean(value: str) -> bool:
    """An ``xs:boolean``: true, false, 1 or 0."""
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise InvalidInput(f"Invalid XML ; cvc-datatype-valid.1.2.1: '{value}' is not a valid value for 'boolean'.")


def timestamp(moment: datetime) -> str:
    """ISO 8601 UTC with milliseconds, as Route 53 writes it (``2018-04-19T03:24:17.638Z``)."""
    return moment.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"  # 4x cheaper than strftime


def change_info(change: ChangeView, status: str) -> dict[str, Any]:
    return {
        "Id": f"/change/{change.id}",
        "Status": status,
        "SubmittedAt": timestamp(change.submitted_at),
        "Comment": change.comment,
    }


def hosted_zone(zone: ZoneView) -> dict[str, Any]:
    return {
        "Id": f"/hostedzone/{zone.id}",
        "Name": zone.name,
        "CallerReference": zone.caller_reference,
        "Config": {"Comment": zone.comment, "PrivateZone": zone.private_zone},
        "ResourceRecordSetCount": zone.record_set_count,
    }


def hosted_zones_xml(zones: list[ZoneView]) -> Fragment:
    """``<HostedZone>`` elements of a list page by template: the same as rendering ``hosted_zone`` of each."""
    return Fragment(
        "".join(
            f"<HostedZone><Id>/hostedzone/{xml_text(zone.id)}</Id><Name>{xml_text(zone.name)}</Name>"
            f"<CallerReference>{xml_text(zone.caller_reference)}</CallerReference><Config>"
            + ("" if zone.comment is None else f"<Comment>{xml_text(zone.comment)}</Comment>")
            + f"<PrivateZone>{'true' if zone.private_zone else 'false'}</PrivateZone></Config>"
            f"<ResourceRecordSetCount>{zone.record_set_count}</ResourceRecordSetCount></HostedZone>"
            for zone in zones
        )
    )


def delegation_set(name_servers: list[str]) -> dict[str, Any]:
    return {"NameServers": {"NameServer": name_servers}}


def vpc(zone: ZoneView) -> dict[str, Any]:
    return {"VPCRegion": zone.vpc_region, "VPCId": zone.vpc_id}


def key_signing_key(ksk: KskView) -> dict[str, Any]:
    """A KeySigningKey in model member order; every derived field follows RFC 4034 / RFC 6605."""
    return {
        "Name": ksk.name,
        "KmsArn": ksk.kms_arn,
        "Flag": FLAG_KSK,
        "SigningAlgorithmMnemonic": ALGORITHM_MNEMONIC,
        "SigningAlgorithmType": ALGORITHM,
        "DigestAlgorithmMnemonic": DIGEST_MNEMONIC,
        "DigestAlgorithmType": DIGEST_TYPE,
        "KeyTag": ksk.key_tag,
        "DigestValue": ksk.digest_value,
        "PublicKey": ksk.public_key,
        "DSRecord": ds_record_text(ksk.key_tag, ksk.digest_value),
        "DNSKEYRecord": dnskey_record_text(ksk.public_key),
        "Status": ksk.status,
        "StatusMessage": ksk.status_message,
        "CreatedDate": timestamp(ksk.created_at),
        "LastModifiedDate": timestamp(ksk.last_modified_at),
    }


def dnssec_status(dnssec: DnssecView) -> dict[str, Any]:
    return {
        "Status": {"ServeSignature": dnssec.serve_signature, "StatusMessage": dnssec.status_message},
        "KeySigningKeys": {"member": [key_signing_key(ksk) for ksk in dnssec.key_signing_keys]},
    }
