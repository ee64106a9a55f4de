"""Which hosted zone answers a query name (app.authoritative.zones): the longest public zone name that
contains it, the oldest among same-named zones, never a private zone, the parent for a DS at a child's apex."""

from datetime import UTC, datetime

from app.authoritative.zones import ZoneRef, answering_zone, candidate_keys, sort_key_label
from app.services.hosted_zones import sort_key


def zone(zone_id: str, second: int, private: bool = False) -> ZoneRef:
    return ZoneRef(zone_id, 1, private, datetime(2026, 1, 1, 0, 0, second, tzinfo=UTC))


def test_candidate_keys_are_the_stored_sort_keys_of_the_name_and_its_ancestors() -> None:
    keys = candidate_keys((b"WWW", b"Example", b"com"))
    assert keys == ("com.example.www.", "com.example.", "com.")
    assert keys == tuple(sort_key(name) for name in ("www.example.com.", "example.com.", "com."))
    assert candidate_keys(()) == ()


def test_labels_with_other_octets_are_spelled_as_zone_names_are_stored() -> None:
    assert sort_key_label(b"a_b-c") == "a_b-c"
    assert sort_key_label(b"*") == "*"
    assert sort_key_label(b"a.b") == "a\\046b"
    assert sort_key_label(b"\x00\xff") == "\\000\\255"


def test_longest_public_name_answers() -> None:
    keys = candidate_keys((b"www", b"sub", b"example", b"com"))
    rows = {"com.example.": (zone("PARENT", 1),), "com.example.sub.": (zone("CHILD", 2),)}
    assert answering_zone(keys, rows) == rows["com.example.sub."][0]
    assert answering_zone(candidate_keys((b"x", b"example", b"com")), rows) == rows["com.example."][0]
    assert answering_zone(candidate_keys((b"example", b"org")), rows) is None


def test_private_zones_never_answer() -> None:
    keys = candidate_keys((b"www", b"example", b"com"))
    assert answering_zone(keys, {"com.example.": (zone("PRIVATE", 1, private=True),)}) is None
    rows = {"com.example.": (zone("PUBLIC", 1),), "com.example.www.": (zone("PRIVATE", 0, private=True),)}
    assert answering_zone(keys, rows) == rows["com.example."][0]


def test_the_oldest_of_same_named_zones_answers_then_the_lowest_id() -> None:
    keys = candidate_keys((b"example", b"com"))
    newer, older, older_higher_id = zone("ZA", 5), zone("ZC", 1), zone("ZD", 1)
    assert answering_zone(keys, {"com.example.": (newer, older_higher_id, older)}) == older


def test_a_ds_query_at_a_child_apex_goes_to_the_parent_when_it_is_hosted_here() -> None:
    keys = candidate_keys((b"sub", b"example", b"com"))
    parent, child = zone("PARENT", 1), zone("CHILD", 2)
    rows = {"com.example.": (parent,), "com.example.sub.": (child,)}
    assert answering_zone(keys, rows, ds=True) == parent
    assert answering_zone(keys, rows, ds=False) == child
    assert answering_zone(keys, {"com.example.sub.": (child,)}, ds=True) == child  # no parent here: the child
    below = candidate_keys((b"www", b"sub", b"example", b"com"))
    assert answering_zone(below, rows, ds=True) == child  # below the apex the child answers DS too
