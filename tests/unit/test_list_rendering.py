"""List pages render their items by template: the same bytes as rendering each ``RecordSet`` or zone."""

import pytest

from app.protocol.record_sets import RENDERED_ROW_CHARS, record_set, stored_record_set_xml, stored_record_sets_xml
from app.protocol.route53 import hosted_zone, hosted_zones_xml
from app.protocol.xml import render, render_element
from app.records.names import parse_name
from app.records.record_set import AliasTarget, RecordSet
from app.services.rows import ZONE_VIEW_FIELDS, name_of_sort_key
from app.services.views import ZoneView

NAME = parse_name("www.example.com")
RECORD_SETS = [
    RecordSet(NAME, "A", ttl=300, values=("192.0.2.1", "192.0.2.2")),
    RecordSet(parse_name("*.example.com"), "A", ttl=60, values=("192.0.2.1",)),
    RecordSet(parse_name("a\\100b.example.com"), "TXT", ttl=0, values=('"a & b <c>"', '"\\"quoted\\""')),
    RecordSet(parse_name("example.com"), "NS", ttl=172800, values=("ns-1.awsdns-01.org.",)),
    RecordSet(NAME, "A", values=()),
    RecordSet(NAME, "A", set_identifier="one", routing=(("Weight", 10),), ttl=300, values=("192.0.2.1",)),
    RecordSet(NAME, "A", alias=AliasTarget("Z2FDTNDATAQYW2", "d111111abcdef8.cloudfront.net.", False)),
    RecordSet(NAME, "A", ttl=300, values=("192.0.2.1",), health_check_id="abcdef11-2222-3333-4444-555555fedcba"),
    RecordSet(NAME, "CNAME", set_identifier="eu", routing=(("Region", "eu-west-1"),), ttl=5, values=("x.",)),
]


@pytest.mark.parametrize("record", RECORD_SETS, ids=lambda r: f"{r.name.text}-{r.type}-{r.set_identifier}")
def test_a_stored_record_set_renders_as_its_record_set_does(record: RecordSet) -> None:
    sort_key, document = record.name.sort_key, record.to_document()
    stored = RecordSet.from_document(parse_name(name_of_sort_key(sort_key)), record.type, document)
    expected = render_element("ResourceRecordSet", record_set(stored))
    assert stored_record_set_xml(name_of_sort_key(sort_key), record.type, document) == expected


def test_a_page_rendered_again_or_after_an_edit_gives_what_each_row_renders_to() -> None:
    long_txt = RecordSet(NAME, "TXT", ttl=300, values=('"' + "x" * 250 + '"',) * 8)
    assert len(long_txt.to_document()) > RENDERED_ROW_CHARS  # rendered afresh every time, never kept
    edited = RecordSet(NAME, "A", ttl=300, values=("192.0.2.9",))  # the same set as RECORD_SETS[0], edited
    pages = [[*RECORD_SETS, long_txt], [*RECORD_SETS, long_txt], [edited, *RECORD_SETS[1:]]]
    for page in pages:
        rows = [(name_of_sort_key(r.name.sort_key), r.type, r.to_document()) for r in page]
        expected = "".join(render_element("ResourceRecordSet", record_set(r)) for r in page)
        assert str(stored_record_sets_xml(rows)) == expected


ZONES = [
    ZoneView("Z0495682VQJK7N9GFOQI", "example.com.", "ref-1", None, None, None, 2, "123456789012"),
    ZoneView("Z1", "a\\100b.example.", 'ref <&> "2"', "a comment & more", "vpc-1", "us-east-1", 10_000, "123456789012"),
    ZoneView("Z2", "empty-comment.example.", "r", "", None, None, 0, "123456789012"),
]


def test_a_page_of_hosted_zones_renders_as_each_zone_does() -> None:
    expected = render("ListHostedZonesResponse", {"HostedZones": {"HostedZone": [hosted_zone(z) for z in ZONES]}})
    assert render("ListHostedZonesResponse", {"HostedZones": hosted_zones_xml(ZONES)}) == expected
    empty = render("ListHostedZonesResponse", {"HostedZones": {"HostedZone": []}})
    assert render("ListHostedZonesResponse", {"HostedZones": hosted_zones_xml([])}) == empty


def test_list_pages_select_the_columns_of_a_zone_view_in_its_field_order() -> None:
    assert tuple(ZoneView.__dataclass_fields__) == ZONE_VIEW_FIELDS
