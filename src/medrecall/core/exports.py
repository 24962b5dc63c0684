"""Files we hand to spreadsheets: text a user typed stays text, never a formula.

A party named ``=HYPERLINK("http://…","Click")`` must not become a live link (or worse) when
a trace export or a rejected-rows file is opened in Excel or LibreOffice. OWASP's rule for
CSV injection: a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
is written with a leading apostrophe. In an xlsx workbook the cell is stored as a string with
Excel's quote prefix instead, so the text reads exactly as typed and stays text when edited.
Numbers are left alone, also a negative number typed as text ("-2" in a rejected row): a
spreadsheet reads it as a number, and the file must give a bad row back as it came."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


def looks_like_formula(value: Any) -> bool:
    """Text a spreadsheet would evaluate: it starts with a formula character and is not a plain number."""
    return (
        isinstance(value, str)
        and value.startswith(FORMULA_STARTS)
        and not PLAIN_NUMBER.fullmatch(value)
    )


def csv_cell(value: Any) -> Any:
    """``value`` as a CSV cell: text that a spreadsheet would read as a formula gets a leading ``'``."""
    return "'" + value if looks_like_formula(value) else value


def csv_row(values: Iterable[Any]) -> list[Any]:
    return [csv_cell(value) for value in values]


def append_row(sheet: Any, values: Iterable[Any]) -> None:
    """Append ``values`` to an openpyxl worksheet, text that looks like a formula kept as text."""
    sheet.append(list(values))
    for cell in sheet[sheet.max_row]:
        if looks_like_formula(cell.value):
            cell.data_type = "s"
            cell.quotePrefix = True


# Excel refuses these in a sheet name (and openpyxl raises); a translated title may hold one
# ("按国家/地区"). The full-width forms read the same in both languages.
_SHEET_TITLE_SWAPS = str.maketrans(
    {"/": "／", "\\": "＼", "?": "？", "*": "＊", ":": "：", "[": "（", "]": "）"}
)


def sheet_title(text: str) -> str:
    """``text`` as a sheet name Excel takes: no ``/ \\ ? * : [ ]``, at most 31 characters."""
    return str(text).translate(_SHEET_TITLE_SWAPS)[:31] or "-"
