"""What a recall has cost against its budget, for the cockpit, its exports, the API and the
command: finance's own figures (``finance.budgets.cost_against_budget``: the ledger's actual
cost, the forecast, the budget), never counted again here.

Shown only to those who may read finance: staff with both ``finance.view_costentry`` (the
ledger) and ``finance.view_recallbudget`` (the budget) — finance, QA/RA, viewers, a
superuser (``accounts/roles.py``). Others see no cost section, and the API answers
``cost: null``."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy

from medrecall.core.types import Viewer
from medrecall.finance.budgets import cost_against_budget
from medrecall.finance.selectors import sees_finance
from medrecall.recalls.models import RecallCase

from .kept import keep_seconds, kept, recall_stamp, shape_of

FINANCE_PERMISSIONS = ("finance.view_costentry", "finance.view_recallbudget")

# Why there is nothing to measure the cost against, by code.
COST_MISSING = {
    "no_budget": gettext_lazy(
        "No budget has been set for this recall: finance sets it on the recall's budget page. "
        "The actual cost and the forecast are shown without a budget to measure them against."
    ),
}


def sees_cost(viewer: Viewer) -> bool:
    """May ``viewer`` read the recall's cost against its budget (staff with both finance
    permissions)?"""
    return all(sees_finance(viewer, permission) for permission in FINANCE_PERMISSIONS)


@dataclass(frozen=True)
class Cost:
    """The recall's cost in the company currency: actual (posted in the ledger), forecast
    (actual plus what remains, priced), and the budget with the share of it used."""

    currency: str
    actual: Decimal
    forecast: Decimal
    forecast_complete: bool  # every remaining term could be priced
    budget: Decimal | None
    percent_used: Decimal | None  # actual ÷ budget, in percent, one decimal
    forecast_percent: Decimal | None  # forecast ÷ budget, in percent, one decimal

    @property
    def missing(self) -> str | None:
        return "no_budget" if self.budget is None else None

    @property
    def over_budget(self) -> bool | None:
        """Does the forecast exceed the budget? ``None`` without a budget."""
        return None if self.budget is None else self.forecast > self.budget

    def as_dict(self) -> dict[str, Any]:
        def text(amount: Decimal | None) -> str | None:
            return None if amount is None else str(amount)

        return {
            "currency": self.currency,
            "actual": text(self.actual),
            "forecast": text(self.forecast),
            "forecast_complete": self.forecast_complete,
            "budget": text(self.budget),
            "percent_used": text(self.percent_used),
            "forecast_percent": text(self.forecast_percent),
            "forecast_over_budget": self.over_budget,
            "missing": None
            if self.missing is None
            else {"code": self.missing, "message": str(COST_MISSING[self.missing])},
        }


def cost_of(recall: RecallCase) -> Cost:
    """The recall's cost against its budget, as finance computes it."""
    figures = cost_against_budget(recall)
    return Cost(
        currency=figures["currency"],
        actual=figures["actual"],
        forecast=figures["forecast"],
        forecast_complete=bool(figures["forecast_complete"]),
        budget=figures["budget"],
        percent_used=figures["actual_percent"],
        forecast_percent=figures["forecast_percent"],
    )


_SHAPE = shape_of(Cost)


def kept_cost(recall: RecallCase, *, stamp: int | None = None) -> Cost:
    """``cost_of``, kept in the cache like the cockpit's figures (``reporting.kept``:
    ``MEDRECALL_COCKPIT_CACHE_SECONDS``, keyed by the recall's own audit stamp: a posting, a
    budget set or a rate entered is audited, so it is counted at once). The forecast prices
    every remaining unit of the scope, hundreds of milliseconds at a million units. ``stamp``:
    the recall's stamp when the caller has read it."""
    if keep_seconds() <= 0:
        return cost_of(recall)
    if stamp is None:
        stamp = recall_stamp(recall.pk)
    return kept(f"cost:{recall.pk}:{recall.status}:{_SHAPE}", lambda: cost_of(recall), stamp=stamp)


def cost_for(recall: RecallCase, viewer: Viewer, *, stamp: int | None = None) -> Cost | None:
    """The cost for a viewer who may read it, else ``None``."""
    return kept_cost(recall, stamp=stamp) if sees_cost(viewer) else None
