"""The cockpit's figures for the page's charts, and as an Excel workbook and a PDF report:
the same ``Progress`` everywhere, labelled in the reader's language."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any, cast

from django.utils import timezone
from django.utils.translation import gettext as _

from medrecall.core.exports import append_row, sheet_title
from medrecall.core.presentation import party_name
from medrecall.recalls.models import RecallCase

from .cost import Cost
from .labels import group_label, province_names, stage_label
from .progress import (
    HOLDER_STAGES,
    GroupRow,
    Progress,
    current_scope,
    open_returns,
    open_work_orders,
    scope_holders,
)

GROUPS = ("by_country", "by_province", "by_party_type", "by_echelon")
DRILL_PARAMETER = {
    "by_country": "country",
    "by_province": "province",
    "by_party_type": "party_type",
    "by_echelon": "echelon",
}


def labelled_groups(figures: Progress, language: str) -> dict[str, list[dict[str, Any]]]:
    """Each grouping's rows, ranked by units, with their names and the share of the largest."""
    found: dict[str, list[dict[str, Any]]] = {}
    for group in GROUPS:
        rows: list[GroupRow] = getattr(figures, group)
        largest = max((row.units for row in rows), default=0)
        found[group] = [
            {
                "key": row.key,
                "label": group_label(group, row.key, language),
                "units": row.units,
                "still": row.still,
                "holders": row.holders,
                "acknowledged": row.acknowledged,
                "acknowledged_percent": row.acknowledged_percent,
                "bar": round(100 * row.units / largest) if largest else 0,
                "parameter": DRILL_PARAMETER[group],
            }
            for row in rows
        ]
    return found


def chart_data(figures: Progress, language: str) -> dict[str, Any]:
    """What the page's ECharts draw: the maps (by ISO code), the burn-down."""
    groups = labelled_groups(figures, language)
    return {
        "countries": [
            {"code": r["key"], "name": r["label"], "value": r["units"]}
            for r in groups["by_country"]
        ],
        "provinces": [
            {"code": r["key"], "name": r["label"], "value": r["units"]}
            for r in groups["by_province"]
        ],
        "province_names": province_names(language),
        "burn_down": [[day.isoformat(), units] for day, units in figures.burn_down],
        "labels": {
            "units": _("Units"),
            "still_at_holders": _("Units still at holders"),
        },
    }


# Number formats of the workbook's cells: whole numbers, money, shares (a share is written as a
# fraction, 0.515, and shown 51.5%).
COUNT = "#,##0"
MONEY = "#,##0.00"
SHARE = "0.0%"


def share(percent: float | Decimal | None) -> Decimal | None:
    """A percentage of the figures (51.5) as the fraction a spreadsheet formats (0.515)."""
    return None if percent is None else Decimal(str(percent)) / 100


def _sheet(
    workbook: Any,
    title: str,
    header: list[str],
    rows: list[list[Any]],
    formats: dict[int, str] | None = None,
) -> None:
    """A sheet of ``rows`` under a bold header; ``formats``: column index → number format
    (numbers stay numbers, Decimal or int, never text; user text is never a formula)."""
    from openpyxl.styles import Font

    sheet = workbook.create_sheet(sheet_title(title))
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        append_row(sheet, row)
        for column, number_format in (formats or {}).items():
            sheet.cell(row=sheet.max_row, column=column + 1).number_format = number_format


def progress_xlsx(
    recall: RecallCase, figures: Progress, language: str, *, cost: Cost | None = None
) -> bytes:
    """The cockpit as a workbook: funnel, each grouping, burn-down, open work, and the cost
    against budget for a reader who may see finance (``cost``). Numbers are numbers with a
    number format; user text is kept as text, never a formula."""
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    percent = _("% of scope")
    _sheet(
        workbook,
        _("Funnel"),
        [_("Stage"), _("Units"), percent, _("Holders"), _("% of holders")],
        [
            [
                stage_label(s.key),
                s.units,
                share(s.units_percent),
                s.holders,
                share(s.holders_percent),
            ]
            for s in figures.funnel
        ]
        or [[_("No scope has been frozen for this recall yet."), None, None, None, None]],
        {1: COUNT, 2: SHARE, 3: COUNT, 4: SHARE},
    )
    names = {
        "by_country": _("By country"),
        "by_province": _("By province"),
        "by_party_type": _("By holder type"),
        "by_echelon": _("By echelon"),
    }
    for group, rows in labelled_groups(figures, language).items():
        _sheet(
            workbook,
            names[group],
            [
                _("Code"),
                _("Name"),
                _("Units at holders at the freeze"),
                _("Units still at holders now"),
                _("Holders"),
                _("Acknowledged or replied"),
            ],
            [
                [r["key"], r["label"], r["units"], r["still"], r["holders"], r["acknowledged"]]
                for r in rows
            ],
            {2: COUNT, 3: COUNT, 4: COUNT, 5: COUNT},
        )
    _sheet(
        workbook,
        _("Burn-down"),
        [_("Day"), _("Units still at holders")],
        [[day.isoformat(), units] for day, units in figures.burn_down],
        {1: COUNT},
    )
    if cost is not None:
        _cost_sheet(workbook, cost)
    _open_work(workbook, recall, language)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def cost_rows(cost: Cost) -> list[tuple[str, Decimal | None, str]]:
    """The cost against budget in rows: what, amount (money) or share, its number format."""
    return [
        (_("Actual cost"), cost.actual, MONEY),
        (_("Forecast"), cost.forecast, MONEY),
        (_("Budget"), cost.budget, MONEY),
        (_("Share of the budget used"), share(cost.percent_used), SHARE),
        (_("Forecast as a share of the budget"), share(cost.forecast_percent), SHARE),
    ]


def _cost_sheet(workbook: Any, cost: Cost) -> None:
    sheet = workbook.create_sheet(sheet_title(_("Cost")))
    from openpyxl.styles import Font

    sheet.append([_("Cost against budget"), cost.currency])
    sheet["A1"].font = Font(bold=True)
    for what, amount, number_format in cost_rows(cost):
        append_row(sheet, [what, amount])
        sheet.cell(row=sheet.max_row, column=2).number_format = number_format
    verdict = (
        _("No budget has been set for this recall.")
        if cost.over_budget is None
        else _("The forecast exceeds the budget.")
        if cost.over_budget
        else _("The forecast is within the budget.")
    )
    append_row(sheet, [verdict])


def _open_work(workbook: Any, recall: RecallCase, language: str) -> None:
    """Every silent holder, open return and open work order (not only the cockpit's first),
    each holder by its name in the reader's language."""
    snapshot = current_scope(recall)
    silent: list[list[Any]] = (
        [
            [h.code, party_name(h, language=language), cast(Any, h).units]
            for h in scope_holders(recall, snapshot).filter(HOLDER_STAGES["silent"])
        ]
        if snapshot
        else []
    )
    _sheet(workbook, _("Silent holders"), [_("Party"), _("Name"), _("Units")], silent, {2: COUNT})
    _sheet(
        workbook,
        _("Open returns"),
        [_("RA number"), _("Holder"), _("Status")],
        [
            [ra.number, party_name(ra.party, language=language), ra.get_status_display()]
            for ra in open_returns(recall)
        ],
    )
    _sheet(
        workbook,
        _("Open work orders"),
        [_("Work order"), _("Holder"), _("Due"), _("Status")],
        [
            [
                o.number,
                party_name(o.party, language=language),
                timezone.localtime(o.due_at).strftime("%Y-%m-%d"),
                o.get_status_display(),
            ]
            for o in open_work_orders(recall)
        ],
    )


def progress_pdf(
    recall: RecallCase, figures: Progress, language: str, *, cost: Cost | None = None
) -> bytes:
    """The cockpit as a PDF report (WeasyPrint, as the other documents), with the cost against
    budget for a reader who may see finance."""
    from medrecall.execution.documents import render_pdf

    return render_pdf(
        "web/cockpit/pdf.html",
        {
            "recall": recall,
            "p": figures,
            "funnel": [{"stage": s, "label": stage_label(s.key)} for s in figures.funnel],
            "groups": labelled_groups(figures, language),
            "printed_at": timezone.now(),
            "cost": cost,
        },
        language,
    )
