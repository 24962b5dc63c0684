"""The company's working-day calendar drives the NMPA counts: entering a year makes its
deadlines exact (make-up working days included), an entry overrides the package, and the
administrators are told once, from 2 October of the last covered year, to enter the next."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.core.management import call_command

from medrecall.accounts.roles import Role
from medrecall.audit.models import AuditEntry
from medrecall.core.models import CalendarEndAlert
from medrecall.recalls import calendars as calendar_services
from medrecall.recalls import deadlines
from tests.recalls.test_calendar_provisional import NOW, recall_decided

pytestmark = pytest.mark.django_db

SPRING_FESTIVAL_2027 = [
    (date(2027, 2, 6), "holiday", "春节"),
    (date(2027, 2, 7), "holiday", "春节"),
    (date(2027, 2, 8), "holiday", "春节"),
    (date(2027, 2, 9), "holiday", "春节"),
    (date(2027, 2, 10), "holiday", "春节"),
    (date(2027, 2, 11), "holiday", "春节"),
    (date(2027, 2, 12), "holiday", "春节"),
    (date(2027, 2, 20), "workday", "春节调休"),
]


def filing(recall: Any, now: datetime = NOW) -> deadlines.DeadlineRow:
    rows, _missing = deadlines.deadlines_for(recall, now=now)
    return next(row for row in rows if row.key == "nmpa.recall_plan")


def enter_2027(admin: Any, *, make_up_sunday: bool) -> None:
    calendar_services.calendar_entry_set(
        calendar="CN", day=date(2027, 1, 1), kind="holiday", name="元旦", actor=admin
    )
    if make_up_sunday:
        calendar_services.calendar_entry_set(
            calendar="CN", day=date(2027, 1, 3), kind="workday", name="元旦调休", actor=admin
        )
    for day, kind, name in SPRING_FESTIVAL_2027:
        calendar_services.calendar_entry_set(
            calendar="CN", day=day, kind=kind, name=name, actor=admin
        )
    calendar_services.calendar_year_mark_entered(
        calendar="CN", year=2027, actor=admin, note="国办发明电"
    )


def test_entering_2027_makes_the_deadline_exact(manager: Any, make_user: Any) -> None:
    recall = recall_decided(manager)
    assert filing(recall).due_at.isoformat() == "2027-01-02T23:59:59.999999+08:00"
    enter_2027(make_user(Role.ADMINISTRATOR), make_up_sunday=False)
    exact = filing(recall)
    # 29, 30, 31 Dec; 1 Jan holiday; weekend; 4 and 5 Jan.
    assert exact.due_at.isoformat() == "2027-01-05T23:59:59.999999+08:00"
    assert (exact.provisional, exact.calendar_missing_years, exact.provisional_note) == (
        False,
        (),
        "",
    )


def test_entered_year_honours_a_make_up_working_day(manager: Any, make_user: Any) -> None:
    recall = recall_decided(manager)
    enter_2027(make_user(Role.ADMINISTRATOR), make_up_sunday=True)
    exact = filing(recall)
    assert exact.due_at.isoformat() == "2027-01-04T23:59:59.999999+08:00"  # Sunday 3 Jan is worked
    assert exact.provisional is False


def test_entries_without_the_year_marked_entered_stay_provisional(
    manager: Any, make_user: Any
) -> None:
    recall = recall_decided(manager)
    calendar_services.calendar_entry_set(
        calendar="CN",
        day=date(2027, 1, 1),
        kind="holiday",
        name="元旦",
        actor=make_user(Role.ADMINISTRATOR),
    )
    row = filing(recall)
    # 1 Jan is a known holiday; 2 and 3 Jan are unknown and count: the earliest possible date.
    assert row.due_at.isoformat() == "2027-01-03T23:59:59.999999+08:00"
    assert row.calendar_missing_years == (2027,)


def test_summary_report_after_completion_honours_spring_festival(
    manager: Any, make_user: Any
) -> None:
    recall = recall_decided(manager)
    recall.completed_at = datetime(2027, 2, 3, 2, 0, tzinfo=UTC)  # Wednesday
    recall.save(update_fields=["completed_at"])
    enter_2027(make_user(Role.ADMINISTRATOR), make_up_sunday=False)
    rows, _missing = deadlines.deadlines_for(recall, now=NOW)
    summary = next(row for row in rows if row.key == "nmpa.summary_report")
    # 4, 5 Feb; festival 6-12 Feb; 15-19 Feb (5), Saturday 20 Feb worked (8), 22, 23 Feb.
    assert summary.due_at.isoformat() == "2027-02-23T23:59:59.999999+08:00"
    assert summary.provisional is False


def test_an_entry_overrides_the_package_in_2026(manager: Any, make_user: Any) -> None:
    recall = recall_decided(manager, decision_at=datetime(2026, 6, 1, 2, 0, tzinfo=UTC))
    now = datetime(2026, 6, 2, tzinfo=UTC)
    assert filing(recall, now).due_at.isoformat() == "2026-06-08T23:59:59.999999+08:00"
    calendar_services.calendar_entry_set(
        calendar="CN",
        day=date(2026, 6, 3),
        kind="holiday",
        name="Correction",
        actor=make_user(Role.ADMINISTRATOR),
    )
    changed = filing(recall, now)
    assert changed.due_at.isoformat() == "2026-06-09T23:59:59.999999+08:00"
    assert changed.provisional is False


def test_working_days_are_loaded_once_for_the_due_list(manager: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    recall_decided(manager)
    with CaptureQueriesContext(connection) as one:
        deadlines.due_this_week(now=NOW)
    for _ in range(2):
        recall_decided(manager)
    with CaptureQueriesContext(connection) as three:
        rows = deadlines.due_this_week(now=NOW)
    # recalls, their regimes, their done marks, the calendar entries, the entered years, and
    # the frozen scopes the notice log's "notify holders" reads (none notified here), the
    # submitted filings and the regimes the filings' "done" reads (no FDA regime: no more)
    assert len(one.captured_queries) == len(three.captured_queries) == 8
    assert sum(row.provisional for row in rows) == 6


def admin_alerts(smtp: Any) -> list[tuple[list[str], str]]:
    return [
        (to, message["Subject"])
        for to, message in smtp.messages
        if message["Subject"].startswith("Working-day calendar")
    ]


@pytest.mark.parametrize(
    ("now", "alerted"),
    [
        pytest.param(datetime(2026, 10, 1, 15, 59, tzinfo=UTC), False, id="1-october-shanghai"),
        pytest.param(
            datetime(2026, 10, 1, 16, 0, tzinfo=UTC), True, id="2-october-midnight-shanghai"
        ),
        pytest.param(datetime(2026, 12, 6, 3, 0, tzinfo=UTC), True, id="today"),
    ],
)
def test_administrators_are_alerted_from_2_october(
    now: datetime, alerted: bool, make_user: Any, smtp: Any
) -> None:
    admin = make_user(Role.ADMINISTRATOR)
    make_user(Role.QA_RA_MANAGER)
    sent = deadlines.calendar_end_alerts(now=now)
    assert sent == (1 if alerted else 0)
    assert list(CalendarEndAlert.objects.values_list("calendar", "end_year", "recipients")) == (
        [("CN", 2026, 1)] if alerted else []
    )
    assert admin_alerts(smtp) == (
        [([admin.email], "Working-day calendar CN ends with 2026")] if alerted else []
    )


def test_the_calendar_end_alert_goes_out_once_through_the_sweep(make_user: Any, smtp: Any) -> None:
    admin = make_user(Role.ADMINISTRATOR)
    deadlines.deadlines_alert(now=NOW)
    deadlines.deadlines_alert(now=NOW)
    call_command("deadlines", "alert")
    assert CalendarEndAlert.objects.count() == 1
    assert admin_alerts(smtp) == [([admin.email], "Working-day calendar CN ends with 2026")]
    body = smtp.messages[0][1].get_payload()
    assert "Enter the holidays and make-up working days of 2027" in body


def test_entering_next_year_moves_the_alert_to_the_next_autumn(make_user: Any, smtp: Any) -> None:
    admin = make_user(Role.ADMINISTRATOR)
    calendar_services.calendar_year_mark_entered(calendar="CN", year=2027, actor=admin)
    assert deadlines.calendar_end_alerts(now=datetime(2026, 12, 6, tzinfo=UTC)) == 0
    assert deadlines.calendar_end_alerts(now=datetime(2027, 10, 2, tzinfo=UTC)) == 1
    assert list(CalendarEndAlert.objects.values_list("end_year", flat=True)) == [2027]
    assert admin_alerts(smtp) == [([admin.email], "Working-day calendar CN ends with 2027")]


def test_superusers_are_alerted_too(make_user: Any, smtp: Any) -> None:
    from medrecall.accounts.models import User

    root = User.objects.create_superuser(
        username="root", password="x-long-password", email="root@example.com"
    )
    deadlines.calendar_end_alerts(now=NOW)
    assert admin_alerts(smtp) == [([root.email], "Working-day calendar CN ends with 2026")]


def test_calendar_changes_are_audited(make_user: Any) -> None:
    admin = make_user(Role.ADMINISTRATOR)
    calendar_services.calendar_entry_set(
        calendar="CN", day=date(2027, 1, 1), kind="holiday", name="元旦", actor=admin
    )
    calendar_services.calendar_entry_set(
        calendar="CN", day=date(2027, 1, 1), kind="holiday", name="元旦", actor=admin
    )  # unchanged: no entry
    calendar_services.calendar_entry_set(
        calendar="CN", day=date(2027, 1, 1), kind="workday", name="调休", actor=admin
    )
    calendar_services.calendar_entry_delete(calendar="CN", day=date(2027, 1, 1), actor=admin)
    calendar_services.calendar_year_mark_entered(calendar="CN", year=2027, actor=admin)
    entries = list(
        AuditEntry.objects.filter(action__startswith="core.calendar")
        .order_by("sequence")
        .values_list("action", "changes")
    )
    assert entries == [
        ("core.calendar_entry_set", {"kind": [None, "holiday"], "name": [None, "元旦"]}),
        ("core.calendar_entry_set", {"kind": ["holiday", "workday"], "name": ["元旦", "调休"]}),
        ("core.calendar_entry_delete", {"kind": ["workday", None], "name": ["调休", None]}),
        ("core.calendar_year_entered", {"entered": [False, True]}),
    ]


def test_a_provisional_deadline_marked_done_stays_done_once_the_year_is_entered(
    manager: Any, make_user: Any
) -> None:
    recall = recall_decided(manager)
    provisional = filing(recall)
    deadlines.deadline_mark_done(
        recall=recall,
        key=provisional.key,
        due_at=provisional.due_at,
        actor=manager,
        done_at=NOW,
        note="Filed on paper; the acknowledgement is in the file.",
    )
    enter_2027(make_user(Role.ADMINISTRATOR), make_up_sunday=False)
    exact = filing(recall)
    assert exact.due_at != provisional.due_at
    assert (exact.status, exact.done_at, exact.provisional) == ("done", NOW, False)


def test_alert_mail_of_a_provisional_deadline_says_so(manager: Any, smtp: Any) -> None:
    recall = recall_decided(manager)
    deadlines.deadlines_alert(
        now=datetime(2027, 1, 2, 4, 0, tzinfo=UTC)
    )  # late in the filing window
    mails = [
        message
        for _to, message in smtp.messages
        if message["Subject"] == f"[{recall.number}] Deadline due soon: File the recall plan"
    ]
    assert len(mails) == 1
    assert (
        "Due date: provisional — calendar for 2027 not entered"
        in mails[0].get_payload(decode=True).decode()
    )
