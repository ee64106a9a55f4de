"""XML mechanics of the Route 53 REST-XML protocol: safe parsing and namespace-qualified rendering.

Parsing refuses DTDs and entities (xmltodict ``disable_entities``) and bodies over the size cap; rendering
keeps dict insertion order, which the protocol layer uses for model member order.
"""

from typing import Any

import xmltodict

from app.errors import InvalidInput

NAMESPACE = "https://route53.amazonaws.com/doc/2013-04-01/"
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


def parse_request(body: bytes, root: str, max_bytes: int, list_items: tuple[str, ...] = ()) -> dict[str, Any]:
    """Parse a request document and return the children of its ``root`` element.

    Malformed XML, a DOCTYPE, an unexpected root or a missing/wrong namespace raise ``InvalidInput``
    with the Xerces-style text Route 53 answers (``Invalid XML ; ...``).
    """
    if len(body) > max_bytes:
        raise InvalidInput(f"Invalid XML ; the request body is larger than {max_bytes} bytes.")
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise InvalidInput("Invalid XML ; DOCTYPE is disallowed.")
    try:
        document = xmltodict.parse(body, disable_entities=True, force_list=list_items)
    except Exception as error:  # expat raises several types for one cause: the body is not XML
        raise InvalidInput(f"Invalid XML ; {error}") from error
    if not isinstance(document, dict) or root not in document:
        found = next(iter(document), "") if isinstance(document, dict) else ""
        raise InvalidInput(f"Invalid XML ; cvc-elt.1: Cannot find the declaration of element '{found}'.")
    element = document[root]
    if not isinstance(element, dict) or element.get("@xmlns") != NAMESPACE:
        raise InvalidInput(f"Invalid XML ; cvc-elt.1: Cannot find the declaration of element '{root}'.")
    return {key: value for key, value in element.items() if not key.startswith("@")}


def render(root: str, content: dict[str, Any] | None) -> bytes:
    """Render ``{root: content}`` with the Route 53 namespace; ``None`` values are left out, and an empty
    dict or list renders as an empty element (``<KeySigningKeys/>``)."""
    body = {"@xmlns": NAMESPACE, **_prune(content or {})}
    text: str = xmltodict.unparse({root: body}, full_document=False, short_empty_elements=True)
    return (XML_DECLARATION + text).encode()


def _prune(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _prune(item) if item != {} else None for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_prune(item) for item in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    return value
