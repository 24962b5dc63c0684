"""Background work of recalls: the deadline alert sweep."""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from django_tasks import task

from medrecall.core.workers import recoverable

from . import deadlines


@task()
def deadlines_alert_sweep() -> int:
    return deadlines.deadlines_alert()


recoverable(
    deadlines_alert_sweep,
    rerun=False,
    why=gettext_lazy("the deadline sweep runs again on its schedule."),
)
