"""Working days as the compliance clock reads them: pure look-ups, no database.

Two sources answer whether a day is worked, in this order:

1. an entry the company maintains (``WorkingDayEntry``: a holiday or a make-up working day
   (调休) on a date, entered by an administrator);
2. the package's data (``chinesecalendar`` for China, ``holidays`` for the US federal
   calendar), for every year the package covers.

A year is *covered* when the package covers it or an administrator marked it entered; in an
entered year a day without entry is worked Monday to Friday. In a year nothing covers the
answer is ``None``: the clock then counts the day as worked, the earliest the deadline could
be, and marks the deadline provisional (see ``recalls/clock.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import chinese_calendar
from chinese_calendar.constants import holidays as _cn_holidays

# Calendars whose package data ends in a known year (the US federal holidays are rules the
# ``holidays`` package computes for any year).
CN_PACKAGE_YEARS = range(min(_cn_holidays).year, max(_cn_holidays).year + 1)


def package_years(calendar: str) -> range | None:
    """The years the package covers for ``calendar``; ``None``: every year."""
    if calendar == "CN":
        return CN_PACKAGE_YEARS
    return None


def package_covers(calendar: str, year: int) -> bool:
    years = package_years(calendar)
    return years is None or year in years


@lru_cache(maxsize=256)
def _us_federal_holidays(year: int) -> frozenset[date]:
    import holidays  # its country modules take ~50 ms to load: only when a US day is asked

    return frozenset(holidays.country_holidays("US", years=year).keys())


def package_is_working_day(day: date, calendar: str) -> bool | None:
    """The package's answer, ``None`` when the package has no data for the year."""
    if not package_covers(calendar, day.year):
        return None
    if calendar == "CN":
        return bool(chinese_calendar.is_workday(day))
    return day.weekday() < 5 and day not in _us_federal_holidays(day.year)


def package_day(day: date, calendar: str) -> tuple[str, str] | None:
    """What the package says about a day that is not an ordinary weekday/weekend day:
    ``("holiday" | "workday", name)``, for the calendar page to show beside the entries."""
    if not package_covers(calendar, day.year):
        return None
    if calendar == "CN":
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
        if on_holiday and name:
            return "holiday", str(name)
        if not on_holiday and day.weekday() >= 5:
            return "workday", str(name or "")
        return None
    import holidays

    names = holidays.country_holidays("US", years=day.year)
    return ("holiday", str(names[day])) if day in names else None


@dataclass(frozen=True)
class WorkingDays:
    """One calendar's answer for any day: entries first, then the package, else ``None``.

    Built once per computation by ``core.calendars.working_days_load`` and handed to the
    clock, so counting days never queries the database.
    """

    calendar: str
    entries: Mapping[date, bool] = field(default_factory=dict)
    entered_years: frozenset[int] = frozenset()

    def covers(self, year: int) -> bool:
        return year in self.entered_years or package_covers(self.calendar, year)

    def is_working_day(self, day: date) -> bool | None:
        if day in self.entries:
            return self.entries[day]
        known = package_is_working_day(day, self.calendar)
        if known is not None:
            return known
        if day.year in self.entered_years:
            return day.weekday() < 5
        return None


def package_only(calendar: str) -> WorkingDays:
    """The package's data alone (no company entries): the clock's default."""
    return WorkingDays(calendar=calendar)
