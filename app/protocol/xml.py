"""XML mechanics of the Route 53 REST-XML protocol: safe parsing and namespace-qualified rendering.

Parsing refuses DTDs and entities (xmltodict ``disable_entities``) and bodies over the size cap. Rendering is
a small direct writer (xmltodict's SAX-based ``unparse`` costs about five times as much per response); it
keeps dict insertion order, which the protocol layer uses for model member order.
"""

import re
from typing import Any
from xml.sax.saxutils import escape

import xmltodict

from app.errors import InvalidInput

NAMESPACE = "https://route53.amazonaws.com/doc/2013-04-01/"
_NEEDS_ESCAPE = re.compile(r'[&<>"\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]')
XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")  # not XML 1.0 characters
_QUOTE = {'"': "&quot;"}
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


def parse_request(body: bytes | None, root: str, max_bytes: int) -> dict[str, Any]:
    """Parse a request document and return the children of its ``root`` element.

    Malformed XML, a DOCTYPE, an unexpected root or a missing/wrong namespace raise ``InvalidInput``
    with the Xerces-style text Route 53 answers (``Invalid XML ; ...``); so does a body over ``max_bytes``
    (``None``, as ``app.api.body.read_body`` gives it).
    """
    if body is None:
        raise InvalidInput(f"Invalid XML ; the request body is larger than {max_bytes} bytes.")
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise InvalidInput("Invalid XML ; DOCTYPE is disallowed.")
    try:
        document = xmltodict.parse(body, disable_entities=True)
    except Exception as error:  # expat raises several types for one cause: the body is not XML
        raise InvalidInput(f"Invalid XML ; {error}") from error
    if not isinstance(document, dict) or root not in document:
        found = next(iter(document), "") if isinstance(document, dict) else ""
        raise InvalidInput(f"Invalid XML ; cvc-elt.1: Cannot find the declaration of element '{found}'.")
    element = document[root]
    if not isinstance(element, dict) or element.get("@xmlns") != NAMESPACE:
        raise InvalidInput(f"Invalid XML ; cvc-elt.1: Cannot find the declaration of element '{root}'.")
    return {key: value for key, value in element.items() if not key.startswith("@")}


class Fragment(str):
    """Elements rendered already (list pages render their items by template): written as they are."""


def xml_text(value: str) -> str:
    """``value`` as element text: ``&``, ``<``, ``>`` and ``"`` escaped, characters XML cannot carry replaced."""
    if _NEEDS_ESCAPE.search(value):
        return escape(XML_ILLEGAL.sub("\ufffd", value), _QUOTE)
    return value


def render(root: str, content: dict[str, Any] | None) -> bytes:
    """Render ``{root: content}`` with the Route 53 namespace. Dict order is element order; ``None`` values
    are left out; a list repeats its element; an element with no children renders empty (``<KeySigningKeys/>``);
    a ``Fragment`` is the element's content as it is."""
    out = [XML_DECLARATION, f'<{root} xmlns="{NAMESPACE}">']
    _children(content or {}, out)
    out.append(f"</{root}>")
    return "".join(out).encode()


def render_element(name: str, value: Any) -> str:
    """One element as ``render`` writes it inside a document."""
    out: list[str] = []
    _element(name, value, out)
    return "".join(out)


def _children(content: dict[str, Any], out: list[str]) -> None:
    for name, value in content.items():
        for item in value if isinstance(value, list) else (value,):
            _element(name, item, out)


def _element(name: str, value: Any, out: list[str]) -> None:
    if value is None:
        return
    if isinstance(value, Fragment):
        out.append(f"<{name}>{value}</{name}>" if value else f"<{name}/>")
    elif isinstance(value, dict):
        mark = len(out)
        out.append(f"<{name}>")
        _children(value, out)
        if len(out) == mark + 1:
            out[mark] = f"<{name}/>"
        else:
            out.append(f"</{name}>")
    elif isinstance(value, bool):
        out.append(f"<{name}>{'true' if value else 'false'}</{name}>")
    else:
        out.append(f"<{name}>{xml_text(str(value))}</{name}>")
