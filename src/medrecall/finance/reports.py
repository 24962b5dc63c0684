"""Cost reports (issue F item 5): what a recall cost per category, per unit of its frozen scope,
per region (the holder's province, else country), per vendor, against its budget and forecast;
and the same across recalls. Every figure is an aggregate in SQL (``GROUP BY`` over the ledger),
so a recall with 100,000 entries reads a handful of rows (bench/finance_bench.py).

Amounts are in the company currency (``CostEntry.company_amount``), reversals included: a
reversed entry and its reversal cancel out in every group."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import DecimalField, F, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from medrecall.core.presentation import party_name
from medrecall.core.types import Viewer
from medrecall.parties.models import Party
from medrecall.recalls.lifecycle import Status
from medrecall.recalls.models import RecallCase, ScopeSnapshot
from medrecall.recalls.selectors import recall_get_for, recall_list_for

from .budgets import CategoryRow, budget_of, by_category, percent
from .forecast import Forecast, recall_forecast
from .ledger import policy
from .models import CostCategory, CostRollup
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


# Every total a report shows, from ONE pass over the entries: PostgreSQL groups the same scan
# several ways (GROUPING SETS); elsewhere (SQLite, tests) one GROUP BY per part joined by UNION
# ALL gives the same rows. A part is c(ategory), v(endor), h(older) or d(ay); a page asks for
# the parts it shows (each grouping costs a hash aggregate over every entry).
PARTS = "cvhd"
# They read the daily rollup (``CostRollup``: a row per recall, day, category, source, currency,
# vendor and holder, kept in the posting's transaction), not the entries; vendor and holder 0
# stand for none.
_COLUMNS = {"c": "e.category", "v": "e.vendor_pk", "h": "e.holder_pk", "d": "e.day"}


def _totals_sql(parts: str, recalls: str, postgres: bool) -> tuple[str, int]:
    """The statement and how many times it names the recalls' subquery."""
    if not parts or set(parts) - set(PARTS):
        raise ValueError(parts)
    source = f"FROM finance_costrollup e WHERE e.recall_id IN ({recalls})"
    if postgres:
        cases = " ".join(f"WHEN GROUPING({_COLUMNS[p]}) = 0 THEN '{p}'" for p in parts)
        columns = ", ".join(_COLUMNS[p] if p in parts else "NULL" for p in PARTS)
        sets = ", ".join(f"({_COLUMNS[p]})" for p in parts)
        return (
            f"SELECT CASE {cases} END, {columns}, SUM(e.entries), SUM(e.company_amount) "
            f"{source} GROUP BY GROUPING SETS ({sets})",
            1,
        )
    selects = [
        "SELECT '{part}', {columns}, SUM(e.entries), SUM(e.company_amount) {source} GROUP BY {key}".format(
            part=p,
            columns=", ".join(_COLUMNS[q] if q == p else "NULL" for q in PARTS),
            source=source,
            key=_COLUMNS[p],
        )
        for p in parts
    ]
    return " UNION ALL ".join(selects), len(parts)


@dataclass(frozen=True)
class LedgerTotals:
    """The entries of one or more recalls summed by category, region, vendor and day."""

    categories: list[Group]
    regions: list[Group]
    vendors: list[Group]
    days: list[tuple[date, Decimal]]

    def by(self, name: str) -> list[Group]:
        return {"category": self.categories, "region": self.regions, "vendor": self.vendors}[name]

    @property
    def actual_by_category(self) -> dict[str, Decimal]:
        return {g.key: g.amount for g in self.categories}


def _cents(value: Any) -> Decimal:
    return Decimal(value or 0).quantize(CENT)


def _ordered(found: list[Group]) -> list[Group]:
    return sorted(found, key=lambda g: (-g.amount, g.label))


def ledger_totals(recalls: QuerySet[RecallCase], parts: str = PARTS) -> LedgerTotals:
    """The totals of the recalls' entries by the ``parts`` asked for (one scan of the ledger;
    then one query each for the names of the vendors and the regions of the holders)."""
    subquery, params = recalls.order_by().values("pk").query.sql_with_params()
    sql, times = _totals_sql(parts, subquery, connection.vendor == "postgresql")
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params) * times)
        rows = cursor.fetchall()
    labels = dict(CostCategory.choices)
    categories, vendor_rows, holder_rows, days = [], [], [], []
    for part, category, vendor_id, holder_id, day, count, total in rows:
        if part == "c":
            categories.append(
                Group(category, str(labels.get(category, category)), count, _cents(total))
            )
        elif part == "v":
            vendor_rows.append((vendor_id, count, _cents(total)))
        elif part == "h":
            holder_rows.append((holder_id, count, _cents(total)))
        else:
            days.append(
                (day if isinstance(day, date) else date.fromisoformat(str(day)), _cents(total))
            )
    return LedgerTotals(
        categories=_ordered(categories),
        regions=_regions(holder_rows),
        vendors=_vendors(vendor_rows),
        days=sorted(days),
    )


def _vendors(rows: list[tuple[int | None, int, Decimal]]) -> list[Group]:
    names = {  # each vendor by its name in the reader's language
        party["pk"]: (party["code"], party_name(party))
        for party in Party.objects.filter(pk__in=[r[0] for r in rows if r[0]]).values(
            "pk", "code", "name", "name_en"
        )
    }
    return _ordered(
        [
            Group(names[pk][0], names[pk][1], n, total)
            if pk in names
            else Group("", _("No vendor"), n, total)
            for pk, n, total in rows
        ]
    )


def _regions(rows: list[tuple[int | None, int, Decimal]]) -> list[Group]:
    """Holders' totals summed by their region: the province code, else the country."""
    region_of = {
        pk: province or country or ""
        for pk, country, province in Party.objects.filter(
            pk__in=[r[0] for r in rows if r[0]]
        ).values_list("pk", "country", "province_code")
    }
    summed: dict[str, list[Any]] = {}
    for pk, n, total in rows:
        region = region_of.get(pk, "") if pk else ""
        entry = summed.setdefault(region, [0, Decimal("0.00")])
        entry[0] += n
        entry[1] += total
    from .regions import region_label

    language = get_language() or "en"
    return _ordered(
        [
            Group(key, region_label(key, language) if key else _("No holder"), n, total)
            for key, (n, total) in summed.items()
        ]
    )


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
    days: list[tuple[date, Decimal]]

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


def recall_report(recall: RecallCase, parts: str = "cvh") -> RecallReport:
    """The cost report of one recall (read through a scoped look-up first); ``parts``: the
    totals it carries besides the categories (v: vendors, h: regions, d: days)."""
    totals = ledger_totals(RecallCase.objects.filter(pk=recall.pk), "c" + parts.replace("c", ""))
    found = recall_forecast(recall, actual=totals.actual_by_category)
    budget = budget_of(recall)
    snapshot = recall.current_snapshot
    return RecallReport(
        recall=recall,
        currency=found.currency,
        units=snapshot.total_units if snapshot else 0,
        budget=budget,
        forecast=found,
        categories=by_category(budget, found.actual_by_category, found.by_category()),
        regions=totals.regions,
        vendors=totals.vendors,
        days=totals.days,
    )


def recall_report_for(*, viewer: Viewer, pk: int) -> RecallReport:
    return recall_report(recall_get_for(viewer=viewer, pk=pk))


def recalls_costs_for(*, viewer: Viewer, status: str = "") -> QuerySet[RecallCase]:
    """The recalls the viewer sees, each with its actual cost, budget and frozen units (one
    query for a page of them: sums and the latest snapshot as subqueries)."""
    actual = (
        CostRollup.objects.filter(recall=OuterRef("pk"))
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


def costs_by(*, viewer: Viewer) -> LedgerTotals:
    """Every visible recall's ledger summed by category, region and vendor."""
    return ledger_totals(recall_list_for(viewer=viewer), "cvh")


def costs_of_every_recall() -> LedgerTotals:
    """The whole ledger summed (the command line, a staff tool)."""
    return ledger_totals(RecallCase.objects.all(), "cvh")


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
