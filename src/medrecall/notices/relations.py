"""Customer relations (N4, N5): progress updates to holders, and compensation or goodwill
offers with approval and fulfilment."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from medrecall.accounts.models import User
from medrecall.audit import services as audit
from medrecall.core.errors import ValidationFailed
from medrecall.parties.models import Party
from medrecall.recalls.lifecycle import Action, require_action
from medrecall.recalls.models import RecallCase

from .models import Kind, Notice, Offer
from .services import notices_create, notices_render


def progress_update_send(*, recall: RecallCase, party: Party, message: str, actor: User | None) -> list[int]:
    """Tell a holder how their return or correction advances (one more progress notice,
    rendered with the message now and sent by the worker)."""
    if not message.strip():
        raise ValidationFailed(_("Write the progress message."), where="message")
    from .tasks import notices_batch_task

    with transaction.atomic():
        last = Notice.objects.filter(recall=recall, party=party, kind=Kind.PROGRESS).order_by("-sequence").first()
        sequence = (last.sequence + 1) if last else 1
        created = notices_create(recall=recall, run=None, kind=Kind.PROGRESS, party_ids=[party.pk], sequence=sequence)
        if not created:
            raise ValidationFailed(_("%(holder)s has no affected units in this recall.") % {"holder": party.name})
        notices_render(created, progress_message=message)
        audit.record(actor=actor or "system", action="notices.progress_update", target=recall,
                     changes={"holder": [None, party.code], "notices": [None, len(created)]}, reason=message)
        transaction.on_commit(lambda: notices_batch_task.enqueue(None, created))
    return created


@transaction.atomic
def offer_propose(*, recall: RecallCase, party: Party, kind: str, description: str, actor: User, quantity: int = 0,
                  amount: Decimal = Decimal(0), currency: str = "CNY") -> Offer:
    require_action(recall, Action.OFFER)
    if kind not in Offer.OfferKind.values:
        raise ValidationFailed(_("The offer must be one of %(allowed)s.") % {"allowed": ", ".join(Offer.OfferKind.values)},
                               where="kind")
    if not description.strip():
        raise ValidationFailed(_("Describe the offer."), where="description")
    if amount < 0 or quantity < 0:
        raise ValidationFailed(_("Amounts and quantities cannot be negative."), where="amount")
    offer = Offer.objects.create(recall=recall, party=party, kind=kind, description=description, quantity=quantity,
                                 amount=amount, currency=currency.upper()[:3], proposed_by=actor)
    audit.record(actor=actor, action="notices.offer_proposed", target=offer,
                 changes={"kind": [None, kind], "amount": [None, str(amount)], "currency": [None, offer.currency]})
    return offer


@transaction.atomic
def offer_decide(*, offer: Offer, approve: bool, actor: User, note: str = "") -> Offer:
    """Approve or reject a proposed offer; the proposer cannot approve their own."""
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    require_action(offer.recall, Action.OFFER)
    if offer.status != Offer.Status.PROPOSED:
        raise ValidationFailed(_("This offer is already %(status)s.") % {"status": offer.get_status_display()})
    if approve and offer.proposed_by_id == actor.pk and not actor.is_superuser:
        raise ValidationFailed(_("Someone other than the proposer must approve an offer."), code="four_eyes")
    if not approve and not note.strip():
        raise ValidationFailed(_("Say why the offer is rejected."), where="note")
    before = offer.status
    offer.status = Offer.Status.APPROVED if approve else Offer.Status.REJECTED
    offer.decided_by, offer.decided_at, offer.decision_note = actor, timezone.now(), note
    offer.save()
    audit.record(actor=actor, action="notices.offer_decided", target=offer, changes={"status": [before, offer.status]},
                 reason=note)
    return offer


@transaction.atomic
def offer_fulfil(*, offer: Offer, actor: User, note: str = "") -> Offer:
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    require_action(offer.recall, Action.SETTLE_OFFER)
    if offer.status != Offer.Status.APPROVED:
        raise ValidationFailed(_("Only an approved offer can be fulfilled (this one is %(status)s).") % {
            "status": offer.get_status_display()})
    offer.status, offer.fulfilled_by, offer.fulfilled_at, offer.fulfilment_note = (
        Offer.Status.FULFILLED, actor, timezone.now(), note)
    offer.save()
    audit.record(actor=actor, action="notices.offer_fulfilled", target=offer,
                 changes={"status": [Offer.Status.APPROVED, Offer.Status.FULFILLED]}, reason=note)
    return offer


@transaction.atomic
def offer_cancel(*, offer: Offer, actor: User, note: str) -> Offer:
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    require_action(offer.recall, Action.SETTLE_OFFER)
    if offer.status in (Offer.Status.FULFILLED, Offer.Status.CANCELLED, Offer.Status.REJECTED):
        raise ValidationFailed(_("This offer is already %(status)s.") % {"status": offer.get_status_display()})
    if not note.strip():
        raise ValidationFailed(_("Say why the offer is cancelled."), where="note")
    before = offer.status
    offer.status = Offer.Status.CANCELLED
    offer.decision_note = note
    offer.save()
    audit.record(actor=actor, action="notices.offer_cancelled", target=offer,
                 changes={"status": [before, Offer.Status.CANCELLED]}, reason=note)
    return offer
