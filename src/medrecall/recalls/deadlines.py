"""The compliance clock applied to recall cases: deadlines with their status, marking
them done, and alerting owners before a deadline and at breach (once each).

The working days come from ``core.calendars`` (company entries over the packages' data),
loaded once per computation. A count into a year nothing covers gives a provisional
deadline (``calendar_missing_years``); a clock refusal on one recall is shown on that recall
(its ``missing`` list, the due list's problems) and never breaks another recall or a page.
Administrators are told once per calendar end year, from 2 October of the last covered year,
that next year's calendar must be entered."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.audit import services as audit
from medrecall.core import calendars
from medrecall.core.errors import DomainError, ValidationFailed
from medrecall.core.presentation import local_time, written_time

from . import clock
from .hooks import (
    DeadlineRecord,
    DoneFromRecords,
    NotOwed,
    Partly,
    deadlines_done_from_records,
    document_for_deadline,
)
from .lifecycle import Action, Status, require_action
from .models import DeadlineAlert, DeadlineDone, RecallCase, Regime

OPEN_STATUSES = (
    Status.ASSESSMENT,
    Status.PENDING_APPROVAL,
    Status.IN_EXECUTION,
    Status.EFFECTIVENESS_CHECK,
)


# Why the records show a deadline is not owed (``hooks.NotOwed.reason``): its state's words.
NOT_OWED_REASONS = {
    "no_us_consignees": gettext_lazy("Not owed (no US consignees)"),
    "no_holders": gettext_lazy("Not owed (no holder under this regime)"),
}
NOT_OWED = "not_owed"  # the status of a deadline not owed: never open, due soon, met or late

# A deadline partly met according to the records (``hooks.Partly``): the filing of its document
# submitted to some of the authorities it is addressed to (the same words as the filings page).
PARTLY_NOTE = gettext_lazy("Submitted to %(done)s of %(total)s authorities")


class DeadlineUnknown(ValidationFailed):
    """Marking done a deadline the recall does not have (or not with that due time)."""

    code = "deadline_unknown"


class DeadlineAlreadyDone(ValidationFailed):
    """Marking done a deadline already marked done: the first mark stands."""

    code = "deadline_already_done"


@dataclass(frozen=True)
class DeadlineRow:
    recall_id: int
    recall_number: str
    key: str
    regime: str
    title: str
    basis: str
    due_at: datetime
    status: str
    legal: bool
    done_at: datetime | None
    calendar_missing_years: tuple[int, ...] = ()
    # Done according to the records (e.g. every holder notified, from the notice log), not
    # marked by a person.
    from_records: bool = False
    # Not owed according to the records: a key of ``NOT_OWED_REASONS`` (status ``not_owed``).
    not_owed: str = ""
    # Partly met according to the records (a filing submitted to some of its authorities): the
    # deadline stays open with its due state, and says how far it got (``progress_note``).
    partly: Partly | None = None

    @property
    def needs_reason(self) -> bool:
        """Whether marking it done by hand needs a reason: a document's submission meets it
        (the filings context says which, ``DEADLINE_DOCUMENTS``), or it is partly met."""
        return self.partly is not None or bool(document_for_deadline(self.key))

    @property
    def progress_note(self) -> str:
        """ "Submitted to 1 of 4 authorities" in the reader's language, or "" (not partly met)."""
        if self.partly is None:
            return ""
        return str(PARTLY_NOTE) % {"done": self.partly.done, "total": self.partly.of}

    def progress_fields(self) -> dict[str, Any]:
        """What every JSON output adds: the note, and the counts (null when not partly met):
        ``submitted`` of ``of`` authorities addressed."""
        return {
            "progress_note": self.progress_note,
            "submitted": self.partly.done if self.partly else None,
            "of": self.partly.of if self.partly else None,
        }

    @property
    def not_owed_label(self) -> str:
        """ "Not owed (no US consignees)" in the reader's language, or ""."""
        return str(NOT_OWED_REASONS.get(self.not_owed, "")) if self.not_owed else ""

    @property
    def waiting(self) -> bool:
        """Still to do: neither done nor not owed."""
        return self.status not in ("done", NOT_OWED)

    @property
    def provisional(self) -> bool:
        return bool(self.calendar_missing_years)

    @property
    def provisional_note(self) -> str:
        """ "provisional — calendar for 2027 not entered" in the reader's language, or ""."""
        return str(clock.provisional_note(self.calendar_missing_years)) if self.provisional else ""

    def provisional_fields(self) -> dict[str, Any]:
        """The fields every JSON output adds beside its existing ones."""
        return {
            "provisional": self.provisional,
            "calendar_missing_years": list(self.calendar_missing_years),
        }


@dataclass(frozen=True)
class ClockProblem:
    """A recall whose clock could not run, and why (shown on the due list, not raised)."""

    recall_id: int
    recall_number: str
    message: str


@dataclass(frozen=True)
class DueReport:
    rows: list[DeadlineRow]
    problems: list[ClockProblem]


WorkingDays = Mapping[str, clock.WorkingDaySource]


def _first_year(recalls: list[RecallCase]) -> int | None:
    years = [
        moment.year
        for recall in recalls
        for moment in (recall.decision_at, recall.initiated_at, recall.completed_at)
        if moment
    ]
    return min(years) - 1 if years else None


def working_days_for(recalls: list[RecallCase]) -> WorkingDays:
    """The working-day sources for computing these recalls' deadlines: two queries in all."""
    return calendars.working_days_load(first_year=_first_year(recalls))


def _clock_input(recall: RecallCase) -> dict[str, Any] | None:
    regimes = {r.regime: r.recall_class for r in recall.regimes.all() if r.recall_class}
    if not regimes or recall.decision_at is None:
        return None
    return {
        "regimes": regimes,
        "decision_at": recall.decision_at,
        "initiated_at": recall.initiated_at,
        "completed_at": recall.completed_at,
        "progress_interval_days": recall.progress_interval_days,
        "fda_status_interval_days": recall.fda_status_interval_days,
    } | _eu_clock_input(recall)


def _eu_clock_input(recall: RecallCase) -> dict[str, Any]:
    """EU MDR Art. 87: the awareness date and the serious-incident category of the case."""
    return {"aware_at": recall.aware_at, "eu_incident": recall.eu_incident or None}


def deadlines_for(
    recall: RecallCase,
    *,
    now: datetime | None = None,
    working_days: WorkingDays | None = None,
    from_records: Mapping[tuple[int, str], DeadlineRecord] | None = None,
) -> tuple[list[DeadlineRow], list[str]]:
    """Every deadline of the recall (recurring ones unrolled up to a week ahead) and the
    settings still missing for the clock to run (e.g. the NMPA progress-report cadence), or
    the reason the clock refused; it never raises a clock error. ``from_records``: what
    ``deadlines_done_from_records`` found for a page of recalls at once (read here if not)."""
    rows, missing, _refused, _suggested = _deadlines(
        recall, now=now, working_days=working_days, from_records=from_records
    )
    return rows, missing


@dataclass(frozen=True)
class SuggestedCadence:
    """The NMPA progress-report cadence the deadlines are shown with while the case stores
    none: the suggestion for its level (company policy, ``clock.suggested_progress_interval``)."""

    days: int
    message: str  # the clock's "set how often…" to-do, which this cadence answers for now


def deadlines_with_cadence(
    recall: RecallCase,
    *,
    now: datetime | None = None,
    from_records: Mapping[tuple[int, str], DeadlineRecord] | None = None,
) -> tuple[list[DeadlineRow], list[str], SuggestedCadence | None]:
    """``deadlines_for``, with the suggested NMPA cadence in use told apart: its to-do message
    is left out of ``missing`` and returned as ``SuggestedCadence`` (the cockpit says calmly
    "progress reports every day (suggested)" beside the deadlines it lists)."""
    rows, missing, _refused, suggested = _deadlines(
        recall, now=now, working_days=None, from_records=from_records
    )
    if suggested is not None:
        missing = [m for m in missing if m != suggested.message]
    return rows, missing, suggested


def _deadlines(
    recall: RecallCase,
    *,
    now: datetime | None,
    working_days: WorkingDays | None,
    from_records: Mapping[tuple[int, str], DeadlineRecord] | None = None,
) -> tuple[list[DeadlineRow], list[str], list[str], SuggestedCadence | None]:
    now = now or timezone.now()
    params = _clock_input(recall)
    if params is None:
        return (
            [],
            [_("The clock starts once the recall has a decision date and a class per regime.")],
            [],
            None,
        )
    if working_days is None:
        working_days = working_days_for([recall])
    params["working_days"] = working_days
    missing: list[str] = []
    suggested: SuggestedCadence | None = None
    try:
        try:
            deadlines = clock.compute_deadlines(**params)
        except clock.ClockSettingMissing as problem:
            missing.append(problem.message)
            if Regime.NMPA in params["regimes"] and not params["progress_interval_days"]:
                level = dict(params["regimes"]).get(Regime.NMPA, "III")
                params["progress_interval_days"] = clock.suggested_progress_interval(level)
                suggested = SuggestedCadence(params["progress_interval_days"], problem.message)
                # The clock's message already names the suggested cadence (company policy); the
                # deadlines below are shown with it until the case stores its own.
            deadlines = (
                clock.compute_deadlines(**params) if params["progress_interval_days"] else []
            )
    except clock.ClockError as refused:
        message = _("The clock cannot run for this recall: %(reason)s") % {
            "reason": refused.message
        }
        return [], [*missing, message], [message], None
    marks = list(recall.deadlines_done.all())
    done = {(d.key, d.due_at): d.done_at for d in marks}
    # A one-off obligation done is done even if its due time moved since (a provisional
    # deadline made exact once the year's calendar was entered): matched by key as well.
    done_once = {d.key: d.done_at for d in marks}
    if from_records is None:
        from_records = deadlines_done_from_records([recall])
    rows = []
    for deadline in deadlines:
        record = from_records.get((recall.pk, deadline.key))
        if isinstance(record, NotOwed):
            rows.append(_not_owed_row(recall, deadline, record))
            continue
        # Partly met: shown on the deadline (a recurring one's oldest period not done).
        partly = record if isinstance(record, Partly) else None
        for occurrence in clock.occurrences(deadline, until=now + timedelta(days=7)):
            done_at = done.get((occurrence.key, occurrence.due_at))
            if done_at is None and not occurrence.recurring:
                done_at = done_once.get(occurrence.key)
            recorded = None
            if done_at is None and not occurrence.recurring:
                done_at = recorded = record if isinstance(record, datetime) else None
            shown = None
            if done_at is None and partly is not None:
                shown, partly = partly, None
            rows.append(
                DeadlineRow(
                    recall_id=recall.pk,
                    recall_number=recall.number,
                    key=occurrence.key,
                    regime=str(occurrence.regime),
                    title=str(occurrence.title),
                    basis=str(occurrence.basis),
                    due_at=occurrence.due_at,
                    status=clock.status_at(occurrence, now, done_at),
                    legal=occurrence.legal,
                    done_at=done_at,
                    calendar_missing_years=occurrence.calendar_missing_years,
                    from_records=recorded is not None,
                    partly=shown,
                )
            )
    rows.sort(key=lambda row: row.due_at)
    return rows, missing, [], suggested


def _not_owed_row(recall: RecallCase, deadline: clock.Deadline, not_owed: NotOwed) -> DeadlineRow:
    """One row for a deadline the recall does not owe (a recurring one is not unrolled): no
    due state, no done time."""
    return DeadlineRow(
        recall_id=recall.pk,
        recall_number=recall.number,
        key=deadline.key,
        regime=str(deadline.regime),
        title=str(deadline.title),
        basis=str(deadline.basis),
        due_at=deadline.due_at,
        status=NOT_OWED,
        legal=deadline.legal,
        done_at=None,
        calendar_missing_years=deadline.calendar_missing_years,
        from_records=True,
        not_owed=not_owed.reason,
    )


@transaction.atomic
def deadline_mark_done(
    *,
    recall: RecallCase,
    key: str,
    due_at: datetime,
    actor: User,
    note: str = "",
    done_at: datetime | None = None,
) -> DeadlineDone:
    require_action(recall, Action.MARK_DEADLINE)
    rows, _missing = deadlines_for(recall)
    row = next((r for r in rows if r.key == key and r.due_at == due_at), None)
    if row is None:
        raise DeadlineUnknown(
            _("This recall has no deadline %(key)s due at %(due)s.")
            % {"key": key, "due": local_time(due_at)},
            where="key",
        )
    if row.waiting and row.needs_reason and not note.strip():
        raise ValidationFailed(
            _(
                "%(deadline)s is met when its document is submitted (%(progress)s): to mark it "
                "done by hand, say why."
            )
            % {
                "deadline": row.title,
                "progress": row.progress_note or _("not submitted yet"),
            },
            where="note",
        )
    try:
        with transaction.atomic():
            entry = DeadlineDone.objects.create(
                recall=recall,
                key=key,
                due_at=due_at,
                done_at=done_at or timezone.now(),
                done_by=actor,
                note=note,
            )
    except IntegrityError as error:
        raise DeadlineAlreadyDone(
            _("That deadline is already marked done."), where="key"
        ) from error
    audit.record(
        actor=actor,
        action="recalls.deadline_done",
        target=recall,
        # The history shows the deadline by its name and the time as people write it.
        changes={row.title: [None, written_time(entry.done_at)]},
        reason=note,
    )
    return entry


def due_this_week(
    *, now: datetime | None = None, done_from_records: DoneFromRecords | None = None
) -> list[DeadlineRow]:
    """Across open recalls: what falls due in the next seven days, and what is already breached."""
    return due_report(now=now, done_from_records=done_from_records).rows


def due_report(
    *, now: datetime | None = None, done_from_records: DoneFromRecords | None = None
) -> DueReport:
    """``due_this_week`` with the recalls whose clock could not run and why: one recall's
    problem is reported on that recall and never hides another recall's deadlines.
    ``done_from_records``: how to read what the records show done for the open recalls (the
    pages pass the figure they keep, ``reporting.deadlines``); read afresh by default."""
    now = now or timezone.now()
    found: list[DeadlineRow] = []
    problems: list[ClockProblem] = []
    recalls = list(
        RecallCase.objects.filter(status__in=OPEN_STATUSES).prefetch_related(
            "regimes", "deadlines_done"
        )
    )
    working_days = working_days_for(recalls)
    recorded = (done_from_records or deadlines_done_from_records)(recalls)
    for recall in recalls:
        try:
            rows, _missing, refused, _suggested = _deadlines(
                recall, now=now, working_days=working_days, from_records=recorded
            )
        except DomainError as error:  # anything else a recall's data makes the clock refuse
            rows, refused = [], [error.message]
        problems.extend(ClockProblem(recall.pk, recall.number, message) for message in refused)
        found.extend(
            row
            for row in rows
            if row.waiting and (row.status == "breached" or row.due_at <= now + timedelta(days=7))
        )
    return DueReport(rows=sorted(found, key=lambda row: row.due_at), problems=problems)


def deadlines_alert(*, now: datetime | None = None) -> int:
    """Alert owners and teams of deadlines that are due soon or breached; each alert once.

    Safe to run as often as wanted (cron, the task queue): the unique alert row decides."""
    now = now or timezone.now()
    sent = calendar_end_alerts(now=now)
    for row in due_this_week(now=now):
        if row.status not in ("due_soon", "breached"):
            continue
        try:
            with transaction.atomic():
                DeadlineAlert.objects.create(
                    recall_id=row.recall_id,
                    key=row.key,
                    due_at=row.due_at,
                    kind=row.status,
                    title=row.title[:255],
                )
        except IntegrityError:
            continue
        recall = RecallCase.objects.select_related("owner").get(pk=row.recall_id)
        recipients = sorted({u.email for u in [recall.owner, *recall.team.all()] if u.email})
        subject = (
            _("[%(number)s] Deadline breached: %(title)s")
            if row.status == "breached"
            else _("[%(number)s] Deadline due soon: %(title)s")
        ) % {"number": recall.number, "title": row.title}
        body = _("%(title)s\nDue: %(due)s\nRule: %(basis)s\nRecall: %(number)s %(recall)s") % {
            "title": row.title,
            "due": local_time(row.due_at),
            "basis": row.basis,
            "number": recall.number,
            "recall": recall.title,
        }
        if row.partly is not None:  # open, partly met: "Submitted to 1 of 4 authorities"
            body += "\n" + row.progress_note
        if row.provisional:
            body += "\n" + _("Due date: %(note)s") % {"note": row.provisional_note}
        if recipients:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients, fail_silently=False)
        sent += 1
    return sent


def alerts_for(user: User, *, limit: int = 20) -> list[DeadlineAlert]:
    """In-app alerts: those of the recalls the user owns or works on."""
    return list(
        DeadlineAlert.objects.filter(recall__owner=user).select_related("recall")[:limit]
    ) + list(
        DeadlineAlert.objects.filter(recall__team=user)
        .exclude(recall__owner=user)
        .select_related("recall")[:limit]
    )


def administrators() -> list[User]:
    """Who keeps the working-day calendars: users with the administrator role, and superusers."""
    return list(
        User.objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(groups__name=Role.ADMINISTRATOR))
        .distinct()
        .order_by("username")
    )


def calendar_end_alerts(*, now: datetime | None = None) -> int:
    """Tell administrators, once per calendar and end year, from 2 October of the last covered
    year, that next year's working-day calendar must be entered. Returns mails sent."""
    now = now or timezone.now()
    sent = 0
    for end in calendars.calendar_ends(today=now.astimezone(clock.CN_TZ).date()):
        recipients = sorted({user.email for user in administrators() if user.email})
        if not calendars.calendar_end_alert_claim(end=end, recipients=len(recipients)):
            continue
        if recipients:
            subject = _("Working-day calendar %(calendar)s ends with %(year)s") % {
                "calendar": end.calendar,
                "year": end.end_year,
            }
            send_mail(
                subject, end.message(), settings.DEFAULT_FROM_EMAIL, recipients, fail_silently=False
            )
            sent += 1
    return sent


def calendar_warnings(user: User, *, now: datetime | None = None) -> list[str]:
    """The warning administrators see on the due list and the calendar page."""
    if not (user.is_superuser or user.groups.filter(name=Role.ADMINISTRATOR).exists()):
        return []
    now = now or timezone.now()
    return [
        end.message() for end in calendars.calendar_ends(today=now.astimezone(clock.CN_TZ).date())
    ]
