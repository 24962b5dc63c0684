"""Files we hand to spreadsheets: text a user typed stays text, never a formula.

A party named ``=HYPERLINK("http://…","Click")`` must not become a live link (or worse) when
a trace export or a rejected-rows file is opened in Excel or LibreOffice. OWASP's rule for
CSV injection: a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
is written with a leading apostrophe. In an xlsx workbook the cell is stored as a string with
Excel's quote prefix instead, so the text reads exactly as typed and stays text when edited.
Numbers are left alone: only text can carry a formula."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """``value`` as a CSV cell: text that a spreadsheet would read as a formula gets a leading ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_row(values: Iterable[Any]) -> list[Any]:
    return [csv_cell(value) for value in values]


def append_row(sheet: Any, values: Iterable[Any]) -> None:
    """Append ``values`` to an openpyxl worksheet, text that looks like a formula kept as text."""
    sheet.append(list(values))
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
            cell.data_type = "s"
            cell.quotePrefix = True
