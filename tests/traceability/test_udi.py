"""UDI barcode parsing: GS1 (element strings, Digital Link) and HIBC, and the messages that
say what is wrong and where. Pure functions, no database."""

from __future__ import annotations

import calendar
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from medrecall.traceability.udi import ParsedUDI, parse_udi

VECTORS_FILE = (
    Path(__file__).resolve().parents[1]
    / "fixtures"
    / "udi"
    / "gs1_demo_vectors_from_biip_tests.json"
)
VECTORS: list[dict[str, Any]] = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))["vectors"]
UDI_AIS = {"01", "10", "11", "17", "21"}
GS = "\x1d"

HIBC_SET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-. $/+%"
# GS1 character set 82 (what AI 10 and AI 21 may hold).
CSET_82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
THIS_YEAR = datetime.now(tz=UTC).year
PROPERTY = settings(max_examples=200, deadline=None)


def hibc(body: str) -> str:
    """``body`` plus its modulo-43 check character, computed independently of the parser."""
    return body + HIBC_SET[sum(HIBC_SET.index(char) for char in body) % 43]


def gtin_with_check_digit(body: str) -> str:
    """GTIN-14 from 13 digits: 3-1 weighting from the right."""
    total = sum(
        int(digit) * (3 if index % 2 == 0 else 1) for index, digit in enumerate(reversed(body))
    )
    return body + str((10 - total % 10) % 10)


def fields(parsed: ParsedUDI) -> tuple[object, ...]:
    return (
        parsed.symbology,
        parsed.gtin,
        parsed.lot,
        parsed.serial,
        parsed.expiry,
        parsed.production_date,
    )


def refused(parsed: ParsedUDI) -> tuple[object, ...]:
    """An invalid result carries its message and nothing half-read."""
    return (
        parsed.valid,
        parsed.gtin,
        parsed.lot,
        parsed.serial,
        parsed.expiry,
        parsed.production_date,
        parsed.error,
    )


def d(text: str) -> date:
    return date.fromisoformat(text)


def invalid(message: str) -> tuple[object, ...]:
    return (False, None, None, None, None, None, message)


# --- GS1 vectors from the biip test suite -------------------------------------------------

MEDICAL_VECTORS = [v for v in VECTORS if v["biip_ok"] and UDI_AIS & set(v["elements"])]
REJECTED_BY_BIIP = [v for v in VECTORS if not v["biip_ok"]]
BAD_CHECK_DIGIT_VECTOR = "0105901234123458"


@pytest.mark.parametrize(
    "vector",
    [
        pytest.param(v, id=v["source_file"].rsplit("/", 1)[-1])
        for v in MEDICAL_VECTORS
        if v["barcode"] != BAD_CHECK_DIGIT_VECTOR
    ],
)
def test_gs1_vectors_from_biip_tests(vector: dict[str, Any]) -> None:
    elements: dict[str, str] = vector["elements"]
    gtin = elements.get("01")
    expiry = elements.get("17")
    production = elements.get("11")
    parsed = parse_udi(vector["barcode"])
    assert (parsed.valid, parsed.error) == (True, None)
    assert fields(parsed) == (
        "GS1",
        gtin,
        elements.get("10"),
        elements.get("21"),
        d(expiry) if expiry else None,
        d(production) if production else None,
    )


def test_gs1_vector_with_wrong_gtin_check_digit_is_refused() -> None:
    """biip keeps AI 01 with a bad check digit as a side note; a UDI must refuse it."""
    assert BAD_CHECK_DIGIT_VECTOR in {v["barcode"] for v in MEDICAL_VECTORS}
    assert refused(parse_udi(BAD_CHECK_DIGIT_VECTOR)) == invalid(
        "AI 01: The GTIN 05901234123458 has check digit 8; it should be 7."
    )


# What we say about each barcode biip itself refuses (none of them is a readable UDI).
REFUSALS = {
    "07032069804988": "No GS1 Application Identifier starts at character 1 ('070320698049').",
    "07071324001022085952": "No GS1 Application Identifier starts at character 1 ('070713240010').",
    "7071324001022": "No GS1 Application Identifier starts at character 1 ('707132400102').",
    "15000000": "AI 15: 000000 is not a date (YYMMDD).",
    "1022222222222222222222aaa": "AI 10: the lot has 23 characters; at most 20 are allowed.",
    "701103020185": "AI 7011: '03020185' does not fit the format N4+N6[+N4].",
    "12345670": "AI 12: 345670 is not a date (YYMMDD).",
    "123601057072": "No GS1 Application Identifier starts at character 9 ('7072').",
    "12360105707": "No GS1 Application Identifier starts at character 9 ('707').",
    "0123601057072": "AI 01 at character 1 needs 14 characters; only 11 follow.",
    "5901234123457": "No GS1 Application Identifier starts at character 1 ('590123412345').",
    "590123412345": "No GS1 Application Identifier starts at character 1 ('590123412345').",
    "05901234123457": "No GS1 Application Identifier starts at character 1 ('059012341234').",
    "042100005264": "No GS1 Application Identifier starts at character 1 ('042100005264').",
    "04210000526": "No GS1 Application Identifier starts at character 1 ('04210000526').",
    "157035381410375177": "AI 15: 703538 is not a date (YYMMDD).",
    "15703538141037517": "AI 15: 703538 is not a date (YYMMDD).",
    "376130321109103421": "AI 37: '6130321109103421' does not fit the format N2+N..8.",
    "00123601057072": "AI 00 at character 1 needs 18 characters; only 12 follow.",
    "05901234123458": "No GS1 Application Identifier starts at character 1 ('059012341234').",
    "00123456789012": "AI 00 at character 1 needs 18 characters; only 12 follow.",
    "12345678901": "AI 12: 345678 is not a date (YYMMDD).",
    "123456789012": "AI 12: 345678 is not a date (YYMMDD).",
    "00614141123452": "AI 00 at character 1 needs 18 characters; only 12 follow.",
    "61414112345": "No GS1 Application Identifier starts at character 1 ('61414112345').",
    "614141123452": "No GS1 Application Identifier starts at character 1 ('614141123452').",
    "02824040005133": "AI 02 at character 1 needs 14 characters; only 12 follow.",
    "282404000513": "No GS1 Application Identifier starts at character 1 ('282404000513').",
}


@pytest.mark.parametrize(
    "vector", [pytest.param(v, id=v["source_file"].rsplit("/", 1)[-1]) for v in REJECTED_BY_BIIP]
)
def test_gs1_vectors_biip_rejects_are_refused(vector: dict[str, Any]) -> None:
    assert refused(parse_udi(vector["barcode"])) == invalid(REFUSALS[vector["barcode"]])


# --- GS1 element strings -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("barcode", "expected"),
    [
        pytest.param(
            "(01)09501101530003(17)240731(10)AB12",
            ("GS1", "09501101530003", "AB12", None, d("2024-07-31"), None),
            id="parentheses",
        ),
        pytest.param(
            "01095011015300031724073110AB12",
            ("GS1", "09501101530003", "AB12", None, d("2024-07-31"), None),
            id="raw",
        ),
        pytest.param(
            "0109501101530003172407311012AB34",
            ("GS1", "09501101530003", "12AB34", None, d("2024-07-31"), None),
            id="raw-lot-starting-with-digits",
        ),
        pytest.param(
            "(01) 09501101530003 (17) 240731 (10) AB12",
            ("GS1", "09501101530003", "AB12", None, d("2024-07-31"), None),
            id="parentheses-with-spaces",
        ),
        pytest.param(
            "(21)S1(10)L1(11)230115(01)09501101530003(17)270228",
            ("GS1", "09501101530003", "L1", "S1", d("2027-02-28"), d("2023-01-15")),
            id="parentheses-any-order",
        ),
        pytest.param(
            "11230115010950110153000317270228" + "10L1\x1d21S1",
            ("GS1", "09501101530003", "L1", "S1", d("2027-02-28"), d("2023-01-15")),
            id="raw-any-order",
        ),
        pytest.param(
            "(01)12345678901231",
            ("GS1", "12345678901231", None, None, None, None),
            id="check-digit-ok",
        ),
        pytest.param(
            "(10)ABCDEFGHIJKLMNOPQRST",
            ("GS1", None, "ABCDEFGHIJKLMNOPQRST", None, None, None),
            id="lot-of-20-characters",
        ),
        pytest.param(
            "(17)240731(10)LOT-7",
            ("GS1", None, "LOT-7", None, d("2024-07-31"), None),
            id="secondary-label-without-gtin",
        ),
    ],
)
def test_gs1_element_strings(barcode: str, expected: tuple[object, ...]) -> None:
    parsed = parse_udi(barcode)
    assert (fields(parsed), parsed.valid, parsed.error) == (expected, True, None)


@pytest.mark.parametrize(
    "barcode",
    [
        pytest.param("0109501101530003\x1d10AB12\x1d21XYZ\x1d17240731", id="ascii-29"),
        pytest.param("0109501101530003<GS>10AB12<GS>21XYZ<GS>17240731", id="literal-angle-gs"),
        pytest.param("0109501101530003{GS}10AB12{GS}21XYZ{GS}17240731", id="literal-brace-gs"),
        pytest.param("0109501101530003<gs>10AB12{gs}21XYZ\x1d17240731", id="mixed-case-and-kinds"),
        pytest.param(
            "\x1d0109501101530003\x1d\x1d10AB12\x1d21XYZ\x1d17240731\x1d",
            id="leading-doubled-trailing-fnc1",
        ),
        pytest.param("0109501101530003\x1d10AB12\x1d21XYZ\x1d17240731\r\n", id="scanner-enter"),
        pytest.param(
            "(01)09501101530003\x1d(10)AB12(21)XYZ<GS>(17)240731",
            id="separators-in-parentheses-form",
        ),
    ],
)
def test_group_separators(barcode: str) -> None:
    parsed = parse_udi(barcode)
    assert (fields(parsed), parsed.valid) == (
        ("GS1", "09501101530003", "AB12", "XYZ", d("2024-07-31"), None),
        True,
    )


@pytest.mark.parametrize(
    "prefix",
    [
        pytest.param("]C1", id="gs1-128"),
        pytest.param("]d2", id="gs1-datamatrix"),
        pytest.param("]Q3", id="gs1-qr"),
        pytest.param("]e0", id="gs1-databar"),
        pytest.param("]J1", id="gs1-dotcode"),
    ],
)
def test_symbology_identifier_is_stripped(prefix: str) -> None:
    parsed = parse_udi(prefix + "0109501101530003\x1d10AB12")
    assert (fields(parsed), parsed.valid) == (
        ("GS1", "09501101530003", "AB12", None, None, None),
        True,
    )


@pytest.mark.parametrize(
    ("barcode", "gtin"),
    [
        pytest.param("]E05901234123457", "05901234123457", id="ean-13"),
        pytest.param("]E496385074", "00000096385074", id="ean-8"),
        pytest.param("]I115012345678907", "15012345678907", id="itf-14"),
    ],
)
def test_ean_and_itf_symbologies_carry_a_bare_gtin(barcode: str, gtin: str) -> None:
    parsed = parse_udi(barcode)
    assert (fields(parsed), parsed.valid) == (("GS1", gtin, None, None, None, None), True)


@pytest.mark.parametrize(
    ("barcode", "expiry"),
    [
        pytest.param("(01)09501101530003(17)240200", d("2024-02-29"), id="leap-february"),
        pytest.param("(01)09501101530003(17)230200", d("2023-02-28"), id="february"),
        pytest.param("(01)09501101530003(17)241200", d("2024-12-31"), id="december"),
        pytest.param("0109501101530003172404001012", d("2024-04-30"), id="raw-april"),
    ],
)
def test_day_00_is_the_last_day_of_the_month(barcode: str, expiry: date) -> None:
    assert parse_udi(barcode).expiry == expiry


def test_day_00_production_date() -> None:
    assert parse_udi("(01)09501101530003(11)250600").production_date == d("2025-06-30")


def test_gtin_check_digit_failure_points_at_the_check_digit() -> None:
    assert parse_udi("(01)12345678901231").valid is True
    assert refused(parse_udi("(01)12345678901232")) == invalid(
        "AI 01: The GTIN 12345678901232 has check digit 2; it should be 1."
    )


@pytest.mark.parametrize(
    ("barcode", "message"),
    [
        pytest.param(
            "(01)09501101530003(10)ABCDEFGHIJKLMNOPQRSTU",
            "AI 10: the lot has 21 characters; at most 20 are allowed.",
            id="lot-21-parentheses",
        ),
        pytest.param(
            "0109501101530003" + "10" + "A" * 25 + "\x1d17240731",
            "AI 10: the lot has 25 characters; at most 20 are allowed.",
            id="lot-25-raw",
        ),
        pytest.param(
            "0109501101530003" + "10" + "1" * 20 + "17240731",
            "AI 10: the lot has 28 characters; at most 20 are allowed.",
            id="lot-runs-into-expiry-without-separator",
        ),
        pytest.param(
            "(01)09501101530003(21)" + "9" * 22,
            "AI 21: the serial number has 22 characters; at most 20 are allowed.",
            id="serial-22",
        ),
        pytest.param(
            "1022222222222222222222aaa",
            "AI 10: the lot has 23 characters; at most 20 are allowed.",
            id="biip-vector-lot-too-long",
        ),
    ],
)
def test_lot_or_serial_longer_than_20_is_refused(barcode: str, message: str) -> None:
    assert refused(parse_udi(barcode)) == invalid(message)


@pytest.mark.parametrize(
    ("barcode", "message"),
    [
        pytest.param(
            "(01)09501101530003(17)241399", "AI 17: 241399 is not a date (YYMMDD).", id="bad-expiry"
        ),
        pytest.param(
            "0109501101530003112400151012",
            "AI 11: 240015 is not a date (YYMMDD).",
            id="bad-production-date",
        ),
        pytest.param(
            "01095011015300032A12",
            "No GS1 Application Identifier starts at character 17 ('2A12').",
            id="unknown-ai-position",
        ),
        pytest.param(
            "0109501101530",
            "AI 01 at character 1 needs 14 characters; only 11 follow.",
            id="short-gtin",
        ),
        pytest.param(
            "21S1\x1d10L1\x1d1123011501095011015300031727022",
            "AI 17 at character 35 needs 6 characters; only 5 follow.",
            id="truncated-expiry-position",
        ),
        pytest.param(
            "(01)0950110153000A",
            "AI 01: a GTIN has 14 digits here; found '0950110153000A'.",
            id="letter-in-gtin",
        ),
        pytest.param(
            "(01)09501101530003(10)AB#1",
            "AI 10: the character '#' at position 3 of 'AB#1' is not allowed in a GS1 lot or serial number.",
            id="character-outside-cset-82",
        ),
        pytest.param("(01)09501101530003(10)", "AI 10 has no value.", id="empty-lot"),
        pytest.param(
            "(10)A(10)B",
            "AI 10 appears twice with different values ('A' and 'B').",
            id="contradicting-lots",
        ),
        pytest.param(
            "(01)09501101530003x(10)A",
            "AI 01: a GTIN has 14 digits here; found '09501101530003x'.",
            id="text-after-gtin",
        ),
        pytest.param(
            "(01)09501101530003)(10)A",
            "Unexpected text ')(10)A' at character 19; each element should read (AI)value.",
            id="text-outside-element",
        ),
        pytest.param(
            "(01)09501101530003(10)A(B)",
            "Unexpected text '(B)' at character 24; each element should read (AI)value.",
            id="letters-in-ai-position",
        ),
        pytest.param(
            "(0)1",
            "Unexpected text '(0)1' at character 1; each element should read (AI)value.",
            id="one-digit-ai",
        ),
        pytest.param(
            "(9999)X",
            "(9999) is not a known GS1 Application Identifier.",
            id="unknown-ai-parentheses",
        ),
        pytest.param(
            "00106141412345678908",
            "The GS1 barcode holds none of the UDI elements (AI 01, 10, 11, 17 or 21).",
            id="sscc-only",
        ),
    ],
)
def test_gs1_errors_say_what_and_where(barcode: str, message: str) -> None:
    parsed = parse_udi(barcode)
    assert refused(parsed) == invalid(message)
    assert parsed.symbology == "GS1"


# --- GS1 Digital Link ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        pytest.param(
            "https://id.gs1.org/01/09501101530003/10/AB12/21/XYZ?17=240731",
            ("GS1", "09501101530003", "AB12", "XYZ", d("2024-07-31"), None),
            id="path-and-query",
        ),
        pytest.param(
            "]Q3https://id.gs1.org/01/09501101530003/10/AB12/21/XYZ?17=240731",
            ("GS1", "09501101530003", "AB12", "XYZ", d("2024-07-31"), None),
            id="qr-symbology-prefix",
        ),
        pytest.param(
            "https://example.com/products/01/9501101530003/10/AB%2F12?11=230115&17=251000",
            ("GS1", "09501101530003", "AB/12", None, d("2025-10-31"), d("2023-01-15")),
            id="prefix-gtin13-encoded-slash-day-00",
        ),
        pytest.param(
            "https://id.gs1.org/gtin/09501101530003/lot/AB12/ser/XYZ?exp=240731",
            ("GS1", "09501101530003", "AB12", "XYZ", d("2024-07-31"), None),
            id="convenience-alphas",
        ),
        pytest.param(
            "HTTP://id.gs1.org/01/09501101530003?17=240731&utm=scan",
            ("GS1", "09501101530003", None, None, d("2024-07-31"), None),
            id="upper-case-scheme-extra-query",
        ),
    ],
)
def test_digital_link(uri: str, expected: tuple[object, ...]) -> None:
    parsed = parse_udi(uri)
    assert (fields(parsed), parsed.valid, parsed.error) == (expected, True, None)


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        pytest.param(
            "https://id.gs1.org/01/09501101530003/10/" + "L" * 21,
            "AI 10: the lot has 21 characters; at most 20 are allowed.",
            id="lot-too-long",
        ),
        pytest.param(
            "https://id.gs1.org/01/09501101530004/10/AB12",
            "AI 01: The GTIN 09501101530004 has check digit 4; it should be 3.",
            id="check-digit",
        ),
        pytest.param(
            "https://id.gs1.org/01/09501101530003?17=241341",
            "AI 17: 241341 is not a date (YYMMDD).",
            id="bad-date",
        ),
        pytest.param(
            "https://example.com/hello",
            "The GS1 Digital Link URI could not be read: Expected a primary identifier in the path, got '/hello'.",
            id="no-identifier",
        ),
    ],
)
def test_digital_link_errors(uri: str, message: str) -> None:
    assert refused(parse_udi(uri)) == invalid(message)


# --- HIBC ------------------------------------------------------------------------------------
#
# Public vectors with real check characters:
# * DacoTaco/BarcodeParserBuilder, BarcodeParserBuilder.UnitTests/Barcodes/HIBC/
#   HibcBarcodeParserBuilderTestFixture.cs (expected values from that file);
# * the README of the Python "hibc" package ("+A99912345/$$52001510X3/16D20111212/S77DE1G45-").


@pytest.mark.parametrize(
    ("barcode", "expected"),
    [
        pytest.param(
            "+A123BJC5D6E71G",
            ("HIBC", "A123BJC5D6E71", None, None, None, None),
            id="bpb-primary-only",
        ),
        pytest.param(
            "+A123ABCDEFGHI1234567891/$$420020216LOT123456789012345/SXYZ456789012345678/16D20130202$",
            (
                "HIBC",
                "A123ABCDEFGHI1234567891",
                "LOT123456789012345",
                "XYZ456789012345678",
                d("2020-02-02"),
                d("2013-02-02"),
            ),
            id="bpb-online-example-1",
        ),
        pytest.param(
            "]d1+A123ABCDEFGHI1234567891/$$420020216LOT123456789012345/SXYZ456789012345678/16D20130202$",
            (
                "HIBC",
                "A123ABCDEFGHI1234567891",
                "LOT123456789012345",
                "XYZ456789012345678",
                d("2020-02-02"),
                d("2013-02-02"),
            ),
            id="bpb-online-example-1-datamatrix",
        ),
        pytest.param(
            "+A99912345/$$52025010X3/16D20111212/S77DEFG458",
            ("HIBC", "A99912345", "10X3", "77DEFG45", d("2020-09-06"), d("2011-12-12")),
            id="bpb-multiple-segments",
        ),
        pytest.param(
            "+J123AQ3451/$$3231231BC34567/S4012R",
            ("HIBC", "J123AQ3451", "BC34567", "4012", d("2023-12-31"), None),
            id="bpb-yymmdd",
        ),
        pytest.param(
            "+J123AQ3451/25330BC34567/S4012X",
            ("HIBC", "J123AQ3451", "BC34567", "4012", d("2025-11-26"), None),
            id="bpb-old-format-julian",
        ),
        pytest.param(
            "]Q0+J123AQ3451/25330BC34567/S4012X",
            ("HIBC", "J123AQ3451", "BC34567", "4012", d("2025-11-26"), None),
            id="bpb-old-format-qr-prefix",
        ),
        # BarcodeParserBuilder stores MMYY as the 1st of the month; we read it as the month's end.
        pytest.param(
            "+J123AQ3451/$$1125BC34567/S4012L",
            ("HIBC", "J123AQ3451", "BC34567", "4012", d("2025-11-30"), None),
            id="bpb-mmyy-flag-1",
        ),
        pytest.param(
            "+J123AQ3451/$$0125BC34567/S4012K",
            ("HIBC", "J123AQ3451", "BC34567", "4012", d("2025-01-31"), None),
            id="bpb-mmyy-flag-0",
        ),
        pytest.param(
            "+A123BJC5D6E71G+$$52001510X3GD",
            ("HIBC", "A123BJC5D6E71", "10X3", None, d("2020-01-15"), None),
            id="bpb-two-symbols-read-as-one",
        ),
        pytest.param(
            "+A123BJC5D6E71G+$$710X3G7",
            ("HIBC", "A123BJC5D6E71", "10X3", None, None, None),
            id="bpb-two-symbols-lot-only",
        ),
        pytest.param(
            "+A123BJC5D6E71G+$$+52001510X3GB",
            ("HIBC", "A123BJC5D6E71", None, "10X3", d("2020-01-15"), None),
            id="bpb-two-symbols-serial",
        ),
        pytest.param(
            "+A123BJC5D6E71G+2001510X3GG",
            ("HIBC", "A123BJC5D6E71", "10X3", None, d("2020-01-15"), None),
            id="bpb-two-symbols-old-format",
        ),
        pytest.param(
            "+A123BJCMD6E79++$$52001510X3+ ",
            ("HIBC", "A123BJCMD6E79", "10X3", None, d("2020-01-15"), None),
            id="bpb-plus-link-space-check",
        ),
        pytest.param(
            "*+A123BJCMD6E79++$$52001510X3+_*",
            ("HIBC", "A123BJCMD6E79", "10X3", None, d("2020-01-15"), None),
            id="code39-caption-asterisks-underscore",
        ),
        pytest.param(
            "+$$52001510X3GD",
            ("HIBC", None, "10X3", None, d("2020-01-15"), None),
            id="bpb-secondary-alone",
        ),
        pytest.param(
            "+A99912345/$$52001510X3/16D20111212/S77DE1G45-",
            ("HIBC", "A99912345", "10X3", "77DE1G45", d("2020-01-15"), d("2011-12-12")),
            id="python-hibc-readme",
        ),
    ],
)
def test_hibc_public_vectors(barcode: str, expected: tuple[object, ...]) -> None:
    parsed = parse_udi(barcode)
    assert (fields(parsed), parsed.valid, parsed.error) == (expected, True, None)


@pytest.mark.parametrize(
    ("barcode", "message"),
    [
        pytest.param(
            "+A99912345/$$52001510X3/16D20111212/S77DEFG45/",
            "HIBC: check character / is wrong; it should be 7.",
            id="bpb-wrong-check-character",
        ),
        pytest.param(
            "+A123BJC5D6E71++$$52001510X3+D",
            "HIBC: check character + of the primary data is wrong; it should be G.",
            id="bpb-wrong-primary-check",
        ),
        pytest.param(
            "+A123BJC5D6E71G+$$52001510X3+ ",
            "HIBC: the secondary data has link character +, but the primary data's check character is G; "
            "they are not from the same label.",
            id="bpb-wrong-link-character",
        ),
        pytest.param(
            "+A123BJC5D6E71G+$$52001510X3GE",
            "HIBC: check character E of the secondary data is wrong; it should be D.",
            id="wrong-secondary-check",
        ),
        pytest.param(
            "+A99912345/$$52001510X3",
            "HIBC: check character 3 is wrong; it should be 0.",
            id="truncated-readme-example",
        ),
        pytest.param(
            "+A123BJC5D6E71H",
            "HIBC: check character H is wrong; it should be G.",
            id="primary-only",
        ),
        pytest.param(
            "+A123BJC5D6E71G ",
            f"HIBC: check character space is wrong; it should be {hibc('+A123BJC5D6E71G')[-1]}.",
            id="stray-trailing-space",
        ),
    ],
)
def test_hibc_bad_check_character(barcode: str, message: str) -> None:
    parsed = parse_udi(barcode)
    assert refused(parsed) == invalid(message)
    assert parsed.symbology == "HIBC"


# Secondary data formats of the HIBC documentation examples as used in chriswjones/HibcBarcodeParsing
# (HIBCParserTests/HIBCParserTests.m): lot 3C001, serial 0001, date 2005-09-28 (22h), quantity 24 or 100.
# There "L" and "C" stand for the link and check characters; the check character is computed here.
@pytest.mark.parametrize(
    ("body", "lot", "serial", "expiry"),
    [
        pytest.param("+05271L", None, None, d("2005-09-28"), id="old-format-date-only"),
        pytest.param("+$3C001L", "3C001", None, None, id="lot"),
        pytest.param("+$$09053C001L", "3C001", None, d("2005-09-30"), id="mmyy"),
        pytest.param("+$$20928053C001L", "3C001", None, d("2005-09-28"), id="mmddyy"),
        pytest.param("+$$30509283C001L", "3C001", None, d("2005-09-28"), id="yymmdd"),
        pytest.param("+$$4050928223C001L", "3C001", None, d("2005-09-28"), id="yymmddhh"),
        pytest.param("+$$5052713C001L", "3C001", None, d("2005-09-28"), id="yyjjj"),
        pytest.param("+$$605271223C001L", "3C001", None, d("2005-09-28"), id="yyjjjhh"),
        pytest.param("+$$73C001L", "3C001", None, None, id="no-date"),
        pytest.param("+$$82409053C001L", "3C001", None, d("2005-09-30"), id="qty2-mmyy"),
        pytest.param("+$$82430509283C001L", "3C001", None, d("2005-09-28"), id="qty2-yymmdd"),
        pytest.param("+$$8244050928223C001L", "3C001", None, d("2005-09-28"), id="qty2-yymmddhh"),
        pytest.param("+$$82473C001L", "3C001", None, None, id="qty2-no-date"),
        pytest.param("+$$90010020928053C001L", "3C001", None, d("2005-09-28"), id="qty5-mmddyy"),
        pytest.param("+$$900100605271223C001L", "3C001", None, d("2005-09-28"), id="qty5-yyjjjhh"),
        pytest.param("+$+0001L", None, "0001", None, id="serial"),
        pytest.param("+$$+09050001L", None, "0001", d("2005-09-30"), id="serial-mmyy"),
        pytest.param("+$$+20928050001L", None, "0001", d("2005-09-28"), id="serial-mmddyy"),
        pytest.param("+$$+30509280001L", None, "0001", d("2005-09-28"), id="serial-yymmdd"),
        pytest.param("+$$+4050928200001L", None, "0001", d("2005-09-28"), id="serial-yymmddhh"),
        pytest.param("+$$+5052710001L", None, "0001", d("2005-09-28"), id="serial-yyjjj"),
        pytest.param("+$$+605271200001L", None, "0001", d("2005-09-28"), id="serial-yyjjjhh"),
        pytest.param("+$$+70001L", None, "0001", None, id="serial-no-date"),
    ],
)
def test_hibc_secondary_formats(
    body: str, lot: str | None, serial: str | None, expiry: date | None
) -> None:
    parsed = parse_udi(hibc(body))
    assert (fields(parsed), parsed.valid, parsed.error) == (
        ("HIBC", None, lot, serial, expiry, None),
        True,
        None,
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        pytest.param(
            "+A123BJC5D6E71", ("HIBC", "A123BJC5D6E71", None, None, None, None), id="primary"
        ),
        pytest.param(
            "+Z9990123456789012345670",
            ("HIBC", "Z9990123456789012345670", None, None, None, None),
            id="primary-18-character-product-number",
        ),
        pytest.param(
            "+A123BJC5D6E71/$LOT9",
            ("HIBC", "A123BJC5D6E71", "LOT9", None, None, None),
            id="concatenated-lot",
        ),
        pytest.param(
            "+A123BJC5D6E71/$+SER9",
            ("HIBC", "A123BJC5D6E71", None, "SER9", None, None),
            id="concatenated-serial",
        ),
        pytest.param(
            "+A123BJC5D6E71/$$3270131LOT9/S77",
            ("HIBC", "A123BJC5D6E71", "LOT9", "77", d("2027-01-31"), None),
            id="lot-expiry-supplemental-serial",
        ),
        pytest.param(
            "+A123BJC5D6E71/$$+3270131SER9",
            ("HIBC", "A123BJC5D6E71", None, "SER9", d("2027-01-31"), None),
            id="serial-expiry",
        ),
        pytest.param(
            "+A123BJC5D6E71/$$524366LOT9",
            ("HIBC", "A123BJC5D6E71", "LOT9", None, d("2024-12-31"), None),
            id="julian-day-366-leap-year",
        ),
        pytest.param(
            "+A123BJC5D6E71/$$1225LOT9",
            ("HIBC", "A123BJC5D6E71", "LOT9", None, d("2025-12-31"), None),
            id="mmyy-december",
        ),
        pytest.param(
            "+A123BJC5D6E71/$$0224LOT9",
            ("HIBC", "A123BJC5D6E71", "LOT9", None, d("2024-02-29"), None),
            id="mmyy-leap-february",
        ),
        pytest.param(
            "+A123BJC5D6E71/$LOT9/14D20270131/16D20250115",
            ("HIBC", "A123BJC5D6E71", "LOT9", None, d("2027-01-31"), d("2025-01-15")),
            id="supplemental-dates",
        ),
        pytest.param(
            "+A123BJC5D6E71/$$3270131LOT9/14D20270131",
            ("HIBC", "A123BJC5D6E71", "LOT9", None, d("2027-01-31"), None),
            id="same-expiry-twice",
        ),
        pytest.param(
            "+A123BJC5D6E71/S12345",
            ("HIBC", "A123BJC5D6E71", None, "12345", None, None),
            id="supplemental-serial-only",
        ),
    ],
)
def test_hibc_built_codes(body: str, expected: tuple[object, ...]) -> None:
    parsed = parse_udi(hibc(body))
    assert (fields(parsed), parsed.valid, parsed.error) == (expected, True, None)


# Quantity forms of the HIBC documentation examples in chriswjones/HibcBarcodeParsing
# (HIBCParserTests.m, test10-test25: quantity 24 after "$$8", 100 after "$$9"; "L" is the link
# character, the check character is computed here). "$$+8"/"$$+9" (serial after a quantity)
# as the bwipp wiki "HIBC Data Structures" lists them ("$$, for a lot number, or $$+, for a
# serial number, followed by a format digit ... 8 and 9 are followed by a quantity of two and
# five digits"); "/Q" is the supplemental quantity field of ANSI/HIBC 2.6.
@pytest.mark.parametrize(
    ("body", "lot", "serial", "expiry", "quantity"),
    [
        pytest.param("+$$82409053C001L", "3C001", None, d("2005-09-30"), 24, id="qty2-mmyy"),
        pytest.param("+$$82420928053C001L", "3C001", None, d("2005-09-28"), 24, id="qty2-mmddyy"),
        pytest.param("+$$82430509283C001L", "3C001", None, d("2005-09-28"), 24, id="qty2-yymmdd"),
        pytest.param(
            "+$$8244050928223C001L", "3C001", None, d("2005-09-28"), 24, id="qty2-yymmddhh"
        ),
        pytest.param("+$$8245052713C001L", "3C001", None, d("2005-09-28"), 24, id="qty2-yyjjj"),
        pytest.param("+$$824605271223C001L", "3C001", None, d("2005-09-28"), 24, id="qty2-yyjjjhh"),
        pytest.param("+$$82473C001L", "3C001", None, None, 24, id="qty2-no-date"),
        pytest.param("+$$824L", None, None, None, 24, id="qty2-alone"),
        pytest.param("+$$90010009053C001L", "3C001", None, d("2005-09-30"), 100, id="qty5-mmyy"),
        pytest.param(
            "+$$90010020928053C001L", "3C001", None, d("2005-09-28"), 100, id="qty5-mmddyy"
        ),
        pytest.param(
            "+$$90010030509283C001L", "3C001", None, d("2005-09-28"), 100, id="qty5-yymmdd"
        ),
        pytest.param(
            "+$$9001004050928223C001L", "3C001", None, d("2005-09-28"), 100, id="qty5-yymmddhh"
        ),
        pytest.param("+$$9001005052713C001L", "3C001", None, d("2005-09-28"), 100, id="qty5-yyjjj"),
        pytest.param(
            "+$$900100605271223C001L", "3C001", None, d("2005-09-28"), 100, id="qty5-yyjjjhh"
        ),
        pytest.param("+$$90010073C001L", "3C001", None, None, 100, id="qty5-no-date"),
        pytest.param("+$$900100L", None, None, None, 100, id="qty5-alone"),
        pytest.param(
            "+$$+82430509280001L", None, "0001", d("2005-09-28"), 24, id="serial-qty2-yymmdd"
        ),
        pytest.param("+$$+90010070001L", None, "0001", None, 100, id="serial-qty5-no-date"),
        pytest.param("+$3C001/Q24L", "3C001", None, None, 24, id="lot-supplemental-quantity"),
        pytest.param("+$$82473C001/Q24L", "3C001", None, None, 24, id="same-quantity-twice"),
        pytest.param(
            "+$+0001/14D20050928/Q1L",
            None,
            "0001",
            d("2005-09-28"),
            1,
            id="serial-supplemental-expiry-quantity",
        ),
    ],
)
def test_hibc_quantity(
    body: str, lot: str | None, serial: str | None, expiry: date | None, quantity: int
) -> None:
    parsed = parse_udi(hibc(body))
    assert (fields(parsed), parsed.quantity, parsed.error) == (
        ("HIBC", None, lot, serial, expiry, None),
        quantity,
        None,
    )


# Supplemental data after every secondary form, behind the symbology identifiers scanners send
# (ISO/IEC 15424: ]A0 Code 39, ]C0 Code 128, ]d1 Data Matrix, ]Q1 QR Code, ]L2 PDF417).
@pytest.mark.parametrize("prefix", ["", "]A0", "]C0", "]d1", "]Q1", "]L2"])
@pytest.mark.parametrize(
    ("body", "expected", "quantity"),
    [
        pytest.param(
            "+A123BJC5D6E71/$LOT9/14D20270131/16D20250115/S77/Q10",
            ("HIBC", "A123BJC5D6E71", "LOT9", "77", d("2027-01-31"), d("2025-01-15")),
            10,
            id="lot",
        ),
        pytest.param(
            "+A123BJC5D6E71/$$1227LOT9/16D20250115/Q5",
            ("HIBC", "A123BJC5D6E71", "LOT9", None, d("2027-12-31"), d("2025-01-15")),
            5,
            id="mmyy",
        ),
        pytest.param(
            "+A123BJC5D6E71/$$7LOT9/14D20270131/S77",
            ("HIBC", "A123BJC5D6E71", "LOT9", "77", d("2027-01-31"), None),
            None,
            id="no-date",
        ),
        pytest.param(
            "+A123BJC5D6E71/$$+62703114SER9/16D20250115",
            ("HIBC", "A123BJC5D6E71", None, "SER9", d("2027-01-31"), d("2025-01-15")),
            None,
            id="serial-yyjjj-hh",
        ),
        pytest.param(
            "+A123BJC5D6E71/27031LOT9/16D20250115/Q2",
            ("HIBC", "A123BJC5D6E71", "LOT9", None, d("2027-01-31"), d("2025-01-15")),
            2,
            id="old-yyjjj",
        ),
        pytest.param(
            "+$$3270131LOT9/16D20250115/S77G",
            ("HIBC", None, "LOT9", "77", d("2027-01-31"), d("2025-01-15")),
            None,
            id="secondary-symbol",
        ),
    ],
)
def test_hibc_supplemental_data(
    prefix: str, body: str, expected: tuple[object, ...], quantity: int | None
) -> None:
    parsed = parse_udi(prefix + hibc(body))
    assert (fields(parsed), parsed.quantity, parsed.valid, parsed.error) == (
        expected,
        quantity,
        True,
        None,
    )


# A "/" check or link character (HIBCC, hibcc.org/m43/terms.htm: "/" is value 40 of the
# modulo-43 set) must not be read as the data field separator; the bodies are those of
# chriswjones/HibcBarcodeParsing testSlashCheckDigit with one character changed so that the
# computed check character really is "/".
@pytest.mark.parametrize(
    ("barcode", "expected"),
    [
        pytest.param(
            "+H12400999302035K1/",
            ("HIBC", "H12400999302035K1", None, None, None, None),
            id="primary",
        ),
        pytest.param(
            "+$$09053C000L/", ("HIBC", None, "3C000", None, d("2005-09-30"), None), id="secondary"
        ),
        pytest.param(
            "+H124009993019351/1715160668893E0Q/",
            ("HIBC", "H124009993019351", "60668893E0Q", None, d("2017-05-31"), None),
            id="concatenated",
        ),
        pytest.param(
            "+H12400999302035K1/" + hibc("+$$09053C000/"),
            ("HIBC", "H12400999302035K1", "3C000", None, d("2005-09-30"), None),
            id="slash-link",
        ),
    ],
)
def test_hibc_slash_as_check_character(barcode: str, expected: tuple[object, ...]) -> None:
    parsed = parse_udi(barcode)
    assert (fields(parsed), parsed.error) == (expected, None)


# A primary and a secondary symbol scanned one after the other: the scanner ends each with
# Enter (CR, LF or CR LF) or Tab. The secondary's link character must be the primary's check
# character ("G" for +A123BJC5D6E71, a BarcodeParserBuilder vector).
@pytest.mark.parametrize("between", ["", "\r", "\n", "\r\n", "\t"])
def test_hibc_separate_primary_and_secondary_scans(between: str) -> None:
    parsed = parse_udi("+A123BJC5D6E71G" + between + hibc("+$$9000503270131LOT9/S77G") + "\r\n")
    assert (fields(parsed), parsed.quantity, parsed.error) == (
        ("HIBC", "A123BJC5D6E71", "LOT9", "77", d("2027-01-31"), None),
        50,
        None,
    )


@pytest.mark.parametrize("between", ["", "\r\n", "\t"])
def test_hibc_separate_scans_from_two_labels_are_refused(between: str) -> None:
    parsed = parse_udi("+A123BJC5D6E71G" + between + hibc("+$$3270131LOT9H"))
    assert refused(parsed) == invalid(
        "HIBC: the secondary data has link character H, but the primary data's check character is G; "
        "they are not from the same label."
    )
    assert parsed.quantity is None


def test_hibc_quantity_and_message_in_chinese() -> None:
    from django.utils import translation

    with translation.override("zh-hans"):
        parsed = parse_udi(hibc("+A123BJC5D6E71/$$82473C001/Q25"))
    assert (parsed.valid, parsed.quantity, parsed.error) == (
        False,
        None,
        "HIBC：条码中的数量有两个不同的值（“24”和“25”）。",
    )


@pytest.mark.parametrize(
    ("barcode", "message"),
    [
        pytest.param(
            hibc("+A123BJC5D6E71/X123"),
            "HIBC: the data field 'X123' does not start with a known flag "
            "($, $+, $$, $$+, a YYJJJ date first; then S, Q, 14D or 16D).",
            id="unknown-flag",
        ),
        pytest.param(
            hibc("+A123BJC5D6E71/$$X123"),
            "HIBC: 'X' in '$$X123' is not a date format flag (0 to 7).",
            id="unknown-date-flag",
        ),
        pytest.param(
            hibc("+A123BJC5D6E71/$$+824X1234"),
            "HIBC: 'X' in '$$+824X1234' is not a date format flag (0 to 7).",
            id="serial-quantity-then-unknown-date-flag",
        ),
        pytest.param(
            hibc("+A123BJC5D6E71/$$8249001003LOT"),
            "HIBC: '$$8249001003LOT' gives a quantity flag (8 or 9) twice; after the quantity comes a date "
            "format flag (0 to 7) or the lot or serial number.",
            id="quantity-flag-twice",
        ),
        pytest.param(
            hibc("+A123BJC5D6E71/$$+9123"),
            "HIBC: the flag $$+9 must be followed by a 5-digit quantity in '$$+9123'.",
            id="serial-short-quantity",
        ),
        pytest.param(
            hibc("+A123BJC5D6E71/$LOT9/Q"),
            "HIBC: the quantity field 'Q' must be 'Q' followed by 1 to 5 digits.",
            id="supplemental-quantity-empty",
        ),
        pytest.param(
            hibc("+A123BJC5D6E71/$LOT9/Q12A"),
            "HIBC: the quantity field 'Q12A' must be 'Q' followed by 1 to 5 digits.",
            id="supplemental-quantity-not-digits",
        ),
        pytest.param(
            hibc("+A123BJC5D6E71/$LOT9/Q123456"),
            "HIBC: the quantity field 'Q123456' must be 'Q' followed by 1 to 5 digits.",
            id="supplemental-quantity-6-digits",
        ),
        pytest.param(
            hibc("+A123BJC5D6E71/$$82473C001/Q25"),
            "HIBC: the barcode gives two different values for the quantity ('24' and '25').",
            id="contradicting-quantity",
        ),
        pytest.param(
            hibc("+A123BJC5D6E71/$$+52001510X3/S10X4"),
            "HIBC: the barcode gives two different values for the serial number ('10X3' and '10X4').",
            id="contradicting-serial",
        ),
        pytest.param(
            hibc("+A123BJC5D6E71/16D20251301"),
            "HIBC: '20251301' in '16D20251301' is not a valid date in the form YYYYMMDD.",
            id="manufacture-month-13",
        ),
        pytest.param(
            hibc("+A123BJC5D6E71/$$82"),
            "HIBC: the flag $$8 must be followed by a 2-digit quantity in '$$82'.",
            id="short-quantity",
        ),
        pytest.param(
            hibc("+A123BJC5D6E71/$LOT/25001X"),
            "HIBC: the data field '25001X' does not start with a known flag "
            "($, $+, $$, $$+, a YYJJJ date first; then S, Q, 14D or 16D).",
            id="julian-not-first",
        ),
        pytest.param(
            hibc("+A123BJC5D6E71/$$3251340LOT"),
            "HIBC: '251340' in '$$3251340LOT' is not a valid date in the form YYMMDD.",
            id="bad-yymmdd",
        ),
        pytest.param(
            hibc("+A123BJC5D6E71/$$525366LOT"),
            "HIBC: '25366' in '$$525366LOT' is not a valid date in the form YYJJJ.",
            id="day-366-in-common-year",
        ),
        pytest.param(
            hibc("+A123BJC5D6E71/$$4250131247LOT"),
            "HIBC: '25013124' in '$$4250131247LOT' is not a valid date in the form YYMMDDHH.",
            id="hour-24",
        ),
        pytest.param(
            hibc("+A123BJC5D6E71/$$1325LOT"),
            "HIBC: '1325' in '$$1325LOT' is not a valid date in the form MMYY.",
            id="month-13",
        ),
        pytest.param(
            hibc("+A123BJC5D6E71/14D2027013"),
            "HIBC: '2027013' in '14D2027013' is not a valid date in the form YYYYMMDD.",
            id="short-supplemental-date",
        ),
        pytest.param(
            hibc("+A123BJC5D6E71/$" + "L" * 19),
            "HIBC: the lot 'LLLLLLLLLLLLLLLLLLL' has 19 characters; at most 18 are allowed.",
            id="lot-19",
        ),
        pytest.param(
            hibc("+A123BJC5D6E71/$+" + "9" * 19),
            "HIBC: the serial number '9999999999999999999' has 19 characters; at most 18 are allowed.",
            id="serial-19",
        ),
        pytest.param(
            hibc("+A123BJC5D6E71/$$3270131LOT9/14D20270130"),
            "HIBC: the barcode gives two different values for the expiry date ('2027-01-31' and '2027-01-30').",
            id="contradicting-expiry",
        ),
        pytest.param(
            hibc("+A12312345678901234567890"),
            "HIBC: the primary data 'A12312345678901234567890' is not a labeler code (4 characters), a product "
            "number (1 to 18 letters or digits) and a unit of measure (1 digit).",
            id="product-number-19",
        ),
        pytest.param(
            hibc("+A123BJCX"),
            "HIBC: the primary data 'A123BJCX' is not a labeler code (4 characters), a product "
            "number (1 to 18 letters or digits) and a unit of measure (1 digit).",
            id="unit-of-measure-not-digit",
        ),
        pytest.param(
            hibc("+A123BJC5D6E71/"),
            "HIBC: the data field '' does not start with a known flag "
            "($, $+, $$, $$+, a YYJJJ date first; then S, Q, 14D or 16D).",
            id="empty-field",
        ),
        pytest.param(
            hibc("+$$82L"),
            "HIBC: the flag $$8 must be followed by a 2-digit quantity in '$$82'.",
            id="secondary-short-quantity",
        ),
        pytest.param(
            hibc("+$$7L"),
            "HIBC: the secondary data holds no lot, serial number, date or quantity.",
            id="secondary-empty",
        ),
        pytest.param(
            "+-ABC",
            "HIBC: '+-ABC' is neither primary data (a labeler code after '+') nor secondary "
            "data ('$' or a date after '+').",
            id="unknown-first-character",
        ),
        pytest.param(
            "+a123bjc5d6e71g",
            "HIBC: the character 'a' at position 2 is not in the HIBC character set (0-9, A-Z, - . space $ / + %).",
            id="lower-case",
        ),
        pytest.param(
            "+A123\x1dBJC",
            "HIBC: the character 'U+001D' at position 6 is not in the HIBC character set "
            "(0-9, A-Z, - . space $ / + %).",
            id="control-character",
        ),
        pytest.param("+A", "HIBC: '+A' is too short to be an HIBC code.", id="too-short"),
    ],
)
def test_hibc_errors_say_what_and_where(barcode: str, message: str) -> None:
    parsed = parse_udi(barcode)
    assert refused(parsed) == invalid(message)
    assert parsed.symbology == "HIBC"


# --- garbage ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("", "The barcode is empty.", id="empty"),
        pytest.param("  \r\n", "The barcode is empty.", id="whitespace"),
        pytest.param(
            "条码",
            "The barcode contains the character '条' at position 1; barcodes hold ASCII characters only.",
            id="chinese",
        ),
        pytest.param(
            "(01)0950110153000\uff13",
            "The barcode contains the character '\uff13' at position 18; barcodes hold ASCII "
            "characters only.",
            id="full-width-digit",
        ),
        pytest.param(
            "hello world",
            "hello world is not a GS1 element string, a GS1 Digital Link or an HIBC code.",
            id="words",
        ),
        pytest.param(
            "]",
            "The barcode starts with ']', which is not a symbology identifier.",
            id="bracket-only",
        ),
        pytest.param(
            "]-10109501101530003",
            "The barcode starts with ']-1', which is not a symbology identifier.",
            id="not-a-symbology-identifier",
        ),
        pytest.param(
            "]C1", "The barcode holds no data after its symbology identifier.", id="symbology-only"
        ),
        pytest.param(
            "\x00\x01",
            "U+0000U+0001 is not a GS1 element string, a GS1 Digital Link or an HIBC code.",
            id="control-characters",
        ),
        pytest.param(
            "N" * 50,
            "N" * 40 + "… is not a GS1 element string, a GS1 Digital Link or an HIBC code.",
            id="long-text-shortened",
        ),
    ],
)
def test_garbage_input(text: str, message: str) -> None:
    parsed = parse_udi(text)
    assert refused(parsed) == invalid(message)
    assert parsed.symbology == ""


def test_as_dict_shape() -> None:
    assert parse_udi("(01)09501101530003(11)230115(17)240200(10)AB12(21)XYZ").as_dict() == {
        "symbology": "GS1",
        "gtin": "09501101530003",
        "lot": "AB12",
        "serial": "XYZ",
        "expiry": "2024-02-29",
        "production_date": "2023-01-15",
        "valid": True,
        "error": None,
        "quantity": None,
    }
    assert parse_udi("(01)12345678901232").as_dict() == {
        "symbology": "GS1",
        "gtin": None,
        "lot": None,
        "serial": None,
        "expiry": None,
        "production_date": None,
        "valid": False,
        "error": "AI 01: The GTIN 12345678901232 has check digit 2; it should be 1.",
        "quantity": None,
    }
    assert parse_udi(hibc("+A123BJC5D6E71/$$9001003270131LOT9")).as_dict() == {
        "symbology": "HIBC",
        "gtin": "A123BJC5D6E71",
        "lot": "LOT9",
        "serial": None,
        "expiry": "2027-01-31",
        "production_date": None,
        "valid": True,
        "error": None,
        "quantity": 100,
    }


# --- properties ------------------------------------------------------------------------------

LOTS = st.text(alphabet=CSET_82, min_size=1, max_size=20).filter(
    lambda lot: "<gs>" not in lot.lower()
)
DATES = st.dates(min_value=date(THIS_YEAR - 40, 1, 1), max_value=date(THIS_YEAR + 40, 12, 31))


def yymmdd(day: date, *, day_00: bool) -> str:
    return day.strftime("%y%m") + ("00" if day_00 else day.strftime("%d"))


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


GS1_ELEMENTS = st.fixed_dictionaries(
    {
        "body": st.text(alphabet="0123456789", min_size=13, max_size=13),
        "production": DATES,
        "expiry": DATES,
        "expiry_day_00": st.booleans(),
        "order": st.permutations(["01", "10", "11", "17", "21"]),
    }
)


def element_values(
    elements: dict[str, Any], lot: str, serial: str
) -> tuple[dict[str, str], tuple[object, ...]]:
    """The AI values to encode, and the fields parse_udi must give back."""
    gtin = gtin_with_check_digit(elements["body"])
    expiry, production, day_00 = (
        elements["expiry"],
        elements["production"],
        elements["expiry_day_00"],
    )
    values = {
        "01": gtin,
        "10": lot,
        "11": yymmdd(production, day_00=False),
        "17": yymmdd(expiry, day_00=day_00),
        "21": serial,
    }
    expected = ("GS1", gtin, lot, serial, month_end(expiry) if day_00 else expiry, production)
    return values, expected


@PROPERTY
@given(
    elements=GS1_ELEMENTS,
    lot=LOTS,
    serial=LOTS,
    separator=st.sampled_from([GS, "<GS>", "{GS}"]),
    prefix=st.sampled_from(["", "]C1", "]d2", GS]),
)
def test_gs1_raw_element_strings_round_trip(
    elements: dict[str, Any],
    lot: str,
    serial: str,
    separator: str,
    prefix: str,
) -> None:
    values, expected = element_values(elements, lot, serial)
    barcode = "".join(
        ai + values[ai] + (separator if ai in ("10", "21") else "") for ai in elements["order"]
    )
    parsed = parse_udi(prefix + barcode)
    assert (parsed.error, fields(parsed)) == (None, expected)


@PROPERTY
@given(
    elements=GS1_ELEMENTS,
    lot=LOTS.filter(lambda lot: not {"(", ")"} & set(lot)),
    serial=LOTS.filter(lambda serial: not {"(", ")"} & set(serial)),
)
def test_gs1_parenthesised_element_strings_round_trip(
    elements: dict[str, Any], lot: str, serial: str
) -> None:
    values, expected = element_values(elements, lot, serial)
    parsed = parse_udi("".join(f"({ai}){values[ai]}" for ai in elements["order"]))
    assert (parsed.error, fields(parsed)) == (None, expected)


@PROPERTY
@given(
    lic=st.from_regex(r"[A-Z][A-Z0-9]{3}", fullmatch=True),
    product=st.from_regex(r"[A-Z0-9]{1,18}", fullmatch=True),
    unit=st.sampled_from("0123456789"),
    lot=st.from_regex(r"[A-Z0-9]{1,18}", fullmatch=True),
    serial=st.from_regex(r"[A-Z0-9]{1,18}", fullmatch=True),
    expiry=DATES,
)
def test_hibc_concatenated_round_trip(
    lic: str, product: str, unit: str, lot: str, serial: str, expiry: date
) -> None:
    barcode = hibc(f"+{lic}{product}{unit}/$$3{expiry:%y%m%d}{lot}/S{serial}")
    parsed = parse_udi(barcode)
    assert parsed.error is None
    assert fields(parsed) == ("HIBC", f"{lic}{product}{unit}", lot, serial, expiry, None)


@PROPERTY
@given(
    st.one_of(
        st.text(),
        st.text(alphabet=HIBC_SET, max_size=40).map(lambda tail: "+" + tail),
        st.text(alphabet="0123456789()" + GS + "ABC<GS>", max_size=60),
        st.text(alphabet="0123456789/?=&%abclotgtinser", max_size=60).map(
            lambda tail: "https://id.gs1.org/01/" + tail
        ),
    )
)
def test_parse_udi_never_raises(text: str) -> None:
    parsed = parse_udi(text)
    assert parsed.valid is (parsed.error is None)
    if not parsed.valid:
        assert (parsed.gtin, parsed.lot, parsed.serial, parsed.expiry, parsed.production_date) == (
            None,
        ) * 5
