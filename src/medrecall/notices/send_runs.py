"""Send runs: a person (or the system) starts one, the task-queue worker issues the notices
and hands them in batches to rendering and sending; the run records progress and finishes when
every e-mail notice of it is rendered.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from medrecall.accounts.models import User
from medrecall.audit import services as audit
from medrecall.core.errors import ValidationFailed
from medrecall.core.states import ActionNotAllowed
from medrecall.parties.models import Channel
from medrecall.recalls.lifecycle import Action, require_action
from medrecall.recalls.models import RecallCase

from .errors import (
    FsnGateClosed,
    NoticeContentMissing,
    RecallNotApproved,
    ScopeNotFrozen,
    TemplateMissing,
)
from .issuing import KIND_ACTIONS, notices_create, run_content_problems, run_refusals
from .models import (
    OPEN_FOR_NOTICES,
    Kind,
    Notice,
    NoticeRun,
    NoticeStatus,
)
from .recipients import holder_lines
from .rendering import notices_render
from .sending import notices_send


@transaction.atomic
def notice_run_start(
    *,
    recall: RecallCase,
    actor: User | None,
    kind: str = Kind.INITIAL,
    parties: list[int] | None = None,
    reason: str = "",
) -> NoticeRun:
    """Queue the generation and sending of notices to every holder in scope (or ``parties``)."""
    require_action(recall, KIND_ACTIONS.get(kind, Action.SEND_NOTICES))
    recall = RecallCase.objects.select_for_update().get(pk=recall.pk)
    if kind in (Kind.INITIAL, Kind.UPDATE) and recall.status not in OPEN_FOR_NOTICES:
        raise RecallNotApproved(
            _("Notices go out once the recall is approved (now: %(status)s).")
            % {"status": recall.get_status_display()}
        )
    if recall.current_snapshot is None:
        raise ScopeNotFrozen(_("Freeze the scope before sending notices."), where="scope")
    missing, closed = run_refusals(recall, kind=kind, party_ids=parties)
    if missing:
        raise TemplateMissing(missing[0], where="language", details=missing)
    if closed:
        raise FsnGateClosed(closed[0], where="fsn", details=closed)
    if actor is not None and (problems := run_content_problems(recall, kind=kind, parties=parties)):
        raise NoticeContentMissing(problems[0], where="content", details=problems)
    run = NoticeRun.objects.create(
        recall=recall, kind=kind, parties=sorted(parties or []), reason=reason, started_by=actor
    )
    if actor is not None:
        audit.record(
            actor=actor,
            action="notices.run_started",
            target=recall,
            changes={"run": [None, run.pk], "kind": [None, kind]},
            reason=reason,
        )
    from .tasks import notice_run_task

    transaction.on_commit(lambda: notice_run_task.enqueue(run.pk))
    return run


def notice_run_execute(run_id: int) -> NoticeRun:
    """Create the run's notices, then hand them to batch tasks (render + send)."""
    run = NoticeRun.objects.select_related("recall").get(pk=run_id)
    if run.status not in (NoticeRun.Status.QUEUED, NoticeRun.Status.GENERATING):
        return run
    NoticeRun.objects.filter(pk=run.pk).update(status=NoticeRun.Status.GENERATING)
    try:
        with transaction.atomic():
            party_ids = run.parties or list(holder_lines(run.recall).keys())
            notices_create(recall=run.recall, run=run, kind=run.kind, party_ids=party_ids)
    except (ValidationFailed, ActionNotAllowed) as problem:
        NoticeRun.objects.filter(pk=run.pk).update(
            status=NoticeRun.Status.FAILED, error=problem.message, finished_at=timezone.now()
        )
        return NoticeRun.objects.get(pk=run.pk)
    ids = list(Notice.objects.filter(run=run).order_by("pk").values_list("pk", flat=True))
    NoticeRun.objects.filter(pk=run.pk).update(total=len(ids), status=NoticeRun.Status.SENDING)
    from .tasks import notices_batch_task

    size = settings.MEDRECALL_SEND_BATCH
    for start in range(0, len(ids), size):
        notices_batch_task.enqueue(run.pk, ids[start : start + size])
    if not ids:
        _run_finish_if_done(run.pk)
    return NoticeRun.objects.get(pk=run.pk)


def _run_finish_if_done(run_id: int) -> None:
    pending = Notice.objects.filter(
        run_id=run_id,
        status=NoticeStatus.GENERATED,
        channel=Channel.EMAIL,
        body_html="",
        last_error="",
    ).exists()
    if not pending:
        NoticeRun.objects.filter(
            pk=run_id, finished_at__isnull=True, rendered__gte=F("total")
        ).update(status=NoticeRun.Status.DONE, finished_at=timezone.now())


def notices_batch(run_id: int | None, notice_ids: list[int]) -> int:
    """Render and send one batch of a run; returns how many were sent now."""
    pdfs = notices_render(notice_ids)
    if run_id is not None:
        NoticeRun.objects.filter(pk=run_id).update(rendered=F("rendered") + len(notice_ids))
    sent = notices_send(notice_ids, pdfs=pdfs)
    if run_id is not None:
        _run_finish_if_done(run_id)
    return sent
