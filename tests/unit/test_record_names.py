"""Route 53 record names: what clients may send, the form Route 53 returns, zone membership by labels."""

import dns.name
import pytest

from app.records.names import NameProblem, parse_name


@pytest.mark.parametrize(
    ("sent", "returned"),
    [
        ("www.example.com", "www.example.com."),
        ("WWW.Example.COM.", "www.example.com."),
        ("*.example.com", "\\052.example.com."),
        ("\\052.example.com", "\\052.example.com."),
        ("a*b.example.com", "a\\052b.example.com."),
        ("_acme-challenge.example.com", "_acme-challenge.example.com."),
        ("@.example.com", "\\100.example.com."),
        ("a\\056b.example.com", "a\\056b.example.com."),  # a literal dot inside a label
        ("\\101.example.com", "a.example.com."),  # octal 101 is "A"
        ("x\\040y.example.com", "x\\040y.example.com."),  # a space, escaped
    ],
)
def test_names_come_back_lower_case_escaped_and_absolute(sent: str, returned: str) -> None:
    assert parse_name(sent).text == returned


def test_escapes_are_octal_not_decimal() -> None:
    """``\\052`` is ``*`` (octal 52 = 42), where RFC 1035's decimal reading would give ``4``."""
    assert parse_name("\\052.example.com").labels[0] == b"*"
    assert dns.name.from_text("\\052.example.com").labels[0] == b"4"


@pytest.mark.parametrize(
    ("sent", "message"),
    [
        ("", "FATAL problem: DomainNameEmpty (Domain name is empty) encountered with ''"),
        ("example.org..", "FATAL problem: DomainLabelEmpty (Domain label is empty) encountered with 'example.org..'"),
        ("a..b.com", "FATAL problem: DomainLabelEmpty (Domain label is empty) encountered with 'a..b.com'"),
        (
            "a b.com",
            "FATAL problem: UnsupportedCharacter (Value contains unsupported characters) encountered with 'a b.com'",
        ),
        (
            "é.com",
            "FATAL problem: UnsupportedCharacter (Value contains unsupported characters) encountered with 'é.com'",
        ),
        (
            "x" * 64 + ".com",
            f"FATAL problem: LabelTooLong (Domain label is too long) encountered with '{'x' * 64}.com'",
        ),
        (
            ".".join(["x" * 63] * 4),
            f"FATAL problem: DomainNameTooLong (Domain name is too long) encountered with '{'.'.join(['x' * 63] * 4)}'",
        ),
    ],
)
def test_invalid_names_give_route53_fatal_problems(sent: str, message: str) -> None:
    with pytest.raises(NameProblem) as raised:
        parse_name(sent)
    assert raised.value.message == message


def test_zone_membership_is_by_labels() -> None:
    zone = parse_name("example.com")
    assert parse_name("example.com").is_within(zone)
    assert parse_name("a.b.example.com").is_within(zone)
    assert not parse_name("badexample.com").is_within(zone)
    assert not parse_name("com").is_within(zone)


def test_sort_keys_reverse_the_labels_and_order_as_route53_lists() -> None:
    assert parse_name("www.example.com").sort_key == "com.example.www."
    names = ["b.example.com", "example.com", "a.b.example.com", "*.example.com", "a-b.example.com", "a.example.com"]
    ordered = sorted(names, key=lambda name: parse_name(name).sort_key)
    # ASCII order of the reversed form: "-" (0x2d) sorts before "." (0x2e), a child after its parent.
    assert ordered == [
        "example.com",
        "*.example.com",
        "a-b.example.com",
        "a.example.com",
        "b.example.com",
        "a.b.example.com",
    ]


def test_wildcards_are_a_whole_leftmost_star_label() -> None:
    assert parse_name("*.example.com").is_wildcard
    assert not parse_name("a*.example.com").is_wildcard
    assert not parse_name("a.*.example.com").is_wildcard


def test_dnspython_form_has_the_same_octets() -> None:
    assert parse_name("\\052.Example.com").to_dns() == dns.name.from_text("*.example.com")
