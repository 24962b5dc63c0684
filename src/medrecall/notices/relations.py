"""Customer relations (N4, N5): progress updates to holders, compensation or goodwill
offers with approval and fulfilment, and what merging a reported sub-consignee into an
existing party means for notices."""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from medrecall.accounts.models import User
from medrecall.audit import services as audit
from medrecall.core.errors import ValidationFailed
from medrecall.core.types import Actor
from medrecall.parties.models import Party
from medrecall.recalls.lifecycle import Action, require_action
from medrecall.recalls.models import RecallCase

from . import hooks
from .errors import FourEyesRequired, HolderNotAffected, OfferClosed, OfferNotApproved
from .issuing import notices_create
from .models import OPEN_FOR_NOTICES, Kind, Notice, NoticeEvent, NoticeStatus, Offer, SubConsignee
from .rendering import notices_render
from .send_runs import notice_run_start

# Notices not out of the door yet: withdrawn when their party is merged away.
UNSENT = (NoticeStatus.GENERATED, NoticeStatus.QUEUED, NoticeStatus.SENDING, NoticeStatus.FAILED)


def progress_update_send(
    *, recall: RecallCase, party: Party, message: str, actor: User | None
) -> list[int]:
    """Tell a holder how their return or correction advances (one more progress notice,
    rendered with the message now and sent by the worker)."""
    if not message.strip():
        raise ValidationFailed(_("Write the progress message."), where="message")
    from .tasks import notices_batch_task

    with transaction.atomic():
        last = (
            Notice.objects.filter(recall=recall, party=party, kind=Kind.PROGRESS)
            .order_by("-sequence")
            .first()
        )
        sequence = (last.sequence + 1) if last else 1
        created = notices_create(
            recall=recall, run=None, kind=Kind.PROGRESS, party_ids=[party.pk], sequence=sequence
        )
        if not created:
            raise HolderNotAffected(
                _("%(holder)s has no affected units in this recall.") % {"holder": party.name}
            )
        notices_render(created, progress_message=message)
        audit.record(
            actor=actor or "system",
            action="notices.progress_update",
            target=recall,
            changes={"holder": [None, party.code], "notices": [None, len(created)]},
            reason=message,
        )
        transaction.on_commit(lambda: notices_batch_task.enqueue(None, created))
    return created


@transaction.atomic
def offer_propose(
    *,
    recall: RecallCase,
    party: Party,
    kind: str,
    description: str,
    actor: User,
    quantity: int = 0,
    amount: Decimal = Decimal(0),
    currency: str = "CNY",
) -> Offer:
    require_action(recall, Action.OFFER)
    if kind not in Offer.OfferKind.values:
        raise ValidationFailed(
            _("The offer must be one of %(allowed)s.")
            % {"allowed": ", ".join(Offer.OfferKind.values)},
            where="kind",
        )
    if not description.strip():
        raise ValidationFailed(_("Describe the offer."), where="description")
    if amount < 0 or quantity < 0:
        raise ValidationFailed(_("Amounts and quantities cannot be negative."), where="amount")
    offer = Offer.objects.create(
        recall=recall,
        party=party,
        kind=kind,
        description=description,
        quantity=quantity,
        amount=amount,
        currency=currency.upper()[:3],
        proposed_by=actor,
    )
    audit.record(
        actor=actor,
        action="notices.offer_proposed",
        target=offer,
        changes={
            "kind": [None, kind],
            "amount": [None, str(amount)],
            "currency": [None, offer.currency],
        },
    )
    return offer


@transaction.atomic
def offer_decide(*, offer: Offer, approve: bool, actor: User, note: str = "") -> Offer:
    """Approve or reject a proposed offer; the proposer cannot approve their own."""
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    require_action(offer.recall, Action.OFFER)
    if offer.status != Offer.Status.PROPOSED:
        raise OfferClosed(
            _("This offer is already %(status)s.") % {"status": offer.get_status_display()}
        )
    if approve and offer.proposed_by_id == actor.pk and not actor.is_superuser:
        raise FourEyesRequired(_("Someone other than the proposer must approve an offer."))
    if not approve and not note.strip():
        raise ValidationFailed(_("Say why the offer is rejected."), where="note")
    before = offer.status
    offer.status = Offer.Status.APPROVED if approve else Offer.Status.REJECTED
    offer.decided_by, offer.decided_at, offer.decision_note = actor, timezone.now(), note
    offer.save()
    audit.record(
        actor=actor,
        action="notices.offer_decided",
        target=offer,
        changes={"status": [before, offer.status]},
        reason=note,
    )
    return offer


@transaction.atomic
def offer_fulfil(*, offer: Offer, actor: User, note: str = "") -> Offer:
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    require_action(offer.recall, Action.SETTLE_OFFER)
    if offer.status != Offer.Status.APPROVED:
        raise OfferNotApproved(
            _("Only an approved offer can be fulfilled (this one is %(status)s).")
            % {"status": offer.get_status_display()}
        )
    offer.status, offer.fulfilled_by, offer.fulfilled_at, offer.fulfilment_note = (
        Offer.Status.FULFILLED,
        actor,
        timezone.now(),
        note,
    )
    offer.save()
    audit.record(
        actor=actor,
        action="notices.offer_fulfilled",
        target=offer,
        changes={"status": [Offer.Status.APPROVED, Offer.Status.FULFILLED]},
        reason=note,
    )
    hooks.happened(hooks.OFFER_FULFILLED, offer.pk)
    return offer


@transaction.atomic
def offer_cancel(*, offer: Offer, actor: User, note: str) -> Offer:
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    require_action(offer.recall, Action.SETTLE_OFFER)
    if offer.status in (Offer.Status.FULFILLED, Offer.Status.CANCELLED, Offer.Status.REJECTED):
        raise OfferClosed(
            _("This offer is already %(status)s.") % {"status": offer.get_status_display()}
        )
    if not note.strip():
        raise ValidationFailed(_("Say why the offer is cancelled."), where="note")
    before = offer.status
    offer.status = Offer.Status.CANCELLED
    offer.decision_note = note
    offer.save()
    audit.record(
        actor=actor,
        action="notices.offer_cancelled",
        target=offer,
        changes={"status": [before, Offer.Status.CANCELLED]},
        reason=note,
    )
    return offer


def on_party_merge(source: Party, target: Party, actor: Actor) -> dict[str, Any]:
    """The notices' part of merging a reported party into an existing one (a
    ``parties.services`` merge step, inside the merge's transaction).

    * The units a holder reported passing to ``source`` become ``target``'s (scope additions).
    * Every link issued to ``source`` is revoked (its notices get a new nonce) and what was
      not sent yet is withdrawn: they went to an address the reporting holder typed.
    * ``target`` learns of the units through its own contacts only: a first notice where it
      has none in that recall yet, an updated notice listing the added lines where it has.
    ``source``'s replies and notice history stay with it, for the record."""
    now = timezone.now()
    additions = SubConsignee.objects.filter(party=source)
    recall_ids = sorted(set(additions.values_list("recall_id", flat=True)))
    moved = additions.update(party=target)
    reported_on = SubConsignee.objects.filter(reported_by=source).update(reported_by=target)
    issued = Notice.objects.filter(party=source)
    revoked = list(issued.values_list("pk", flat=True))
    for pk in revoked:
        Notice.objects.filter(pk=pk).update(token_nonce=secrets.token_hex(8))
    unsent = list(issued.filter(status__in=UNSENT).values_list("pk", "recall_id"))
    note = _("Withdrawn: %(source)s was merged into %(target)s.") % {
        "source": source.code,
        "target": target.code,
    }
    Notice.objects.filter(pk__in=[pk for pk, _recall in unsent]).update(
        status=NoticeStatus.BOUNCED, next_attempt_at=None, last_error=note
    )
    NoticeEvent.objects.bulk_create(
        [
            NoticeEvent(
                notice_id=pk,
                party=source,
                recall_id=recall_id,
                type=NoticeEvent.Type.BOUNCED,
                at=now,
                note=note,
            )
            for pk, recall_id in unsent
        ]
    )
    runs = []
    for recall in RecallCase.objects.filter(
        pk__in=recall_ids, status__in=OPEN_FOR_NOTICES
    ).order_by("pk"):
        told = Notice.objects.filter(recall=recall, party=target, kind=Kind.INITIAL).exists()
        run = notice_run_start(
            recall=recall,
            actor=None,
            kind=Kind.UPDATE if told else Kind.INITIAL,
            parties=[target.pk],
            reason=note,
        )
        runs.append({"recall": recall.number, "run": run.pk, "kind": run.kind})
    return {
        "scope_additions": moved,
        "reported_by_it": reported_on,
        "links_revoked": len(revoked),
        "notices_withdrawn": len(unsent),
        "runs": runs,
    }


def reported_units(party_id: int) -> QuerySet[SubConsignee]:
    """The units holders reported passing to a party (what a reviewer checks before
    verifying or merging a reported party), with the reply that reported them."""
    return (
        SubConsignee.objects.filter(party_id=party_id)
        .select_related("recall", "reported_by", "lot", "serial", "location", "reply")
        .order_by("recall__number", "lot__number", "pk")
    )
