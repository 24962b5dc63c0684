"""Downloadable import templates (CSV and Excel) generated from each importer's columns."""

from __future__ import annotations

import csv
import io

from .exports import sheet_title
from .tabular import Columns


def template_csv(columns: Columns) -> str:
    out = io.StringIO()
    csv.writer(out).writerow(columns.all)
    return "\ufeff" + out.getvalue()


def template_xlsx(columns: Columns, kind: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title(kind)
    sheet.append(list(columns.all))
    for cell, name in zip(sheet[1], columns.all, strict=True):
        cell.font = Font(bold=name in columns.required)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
