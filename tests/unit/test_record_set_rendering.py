"""ListResourceRecordSets renders stored rows by template: the same bytes as rendering each ``RecordSet``."""

import pytest

from app.protocol.record_sets import record_set, stored_record_set_xml
from app.protocol.xml import render_element
from app.records.names import parse_name
from app.records.record_set import AliasTarget, RecordSet
from app.services.rows import name_of_sort_key

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
