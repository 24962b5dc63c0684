"""The working-day calendar's look-up, coverage and CSV import."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from medrecall.accounts.roles import Role
from medrecall.audit.models import AuditEntry
from medrecall.core import calendars, workdays
from medrecall.core.errors import ImportRejected
from medrecall.core.models import WorkingDayEntry
from medrecall.recalls import calendars as calendar_services

GOOD = (
    "calendar,date,kind,name\n"
    "CN,2027-01-01,holiday,元旦\n"
    "CN,2027-02-06,holiday,春节\n"
    "CN,2027-02-20,workday,春节调休\n"
).encode()


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        pytest.param(date(2026, 2, 14), True, id="package-make-up-saturday"),
        pytest.param(date(2026, 2, 17), False, id="package-spring-festival"),
        pytest.param(date(2026, 6, 3), False, id="entry-overrides-package"),
        pytest.param(date(2027, 1, 1), False, id="entry-in-uncovered-year"),
        pytest.param(date(2027, 1, 4), None, id="uncovered-weekday"),
        pytest.param(date(2028, 1, 3), True, id="entered-year-weekday"),
        pytest.param(date(2028, 1, 8), False, id="entered-year-saturday"),
        pytest.param(date(2028, 1, 9), True, id="entered-year-make-up-sunday"),
    ],
)
def test_entries_override_the_package_and_entered_years_cover(
    day: date, expected: bool | None
) -> None:
    source = workdays.WorkingDays(
        calendar="CN",
        entries={date(2026, 6, 3): False, date(2027, 1, 1): False, date(2028, 1, 9): True},
        entered_years=frozenset({2028}),
    )
    assert source.is_working_day(day) is expected


def test_package_years_of_china_end_with_2026() -> None:
    assert (workdays.CN_PACKAGE_YEARS.start, workdays.CN_PACKAGE_YEARS.stop - 1) == (2004, 2026)
    assert workdays.package_covers("US", 2090) is True


@pytest.mark.django_db
def test_coverage_names_the_source_of_each_year(make_user: Any) -> None:
    admin = make_user(Role.ADMINISTRATOR)
    calendar_services.calendar_import(content=GOOD, file_name="cn-2027.csv", actor=admin)
    calendar_services.calendar_year_mark_entered(calendar="CN", year=2027, actor=admin)
    found = {
        (c.year, c.source, c.entries, c.entered_by)
        for c in calendars.coverage(today=date(2026, 12, 6), calendar="CN")
    }
    assert found == {
        (2025, "package", 0, ""),
        (2026, "package", 0, ""),
        (2027, "entered", 3, admin.username),
        (2028, "not_covered", 0, ""),
    }


@pytest.mark.django_db
def test_import_is_idempotent_on_calendar_and_date(make_user: Any) -> None:
    admin = make_user(Role.ADMINISTRATOR)
    first = calendar_services.calendar_import(content=GOOD, file_name="cn.csv", actor=admin)
    again = calendar_services.calendar_import(content=GOOD, file_name="cn.csv", actor=admin)
    changed = calendar_services.calendar_import(
        content=b"calendar,date,kind,name\nCN,2027-02-20,holiday,\xe6\x98\xa5\xe8\x8a\x82\n",
        file_name="fix.csv",
        actor=admin,
    )
    assert first.as_dict() == {"created": 3, "updated": 0, "unchanged": 0}
    assert again.as_dict() == {"created": 0, "updated": 0, "unchanged": 3}
    assert changed.as_dict() == {"created": 0, "updated": 1, "unchanged": 0}
    assert list(WorkingDayEntry.objects.values_list("date", "kind", "name")) == [
        (date(2027, 1, 1), "holiday", "元旦"),
        (date(2027, 2, 6), "holiday", "春节"),
        (date(2027, 2, 20), "holiday", "春节"),
    ]
    assert AuditEntry.objects.filter(action="core.calendar_import").count() == 2


@pytest.mark.parametrize(
    ("content", "errors"),
    [
        pytest.param(
            b"calendar,date,name\nCN,2027-01-01,x\n",
            [(1, "kind", "Missing column(s): kind.")],
            id="missing-column",
        ),
        pytest.param(
            GOOD + b"XX,2027-13-01,rest,\n",
            [
                (5, "calendar", "Unknown calendar XX; use one of CN, US."),
                (5, "date", "2027-13-01 is not a date in the form YYYY-MM-DD."),
                (5, "kind", "Unknown kind rest; use holiday or workday."),
                (5, "name", "Give a name of 1 to 100 characters."),
            ],
            id="every-column-wrong",
        ),
        pytest.param(
            GOOD + "CN,2027-01-01,workday,元旦调休\n".encode(),
            [(5, "date", "2027-01-01 appears again (first in row 2).")],
            id="duplicate-date",
        ),
    ],
)
@pytest.mark.django_db
def test_a_bad_file_is_refused_whole(
    content: bytes, errors: list[tuple[int, str, str]], make_user: Any
) -> None:
    with pytest.raises(ImportRejected) as refused:
        calendar_services.calendar_import(
            content=content, file_name="bad.csv", actor=make_user(Role.ADMINISTRATOR)
        )
    assert [(e.row, e.column, e.message) for e in refused.value.errors] == errors
    assert WorkingDayEntry.objects.count() == 0
    assert AuditEntry.objects.filter(action__startswith="core.calendar").count() == 0


def test_export_round_trips_through_the_parser() -> None:
    rows = calendars.parse_entries(GOOD, file_name="cn.csv")
    entries = [
        WorkingDayEntry(calendar=r.calendar, date=r.day, kind=r.kind, name=r.name) for r in rows
    ]
    assert calendars.entries_csv(entries).replace("\r\n", "\n").encode() == GOOD


def test_package_days_list_the_state_council_arrangement() -> None:
    days = calendars.package_days(calendar="CN", year=2026)
    assert days[:4] == [
        (date(2026, 1, 1), "holiday", "New Year's Day"),
        (date(2026, 1, 2), "holiday", "New Year's Day"),
        (date(2026, 1, 3), "holiday", "New Year's Day"),
        (date(2026, 1, 4), "workday", "New Year's Day"),
    ]
    assert (date(2026, 2, 14), "workday", "Spring Festival") in days
    assert calendars.package_days(calendar="CN", year=2027) == []
