"""Test helpers: parse raw HTTP responses exactly as botocore does, and build request bodies."""

from typing import Any
from xml.sax.saxutils import escape

import botocore.parsers
import botocore.session
import httpx

ROUTE53 = botocore.session.get_session().get_service_model("route53")
NAMESPACE = "https://route53.amazonaws.com/doc/2013-04-01/"


def parse(operation: str, response: httpx.Response) -> dict[str, Any]:
    """Parse a response with botocore's rest-xml parser against ``operation``'s output shape."""
    model = ROUTE53.operation_model(operation)
    parser = botocore.parsers.create_parser("rest-xml")
    raw = {"status_code": response.status_code, "headers": response.headers, "body": response.content}
    parsed: dict[str, Any] = parser.parse(raw, model.output_shape)
    return parsed


def assert_error(response: httpx.Response, status: int, code: str, message: str | None = None) -> dict[str, Any]:
    """The response is a Route 53 ErrorResponse with this status, code and (when given) exact message."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/xml")
    error = parse("GetHostedZone", response)["Error"]
    assert error["Code"] == code, response.text
    assert error["Type"] == ("Receiver" if status >= 500 else "Sender")
    if message is not None:
        assert error["Message"] == message
    assert response.headers["x-amzn-requestid"] in response.text
    return error


def element(name: str, value: str | None) -> str:
    return "" if value is None else f"<{name}>{escape(value)}</{name}>"


def create_zone_body(name: str, caller_reference: str, comment: str | None = None, extra: str = "") -> str:
    config = f"<HostedZoneConfig>{element('Comment', comment)}</HostedZoneConfig>" if comment is not None else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><CreateHostedZoneRequest xmlns="{NAMESPACE}">'
        f"{element('Name', name)}{element('CallerReference', caller_reference)}{config}{extra}"
        "</CreateHostedZoneRequest>"
    )


def create_ksk_body(**members: str | None) -> str:
    order = ("CallerReference", "HostedZoneId", "KeyManagementServiceArn", "Name", "Status")
    inner = "".join(element(name, members.get(name)) for name in order)
    return f'<CreateKeySigningKeyRequest xmlns="{NAMESPACE}">{inner}</CreateKeySigningKeyRequest>'
