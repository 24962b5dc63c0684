"""Writes to the working-day calendars (core's ``WorkingDayEntry`` and ``CalendarYear``),
each one audited. They live here, above ``audit``, because ``core`` may not import it; the
models, reads and the CSV parser stay in ``core/calendars.py``, which the clock reads."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from medrecall.accounts.models import User
from medrecall.audit import services as audit
from medrecall.core.calendars import (
    CalendarInputInvalid,
    ImportResult,
    check_calendar,
    check_entry,
    parse_entries,
)
from medrecall.core.errors import NotFound
from medrecall.core.models import CalendarYear, WorkingDayEntry

CALENDAR_READ = "recalls.view_recallcase"
CALENDAR_CHANGE = "core.change_workingdayentry"


def calendar_viewer(viewer: Any, *, change: bool = False) -> Any:
    """The viewer, if it may read the working-day calendar (staff who see recalls) or, with
    ``change``, edit it (administrators); ``PermissionDenied`` otherwise (HTTP 403). The pages and the
    API ask the same question here."""
    if (
        viewer.party_id is not None
        or not viewer.has_perm(CALENDAR_READ)
        or (change and not viewer.has_perm(CALENDAR_CHANGE))
    ):
        raise PermissionDenied
    return viewer


@transaction.atomic
def calendar_entry_set(
    *, calendar: str, day: date, kind: str, name: str, actor: User
) -> WorkingDayEntry:
    """Add or change the entry of one day (one per calendar and date)."""
    check_entry(calendar, kind, name)
    name = name.strip()
    entry = WorkingDayEntry.objects.select_for_update().filter(calendar=calendar, date=day).first()
    before = {"kind": entry.kind, "name": entry.name} if entry else {"kind": None, "name": None}
    if entry is None:
        entry = WorkingDayEntry.objects.create(
            calendar=calendar, date=day, kind=kind, name=name, entered_by=actor
        )
    elif (entry.kind, entry.name) != (kind, name):
        entry.kind, entry.name, entry.entered_by = kind, name, actor
        entry.save(update_fields=["kind", "name", "entered_by", "updated_at"])
    else:
        return entry
    audit.record(
        actor=actor,
        action="core.calendar_entry_set",
        target=entry,
        changes=audit.diff(before, {"kind": kind, "name": name}),
    )
    return entry


@transaction.atomic
def calendar_entry_delete(*, calendar: str, day: date, actor: User) -> None:
    entry = (
        WorkingDayEntry.objects.select_for_update()
        .filter(calendar=check_calendar(calendar), date=day)
        .first()
    )
    if entry is None:
        raise NotFound(
            _("The %(calendar)s calendar has no entry on %(date)s.")
            % {"calendar": calendar, "date": day.isoformat()},
            where="date",
        )
    audit.record(
        actor=actor,
        action="core.calendar_entry_delete",
        target=entry,
        changes={"kind": [entry.kind, None], "name": [entry.name, None]},
    )
    entry.delete()


@transaction.atomic
def calendar_year_mark_entered(
    *, calendar: str, year: int, actor: User, note: str = ""
) -> CalendarYear:
    """Declare a year entered whole: from now on its days without entry count Monday to Friday."""
    check_calendar(calendar)
    if not 1900 <= year <= 2200:
        raise CalendarInputInvalid(
            _("%(year)s is not a plausible year.") % {"year": year}, where="year"
        )
    try:
        with transaction.atomic():
            mark = CalendarYear.objects.create(
                calendar=calendar, year=year, entered_by=actor, note=note[:255]
            )
    except IntegrityError as error:
        raise CalendarInputInvalid(
            _("%(calendar)s %(year)s is already marked entered.")
            % {"calendar": calendar, "year": year},
            where="year",
        ) from error
    audit.record(
        actor=actor,
        action="core.calendar_year_entered",
        target=mark,
        changes={"entered": [False, True]},
        reason=note,
    )
    return mark


@transaction.atomic
def calendar_import(*, content: bytes, file_name: str, actor: User) -> ImportResult:
    """Import entries from CSV, idempotent on (calendar, date): a row that matches the stored
    entry changes nothing, a different one replaces it."""
    rows = parse_entries(content, file_name=file_name)
    calendars = {row.calendar for row in rows}
    existing = {
        (e.calendar, e.date): e
        for e in WorkingDayEntry.objects.select_for_update().filter(
            calendar__in=calendars, date__in={row.day for row in rows}
        )
    }
    created: list[WorkingDayEntry] = []
    updated: list[WorkingDayEntry] = []
    for row in rows:
        entry = existing.get((row.calendar, row.day))
        if entry is None:
            created.append(
                WorkingDayEntry(
                    calendar=row.calendar,
                    date=row.day,
                    kind=row.kind,
                    name=row.name,
                    entered_by=actor,
                )
            )
        elif (entry.kind, entry.name) != (row.kind, row.name):
            entry.kind, entry.name, entry.entered_by = row.kind, row.name, actor
            entry.updated_at = timezone.now()
            updated.append(entry)
    WorkingDayEntry.objects.bulk_create(created)
    WorkingDayEntry.objects.bulk_update(updated, ["kind", "name", "entered_by", "updated_at"])
    result = ImportResult(
        created=len(created),
        updated=len(updated),
        unchanged=len(rows) - len(created) - len(updated),
    )
    if created or updated:
        audit.record(
            actor=actor,
            action="core.calendar_import",
            target_type="core.workingdayentry",
            target_label=file_name[:255],
            changes={
                "entries": [
                    None,
                    [
                        f"{e.calendar} {e.date.isoformat()} {e.kind} {e.name}"
                        for e in [*created, *updated]
                    ],
                ],
                **{k: [None, v] for k, v in result.as_dict().items()},
            },
        )
    return result
