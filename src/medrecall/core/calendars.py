"""Working-day calendars the company maintains: reads, the CSV parser and the end-of-data
check. The audited writes are in ``recalls/calendars.py`` (``core`` sits below ``audit``).

The models live in ``core/models.py`` (``WorkingDayEntry``, ``CalendarYear``,
``CalendarEndAlert``); the pure look-up the compliance clock reads is ``core/workdays.py``.
Precedence: an entry overrides the package; the package's data backs every year it covers;
a year is covered when the package covers it or an administrator marked it entered.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from . import workdays
from .errors import CalendarInputInvalid as CalendarInputInvalid  # re-exported
from .errors import ImportRejected, RowError
from .models import CalendarEndAlert, CalendarYear, DayKind, WorkingDayCalendar, WorkingDayEntry

CALENDARS = tuple(WorkingDayCalendar.values)
# 90 days before the end of the last covered year (2 October; 2 Oct + 90 days = 31 Dec).
ALERT_FROM = (10, 2)
IMPORT_COLUMNS = ("calendar", "date", "kind", "name")


# ---------------------------------------------------------------------------------------------
# Selectors


def working_days_load(*, first_year: int | None = None) -> dict[str, workdays.WorkingDays]:
    """Every calendar's working days (entries from ``first_year`` on, entered years) in two
    queries: built once per computation, then asked per day without the database."""
    entries: dict[str, dict[date, bool]] = {calendar: {} for calendar in CALENDARS}
    rows = WorkingDayEntry.objects.all()
    if first_year is not None:
        rows = rows.filter(date__gte=date(first_year, 1, 1))
    for calendar, day, kind in rows.values_list("calendar", "date", "kind"):
        entries.setdefault(calendar, {})[day] = kind == DayKind.WORKDAY
    entered: dict[str, set[int]] = {calendar: set() for calendar in CALENDARS}
    for calendar, year in CalendarYear.objects.values_list("calendar", "year"):
        entered.setdefault(calendar, set()).add(year)
    return {
        calendar: workdays.WorkingDays(
            calendar=calendar, entries=entries[calendar], entered_years=frozenset(entered[calendar])
        )
        for calendar in CALENDARS
    }


def entries_list(*, calendar: str | None = None, year: int | None = None) -> list[WorkingDayEntry]:
    rows = WorkingDayEntry.objects.select_related("entered_by").order_by("calendar", "date")
    if calendar:
        rows = rows.filter(calendar=calendar)
    if year:
        rows = rows.filter(date__year=year)
    return list(rows)


def package_days(*, calendar: str, year: int) -> list[tuple[date, str, str]]:
    """The package's holidays and make-up working days of a year (date, kind, name), for the
    page to show beside the entries that override them; empty when the package lacks the year."""
    if not workdays.package_covers(calendar, year):
        return []
    found = []
    day = date(year, 1, 1)
    while day.year == year:
        if (known := workdays.package_day(day, calendar)) is not None:
            found.append((day, *known))
        day += timedelta(days=1)
    return found


@dataclass(frozen=True)
class YearCoverage:
    """One calendar year: who covers it (``package``, ``entered``, both, or nothing)."""

    calendar: str
    year: int
    package: bool
    entered: bool
    entries: int
    entered_by: str
    entered_at: datetime | None

    @property
    def covered(self) -> bool:
        return self.package or self.entered

    @property
    def source(self) -> str:
        if self.entered:
            return "entered"
        return "package" if self.package else "not_covered"

    def as_dict(self) -> dict[str, Any]:
        return {
            "calendar": self.calendar,
            "year": self.year,
            "covered": self.covered,
            "source": self.source,
            "package": self.package,
            "entered": self.entered,
            "entries": self.entries,
            "entered_by": self.entered_by,
            "entered_at": self.entered_at.isoformat() if self.entered_at else None,
        }


def coverage(*, today: date, calendar: str | None = None) -> list[YearCoverage]:
    """The years around today (last year to two years ahead) and every year with entries or
    marked entered, per calendar, with their source: three queries."""
    calendars = [calendar] if calendar else list(CALENDARS)
    counts: dict[tuple[str, int], int] = {}
    for cal, day in WorkingDayEntry.objects.filter(calendar__in=calendars).values_list(
        "calendar", "date"
    ):
        counts[(cal, day.year)] = counts.get((cal, day.year), 0) + 1
    marks = {
        (m.calendar, m.year): m
        for m in CalendarYear.objects.filter(calendar__in=calendars).select_related("entered_by")
    }
    found = []
    for cal in calendars:
        years = set(range(today.year - 1, today.year + 3))
        years |= {year for (c, year) in counts if c == cal} | {
            year for (c, year) in marks if c == cal
        }
        for year in sorted(years):
            mark = marks.get((cal, year))
            found.append(
                YearCoverage(
                    calendar=cal,
                    year=year,
                    package=workdays.package_covers(cal, year),
                    entered=mark is not None,
                    entries=counts.get((cal, year), 0),
                    entered_by=mark.entered_by.get_username() if mark and mark.entered_by else "",
                    entered_at=mark.created_at if mark else None,
                )
            )
    return found


@dataclass(frozen=True)
class CalendarEnd:
    """A calendar whose known data ends with ``end_year``; the alert is due from ``alert_from``."""

    calendar: str
    end_year: int
    alert_from: date

    def message(self) -> str:
        return _(
            "The %(calendar)s working-day calendar is known up to %(year)s only. Enter the holidays "
            "and make-up working days of %(next)s and mark the year entered; until then deadlines "
            "that reach %(next)s are provisional."
        ) % {"calendar": self.calendar, "year": self.end_year, "next": self.end_year + 1}


def calendar_ends(*, today: date) -> list[CalendarEnd]:
    """Calendars whose covered years, counted on from today's year, end within 90 days (or
    have ended): the alert and the administrators' warning are due."""
    found = []
    entered: dict[str, set[int]] = {}
    for cal, year in CalendarYear.objects.values_list("calendar", "year"):
        entered.setdefault(cal, set()).add(year)
    for cal in CALENDARS:
        if workdays.package_years(cal) is None:
            continue  # computed for any year
        year = today.year
        if not (workdays.package_covers(cal, year) or year in entered.get(cal, set())):
            end = year - 1
        else:
            while workdays.package_covers(cal, year + 1) or year + 1 in entered.get(cal, set()):
                year += 1
            end = year
        alert_from = date(end, *ALERT_FROM)
        if today >= alert_from:
            found.append(CalendarEnd(calendar=cal, end_year=end, alert_from=alert_from))
    return found


# ---------------------------------------------------------------------------------------------
# Services


def check_calendar(calendar: str) -> str:
    if calendar not in CALENDARS:
        raise CalendarInputInvalid(
            _("Unknown working-day calendar %(calendar)s; use one of %(allowed)s.")
            % {"calendar": calendar, "allowed": ", ".join(CALENDARS)},
            where="calendar",
        )
    return calendar


def check_entry(calendar: str, kind: str, name: str) -> None:
    check_calendar(calendar)
    if not kind:
        raise CalendarInputInvalid(
            _("Choose the kind: holiday or workday (make-up working day)."), where="kind"
        )
    if kind not in DayKind.values:
        raise CalendarInputInvalid(
            _("Unknown kind %(kind)s; use holiday or workday.") % {"kind": kind}, where="kind"
        )
    if not name.strip():
        raise CalendarInputInvalid(_("Give the entry a name (e.g. Spring Festival)."), where="name")
    if len(name) > 100:
        raise CalendarInputInvalid(_("The name is longer than 100 characters."), where="name")


@transaction.atomic
def calendar_end_alert_claim(*, end: CalendarEnd, recipients: int) -> bool:
    """Claim the once-only alert for ``end``; ``False`` when it was already sent."""
    try:
        with transaction.atomic():
            CalendarEndAlert.objects.create(
                calendar=end.calendar, end_year=end.end_year, recipients=recipients
            )
    except IntegrityError:
        return False
    return True


# ---------------------------------------------------------------------------------------------
# CSV import: columns calendar,date,kind,name; the whole file or nothing


@dataclass(frozen=True)
class EntryRow:
    calendar: str
    day: date
    kind: str
    name: str


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int

    def as_dict(self) -> dict[str, int]:
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged}


def _decode(content: bytes, file_name: str) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError as error:
            if encoding == "utf-8-sig":
                line = content.count(b"\n", 0, error.start) + 1
    message = _("The file is neither UTF-8 nor GB18030 text.")
    raise ImportRejected(message, [RowError(file_name, line, "", "encoding", message)])


def parse_entries(content: bytes, *, file_name: str) -> list[EntryRow]:
    """Every row checked; any problem refuses the whole file with row and column named."""
    text = _decode(content, file_name)
    if "\x00" in text:  # no text cell holds it (PostgreSQL refuses it in text)
        line = text.count("\n", 0, text.index("\x00")) + 1
        message = _(
            "The file has a NUL character (byte 0) on line %(line)s: it is not a CSV text file."
        ) % {"line": line}
        raise ImportRejected(message, [RowError(file_name, line, "", "encoding", message)])
    reader = csv.reader(io.StringIO(text))
    try:
        return _entries(reader, file_name)
    except csv.Error as error:
        message = _("The file %(file)s is not valid CSV near line %(line)s: %(problem)s") % {
            "file": file_name,
            "line": reader.line_num,
            "problem": error,
        }
        raise ImportRejected(
            message, [RowError(file_name, max(reader.line_num, 1), "", "csv", message)]
        ) from None


def _columns(reader: Any, file_name: str) -> dict[str, int]:
    """Where each import column stands in the header; a missing one refuses the file."""
    header = [name.strip().lower() for name in next(reader, [])]
    missing = [name for name in IMPORT_COLUMNS if name not in header]
    if missing:
        error = RowError(
            file_name,
            1,
            ", ".join(missing),
            "missing_column",
            _("Missing column(s): %(columns)s.") % {"columns": ", ".join(missing)},
        )
        raise ImportRejected(
            _("The file was refused: %(count)s problem(s).") % {"count": 1}, [error]
        )
    return {name: header.index(name) for name in IMPORT_COLUMNS}


def _row_problems(
    values: dict[str, str], number: int, file_name: str
) -> tuple[date | None, list[RowError]]:
    """One row's date (``None`` if it is not one) and what is wrong with its cells."""
    errors: list[RowError] = []
    if values["calendar"] not in CALENDARS:
        errors.append(
            RowError(
                file_name,
                number,
                "calendar",
                "invalid",
                _("Unknown calendar %(value)s; use one of %(allowed)s.")
                % {"value": values["calendar"], "allowed": ", ".join(CALENDARS)},
            )
        )
    try:
        day: date | None = date.fromisoformat(values["date"])
    except ValueError:
        day = None
        errors.append(
            RowError(
                file_name,
                number,
                "date",
                "invalid",
                _("%(value)s is not a date in the form YYYY-MM-DD.") % {"value": values["date"]},
            )
        )
    if values["kind"] not in DayKind.values:
        errors.append(
            RowError(
                file_name,
                number,
                "kind",
                "invalid",
                _("Unknown kind %(value)s; use holiday or workday.") % {"value": values["kind"]},
            )
        )
    if not values["name"] or len(values["name"]) > 100:
        errors.append(
            RowError(file_name, number, "name", "invalid", _("Give a name of 1 to 100 characters."))
        )
    return day, errors


def _entries(reader: Any, file_name: str) -> list[EntryRow]:
    position = _columns(reader, file_name)
    errors: list[RowError] = []
    found: list[EntryRow] = []
    seen: dict[tuple[str, date], int] = {}
    for number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        values = {
            name: (cells[index].strip() if index < len(cells) else "")
            for name, index in position.items()
        }
        day, problems = _row_problems(values, number, file_name)
        errors += problems
        if day is None or problems:
            continue
        key = (values["calendar"], day)
        if key in seen:
            errors.append(
                RowError(
                    file_name,
                    number,
                    "date",
                    "duplicate",
                    _("%(date)s appears again (first in row %(row)s).")
                    % {"date": day.isoformat(), "row": seen[key]},
                )
            )
            continue
        seen[key] = number
        found.append(EntryRow(values["calendar"], day, values["kind"], values["name"]))
    if errors:
        raise ImportRejected(
            _("The file was refused: %(count)s problem(s).") % {"count": len(errors)}, errors
        )
    return found


def entries_csv(entries: Iterable[WorkingDayEntry]) -> str:
    """The entries in the import's own format (export, round-trips through the import)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(IMPORT_COLUMNS)
    for entry in entries:
        writer.writerow([entry.calendar, entry.date.isoformat(), entry.kind, entry.name])
    return out.getvalue()
