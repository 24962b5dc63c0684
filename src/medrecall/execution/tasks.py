"""Background work of execution: the overdue work-order escalation sweep (safe to run twice)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from django_tasks import task

from medrecall.core.workers import recoverable

from .fieldwork import work_orders_escalate


@task()
def work_orders_escalation_sweep() -> int:
    return work_orders_escalate()


recoverable(
    work_orders_escalation_sweep,
    rerun=False,
    why=gettext_lazy("the escalation sweep runs again on its schedule."),
)
