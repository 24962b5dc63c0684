"""Background work of notices: a send run, its render-and-send batches, and the follow-up
sweep (retries, reminders, escalation, surveys). Tasks take ids and are safe to run twice."""

from __future__ import annotations

from django_tasks import task

from . import followup, services


@task()
def notice_run_task(run_id: int) -> int:
    return services.notice_run_execute(run_id).total


@task()
def notices_batch_task(run_id: int | None, notice_ids: list[int]) -> int:
    return services.notices_batch(run_id, notice_ids)


@task()
def follow_up_sweep_task() -> dict[str, int]:
    return followup.follow_up_sweep()
