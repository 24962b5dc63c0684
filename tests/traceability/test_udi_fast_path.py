"""The short path of ``parse_udi`` (AI 01, 10, 11, 17, 21 without biip) answers exactly as the
biip path does: its table is biip's, and for a corpus of codes (the test suite's barcodes,
biip's own test vectors, the GUDID sample's device identifiers, every two-digit year and
every month and day edge of a GS1 date) ``parse_udi`` gives the same result with and without
it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

import biip.gs1_application_identifiers as biip_ais
import pytest
from biip.gs1_application_identifiers import GS1ApplicationIdentifier
from biip.gs1_element_strings import GS1ElementString
from hypothesis import given, settings
from hypothesis import strategies as st

from medrecall.traceability import udi
from medrecall.traceability.udi import ParsedUDI, parse_udi
from tests.traceability import test_udi

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
GS = "\x1d"
GTIN = "09501101530003"  # valid check digit
BAD_GTIN = "09501101530004"


@contextmanager
def biip_only() -> Iterator[None]:
    """``parse_udi`` as it was before the short path: every GS1 scan through biip."""
    with mock.patch.object(udi, "_udi_elements", return_value=None):
        yield


def took_the_short_path(text: str) -> bool:
    """Whether ``parse_udi(text)`` was answered by the short path."""
    answers: list[object] = []
    short_path = udi._udi_elements

    def recorded(payload: str) -> object:
        answers.append(answer := short_path(payload))
        return answer

    with mock.patch.object(udi, "_udi_elements", side_effect=recorded):
        parse_udi(text)
    return any(answer is not None for answer in answers)


def both(text: str) -> tuple[ParsedUDI, ParsedUDI]:
    short = parse_udi(text)
    with biip_only():
        through_biip = parse_udi(text)
    return short, through_biip


def test_the_short_table_is_biips_table() -> None:
    biip_table = json.loads(
        Path(biip_ais.__file__)
        .with_name("_application_identifiers.json")
        .read_text(encoding="utf-8")
    )
    codes = [entry["ai"] for entry in biip_table]

    for code, short in udi._UDI_AI_TABLE.items():
        ai = GS1ApplicationIdentifier.extract(code + "123")
        assert ai.ai == code
        assert ai.pattern == f"^{code}({short.pattern.pattern})$"
        assert udi._fixed_length(ai) == short.length
        # No other AI starts with these two digits, so reading two digits finds the AI.
        assert [other for other in codes if other.startswith(code)] == [code]
    assert {code: short.dated for code, short in udi._UDI_AI_TABLE.items()} == {
        "01": False,
        "10": False,
        "11": True,
        "17": True,
        "21": False,
    }


def test_the_short_path_reads_the_gs1_date_as_biip_does_for_every_year() -> None:
    # Every two-digit year (the GS1 window of 49 years back and 50 ahead), day 00 and the
    # month's edges, and dates biip refuses (month 00 or 13, day 32, 30 February).
    for year in range(100):
        for month in ("00", "01", "02", "12"):
            for day in ("00", "01", "28", "29", "30", "31"):
                value = f"{year:02d}{month}{day}"
                short = udi._udi_element("17", value)
                try:
                    expected = GS1ElementString.parse("17" + value).date
                except Exception:  # biip refuses it: the short path must not answer
                    expected = None
                assert (short.date if short else None) == expected, value


def parametrized_strings(module: object) -> Iterator[str]:
    """The first argument of every parametrized case of ``module``'s tests that is a string."""
    for function in vars(module).values():
        for mark in getattr(function, "pytestmark", []):
            if mark.name != "parametrize":
                continue
            for case in mark.args[1]:
                values = case.values if hasattr(case, "values") else (case,)
                first = values[0] if isinstance(values, tuple) else values
                if isinstance(first, str):
                    yield first
                elif isinstance(first, dict) and isinstance(first.get("barcode"), str):
                    yield first["barcode"]


def gudid_codes() -> list[str]:
    """The GUDID sample's GS1 device identifiers, as raw and parenthesised UDIs."""
    xml = (FIXTURES / "gudid" / "gudid_2016_demo100.xml").read_text(encoding="utf-8")
    identifiers = sorted(set(re.findall(r"<deviceId>(\d{14})</deviceId>", xml)))
    codes = []
    for number, identifier in enumerate(identifiers):
        codes.append(f"01{identifier}17{27 + number % 5:02d}0{1 + number % 9}00" + f"10L{number}")
        codes.append(f"(01){identifier}(11)2401{10 + number % 19}(21)SN-{number:04d}")
    return codes


def corpus() -> list[str]:
    vectors = json.loads(
        (FIXTURES / "udi" / "gs1_demo_vectors_from_biip_tests.json").read_text(encoding="utf-8")
    )["vectors"]
    edges = [
        f"01{GTIN}17{year:02d}{month}{day}10LOT"
        for year in (0, 25, 26, 75, 76, 77, 99)
        for month in ("00", "02", "13")
        for day in ("00", "29", "30", "32")
    ]
    mistakes = [
        f"01{BAD_GTIN}10LOT",
        f"(01){BAD_GTIN}(10)LOT",
        f"01{GTIN[:10]}",
        f"01{GTIN}10",
        f"01{GTIN}10{'L' * 21}",
        f"01{GTIN}21S 1",
        f"01{GTIN}10A{GS}10B",
        f"01{GTIN}10A{GS}10A",
        f"(01){GTIN}(10)A(10)B",
        f"(01){GTIN}(17)2612",
        f"(01){GTIN}(99)X",
        f"01{GTIN}99X",
        f"01{GTIN}{GS}{GS}10AB",
        f"(01) {GTIN} (10) AB",
        f"(01){GTIN}x(10)AB",
        f"11240101{GS}",
        "(10)",
        "10" + GS,
    ]
    return [
        *parametrized_strings(test_udi),
        *(vector["barcode"] for vector in vectors),
        *gudid_codes(),
        *edges,
        *mistakes,
    ]


def test_the_short_path_answers_as_biip_for_the_corpus() -> None:
    codes = corpus()
    answered = [code for code in codes if parse_udi(code).valid]
    differing = [code for code in codes if (pair := both(code))[0] != pair[1]]

    assert differing == []
    # The comparison is not vacuous: the corpus holds both valid and refused codes, and the
    # short path itself answers most of the valid GS1 ones.
    assert len(codes) == 603
    assert len(answered) == 300
    assert sum(1 for code in codes if took_the_short_path(code)) == 258


GS1_TEXT = st.text(alphabet="0123456789()" + GS + "ABL-<>", max_size=50)
UDI_SHAPED = st.lists(
    st.tuples(
        st.sampled_from(["01", "10", "11", "17", "21", "30", "99", "1"]),
        st.one_of(
            st.sampled_from([GTIN, BAD_GTIN, "270100", "270231", "271300", "A", ""]),
            st.text(alphabet="0123456789AB!\"%&'()*+,-./:;<=>?_ z", max_size=22),
        ),
        st.booleans(),
    ),
    min_size=1,
    max_size=6,
)


def shaped(elements: list[tuple[str, str, bool]], parenthesised: bool) -> str:
    if parenthesised:
        return "".join(f"({code}){value}" for code, value, _separator in elements)
    return "".join(code + value + (GS if separator else "") for code, value, separator in elements)


@settings(max_examples=400, deadline=None)
@given(text=GS1_TEXT)
def test_the_short_path_answers_as_biip_for_any_text(text: str) -> None:
    short, through_biip = both(text)
    assert short == through_biip


@settings(max_examples=400, deadline=None)
@given(elements=UDI_SHAPED, parenthesised=st.booleans())
def test_the_short_path_answers_as_biip_for_udi_shaped_codes(
    elements: list[tuple[str, str, bool]], parenthesised: bool
) -> None:
    short, through_biip = both(shaped(elements, parenthesised))
    assert short == through_biip


@pytest.mark.parametrize(
    ("barcode", "short", "valid"),
    [
        (f"01{GTIN}", True, True),
        (f"(01){GTIN}(17)270100(10)AB", True, True),
        (f"]d2{GS}01{GTIN}10AB{GS}21C", True, True),
        (f"01{GTIN}3005", False, True),  # AI 30: biip reads it
        (f"01{BAD_GTIN}", False, False),  # a refusal and its message come from the biip path
        (f"https://id.gs1.org/01/{GTIN}", False, True),  # Digital Link: biip
    ],
)
def test_which_scans_take_the_short_path(barcode: str, short: bool, valid: bool) -> None:
    assert took_the_short_path(barcode) is short
    assert parse_udi(barcode).valid is valid
