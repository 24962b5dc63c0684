"""A recall's budget (F2): set and changed by finance, audited with before and after, and the
figures other contexts show against it (``cost_against_budget``: the recall cockpit).

Who sets it: the finance role (``finance.change_recallbudget``) and the recall's owner, who
plans the recall and is alerted when the budget runs out (``may_set_budget``); every change is
audited with the figures before and after, so finance sees what the owner set.
When: from assessment until the recall is closed or cancelled (the recall action ``post_cost``
and neither of those two states); the budget of a finished recall is final."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from medrecall.accounts.models import User
from medrecall.audit import services as audit
from medrecall.core.errors import ActionNotAllowed
from medrecall.execution.lifecycle import DispositionKind
from medrecall.execution.models import ServiceProvider
from medrecall.recalls.lifecycle import Action, Status, action_blockers
from medrecall.recalls.models import RecallCase

from .errors import CostRefused
from .forecast import recall_forecast
from .ledger import amount_checked, policy
from .models import CostCategory
from .models_budget import BudgetLine, RecallBudget

FINAL = (Status.CLOSED, Status.CANCELLED)
ZERO = Decimal("0.00")
CENT = Decimal("0.01")


class BudgetRefused(CostRefused):
    """A budget that cannot be set as given (amounts, categories, state, permission)."""

    code = "budget_refused"


def _category_amounts(lines: Mapping[str, Any]) -> dict[str, Decimal]:
    checked: dict[str, Decimal] = {}
    for category, value in lines.items():
        if category not in CostCategory.values:
            raise BudgetRefused(
                _("%(category)s is not a cost category.") % {"category": category},
                where="lines",
            )
        if value in (None, ""):
            continue
        if str(value).strip() in ("0", "0.0", "0.00"):
            checked[category] = ZERO
            continue
        checked[category] = amount_checked(
            value,
            where=f"lines.{category}",
            not_positive=_(
                "A category's budget must be more than zero (0 or blank: none planned)."
            ),
        ).quantize(CENT)
    return checked


def budget_blockers(recall: RecallCase, *, fresh: bool = False) -> list[str]:
    """Why the recall's state takes no budget now (empty: it does): a budget is set from
    assessment (the recall action ``post_cost``) until the recall is closed or cancelled."""
    if action_blockers(recall, Action.POST_COST, fresh=fresh) or recall.status in FINAL:
        return [
            _(
                "A budget is set from assessment until the recall is closed or cancelled; "
                "recall %(number)s is %(status)s."
            )
            % {"number": recall.number, "status": Status(recall.status).label}
        ]
    return []


def _state_checked(recall: RecallCase) -> None:
    if problems := budget_blockers(recall, fresh=True):
        raise ActionNotAllowed(problems[0], where="recall")


def _snapshot(budget: RecallBudget | None) -> dict[str, Any]:
    if budget is None:
        return {}
    return {
        "total": str(budget.total),
        "lines": {line.category: str(line.amount) for line in budget.lines.all()},
        "planned_disposition": budget.planned_disposition,
        "planned_provider": budget.planned_provider_id,
    }


def may_set_budget(user: Any, recall: RecallCase) -> bool:
    """Finance, or the recall's owner when they may read the budget; never a portal user."""
    if getattr(user, "party_id", None) is not None or not user.is_authenticated:
        return False
    if user.has_perm("finance.change_recallbudget"):
        return True
    return bool(recall.owner_id == user.pk and user.has_perm("finance.view_recallbudget"))


@transaction.atomic
def budget_set(
    *,
    actor: User,
    recall: RecallCase,
    total: Any,
    lines: Mapping[str, Any] | None = None,
    planned_disposition: str = "",
    planned_provider: ServiceProvider | None = None,
    reason: str = "",
) -> RecallBudget:
    """Set or change the recall's budget (company currency). Per-category amounts may not add
    up to more than the total. A change raises the version: the alert thresholds apply anew to
    the new figure. Setting the same figures again writes nothing."""
    if not may_set_budget(actor, recall):
        raise ActionNotAllowed(
            _("Only finance or the recall's owner sets a recall's budget."), where="recall"
        )
    _state_checked(recall)
    amount = amount_checked(
        total, where="total", not_positive=_("A budget must be more than zero.")
    ).quantize(CENT)
    categories = _category_amounts(lines or {})
    if sum(categories.values(), ZERO) > amount:
        raise BudgetRefused(
            _("The categories add up to %(sum)s, more than the budget of %(total)s.")
            % {"sum": sum(categories.values(), ZERO), "total": amount},
            where="lines",
        )
    if planned_disposition and planned_disposition not in DispositionKind.values:
        raise BudgetRefused(
            _("%(kind)s is not a disposition.") % {"kind": planned_disposition},
            where="planned_disposition",
        )
    budget = RecallBudget.objects.select_for_update().filter(recall=recall).first()
    before = _snapshot(budget)
    after = {
        "total": str(amount),
        "lines": {k: str(v) for k, v in sorted(categories.items())},
        "planned_disposition": planned_disposition,
        "planned_provider": planned_provider.pk if planned_provider else None,
    }
    if before == after and budget is not None:
        return budget
    if budget is None:
        budget = RecallBudget(recall=recall, version=0)
    budget.total = amount
    budget.currency = policy().company_currency
    budget.planned_disposition = planned_disposition
    budget.planned_provider = planned_provider
    budget.version += 1
    budget.updated_by = actor
    budget.save()
    budget.lines.all().delete()
    BudgetLine.objects.bulk_create(
        BudgetLine(budget=budget, category=k, amount=v) for k, v in categories.items()
    )
    audit.record(
        actor=actor,
        action="finance.budget_set",
        target=recall,
        changes={
            key: [before.get(key), after[key]] for key in after if before.get(key) != after[key]
        },
        reason=reason.strip(),
    )
    from .budget_tasks import budget_alerts_check

    transaction.on_commit(lambda: budget_alerts_check.enqueue(recall.pk))
    return budget


def budget_of(recall: RecallCase) -> RecallBudget | None:
    """The recall's budget with its lines (two queries), or ``None``."""
    return (
        RecallBudget.objects.filter(recall=recall)
        .select_related("planned_provider", "updated_by")
        .prefetch_related("lines")
        .first()
    )


@dataclass(frozen=True)
class CategoryRow:
    category: str
    label: str
    budget: Decimal | None
    actual: Decimal
    forecast: Decimal

    @property
    def over(self) -> bool:
        return self.budget is not None and self.forecast > self.budget


def by_category(
    budget: RecallBudget | None, actual: dict[str, Decimal], forecast: dict[str, Decimal]
) -> list[CategoryRow]:
    """One row per cost category: its budget (if set), actual and forecast."""
    allowed = {line.category: line.amount for line in budget.lines.all()} if budget else {}
    return [
        CategoryRow(
            category=value,
            label=str(label),
            budget=allowed.get(value),
            actual=actual.get(value, ZERO),
            forecast=forecast.get(value, ZERO),
        )
        for value, label in CostCategory.choices
    ]


def percent(amount: Decimal, budget: Decimal | None) -> Decimal | None:
    if not budget:
        return None
    return (amount * 100 / budget).quantize(Decimal("0.1"))


def cost_against_budget(recall: RecallCase) -> dict[str, Any]:
    """What the recall has cost, will cost and may cost, in the company currency, for the
    recall cockpit: ``{"actual", "forecast", "budget", "currency", "forecast_complete",
    "actual_percent", "forecast_percent"}`` (amounts as Decimal; ``budget`` None when unset)."""
    forecast = recall_forecast(recall)
    budget = RecallBudget.objects.filter(recall=recall).values_list("total", flat=True).first()
    return {
        "actual": forecast.actual,
        "forecast": forecast.total,
        "budget": budget,
        "currency": forecast.currency,
        "forecast_complete": forecast.complete,
        "actual_percent": percent(forecast.actual, budget),
        "forecast_percent": percent(forecast.total, budget),
    }


def budget_summary(recall: RecallCase) -> dict[str, Any]:
    """The budget, its lines and assumptions, the actual cost and forecast against it, and why
    the state takes no budget now (for the API and the command line)."""
    budget = budget_of(recall)
    figures = cost_against_budget(recall)
    return {
        "recall": recall.number,
        "currency": figures["currency"],
        "budget": None if budget is None else str(budget.total),
        "version": None if budget is None else budget.version,
        "lines": {} if budget is None else {x.category: str(x.amount) for x in budget.lines.all()},
        "planned_disposition": "" if budget is None else budget.planned_disposition,
        "planned_provider": None if budget is None else budget.planned_provider_id,
        "actual": str(figures["actual"]),
        "forecast": str(figures["forecast"]),
        "forecast_complete": figures["forecast_complete"],
        "actual_percent": None
        if figures["actual_percent"] is None
        else str(figures["actual_percent"]),
        "forecast_percent": (
            None if figures["forecast_percent"] is None else str(figures["forecast_percent"])
        ),
        "blockers": budget_blockers(recall),
    }
