"""Reporting clocks: each rule's due time exact, working days from the calendars, a count into a
year no calendar covers provisional (never an error), statuses and the alert sweep."""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.core.management.base import CommandError

from medrecall.accounts.models import User
from medrecall.core.models import WorkingDayEntry
from medrecall.quality import clock, reporting, services
from medrecall.quality.models import Complaint, ReportingAlert
from medrecall.recalls.clock import ClockInputInvalid
from tests.quality.conftest import AWARE

NY = ZoneInfo("America/New_York")
END = (23, 59, 59, 999999)


@pytest.mark.parametrize(
    ("category", "due"),
    [
        # 医疗器械不良事件监测和再评价管理办法 Art. 25 / 27: from the moment of learning of it.
        pytest.param("nmpa_death", datetime(2026, 3, 9, 9, 30, tzinfo=UTC), id="nmpa-death-7d"),
        pytest.param(
            "nmpa_serious_injury", datetime(2026, 3, 22, 9, 30, tzinfo=UTC), id="nmpa-injury-20d"
        ),
        pytest.param("nmpa_group", datetime(2026, 3, 2, 21, 30, tzinfo=UTC), id="nmpa-group-12h"),
        # 21 CFR 803.50 / 803.53
        pytest.param("fda_30_day", datetime(2026, 4, 1, 9, 30, tzinfo=UTC), id="fda-30d"),
        # Mon 2 March: Tue 3 … Fri 6, Mon 9 is the 5th work day; New York is on EDT by then.
        pytest.param("fda_5_day", datetime(2026, 3, 9, *END, tzinfo=NY), id="fda-5-work-days"),
        # MDR Art. 87(4), (5), (3)
        pytest.param(
            "eu_public_health_threat", datetime(2026, 3, 4, 9, 30, tzinfo=UTC), id="eu-2d"
        ),
        pytest.param(
            "eu_death_or_serious_deterioration",
            datetime(2026, 3, 12, 9, 30, tzinfo=UTC),
            id="eu-10d",
        ),
        pytest.param("eu_other", datetime(2026, 3, 17, 9, 30, tzinfo=UTC), id="eu-15d"),
    ],
)
def test_reporting_deadline_exact(category: str, due: datetime) -> None:
    deadline = clock.reporting_deadline(category=category, aware_at=AWARE)

    assert deadline.due_at == due
    assert deadline.due_at.utcoffset() == due.utcoffset()
    assert deadline.starts_at == AWARE
    assert deadline.key == category
    assert deadline.provisional is False


def test_five_work_days_skip_us_federal_holiday() -> None:
    # Tue 24 Nov 2026: Wed 25, (Thanksgiving Thu 26), Fri 27, Mon 30, Tue 1, Wed 2 December.
    deadline = clock.reporting_deadline(
        category="fda_5_day", aware_at=datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    )

    assert deadline.due_at == datetime(2026, 12, 2, *END, tzinfo=NY)


@pytest.mark.django_db
def test_five_work_days_count_company_calendar_entries() -> None:
    WorkingDayEntry.objects.create(
        calendar="US", date=date(2026, 3, 4), kind="holiday", name="Plant"
    )

    deadline = clock.reporting_deadline(
        category="fda_5_day",
        aware_at=AWARE,
        working_days=reporting.working_days_for([AWARE]),
    )

    assert deadline.due_at == datetime(2026, 3, 10, *END, tzinfo=NY)


class _UpTo2030:
    """A US calendar whose data ends with 2030."""

    def is_working_day(self, day: date) -> bool | None:
        if day.year > 2030:
            return None
        return day.weekday() < 5


def test_count_into_year_no_calendar_covers_is_provisional() -> None:
    # Fri 27 Dec 2030: Mon 30, Tue 31, then 2031 unknown: Wed 1, Thu 2, Fri 3 January counted.
    deadline = clock.reporting_deadline(
        category="fda_5_day",
        aware_at=datetime(2030, 12, 27, 15, 0, tzinfo=UTC),
        working_days={"US": _UpTo2030()},
    )

    assert deadline.due_at == datetime(2031, 1, 3, *END, tzinfo=NY)
    assert deadline.calendar_missing_years == (2031,)


@pytest.mark.parametrize(
    ("category", "due"),
    [
        pytest.param("nmpa_death", datetime(2031, 2, 8, 8, 0, tzinfo=UTC), id="nmpa"),
        pytest.param("eu_other", datetime(2031, 2, 16, 8, 0, tzinfo=UTC), id="eu"),
        pytest.param("fda_5_day", datetime(2031, 2, 7, *END, tzinfo=NY), id="fda"),
    ],
)
def test_year_beyond_china_calendar_computes_exact(category: str, due: datetime) -> None:
    # The China package ends before 2031; the adverse-event clocks count calendar days.
    deadline = clock.reporting_deadline(
        category=category, aware_at=datetime(2031, 2, 1, 8, 0, tzinfo=UTC)
    )

    assert deadline.due_at == due
    assert deadline.provisional is False


@pytest.mark.parametrize(
    ("kwargs", "where"),
    [
        pytest.param({"category": "nmpa_coma", "aware_at": AWARE}, "category", id="category"),
        pytest.param(
            {"category": "eu_other", "aware_at": AWARE.replace(tzinfo=None)},
            "aware_at",
            id="naive",
        ),
    ],
)
def test_clock_refuses_bad_input(kwargs: dict, where: str) -> None:
    with pytest.raises(ClockInputInvalid) as refused:
        clock.reporting_deadline(**kwargs)

    assert refused.value.where == where


@pytest.mark.django_db
def test_status_and_alerts_once_each(
    receive: Callable[..., Complaint], manager: User, smtp: object
) -> None:
    complaint = receive(death=True)
    services.complaint_triage(
        complaint=complaint,
        actor=manager,
        decisions=[
            services.Triage("nmpa", True, "nmpa_death", "died"),
            services.Triage("eu_mdr", True, "eu_other", "serious"),
        ],
        harm_confirmation="EU: the death is not attributed to the device",
    )
    now = AWARE + timedelta(days=8)  # NMPA (7 d) breached; EU (15 d) at 8/15 of its window

    rows = reporting.clocks_running(now=now)
    assert [(r.key, r.status) for r in rows] == [("nmpa_death", "breached"), ("eu_other", "open")]

    assert reporting.reporting_alert(now=now) == 1
    assert reporting.reporting_alert(now=now) == 0
    later = AWARE + timedelta(days=14)  # EU now due soon (past 90 % of its window)
    assert reporting.reporting_alert(now=later) == 1
    assert sorted(ReportingAlert.objects.values_list("key", "kind")) == [
        ("eu_other", "due_soon"),
        ("nmpa_death", "breached"),
    ]


@pytest.mark.django_db
def test_filed_report_stops_its_clock(receive: Callable[..., Complaint], manager: User) -> None:
    complaint = receive(death=True)
    services.complaint_triage(
        complaint=complaint,
        actor=manager,
        decisions=[services.Triage("nmpa", True, "nmpa_death", "died")],
    )
    services.complaint_mark_reported(
        complaint=complaint,
        actor=manager,
        regime="nmpa",
        reference="AE-3",
        submitted_at=AWARE + timedelta(days=3),
    )

    assert reporting.clocks_running(now=AWARE + timedelta(days=30)) == []
    assert reporting.reporting_alert(now=AWARE + timedelta(days=30)) == 0


@pytest.mark.django_db
def test_now_in_a_year_calendars_do_not_cover(
    receive: Callable[..., Complaint], manager: User
) -> None:
    complaint = receive()
    services.complaint_triage(
        complaint=complaint,
        actor=manager,
        decisions=[services.Triage("fda", True, "fda_5_day", "remedial action")],
    )
    aware = datetime(2031, 2, 3, 14, 0, tzinfo=UTC)  # a Monday, the China calendar long ended
    Complaint.objects.filter(pk=complaint.pk).update(aware_at=aware)

    rows = reporting.clocks_due(now=aware + timedelta(days=1))

    assert [(r.due_at, r.status, r.provisional) for r in rows] == [
        (datetime(2031, 2, 10, *END, tzinfo=NY), "open", False)
    ]


class _MailDown(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def test_alert_mail_failing_keeps_no_alert_and_exits_1(
    receive: Callable[..., Complaint], manager: User, settings: Any
) -> None:
    settings.EMAIL_BACKEND = "tests.quality.test_clock._MailDown"
    manager.email = "qa@example.com"
    manager.save()
    complaint = receive(death=True)
    services.complaint_triage(
        complaint=complaint,
        actor=manager,
        decisions=[services.Triage("nmpa", True, "nmpa_death", "died")],
    )

    with pytest.raises(CommandError) as refused:  # now: long past the 7-day NMPA clock
        call_command("quality", "clocks", "--alert", stdout=StringIO())

    assert str(refused.value) == (
        f"0 alert(s) sent; 1 could not be mailed and will be sent on the next run: "
        f"{complaint.number} nmpa_death: Connection unexpectedly closed"
    )
    assert ReportingAlert.objects.count() == 0
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert reporting.reporting_alert() == 1
    assert list(ReportingAlert.objects.values_list("key", "kind")) == [("nmpa_death", "breached")]
