"""Compliance clock: NMPA, FDA and EU MDR deadlines against the real holiday calendars.

Pure functions, no database. Every expected date below was read off the calendars the clock
uses (chinesecalendar 1.11 for China incl. make-up working days 调休, ``holidays`` US federal
holidays incl. observed days); the comment next to each case shows the day count.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import chinese_calendar
import holidays
import pytest
from django.utils.functional import Promise
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medrecall.core.errors import ValidationFailed
from medrecall.recalls.clock import (
    CN_TZ,
    US_TZ,
    CalendarNotCovered,
    ClockInputInvalid,
    ClockSettingMissing,
    Deadline,
    alert_times,
    compute_deadlines,
    occurrences,
    status_at,
    suggested_progress_interval,
    working_days_after,
)
from medrecall.recalls.models import Regime

CST = timezone(timedelta(hours=8))
BERLIN = ZoneInfo("Europe/Berlin")
# Hypothesis and the autouse MEDIA_ROOT fixture: the fixture is not used by these tests.
PROPERTY = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
# chinesecalendar 1.11 covers 2004-2026; starts up to 31 Oct 2026 plus 30 working days stay inside.
CN_FIRST, CN_LAST_START = date(2004, 1, 1), date(2026, 10, 31)


def end_of_day(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.max, tzinfo=zone)


def by_key(deadlines: list[Deadline]) -> dict[str, Deadline]:
    return {deadline.key: deadline for deadline in deadlines}


def nmpa(level: str, decision_at: datetime, **kwargs: Any) -> dict[str, Deadline]:
    kwargs.setdefault("progress_interval_days", 7)
    return by_key(
        compute_deadlines(regimes={Regime.NMPA: level}, decision_at=decision_at, **kwargs)
    )


# ---------------------------------------------------------------------------------------------
# Working days


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        # Golden Week 2025: 1-8 Oct are holidays; Sun 28 Sep and Sat 11 Oct are make-up days.
        (date(2025, 9, 30), 1, date(2025, 10, 9)),  # first day back after the holiday
        (date(2025, 9, 30), 3, date(2025, 10, 11)),  # 9, 10, Sat 11 (make-up)
        (date(2025, 9, 30), 5, date(2025, 10, 14)),  # 9, 10, 11, 13, 14 (Sun 12 is off)
        (date(2025, 9, 26), 1, date(2025, 9, 28)),  # Sat 27 off, Sun 28 is a make-up day
        (date(2025, 9, 26), 5, date(2025, 10, 10)),  # 28, 29, 30, 9 Oct, 10 Oct
        (date(2025, 10, 10), 5, date(2025, 10, 16)),  # Sat 11 (make-up), 13, 14, 15, 16
        # New Year 2026: 1-2 Jan holidays, Sat 3 off, Sun 4 Jan a make-up day.
        (date(2025, 12, 31), 1, date(2026, 1, 4)),
        # Spring Festival 2026: 15-23 Feb off; Sat 14 Feb and Sat 28 Feb are make-up days.
        (date(2026, 2, 10), 10, date(2026, 3, 2)),  # 11,12,13,14 | 24,25,26,27,28 | 2 Mar
        (date(2025, 9, 30), 0, date(2025, 9, 30)),  # no working day has to pass
    ],
)
def test_working_days_after_china(start: date, days: int, expected: date) -> None:
    assert working_days_after(start, days, calendar="CN") == expected


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        # Thanksgiving Thu 27 Nov 2025 is skipped; Fri 28 Nov is not a federal holiday.
        (date(2025, 11, 26), 1, date(2025, 11, 28)),
        # 21, 24, 25, 26, 28 Nov, 1, 2, 3, 4, 5 Dec (would be 4 Dec without Thanksgiving).
        (date(2025, 11, 20), 10, date(2025, 12, 5)),
        # Independence Day Fri 4 Jul 2025: 30 Jun, 1, 2, 3, 7, 8, 9, 10, 11, 14 Jul.
        (date(2025, 6, 27), 10, date(2025, 7, 14)),
        (date(2025, 7, 3), 1, date(2025, 7, 7)),
        # 4 Jul 2026 is a Saturday, observed Fri 3 Jul: 29, 30 Jun, 1, 2, 6, 7, 8, 9, 10, 13 Jul.
        (date(2026, 6, 26), 10, date(2026, 7, 13)),
        # 1 Jan 2022 (Sat) was observed Fri 31 Dec 2021.
        (date(2021, 12, 30), 1, date(2022, 1, 3)),
        (date(2025, 12, 24), 1, date(2025, 12, 26)),  # Christmas Thu 25 Dec
    ],
)
def test_working_days_after_us(start: date, days: int, expected: date) -> None:
    assert working_days_after(start, days, calendar="US") == expected


def test_negative_working_days_are_refused() -> None:
    with pytest.raises(ClockInputInvalid):
        working_days_after(date(2025, 1, 6), -1, calendar="US")


@pytest.mark.parametrize(
    ("start", "year"), [(date(2003, 6, 1), "2003"), (date(2099, 6, 1), "2099")]
)
def test_china_calendar_without_data_names_the_year(start: date, year: str) -> None:
    with pytest.raises(CalendarNotCovered) as refused:
        working_days_after(start, 1, calendar="CN")
    assert isinstance(refused.value, ClockSettingMissing)
    assert isinstance(refused.value, ValueError)
    assert year in refused.value.message
    assert "chinesecalendar" in refused.value.message


def cn_workday(day: date) -> bool:
    return bool(chinese_calendar.is_workday(day))


def us_workday(day: date) -> bool:
    return day.weekday() < 5 and day not in holidays.country_holidays("US", years=day.year)


@PROPERTY
@given(start=st.dates(CN_FIRST, CN_LAST_START), days=st.integers(1, 30))
def test_china_result_is_the_nth_working_day(start: date, days: int) -> None:
    result = working_days_after(start, days, calendar="CN")
    assert result > start
    assert cn_workday(result)
    between = [start + timedelta(days=offset) for offset in range(1, (result - start).days + 1)]
    assert sum(cn_workday(day) for day in between) == days


@PROPERTY
@given(start=st.dates(date(1990, 1, 1), date(2090, 12, 31)), days=st.integers(1, 60))
def test_us_result_is_the_nth_working_day(start: date, days: int) -> None:
    result = working_days_after(start, days, calendar="US")
    assert result > start
    assert us_workday(result)
    between = [start + timedelta(days=offset) for offset in range(1, (result - start).days + 1)]
    assert sum(us_workday(day) for day in between) == days


# ---------------------------------------------------------------------------------------------
# NMPA

GOLDEN_WEEK_DECISION = datetime(2025, 9, 30, 10, 0, tzinfo=CST)


def test_level_one_decision_before_golden_week() -> None:
    found = nmpa("I", GOLDEN_WEEK_DECISION)
    # Notify: 24 hours after the decision timestamp (the stricter reading of "1 day").
    assert found["nmpa.notify_holders"].due_at == datetime(2025, 10, 1, 10, 0, tzinfo=CST)
    assert found["nmpa.notify_holders"].legal
    # Event report "immediately": by the end of the decision day in China.
    assert found["nmpa.event_report"].due_at == end_of_day(date(2025, 9, 30), CN_TZ)
    # Assessment report and plan: 5 working days after Tue 30 Sep = 9, 10, Sat 11 (make-up),
    # 13, 14 Oct; 1-8 Oct are National Day/Mid-Autumn holidays. Weekends alone would give 7 Oct.
    plan_due = end_of_day(date(2025, 10, 14), CN_TZ)
    assert found["nmpa.recall_plan"].due_at == plan_due
    assert found["nmpa.assessment_report"].due_at == plan_due
    assert str(found["nmpa.recall_plan"].basis) == (
        "NMPA Art. 16: 5 China working days after the decision date"
    )
    assert "nmpa.summary_report" not in found  # not completed yet


def test_decision_time_is_read_in_china_time() -> None:
    # 17:00 UTC on Mon 29 Sep is 01:00 on Tue 30 Sep in Shanghai: the China day is the 30th.
    found = nmpa("I", datetime(2025, 9, 29, 17, 0, tzinfo=UTC))
    assert found["nmpa.event_report"].due_at == end_of_day(date(2025, 9, 30), CN_TZ)
    assert found["nmpa.recall_plan"].due_at == end_of_day(date(2025, 10, 14), CN_TZ)
    assert found["nmpa.notify_holders"].due_at == datetime(2025, 9, 30, 17, 0, tzinfo=UTC)


def test_decision_on_friday_before_make_up_saturday() -> None:
    # Fri 10 Oct 2025; Sat 11 Oct is a make-up working day: 11, 13, 14, 15, 16 Oct.
    found = nmpa("II", datetime(2025, 10, 10, 15, 0, tzinfo=CST))
    assert found["nmpa.recall_plan"].due_at == end_of_day(date(2025, 10, 16), CN_TZ)


def test_decision_on_friday_before_make_up_sunday() -> None:
    # Fri 26 Sep 2025; Sun 28 Sep is a make-up day: 28, 29, 30 Sep, then 9 and 10 Oct.
    found = nmpa("II", datetime(2025, 9, 26, 9, 0, tzinfo=CST))
    assert found["nmpa.recall_plan"].due_at == end_of_day(date(2025, 10, 10), CN_TZ)


@pytest.mark.parametrize(
    ("level", "due_at", "basis"),
    [
        (
            "I",
            datetime(2025, 10, 1, 10, 0, tzinfo=CST),
            "NMPA Art. 15: level I, 1 day (24 hours) from the decision",
        ),
        (
            "II",
            datetime(2025, 10, 3, 10, 0, tzinfo=CST),
            "NMPA Art. 15: level II, 3 days (72 hours) from the decision",
        ),
        (
            "III",
            datetime(2025, 10, 7, 10, 0, tzinfo=CST),
            "NMPA Art. 15: level III, 7 days (168 hours) from the decision",
        ),
    ],
)
def test_notify_holders_per_level_counts_calendar_days(
    level: str, due_at: datetime, basis: str
) -> None:
    # Calendar days: Golden Week does not extend the notification window.
    notify = nmpa(level, GOLDEN_WEEK_DECISION)["nmpa.notify_holders"]
    assert notify.due_at == due_at
    assert str(notify.basis) == basis
    assert notify.starts_at == GOLDEN_WEEK_DECISION


def test_changing_the_level_recomputes_only_what_depends_on_it() -> None:
    level_one = nmpa("I", GOLDEN_WEEK_DECISION)
    level_three = nmpa("iii", GOLDEN_WEEK_DECISION)
    assert level_three["nmpa.notify_holders"].due_at - level_one["nmpa.notify_holders"].due_at == (
        timedelta(days=6)
    )
    assert level_three["nmpa.recall_plan"] == level_one["nmpa.recall_plan"]


def test_progress_interval_is_required_for_nmpa() -> None:
    with pytest.raises(ClockSettingMissing) as refused:
        compute_deadlines(regimes={Regime.NMPA: "II"}, decision_at=GOLDEN_WEEK_DECISION)
    assert isinstance(refused.value, ValueError)
    assert isinstance(refused.value, ValidationFailed)
    assert refused.value.where == "progress_interval_days"
    assert "every 3 days" in refused.value.message  # the level II suggestion is offered


def test_progress_reports_recur_at_the_case_interval() -> None:
    progress = nmpa("I", GOLDEN_WEEK_DECISION, progress_interval_days=1)["nmpa.progress_report"]
    assert progress.recurring
    assert progress.interval_days == 1
    assert progress.legal  # the reports are law; only the cadence is the plan's choice
    assert progress.due_at == datetime(2025, 10, 1, 10, 0, tzinfo=CST)


@pytest.mark.parametrize(("level", "days"), [("I", 1), ("II", 3), ("III", 7)])
def test_suggested_progress_interval(level: str, days: int) -> None:
    assert suggested_progress_interval(level) == days


def test_summary_report_ten_working_days_after_completion() -> None:
    # Completed Tue 10 Feb 2026 (China). Spring Festival 15-23 Feb; make-up Sat 14 and Sat 28 Feb:
    # 11, 12, 13, 14 (Sat), 24, 25, 26, 27, 28 (Sat) Feb, 2 Mar.
    completed_at = datetime(2026, 2, 10, 16, 0, tzinfo=CST)
    summary = nmpa("I", GOLDEN_WEEK_DECISION, completed_at=completed_at)["nmpa.summary_report"]
    assert summary.due_at == end_of_day(date(2026, 3, 2), CN_TZ)
    assert summary.starts_at == completed_at


# ---------------------------------------------------------------------------------------------
# FDA


def fda(recall_class: str, **kwargs: Any) -> dict[str, Deadline]:
    kwargs.setdefault("decision_at", datetime(2025, 11, 18, 9, 0, tzinfo=US_TZ))
    return by_key(compute_deadlines(regimes={Regime.FDA: recall_class}, **kwargs))


def test_806_report_around_thanksgiving() -> None:
    # Initiated Thu 20 Nov 2025: 21, 24, 25, 26, (27 Thanksgiving), 28 Nov, 1-5 Dec.
    initiated_at = datetime(2025, 11, 20, 9, 0, tzinfo=US_TZ)
    report = fda("I", initiated_at=initiated_at)["fda.report_806"]
    assert report.due_at == end_of_day(date(2025, 12, 5), US_TZ)
    assert report.legal
    assert report.starts_at == initiated_at


def test_806_report_counts_from_the_eastern_date() -> None:
    # 03:00 UTC on 21 Nov is still 20 Nov, 22:00 in Eastern Time.
    report = fda("II", initiated_at=datetime(2025, 11, 21, 3, 0, tzinfo=UTC))["fda.report_806"]
    assert report.due_at == end_of_day(date(2025, 12, 5), US_TZ)


@pytest.mark.parametrize(
    ("initiated", "due"),
    [
        (date(2025, 6, 27), date(2025, 7, 14)),  # Fri 4 Jul 2025 skipped
        (date(2026, 6, 26), date(2026, 7, 13)),  # Sat 4 Jul 2026, observed Fri 3 Jul, skipped
    ],
)
def test_806_report_around_independence_day(initiated: date, due: date) -> None:
    initiated_at = datetime.combine(initiated, time(10, 0), tzinfo=US_TZ)
    assert fda("I", initiated_at=initiated_at)["fda.report_806"].due_at == end_of_day(due, US_TZ)


def test_806_report_waits_for_initiation() -> None:
    assert "fda.report_806" not in fda("I")


def test_status_reports_default_to_fourteen_days() -> None:
    initiated_at = datetime(2025, 11, 20, 9, 0, tzinfo=US_TZ)
    status = fda("II", initiated_at=initiated_at)["fda.status_report"]
    assert status.recurring
    assert status.interval_days == 14
    assert status.due_at == datetime(2025, 12, 4, 9, 0, tzinfo=US_TZ)
    # Three periods have opened by 20 Dec: from 20 Nov, 4 Dec and 18 Dec.
    periods = occurrences(status, until=datetime(2025, 12, 20, tzinfo=US_TZ))
    assert [period.due_at.date() for period in periods] == [
        date(2025, 12, 4),
        date(2025, 12, 18),
        date(2026, 1, 1),
    ]
    assert [period.starts_at.date() for period in periods] == [
        date(2025, 11, 20),
        date(2025, 12, 4),
        date(2025, 12, 18),
    ]
    # A one-off deadline unrolls to itself.
    report = fda("II", initiated_at=initiated_at)["fda.report_806"]
    assert occurrences(report, until=datetime(2026, 1, 1, tzinfo=US_TZ)) == [report]


def test_status_report_interval_is_editable() -> None:
    decision_at = datetime(2025, 11, 18, 9, 0, tzinfo=US_TZ)
    status = fda("II", fda_status_interval_days=28)["fda.status_report"]
    assert status.interval_days == 28
    assert status.starts_at == decision_at  # no initiation yet: counted from the decision
    assert status.due_at == datetime(2025, 12, 16, 9, 0, tzinfo=US_TZ)


@pytest.mark.parametrize(("recall_class", "days"), [("I", 1), ("II", 3), ("III", 7)])
def test_recall_letters_are_a_company_target(recall_class: str, days: int) -> None:
    letters = fda(recall_class)["fda.notify_holders"]
    assert not letters.legal  # 21 CFR 7.49 only says "promptly"
    assert letters.due_at == datetime(2025, 11, 18, 9, 0, tzinfo=US_TZ) + timedelta(days=days)


# ---------------------------------------------------------------------------------------------
# EU MDR

EU_DECISION = datetime(2025, 3, 3, 9, 0, tzinfo=BERLIN)


def eu(**kwargs: Any) -> dict[str, Deadline]:
    return by_key(
        compute_deadlines(regimes={Regime.EU_MDR: "fsca"}, decision_at=EU_DECISION, **kwargs)
    )


def test_fsca_report_is_due_before_any_fsn() -> None:
    """Due before the FSCA is undertaken: by the FSN's target (the FSN gate holds the FSN back
    until it is submitted), from the decision, so not overdue at the decision instant."""
    found = eu()
    assert found["eu_mdr.fsca_report"].starts_at == EU_DECISION
    assert found["eu_mdr.fsca_report"].due_at == found["eu_mdr.fsn"].due_at
    assert found["eu_mdr.fsca_report"].legal
    assert found["eu_mdr.fsn"].due_at == datetime(2025, 3, 5, 9, 0, tzinfo=BERLIN)
    assert not found["eu_mdr.fsn"].legal  # "without delay" is the law; 2 days is our target
    assert status_at(found["eu_mdr.fsca_report"], EU_DECISION + timedelta(minutes=1)) == "open"
    assert "eu_mdr.incident_report" not in found


@pytest.mark.parametrize(
    ("category", "due"),
    [
        ("public_health_threat", datetime(2025, 2, 3, 12, 0, tzinfo=BERLIN)),
        ("death_or_serious_deterioration", datetime(2025, 2, 11, 12, 0, tzinfo=BERLIN)),
        ("other", datetime(2025, 2, 16, 12, 0, tzinfo=BERLIN)),
    ],
)
def test_serious_incident_categories(category: str, due: datetime) -> None:
    aware_at = datetime(2025, 2, 1, 12, 0, tzinfo=BERLIN)
    report = eu(aware_at=aware_at, eu_incident=category)["eu_mdr.incident_report"]
    assert report.due_at == due
    assert report.starts_at == aware_at


@pytest.mark.parametrize(
    ("aware_at", "due"),
    [
        # Spring forward on Sun 30 Mar 2025 (a 23-hour day): same clock time, 47 h later.
        (datetime(2025, 3, 28, 12, 0, tzinfo=BERLIN), datetime(2025, 3, 30, 12, 0, tzinfo=BERLIN)),
        # Fall back on Sun 26 Oct 2025 (a 25-hour day): 48 h later, 11:00 on the clock.
        (
            datetime(2025, 10, 24, 12, 0, tzinfo=BERLIN),
            datetime(2025, 10, 26, 11, 0, tzinfo=BERLIN),
        ),
    ],
)
def test_daylight_saving_never_lengthens_a_window(aware_at: datetime, due: datetime) -> None:
    report = eu(aware_at=aware_at, eu_incident="public_health_threat")["eu_mdr.incident_report"]
    assert report.due_at == due
    assert report.due_at - aware_at <= timedelta(days=2)


def test_awareness_without_a_category_is_refused() -> None:
    with pytest.raises(ClockSettingMissing):
        eu(aware_at=datetime(2025, 2, 1, 12, 0, tzinfo=BERLIN))


def test_unknown_incident_category_is_refused() -> None:
    with pytest.raises(ClockInputInvalid):
        eu(aware_at=datetime(2025, 2, 1, 12, 0, tzinfo=BERLIN), eu_incident="minor")


# ---------------------------------------------------------------------------------------------
# Several regimes, inputs


def test_all_regimes_together_come_back_earliest_first() -> None:
    found = compute_deadlines(
        regimes={Regime.NMPA: "I", Regime.FDA: "I", Regime.EU_MDR: "fsca"},
        decision_at=GOLDEN_WEEK_DECISION,
        progress_interval_days=1,
    )
    assert [deadline.due_at for deadline in found] == sorted(deadline.due_at for deadline in found)
    assert {deadline.regime for deadline in found} == set(Regime)
    fsca = next(deadline for deadline in found if deadline.key == "eu_mdr.fsca_report")
    assert isinstance(fsca.title, Promise)  # translated when shown, in the reader's language
    assert str(fsca.title) == "Report the FSCA to the competent authority"


@pytest.mark.parametrize(
    ("regimes", "decision_at"),
    [
        ({Regime.NMPA: "IV"}, GOLDEN_WEEK_DECISION),
        ({Regime.EU_MDR: "recall"}, GOLDEN_WEEK_DECISION),
        ({"health_canada": "I"}, GOLDEN_WEEK_DECISION),
        ({Regime.FDA: "I"}, datetime(2025, 9, 30, 10, 0)),  # noqa: DTZ001 - naive on purpose
    ],
)
def test_bad_inputs_are_refused(regimes: dict[Regime, str], decision_at: datetime) -> None:
    with pytest.raises(ClockInputInvalid):
        compute_deadlines(regimes=regimes, decision_at=decision_at, progress_interval_days=3)


def test_zero_progress_interval_is_refused() -> None:
    with pytest.raises(ClockInputInvalid):
        nmpa("I", GOLDEN_WEEK_DECISION, progress_interval_days=0)


# ---------------------------------------------------------------------------------------------
# Alerts and status

LEVEL_THREE_NOTIFY = nmpa("III", GOLDEN_WEEK_DECISION)["nmpa.notify_holders"]  # 168-hour window


def test_alert_times_default_to_half_and_ninety_percent() -> None:
    assert alert_times(LEVEL_THREE_NOTIFY) == [
        datetime(2025, 10, 3, 22, 0, tzinfo=CST),  # 84 h
        datetime(2025, 10, 6, 17, 12, tzinfo=CST),  # 151.2 h
    ]


def test_alert_times_from_another_start() -> None:
    start = datetime(2025, 10, 6, 10, 0, tzinfo=CST)  # one day left
    assert alert_times(LEVEL_THREE_NOTIFY, start, (0.75,)) == [
        datetime(2025, 10, 7, 4, 0, tzinfo=CST)  # 75 % of the last 24 h
    ]


def test_alert_fraction_outside_the_window_is_refused() -> None:
    with pytest.raises(ClockInputInvalid):
        alert_times(LEVEL_THREE_NOTIFY, fractions=(1.5,))


START = GOLDEN_WEEK_DECISION


@pytest.mark.parametrize(
    ("now", "done_at", "expected"),
    [
        (START - timedelta(hours=1), None, "open"),
        (START + timedelta(hours=150), None, "open"),  # 89 % of 168 h
        (START + timedelta(hours=151, minutes=12), None, "due_soon"),  # exactly 90 %
        (START + timedelta(days=7), None, "due_soon"),  # the due moment itself is on time
        (START + timedelta(days=7, microseconds=1), None, "breached"),
        (START + timedelta(days=3), START + timedelta(days=2), "done"),
        (START + timedelta(days=9), START + timedelta(days=8), "done"),  # done late is done
        (START + timedelta(days=1), START + timedelta(days=2), "open"),  # not done yet at now
    ],
)
def test_status_at(now: datetime, done_at: datetime | None, expected: str) -> None:
    assert status_at(LEVEL_THREE_NOTIFY, now, done_at) == expected


def test_status_of_a_deadline_due_at_its_start() -> None:
    fsca = replace(eu()["eu_mdr.fsca_report"], due_at=EU_DECISION)
    assert status_at(fsca, EU_DECISION - timedelta(minutes=1)) == "open"
    assert status_at(fsca, EU_DECISION) == "due_soon"
    assert status_at(fsca, EU_DECISION + timedelta(minutes=1)) == "breached"
    assert status_at(fsca, EU_DECISION + timedelta(minutes=1), EU_DECISION) == "done"


def test_due_soon_threshold_is_configurable() -> None:
    now = START + timedelta(hours=84)
    assert status_at(LEVEL_THREE_NOTIFY, now) == "open"
    assert status_at(LEVEL_THREE_NOTIFY, now, due_soon_fraction=0.5) == "due_soon"
