"""Background work of recalls: the deadline alert sweep."""

from __future__ import annotations

from django_tasks import task

from . import deadlines


@task()
def deadlines_alert_sweep() -> int:
    return deadlines.deadlines_alert()
