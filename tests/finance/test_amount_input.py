"""Amounts written as exponents, NaN, Infinity or '-0' on every path that takes one (service,
page, API, command line): a clear message naming the field, never a 500, nothing written."""

from __future__ import annotations

import html
from collections.abc import Callable
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from rest_framework.test import APIClient

from medrecall.accounts.models import User
from medrecall.audit.models import AuditEntry
from medrecall.execution.models import ServiceProvider
from medrecall.finance import ledger, refunds
from medrecall.finance.errors import CostRefused
from medrecall.finance.models import CostEntry, DispositionCost, ExchangeRate
from medrecall.finance.models_budget import RecallBudget
from medrecall.finance.models_payables import RefundPayment, RefundRequest
from medrecall.finance.refunds import PaymentTerms
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from tests.factories import PartyFactory
from tests.finance.payables_world import *  # noqa: F403
from tests.finance.payables_world import DAY, claim

pytestmark = pytest.mark.django_db

TOO_LARGE = "An amount is at most 999,999,999,999.99."
# (what is typed, the message): every one used to reach the database or raise a 500.
BAD = [
    ("1e40", TOO_LARGE),
    ("1e30", TOO_LARGE),
    ("1E+13", TOO_LARGE),
    ("Infinity", TOO_LARGE),
    ("-Infinity", "more than zero"),
    ("NaN", "is not an amount"),
    ("sNaN", "is not an amount"),
    ("-0", "more than zero"),
    ("1e-3", "two decimals"),
]


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def nothing_written() -> tuple[int, int, int, int, int]:
    return (
        CostEntry.objects.count(),
        RecallBudget.objects.count(),
        RefundRequest.objects.count(),
        RefundPayment.objects.count(),
        AuditEntry.objects.filter(action__startswith="finance.").count(),
    )


@pytest.mark.parametrize(("typed", "message"), BAD)
def test_the_amount_check_refuses_exponents_and_specials_with_a_message(
    typed: str, message: str
) -> None:
    with pytest.raises(CostRefused, match=message):
        ledger.amount_checked(typed)


def test_an_exponent_within_the_limit_is_the_plain_amount() -> None:
    assert str(ledger.amount_checked("1.5E+3")) == "1500"
    assert str(ledger.amount_checked("999999999999.99")) == "999999999999.99"


@pytest.mark.parametrize("typed", ["1e40", "Infinity", "NaN", "-0", "1e-9"])
def test_rates_unit_costs_provider_rates_and_the_policy_refuse_them(
    finance: User, typed: str
) -> None:
    with pytest.raises(CostRefused) as rate:
        ledger.rate_set(actor=finance, currency="USD", rate_on=DAY, rate=typed)
    assert rate.value.where == "rate"
    if typed != "-0":  # zero is a valid unit cost (nothing to pay on that path)
        with pytest.raises(CostRefused) as unit:
            ledger.unit_cost_set(
                actor=finance,
                kind="destroy",
                device_model=None,
                unit_cost=typed,
                currency="CNY",
            )
        assert unit.value.where == "unit_cost"
        with pytest.raises(CostRefused) as hourly:
            ledger.provider_rate_set(
                actor=finance,
                provider=ServiceProvider.objects.create(
                    name="P",
                    party=PartyFactory(party_type="service_partner"),
                    latitude=1,
                    longitude=1,
                ),
                hourly_rate="100",
                hours_per_work_order=typed,
                per_km="1",
                currency="CNY",
            )
        assert hourly.value.where == "hours_per_work_order"
    assert (ExchangeRate.objects.count(), DispositionCost.objects.count()) == (0, 0)


@pytest.mark.parametrize(("typed", "message"), BAD)
def test_the_pages_refuse_them_on_the_entry_budget_refund_and_payment(
    finance: User, finance2: User, recall: RecallCase, holder: Party, typed: str, message: str
) -> None:
    client = signed_in(finance)
    entry = client.post(
        f"/finance/recalls/{recall.pk}/post/",
        {"category": "other", "amount": typed, "currency": "CNY", "incurred_on": "2026-11-30"},
    )
    budget = client.post(f"/finance/recalls/{recall.pk}/budget/", {"total": typed}, follow=True)
    refund = client.post(
        f"/recalls/{recall.pk}/finance/refunds/new/",
        {
            "holder": "HOSP-A",
            "quantity": "1",
            "unit_price": typed,
            "invoice_reference": "INV-9",
            "amount": "10",
            "currency": "CNY",
        },
    )
    for answer in (entry, budget, refund):
        assert answer.status_code in (200, 400)
        assert message in answer.content.decode()
    assert nothing_written() == (0, 0, 0, 0, 0)
    request = refunds.refund_request(actor=finance, recall=recall, claim=claim(holder))
    refunds.refund_approve(actor=finance2, request=request)
    before = nothing_written()
    pay = client.post(
        f"/finance/refunds/{request.pk}/pay/",
        {"paid_on": "2026-11-30", "amount": typed, "method": "bank_transfer"},
        follow=True,
    )
    assert message in pay.content.decode()
    assert nothing_written() == before


@pytest.mark.parametrize(("typed", "message"), BAD)
def test_the_api_answers_400_naming_the_field(
    finance: User,
    recall: RecallCase,
    api_as: Callable[[User | None], APIClient],
    typed: str,
    message: str,
) -> None:
    client = api_as(finance)
    entry = client.post(
        f"/api/finance/recalls/{recall.pk}/entries/",
        {"category": "other", "amount": typed, "currency": "CNY", "incurred_on": "2026-11-30"},
        format="json",
    )
    budget = client.put(
        f"/api/finance/recalls/{recall.pk}/budget/",
        {"total": "100", "lines": {"logistics": typed}},
        format="json",
    )
    refund = client.post(
        f"/api/finance/recalls/{recall.pk}/refunds/",
        {
            "holder": "HOSP-A",
            "quantity": "1",
            "unit_price": "10",
            "invoice_reference": "INV-7",
            "amount": typed,
            "currency": "CNY",
        },
        format="json",
    )
    wheres = []
    for answer in (entry, budget, refund):
        assert answer.status_code == 400
        assert message in answer.json()["message"]
        wheres.append(answer.json()["where"])
    assert wheres == ["amount", "lines.logistics", "amount"]
    assert nothing_written() == (0, 0, 0, 0, 0)


@pytest.mark.parametrize(("typed", "message"), BAD)
def test_the_command_line_refuses_them_in_one_line(
    finance: User, recall: RecallCase, typed: str, message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        call_command(
            "finance",
            "ledger",
            "post",
            recall.number,
            "--category=other",
            f"--amount={typed}",
            "--currency=CNY",
            "--date=2026-11-30",
            "--user",
            finance.username,
            stdout=StringIO(),
        )
    with pytest.raises(CommandError, match=message):
        call_command(
            "finance",
            "budget",
            "set",
            recall.number,
            f"--total={typed}",
            "--user",
            finance.username,
            stdout=StringIO(),
        )
    assert nothing_written() == (0, 0, 0, 0, 0)


def test_a_payment_of_1e40_is_refused_in_the_service(
    finance: User, finance2: User, recall: RecallCase, holder: Party
) -> None:
    request = refunds.refund_request(actor=finance, recall=recall, claim=claim(holder))
    refunds.refund_approve(actor=finance2, request=request)
    with pytest.raises(CostRefused, match=TOO_LARGE):
        refunds.refund_pay(
            actor=finance,
            request=request,
            terms=PaymentTerms(paid_on=DAY, amount="1e40", method="bank_transfer"),
        )
    assert RefundPayment.objects.count() == 0


@pytest.mark.parametrize(
    ("path", "data", "message"),
    [
        ("budget", {"total": "0"}, "A budget must be more than zero."),
        ("budget", {"total": "10", "line_repair": "-1"}, "A category's budget must be more"),
        ("pay", {"paid_on": "2026-11-30", "amount": "0"}, "A payment must be more than zero."),
        ("refund", {"amount": "0"}, "A refund must be more than zero."),
    ],
)
def test_a_zero_budget_payment_or_refund_is_not_told_about_reversals(
    finance: User,
    finance2: User,
    recall: RecallCase,
    holder: Party,
    path: str,
    data: dict[str, str],
    message: str,
) -> None:
    client = signed_in(finance)
    request = refunds.refund_request(actor=finance, recall=recall, claim=claim(holder))
    refunds.refund_approve(actor=finance2, request=request)
    before = nothing_written()
    url = {
        "budget": f"/finance/recalls/{recall.pk}/budget/",
        "pay": f"/finance/refunds/{request.pk}/pay/",
        "refund": f"/recalls/{recall.pk}/finance/refunds/new/",
    }[path]
    refund_form = {
        "holder": "HOSP-A",
        "quantity": "1",
        "unit_price": "10",
        "invoice_reference": "INV-9",
        "currency": "CNY",
        "method": "bank_transfer",
    }
    text = html.unescape(client.post(url, {**refund_form, **data}, follow=True).content.decode())
    assert message in text
    assert "a correction is a reversal" not in text
    assert nothing_written() == before


def test_a_refused_rates_file_names_each_row_and_column_on_the_page_and_api(
    finance: User, api_as: Callable[[User | None], APIClient]
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = b"currency,date,rate\nUSD,2026-12-02,1e40\nXYZ,2026-12-02,1\nGBP,02.12.2026,NaN\n"
    text = html.unescape(
        signed_in(finance)
        .post("/finance/rates/", {"file": SimpleUploadedFile("bad.csv", bad)}, follow=True)
        .content.decode()
    )
    for line in (
        "bad.csv, row 2, column rate: A rate has at most eight decimals and ten digits.",
        "bad.csv, row 3, column currency: XYZ is not an ISO 4217 currency code",
        "bad.csv, row 4, column date: 02.12.2026 is not a date in the form YYYY-MM-DD.",
        "bad.csv, row 4, column rate: NaN is not a rate.",
    ):
        assert line in text
    answer = api_as(finance).post(
        "/api/finance/rates/import/", {"file": SimpleUploadedFile("bad.csv", bad)}
    )
    assert answer.status_code == 400
    assert [(d["row"], d["column"]) for d in answer.json()["details"]] == [
        (2, "rate"),
        (3, "currency"),
        (4, "date"),
        (4, "rate"),
    ]
    assert ExchangeRate.objects.count() == 0
