"""The working-day calendar page: coverage per year, the entries, and (administrators only)
adding, changing and deleting entries, marking a year entered and importing a CSV."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from medrecall.accounts.models import User
from medrecall.accounts.selectors import viewer_of
from medrecall.core import calendars
from medrecall.core.errors import DomainError, ImportRejected
from medrecall.core.models import DayKind, WorkingDayCalendar
from medrecall.recalls import calendars as calendar_services
from medrecall.recalls.deadlines import calendar_warnings


def _reader(request: HttpRequest) -> User:
    return calendar_services.calendar_viewer(viewer_of(request))  # type: ignore[no-any-return]


def _editor(request: HttpRequest) -> User:
    return calendar_services.calendar_viewer(viewer_of(request), change=True)  # type: ignore[no-any-return]


def _int(value: str | None, default: int) -> int:
    try:
        return int(value or default)
    except ValueError:
        return default


@login_required
def calendar_page(request: HttpRequest) -> HttpResponse:
    viewer = _reader(request)
    today = timezone.localdate()
    calendar = request.GET.get("calendar", "CN")
    if calendar not in calendars.CALENDARS:
        calendar = "CN"
    year = _int(request.GET.get("year"), today.year + 1)
    entries = calendars.entries_list(calendar=calendar, year=year)
    editing = next((e for e in entries if e.date.isoformat() == request.GET.get("edit")), None)
    return render(
        request,
        "web/calendar.html",
        {
            "calendar": calendar,
            "year": year,
            "calendars": WorkingDayCalendar.choices,
            "kinds": DayKind.choices,
            "coverage": calendars.coverage(today=today),
            "entries": entries,
            "editing": editing,
            "package_days": calendars.package_days(calendar=calendar, year=year),
            "can_change": viewer.has_perm(calendar_services.CALENDAR_CHANGE),
            "calendar_warnings": calendar_warnings(viewer),
        },
    )


def _back(request: HttpRequest, calendar: str, year: int) -> HttpResponse:
    return redirect(f"{reverse('web:calendar')}?calendar={calendar}&year={year}")


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise calendars.CalendarInputInvalid(
            _("%(value)s is not a date in the form YYYY-MM-DD.") % {"value": value}, where="date"
        ) from error


def _run(request: HttpRequest, action: Any) -> HttpResponse:
    actor = _editor(request)
    calendar = request.POST.get("calendar", "CN")
    year = _int(request.POST.get("year"), timezone.localdate().year)
    try:
        done = action(actor, calendar)
    except ImportRejected as refused:
        messages.error(request, " ".join([refused.message, *[str(e) for e in refused.errors[:50]]]))
    except DomainError as refused:
        messages.error(request, refused.message)
    else:
        messages.success(request, done)
    return _back(request, calendar, year)


@login_required
@require_POST
def calendar_entry_set(request: HttpRequest) -> HttpResponse:
    def act(actor: User, calendar: str) -> str:
        entry = calendar_services.calendar_entry_set(
            calendar=calendar,
            day=_date(request.POST.get("date", "")),
            kind=request.POST.get("kind", ""),
            name=request.POST.get("name", ""),
            actor=actor,
        )
        return _("Saved %(date)s: %(name)s.") % {"date": entry.date.isoformat(), "name": entry.name}

    return _run(request, act)


@login_required
@require_POST
def calendar_entry_delete(request: HttpRequest) -> HttpResponse:
    def act(actor: User, calendar: str) -> str:
        day = _date(request.POST.get("date", ""))
        calendar_services.calendar_entry_delete(calendar=calendar, day=day, actor=actor)
        return _("Deleted the entry of %(date)s.") % {"date": day.isoformat()}

    return _run(request, act)


@login_required
@require_POST
def calendar_year_entered(request: HttpRequest) -> HttpResponse:
    def act(actor: User, calendar: str) -> str:
        year = _int(request.POST.get("year"), 0)
        calendar_services.calendar_year_mark_entered(
            calendar=calendar, year=year, actor=actor, note=request.POST.get("note", "")
        )
        return _("%(calendar)s %(year)s is marked entered.") % {"calendar": calendar, "year": year}

    return _run(request, act)


@login_required
@require_POST
def calendar_import(request: HttpRequest) -> HttpResponse:
    def act(actor: User, _calendar: str) -> str:
        upload = request.FILES.get("file")
        if upload is None:
            raise calendars.CalendarInputInvalid(_("Choose a CSV file to import."), where="file")
        result = calendar_services.calendar_import(
            content=upload.read(), file_name=upload.name or "calendar.csv", actor=actor
        )
        return (
            _("Imported: %(created)s new, %(updated)s changed, %(unchanged)s unchanged.")
            % result.as_dict()
        )

    return _run(request, act)


@login_required
def calendar_export(request: HttpRequest) -> HttpResponse:
    _reader(request)
    calendar = request.GET.get("calendar") or None
    body = calendars.entries_csv(calendars.entries_list(calendar=calendar))
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="working-day-calendar.csv"'
    return response
