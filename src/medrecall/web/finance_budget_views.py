"""Finance pages for budgets and reports: a recall's budget and forecast (budget form, actual /
forecast / budget per category, burn-up chart, alerts), its cost report, the cross-recall report,
and their Excel exports. Finance sets budgets; the roles with the ledger's view permission read;
portal users see nothing (403 by permission, and the recall look-ups answer 404)."""

from __future__ import annotations

import io
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from medrecall.accounts.selectors import viewer_of
from medrecall.core import bounds
from medrecall.core.errors import DomainError, NotFound
from medrecall.core.exports import sheet_title
from medrecall.execution.lifecycle import DispositionKind
from medrecall.execution.models import ServiceProvider
from medrecall.finance import alerts, budgets, reports
from medrecall.finance.models import CostCategory
from medrecall.finance.xlsx import PERCENT_FORMAT, append_typed_row, money
from medrecall.recalls.lifecycle import Status
from medrecall.recalls.models import RecallCase
from medrecall.recalls.selectors import recall_get_for

from .finance_views import portal_not_found
from .paging import paged

VIEW_BUDGET = "finance.view_recallbudget"
VIEW_COSTS = "finance.view_costentry"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _recall(request: HttpRequest, pk: int) -> RecallCase:
    try:
        return recall_get_for(viewer=viewer_of(request), pk=pk)
    except NotFound as missing:
        raise Http404(missing.message) from missing


def burn_up(report: reports.RecallReport) -> dict[str, Any]:
    """The chart's data: actual cost cumulated by day (the report's totals by day), then the
    forecast at completion, against the budget."""
    days: list[str] = []
    cumulative: list[str] = []
    running = Decimal("0.00")
    for day, amount in report.days:
        running += amount
        days.append(day.isoformat())
        cumulative.append(str(running))
    today = timezone.localdate().isoformat()
    if not days or days[-1] < today:
        days.append(today)
        cumulative.append(str(running))
    completion = _("At completion")
    return {
        "days": [*days, completion],
        "actual": [*cumulative, None],
        "forecast": [*([None] * (len(days) - 1)), cumulative[-1], str(report.forecast.total)],
        "budget": None if report.budget is None else str(report.budget.total),
        "labels": {
            "actual": _("Actual (cumulative)"),
            "forecast": _("Forecast"),
            "budget": _("Budget"),
        },
    }


def _budget_input(request: HttpRequest) -> dict[str, Any]:
    provider_id = request.POST.get("planned_provider") or ""
    provider = None
    if provider_id:
        pk = int(provider_id) if provider_id.isascii() and provider_id.isdigit() else 0
        provider = (
            ServiceProvider.objects.filter(pk=pk).first()
            if bounds.ID[0] <= pk <= bounds.ID[1]
            else None
        )
        if provider is None:
            raise budgets.BudgetRefused(
                _("Choose a service provider from the list."), where="planned_provider"
            )
    return {
        "total": request.POST.get("total", ""),
        "lines": {c: request.POST.get(f"line_{c}", "") for c in CostCategory.values},
        "planned_disposition": request.POST.get("planned_disposition", ""),
        "planned_provider": provider,
        "reason": request.POST.get("reason", ""),
    }


@login_required
@portal_not_found
@permission_required(VIEW_BUDGET, raise_exception=True)
def finance_budget(request: HttpRequest, pk: int) -> HttpResponse:
    recall = _recall(request, pk)
    if request.method == "POST":
        if not budgets.may_set_budget(request.user, recall):
            return HttpResponse(status=403)
        try:
            budgets.budget_set(actor=request.user, recall=recall, **_budget_input(request))  # type: ignore[arg-type]
        except DomainError as refused:
            messages.error(request, refused.message)
        else:
            messages.success(request, _("Budget saved."))
        return redirect("web:finance-budget", pk=recall.pk)
    report = reports.recall_report(recall, parts="cd")  # the page shows categories and days
    raised = paged(request, alerts.alerts_of(recall), param="alerts")
    return render(
        request,
        "web/finance/budget/budget.html",
        {
            "recall": recall,
            "report": report,
            "chart": burn_up(report),
            "alerts": raised,
            "alerts_now": alerts.alerts_now(
                raised,
                budget_version=report.budget.version if report.budget else None,
                actual_percent=report.actual_percent,
                forecast_percent=report.forecast_percent,
            ),
            "lines": {line.category: line.amount for line in report.budget.lines.all()}
            if report.budget
            else {},
            "categories": CostCategory.choices,
            "dispositions": DispositionKind.choices,
            "providers": ServiceProvider.objects.filter(is_active=True).order_by("name"),
            "blocked": budgets.budget_blockers(recall),
            "may_set_budget": budgets.may_set_budget(request.user, recall),
        },
    )


@login_required
@portal_not_found
@permission_required(VIEW_COSTS, raise_exception=True)
def finance_report(request: HttpRequest, pk: int) -> HttpResponse:
    recall = _recall(request, pk)
    return render(
        request,
        "web/finance/reports/recall.html",
        {"recall": recall, "report": reports.recall_report(recall)},
    )


@login_required
@portal_not_found
@permission_required(VIEW_COSTS, raise_exception=True)
def finance_reports(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    status = request.GET.get("status", "")
    status = status if status in Status.values else ""
    recalls = paged(request, reports.recalls_costs_for(viewer=viewer, status=status))
    return render(
        request,
        "web/finance/reports/recalls.html",
        {
            "recalls": recalls,
            "rows": [reports.recall_row(recall) for recall in recalls],
            "by": reports.costs_by(viewer=viewer),
            "currency": reports.company_currency(),
            "statuses": Status.choices,
            "status": status,
        },
    )


def _sheet(
    workbook: Any,
    title: str,
    header: Iterable[str],
    rows: Iterable[Iterable[Any]],
    formats: dict[int, str] | None = None,
) -> None:
    """A sheet with a bold header; amounts are Decimal numbers shown as ``#,##0.00``."""
    from openpyxl.styles import Font

    sheet = workbook.create_sheet(sheet_title(title))
    sheet.append([str(h) for h in header])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        append_typed_row(sheet, row, formats)


def _groups_sheet(workbook: Any, by: str, found: list[reports.Group], currency: str) -> None:
    """Totals by category, region or vendor, each named in the reader's language: a category
    by its label only, a region also by its ISO code, a vendor also by its party code (what
    an ERP matches on)."""
    titles = {"category": _("By category"), "region": _("By region"), "vendor": _("By vendor")}
    names = {"category": _("Category"), "region": _("Region"), "vendor": _("Vendor")}
    codes = {"region": _("ISO 3166 code"), "vendor": _("Party code")}
    tail = [_("Entries"), _("Amount"), _("Currency")]
    if by == "category":
        header = [names[by], *tail]
        rows = ([g.label, g.entries, money(g.amount), currency] for g in found)
    else:
        header = [names[by], codes[by], *tail]
        rows = ([g.label, g.key, g.entries, money(g.amount), currency] for g in found)
    _sheet(workbook, titles[by], header, rows)


def _xlsx(workbook: Any, filename: str) -> HttpResponse:
    out = io.BytesIO()
    workbook.save(out)
    response = HttpResponse(out.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@portal_not_found
@permission_required(VIEW_COSTS, raise_exception=True)
def finance_report_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    from openpyxl import Workbook

    report = reports.recall_report(_recall(request, pk))
    workbook = Workbook()
    workbook.remove(workbook.active)
    currency = report.currency
    amounts = [
        (_("Budget"), report.budget.total if report.budget else None),
        (_("Actual"), report.actual),
        (_("Forecast"), report.forecast.total),
        (_("Actual per unit"), report.actual_per_unit),
        (_("Forecast per unit"), report.forecast_per_unit),
    ]
    summary: list[tuple[str, Any, str]] = [
        (_("Recall"), report.recall.number, ""),
        (_("Title"), report.recall.display_title, ""),
        (_("Units in the frozen scope"), report.units, ""),
        *((label, money(value), currency) for label, value in amounts),
    ]
    _sheet(workbook, _("Summary"), [_("Figure"), _("Value"), _("Currency")], summary)
    _sheet(
        workbook,
        _("By category"),
        [_("Category"), _("Budget"), _("Actual"), _("Forecast"), _("Currency")],
        (
            [r.label, money(r.budget), money(r.actual), money(r.forecast), currency]
            for r in report.categories
        ),
    )
    _groups_sheet(workbook, "region", report.regions, currency)
    _groups_sheet(workbook, "vendor", report.vendors, currency)
    _sheet(
        workbook,
        _("Forecast"),
        [
            _("Category"),
            _("What"),
            _("Quantity"),
            _("Amount"),
            _("Currency"),
            _("Basis"),
            _("Why unknown"),
        ],
        (
            [
                str(CostCategory(t.category).label),
                t.what,
                t.quantity,
                money(t.amount),
                currency,
                t.basis,
                t.missing,
            ]
            for t in report.forecast.terms
        ),
    )
    return _xlsx(workbook, f"costs-{report.recall.number}.xlsx")


@login_required
@portal_not_found
@permission_required(VIEW_COSTS, raise_exception=True)
def finance_reports_xlsx(request: HttpRequest) -> HttpResponse:
    from openpyxl import Workbook

    viewer = viewer_of(request)
    workbook = Workbook()
    workbook.remove(workbook.active)
    currency = reports.company_currency()
    rows = (reports.recall_row(r) for r in reports.recalls_costs_for(viewer=viewer).iterator())
    _sheet(
        workbook,
        _("Recalls"),
        [
            _("Recall"),
            _("Title"),
            _("Status"),
            _("Units"),
            _("Budget"),
            _("Actual"),
            _("Actual per unit"),
            _("Currency"),
            _("Share of budget"),
        ],
        (
            [
                r["recall"],
                r["title"],
                r["status_label"],
                r["units"],
                money(r["budget"]),
                money(r["actual"]),
                money(r["actual_per_unit"]),
                currency,
                _percent(r["actual_percent"]),
            ]
            for r in rows
        ),
        {8: PERCENT_FORMAT},
    )
    totals = reports.costs_by(viewer=viewer)
    for by in reports.BY:
        _groups_sheet(workbook, by, totals.by(by), currency)
    return _xlsx(workbook, "recall-costs.xlsx")


def _percent(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)
