"""Background work of the quality context: the reporting-clock alert sweep and the early-warning
detection sweep. Neither is re-run after a worker dies mid-task: both are scheduled sweeps whose
next run does the work again (each is idempotent)."""

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


@task()
def signals_detect_sweep() -> int:
    """The early-warning detection over every lot and device model: the number of active
    signals. Safe to run twice (``signals_detect`` is idempotent)."""
    from .signal_services import signals_detect

    return signals_detect().active


recoverable(
    signals_detect_sweep,
    rerun=False,
    why=gettext_lazy("the early-warning detection runs again on its schedule."),
)
