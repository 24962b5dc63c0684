"""Background work of budgets: the alert check of one recall (enqueued when a cost is posted,
or a budget set) and the sweep over every recall with a budget (``medrecall finance alerts
check --every N``). Both are safe to run twice: an alert is raised and mailed once."""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from django_tasks import task

from medrecall.core.workers import recoverable
from medrecall.recalls.models import RecallCase

from . import alerts


@task()
def budget_alerts_check(recall_id: int) -> int:
    recall = RecallCase.objects.filter(pk=recall_id).first()
    return 0 if recall is None else len(alerts.budget_alerts_check(recall))


@task()
def budget_alerts_sweep() -> int:
    return alerts.budget_alerts_sweep()


recoverable(
    budget_alerts_check,
    rerun=True,
    why=gettext_lazy("an alert is raised and mailed once, however often the check runs."),
)
recoverable(
    budget_alerts_sweep,
    rerun=False,
    why=gettext_lazy("the budget alert sweep runs again on its schedule."),
)
