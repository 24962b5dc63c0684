"""What the holder hears and sees of execution: a return authorised from their reply,
progress updates as their return or correction advances (sent as notices), and the entries
execution adds to the customer timeline."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from medrecall.accounts.models import User
from medrecall.core.errors import DomainError
from medrecall.core.presentation import user_display_name
from medrecall.core.types import Actor
from medrecall.notices import relations
from medrecall.notices.models import Reply
from medrecall.notices.selectors import TimelineEntry
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase

from .errors import ReturnRefused
from .models import Disposition, Receipt, ReturnAuthorisation, WorkOrder
from .returns import return_create

log = logging.getLogger(__name__)


def return_from_reply(*, reply: Reply, actor: User) -> ReturnAuthorisation:
    """Authorise the return of what the holder said they return, at the location they hold it."""
    lines = [
        (line.lot, line.serial, line.to_return)
        for line in reply.lines.select_related("lot", "serial")
        if line.to_return
    ]
    if not lines:
        raise ReturnRefused(_("The reply returns nothing."), where="reply")
    return return_create(
        recall=reply.recall,
        party=reply.party,
        actor=actor,
        lines=lines,
        source="reply",
        reply_ref=str(reply.pk),
    )


def holder_told(*, recall: RecallCase, party: Party, message_en: str, message_zh: str) -> None:
    """After the change commits, send the holder a progress update in their language. A
    holder without a notice in this recall (e.g. our own site) hears nothing; a failure to
    queue the update never undoes the change it reports."""

    def send() -> None:
        message = message_zh if party.language == "zh-hans" else message_en
        try:
            relations.progress_update_send(recall=recall, party=party, message=message, actor=None)
        except DomainError as refused:
            log.warning(
                "No progress update to %s for %s: %s", party.code, recall.number, refused.message
            )

    if recall.notices.filter(party=party).exists():
        transaction.on_commit(send)


def _both(text: str, **values: object) -> tuple[str, str]:
    """The same progress message in English and in Chinese."""
    with translation.override("en"):
        english = _(text) % values
    with translation.override("zh-hans"):
        chinese = _(text) % values
    return english, chinese


def return_progress(ra: ReturnAuthorisation) -> None:
    texts = {
        "picked_up": gettext_noop("Your return %(number)s has been picked up by %(carrier)s."),
        "in_transit": gettext_noop(
            "Your return %(number)s is on its way to us (waybill %(waybill)s)."
        ),
        "received": gettext_noop("We have received your return %(number)s. Thank you."),
    }
    if ra.status not in texts:
        return
    english, chinese = _both(
        texts[ra.status],
        number=ra.number,
        carrier=ra.carrier.name if ra.carrier else "-",
        waybill=ra.waybill_number,
    )
    holder_told(recall=ra.recall, party=ra.party, message_en=english, message_zh=chinese)


def work_order_progress(order: WorkOrder) -> None:
    english, chinese = _both(
        gettext_noop("The field correction %(number)s on your devices is complete."),
        number=order.number,
    )
    holder_told(recall=order.recall, party=order.party, message_en=english, message_zh=chinese)


def timeline_entries(party_id: int) -> list[TimelineEntry]:
    """Returns, receipts, dispositions and field work for one party, for the customer timeline."""
    entries = [
        TimelineEntry(
            ra.created_at,
            ra.recall.number,
            _("Return authorised"),
            f"{ra.number} · {ra.get_status_display()} · {ra.carrier.name if ra.carrier else ''}",
            user_display_name(ra.created_by),
            "execution",
        )
        for ra in ReturnAuthorisation.objects.filter(party_id=party_id).select_related(
            "recall", "carrier", "created_by"
        )
    ]
    entries += [
        TimelineEntry(
            r.received_at,
            r.recall.number,
            _("Units received"),
            f"{r.ra.number} · {r.lot.number}{' / ' + r.serial.serial if r.serial else ''} × "
            f"{r.quantity}",
            user_display_name(r.received_by),
            "execution",
        )
        for r in Receipt.objects.filter(ra__party_id=party_id).select_related(
            "recall", "ra", "lot", "serial", "received_by"
        )
    ]
    returned_lots = Receipt.objects.filter(ra__party_id=party_id).values("lot_id")
    entries += [
        TimelineEntry(
            d.done_at or d.created_at,
            d.recall.number,
            _("Disposition"),
            f"{d.number} · {d.get_kind_display()} · {d.lot.number} × {d.quantity} · "
            f"{d.get_status_display()}",
            "",
            "execution",
        )
        for d in Disposition.objects.filter(lot_id__in=returned_lots).select_related(
            "recall", "lot"
        )
    ]
    entries += [
        TimelineEntry(
            w.done_at or w.created_at,
            w.recall.number,
            _("Field work order"),
            f"{w.number} · {w.get_status_display()}",
            "",
            "execution",
        )
        for w in WorkOrder.objects.filter(party_id=party_id).select_related("recall")
    ]
    return entries


def on_party_merge(source: Party, target: Party, actor: Actor) -> dict[str, Any]:
    """Execution's part of merging a reported party (a ``parties.services`` merge step): the
    return authorisations and work orders of the reported party concern units now at the
    target's locations, so they follow them."""
    returns = list(
        ReturnAuthorisation.objects.filter(party=source)
        .order_by("number")
        .values_list("number", flat=True)
    )
    orders = list(
        WorkOrder.objects.filter(party=source).order_by("number").values_list("number", flat=True)
    )
    ReturnAuthorisation.objects.filter(party=source).update(party=target)
    WorkOrder.objects.filter(party=source).update(party=target)
    return {"returns": returns, "work_orders": orders}
