"""Budget alerts: at each threshold of the policy, for the actual cost and the forecast, once per
recall and budget version, however often the task runs; mailed to the owner and finance."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.finance import alerts, budgets, ledger
from medrecall.finance.budget_tasks import budget_alerts_check, budget_alerts_sweep
from medrecall.finance.ledger import CostLine
from medrecall.finance.models_budget import BudgetAlert
from medrecall.recalls.models import RecallCase


@pytest.fixture
def finance(make_user: Callable[..., User]) -> User:
    user = make_user(Role.FINANCE)
    user.email = "finance@example.com"
    user.save()
    return user


@pytest.fixture
def recall(manager: User) -> RecallCase:
    manager.email = "owner@example.com"
    manager.save()
    return RecallCase.objects.create(
        number="RC-2026-0301", title="导管召回", owner=manager, status="in_execution"
    )


def post(finance: User, recall: RecallCase, amount: str) -> None:
    line = CostLine(
        category="logistics", amount=amount, currency="CNY", incurred_on=timezone.localdate()
    )
    ledger.cost_post(actor=finance, recall=recall, line=line)


def raised(recall: RecallCase) -> list[tuple[int, str, int, str]]:
    return [
        (a.budget_version, a.kind, a.threshold, str(a.amount))
        for a in BudgetAlert.objects.filter(recall=recall).order_by("pk")
    ]


def test_each_threshold_alerts_once_even_when_the_task_runs_twice(
    finance: User, recall: RecallCase, mailoutbox: list[Any]
) -> None:
    budgets.budget_set(actor=finance, recall=recall, total="1000")
    post(finance, recall, "799.99")
    assert budget_alerts_check.call(recall.pk) == 0

    post(finance, recall, "0.01")  # 800.00: 80 % of 1,000
    assert (budget_alerts_check.call(recall.pk), budget_alerts_check.call(recall.pk)) == (2, 0)
    assert raised(recall) == [(1, "actual", 80, "800.00"), (1, "forecast", 80, "800.00")]
    assert [(m.subject, m.to) for m in mailoutbox] == [
        (
            "[RC-2026-0301] Actual cost reached 80% of the budget",
            ["finance@example.com", "owner@example.com"],
        ),
        (
            "[RC-2026-0301] Forecast reached 80% of the budget",
            ["finance@example.com", "owner@example.com"],
        ),
    ]

    post(finance, recall, "250.00")  # 1,050.00: over the budget
    assert (budget_alerts_sweep.call(), budget_alerts_sweep.call()) == (2, 0)
    assert raised(recall)[2:] == [(1, "actual", 100, "1050.00"), (1, "forecast", 100, "1050.00")]
    assert len(mailoutbox) == 4
    assert BudgetAlert.objects.filter(mailed_at__isnull=True).count() == 0


def test_a_changed_budget_arms_the_thresholds_again(
    finance: User, recall: RecallCase, mailoutbox: list[Any]
) -> None:
    budgets.budget_set(actor=finance, recall=recall, total="1000")
    post(finance, recall, "900.00")
    budget_alerts_check.call(recall.pk)
    budgets.budget_set(actor=finance, recall=recall, total="1100")  # 900 is 81.8 %
    budget_alerts_check.call(recall.pk)
    assert raised(recall) == [
        (1, "actual", 80, "900.00"),
        (1, "forecast", 80, "900.00"),
        (2, "actual", 80, "900.00"),
        (2, "forecast", 80, "900.00"),
    ]


def test_the_thresholds_come_from_the_finance_policy(finance: User, recall: RecallCase) -> None:
    policy = ledger.policy()
    policy.alert_thresholds = [50, "x", 50, 75]
    policy.save()
    budgets.budget_set(actor=finance, recall=recall, total="1000")
    post(finance, recall, "600.00")
    alerts.budget_alerts_check(recall)
    assert raised(recall) == [(1, "actual", 50, "600.00"), (1, "forecast", 50, "600.00")]


def test_a_mail_that_fails_is_sent_by_the_next_run_and_not_twice(
    finance: User, recall: RecallCase, mailoutbox: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    budgets.budget_set(actor=finance, recall=recall, total="1000")
    post(finance, recall, "800.00")

    def down(*args: object, **kwargs: object) -> None:
        raise OSError("mail server down")

    monkeypatch.setattr(alerts, "send_mail", down)
    with pytest.raises(OSError, match="mail server down"):
        alerts.budget_alerts_check(recall)
    assert BudgetAlert.objects.filter(mailed_at__isnull=True).count() == 2
    monkeypatch.undo()
    assert (alerts.budget_alerts_check(recall), len(mailoutbox)) == ([], 2)
    assert alerts.budget_alerts_check(recall) == []
    assert len(mailoutbox) == 2


def test_a_recall_without_a_budget_raises_nothing(finance: User, recall: RecallCase) -> None:
    post(finance, recall, "800.00")
    assert (budget_alerts_check.call(recall.pk), raised(recall)) == (0, [])


def work_off_queue() -> list[str]:
    """Run every queued task as the worker does; the names of the tasks run."""
    ran = []
    for result in DBTaskResult.objects.ready().order_by("enqueued_at"):
        result.claim("test-worker")
        args = result.args_kwargs
        result.set_successful(result.task.call(*args["args"], **args["kwargs"]))
        ran.append(result.task_path.rsplit(".", 1)[-1])
    return ran


def test_a_posting_queues_the_alert_check_which_alerts_once(
    finance: User,
    recall: RecallCase,
    mailoutbox: list[Any],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        budgets.budget_set(actor=finance, recall=recall, total="1000")
    with django_capture_on_commit_callbacks(execute=True):
        post(finance, recall, "700.00")
    assert work_off_queue() == ["budget_alerts_check", "budget_alerts_check"]
    assert raised(recall) == []
    line = CostLine(
        category="labour", amount="100.00", currency="CNY", incurred_on=timezone.localdate()
    )
    with django_capture_on_commit_callbacks(execute=True):  # automatic: 800.00, 80 %
        ledger.cost_post(
            actor=None, recall=recall, line=line, source="work_order", source_key="WO-1:labour"
        )
        ledger.cost_post(  # a retried task posts nothing and queues nothing more
            actor=None, recall=recall, line=line, source="work_order", source_key="WO-1:labour"
        )
    assert work_off_queue() == ["budget_alerts_check"]
    assert raised(recall) == [(1, "actual", 80, "800.00"), (1, "forecast", 80, "800.00")]
    assert len(mailoutbox) == 2

    with django_capture_on_commit_callbacks(execute=True):  # by hand: 850.00, no new threshold
        post(finance, recall, "50.00")
        post(finance, recall, "0.01")
    assert work_off_queue() == ["budget_alerts_check"]  # one check for the transaction
    assert raised(recall) == [(1, "actual", 80, "800.00"), (1, "forecast", 80, "800.00")]
    assert len(mailoutbox) == 2


def test_a_posting_without_a_commit_queues_no_check(
    finance: User, recall: RecallCase, django_capture_on_commit_callbacks: Any
) -> None:
    budgets.budget_set(actor=finance, recall=recall, total="1000")
    work_off_queue()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        post(finance, recall, "900.00")
    assert (len(callbacks), work_off_queue(), raised(recall)) == (1, [], [])
