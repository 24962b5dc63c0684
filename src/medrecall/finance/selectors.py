"""Reads of the cost ledger, scoped to the viewer: a recall's entries with their totals per
category (summed in SQL), one entry, exchange rates, unit costs and provider rates.

Finance is staff-only: a portal user (``viewer.party_id``) and a user without the permission
see nothing (an entry they ask for is "not found", like one that does not exist)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from medrecall.core.errors import NotFound, ValidationFailed
from medrecall.core.selectors import one_or_not_found
from medrecall.core.types import Viewer
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase

from .models import (
    CostCategory,
    CostEntry,
    CostRollup,
    CostSource,
    DispositionCost,
    ExchangeRate,
    ProviderRate,
)

VIEW_ENTRIES = "finance.view_costentry"


def sees_finance(viewer: Viewer, permission: str = VIEW_ENTRIES) -> bool:
    return viewer.party_id is None and viewer.has_perm(permission)


@dataclass(frozen=True)
class LedgerFilter:
    """What a recall's ledger is narrowed to (each empty: all)."""

    category: str = ""
    source: str = ""
    vendor: str = ""  # the vendor's party code

    @classmethod
    def checked(cls, category: str = "", source: str = "", vendor: str = "") -> LedgerFilter:
        if category and category not in CostCategory.values:
            raise ValidationFailed(
                _("%(category)s is not a cost category.") % {"category": category},
                where="category",
            )
        if source and source not in CostSource.values:
            raise ValidationFailed(
                _("%(source)s is not a source of entries.") % {"source": source}, where="source"
            )
        return cls(category, source, vendor.strip())

    def rollup_q(self) -> Q:
        """The same filter on the daily rollup (``CostRollup``)."""
        found = Q()
        if self.category:
            found &= Q(category=self.category)
        if self.source:
            found &= Q(source=self.source)
        if self.vendor:
            found &= Q(vendor_pk__in=Party.objects.filter(code=self.vendor).values("pk"))
        return found

    def q(self) -> Q:
        found = Q()
        if self.category:
            found &= Q(category=self.category)
        if self.source:
            found &= Q(source=self.source)
        if self.vendor:
            found &= Q(vendor__code=self.vendor)
        return found


def entries_for(
    *, viewer: Viewer, recall: RecallCase, only: LedgerFilter | None = None
) -> QuerySet[CostEntry]:
    """The recall's entries, newest first, with what a list shows (vendor, holder, reversal)."""
    if not sees_finance(viewer):
        return CostEntry.objects.none()
    return (
        CostEntry.objects.filter(recall=recall)
        .filter((only or LedgerFilter()).q())
        .select_related("recall", "vendor", "holder", "reverses", "reversed_by", "posted_by")
        .order_by("-incurred_on", "-number")
    )


def entry_get_for(*, viewer: Viewer, pk: int) -> CostEntry:
    """One entry with its recall, its reversal or the entry it reverses."""
    if not sees_finance(viewer):
        raise NotFound(_("Cost entry not found."), where="entry")
    return one_or_not_found(
        CostEntry.objects.filter(pk=pk).select_related(
            "recall", "vendor", "holder", "reverses", "reversed_by", "posted_by"
        ),
        _("Cost entry not found."),
    )


def entry_numbered_for(*, viewer: Viewer, number: str) -> CostEntry:
    """An entry by its number (the command line, the API's body)."""
    found = (
        CostEntry.objects.filter(number=number).select_related("recall").first()
        if number and sees_finance(viewer)
        else None
    )
    if found is None:
        raise NotFound(
            _("There is no cost entry %(number)s.") % {"number": number or "''"}, where="entry"
        )
    return found


@dataclass(frozen=True)
class CategoryTotal:
    category: str
    label: str
    company_amount: Decimal
    entries: int
    by_currency: tuple[tuple[str, Decimal], ...]  # the entries' own currencies

    def as_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "company_amount": str(self.company_amount),
            "entries": self.entries,
            "by_currency": {code: str(amount) for code, amount in self.by_currency},
        }


@dataclass(frozen=True)
class LedgerTotals:
    company_currency: str
    categories: tuple[CategoryTotal, ...]
    company_amount: Decimal
    entries: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "company_currency": self.company_currency,
            "company_amount": str(self.company_amount),
            "entries": self.entries,
            "categories": [c.as_dict() for c in self.categories],
        }


def _cents(value: Decimal | None) -> Decimal:
    """A sum as money: SQLite answers ``48.5`` where PostgreSQL answers ``48.50``."""
    return Decimal(value or 0).quantize(Decimal("0.01"))


def totals_for(
    *, viewer: Viewer, recall: RecallCase, only: LedgerFilter | None, company_currency: str
) -> LedgerTotals:
    """Totals per category in the company currency and per entry currency, from the daily
    rollup (``CostRollup``, kept with every posting): one aggregate query whatever the number of
    entries (reversals count with their negative amounts)."""
    rows = (
        CostRollup.objects.filter(recall=recall).filter((only or LedgerFilter()).rollup_q())
        if sees_finance(viewer)
        else CostRollup.objects.none()
    )
    found: dict[str, list[Any]] = {}
    for category, currency, amount, company, count in (
        rows.order_by()
        .values("category", "currency")
        .annotate(total=Sum("amount"), company=Sum("company_amount"), n=Sum("entries"))
        .order_by("category", "currency")
        .values_list("category", "currency", "total", "company", "n")
    ):
        line = found.setdefault(category, [Decimal(0), 0, []])
        line[0] += Decimal(company or 0)
        line[1] += count or 0
        line[2].append((currency, _cents(amount)))
    labels = dict(CostCategory.choices)
    categories = tuple(
        CategoryTotal(
            category, str(labels.get(category, category)), _cents(company), count, tuple(currencies)
        )
        for category, (company, count, currencies) in found.items()
    )
    return LedgerTotals(
        company_currency,
        categories,
        sum((c.company_amount for c in categories), Decimal(0)),
        sum(c.entries for c in categories),
    )


def rollup_sums() -> dict[str, Any]:
    """Annotations of a recall query: its ledger's ``cost`` (company currency; None without
    entries) and ``entries``, as subqueries on the daily rollup (no join to the entries)."""
    of_recall = CostRollup.objects.filter(recall=OuterRef("pk")).order_by().values("recall")
    return {
        "cost": Subquery(of_recall.annotate(total=Sum("company_amount")).values("total")),
        "entries": Coalesce(
            Subquery(of_recall.annotate(n=Sum("entries")).values("n")),
            Value(0),
            output_field=IntegerField(),
        ),
    }


def rates_list(*, viewer: Viewer, currency: str = "") -> QuerySet[ExchangeRate]:
    if not sees_finance(viewer, "finance.view_exchangerate"):
        return ExchangeRate.objects.none()
    rates = ExchangeRate.objects.select_related("entered_by").order_by("-rate_on", "currency")
    return rates.filter(currency=currency.strip().upper()) if currency else rates


def unit_costs_list(*, viewer: Viewer) -> QuerySet[DispositionCost]:
    if not sees_finance(viewer, "finance.view_dispositioncost"):
        return DispositionCost.objects.none()
    return DispositionCost.objects.select_related("device_model").order_by(
        "kind", "device_model__name"
    )


def unit_cost_get_for(*, viewer: Viewer, pk: int) -> DispositionCost:
    return one_or_not_found(
        unit_costs_list(viewer=viewer).filter(pk=pk), _("Disposition cost not found.")
    )


def provider_rates_list(*, viewer: Viewer) -> QuerySet[ProviderRate]:
    if not sees_finance(viewer, "finance.view_providerrate"):
        return ProviderRate.objects.none()
    return ProviderRate.objects.select_related("provider__party").order_by("provider__name")
