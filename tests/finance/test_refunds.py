"""Refund and compensation requests: the limits (nothing above what the holder bought), the
approval by amount (four eyes with an e-signature from the threshold), rejection, and the one
payment that posts the cost once. A refused action changes nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from medrecall.accounts.models import Signature, User
from medrecall.audit.models import AuditEntry
from medrecall.finance import ledger, refunds
from medrecall.finance.errors import (
    ApprovalRefused,
    CostRefused,
    PaymentRefused,
    RateMissing,
    RefundAboveBought,
    RefundRefused,
)
from medrecall.finance.models import CostEntry
from medrecall.finance.models_payables import RefundPayment, RefundRequest
from medrecall.finance.refunds import PaymentTerms
from medrecall.notices.models import Offer
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from tests.conftest import PASSWORD
from tests.finance.payables_world import *  # noqa: F403
from tests.finance.payables_world import DAY, claim

pytestmark = pytest.mark.django_db


def nothing_written(action: str = "finance.refund_requested") -> bool:
    return (
        not RefundRequest.objects.exists() and not AuditEntry.objects.filter(action=action).exists()
    )


def test_a_request_within_what_the_holder_bought_is_entered_with_its_company_amount(
    finance: User, recall: RecallCase, holder: Party
) -> None:
    request = refunds.refund_request(actor=finance, recall=recall, claim=claim(holder))
    assert (
        request.number[:8],
        request.status,
        request.source,
        request.quantity,
        request.amount,
        request.rate,
        request.company_amount,
    ) == ("RF-2026-", "requested", "entered", 4, Decimal("6000.00"), Decimal(1), Decimal("6000.00"))
    entry = AuditEntry.objects.get(action="finance.refund_requested")
    assert entry.changes["holder"] == [None, "HOSP-A"]
    assert entry.changes["invoice_reference"] == [None, "INV-2025-0042"]


def test_the_holders_units_are_what_it_holds_in_the_frozen_scope_on_hand_and_in_transit(
    recall: RecallCase, holder: Party
) -> None:
    assert refunds.holder_units(recall=recall, holder=holder) == 10  # 8 + 2, not the 16 received


@pytest.mark.parametrize(
    ("fields", "where", "message"),
    [
        pytest.param(
            {"amount": "0"}, "amount", "A refund must be more than zero.", id="zero amount"
        ),
        pytest.param(
            {"amount": "-10.00"}, "amount", "A refund must be more than zero.", id="negative amount"
        ),
        pytest.param(
            {"unit_price": "0"},
            "unit_price",
            "A unit price must be more than zero.",
            id="zero unit price",
        ),
        pytest.param({"quantity": 0}, "quantity", "at least one unit", id="zero quantity"),
        pytest.param({"currency": "XYZ"}, "currency", "XYZ is not an ISO 4217", id="currency"),
        pytest.param({"invoice_reference": " "}, "invoice_reference", "invoice", id="no invoice"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(
    finance: User,
    recall: RecallCase,
    holder: Party,
    fields: dict[str, object],
    where: str,
    message: str,
) -> None:
    with pytest.raises((RefundRefused, CostRefused), match=message) as refused:
        refunds.refund_request(actor=finance, recall=recall, claim=claim(holder, **fields))
    assert refused.value.where == where
    assert nothing_written()


def test_a_missing_rate_for_the_day_is_refused_and_nothing_is_written(
    finance: User, recall: RecallCase, holder: Party
) -> None:
    with pytest.raises(RateMissing, match="no exchange rate for USD") as refused:
        refunds.refund_request(
            actor=finance, recall=recall, claim=claim(holder, currency="USD", amount="100.00")
        )
    assert refused.value.where == "currency"
    assert nothing_written()


def test_a_foreign_request_takes_the_days_rate(
    finance: User, recall: RecallCase, holder: Party
) -> None:
    ledger.rate_set(actor=finance, currency="USD", rate_on=timezone.localdate(), rate="7.2")
    request = refunds.refund_request(
        actor=finance,
        recall=recall,
        claim=claim(holder, currency="USD", unit_price="200.00", amount="800.00"),
    )
    assert (request.rate, request.company_amount) == (Decimal("7.2"), Decimal("5760.00"))


def test_more_units_than_the_holder_holds_in_the_frozen_scope_are_refused(
    finance: User, recall: RecallCase, holder: Party
) -> None:
    with pytest.raises(RefundAboveBought) as refused:
        refunds.refund_request(
            actor=finance, recall=recall, claim=claim(holder, quantity=11, amount="100.00")
        )
    assert refused.value.where == "quantity"
    assert str(refused.value.message) == (
        "HOSP-A holds 10 units in the frozen scope of RC-2026-0201; 0 already requested or compensated; 11 asked: "
        "at most 10 more units can be refunded."
    )
    assert nothing_written()


def test_the_cap_is_what_the_holder_holds_not_what_it_received_and_one_more_is_refused(
    finance: User, recall: RecallCase, holder: Party
) -> None:
    """HOSP-A received 16 and holds 10 (8 on hand, 2 on their way): a request for 6 and a
    second one for the remaining 4 are entered; one unit more is refused with the figures and
    nothing written."""
    refunds.refund_request(
        actor=finance, recall=recall, claim=claim(holder, quantity=6, amount="100.00")
    )
    second = refunds.refund_request(
        actor=finance, recall=recall, claim=claim(holder, quantity=4, amount="100.00")
    )
    assert second.quantity == 4
    assert refunds.holder_compensated(recall=recall, holder=holder) == 10
    with pytest.raises(RefundAboveBought) as refused:
        refunds.refund_request(
            actor=finance, recall=recall, claim=claim(holder, quantity=1, amount="1.00")
        )
    assert str(refused.value.message) == (
        "HOSP-A holds 10 units in the frozen scope of RC-2026-0201; 10 already requested or compensated; 1 asked: "
        "at most 0 more units can be refunded."
    )
    assert refused.value.where == "quantity"
    assert RefundRequest.objects.count() == 2
    assert AuditEntry.objects.filter(action="finance.refund_requested").count() == 2


def test_the_units_of_a_fulfilled_offer_with_a_value_count_as_compensated(
    finance: User, manager: User, recall: RecallCase, holder: Party
) -> None:
    Offer.objects.create(
        recall=recall,
        party=holder,
        kind=Offer.OfferKind.CREDIT,
        description="退款抵扣",
        quantity=3,
        amount=Decimal("300.00"),
        status=Offer.Status.FULFILLED,
        proposed_by=manager,
    )
    Offer.objects.create(
        recall=recall,
        party=holder,
        kind=Offer.OfferKind.CREDIT,
        description="尚未兑现",
        quantity=5,
        amount=Decimal("500.00"),
        status=Offer.Status.APPROVED,
        proposed_by=manager,
    )
    with pytest.raises(RefundAboveBought) as refused:
        refunds.refund_request(
            actor=finance, recall=recall, claim=claim(holder, quantity=8, amount="100.00")
        )
    assert str(refused.value.message) == (
        "HOSP-A holds 10 units in the frozen scope of RC-2026-0201; 3 already requested or compensated; 8 asked: "
        "at most 7 more units can be refunded."
    )
    assert nothing_written()
    entered = refunds.refund_request(
        actor=finance, recall=recall, claim=claim(holder, quantity=7, amount="100.00")
    )
    assert entered.quantity == 7


def test_units_of_earlier_requests_count_and_a_rejected_request_frees_its_units(
    finance: User, finance2: User, recall: RecallCase, holder: Party
) -> None:
    first = refunds.refund_request(
        actor=finance, recall=recall, claim=claim(holder, quantity=6, amount="100.00")
    )
    with pytest.raises(
        RefundAboveBought,
        match="; 6 already requested or compensated; 5 asked: at most 4 more units",
    ):
        refunds.refund_request(
            actor=finance, recall=recall, claim=claim(holder, quantity=5, amount="100.00")
        )
    assert RefundRequest.objects.count() == 1
    refunds.refund_reject(actor=finance2, request=first, reason="重复申请")
    second = refunds.refund_request(
        actor=finance, recall=recall, claim=claim(holder, quantity=5, amount="100.00")
    )
    assert second.quantity == 5


def test_an_amount_above_units_times_the_invoice_price_is_refused(
    finance: User, recall: RecallCase, holder: Party
) -> None:
    with pytest.raises(RefundAboveBought, match=r"4 units × 1500.00 = 6000.00 CNY") as refused:
        refunds.refund_request(actor=finance, recall=recall, claim=claim(holder, amount="6000.01"))
    assert refused.value.where == "amount"
    assert nothing_written()


def test_the_database_refuses_an_amount_above_the_invoice_too(
    finance: User, recall: RecallCase, holder: Party
) -> None:
    request = refunds.refund_request(actor=finance, recall=recall, claim=claim(holder))
    with pytest.raises(IntegrityError), transaction.atomic():
        RefundRequest.objects.filter(pk=request.pk).update(amount=Decimal("6000.01"))


def test_a_request_below_the_threshold_is_approved_by_one_other_finance_user(
    finance: User, finance2: User, recall: RecallCase, holder: Party
) -> None:
    request = refunds.refund_request(actor=finance, recall=recall, claim=claim(holder))
    approved = refunds.refund_approve(actor=finance2, request=request)
    assert (approved.status, approved.first_approver, approved.second_approver) == (
        "approved",
        finance2,
        None,
    )
    assert AuditEntry.objects.get(action="finance.refund_approved").changes["status"] == [
        "requested",
        "approved",
    ]


def test_an_approval_by_the_requester_is_refused_and_nothing_changes(
    finance: User, recall: RecallCase, holder: Party
) -> None:
    request = refunds.refund_request(actor=finance, recall=recall, claim=claim(holder))
    with pytest.raises(ApprovalRefused, match="another finance user approves it") as refused:
        refunds.refund_approve(actor=finance, request=request)
    assert refused.value.where == "approver"
    request.refresh_from_db()
    assert (request.status, request.first_approver) == ("requested", None)
    assert not AuditEntry.objects.filter(action="finance.refund_approved").exists()


def big(finance: User, recall: RecallCase, holder: Party) -> RefundRequest:
    """At the threshold exactly (10 000.00 CNY): four eyes."""
    return refunds.refund_request(
        actor=finance,
        recall=recall,
        claim=claim(holder, quantity=8, unit_price="1250.00", amount="10000.00"),
    )


def test_at_the_threshold_a_second_different_approver_signs(
    finance: User, finance2: User, finance3: User, recall: RecallCase, holder: Party
) -> None:
    request = refunds.refund_approve(actor=finance2, request=big(finance, recall, holder))
    assert request.status == "awaiting_second"
    approved = refunds.refund_approve(
        actor=finance3, request=request, password=PASSWORD, username=finance3.username
    )
    signature = Signature.objects.get()
    assert (approved.status, approved.second_approver, approved.second_signature) == (
        "approved",
        finance3,
        signature,
    )
    assert (signature.meaning, signature.signer, signature.step, signature.target_id) == (
        "approved",
        finance3,
        "refund_second_approval",
        str(request.pk),
    )
    assert signature.content["fields"]["amount"] == "10000.00"


def test_just_below_the_threshold_one_approval_is_enough(
    finance: User, finance2: User, recall: RecallCase, holder: Party
) -> None:
    request = refunds.refund_request(
        actor=finance,
        recall=recall,
        claim=claim(holder, quantity=8, unit_price="1250.00", amount="9999.99"),
    )
    assert refunds.refund_approve(actor=finance2, request=request).status == "approved"


def test_a_second_approval_by_the_first_approver_is_refused_and_nothing_changes(
    finance: User, finance2: User, recall: RecallCase, holder: Party
) -> None:
    request = refunds.refund_approve(actor=finance2, request=big(finance, recall, holder))
    with pytest.raises(ApprovalRefused, match="needs a different approver") as refused:
        refunds.refund_approve(
            actor=finance2, request=request, password=PASSWORD, username=finance2.username
        )
    assert refused.value.where == "approver"
    request.refresh_from_db()
    assert (request.status, request.second_approver) == ("awaiting_second", None)
    assert not Signature.objects.exists()
    assert AuditEntry.objects.filter(action="finance.refund_approved").count() == 1


def test_a_second_approval_by_the_requester_is_refused(
    finance: User, finance2: User, recall: RecallCase, holder: Party
) -> None:
    request = refunds.refund_approve(actor=finance2, request=big(finance, recall, holder))
    with pytest.raises(ApprovalRefused, match="another finance user approves it"):
        refunds.refund_approve(
            actor=finance, request=request, password=PASSWORD, username=finance.username
        )
    assert not Signature.objects.exists()


def test_a_wrong_password_leaves_the_request_awaiting_and_logs_the_refusal(
    finance: User, finance2: User, finance3: User, recall: RecallCase, holder: Party
) -> None:
    from medrecall.accounts.signatures import SignatureRefused

    request = refunds.refund_approve(actor=finance2, request=big(finance, recall, holder))
    with pytest.raises(SignatureRefused):
        refunds.refund_approve(
            actor=finance3, request=request, password="wrong", username=finance3.username
        )
    request.refresh_from_db()
    assert (request.status, request.second_approver) == ("awaiting_second", None)
    assert AuditEntry.objects.filter(action="accounts.signature_refused").count() == 1


def test_the_database_refuses_the_same_user_as_both_approvers(
    finance: User, finance2: User, recall: RecallCase, holder: Party
) -> None:
    request = refunds.refund_approve(actor=finance2, request=big(finance, recall, holder))
    with pytest.raises(IntegrityError), transaction.atomic():
        RefundRequest.objects.filter(pk=request.pk).update(second_approver=finance2)


def test_a_rejection_needs_a_reason_and_ends_the_request(
    finance: User, finance2: User, recall: RecallCase, holder: Party
) -> None:
    request = refunds.refund_request(actor=finance, recall=recall, claim=claim(holder))
    with pytest.raises(RefundRefused, match="Say why") as refused:
        refunds.refund_reject(actor=finance2, request=request, reason=" ")
    assert refused.value.where == "reason"
    rejected = refunds.refund_reject(actor=finance2, request=request, reason="发票不符")
    assert (rejected.status, rejected.rejected_by, rejected.rejection_reason) == (
        "rejected",
        finance2,
        "发票不符",
    )
    with pytest.raises(ApprovalRefused, match="nothing to approve"):
        refunds.refund_approve(actor=finance2, request=rejected)


def approved(finance: User, finance2: User, recall: RecallCase, holder: Party) -> RefundRequest:
    request = refunds.refund_request(actor=finance, recall=recall, claim=claim(holder))
    return refunds.refund_approve(actor=finance2, request=request)


def test_a_payment_posts_the_compensation_once_and_marks_the_request_paid(
    finance: User, finance2: User, recall: RecallCase, holder: Party
) -> None:
    request = approved(finance, finance2, recall, holder)
    payment = refunds.refund_pay(
        actor=finance,
        request=request,
        terms=PaymentTerms(paid_on=DAY, amount="6000.00", method="bank_transfer", reference="T1"),
    )
    entry = CostEntry.objects.get()
    assert (payment.number[:8], payment.amount, payment.cost_entry) == (
        "PY-2026-",
        Decimal("6000.00"),
        entry,
    )
    assert (
        entry.source,
        entry.source_key,
        entry.category,
        entry.amount,
        entry.units,
        entry.holder,
        entry.incurred_on,
    ) == ("refund", request.number, "compensation", Decimal("6000.00"), 4, holder, DAY)
    request.refresh_from_db()
    assert request.status == "paid"
    assert AuditEntry.objects.filter(action="finance.refund_paid").count() == 1


def test_a_second_payment_is_refused_and_nothing_is_posted_again(
    finance: User, finance2: User, recall: RecallCase, holder: Party
) -> None:
    request = approved(finance, finance2, recall, holder)
    terms = PaymentTerms(paid_on=DAY, amount="6000.00", method="bank_transfer")
    refunds.refund_pay(actor=finance, request=request, terms=terms)
    with pytest.raises(PaymentRefused, match="paid already") as refused:
        refunds.refund_pay(actor=finance, request=request, terms=terms)
    assert refused.value.where == "request"
    assert (RefundPayment.objects.count(), CostEntry.objects.count()) == (1, 1)


def test_the_database_refuses_a_second_payment_row(
    finance: User, finance2: User, recall: RecallCase, holder: Party
) -> None:
    request = approved(finance, finance2, recall, holder)
    payment = refunds.refund_pay(
        actor=finance,
        request=request,
        terms=PaymentTerms(paid_on=DAY, amount="6000.00", method="bank_transfer"),
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        RefundPayment.objects.create(
            number="PY-2026-99999",
            request=request,
            paid_on=DAY,
            amount=Decimal(1),
            currency="CNY",
            method="bank_transfer",
            paid_by=finance,
        )
    assert list(RefundPayment.objects.all()) == [payment]


def test_a_payment_of_an_unapproved_request_is_refused(
    finance: User, recall: RecallCase, holder: Party
) -> None:
    request = refunds.refund_request(actor=finance, recall=recall, claim=claim(holder))
    with pytest.raises(PaymentRefused, match="only an approved request is paid"):
        refunds.refund_pay(
            actor=finance,
            request=request,
            terms=PaymentTerms(paid_on=DAY, amount="6000.00", method="bank_transfer"),
        )
    assert (RefundPayment.objects.count(), CostEntry.objects.count()) == (0, 0)


@pytest.mark.parametrize(
    ("terms", "error", "where", "message"),
    [
        pytest.param(
            PaymentTerms(paid_on=DAY, amount="6000.01", method="bank_transfer"),
            PaymentRefused,
            "amount",
            "more than the 6000.00 CNY approved",
            id="above approved",
        ),
        pytest.param(
            PaymentTerms(paid_on=DAY, amount="0", method="bank_transfer"),
            CostRefused,
            "amount",
            "A payment must be more than zero.",
            id="zero",
        ),
        pytest.param(
            PaymentTerms(paid_on=DAY, amount="100", method="credit_note"),
            RefundRefused,
            "credit_note_number",
            "credit note's number",
            id="credit note without number",
        ),
        pytest.param(
            PaymentTerms(paid_on=DAY, amount="100", method="cash"),
            RefundRefused,
            "method",
            "cash is not a payment method",
            id="unknown method",
        ),
    ],
)
def test_a_bad_payment_is_refused_and_nothing_changes(
    finance: User,
    finance2: User,
    recall: RecallCase,
    holder: Party,
    terms: PaymentTerms,
    error: type[Exception],
    where: str,
    message: str,
) -> None:
    request = approved(finance, finance2, recall, holder)
    with pytest.raises(error, match=message) as refused:
        refunds.refund_pay(actor=finance, request=request, terms=terms)
    assert refused.value.where == where  # type: ignore[attr-defined]
    request.refresh_from_db()
    assert request.status == "approved"
    assert (RefundPayment.objects.count(), CostEntry.objects.count()) == (0, 0)


def test_a_payment_without_the_paid_days_rate_is_refused_and_nothing_changes(
    finance: User, finance2: User, recall: RecallCase, holder: Party
) -> None:
    ledger.rate_set(actor=finance, currency="USD", rate_on=timezone.localdate(), rate="7.2")
    request = refunds.refund_request(
        actor=finance,
        recall=recall,
        claim=claim(holder, currency="USD", unit_price="100", amount="100"),
    )
    request = refunds.refund_approve(actor=finance2, request=request)
    with pytest.raises(RateMissing, match="USD on 2026-11-30"):
        refunds.refund_pay(
            actor=finance,
            request=request,
            terms=PaymentTerms(paid_on=DAY, amount="100", method="bank_transfer"),
        )
    request.refresh_from_db()
    assert request.status == "approved"
    assert (RefundPayment.objects.count(), CostEntry.objects.count()) == (0, 0)


def test_a_credit_note_keeps_its_number_on_the_payment_and_the_entry(
    finance: User, finance2: User, recall: RecallCase, holder: Party
) -> None:
    request = approved(finance, finance2, recall, holder)
    payment = refunds.refund_pay(
        actor=finance,
        request=request,
        terms=PaymentTerms(
            paid_on=DAY, amount="5000.00", method="credit_note", credit_note_number="CN-77"
        ),
    )
    assert (payment.credit_note_number, payment.cost_entry.document_reference) == (  # type: ignore[union-attr]
        "CN-77",
        "CN-77",
    )


def offer(recall: RecallCase, holder: Party, by: User, **fields: object) -> Offer:
    values: dict[str, object] = {
        "recall": recall,
        "party": holder,
        "kind": "credit",
        "description": "退款",
        "quantity": 2,
        "amount": Decimal("2000.00"),
        "currency": "CNY",
        "status": "approved",
        "proposed_by": by,
    }
    values.update(fields)
    return Offer.objects.create(**values)


def test_a_request_from_an_approved_credit_offer_is_at_most_its_value(
    finance: User, recall: RecallCase, holder: Party
) -> None:
    credit = offer(recall, holder, finance)
    with pytest.raises(RefundAboveBought, match=r"offer's value of 2000\.00 CNY"):
        refunds.refund_request(
            actor=finance,
            recall=recall,
            claim=claim(holder, quantity=2, amount="2000.01"),
            offer=credit,
        )
    request = refunds.refund_request(
        actor=finance,
        recall=recall,
        claim=claim(holder, quantity=2, amount="2000.00"),
        offer=credit,
    )
    assert (request.source, request.offer) == ("offer", credit)
    with pytest.raises(RefundRefused, match="has a refund request already"):
        refunds.refund_request(
            actor=finance,
            recall=recall,
            claim=claim(holder, quantity=1, amount="10.00"),
            offer=credit,
        )


def test_a_proposed_offer_is_not_paid_as_a_refund(
    finance: User, recall: RecallCase, holder: Party
) -> None:
    with pytest.raises(RefundRefused, match="Only an approved credit offer") as refused:
        refunds.refund_request(
            actor=finance,
            recall=recall,
            claim=claim(holder, quantity=2, amount="100.00"),
            offer=offer(recall, holder, finance, status="proposed"),
        )
    assert refused.value.where == "offer"
    assert nothing_written()


def test_a_request_from_another_holders_reply_is_refused(
    finance: User, recall: RecallCase, holder: Party
) -> None:
    from medrecall.notices.models import Reply

    someone_elses = Reply(recall=recall, party=Party.objects.get(code="HOSP-B"))
    with pytest.raises(RefundRefused, match="is not HOSP-A's reply to RC-2026-0201") as refused:
        refunds.refund_request(
            actor=finance, recall=recall, claim=claim(holder), reply=someone_elses
        )
    assert refused.value.where == "reply"
    assert nothing_written()


def test_a_draft_recall_takes_no_request(finance: User, recall: RecallCase, holder: Party) -> None:
    from medrecall.core.errors import ActionNotAllowed

    RecallCase.objects.filter(pk=recall.pk).update(status="draft")
    recall.refresh_from_db()
    with pytest.raises(ActionNotAllowed):
        refunds.refund_request(actor=finance, recall=recall, claim=claim(holder))
    assert nothing_written()


def test_old_payment_dates_are_kept_as_given(
    finance: User, finance2: User, recall: RecallCase, holder: Party
) -> None:
    request = approved(finance, finance2, recall, holder)
    earlier = date(2026, 11, 2)
    payment = refunds.refund_pay(
        actor=finance,
        request=request,
        terms=PaymentTerms(paid_on=earlier, amount="1.00", method="bank_transfer"),
    )
    assert (payment.paid_on, payment.cost_entry.incurred_on) == (earlier, earlier)  # type: ignore[union-attr]
