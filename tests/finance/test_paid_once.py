"""Nothing is paid twice: an offer is paid either by its fulfilment (the offer's automatic
posting) or by a refund requested from it, never both, in either order; the database keeps one
entry per offer when two paths race. A refused action changes nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from medrecall.accounts.models import User
from medrecall.audit.models import AuditEntry
from medrecall.finance import ledger, postings, refunds
from medrecall.finance.errors import CostRefused, PaymentRefused, RefundRefused
from medrecall.finance.models import CostEntry
from medrecall.finance.models_payables import RefundPayment, RefundRequest
from medrecall.finance.refunds import PaymentTerms
from medrecall.notices import relations
from medrecall.notices.models import Offer
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from tests.finance.payables_world import *  # noqa: F403
from tests.finance.payables_world import DAY, claim

pytestmark = pytest.mark.django_db


def credit_offer(recall: RecallCase, holder: Party, by: User) -> Offer:
    return Offer.objects.create(
        recall=recall,
        party=holder,
        kind="credit",
        description="退款",
        quantity=2,
        amount=Decimal("2000.00"),
        currency="CNY",
        status="approved",
        proposed_by=by,
    )


def offer_entries(offer: Offer) -> list[tuple[str, str, Decimal]]:
    return list(
        CostEntry.objects.filter(offer=offer)
        .order_by("pk")
        .values_list("source", "source_key", "amount")
    )


def from_offer(finance: User, recall: RecallCase, holder: Party, offer: Offer) -> Any:
    return refunds.refund_request(
        actor=finance,
        recall=recall,
        claim=claim(holder, quantity=2, amount="2000.00"),
        offer=offer,
    )


def pay(finance: User, request: RefundRequest) -> RefundPayment:
    return refunds.refund_pay(
        actor=finance,
        request=request,
        terms=PaymentTerms(paid_on=DAY, amount="2000.00", method="bank_transfer", reference="T"),
    )


def test_a_refund_from_an_offer_already_fulfilled_and_posted_is_refused(
    finance: User, recall: RecallCase, holder: Party
) -> None:
    offer = credit_offer(recall, holder, finance)
    relations.offer_fulfil(offer=offer, actor=finance)
    [entry] = postings.postings_sweep().posted
    assert offer_entries(offer) == [("offer", str(offer.pk), Decimal("2000.00"))]
    offer.refresh_from_db()
    with pytest.raises(RefundRefused) as refused:
        from_offer(finance, recall, holder, offer)
    assert refused.value.where == "offer"
    assert refused.value.message == (
        f"Offer {offer.pk} is already paid by cost entry {entry.number} (Offer {offer.pk}): "
        "a refund from it would pay it twice."
    )
    assert not RefundRequest.objects.exists()
    assert not AuditEntry.objects.filter(action="finance.refund_requested").exists()


def test_a_refund_from_an_offer_fulfilled_but_not_posted_yet_is_refused(
    finance: User, recall: RecallCase, holder: Party
) -> None:
    offer = credit_offer(recall, holder, finance)
    relations.offer_fulfil(offer=offer, actor=finance)
    offer.refresh_from_db()
    with pytest.raises(RefundRefused, match=f"^Offer {offer.pk} was fulfilled on ") as refused:
        from_offer(finance, recall, holder, offer)
    assert refused.value.message.endswith(
        "its compensation is posted to the ledger from the fulfilment: a refund from it would "
        "pay it twice."
    )
    assert not RefundRequest.objects.exists()


def test_an_offer_fulfilled_after_its_refund_was_requested_is_paid_by_the_refund_only(
    finance: User, finance2: User, recall: RecallCase, holder: Party
) -> None:
    offer = credit_offer(recall, holder, finance)
    request = from_offer(finance, recall, holder, offer)
    relations.offer_fulfil(offer=offer, actor=finance)
    assert postings.postings_due(source="offer") == []
    assert postings.postings_sweep().posted == []
    assert offer_entries(offer) == []

    refunds.refund_approve(actor=finance2, request=request)
    payment = pay(finance, request)
    assert offer_entries(offer) == [("refund", request.number, Decimal("2000.00"))]
    assert payment.cost_entry.offer == offer  # type: ignore[union-attr]
    assert postings.postings_sweep().posted == []  # the sweep does not pay the offer again
    assert CostEntry.objects.count() == 1


def test_a_rejected_refund_leaves_the_fulfilled_offer_to_its_own_posting(
    finance: User, finance2: User, recall: RecallCase, holder: Party
) -> None:
    offer = credit_offer(recall, holder, finance)
    request = from_offer(finance, recall, holder, offer)
    refunds.refund_reject(actor=finance2, request=request, reason="客户改选换货")
    relations.offer_fulfil(offer=offer, actor=finance)
    postings.postings_sweep()
    assert offer_entries(offer) == [("offer", str(offer.pk), Decimal("2000.00"))]


def test_a_payment_racing_the_offers_posting_is_refused_and_changes_nothing(
    finance: User, finance2: User, recall: RecallCase, holder: Party
) -> None:
    """The sweep read the offer as unpaid before the refund was requested and posts it now: the
    refund's payment is refused, naming the offer and its entry."""
    offer = credit_offer(recall, holder, finance)
    request = refunds.refund_approve(
        actor=finance2, request=from_offer(finance, recall, holder, offer)
    )
    Offer.objects.filter(pk=offer.pk).update(status="fulfilled")
    posted = ledger.cost_post(
        actor=None,
        recall=recall,
        line=ledger.CostLine(
            category="compensation", amount="2000.00", currency="CNY", incurred_on=DAY, offer=offer
        ),
        source="offer",
        source_key=str(offer.pk),
    )
    with pytest.raises(PaymentRefused) as refused:
        pay(finance, request)
    assert refused.value.message == (
        f"{request.number} comes from offer {offer.pk}, already paid by cost entry "
        f"{posted.number} (Offer {offer.pk}): nothing is paid twice."
    )
    request.refresh_from_db()
    assert (request.status, RefundPayment.objects.count(), offer_entries(offer)) == (
        "approved",
        0,
        [("offer", str(offer.pk), Decimal("2000.00"))],
    )
    assert not AuditEntry.objects.filter(action="finance.refund_paid").exists()


def test_the_offers_posting_after_the_refund_paid_is_refused_even_unchecked(
    finance: User,
    finance2: User,
    recall: RecallCase,
    holder: Party,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two workers at once: the service's look-up saw nothing; the database refuses the second
    entry for the offer and the posting says which entry paid it."""
    offer = credit_offer(recall, holder, finance)
    request = refunds.refund_approve(
        actor=finance2, request=from_offer(finance, recall, holder, offer)
    )
    paid = pay(finance, request).cost_entry
    assert paid is not None
    looked_up = []
    real = ledger.offer_paid_by

    def blind_first(found: Offer) -> CostEntry | None:
        looked_up.append(found.pk)
        return None if len(looked_up) == 1 else real(found)

    monkeypatch.setattr(ledger, "offer_paid_by", blind_first)
    line = ledger.CostLine(
        category="compensation", amount="2000.00", currency="CNY", incurred_on=DAY, offer=offer
    )
    with pytest.raises(CostRefused) as refused:
        ledger.cost_post(actor=None, recall=recall, line=line, source="offer", source_key="x")
    assert refused.value.message == (
        f"Offer {offer.pk} is already paid by cost entry {paid.number} (Refund or compensation "
        f"payment {request.number}): nothing is paid twice."
    )
    assert (looked_up, offer_entries(offer)) == (
        [offer.pk, offer.pk],
        [("refund", request.number, Decimal("2000.00"))],
    )


def test_the_database_keeps_one_entry_per_offer_reversals_aside(
    finance: User, recall: RecallCase, holder: Party
) -> None:
    offer = credit_offer(recall, holder, finance)
    first = ledger.cost_post(
        actor=finance,
        recall=recall,
        line=ledger.CostLine(
            category="compensation", amount="2000.00", currency="CNY", incurred_on=DAY, offer=offer
        ),
    )
    reversal = ledger.cost_reverse(actor=finance, entry=first, reason="错账")
    assert reversal.offer == offer
    with pytest.raises(IntegrityError), transaction.atomic():
        CostEntry.objects.create(
            number="CE-X",
            recall=recall,
            category="compensation",
            amount=Decimal("1.00"),
            currency="CNY",
            rate=Decimal(1),
            company_amount=Decimal("1.00"),
            company_currency="CNY",
            incurred_on=DAY,
            offer=offer,
        )
