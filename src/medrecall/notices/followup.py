"""Following up notices nobody answered: retries of failed sends, the 2nd and 3rd notice,
escalation to customer service for a phone call, and the survey once a recall is closed.

The schedule follows the recall's strictest class (``MEDRECALL_FOLLOW_UP_DAYS``): for class I
the reply is due 2 days after the first notice, the 3rd notice follows the 2nd after 2 days,
and a holder still silent 1 day after the 3rd notice goes to the overdue queue.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from medrecall.parties.models import Channel
from medrecall.recalls.lifecycle import Status
from medrecall.recalls.models import RecallCase

from .issuing import notices_create
from .models import OPEN_FOR_NOTICES, Kind, Notice, NoticeEvent, NoticeStatus, Reply
from .sending import sendable

LAST_REMINDER = 3


def _unanswered(now: datetime) -> list[Notice]:
    """The newest notice of each silent recipient whose reply date has passed."""
    newer = Notice.objects.filter(
        recall_id=OuterRef("recall_id"),
        recipient_key=OuterRef("recipient_key"),
        kind__in=(Kind.INITIAL, Kind.REMINDER),
        sequence__gt=OuterRef("sequence"),
    )
    replied = Reply.objects.filter(recall_id=OuterRef("recall_id"), party_id=OuterRef("party_id"))
    return list(
        Notice.objects.filter(
            kind__in=(Kind.INITIAL, Kind.REMINDER),
            reply_due_at__lte=now,
            recall__status__in=OPEN_FOR_NOTICES,
            replied_at__isnull=True,
        )
        .exclude(status__in=(NoticeStatus.GENERATED, NoticeStatus.QUEUED))
        .filter(~Exists(newer), ~Exists(replied))
        .select_related("recall", "parent")
    )


def reminders_send(now: datetime | None = None) -> tuple[int, int]:
    """Create the next notice for silent recipients, or escalate after the last one."""
    now = now or timezone.now()
    reminded = escalated = 0
    by_step: dict[tuple[int, int], dict[str, Notice]] = {}
    for notice in _unanswered(now):
        root = notice.root
        if notice.sequence >= LAST_REMINDER:
            if root.escalated_at is None:
                Notice.objects.filter(pk=root.pk, escalated_at__isnull=True).update(
                    escalated_at=now
                )
                NoticeEvent.objects.create(
                    notice=root,
                    party_id=root.party_id,
                    recall_id=root.recall_id,
                    type=NoticeEvent.Type.ESCALATED,
                    at=now,
                )
                escalated += 1
            continue
        by_step.setdefault((notice.recall_id, notice.sequence + 1), {})[notice.recipient_key] = root
    for (recall_id, sequence), parents in by_step.items():
        recall = RecallCase.objects.get(pk=recall_id)
        party_ids = {int(key.split(":")[0]) for key in parents}
        with transaction.atomic():
            created = notices_create(
                recall=recall,
                run=None,
                kind=Kind.REMINDER,
                party_ids=party_ids,
                sequence=sequence,
                parents=parents,
                now=now,
            )
            # Only the recipients that were silent get the reminder (a holder may have several).
            Notice.objects.filter(pk__in=created).exclude(recipient_key__in=list(parents)).delete()
            created = list(Notice.objects.filter(pk__in=created).values_list("pk", flat=True))
        _enqueue(created)
        reminded += len(created)
    return reminded, escalated


def surveys_send() -> int:
    """One survey to every notified holder of each closed recall, once."""
    created: list[int] = []
    notified = Notice.objects.filter(
        recall__status=Status.CLOSED, kind=Kind.INITIAL, sequence=1
    ).exclude(status__in=(NoticeStatus.GENERATED, NoticeStatus.BOUNCED))
    surveyed = Notice.objects.filter(kind=Kind.SURVEY).values("recall_id")
    for recall in RecallCase.objects.filter(
        status=Status.CLOSED, pk__in=notified.values("recall_id")
    ).exclude(pk__in=surveyed):
        party_ids = set(notified.filter(recall=recall).values_list("party_id", flat=True))
        with transaction.atomic():
            created += notices_create(
                recall=recall, run=None, kind=Kind.SURVEY, party_ids=party_ids
            )
    _enqueue(created)
    return len(created)


def _enqueue(notice_ids: list[int]) -> None:
    from .tasks import notices_batch_task

    size = settings.MEDRECALL_SEND_BATCH
    for start in range(0, len(notice_ids), size):
        notices_batch_task.enqueue(None, notice_ids[start : start + size])


def retries_due() -> int:
    """Queue a batch for every e-mail notice that should have gone and has not: failed and due
    for a retry, stuck in a lapsed claim, or queued/unrendered longer than a lease (its batch
    died with a killed worker)."""
    lapsed = timezone.now() - timedelta(seconds=settings.MEDRECALL_SEND_LEASE_SECONDS)
    stale = Q(created_at__lt=lapsed) & (
        Q(status=NoticeStatus.QUEUED) | Q(status=NoticeStatus.GENERATED, body_html="")
    )
    due = (sendable() & ~Q(status=NoticeStatus.QUEUED)) | stale
    # Letters and calls too when never rendered (e.g. held back until a missing text was entered).
    unrendered = stale & Q(status=NoticeStatus.GENERATED, body_html="")
    ids = list(
        Notice.objects.filter((due & Q(channel=Channel.EMAIL)) | unrendered)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    _enqueue(ids)
    return len(ids)


def follow_up_sweep(now: datetime | None = None) -> dict[str, int]:
    """Everything the clock asks of notices now; run every few minutes (``medrecall notices sweep``)."""
    reminded, escalated = reminders_send(now)
    return {
        "retried": retries_due(),
        "reminded": reminded,
        "escalated": escalated,
        "surveyed": surveys_send(),
    }
