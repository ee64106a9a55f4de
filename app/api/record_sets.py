"""Record-set routes (Route 53 API Reference: ChangeResourceRecordSets, ListResourceRecordSets)."""

from fastapi import APIRouter, Request

from app.api import deps
from app.api.hosted_zones import max_items
from app.api.xml_route import XmlResponse, XmlRoute, request_elements
from app.errors import InvalidInput
from app.protocol import route53 as wire
from app.protocol.record_sets import parse_change_batch, stored_record_sets_xml
from app.protocol.shapes import parse_structure, route53_operation_input
from app.records.names import NameProblem, parse_name
from app.records.values import RECORD_TYPES
from app.services.hosted_zones import name_servers
from app.services.zone_snapshots import test_dns_answer as test_answer

router = APIRouter(prefix="/2013-04-01", route_class=XmlRoute)

DEFAULT_PAGE = 100
MAX_PAGE = 300  # Route 53 answers at most 300 record sets per page, whatever maxitems asks


async def change_resource_record_sets(Id: str, request: Request) -> XmlResponse:
    body = await request_elements(request, "ChangeResourceRecordSetsRequest", ("ChangeBatch",), nested=("ChangeBatch",))
    if "ChangeBatch" not in body:
        raise wire.validation_error(
            ["Value null at 'changeBatch' failed to satisfy constraint: Member must not be null"]
        )
    comment, changes = parse_change_batch(body["ChangeBatch"], Id)
    change = await deps.record_sets(request).change(deps.account(request), Id, comment, changes)
    return XmlResponse("ChangeResourceRecordSetsResponse", {"ChangeInfo": wire.change_info(change, "PENDING")})


# The model's URI ends with a slash; Smithy-based SDKs (Terraform's) send it without.
for path in ("/hostedzone/{Id}/rrset/", "/hostedzone/{Id}/rrset"):
    router.add_api_route(path, change_resource_record_sets, methods=["POST"], name="ChangeResourceRecordSets")


@router.get("/hostedzone/{Id}/rrset", name="ListResourceRecordSets")
async def list_resource_record_sets(Id: str, request: Request) -> XmlResponse:
    query = request.query_params
    name, type_, identifier = query.get("name"), query.get("type"), query.get("identifier")
    wire.check_members(
        {"Id": Id, "identifier": identifier},
        (
            wire.Member("Id", "hostedZoneId", max_length=32),
            wire.Member("identifier", "startRecordIdentifier", False, min_length=1, max_length=128),
        ),
    )
    if type_ is not None and type_ not in RECORD_TYPES:
        raise wire.validation_error(
            [
                f"Value '{type_}' at 'startRecordType' failed to satisfy constraint: Member must satisfy enum value "
                f"set: [{', '.join(RECORD_TYPES)}]"
            ]
        )
    if type_ is not None and name is None:
        raise InvalidInput("The input is not valid: a record type (type) needs a record name (name).")
    if identifier is not None and type_ is None:
        raise InvalidInput("The input is not valid: a set identifier (identifier) needs a record name and type.")
    limit = max_items(query.get("maxitems"), DEFAULT_PAGE, MAX_PAGE)
    start = None
    if name is not None:
        try:
            start = (parse_name(name).sort_key, type_, identifier)
        except NameProblem as problem:
            raise InvalidInput(problem.message) from None
    page = await deps.record_sets(request).list(deps.account(request), Id, start, limit)
    following = page.next_record_set
    content = {
        "ResourceRecordSets": stored_record_sets_xml(page.rows),
        "IsTruncated": following is not None,
        "NextRecordName": following.name.text if following else None,
        "NextRecordType": following.type if following else None,
        "NextRecordIdentifier": following.set_identifier if following else None,
        "MaxItems": str(limit),
    }
    return XmlResponse("ListResourceRecordSetsResponse", content)


@router.get("/testdnsanswer", name="TestDNSAnswer")
async def test_dns_answer(request: Request) -> XmlResponse:
    """The answer of this service's DNS listener, like ``dig`` shows it; the resolver and client subnet
    members are checked but do not change the answer (every client is a us-east-1 resolver)."""
    shape = route53_operation_input("TestDNSAnswer")
    sent = {member: request.query_params.get(shape.members[member].serialization["name"]) for member in shape.members}
    problems: list[str] = []
    members = parse_structure(
        {k: v for k, v in sent.items() if v is not None}, shape, "TestDNSAnswerRequest", "", problems
    )
    if problems:
        raise wire.validation_error(problems)
    try:
        qname = parse_name(members["RecordName"]).to_dns()
    except NameProblem as problem:
        raise InvalidInput(problem.message) from None
    zone_id = members["HostedZoneId"]
    await deps.hosted_zones(request).get(deps.account(request), zone_id)  # another account's: NoSuchHostedZone
    answer = await test_answer(deps.zone_snapshots(request), zone_id, qname, members["RecordType"])
    content = {
        "Nameserver": name_servers(zone_id)[0],
        "RecordName": members["RecordName"],
        "RecordType": members["RecordType"],
        "RecordData": {"RecordDataEntry": answer.record_data},
        "ResponseCode": answer.response_code,
        "Protocol": "UDP",
    }
    return XmlResponse("TestDNSAnswerResponse", content)
