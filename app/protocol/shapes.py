"""Request members checked against the botocore route53 model, as Route 53's front end checks them.

The XML structure is checked as the schema would (Xerces messages, code ``InvalidInput``: unknown or
repeated elements, text where elements belong, numbers and booleans that are not); the model's constraints
(``min``/``max`` lengths and values, ``enum``, ``pattern``, required members) are collected as AWS
validation messages (``Value 'x' at 'changeBatch.changes.1.member.resourceRecordSet.tTL' failed to satisfy
constraint: …``) for one ``InvalidInput`` listing all of them. Members come back in model order.
"""

import re
from functools import cache
from typing import Any

import botocore.session
from botocore.model import ListShape, Shape, StructureShape

from app.errors import InvalidInput
from app.protocol.route53 import parse_boolean

_INTEGER = re.compile(r"[+-]?[0-9]+")


@cache
def route53_shape(name: str) -> Shape:
    """A shape of the botocore route53 model, by name."""
    return botocore.session.get_session().get_service_model("route53").shape_for(name)


@cache
def route53_operation_input(operation: str) -> StructureShape:
    """The input shape of a route53 operation."""
    shape = botocore.session.get_session().get_service_model("route53").operation_model(operation).input_shape
    assert isinstance(shape, StructureShape)
    return shape


def model_path(member: str) -> str:
    """AWS's name for a member in validation messages: the first letter lower-cased (``TTL`` → ``tTL``)."""
    return member[:1].lower() + member[1:]


def parse_structure(value: Any, shape: StructureShape, element: str, path: str, problems: list[str]) -> dict[str, Any]:
    """The members of structure ``element`` (xmltodict's value for it), converted by type, in model order;
    constraint violations are appended to ``problems``."""
    if value is None or value == "":
        value = {}
    if not isinstance(value, dict):
        raise InvalidInput(
            f"Invalid XML ; cvc-complex-type.2.3: Element '{element}' cannot have character [children], because the "
            "type's content type is element-only."
        )
    for child, item in value.items():
        if child.startswith("@"):
            continue
        if child not in shape.members:
            raise InvalidInput(
                f"Invalid XML ; cvc-complex-type.2.4.a: Invalid content was found starting with element '{child}'."
            )
        if isinstance(item, list):
            raise InvalidInput(f"Invalid XML ; cvc-complex-type.2.4.d: Element '{child}' may occur only once.")
    members: dict[str, Any] = {}
    prefix = f"{path}." if path else ""
    for name, member in shape.members.items():
        member_path = prefix + model_path(name)
        if name not in value:
            if name in shape.required_members:
                problems.append(f"Value null at '{member_path}' failed to satisfy constraint: Member must not be null")
            continue
        members[name] = parse_member(value[name], member, name, member_path, problems)
    return members


def parse_member(value: Any, shape: Shape, element: str, path: str, problems: list[str]) -> Any:
    """One member of any type (see ``parse_structure``)."""
    if isinstance(shape, StructureShape):
        return parse_structure(value, shape, element, path, problems)
    if isinstance(shape, ListShape):
        return _parse_list(value, shape, element, path, problems)
    if isinstance(value, dict):
        raise InvalidInput(
            f"Invalid XML ; cvc-type.3.1.2: Element '{element}' is a simple type, so it must have no element "
            "information item [children]."
        )
    text = "" if value is None else str(value)
    if shape.type_name in ("long", "integer"):
        if not _INTEGER.fullmatch(text):
            raise InvalidInput(f"Invalid XML ; cvc-datatype-valid.1.2.1: '{text}' is not a valid value for 'integer'.")
        number = int(text)
        _check_range(number, shape, path, problems)
        return number
    if shape.type_name == "boolean":
        return parse_boolean(text)
    _check_string(text, shape, path, problems)
    return text


def _parse_list(value: Any, shape: ListShape, element: str, path: str, problems: list[str]) -> list[Any]:
    item_name = shape.member.serialization.get("name", "member")
    items: Any = []
    if isinstance(value, dict):
        for child in value:
            if not child.startswith("@") and child != item_name:
                raise InvalidInput(
                    f"Invalid XML ; cvc-complex-type.2.4.a: Invalid content was found starting with element '{child}'."
                )
        items = value.get(item_name, [])
    elif value not in (None, ""):
        raise InvalidInput(
            f"Invalid XML ; cvc-complex-type.2.3: Element '{element}' cannot have character [children], because the "
            "type's content type is element-only."
        )
    items = items if isinstance(items, list) else [items]
    if len(items) < shape.metadata.get("min", 0):
        raise InvalidInput(
            f"Invalid XML ; cvc-complex-type.2.4.b: The content of element '{element}' is not complete. One of "
            f"'{{\"https://route53.amazonaws.com/doc/2013-04-01/\":{item_name}}}' is expected."
        )
    if "max" in shape.metadata and len(items) > shape.metadata["max"]:
        problems.append(
            f"Value '{items}' at '{path}' failed to satisfy constraint: Member must have length less than or equal "
            f"to {shape.metadata['max']}"
        )
    return [
        parse_member(item, shape.member, item_name, f"{path}.{index}.member", problems)
        for index, item in enumerate(items, start=1)
    ]


def _check_range(number: int, shape: Shape, path: str, problems: list[str]) -> None:
    prefix = f"Value '{number}' at '{path}' failed to satisfy constraint: Member must have value"
    if "min" in shape.metadata and number < shape.metadata["min"]:
        problems.append(f"{prefix} greater than or equal to {shape.metadata['min']}")
    elif "max" in shape.metadata and number > shape.metadata["max"]:
        problems.append(f"{prefix} less than or equal to {shape.metadata['max']}")


def _check_string(text: str, shape: Shape, path: str, problems: list[str]) -> None:
    prefix = f"Value '{text}' at '{path}' failed to satisfy constraint: Member must"
    metadata = shape.metadata
    if "max" in metadata and len(text) > metadata["max"]:
        problems.append(f"{prefix} have length less than or equal to {metadata['max']}")
    elif "min" in metadata and len(text) < metadata["min"]:
        problems.append(f"{prefix} have length greater than or equal to {metadata['min']}")
    enum = metadata.get("enum")
    if enum and text not in enum:
        problems.append(f"{prefix} satisfy enum value set: [{', '.join(enum)}]")
    pattern = metadata.get("pattern")
    if pattern and not _compiled(pattern).fullmatch(text):
        problems.append(f"{prefix} satisfy regular expression pattern: {pattern}")


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)
