"""Costs and payments happen before they are recorded: a ledger entry or a refund payment dated
after today (in the company's time zone) is refused with the date and today, on the service,
the page and the API, and nothing is written (no entry, no payment, nothing to export)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from django.test import Client
from freezegun import freeze_time
from rest_framework.test import APIClient

from medrecall.accounts.models import User
from medrecall.audit.models import AuditEntry
from medrecall.finance import ledger, payables_export, refunds
from medrecall.finance.errors import CostRefused, PaymentRefused
from medrecall.finance.ledger import CostLine
from medrecall.finance.models import CostEntry, CostSource
from medrecall.finance.models_payables import RefundPayment, RefundRequest
from medrecall.finance.refunds import PaymentTerms
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from tests.finance.payables_world import *  # noqa: F403
from tests.finance.payables_world import claim

pytestmark = pytest.mark.django_db

# 17:30 UTC on 6 December is 01:30 on 7 December in Shanghai, the company's zone.
NOW = "2026-12-06T17:30:00Z"
FUTURE_ENTRY = (
    "The date incurred 2026-12-08 is in the future (today is 2026-12-07): record a cost or "
    "payment once it has happened; planned costs belong in the budget."
)
FUTURE_PAYMENT = (
    "The payment date 2030-01-01 is in the future (today is 2026-12-07): record a cost or "
    "payment once it has happened; planned costs belong in the budget."
)


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def entry(day: date) -> CostLine:
    return CostLine(category="other", amount="10", currency="CNY", incurred_on=day)


def approved(finance: User, finance2: User, recall: RecallCase, holder: Party) -> RefundRequest:
    request = refunds.refund_request(actor=finance, recall=recall, claim=claim(holder))
    return refunds.refund_approve(actor=finance2, request=request)


def counts() -> tuple[int, int, int]:
    return (
        CostEntry.objects.count(),
        RefundPayment.objects.count(),
        AuditEntry.objects.filter(
            action__in=["finance.cost_posted", "finance.refund_paid"]
        ).count(),
    )


@freeze_time(NOW)
def test_today_in_the_company_zone_is_the_limit_for_a_manual_entry(
    finance: User, recall: RecallCase
) -> None:
    assert ledger.company_today() == date(2026, 12, 7)
    posted = ledger.cost_post(actor=finance, recall=recall, line=entry(date(2026, 12, 7)))
    assert posted.incurred_on == date(2026, 12, 7)
    with pytest.raises(CostRefused) as refused:
        ledger.cost_post(actor=finance, recall=recall, line=entry(date(2026, 12, 8)))
    assert (refused.value.message, refused.value.where) == (FUTURE_ENTRY, "incurred_on")
    assert counts() == (1, 0, 1)


@freeze_time(NOW)
def test_an_automatic_posting_keeps_its_source_records_date(
    finance: User, recall: RecallCase
) -> None:
    posted = ledger.cost_post(
        actor=finance,
        recall=recall,
        line=entry(date(2026, 12, 9)),
        source=CostSource.WAYBILL,
        source_key="WB-1",
    )
    assert posted.incurred_on == date(2026, 12, 9)


@freeze_time(NOW)
def test_a_future_payment_is_refused_and_nothing_reaches_the_ap_export(
    finance: User, finance2: User, recall: RecallCase, holder: Party
) -> None:
    request = approved(finance, finance2, recall, holder)
    before = counts()
    with pytest.raises(CostRefused) as refused:
        refunds.refund_pay(
            actor=finance,
            request=request,
            terms=PaymentTerms(paid_on=date(2030, 1, 1), amount="6000", method="bank_transfer"),
        )
    assert (refused.value.message, refused.value.where) == (FUTURE_PAYMENT, "paid_on")
    assert counts() == before
    request.refresh_from_db()
    assert request.status == "approved"
    with pytest.raises(PaymentRefused, match="No payment is waiting to be exported"):
        payables_export.ap_export(actor=finance)


@freeze_time(NOW)
def test_the_pages_refuse_a_future_entry_and_payment(
    finance: User, finance2: User, recall: RecallCase, holder: Party
) -> None:
    client = signed_in(finance)
    page = client.post(
        f"/finance/recalls/{recall.pk}/post/",
        {"category": "other", "amount": "10", "currency": "CNY", "incurred_on": "2026-12-08"},
    )
    assert FUTURE_ENTRY in page.content.decode()
    assert 'value="2026-12-08"' in page.content.decode()  # the form keeps what was typed
    assert 'max="2026-12-07"' in client.get(f"/finance/recalls/{recall.pk}/post/").content.decode()
    request = approved(finance, finance2, recall, holder)
    before = counts()
    paid = client.post(
        f"/finance/refunds/{request.pk}/pay/",
        {"paid_on": "2030-01-01", "amount": "6000.00", "method": "bank_transfer"},
        follow=True,
    )
    assert FUTURE_PAYMENT in paid.content.decode()
    assert counts() == before


@freeze_time(NOW)
def test_the_api_answers_400_for_a_future_entry_and_payment(
    finance: User,
    finance2: User,
    recall: RecallCase,
    holder: Party,
    api_as: Callable[[User | None], APIClient],
) -> None:
    client = api_as(finance)
    posted = client.post(
        f"/api/finance/recalls/{recall.pk}/entries/",
        {"category": "other", "amount": "10", "currency": "CNY", "incurred_on": "2026-12-08"},
        format="json",
    )
    assert (posted.status_code, posted.json()["message"], posted.json()["where"]) == (
        400,
        FUTURE_ENTRY,
        "incurred_on",
    )
    request = approved(finance, finance2, recall, holder)
    before = counts()
    paid = client.post(
        f"/api/finance/refunds/{request.pk}/pay/",
        {"paid_on": "2030-01-01", "amount": "6000.00", "method": "bank_transfer"},
        format="json",
    )
    assert (paid.status_code, paid.json()["where"]) == (400, "paid_on")
    assert counts() == before
