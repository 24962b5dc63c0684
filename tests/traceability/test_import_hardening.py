"""Event and EPCIS files that used to crash the import (issue 14, item 4): each is refused with
the file, row and column named, and nothing is written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from medrecall.core.errors import ImportRejected
from medrecall.traceability.importing.epcis import EpcisImporter, capture_epcis_document
from medrecall.traceability.importing.events import EventImporter
from medrecall.traceability.models import TraceEvent
from tests.traceability.scenario import CATH, HEADER, network

pytestmark = pytest.mark.django_db

WHOLE = "is not a whole number: write it with the digits 0-9 only, e.g. 25."
BAD_QUANTITIES = [
    pytest.param("--5", f"--5 {WHOLE}", "integer", id="double-minus"),
    pytest.param("²", f"² {WHOLE}", "integer", id="superscript-two"),
    pytest.param("٣", f"٣ {WHOLE}", "integer", id="arabic-indic-three"),
    pytest.param("1e3", f"1e3 {WHOLE}", "integer", id="exponent"),
    pytest.param("1_000", f"1_000 {WHOLE}", "integer", id="underscore"),
    pytest.param(
        "2147483648",
        "2147483648 is too large: quantity is at most 2147483647.",
        "range",
        id="int32+1",
    ),
    pytest.param(
        "9223372036854775808",
        "9223372036854775808 is too large: quantity is at most 2147483647.",
        "range",
        id="int64+1",
    ),
    pytest.param("9" * 5000, f"{'9' * 40}… {WHOLE}", "integer", id="5000-digits"),
]


def _events_csv(tmp_path: Path, quantity: str, padding: int = 0) -> Path:
    path = tmp_path / "events.csv"
    lines = [
        f"E1,produced,2025-01-10T08:00:00+08:00,{CATH},C1,,10,,FAC,,,,,",
        f"E2,shipped,2025-01-11T08:00:00+08:00,{CATH},C1,,{quantity},FAC,D1,DN-1,,,,",
    ]
    lines += [
        f"P{n},produced,2025-01-10T08:00:00+08:00,{CATH},C{n},,1,,FAC,,,,," for n in range(padding)
    ]
    path.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("path_taken", ["staging", "direct"])
@pytest.mark.parametrize(("quantity", "message", "code"), BAD_QUANTITIES)
def test_bad_quantity_in_events_csv_is_a_row_error(
    tmp_path: Path, settings: Any, path_taken: str, quantity: str, message: str, code: str
) -> None:
    network()
    settings.MEDRECALL_DIRECT_LOAD_MIN_BYTES = 0 if path_taken == "direct" else 10**12
    outcome = EventImporter().run(_events_csv(tmp_path, quantity), file_name="events.csv")
    assert outcome.accepted is False
    assert [(e.file, e.row, e.column, e.code, e.message) for e in outcome.errors] == [
        ("events.csv", 3, "quantity", code, message)
    ]
    assert TraceEvent.objects.count() == 0


@pytest.mark.parametrize(("quantity", "message", "code"), BAD_QUANTITIES)
def test_bad_quantity_in_events_xlsx_is_a_row_error(
    tmp_path: Path, quantity: str, message: str, code: str
) -> None:
    network()
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER.strip().split(","))
    sheet.append(["E1", "produced", "2025-01-10T08:00:00+08:00", CATH, "C1", None, 10, None, "FAC"])
    sheet.append(
        ["E2", "shipped", "2025-01-11T08:00:00+08:00", CATH, "C1", None, quantity, "FAC", "D1"]
    )
    workbook.save(tmp_path / "events.xlsx")
    outcome = EventImporter().run(tmp_path / "events.xlsx", file_name="events.xlsx")
    assert [(e.row, e.column, e.code, e.message) for e in outcome.errors] == [
        (3, "quantity", code, message)
    ]
    assert TraceEvent.objects.count() == 0


def test_time_before_the_first_utc_day_is_a_row_error(tmp_path: Path) -> None:
    network()
    path = tmp_path / "events.csv"
    path.write_text(
        HEADER + f"E1,produced,0001-01-01T00:00:00+08:00,{CATH},C1,,10,,FAC,,,,,\n",
        encoding="utf-8",
    )
    outcome = EventImporter().run(path, file_name="events.csv")
    assert [(e.row, e.column, e.code) for e in outcome.errors] == [(2, "event_time", "date")]
    assert TraceEvent.objects.count() == 0


def test_nul_byte_in_events_csv_is_refused_with_its_line(tmp_path: Path) -> None:
    network()
    path = tmp_path / "events.csv"
    path.write_bytes(
        (HEADER + f"E1,produced,2025-01-10T08:00:00+08:00,{CATH},C1,,10,,FAC,,,,,\n").encode()
        + b"E2,produced,2025-01-10T08:00:00+08:00,"
        + CATH.encode()
        + b",C\x002,,10,,FAC,,,,,\n"
    )
    with pytest.raises(ImportRejected) as refused:
        EventImporter().run(path, file_name="events.csv")
    assert [(e.row, e.code) for e in refused.value.errors] == [(3, "encoding")]
    assert refused.value.message == (
        "The file events.csv has a NUL character (byte 0) on line 3: it is not a text "
        "file, or it is UTF-16; save it as CSV in UTF-8 or GB18030."
    )
    assert TraceEvent.objects.count() == 0


# -- EPCIS ---------------------------------------------------------------------------------


def _document(events: list[Any]) -> dict[str, Any]:
    return {"type": "EPCISDocument", "schemaVersion": "2.0", "epcisBody": {"eventList": events}}


def _commissioning(quantity: Any) -> dict[str, Any]:
    return {
        "type": "ObjectEvent",
        "eventID": "ni:///e1",
        "action": "ADD",
        "bizStep": "commissioning",
        "eventTime": "2025-01-10T08:00:00+08:00",
        "eventTimeZoneOffset": "+08:00",
        "quantityList": [{"epcClass": f"https://id.gs1.org/01/{CATH}/10/C1", "quantity": quantity}],
        "bizLocation": {"id": "FAC"},
    }


def test_epcis_json_nested_a_thousand_levels_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text(
        '{"type": "EPCISDocument",\n"epcisBody": ' + "[" * 1000 + "]" * 1000 + "}", encoding="utf-8"
    )
    with pytest.raises(ImportRejected) as refused:
        EpcisImporter().run(path, file_name="deep.json")
    assert [(e.row, e.column, e.code) for e in refused.value.errors] == [(2, "", "depth")]
    assert refused.value.message == (
        "deep.json nests arrays or objects more than 64 levels deep (line 2); an EPCIS "
        "document is a few levels deep."
    )


def test_epcis_event_nested_too_deep_names_the_event_and_field(tmp_path: Path) -> None:
    network()
    deep: Any = "x"
    for _level in range(100):
        deep = {"a": deep}
    event = _commissioning(5) | {"ilmd": deep}
    path = tmp_path / "deep.json"
    path.write_text(
        json.dumps(_document([_commissioning(5) | {"eventID": "ni:///e0"}, event])),
        encoding="utf-8",
    )
    with pytest.raises(ImportRejected) as refused:
        EpcisImporter().run(path, file_name="deep.json")
    assert [(e.row, e.column, e.code) for e in refused.value.errors] == [(2, "ilmd", "depth")]
    with pytest.raises(
        ImportRejected
    ):  # the capture API hands over a parsed document: the same check
        capture_epcis_document(_document([event]), source_name="capture", actor=None)
    assert TraceEvent.objects.count() == 0


@pytest.mark.parametrize(
    ("quantity", "shown"),
    [
        pytest.param("9" * 5000, "9" * 40 + "…", id="5000-digit-int"),
        pytest.param("1" + "0" * 4999 + ".0", "1" + "0" * 39 + "…", id="5000-digit-float"),
        pytest.param("NaN", "nan", id="nan"),
        pytest.param("2147483648", "2147483648", id="int32+1"),
    ],
)
def test_epcis_quantity_of_thousands_of_digits_is_a_row_error(
    tmp_path: Path, quantity: str, shown: str
) -> None:
    network()
    path = tmp_path / "big.json"
    path.write_text(
        json.dumps(_document([_commissioning(0)])).replace(
            '"quantity": 0', f'"quantity": {quantity}'
        ),
        encoding="utf-8",
    )
    outcome = EpcisImporter().run(path, file_name="big.json")
    assert [(e.row, e.column, e.code) for e in outcome.errors] == [(1, "quantityList", "quantity")]
    assert outcome.errors[0].message == (
        f"The quantity of https://id.gs1.org/01/{CATH}/10/C1 must be a whole number "
        f"from 1 to 2147483647; it is {shown}."
    )
    assert TraceEvent.objects.count() == 0


@pytest.mark.parametrize("text", ["\\u0000", "\\ud800"], ids=["nul", "lone-surrogate"])
def test_epcis_text_no_record_can_hold_is_refused(tmp_path: Path, text: str) -> None:
    network()
    path = tmp_path / "text.json"
    body = json.dumps(_document([_commissioning(5)])).replace("ni:///e1", f"ni:///e{text}1")
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ImportRejected) as refused:
        EpcisImporter().run(path, file_name="text.json")
    assert [(e.row, e.column, e.code) for e in refused.value.errors] == [(1, "eventID", "text")]
    assert TraceEvent.objects.count() == 0


def test_epcis_time_shifted_before_year_one_is_a_row_error(tmp_path: Path) -> None:
    network()
    event = _commissioning(5) | {
        "eventTime": "0001-01-01T00:00:00+08:00",
        "eventTimeZoneOffset": "-05:00",
    }
    path = tmp_path / "early.json"
    path.write_text(json.dumps(_document([event])), encoding="utf-8")
    outcome = EpcisImporter().run(path, file_name="early.json")
    assert [(e.row, e.column, e.code) for e in outcome.errors] == [(1, "eventTime", "date")]
    assert TraceEvent.objects.count() == 0


@pytest.mark.parametrize("tail", [b"\xff\n", b"\xe4\xb8\n"], ids=["invalid-byte", "cut-character"])
def test_bad_utf8_at_the_end_of_the_header_is_refused_on_the_direct_path(
    tmp_path: Path, settings: Any, tail: bytes
) -> None:
    """The sniffer takes a bad byte within the last four of the sample for a character cut off;
    the direct path's header read used to raise on it."""
    network()
    settings.MEDRECALL_DIRECT_LOAD_MIN_BYTES = 0
    path = tmp_path / "events.csv"
    path.write_bytes(HEADER.strip().encode() + tail)
    with pytest.raises(ImportRejected) as refused:
        EventImporter().run(path, file_name="events.csv")
    assert [(e.row, e.code) for e in refused.value.errors] == [(1, "encoding")]
    assert TraceEvent.objects.count() == 0
