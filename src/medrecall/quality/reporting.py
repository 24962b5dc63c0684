"""Reporting clocks applied to complaints: each reportable decision's deadline with its status,
and the alert sweep (once per clock and kind, like the recall deadlines' ``DeadlineAlert``).

The working days are loaded once per computation (``core.calendars``); a count into a year
nothing covers is provisional, never an error, and one complaint's problem never hides another's
clock."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.core import calendars
from medrecall.core.presentation import local_time
from medrecall.recalls import clock as recall_clock
from medrecall.recalls.clock import WorkingDaySources

from . import clock
from .errors import AlertMailFailed
from .models import ReportDecision, ReportingAlert

DUE_AHEAD = timedelta(days=7)


@dataclass(frozen=True)
class ClockRow:
    complaint_id: int
    complaint_number: str
    regime: str
    category: str
    key: str
    title: str
    basis: str
    starts_at: datetime
    due_at: datetime
    status: str  # done, open, due_soon, breached
    submitted_at: datetime | None
    calendar_missing_years: tuple[int, ...] = ()

    @property
    def provisional(self) -> bool:
        return bool(self.calendar_missing_years)

    @property
    def provisional_note(self) -> str:
        if not self.provisional:
            return ""
        return str(recall_clock.provisional_note(self.calendar_missing_years))

    def as_dict(self) -> dict[str, Any]:
        """The row as the API and the command answer it, times in the configured time zone."""
        return {
            "complaint": self.complaint_number,
            "regime": self.regime,
            "category": self.category,
            "key": self.key,
            "title": self.title,
            "basis": self.basis,
            "starts_at": timezone.localtime(self.starts_at).isoformat(),
            "due_at": timezone.localtime(self.due_at).isoformat(),
            "status": self.status,
            "submitted_at": (
                timezone.localtime(self.submitted_at).isoformat() if self.submitted_at else None
            ),
            "provisional": self.provisional,
            "calendar_missing_years": list(self.calendar_missing_years),
        }


def working_days_for(aware: Iterable[datetime]) -> WorkingDaySources:
    """The calendars for counting from these awareness times: two queries in all."""
    years = [moment.year for moment in aware]
    return calendars.working_days_load(first_year=min(years) - 1 if years else None)


def clock_rows(
    decisions: Iterable[ReportDecision],
    *,
    now: datetime | None = None,
    working_days: WorkingDaySources | None = None,
) -> list[ClockRow]:
    """A row per reportable decision (its complaint selected with it), earliest due first."""
    now = now or timezone.now()
    decisions = [d for d in decisions if d.reportable]
    if working_days is None:
        working_days = working_days_for(d.complaint.aware_at for d in decisions)
    rows = []
    for decision in decisions:
        deadline = clock.reporting_deadline(
            category=decision.category,
            aware_at=decision.complaint.aware_at,
            working_days=working_days,
        )
        rows.append(
            ClockRow(
                complaint_id=decision.complaint_id,
                complaint_number=decision.complaint.number,
                regime=decision.regime,
                category=decision.category,
                key=deadline.key,
                title=str(deadline.title),
                basis=str(deadline.basis),
                starts_at=deadline.starts_at,
                due_at=deadline.due_at,
                status=recall_clock.status_at(deadline, now, decision.submitted_at),
                submitted_at=decision.submitted_at,
                calendar_missing_years=deadline.calendar_missing_years,
            )
        )
    return sorted(rows, key=lambda row: (row.due_at, row.complaint_number))


def open_decisions(complaints: QuerySet[Any] | None = None) -> QuerySet[ReportDecision]:
    """Reportable decisions whose report is not filed yet (of ``complaints``, else of all)."""
    found = ReportDecision.objects.filter(reportable=True, submitted_at__isnull=True)
    if complaints is not None:
        found = found.filter(complaint__in=complaints)
    return found.select_related("complaint")


def clocks_running(
    *, now: datetime | None = None, complaints: QuerySet[Any] | None = None
) -> list[ClockRow]:
    """Every reporting clock still running (report not filed): three queries whatever the count."""
    return clock_rows(open_decisions(complaints), now=now)


def clocks_due(
    *, now: datetime | None = None, complaints: QuerySet[Any] | None = None
) -> list[ClockRow]:
    """The running clocks breached or due within a week."""
    now = now or timezone.now()
    return [
        row
        for row in clocks_running(now=now, complaints=complaints)
        if row.status == "breached" or row.due_at <= now + DUE_AHEAD
    ]


def _recipients(user_ids: Iterable[int]) -> list[str]:
    """QA/RA managers, and whoever made the decision."""
    users = User.objects.filter(is_active=True).filter(
        Q(groups__name=Role.QA_RA_MANAGER) | Q(pk__in=list(user_ids))
    )
    return sorted({user.email for user in users.distinct() if user.email})


def reporting_alert(*, now: datetime | None = None) -> int:
    """Alert of reporting clocks due soon (late in their window) or breached; each alert once
    (the unique alert row decides). The alert row is kept only once its mail has gone: a mail
    that fails rolls it back, so the next run sends it again. Safe to run as often as wanted.
    Returns alerts sent; raises ``AlertMailFailed`` (after trying every alert) if any failed."""
    now = now or timezone.now()
    sent = 0
    failed: list[str] = []
    decisions = list(open_decisions())
    deciders = {(d.complaint_id, d.regime): d.decided_by_id for d in decisions}
    for row in clock_rows(decisions, now=now):
        if row.status not in ("due_soon", "breached"):
            continue
        recipients = _recipients([deciders[(row.complaint_id, row.regime)]])
        try:
            with transaction.atomic():
                ReportingAlert.objects.create(
                    complaint_id=row.complaint_id,
                    key=row.key,
                    due_at=row.due_at,
                    kind=row.status,
                    title=row.title[:255],
                )
                if recipients:
                    _alert_mail(row, recipients)
        except IntegrityError:
            continue
        except OSError as error:  # smtplib's errors are OSErrors too
            failed.append(f"{row.complaint_number} {row.key}: {error}")
            continue
        sent += 1
    if failed:
        raise AlertMailFailed(
            _(
                "%(sent)s alert(s) sent; %(count)s could not be mailed and will be sent on the "
                "next run: %(failures)s"
            )
            % {"sent": sent, "count": len(failed), "failures": "; ".join(failed)}
        )
    return sent


def _alert_mail(row: ClockRow, recipients: list[str]) -> None:
    subject = (
        _("[%(number)s] Report overdue: %(title)s")
        if row.status == "breached"
        else _("[%(number)s] Report due soon: %(title)s")
    ) % {"number": row.complaint_number, "title": row.title}
    body = _("%(title)s\nDue: %(due)s\nRule: %(basis)s\nComplaint: %(number)s") % {
        "title": row.title,
        "due": local_time(row.due_at),
        "basis": row.basis,
        "number": row.complaint_number,
    }
    if row.provisional:
        body += "\n" + _("Due date: %(note)s") % {"note": row.provisional_note}
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients, fail_silently=False)
