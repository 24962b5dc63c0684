"""Background work of the quality context: the reporting-clock alert sweep."""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from django_tasks import task

from medrecall.core.workers import recoverable

from . import reporting


@task()
def reporting_alert_sweep() -> int:
    return reporting.reporting_alert()


recoverable(
    reporting_alert_sweep,
    rerun=False,
    why=gettext_lazy("the reporting-clock sweep runs again on its schedule."),
)
