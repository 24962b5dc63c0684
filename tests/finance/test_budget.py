"""A recall's budget: finance sets and changes it (audited with before and after), nobody else;
per-category amounts within the total; refused in a state that does not take it."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.audit.models import AuditEntry
from medrecall.core.errors import ActionNotAllowed
from medrecall.finance import budgets
from medrecall.finance.errors import CostRefused
from medrecall.finance.models_budget import BudgetLine, RecallBudget
from medrecall.recalls.models import RecallCase


@pytest.fixture
def finance(make_user: Callable[..., User]) -> User:
    return make_user(Role.FINANCE)


@pytest.fixture
def recall(manager: User) -> RecallCase:
    return RecallCase.objects.create(
        number="RC-2026-0201", title="导管召回", owner=manager, status="in_execution"
    )


def budget_audits(recall: RecallCase) -> list[dict[str, object]]:
    return list(
        AuditEntry.objects.filter(action="finance.budget_set", target_id=str(recall.pk))
        .order_by("pk")
        .values_list("changes", flat=True)
    )


def test_finance_sets_a_budget_with_categories_and_the_audit_says_before_and_after(
    finance: User, recall: RecallCase
) -> None:
    budget = budgets.budget_set(
        actor=finance,
        recall=recall,
        total="50000",
        lines={"logistics": "10000.50", "destruction": "20000", "legal": ""},
        planned_disposition="destroy",
    )
    assert (budget.total, budget.currency, budget.version, budget.updated_by) == (
        Decimal("50000"),
        "CNY",
        1,
        finance,
    )
    assert dict(BudgetLine.objects.values_list("category", "amount")) == {
        "logistics": Decimal("10000.50"),
        "destruction": Decimal("20000.00"),
    }
    budgets.budget_set(actor=finance, recall=recall, total="60000", lines={"logistics": "9000"})
    assert budget_audits(recall) == [
        {
            "total": [None, "50000.00"],
            "lines": [None, {"destruction": "20000.00", "logistics": "10000.50"}],
            "planned_disposition": [None, "destroy"],
        },
        {
            "total": ["50000.00", "60000.00"],
            "lines": [
                {"destruction": "20000.00", "logistics": "10000.50"},
                {"logistics": "9000.00"},
            ],
            "planned_disposition": ["destroy", ""],
        },
    ]
    assert RecallBudget.objects.get().version == 2


def test_setting_the_same_figures_again_writes_nothing(finance: User, recall: RecallCase) -> None:
    budgets.budget_set(actor=finance, recall=recall, total="500.00", lines={"labour": "100.00"})
    again = budgets.budget_set(
        actor=finance, recall=recall, total="500.00", lines={"labour": "100.00"}
    )
    assert (again.version, len(budget_audits(recall))) == (1, 1)


@pytest.mark.parametrize("role", [Role.QA_RA_MANAGER, Role.VIEWER, Role.WAREHOUSE])
def test_only_finance_and_the_owner_set_a_budget_not_other_roles(
    make_user: Callable[..., User], recall: RecallCase, role: str
) -> None:
    actor = make_user(role)  # a QA/RA manager who does not own this recall, too
    with pytest.raises(
        ActionNotAllowed, match=r"Only finance or the recall's owner sets a recall's budget\."
    ):
        budgets.budget_set(actor=actor, recall=recall, total="100")
    assert (RecallBudget.objects.count(), budget_audits(recall)) == (0, [])


def test_the_recall_owner_sets_the_budget(recall: RecallCase) -> None:
    budget = budgets.budget_set(actor=recall.owner, recall=recall, total="800.00")
    assert (budget.total, budget.version, len(budget_audits(recall))) == (Decimal("800.00"), 1, 1)


@pytest.mark.parametrize(
    ("total", "lines", "message"),
    [
        ("0", {}, "A budget must be more than zero."),
        ("-5", {}, "A budget must be more than zero."),
        ("abc", {}, "abc is not an amount."),
        ("100", {"fuel": "10"}, "fuel is not a cost category."),
        ("100", {"logistics": "-1"}, "A category's budget must be more than zero"),
        ("100", {"logistics": "60", "labour": "40.01"}, "add up to 100.01, more than the budget"),
    ],
    ids=["zero", "negative", "not-a-number", "unknown-category", "negative-line", "over-total"],
)
def test_a_bad_budget_is_refused_and_nothing_is_written(
    finance: User, recall: RecallCase, total: str, lines: dict[str, str], message: str
) -> None:
    with pytest.raises(CostRefused, match=message):
        budgets.budget_set(actor=finance, recall=recall, total=total, lines=lines)
    assert (RecallBudget.objects.count(), budget_audits(recall)) == (0, [])


def test_a_changed_budget_keeps_the_old_one_when_refused(finance: User, recall: RecallCase) -> None:
    budgets.budget_set(actor=finance, recall=recall, total="100")
    with pytest.raises(CostRefused):
        budgets.budget_set(actor=finance, recall=recall, total="100", planned_disposition="burn")
    assert (RecallBudget.objects.get().total, len(budget_audits(recall))) == (Decimal("100"), 1)


@pytest.mark.parametrize(
    ("status", "message"),
    [
        ("draft", "recall RC-2026-0201 is Draft."),
        ("closed", "recall RC-2026-0201 is Closed."),
        ("cancelled", "recall RC-2026-0201 is Cancelled."),
    ],
)
def test_a_draft_or_finished_recall_takes_no_budget(
    finance: User, recall: RecallCase, status: str, message: str
) -> None:
    RecallCase.objects.filter(pk=recall.pk).update(status=status)
    recall.refresh_from_db()
    with pytest.raises(ActionNotAllowed, match=message):
        budgets.budget_set(actor=finance, recall=recall, total="100")
    assert (RecallBudget.objects.count(), budget_audits(recall)) == (0, [])


@pytest.mark.parametrize(
    "status", ["assessment", "pending_approval", "effectiveness_check", "terminated"]
)
def test_a_budget_is_set_while_the_recall_runs(
    finance: User, recall: RecallCase, status: str
) -> None:
    RecallCase.objects.filter(pk=recall.pk).update(status=status)
    recall.refresh_from_db()
    assert budgets.budget_set(actor=finance, recall=recall, total="100").version == 1
