"""Background work of notices: a send run, its render-and-send batches, and the follow-up
sweep (retries, reminders, escalation, surveys). Tasks take ids and are safe to run twice."""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from django_tasks import task

from medrecall.core.workers import recoverable

from . import followup, send_runs


@task()
def notice_run_task(run_id: int) -> int:
    return send_runs.notice_run_execute(run_id).total


@task()
def notices_batch_task(run_id: int | None, notice_ids: list[int]) -> int:
    return send_runs.notices_batch(run_id, notice_ids)


@task()
def follow_up_sweep_task() -> dict[str, int]:
    return followup.follow_up_sweep()


# A worker killed mid-run (core/workers.py): a run and its batches are run again — each notice
# is claimed before it is sent and marked sent the moment the server accepts it, so a notice
# sent already is not sent again (docs/notices.md, "Kill window"); the sweep runs on its clock.
_SENDS_ONCE = gettext_lazy(
    "each notice is claimed before it is sent, so one sent already is not sent again"
)
recoverable(notice_run_task, rerun=True, why=_SENDS_ONCE)
recoverable(notices_batch_task, rerun=True, why=_SENDS_ONCE)
recoverable(
    follow_up_sweep_task,
    rerun=False,
    why=gettext_lazy("the follow-up sweep runs again on its schedule."),
)
