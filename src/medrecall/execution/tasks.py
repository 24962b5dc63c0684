"""Background work of execution: the overdue work-order escalation sweep (safe to run twice)."""

from __future__ import annotations

from django_tasks import task

from .fieldwork import work_orders_escalate


@task()
def work_orders_escalation_sweep() -> int:
    return work_orders_escalate()
