"""Record values as Route 53 checks them: every type's typical and tricky valid values read as dnspython reads
the equivalent zone-file text, every refused value gets its exact message (docs/record-values.md), and the
set-level rules (one value for CNAME/SOA, duplicates, 400 values)."""

import random

import botocore.session
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import pytest

from app.records.values import (
    MAX_VALUE_LENGTH,
    MAX_VALUES_PER_RECORD_SET,
    RECORD_TYPES,
    ValueRefused,
    to_rdata,
    value_problems,
)

MODEL = botocore.session.get_session().get_service_model("route53")

EXTERNAL_DNS = '"heritage=external-dns,external-dns/owner=x,external-dns/resource=service/ns/name"'
CERT_MANAGER = '"Rv-dNSBWK2rSqvtJ2c7dSmA5KBz-5L8hPkm5gOLZqpw"'
CERTBOT = '"9Zp2Q3yUqL0mbh1vK8Jx4nTz7cWfGeRsAoYdHiPl6Bk"'
DKIM_KEY = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA" + "x" * 350 + "IDAQAB"
DKIM_TEXT = "v=DKIM1; k=rsa; p=" + DKIM_KEY
DKIM = " ".join(f'"{DKIM_TEXT[i : i + 255]}"' for i in range(0, len(DKIM_TEXT), 255))
DIGEST_SHA1 = "2BB183AF5F22588179A53B0A98631FAD1A292118"  # RFC 4034 §5.4
DIGEST_SHA256 = "B4C8C1FE2E7477127B27115656AD6256F424625BF5C1E2770CE6D6E37DF61D17"  # RFC 6605 Appendix A.1
SOA = "ns-2048.awsdns-64.com. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400"
LONG_LABEL = "a" * 64
ESCAPED_A = "\\101"  # one octet, "A" (Route 53 escapes are octal)
LONG_NAME = ".".join(["a" * 63] * 4)  # 4 * 64 + 1 = 257 octets

# type → (value as sent to Route 53, the same record as zone-file text with absolute names)
VALID: dict[str, list[tuple[str, str]]] = {
    "SOA": [
        (SOA, SOA),
        (
            "ns1.example.com hostmaster.example.com 2024010101 3600 600 604800 300",
            "ns1.example.com. hostmaster.example.com. 2024010101 3600 600 604800 300",
        ),
        (
            "ns1.example.com. admin.example.com. 4294967295 0 0 0 0",
            "ns1.example.com. admin.example.com. 4294967295 0 0 0 0",
        ),
    ],
    "A": [
        ("192.0.2.1", "192.0.2.1"),
        ("0.0.0.0", "0.0.0.0"),
        ("255.255.255.255", "255.255.255.255"),
        ("10.0.0.10", "10.0.0.10"),
    ],
    "TXT": [
        (EXTERNAL_DNS, EXTERNAL_DNS),
        (CERT_MANAGER, CERT_MANAGER),
        (CERTBOT, CERTBOT),
        ('"a" "b"', '"a" "b"'),
        ('"a""b"', '"a" "b"'),
        ('  "a"   "b"  ', '"a" "b"'),
        (DKIM, DKIM),
        ('"say \\"hi\\""', '"say \\"hi\\""'),
        ('"caf\\303\\251 \\073 \\\\ \\x"', '"caf\\195\\169 ; \\\\ x"'),
        ('""', '""'),
        ('"v=spf1 include:_spf.google.com ~all"', '"v=spf1 include:_spf.google.com ~all"'),
        ('"; (not a comment) @"', '"\\; \\(not a comment\\) @"'),
        (f'"{"x" * 255}"', f'"{"x" * 255}"'),
        ('"' + ESCAPED_A * 255 + '"', '"' + "A" * 255 + '"'),
    ],
    "NS": [
        ("ns-1.awsdns-01.org.", "ns-1.awsdns-01.org."),
        ("ns1.example.com", "ns1.example.com."),
        ("NS2.Example.COM", "NS2.Example.COM."),
    ],
    "CNAME": [
        ("target.example.com", "target.example.com."),
        ("target.example.com.", "target.example.com."),
        ("172.21.200.100", "172.21.200.100."),
        ("_abc123.acm-validations.aws.", "_abc123.acm-validations.aws."),
        ("\\052.example.com", "*.example.com."),
        ("a\\056b.example.com", "a\\.b.example.com."),
        ("@", "\\@."),
        ("a;b(c).example.com", "a\\;b\\(c\\).example.com."),
        ('a"b.example.com', 'a\\"b.example.com.'),
        (".", "."),
    ],
    "MX": [
        ("10 mail.example.com", "10 mail.example.com."),
        ("10 mail.example.com.", "10 mail.example.com."),
        ("0 .", "0 ."),
        ("65535 MAIL.Example.COM", "65535 MAIL.Example.COM."),
        ("10 @", "10 \\@."),
        ("10 a;b.example.com", "10 a\\;b.example.com."),
        ("10 \\100mail.example.com", "10 \\@mail.example.com."),
        ('10 a\\"b.example.com', '10 a\\"b.example.com.'),
    ],
    "NAPTR": [
        (
            '100 10 "u" "E2U+sip" "!^.*$!sip:information@foo.se!i" .',
            '100 10 "u" "E2U+sip" "!^.*$!sip:information@foo.se!i" .',
        ),
        (
            '100 50 "s" "z3950+I2L+I2C" "" _z3950._tcp.gatech.edu',
            '100 50 "s" "z3950+I2L+I2C" "" _z3950._tcp.gatech.edu.',
        ),
    ],
    "PTR": [("host.example.com", "host.example.com."), ("host.example.com.", "host.example.com.")],
    "SRV": [
        ("1 2 3 t.", "1 2 3 t."),
        ("10 5 5060 sip.example.com", "10 5 5060 sip.example.com."),
        ("0 0 0 .", "0 0 0 ."),
    ],
    "SPF": [
        ('"v=spf1 -all"', '"v=spf1 -all"'),
        ('"v=spf1 " "ip4:192.0.2.0/24 -all"', '"v=spf1 " "ip4:192.0.2.0/24 -all"'),
    ],
    "AAAA": [
        ("2001:db8::1", "2001:db8::1"),
        ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
        ("::ffff:192.0.2.1", "::ffff:192.0.2.1"),
        ("::", "::"),
    ],
    "CAA": [
        ('0 issue "letsencrypt.org"', '0 issue "letsencrypt.org"'),
        ('0 issuewild ";"', '0 issuewild ";"'),
        ('0 iodef "mailto:security@example.com"', '0 iodef "mailto:security@example.com"'),
        ('128 issue "ca.example.net; account=230123"', '128 issue "ca.example.net; account=230123"'),
        ('0 ISSUE "amazon.com"', '0 ISSUE "amazon.com"'),
    ],
    "DS": [
        (f"60485 5 1 {DIGEST_SHA1}", f"60485 5 1 {DIGEST_SHA1}"),
        (f"60485 5 1 {DIGEST_SHA1.lower()}", f"60485 5 1 {DIGEST_SHA1}"),
        (f"55648 13 2 {DIGEST_SHA256}", f"55648 13 2 {DIGEST_SHA256}"),
        (f"55648 13 2 {DIGEST_SHA256.lower()}", f"55648 13 2 {DIGEST_SHA256}"),
    ],
    "TLSA": [
        (
            "0 0 1 d2abde240d7cd3ee6b4b28c54df034b97983a1d16e8a410e4561cb106618e971",
            "0 0 1 d2abde240d7cd3ee6b4b28c54df034b97983a1d16e8a410e4561cb106618e971",
        ),
        (
            "3 1 1 D2ABDE240D7CD3EE6B4B28C54DF034B97983A1D16E8A410E4561CB106618E971",
            "3 1 1 d2abde240d7cd3ee6b4b28c54df034b97983a1d16e8a410e4561cb106618e971",
        ),
    ],
    "SSHFP": [
        ("2 1 123456789abcdef67890123456789abcdef67890", "2 1 123456789abcdef67890123456789abcdef67890"),
        (f"4 2 {DIGEST_SHA256}", f"4 2 {DIGEST_SHA256.lower()}"),
    ],
    "SVCB": [
        ('1 . alpn="h2,h3"', '1 . alpn="h2,h3"'),
        ("0 svc.example.com", "0 svc.example.com."),
        ("16 foo.example.org. port=53 mandatory=port", "16 foo.example.org. mandatory=port port=53"),
    ],
    "HTTPS": [
        ('1 . alpn="h2,h3"', '1 . alpn="h2,h3"'),
        (
            "1 . alpn=h2 ipv4hint=192.0.2.1 ipv6hint=2001:db8::1",
            '1 . alpn="h2" ipv4hint="192.0.2.1" ipv6hint="2001:db8::1"',
        ),
        ("0 cdn.example.net", "0 cdn.example.net."),
        ("1 svc.example.com. port=8443", "1 svc.example.com. port=8443"),
    ],
}


def invalid(problem: str, value: str) -> str:
    return f"Invalid Resource Record: 'FATAL problem: {problem} encountered with '{value}''"


IPV4 = "ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address)"
IPV6 = "AAAARRDATAIllegalIPv6Address (Value is not a valid IPv6 address)"
NOT_QUOTED = "InvalidCharacterString (Value should be enclosed in quotation marks)"
TOO_LONG_STRING = "CharacterStringTooLong (Value is too long)"
UNSUPPORTED = "UnsupportedCharacter (Value contains unsupported characters)"
LABEL_EMPTY = "DomainLabelEmpty (Domain label is empty)"
LABEL_TOO_LONG = "DomainLabelTooLong (Domain label is too long)"
NAME_TOO_LONG = "DomainNameTooLong (Domain name is too long)"
ESCAPE = "IllegalEscapeSequence (Value contains an illegal escape sequence)"
SOA_FORMAT = "SOARRDATAIllegalFormat (Value should be a primary name server, an administrator mailbox and five numbers)"
MX_FORMAT = "MXRRDATAIllegalFormat (Value should be a priority from 0 to 65535 and a mail server name)"
NAPTR_FORMAT = "NAPTRRRDATAIllegalFormat (Value should be order and preference from 0 to 65535, quoted flags, service and regexp, and a replacement name)"
SRV_FORMAT = "SRVRRDATAIllegalFormat (Value should be priority, weight and port from 0 to 65535 and a target name)"
CAA_FORMAT = "CAARRDATAIllegalFormat (Value should be flags from 0 to 255, a tag and a quoted value)"
CAA_TAG = "CAARRDATAIllegalTag (Tag should contain only letters and digits)"
DS_FORMAT = "DSRRDATAIllegalFormat (Value should be a key tag, an algorithm, a digest type and a hexadecimal digest of that type's length)"
TLSA_FORMAT = "TLSARRDATAIllegalFormat (Value should be usage, selector and matching type from 0 to 255 and a hexadecimal certificate association)"
SSHFP_FORMAT = "SSHFPRRDATAIllegalFormat (Value should be an algorithm and a fingerprint type from 0 to 255 and a hexadecimal fingerprint)"
SVCB_FORMAT = (
    "SVCBRRDATAIllegalFormat (Value should be a priority from 0 to 65535, a target name and service parameters)"
)
HTTPS_FORMAT = (
    "HTTPSRRDATAIllegalFormat (Value should be a priority from 0 to 65535, a target name and service parameters)"
)

# (type, value, problem)
INVALID: list[tuple[str, str, str]] = [
    ("SOA", "ns. host. 1 2h 900 1209600 86400", SOA_FORMAT),
    ("SOA", "ns. host. 1 7200 900 1209600", SOA_FORMAT),
    ("SOA", "ns. host. 4294967296 7200 900 1209600 86400", SOA_FORMAT),
    ("SOA", "ns..example. host. 1 7200 900 1209600 86400", LABEL_EMPTY),
    ("A", "a87d1f0e2e6a8.elb.ap-southeast-1.amazonaws.com", IPV4),
    ("A", "192.0.2.256", IPV4),
    ("A", "01.2.3.4", IPV4),
    ("A", "192.0.2", IPV4),
    ("A", "192.0.2.1.", IPV4),
    ("A", "", IPV4),
    ("A", "2001:db8::1", IPV4),
    ("A", "192.0.2.1 192.0.2.2", "ARRDATANotSingleField (Value contains spaces)"),
    ("A", " 192.0.2.1", "ARRDATANotSingleField (Value contains spaces)"),
    ("TXT", "v=spf1 -all", NOT_QUOTED),
    ("TXT", '"a" b', NOT_QUOTED),
    ("TXT", '"a"b', NOT_QUOTED),
    ("TXT", '"abc', NOT_QUOTED),
    ("TXT", '"abc\\"', NOT_QUOTED),
    ("TXT", "", NOT_QUOTED),
    ("TXT", "   ", NOT_QUOTED),
    ("TXT", f'"{"x" * 256}"', TOO_LONG_STRING),
    ("TXT", f'"ok" "{"x" * 256}"', TOO_LONG_STRING),
    ("TXT", '"' + ESCAPED_A * 256 + '"', TOO_LONG_STRING),
    ("TXT", f'"{DKIM_TEXT}"', TOO_LONG_STRING),
    ("TXT", '"\\999"', ESCAPE),
    ("TXT", '"\\12"', ESCAPE),
    ("TXT", '"\\059"', ESCAPE),
    ("TXT", '"\\400"', ESCAPE),
    ("TXT", '"café"', UNSUPPORTED),
    ("TXT", '"a\tb"', UNSUPPORTED),
    ("NS", "ns1.example.com ns2.example.com", "NSRRDATANotSingleField (Value contains spaces)"),
    ("NS", ".example.com", LABEL_EMPTY),
    ("CNAME", "a..example.com", LABEL_EMPTY),
    ("CNAME", "", LABEL_EMPTY),
    ("CNAME", f"{LONG_LABEL}.example.com", LABEL_TOO_LONG),
    ("CNAME", LONG_NAME, NAME_TOO_LONG),
    ("CNAME", "bad\\999.example.com", ESCAPE),
    ("CNAME", "bad\\05.example.com", ESCAPE),
    ("CNAME", "bad\\", ESCAPE),
    ("MX", "10 bad\\8.example.com", ESCAPE),
    ("CNAME", "target example.com", "CNAMERRDATANotSingleField (Value contains spaces)"),
    ("CNAME", "tärget.example.com", UNSUPPORTED),
    ("MX", "mail.example.com", MX_FORMAT),
    ("MX", "65536 mail.example.com", MX_FORMAT),
    ("MX", "-1 mail.example.com", MX_FORMAT),
    ("MX", "10", MX_FORMAT),
    ("MX", "10 mail.example.com backup.example.com", MX_FORMAT),
    ("MX", "\\# 4 000A0000", MX_FORMAT),
    ("MX", "10 mail..example.com", LABEL_EMPTY),
    ("MX", f"10 {LONG_LABEL}.example.com", LABEL_TOO_LONG),
    ("MX", f"10 {LONG_NAME}", NAME_TOO_LONG),
    ("NAPTR", '100 10 u E2U+sip "!^.*$!sip:info@example.com!" .', NAPTR_FORMAT),
    ("NAPTR", '100 10 "u" "E2U+sip" "!^.*$!sip:info@example.com!"', NAPTR_FORMAT),
    ("NAPTR", '65536 10 "u" "E2U+sip" "" .', NAPTR_FORMAT),
    ("PTR", f"{LONG_LABEL}.example.com", LABEL_TOO_LONG),
    ("SRV", "1 2 t.example.com", SRV_FORMAT),
    ("SRV", "1 2 65536 t.example.com", SRV_FORMAT),
    ("SRV", "1 2 3 t..example.com", LABEL_EMPTY),
    ("SPF", "v=spf1 -all", NOT_QUOTED),
    ("AAAA", "192.0.2.1", IPV6),
    ("AAAA", "fe80::1%eth0", IPV6),
    ("AAAA", "2001:db8::1::2", IPV6),
    ("AAAA", "2001:db8::g", IPV6),
    ("AAAA", "2001:db8::1 2001:db8::2", "AAAARRDATANotSingleField (Value contains spaces)"),
    ("CAA", "0 issue letsencrypt.org", CAA_FORMAT),
    ("CAA", '256 issue "letsencrypt.org"', CAA_FORMAT),
    ("CAA", "0 issue", CAA_FORMAT),
    ("CAA", '0 issue "a" "b"', CAA_FORMAT),
    ("CAA", '0 iss-ue "letsencrypt.org"', CAA_TAG),
    ("CAA", '0 "issue" "letsencrypt.org"', CAA_TAG),
    ("DS", f"60485 5 2 {DIGEST_SHA1}", DS_FORMAT),
    ("DS", f"60485 5 0 {DIGEST_SHA1}", DS_FORMAT),
    ("DS", "60485 5 1 ZZ", DS_FORMAT),
    ("DS", "60485 5 1", DS_FORMAT),
    ("DS", f"65536 13 2 {DIGEST_SHA256}", DS_FORMAT),
    ("TLSA", "3 1 1 xyz", TLSA_FORMAT),
    ("TLSA", "256 1 1 abcd", TLSA_FORMAT),
    ("TLSA", "3 1 1", TLSA_FORMAT),
    ("SSHFP", "4 2 xyz", SSHFP_FORMAT),
    ("SSHFP", "4 2", SSHFP_FORMAT),
    ("SVCB", "1 . foo=bar", SVCB_FORMAT),
    ("SVCB", "0 svc.example.com. alpn=h2", SVCB_FORMAT),
    ("SVCB", "65536 .", SVCB_FORMAT),
    ("SVCB", "1 svc..example.com.", LABEL_EMPTY),
    ("HTTPS", "1 . port=99999", HTTPS_FORMAT),
    ("HTTPS", "1", HTTPS_FORMAT),
]


def zone_file_rdata(rtype: str, text: str) -> dns.rdata.Rdata:
    return dns.rdata.from_text(
        dns.rdataclass.IN, dns.rdatatype.from_text(rtype), text, origin=dns.name.root, relativize=False
    )


def test_record_types_are_the_models_rrtype_enum_in_order() -> None:
    assert list(RECORD_TYPES) == MODEL.shape_for("RRType").enum


def test_every_record_type_has_valid_and_invalid_cases() -> None:
    assert set(VALID) == set(RECORD_TYPES)
    assert {rtype for rtype, _, _ in INVALID} == set(RECORD_TYPES)


def test_value_length_limit_is_the_models() -> None:
    assert MODEL.shape_for("RData").metadata["max"] == MAX_VALUE_LENGTH


@pytest.mark.parametrize(("rtype", "value", "zone_text"), [(t, v, z) for t, cases in VALID.items() for v, z in cases])
def test_valid_value_reads_as_its_zone_file_text(rtype: str, value: str, zone_text: str) -> None:
    assert value_problems(rtype, [value]) == []
    rdata = to_rdata(rtype, value)
    assert rdata == zone_file_rdata(rtype, zone_text)
    assert rdata.to_text() == zone_file_rdata(rtype, zone_text).to_text()
    assert zone_file_rdata(rtype, rdata.to_text()) == rdata


@pytest.mark.parametrize(("rtype", "value", "problem"), INVALID)
def test_invalid_value_has_its_exact_message(rtype: str, value: str, problem: str) -> None:
    assert value_problems(rtype, [value]) == [invalid(problem, value)]
    with pytest.raises(ValueRefused):
        to_rdata(rtype, value)


def test_message_format_is_route53s() -> None:
    """2021-2024 captures: an opening ' after "Record: " and a doubled closing ''."""
    assert value_problems("A", ["a87.elb.ap-southeast-1.amazonaws.com"]) == [
        "Invalid Resource Record: 'FATAL problem: ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address) "
        "encountered with 'a87.elb.ap-southeast-1.amazonaws.com''"
    ]


def test_names_inside_values_are_absolute() -> None:
    assert to_rdata("CNAME", "target.example.com").to_text() == "target.example.com."
    assert to_rdata("MX", "10 mail.example.com").to_text() == "10 mail.example.com."
    assert to_rdata("SRV", "1 2 3 t").to_text() == "1 2 3 t."
    assert to_rdata("SOA", "ns hostmaster 1 2 3 4 5").to_text() == "ns. hostmaster. 1 2 3 4 5"


@pytest.mark.parametrize("rtype", RECORD_TYPES)
def test_value_over_4000_characters(rtype: str) -> None:
    value = " ".join(['"' + "x" * 200 + '"'] * 20)  # 4039 characters of valid TXT strings
    assert len(value) > MAX_VALUE_LENGTH
    message = invalid("RRDATATooLong (Value is longer than 4000 characters)", value)
    assert value_problems(rtype, [value]) == [message]


def test_txt_of_4000_characters_is_accepted() -> None:
    full = " ".join(['"' + "x" * 255 + '"'] * 15)
    value = full + ' "' + "x" * (MAX_VALUE_LENGTH - len(full) - 3) + '"'
    assert len(value) == MAX_VALUE_LENGTH
    assert value_problems("TXT", [value]) == []


@pytest.mark.parametrize("rtype", sorted(["CNAME", "SOA"]))
def test_cname_and_soa_take_one_value(rtype: str) -> None:
    first, second = {"CNAME": ("a.example.com", "b.example.com"), "SOA": (SOA, SOA.replace(" 1 ", " 2 "))}[rtype]
    assert value_problems(rtype, [first]) == []
    assert value_problems(rtype, [first, second, first]) == [
        invalid(f"{rtype}RRDATANotSingleValue (A {rtype} record set can have only one value)", second),
        invalid(f"{rtype}RRDATANotSingleValue (A {rtype} record set can have only one value)", first),
    ]


def test_a_bad_second_cname_reports_its_own_problem() -> None:
    assert value_problems("CNAME", ["a.example.com", "b..example.com"]) == [invalid(LABEL_EMPTY, "b..example.com")]


@pytest.mark.parametrize(
    ("rtype", "values"),
    [
        ("A", ["192.0.2.1", "192.0.2.1"]),
        ("AAAA", ["2001:db8::1", "2001:DB8:0::1"]),
        ("TXT", ['"a" "b"', '"a""b"']),
        ("TXT", ['"A"', '"\\101"']),
        ("MX", ["10 mail.example.com", "10 MAIL.example.com."]),
        ("NS", ["ns1.example.com", "NS1.EXAMPLE.COM."]),
        ("CAA", ['0 issue "letsencrypt.org"', '0  issue  "letsencrypt.org"']),
        ("DS", [f"55648 13 2 {DIGEST_SHA256}", f"55648 13 2 {DIGEST_SHA256.lower()}"]),
    ],
)
def test_a_value_equal_in_meaning_to_an_earlier_one_is_a_duplicate(rtype: str, values: list[str]) -> None:
    assert value_problems(rtype, values) == [f"Duplicate Resource Record: '{values[1]}'"]


def test_values_that_differ_are_not_duplicates() -> None:
    assert value_problems("TXT", ['"a"', '"A"', '"a" ""', '"a "']) == []
    assert value_problems("MX", ["10 mail.example.com", "20 mail.example.com"]) == []
    assert value_problems("A", ["192.0.2.1", "192.0.2.10"]) == []


def test_messages_come_in_value_order_one_per_bad_value() -> None:
    values = ["192.0.2.1", "bad", "192.0.2.1", "192.0.2.1", "1.2.3.4 5", "192.0.2.2"]
    assert value_problems("A", values) == [
        invalid(IPV4, "bad"),
        "Duplicate Resource Record: '192.0.2.1'",
        "Duplicate Resource Record: '192.0.2.1'",
        invalid("ARRDATANotSingleField (Value contains spaces)", "1.2.3.4 5"),
    ]


def test_at_most_400_values_in_a_record_set() -> None:
    values = [f"10.0.{i // 256}.{i % 256}" for i in range(MAX_VALUES_PER_RECORD_SET + 1)]
    assert value_problems("A", values[:MAX_VALUES_PER_RECORD_SET]) == []
    assert value_problems("A", values) == ["Cannot have more than 400 records in a RRSet."]
    assert value_problems("A", ["bad", *values]) == [
        invalid(IPV4, "bad"),
        "Cannot have more than 400 records in a RRSet.",
    ]


def test_values_are_not_rewritten() -> None:
    values = ['"a""b"', '  "c"  ']
    copy = list(values)
    assert value_problems("TXT", values) == []
    assert values == copy


def test_unknown_type_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown record type 'ALIAS'"):
        value_problems("ALIAS", ["x"])
    with pytest.raises(ValueError, match="unknown record type 'DNSKEY'"):
        to_rdata("DNSKEY", "257 3 13 AAAA")


def test_random_input_never_raises_and_to_rdata_agrees() -> None:
    rng = random.Random(53)
    pieces = ["0", "10", "65536", ".", "a.example.com", '"x"', '"', "\\", "\\#", "@", "(", ")", ";", "issue", "1h"]
    pieces += ["alpn=h2", 'alpn="h2,h3"', "port=443", "\\000", "\\999", "\\052", "é", "\t", "x..y", "2001:db8::1"]
    pieces += ["ab" * 32, "192.0.2.1"]
    for _ in range(5000):
        rtype = rng.choice(RECORD_TYPES)
        value = " ".join(rng.choice(pieces) for _ in range(rng.randint(0, 7)))
        problems = value_problems(rtype, [value])
        assert len(problems) <= 1
        if problems:
            with pytest.raises(ValueRefused):
                to_rdata(rtype, value)
        else:
            rdata = to_rdata(rtype, value)
            assert zone_file_rdata(rtype, rdata.to_text()) == rdata
