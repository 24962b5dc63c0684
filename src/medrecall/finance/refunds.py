"""Refunds and compensation (F4): a request per holder, approval by amount (four eyes with an
electronic signature from the finance policy's threshold), rejection, and the one payment of
an approved request, which posts its cost to the ledger.

The limits, as finance applies them:

* **Units.** The units asked for, together with every other request of the same holder in the
  same recall that is not rejected and the units of its fulfilled offers with a value that no
  request was made from (already compensated), are at most the units the holder holds in the
  recall's current frozen scope: its scope lines' on hand + in transit at the freeze, our own
  sites, quarantine and dispositioned units left out. Summed over the holders, the refundable
  units are therefore never more than the scope's units at holders.
* **Money.** The amount is at most the units × the unit price on the holder's invoice, whose
  document reference is required; a request from an offer is also at most the offer's value,
  in the offer's currency.
* **Approval.** Below ``FinancePolicy.four_eyes_threshold`` (compared in the company currency
  at the request day's rate) one approver who is not the requester; at or above it a second
  approver, neither the requester nor the first approver, who signs (meaning "approved").
* **Payment.** One per request (the database refuses a second), only of an approved request,
  at most the approved amount, in the request's currency; it posts a compensation entry once
  (source ``refund``, key = the request number)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from medrecall.accounts.models import Signature, User
from medrecall.audit import services as audit
from medrecall.core import bounds
from medrecall.core.errors import NotFound
from medrecall.core.numbering import next_number
from medrecall.core.presentation import party_name
from medrecall.notices.models import Offer, Reply
from medrecall.parties.models import Party
from medrecall.recalls.lifecycle import Action, require_action
from medrecall.recalls.models import AffectedLine, Category, RecallCase, ScopeSnapshot

from .errors import ApprovalRefused, PaymentRefused, RefundAboveBought, RefundRefused
from .ledger import (
    CENT,
    CostLine,
    amount_checked,
    check_not_future,
    cost_post,
    currency_checked,
    offer_paid_by,
    policy,
    rate_for,
)
from .models import CostCategory, CostSource
from .models_payables import (
    PaymentMethod,
    RefundPayment,
    RefundRequest,
    RefundSource,
    RefundStatus,
)

SIGNED_FIELDS = (
    "number",
    "recall",
    "holder",
    "quantity",
    "unit_price",
    "invoice_reference",
    "amount",
    "currency",
    "company_amount",
    "requested_by",
    "first_approver",
)
SECOND_STEP = "refund_second_approval"


# -- the limits ---------------------------------------------------------------------------------
# Lines of the frozen scope that are at no holder: our own stock, our quarantine, and units our
# own dispositions put where they are. Nobody bought those from us, so nobody is refunded them.
NOT_AT_HOLDER = (Category.OWN_STOCK, Category.QUARANTINE, Category.DISPOSITIONED)


def holder_lines(snapshot: ScopeSnapshot) -> QuerySet[AffectedLine]:
    """The frozen scope's lines at holders (own sites and quarantine left out)."""
    return AffectedLine.objects.filter(snapshot=snapshot).exclude(category__in=NOT_AT_HOLDER)


def holder_units(*, recall: RecallCase, holder: Party) -> int:
    """The units the holder holds in the recall's current frozen scope (0 before a freeze):
    its scope lines' on hand + in transit at the freeze. A refund is capped at these."""
    snapshot = recall.current_snapshot
    if snapshot is None:
        return 0
    total = (
        holder_lines(snapshot)
        .filter(party=holder)
        .aggregate(units=Coalesce(Sum(F("on_hand") + F("in_transit")), 0))["units"]
    )
    return int(total)


def holder_in_scope(*, recall: RecallCase, holder: Party) -> bool:
    """Whether the holder has a line in the recall's current frozen scope."""
    snapshot = recall.current_snapshot
    return snapshot is not None and holder_lines(snapshot).filter(party=holder).exists()


def check_in_scope(*, recall: RecallCase, holder: Party) -> None:
    """Refuse a holder with no line in the frozen scope, saying so (not "has not replied")."""
    if recall.current_snapshot is None:
        raise RefundRefused(
            _("%(recall)s has no frozen scope yet: nothing can be refunded.")
            % {"recall": recall.number},
            where="holder",
        )
    if not holder_in_scope(recall=recall, holder=holder):
        raise RefundRefused(
            _(
                "%(holder)s is not in this recall's scope (%(recall)s, frozen scope "
                "%(sequence)s): it holds no affected units, so nothing can be refunded to it."
            )
            % {
                "holder": holder.code,
                "recall": recall.number,
                "sequence": recall.current_snapshot.sequence,
            },
            where="holder",
        )


def holder_requested(
    *, recall: RecallCase, holder: Party, excluding: RefundRequest | None = None
) -> int:
    """Units already asked for by the holder's requests in the recall that are not rejected."""
    requests = RefundRequest.objects.filter(recall=recall, holder=holder).exclude(
        status=RefundStatus.REJECTED
    )
    if excluding is not None:
        requests = requests.exclude(pk=excluding.pk)
    return int(requests.aggregate(units=Coalesce(Sum("quantity"), 0))["units"])


def holder_compensated(*, recall: RecallCase, holder: Party) -> int:
    """Units already requested (not rejected) or compensated for the holder in the recall: its
    requests' units, plus the units of its fulfilled offers with a value (posted to the ledger
    as compensation) that no request (not rejected) was made from."""
    claimed = RefundRequest.objects.filter(offer=OuterRef("pk")).exclude(
        status=RefundStatus.REJECTED
    )
    offered = (
        Offer.objects.filter(
            recall=recall, party=holder, status=Offer.Status.FULFILLED, amount__gt=0
        )
        .exclude(Exists(claimed))
        .aggregate(units=Coalesce(Sum("quantity"), 0))["units"]
    )
    return holder_requested(recall=recall, holder=holder) + int(offered)


def holders_units(*, recall: RecallCase) -> QuerySet[Party]:
    """The holders of the recall's current frozen scope, each annotated with the figures its
    refunds are capped by (as ``holder_units`` and ``holder_compensated``): ``units_held``,
    ``units_requested``, ``units_offered``; one query for a page of them (subqueries)."""
    snapshot = recall.current_snapshot
    if snapshot is None:
        return Party.objects.none()
    held = (
        holder_lines(snapshot)
        .filter(party=OuterRef("pk"))
        .order_by()
        .values("party")
        .annotate(n=Sum(F("on_hand") + F("in_transit")))
        .values("n")
    )
    requested = (
        RefundRequest.objects.filter(recall=recall, holder=OuterRef("pk"))
        .exclude(status=RefundStatus.REJECTED)
        .order_by()
        .values("holder")
        .annotate(n=Sum("quantity"))
        .values("n")
    )
    claimed = RefundRequest.objects.filter(offer=OuterRef("pk")).exclude(
        status=RefundStatus.REJECTED
    )
    offered = (
        Offer.objects.filter(
            recall=recall, party=OuterRef("pk"), status=Offer.Status.FULFILLED, amount__gt=0
        )
        .exclude(Exists(claimed))
        .order_by()
        .values("party")
        .annotate(n=Sum("quantity"))
        .values("n")
    )
    return (
        Party.objects.filter(pk__in=holder_lines(snapshot).values("party"))
        .annotate(
            units_held=Coalesce(Subquery(held), 0),
            units_requested=Coalesce(Subquery(requested), 0),
            units_offered=Coalesce(Subquery(offered), 0),
        )
        .order_by("code")
    )


def holder_choices(*, recall: RecallCase, limit: int = 500) -> list[tuple[str, str]]:
    """The holders of the recall's frozen scope as (code, name in the reader's language), for
    a form's pick list; one query after the snapshot's."""
    snapshot = recall.current_snapshot
    if snapshot is None:
        return []
    found = Party.objects.filter(pk__in=holder_lines(snapshot).values("party")).order_by("code")[
        :limit
    ]
    return [(party.code, party_name(party)) for party in found]


@dataclass(frozen=True)
class HolderUnits:
    """One holder's refund cap, as the form shows it: what it holds in the frozen scope less
    what is already requested or compensated for it."""

    code: str
    name: str
    held: int
    compensated: int

    @property
    def left(self) -> int:
        return max(self.held - self.compensated, 0)

    @classmethod
    def of(cls, party: Any) -> HolderUnits:
        return cls(
            code=party.code,
            name=party_name(party),
            held=int(party.units_held),
            compensated=int(party.units_requested) + int(party.units_offered),
        )


@dataclass(frozen=True)
class RefundClaim:
    """What is asked for: units, the invoice's unit price and reference, the amount."""

    holder: Party
    quantity: Any
    unit_price: Any
    invoice_reference: str
    amount: Any
    currency: str
    reason: str = ""


def _whole(value: Any, *, where: str) -> int:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise RefundRefused(
            _("%(value)s is not a whole number of units.") % {"value": value}, where=where
        ) from None
    if number <= 0:
        raise RefundRefused(_("The quantity must be at least one unit."), where=where)
    if number > bounds.INT32[1]:
        raise RefundRefused(bounds.range_message(1, bounds.INT32[1]), where=where)
    return number


def _check_units_left(recall: RecallCase, holder: Party, quantity: int) -> None:
    """At most what the holder holds in the frozen scope, less the units already requested
    (not rejected) or compensated for it: over all holders never more than the scope's units
    at holders."""
    check_in_scope(recall=recall, holder=holder)
    held = holder_units(recall=recall, holder=holder)
    already = holder_compensated(recall=recall, holder=holder)
    if quantity > held - already:
        raise RefundAboveBought(
            _(
                "%(holder)s holds %(held)s units in the frozen scope of %(recall)s; "
                "%(already)s already requested or compensated; %(quantity)s asked: at most "
                "%(left)s more units can be refunded."
            )
            % {
                "holder": holder.code,
                "recall": recall.number,
                "held": held,
                "already": already,
                "quantity": quantity,
                "left": max(held - already, 0),
            },
            where="quantity",
        )


def _checked_claim(
    recall: RecallCase, claim: RefundClaim, offer: Offer | None
) -> tuple[int, Decimal, Decimal, str]:
    quantity = _whole(claim.quantity, where="quantity")
    unit_price = amount_checked(
        claim.unit_price, where="unit_price", not_positive=_("A unit price must be more than zero.")
    )
    amount = amount_checked(
        claim.amount, where="amount", not_positive=_("A refund must be more than zero.")
    )
    currency = currency_checked(claim.currency)
    if not claim.invoice_reference.strip():
        raise RefundRefused(
            _("Give the reference of the holder's invoice the unit price comes from."),
            where="invoice_reference",
        )
    _check_units_left(recall, claim.holder, quantity)
    ceiling = (unit_price * quantity).quantize(CENT)
    if amount > ceiling:
        raise RefundAboveBought(
            _(
                "%(amount)s %(currency)s is more than the holder paid: %(quantity)s units × "
                "%(price)s = %(ceiling)s %(currency)s."
            )
            % {
                "amount": amount,
                "currency": currency,
                "quantity": quantity,
                "price": unit_price,
                "ceiling": ceiling,
            },
            where="amount",
        )
    if offer is not None:
        _check_offer_limit(offer, amount, currency)
    return quantity, unit_price, amount, currency


def _check_offer_limit(offer: Offer, amount: Decimal, currency: str) -> None:
    if currency != offer.currency:
        raise RefundRefused(
            _("The offer is in %(offer)s; the request must be in the same currency.")
            % {"offer": offer.currency},
            where="currency",
        )
    if amount > offer.amount:
        raise RefundAboveBought(
            _("%(amount)s %(currency)s is more than the offer's value of %(value)s %(currency)s.")
            % {"amount": amount, "currency": currency, "value": offer.amount},
            where="amount",
        )


def _checked_origin(
    recall: RecallCase, holder: Party, reply: Reply | None, offer: Offer | None
) -> str:
    if reply is not None and offer is not None:
        raise RefundRefused(
            _("A request comes from a reply or an offer, not both."), where="source"
        )
    if reply is not None:
        if reply.recall_id != recall.pk or reply.party_id != holder.pk:
            raise RefundRefused(
                _("That reply is not %(holder)s's reply to %(recall)s.")
                % {"holder": holder.code, "recall": recall.number},
                where="reply",
            )
        return RefundSource.REPLY
    if offer is not None:
        if offer.recall_id != recall.pk or offer.party_id != holder.pk:
            raise RefundRefused(
                _("That offer is not made to %(holder)s in %(recall)s.")
                % {"holder": holder.code, "recall": recall.number},
                where="offer",
            )
        _check_offer_not_paid(offer)
        if offer.kind != Offer.OfferKind.CREDIT or offer.status != Offer.Status.APPROVED:
            raise RefundRefused(
                _(
                    "Only an approved credit offer is paid as a refund; this one is %(kind)s, %(status)s."
                )
                % {
                    "kind": str(offer.get_kind_display()).lower(),
                    "status": str(offer.get_status_display()).lower(),
                },
                where="offer",
            )
        if RefundRequest.objects.filter(offer=offer).exclude(status=RefundStatus.REJECTED).exists():
            raise RefundRefused(_("That offer has a refund request already."), where="offer")
        return RefundSource.OFFER
    return RefundSource.ENTERED


def _check_offer_not_paid(offer: Offer) -> None:
    """An offer fulfilled (its compensation posted, or due to be) is not paid again as a
    refund; the ledger's entry for it is named."""
    paid = offer_paid_by(offer)
    if paid is not None:
        raise RefundRefused(
            _(
                "Offer %(offer)s is already paid by cost entry %(entry)s (%(source)s %(key)s): "
                "a refund from it would pay it twice."
            )
            % {
                "offer": offer.pk,
                "entry": paid.number,
                "source": paid.get_source_display(),
                "key": paid.source_key,
            },
            where="offer",
        )
    if offer.status == Offer.Status.FULFILLED:
        raise RefundRefused(
            _(
                "Offer %(offer)s was fulfilled on %(day)s and its compensation is posted to the "
                "ledger from the fulfilment: a refund from it would pay it twice."
            )
            % {"offer": offer.pk, "day": timezone.localdate(offer.fulfilled_at).isoformat()},
            where="offer",
        )


# -- writes -------------------------------------------------------------------------------------
@transaction.atomic
def refund_request(
    *,
    actor: User,
    recall: RecallCase,
    claim: RefundClaim,
    reply: Reply | None = None,
    offer: Offer | None = None,
) -> RefundRequest:
    """Enter a refund or compensation request for one holder (from a reply, an offer, or as
    entered), within what the holder bought (the module's limits)."""
    require_action(recall, Action.POST_COST)
    # One holder's requests are checked against each other: serialise them on the recall row.
    RecallCase.objects.select_for_update().filter(pk=recall.pk).first()
    source = _checked_origin(recall, claim.holder, reply, offer)
    quantity, unit_price, amount, currency = _checked_claim(recall, claim, offer)
    now = timezone.now()
    rate = rate_for(currency, timezone.localdate(now))
    request = RefundRequest.objects.create(
        number=next_number(RefundRequest, "RF"),
        recall=recall,
        holder=claim.holder,
        source=source,
        reply=reply,
        offer=offer,
        quantity=quantity,
        unit_price=unit_price,
        invoice_reference=claim.invoice_reference.strip(),
        amount=amount,
        currency=currency,
        rate=rate,
        company_amount=(amount * rate).quantize(CENT, rounding=ROUND_HALF_UP),
        company_currency=policy().company_currency,
        reason=claim.reason.strip(),
        requested_by=actor,
        requested_at=now,
    )
    audit.record(
        actor=actor,
        action="finance.refund_requested",
        target=request,
        changes={
            "recall": [None, recall.number],
            "holder": [None, claim.holder.code],
            "source": [None, source],
            "quantity": [None, quantity],
            "unit_price": [None, str(unit_price)],
            "amount": [None, str(amount)],
            "currency": [None, currency],
            "company_amount": [None, str(request.company_amount)],
            "invoice_reference": [None, request.invoice_reference],
        },
        reason=request.reason,
    )
    return request


def needs_second_approval(request: RefundRequest) -> bool:
    """At or above the finance policy's threshold (company currency): four eyes, signed."""
    return request.company_amount >= policy().four_eyes_threshold


def _approval_blockers(request: RefundRequest, actor: User) -> None:
    if request.status == RefundStatus.REQUESTED:
        if actor.pk == request.requested_by_id:
            raise ApprovalRefused(
                _("You entered %(number)s: another finance user approves it.")
                % {"number": request.number},
                where="approver",
            )
        return
    if request.status == RefundStatus.AWAITING_SECOND:
        if actor.pk == request.requested_by_id:
            raise ApprovalRefused(
                _("You entered %(number)s: another finance user approves it.")
                % {"number": request.number},
                where="approver",
            )
        if actor.pk == request.first_approver_id:
            raise ApprovalRefused(
                _(
                    "You gave the first approval of %(number)s: the second approval needs a different approver."
                )
                % {"number": request.number},
                where="approver",
            )
        return
    raise ApprovalRefused(
        _("%(number)s is %(status)s: there is nothing to approve.")
        % {"number": request.number, "status": str(request.get_status_display()).lower()},
        where="status",
    )


APPROVE = ("finance", "approve_refundrequest")


def approval_refusal(request: RefundRequest, user: User) -> str | None:
    """Why ``user`` may not approve the request now (None: they may): no approval right, they
    entered it, they gave its first approval, or it awaits no approval."""
    if not user.has_perm(".".join(APPROVE)):
        return _("Only a finance approver approves refunds.")
    try:
        _approval_blockers(request, user)
    except ApprovalRefused as refused:
        return refused.message
    return None


def approvers_left(request: RefundRequest) -> list[User]:
    """The active users who may still give the approval the request waits for: the approval
    right (through a role, their own, or a superuser), neither its requester nor its first
    approver (one query)."""
    if request.status not in (RefundStatus.REQUESTED, RefundStatus.AWAITING_SECOND):
        return []
    app, codename = APPROVE
    right = Q(permissions__codename=codename, permissions__content_type__app_label=app)
    return list(
        User.objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True)
            | Q(groups__in=Group.objects.filter(right))
            | Q(
                user_permissions__codename=codename,
                user_permissions__content_type__app_label=app,
            )
        )
        .exclude(pk__in=[pk for pk in (request.requested_by_id, request.first_approver_id) if pk])
        .distinct()
        .order_by("username")
    )


def refund_approve(
    *,
    actor: User,
    request: RefundRequest,
    password: str = "",
    username: str | None = None,
    session: Any = None,
) -> RefundRequest:
    """Approve a request: the first approval, or — at or above the threshold — the second,
    signed one (the password re-entered). Not one transaction: the signature is applied in a
    transaction of its own so that a wrong password stays in the audit log; the approval then
    re-checks the request under its row lock."""
    current = RefundRequest.objects.get(pk=request.pk)
    _approval_blockers(current, actor)
    signature = None
    if current.status == RefundStatus.AWAITING_SECOND:
        from medrecall.accounts.signatures import signature_apply, signing_content

        signature = signature_apply(
            actor=actor,
            target=current,
            content=signing_content(current, SIGNED_FIELDS),
            meaning="approved",
            password=password,
            username=username,
            session=session,
            step=SECOND_STEP,
            reason=_("Second approval of a refund at or above the four-eyes threshold."),
        )
    return _approval_record(actor=actor, request=current, signature=signature)


@transaction.atomic
def _approval_record(
    *, actor: User, request: RefundRequest, signature: Signature | None
) -> RefundRequest:
    locked = RefundRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status != request.status:  # someone else approved or rejected meanwhile
        raise ApprovalRefused(
            _("%(number)s changed meanwhile (%(status)s); reload it.")
            % {"number": locked.number, "status": str(locked.get_status_display()).lower()},
            where="status",
        )
    _approval_blockers(locked, actor)
    now, source = timezone.now(), locked.status
    if source == RefundStatus.REQUESTED:
        locked.first_approver, locked.first_approved_at = actor, now
        locked.status = (
            RefundStatus.AWAITING_SECOND if needs_second_approval(locked) else RefundStatus.APPROVED
        )
        fields = ["first_approver", "first_approved_at", "status"]
    else:
        if signature is None:  # pragma: no cover - refund_approve signs before it comes here
            raise ApprovalRefused(_("The second approval is signed."), where="password")
        locked.second_approver, locked.second_approved_at = actor, now
        locked.second_signature, locked.status = signature, RefundStatus.APPROVED
        fields = ["second_approver", "second_approved_at", "second_signature", "status"]
    locked.save(update_fields=fields)
    audit.record(
        actor=actor,
        action="finance.refund_approved",
        target=locked,
        changes={
            "status": [source, locked.status],
            "step": [None, "second" if source == RefundStatus.AWAITING_SECOND else "first"],
            "company_amount": [None, str(locked.company_amount)],
            **({"signature": [None, signature.pk]} if signature is not None else {}),
        },
    )
    return locked


@transaction.atomic
def refund_reject(*, actor: User, request: RefundRequest, reason: str) -> RefundRequest:
    """Reject a request awaiting an approval, with the reason (its units are free again)."""
    locked = RefundRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status not in (RefundStatus.REQUESTED, RefundStatus.AWAITING_SECOND):
        raise ApprovalRefused(
            _("%(number)s is %(status)s: only a request awaiting approval is rejected.")
            % {"number": locked.number, "status": str(locked.get_status_display()).lower()},
            where="status",
        )
    if not reason.strip():
        raise RefundRefused(_("Say why the request is rejected."), where="reason")
    source = locked.status
    locked.status, locked.rejected_by = RefundStatus.REJECTED, actor
    locked.rejected_at, locked.rejection_reason = timezone.now(), reason.strip()
    locked.save(update_fields=["status", "rejected_by", "rejected_at", "rejection_reason"])
    audit.record(
        actor=actor,
        action="finance.refund_rejected",
        target=locked,
        changes={"status": [source, RefundStatus.REJECTED]},
        reason=locked.rejection_reason,
    )
    return locked


@dataclass(frozen=True)
class PaymentTerms:
    paid_on: date
    amount: Any
    method: str
    credit_note_number: str = ""
    reference: str = ""


def _checked_payment(locked: RefundRequest, terms: PaymentTerms) -> Decimal:
    if locked.status == RefundStatus.PAID:
        raise PaymentRefused(
            _("%(number)s is paid already (%(payment)s); nothing is paid twice.")
            % {"number": locked.number, "payment": locked.payment.number},
            where="request",
        )
    if locked.status != RefundStatus.APPROVED:
        raise PaymentRefused(
            _("%(number)s is %(status)s: only an approved request is paid.")
            % {"number": locked.number, "status": str(locked.get_status_display()).lower()},
            where="request",
        )
    amount = amount_checked(terms.amount, not_positive=_("A payment must be more than zero."))
    check_not_future(terms.paid_on, where="paid_on", what=_("The payment date"))
    if amount > locked.amount:
        raise PaymentRefused(
            _("%(amount)s %(currency)s is more than the %(approved)s %(currency)s approved.")
            % {"amount": amount, "currency": locked.currency, "approved": locked.amount},
            where="amount",
        )
    if terms.method not in PaymentMethod.values:
        raise RefundRefused(
            _("%(method)s is not a payment method (bank_transfer, credit_note).")
            % {"method": terms.method},
            where="method",
        )
    if terms.method == PaymentMethod.CREDIT_NOTE and not terms.credit_note_number.strip():
        raise RefundRefused(_("Give the credit note's number."), where="credit_note_number")
    return amount


def _check_offer_unpaid(locked: RefundRequest) -> None:
    """A request from an offer is not paid when the offer was paid meanwhile (offer locked)."""
    if locked.offer is not None:
        Offer.objects.select_for_update().filter(pk=locked.offer.pk).first()
        if (paid := offer_paid_by(locked.offer)) is not None:
            raise PaymentRefused(
                _(
                    "%(number)s comes from offer %(offer)s, already paid by cost entry "
                    "%(entry)s (%(source)s %(key)s): nothing is paid twice."
                )
                % {
                    "number": locked.number,
                    "offer": locked.offer_id,
                    "entry": paid.number,
                    "source": paid.get_source_display(),
                    "key": paid.source_key,
                },
                where="offer",
            )


@transaction.atomic
def refund_pay(*, actor: User, request: RefundRequest, terms: PaymentTerms) -> RefundPayment:
    """Record the payment (bank transfer or credit note) of an approved request and post its
    cost to the ledger, once."""
    locked = (
        RefundRequest.objects.select_for_update()
        .select_related("recall", "holder")
        .get(pk=request.pk)
    )
    amount = _checked_payment(locked, terms)
    _check_offer_unpaid(locked)
    credit_note = (
        terms.credit_note_number.strip() if terms.method == PaymentMethod.CREDIT_NOTE else ""
    )
    try:
        with transaction.atomic():
            payment = RefundPayment.objects.create(
                number=next_number(RefundPayment, "PY"),
                request=locked,
                paid_on=terms.paid_on,
                amount=amount,
                currency=locked.currency,
                method=terms.method,
                credit_note_number=credit_note,
                reference=terms.reference.strip(),
                paid_by=actor,
            )
    except IntegrityError:
        raise PaymentRefused(
            _("%(number)s is paid already; nothing is paid twice.") % {"number": locked.number},
            where="request",
        ) from None
    payment.cost_entry = cost_post(
        actor=actor,
        recall=locked.recall,
        line=CostLine(
            category=CostCategory.COMPENSATION,
            amount=amount,
            currency=locked.currency,
            incurred_on=terms.paid_on,
            units=locked.quantity,
            holder=locked.holder,
            document_reference=credit_note or payment.reference or locked.invoice_reference,
            description=_("Refund %(request)s, payment %(payment)s")
            % {"request": locked.number, "payment": payment.number},
            offer=locked.offer,
        ),
        source=CostSource.REFUND,
        source_key=locked.number,
    )
    payment.save(update_fields=["cost_entry"])
    locked.status = RefundStatus.PAID
    locked.save(update_fields=["status"])
    audit.record(
        actor=actor,
        action="finance.refund_paid",
        target=payment,
        changes={
            "request": [None, locked.number],
            "status": [RefundStatus.APPROVED, RefundStatus.PAID],
            "amount": [None, str(amount)],
            "currency": [None, locked.currency],
            "method": [None, terms.method],
            "credit_note_number": [None, credit_note],
            "cost_entry": [None, payment.cost_entry.number],
        },
    )
    return payment


# -- reads --------------------------------------------------------------------------------------
def refund_requests(
    *, recall: RecallCase | None = None, status: str = ""
) -> QuerySet[RefundRequest]:
    """Requests (of one recall, in one status), newest first, with what their rows show."""
    rows = RefundRequest.objects.select_related(
        "recall",
        "holder",
        "requested_by",
        "first_approver",
        "second_approver",
        "payment",
    )
    if recall is not None:
        rows = rows.filter(recall=recall)
    if status:
        rows = rows.filter(status=status)
    return rows.order_by("-requested_at", "-pk")


def refund_numbered(*, number: str) -> RefundRequest:
    found = refund_requests().filter(number=number.strip()).first()
    if found is None:
        raise NotFound(
            _("There is no refund request numbered %(number)s.") % {"number": number},
            where="request",
        )
    return found


def refund_may_request(user: Any, *, from_reply: bool) -> bool:
    """Finance enters any request; customer service enters one from a holder's reply."""
    return bool(
        user.has_perm("finance.add_refundrequest")
        or (from_reply and user.has_perm("finance.request_refund_from_reply"))
    )


def reply_of(*, recall: RecallCase, holder: Party) -> Reply:
    """The holder's reply to the recall (a request "from a reply" names it); a holder outside
    the frozen scope is refused as such first, whether it replied or not."""
    check_in_scope(recall=recall, holder=holder)
    found = Reply.objects.filter(recall=recall, party=holder).first()
    if found is None:
        raise NotFound(
            _("%(holder)s has not replied to %(recall)s.")
            % {"holder": holder.code, "recall": recall.number},
            where="reply",
        )
    return found


def offer_in(*, recall: RecallCase, pk: int) -> Offer:
    """An offer of the recall, by id."""
    found = Offer.objects.filter(recall=recall, pk=pk).select_related("party").first()
    if found is None:
        raise NotFound(
            _("%(recall)s has no offer %(offer)s.") % {"recall": recall.number, "offer": pk},
            where="offer",
        )
    return found


def refund_get(*, pk: int) -> RefundRequest:
    found = refund_requests().filter(pk=pk).first()
    if found is None:
        raise NotFound(_("Refund request not found."), where="request")
    return found
