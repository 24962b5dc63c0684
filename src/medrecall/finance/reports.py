"""Cost reports (issue F item 5): what a recall cost per category, per unit of its frozen scope,
per region (the holder's province, else country), per vendor, against its budget and forecast;
and the same across recalls. Every figure is an aggregate in SQL (``GROUP BY`` over the ledger),
so a recall with 100,000 entries reads a handful of rows (bench/finance_bench.py).

Amounts are in the company currency (``CostEntry.company_amount``), reversals included: a
reversed entry and its reversal cancel out in every group."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, F, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, NullIf
from django.utils.translation import gettext as _

from medrecall.core.types import Viewer
from medrecall.recalls.lifecycle import Status
from medrecall.recalls.models import RecallCase, ScopeSnapshot
from medrecall.recalls.selectors import recall_get_for, recall_list_for

from .budgets import CategoryRow, budget_of, by_category, percent
from .forecast import Forecast, recall_forecast
from .ledger import policy
from .models import CostCategory, CostEntry
from .models_budget import RecallBudget

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
BY = ("category", "region", "vendor")


@dataclass(frozen=True)
class Group:
    """One line of a report: what it groups by, how many entries, their amount."""

    key: str
    label: str
    entries: int
    amount: Decimal

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "entries": self.entries,
            "amount": str(self.amount),
        }


def _amount() -> Any:
    return Coalesce(Sum("company_amount"), Value(ZERO), output_field=DecimalField())


def groups(entries: QuerySet[CostEntry], by: str) -> list[Group]:
    """The entries summed by ``by`` (category, region or vendor), largest amount first."""
    if by == "category":
        labels = dict(CostCategory.choices)
        rows = entries.values("category").annotate(n=Count("pk"), total=_amount())
        found = [
            Group(r["category"], str(labels.get(r["category"], r["category"])), r["n"], r["total"])
            for r in rows.order_by()
        ]
    elif by == "region":
        rows = (
            entries.annotate(
                region=Coalesce(NullIf(F("holder__province_code"), Value("")), F("holder__country"))
            )
            .values("region")
            .annotate(n=Count("pk"), total=_amount())
            .order_by()
        )
        found = [
            Group(r["region"] or "", r["region"] or _("No holder"), r["n"], r["total"])
            for r in rows
        ]
    elif by == "vendor":
        rows = (
            entries.values("vendor_id", "vendor__code", "vendor__name")
            .annotate(n=Count("pk"), total=_amount())
            .order_by()
        )
        found = [
            Group(
                r["vendor__code"] or "",
                r["vendor__name"] or _("No vendor"),
                r["n"],
                r["total"],
            )
            for r in rows
        ]
    else:
        raise ValueError(by)
    cents = [Group(g.key, g.label, g.entries, Decimal(g.amount).quantize(CENT)) for g in found]
    return sorted(cents, key=lambda g: (-g.amount, g.label))


@dataclass(frozen=True)
class RecallReport:
    recall: RecallCase
    currency: str
    units: int
    budget: RecallBudget | None
    forecast: Forecast
    categories: list[CategoryRow]
    regions: list[Group]
    vendors: list[Group]

    @property
    def actual(self) -> Decimal:
        return self.forecast.actual

    def per_unit(self, amount: Decimal) -> Decimal | None:
        return (amount / self.units).quantize(Decimal("0.01")) if self.units else None

    @property
    def actual_per_unit(self) -> Decimal | None:
        return self.per_unit(self.forecast.actual)

    @property
    def forecast_per_unit(self) -> Decimal | None:
        return self.per_unit(self.forecast.total)

    @property
    def actual_percent(self) -> Decimal | None:
        return percent(self.forecast.actual, self.budget.total if self.budget else None)

    @property
    def forecast_percent(self) -> Decimal | None:
        return percent(self.forecast.total, self.budget.total if self.budget else None)

    def as_dict(self) -> dict[str, Any]:
        def text(value: Decimal | None) -> str | None:
            return None if value is None else str(value)

        return {
            "recall": self.recall.number,
            "currency": self.currency,
            "units": self.units,
            "budget": text(self.budget.total if self.budget else None),
            "actual": str(self.forecast.actual),
            "forecast": str(self.forecast.total),
            "forecast_complete": self.forecast.complete,
            "actual_per_unit": text(self.actual_per_unit),
            "forecast_per_unit": text(self.forecast_per_unit),
            "actual_percent": text(self.actual_percent),
            "forecast_percent": text(self.forecast_percent),
            "categories": [
                {
                    "category": row.category,
                    "label": row.label,
                    "budget": text(row.budget),
                    "actual": str(row.actual),
                    "forecast": str(row.forecast),
                }
                for row in self.categories
            ],
            "regions": [g.as_dict() for g in self.regions],
            "vendors": [g.as_dict() for g in self.vendors],
            "unknown": [term.as_dict() for term in self.forecast.unknown],
            "notes": self.forecast.notes,
        }


def recall_report(recall: RecallCase) -> RecallReport:
    """The cost report of one recall (read through a scoped look-up first)."""
    found = recall_forecast(recall)
    budget = budget_of(recall)
    entries = CostEntry.objects.filter(recall=recall)
    snapshot = recall.current_snapshot
    return RecallReport(
        recall=recall,
        currency=found.currency,
        units=snapshot.total_units if snapshot else 0,
        budget=budget,
        forecast=found,
        categories=by_category(budget, found.actual_by_category, found.by_category()),
        regions=groups(entries, "region"),
        vendors=groups(entries, "vendor"),
    )


def recall_report_for(*, viewer: Viewer, pk: int) -> RecallReport:
    return recall_report(recall_get_for(viewer=viewer, pk=pk))


def recalls_costs_for(*, viewer: Viewer, status: str = "") -> QuerySet[RecallCase]:
    """The recalls the viewer sees, each with its actual cost, budget and frozen units (one
    query for a page of them: sums and the latest snapshot as subqueries)."""
    actual = (
        CostEntry.objects.filter(recall=OuterRef("pk"))
        .order_by()
        .values("recall")
        .annotate(total=Sum("company_amount"))
        .values("total")
    )
    units = (
        ScopeSnapshot.objects.filter(recall=OuterRef("pk"))
        .order_by("-sequence")
        .values("total_units")[:1]
    )
    return (
        recall_list_for(viewer=viewer, status=status)
        .annotate(
            actual=Coalesce(Subquery(actual), Value(ZERO), output_field=DecimalField()),
            budget_total=F("budget__total"),
            units=Coalesce(Subquery(units), Value(0)),
        )
        .prefetch_related(None)
    )


def costs_by(*, viewer: Viewer, by: str) -> list[Group]:
    """Every visible recall's ledger summed by category, region or vendor."""
    return groups(CostEntry.objects.filter(recall__in=recall_list_for(viewer=viewer)), by)


def costs_of_every_recall(*, by: str) -> list[Group]:
    """The whole ledger summed by category, region or vendor (the command line, a staff tool)."""
    return groups(CostEntry.objects.all(), by)


def company_currency() -> str:
    return policy().company_currency


def recall_row(recall: Any) -> dict[str, Any]:
    """One line of the cross-recall report (a recall annotated by ``recalls_costs_for``)."""
    units = int(recall.units or 0)
    actual = Decimal(recall.actual).quantize(CENT)
    return {
        "id": recall.pk,
        "recall": recall.number,
        "title": recall.display_title,
        "status": recall.status,
        "status_label": str(Status(recall.status).label),
        "units": units,
        "budget": None if recall.budget_total is None else str(recall.budget_total),
        "actual": str(actual),
        "actual_per_unit": str((actual / units).quantize(Decimal("0.01"))) if units else None,
        "actual_percent": (
            None if recall.budget_total is None else str(percent(actual, recall.budget_total))
        ),
    }
