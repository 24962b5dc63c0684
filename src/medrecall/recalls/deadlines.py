"""The compliance clock applied to recall cases: deadlines with their status, marking
them done, and alerting owners before a deadline and at breach (once each)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from medrecall.accounts.models import User
from medrecall.audit import services as audit
from medrecall.core.errors import ValidationFailed
from medrecall.core.presentation import local_time

from . import clock
from .lifecycle import Status
from .models import DeadlineAlert, DeadlineDone, RecallCase

OPEN_STATUSES = (Status.ASSESSMENT, Status.PENDING_APPROVAL, Status.IN_EXECUTION, Status.EFFECTIVENESS_CHECK)


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


def _clock_input(recall: RecallCase) -> dict[str, Any] | None:
    regimes = {r.regime: r.recall_class for r in recall.regimes.all() if r.recall_class}
    if not regimes or recall.decision_at is None:
        return None
    return {"regimes": regimes, "decision_at": recall.decision_at, "initiated_at": recall.initiated_at,
            "completed_at": recall.completed_at, "progress_interval_days": recall.progress_interval_days}


def deadlines_for(recall: RecallCase, *, now: datetime | None = None) -> tuple[list[DeadlineRow], list[str]]:
    """Every deadline of the recall (recurring ones unrolled up to a week ahead) and the
    settings still missing for the clock to run (e.g. the NMPA progress-report cadence)."""
    now = now or timezone.now()
    params = _clock_input(recall)
    if params is None:
        return [], [_("The clock starts once the recall has a decision date and a class per regime.")]
    missing: list[str] = []
    try:
        deadlines = clock.compute_deadlines(**params)
    except clock.ClockSettingMissing as problem:
        missing.append(problem.message)
        if recall.regimes.filter(regime="nmpa").exists() and not params["progress_interval_days"]:
            level = dict(params["regimes"]).get("nmpa", "III")
            params["progress_interval_days"] = clock.suggested_progress_interval(level)
            missing[-1] += " " + _("Company policy suggests every %(days)s days for this level (not national law).") % {
                "days": params["progress_interval_days"]}
        deadlines = clock.compute_deadlines(**params) if params["progress_interval_days"] else []
    done = {(d.key, d.due_at): d.done_at for d in recall.deadlines_done.all()}
    rows = []
    for deadline in deadlines:
        for occurrence in clock.occurrences(deadline, until=now + timedelta(days=7)):
            done_at = done.get((occurrence.key, occurrence.due_at))
            rows.append(DeadlineRow(
                recall_id=recall.pk, recall_number=recall.number, key=occurrence.key, regime=str(occurrence.regime),
                title=str(occurrence.title), basis=str(occurrence.basis), due_at=occurrence.due_at,
                status=clock.status_at(occurrence, now, done_at), legal=occurrence.legal, done_at=done_at))
    rows.sort(key=lambda row: row.due_at)
    return rows, missing


@transaction.atomic
def deadline_mark_done(*, recall: RecallCase, key: str, due_at: datetime, actor: User, note: str = "",
                       done_at: datetime | None = None) -> DeadlineDone:
    rows, _missing = deadlines_for(recall)
    if not any(row.key == key and row.due_at == due_at for row in rows):
        raise ValidationFailed(_("This recall has no deadline %(key)s due at %(due)s.") % {
            "key": key, "due": local_time(due_at)}, where="key")
    try:
        with transaction.atomic():
            entry = DeadlineDone.objects.create(recall=recall, key=key, due_at=due_at,
                                                done_at=done_at or timezone.now(), done_by=actor, note=note)
    except IntegrityError as error:
        raise ValidationFailed(_("That deadline is already marked done."), where="key") from error
    audit.record(actor=actor, action="recalls.deadline_done", target=recall,
                 changes={key: [None, entry.done_at.isoformat()]}, reason=note)
    return entry


def due_this_week(*, now: datetime | None = None) -> list[DeadlineRow]:
    """Across open recalls: what falls due in the next seven days, and what is already breached."""
    now = now or timezone.now()
    found: list[DeadlineRow] = []
    for recall in RecallCase.objects.filter(status__in=OPEN_STATUSES).prefetch_related("regimes", "deadlines_done"):
        rows, _missing = deadlines_for(recall, now=now)
        found.extend(row for row in rows if row.status != "done" and (
            row.status == "breached" or row.due_at <= now + timedelta(days=7)))
    return sorted(found, key=lambda row: row.due_at)


def deadlines_alert(*, now: datetime | None = None) -> int:
    """Alert owners and teams of deadlines that are due soon or breached; each alert once.

    Safe to run as often as wanted (cron, the task queue): the unique alert row decides."""
    now = now or timezone.now()
    sent = 0
    for row in due_this_week(now=now):
        if row.status not in ("due_soon", "breached"):
            continue
        try:
            with transaction.atomic():
                DeadlineAlert.objects.create(recall_id=row.recall_id, key=row.key, due_at=row.due_at, kind=row.status,
                                             title=row.title[:255])
        except IntegrityError:
            continue
        recall = RecallCase.objects.select_related("owner").get(pk=row.recall_id)
        recipients = sorted({u.email for u in [recall.owner, *recall.team.all()] if u.email})
        subject = (_("[%(number)s] Deadline breached: %(title)s") if row.status == "breached" else
                   _("[%(number)s] Deadline due soon: %(title)s")) % {"number": recall.number, "title": row.title}
        body = _("%(title)s\nDue: %(due)s\nRule: %(basis)s\nRecall: %(number)s %(recall)s") % {
            "title": row.title, "due": local_time(row.due_at), "basis": row.basis, "number": recall.number,
            "recall": recall.title}
        if recipients:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients, fail_silently=False)
        sent += 1
    return sent


def alerts_for(user: User, *, limit: int = 20) -> list[DeadlineAlert]:
    """In-app alerts: those of the recalls the user owns or works on."""
    return list(DeadlineAlert.objects.filter(recall__owner=user).select_related("recall")[:limit]) + list(
        DeadlineAlert.objects.filter(recall__team=user).exclude(recall__owner=user).select_related("recall")[:limit])
