"""Deadlines of a recall case: computed from its class and dates, marked done, listed
across recalls, and alerted once through a real SMTP server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from medrecall.core.errors import ValidationFailed
from medrecall.recalls import deadlines, services
from medrecall.recalls.models import DeadlineAlert, RecallCase

pytestmark = pytest.mark.django_db

DECISION = datetime(2025, 9, 30, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, the eve of Golden Week


def classified_recall(manager: object, level: str = "I", interval: int | None = 1) -> RecallCase:
    recall = services.recall_open(
        actor=manager,
        title="t",
        products=[],
        reason="r",
        regimes=["nmpa"],
        decision_at=DECISION,
        progress_interval_days=interval,
    )
    services.hazard_evaluate(
        recall=recall, actor=manager, severity="serious", likelihood="probable"
    )
    if level != "I":
        services.recall_classify(
            recall=recall, regime="nmpa", recall_class=level, actor=manager, reason="policy"
        )
    RecallCase.objects.filter(pk=recall.pk).update(status="in_execution")
    recall.refresh_from_db()
    return recall


def test_deadlines_follow_the_level_and_the_holiday_calendar(manager: object) -> None:
    rows, missing = deadlines.deadlines_for(classified_recall(manager), now=DECISION)
    due = {row.key: row.due_at.astimezone(UTC) for row in rows if row.key != "nmpa.progress_report"}
    assert missing == []
    assert due["nmpa.notify_holders"] == DECISION + timedelta(days=1)
    assert due["nmpa.event_report"] == datetime(2025, 9, 30, 15, 59, 59, 999999, tzinfo=UTC)
    assert due["nmpa.recall_plan"] == datetime(
        2025, 10, 14, 15, 59, 59, 999999, tzinfo=UTC
    )  # after Golden Week


def test_changing_the_level_recomputes(manager: object) -> None:
    recall = classified_recall(manager)
    services.recall_classify(
        recall=recall, regime="nmpa", recall_class="III", actor=manager, reason="re-assessed"
    )
    rows, _missing = deadlines.deadlines_for(recall, now=DECISION)
    notify = next(row for row in rows if row.key == "nmpa.notify_holders")
    assert notify.due_at.astimezone(UTC) == DECISION + timedelta(days=7)


def test_missing_progress_cadence_is_named_with_the_policy_suggestion(manager: object) -> None:
    rows, missing = deadlines.deadlines_for(classified_recall(manager, interval=None), now=DECISION)
    assert len(missing) == 1
    assert "(company policy, not national law): every day." in missing[0]
    assert "suggests" not in missing[0]  # said once
    assert "not national law" in missing[0]
    assert any(row.key == "nmpa.progress_report" for row in rows)


def test_mark_done_once(manager: object) -> None:
    recall = classified_recall(manager)
    rows, _missing = deadlines.deadlines_for(recall, now=DECISION)
    event = next(row for row in rows if row.key == "nmpa.event_report")
    deadlines.deadline_mark_done(
        recall=recall,
        key=event.key,
        due_at=event.due_at,
        actor=manager,
        done_at=DECISION + timedelta(hours=2),
        note="Filed on paper; the acknowledgement is in the file.",
    )
    rows, _missing = deadlines.deadlines_for(recall, now=DECISION + timedelta(days=3))
    assert next(row for row in rows if row.key == "nmpa.event_report").status == "done"
    with pytest.raises(ValidationFailed, match="already marked done"):
        deadlines.deadline_mark_done(
            recall=recall, key=event.key, due_at=event.due_at, actor=manager
        )
    with pytest.raises(ValidationFailed, match="no deadline"):
        deadlines.deadline_mark_done(
            recall=recall, key="nmpa.nothing", due_at=event.due_at, actor=manager
        )


def test_alerts_go_out_once_through_smtp(manager: object, smtp: object) -> None:
    recall = classified_recall(manager)
    breached_at = DECISION + timedelta(days=2)  # notify (1 day) and event report are breached
    sent = deadlines.deadlines_alert(now=breached_at)
    assert sent >= 2
    assert (
        DeadlineAlert.objects.filter(
            recall=recall, kind="breached", key="nmpa.notify_holders"
        ).count()
        == 1
    )
    subjects = [message["Subject"] for _to, message in smtp.messages]  # type: ignore[attr-defined]
    assert any(s.startswith(f"[{recall.number}] Deadline breached") for s in subjects)
    assert all(to == [manager.email] for to, _m in smtp.messages)  # type: ignore[attr-defined]
    again = deadlines.deadlines_alert(now=breached_at)
    assert again == 0
    assert len(smtp.messages) == sent  # type: ignore[attr-defined]


def test_due_this_week_lists_open_recalls_only(manager: object) -> None:
    open_one = classified_recall(manager)
    closed = classified_recall(manager)
    RecallCase.objects.filter(pk=closed.pk).update(status="closed")
    rows = deadlines.due_this_week(now=DECISION)
    assert {row.recall_number for row in rows} == {open_one.number}


@pytest.mark.django_db(transaction=True)  # the worker manages its own database connection
def test_alert_sweep_runs_on_the_task_queue_and_shows_in_app(manager: object, smtp: object) -> None:
    from django.core.management import call_command
    from django.test import Client

    from medrecall.recalls.tasks import deadlines_alert_sweep
    from tests.conftest import PASSWORD

    recall = classified_recall(manager)  # decided 2025-09-30: long breached by now
    deadlines_alert_sweep.enqueue()
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    assert DeadlineAlert.objects.filter(recall=recall, kind="breached").exists()
    client = Client()
    client.login(username=manager.username, password=PASSWORD)  # type: ignore[attr-defined]
    home = client.get("/").content.decode()
    assert "deadline-alerts" in home
    assert recall.number in home


def test_alert_mail_gives_the_due_time_in_local_time_with_zone(
    manager: object, smtp: object
) -> None:
    """It used to print the due time as ISO UTC ("2025-09-30T15:59:59.999999+00:00")."""
    classified_recall(manager)
    deadlines.deadlines_alert(now=DECISION + timedelta(days=2))
    bodies = [message.get_content().replace("\r\n", "\n") for _to, message in smtp.messages]  # type: ignore[attr-defined]
    event_report = [body for body in bodies if body.startswith("Submit the recall event report")]
    assert len(event_report) == 1
    assert "\nDue: 2025-09-30 23:59 CST\n" in event_report[0]
    assert [body for body in bodies if "+00:00" in body] == []
