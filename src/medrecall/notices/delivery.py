"""What becomes of a notice once it left: delivery reports from the mail system (delivered,
bounced), the open-tracking image, the holder's acknowledgement, and calls, posted letters and
notes logged by staff. A notice only moves forward (``advance``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from medrecall.accounts.models import User
from medrecall.audit import services as audit
from medrecall.core.errors import ValidationFailed
from medrecall.recalls.lifecycle import Action, require_action
from medrecall.recalls.models import RecallCase

from . import hooks
from .errors import MessageUnknown
from .models import (
    STATUS_RANK,
    Kind,
    Notice,
    NoticeEvent,
    NoticeStatus,
)


def advance(
    notices: list[Notice] | QuerySet[Notice],
    status: str,
    at_field: str,
    *,
    at: datetime | None = None,
) -> int:
    """Move notices forward to ``status`` (never back) and stamp ``at_field`` once."""
    at = at or timezone.now()
    lower = [s for s, rank in STATUS_RANK.items() if rank < STATUS_RANK[status]]
    ids: Any = [n.pk for n in notices] if isinstance(notices, list) else notices.values("pk")
    Notice.objects.filter(pk__in=ids, **{f"{at_field}__isnull": True}).update(**{at_field: at})
    return Notice.objects.filter(pk__in=ids, status__in=lower).update(status=status)


@transaction.atomic
def notice_delivery_report(
    *, message_id: str, outcome: str, detail: str = "", actor: User | None = None
) -> Notice:
    """What the mail system later says about a message: delivered, or bounced."""
    notice = Notice.objects.select_for_update().filter(message_id=message_id.strip()).first()
    if notice is None:
        raise MessageUnknown(
            _("No notice was sent with the message id %(id)s.") % {"id": message_id},
            where="message_id",
        )
    now = timezone.now()
    if outcome == "delivered":
        advance([notice], NoticeStatus.DELIVERED, "delivered_at", at=now)
        kind = NoticeEvent.Type.DELIVERED
    elif outcome == "bounced":
        if STATUS_RANK[notice.status] <= STATUS_RANK[NoticeStatus.DELIVERED]:
            Notice.objects.filter(pk=notice.pk).update(
                status=NoticeStatus.BOUNCED, last_error=detail[:2000], next_attempt_at=None
            )
        kind = NoticeEvent.Type.BOUNCED
    else:
        raise ValidationFailed(
            _("The outcome must be delivered or bounced, not %(value)s.") % {"value": outcome},
            where="outcome",
        )
    NoticeEvent.objects.create(
        notice=notice,
        party_id=notice.party_id,
        recall_id=notice.recall_id,
        type=kind,
        at=now,
        actor=actor,
        note=detail[:2000],
    )
    notice.refresh_from_db()
    return notice


CONTACT_TYPES = {
    "call": NoticeEvent.Type.CALL,
    "letter": NoticeEvent.Type.LETTER,
    "note": NoticeEvent.Type.NOTE,
    "email": NoticeEvent.Type.SENT,
}


@transaction.atomic
def notice_contact_log(
    *,
    notice: Notice,
    actor: User,
    channel: str,
    note: str = "",
    acknowledged: bool = False,
    at: datetime | None = None,
) -> NoticeEvent:
    """Log a call, a posted letter or a note with who and when; a posted letter or a call
    that reached the holder counts as the notice sent (acknowledged if they confirmed)."""
    if channel not in CONTACT_TYPES:
        raise ValidationFailed(
            _("The channel must be one of %(allowed)s.") % {"allowed": ", ".join(CONTACT_TYPES)},
            where="channel",
        )
    if channel == "call" and not note.strip():
        raise ValidationFailed(_("Say what the call achieved."), where="note")
    require_action(notice.recall, Action.FILE_NOTE if channel == "note" else Action.LOG_CONTACT)
    at = at or timezone.now()
    notice = Notice.objects.select_for_update().get(pk=notice.pk)
    event = NoticeEvent.objects.create(
        notice=notice,
        party_id=notice.party_id,
        recall_id=notice.recall_id,
        type=CONTACT_TYPES[channel],
        at=at,
        actor=actor,
        note=note,
    )
    if channel in ("call", "letter", "email"):
        advance([notice], NoticeStatus.SENT, "sent_at", at=at)
        RecallCase.objects.filter(pk=notice.recall_id, initiated_at__isnull=True).update(
            initiated_at=at
        )
    if acknowledged:
        notice_acknowledge(notice=notice, actor=actor, note=note)
    audit.record(
        actor=actor,
        action="notices.contact_logged",
        target=notice,
        changes={"channel": [None, channel], "acknowledged": [None, acknowledged]},
        reason=note,
    )
    if channel == "letter":
        hooks.happened(hooks.LETTERS_POSTED, event.pk)
    return event


def notice_acknowledge(*, notice: Notice, actor: User | None = None, note: str = "") -> None:
    """The holder confirmed receiving the notice (reply page, portal or by phone)."""
    require_action(notice.recall, Action.ACKNOWLEDGE)
    root = notice.root
    group = Notice.objects.filter(
        recall_id=root.recall_id, party_id=root.party_id, kind__in=(Kind.INITIAL, Kind.REMINDER)
    )
    changed = advance(group, NoticeStatus.ACKNOWLEDGED, "acknowledged_at")
    if changed:
        NoticeEvent.objects.create(
            notice=root,
            party_id=root.party_id,
            recall_id=root.recall_id,
            type=NoticeEvent.Type.ACKNOWLEDGED,
            at=timezone.now(),
            actor=actor,
            note=note,
        )


def notice_opened(*, notice: Notice) -> None:
    if advance([notice], NoticeStatus.OPENED, "opened_at"):
        NoticeEvent.objects.create(
            notice=notice,
            party_id=notice.party_id,
            recall_id=notice.recall_id,
            type=NoticeEvent.Type.OPENED,
            at=timezone.now(),
        )
