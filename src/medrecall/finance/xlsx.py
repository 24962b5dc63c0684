"""Finance's Excel cells: an amount is a number (a ``Decimal`` rounded to the cent, never a
float or a text) shown with ``MONEY_FORMAT``, its currency in a column of its own; text a user
typed stays text, never a formula (``core.exports.append_row``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from medrecall.core.exports import append_row

MONEY_FORMAT = "#,##0.00"
RATE_FORMAT = "0.00######"
PERCENT_FORMAT = "0.0"
CENT = Decimal("0.01")


def money(value: Any) -> Decimal | None:
    """An amount for a cell: a Decimal rounded to the cent (None stays an empty cell)."""
    if value is None or value == "":
        return None
    return Decimal(str(value)).quantize(CENT)


def append_typed_row(
    sheet: Any, values: Iterable[Any], formats: Mapping[int, str] | None = None
) -> None:
    """Append a row; every Decimal cell gets ``MONEY_FORMAT`` unless ``formats`` gives its
    column (0-based) another number format (a rate, a percentage)."""
    append_row(sheet, values)
    formats = formats or {}
    for index, cell in enumerate(sheet[sheet.max_row]):
        if isinstance(cell.value, Decimal):
            cell.number_format = formats.get(index, MONEY_FORMAT)
