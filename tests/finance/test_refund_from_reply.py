"""The happy path of a refund asked for in a holder's reply, end to end through each way in (web
pages, REST API, command line): the holder replies asking for a refund, customer service enters
the request from the reply, finance approves it, finance pays it, and the ledger has one
compensation entry for it, whatever is retried."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.finance.models import CostEntry
from medrecall.finance.models_payables import RefundRequest
from medrecall.notices import replies
from medrecall.notices.models import Notice, Reply
from medrecall.parties.models import Party
from medrecall.recalls.models import AffectedLine, RecallCase
from tests.finance.payables_world import *  # noqa: F403

pytestmark = pytest.mark.django_db

ASKED = "已用4支，请按发票INV-2025-0042退款"


def holder_replies(recall: RecallCase, holder: Party) -> Reply:
    """HOSP-A's notice for its scope line, and its reply asking for a refund."""
    line = AffectedLine.objects.select_related("lot__device_model").get(
        snapshot=recall.current_snapshot, party=holder
    )
    notice = Notice.objects.create(
        recall=recall,
        party=holder,
        recipient_key=f"party:{holder.pk}",
        kind="initial",
        sequence=1,
        regime="nmpa",
        language="zh-hans",
        channel="email",
        email="qa@hosp-a.example",
        status="sent",
        token_nonce="n1",
        lines=[
            {
                "lot_id": line.lot_id,
                "serial_id": None,
                "lot": line.lot.number,
                "serial": "",
                "model": line.lot.device_model.name,
                "quantity": 6,
                "received": 10,
            }
        ],
        total_units=6,
    )
    key = replies.expected_lines(notice)[0].key
    return replies.reply_submit(
        notice=notice,
        respondent_name="王护士长",
        quantities={key: {"on_hand": 2, "used": 4}},
        comment=ASKED,
    )


@pytest.fixture
def service(make_user: Callable[..., User]) -> User:
    return make_user(Role.CUSTOMER_SERVICE)


def the_entry(request: RefundRequest) -> tuple[Any, ...]:
    entry = CostEntry.objects.get(source="refund", source_key=request.number)
    return (entry.category, entry.amount, entry.currency, entry.holder.code, entry.recall_id)


def test_on_the_pages(service: User, finance: User, recall: RecallCase, holder: Party) -> None:
    reply = holder_replies(recall, holder)
    cs = Client()
    cs.force_login(service)
    page = cs.get(f"/recalls/{recall.pk}/finance/payables/")
    assert page.status_code == 200
    assert 'name="from_reply"' in page.content.decode()
    entered = cs.post(
        f"/recalls/{recall.pk}/finance/refunds/new/",
        {
            "holder": "HOSP-A",
            "from_reply": "on",
            "quantity": "4",
            "unit_price": "1500.00",
            "invoice_reference": "INV-2025-0042",
            "amount": "6000.00",
            "currency": "CNY",
            "reason": ASKED,
        },
    )
    request = RefundRequest.objects.get()
    assert entered.status_code == 302
    assert (request.source, request.reply, request.requested_by) == ("reply", reply, service)
    assert cs.get(entered["Location"]).status_code == 200  # customer service reads it
    fin = Client()
    fin.force_login(finance)
    assert fin.post(f"/finance/refunds/{request.pk}/approve/").status_code == 302
    request.refresh_from_db()
    assert (request.status, request.first_approver) == ("approved", finance)
    pay = {"paid_on": "2026-11-30", "amount": "6000.00", "method": "bank_transfer"}
    assert fin.post(f"/finance/refunds/{request.pk}/pay/", pay).status_code == 302
    again = fin.post(f"/finance/refunds/{request.pk}/pay/", pay)
    assert again.status_code == 409
    request.refresh_from_db()
    assert request.status == "paid"
    assert the_entry(request) == (
        "compensation",
        Decimal("6000.00"),
        "CNY",
        "HOSP-A",
        recall.pk,
    )
    assert CostEntry.objects.count() == 1


def test_through_the_api(
    api_as: Callable[[User | None], APIClient],
    service: User,
    finance: User,
    recall: RecallCase,
    holder: Party,
) -> None:
    reply = holder_replies(recall, holder)
    entered = api_as(service).post(
        f"/api/finance/recalls/{recall.pk}/refunds/",
        {
            "holder": "HOSP-A",
            "from_reply": True,
            "quantity": 4,
            "unit_price": "1500.00",
            "invoice_reference": "INV-2025-0042",
            "amount": "6000.00",
            "currency": "CNY",
            "reason": ASKED,
        },
        format="json",
    )
    assert entered.status_code == 201, entered.json()
    request = RefundRequest.objects.get()
    assert (request.source, request.reply) == ("reply", reply)
    approved = api_as(finance).post(f"/api/finance/refunds/{request.pk}/approve/", {})
    assert (approved.status_code, approved.json()["status"]) == (200, "approved")
    pay = {"paid_on": "2026-11-30", "amount": "6000.00", "method": "bank_transfer"}
    paid = api_as(finance).post(f"/api/finance/refunds/{request.pk}/pay/", pay, format="json")
    assert paid.status_code in (200, 201), paid.json()
    again = api_as(finance).post(f"/api/finance/refunds/{request.pk}/pay/", pay, format="json")
    assert again.status_code == 409
    assert the_entry(request) == ("compensation", Decimal("6000.00"), "CNY", "HOSP-A", recall.pk)
    assert CostEntry.objects.count() == 1


def finance_cli(*args: str) -> Any:
    out = io.StringIO()
    call_command("finance", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_on_the_command_line(
    service: User, finance: User, recall: RecallCase, holder: Party
) -> None:
    reply = holder_replies(recall, holder)
    entered = finance_cli(
        "refunds",
        "request",
        recall.number,
        "--holder=HOSP-A",
        "--reply",
        "--quantity=4",
        "--unit-price=1500.00",
        "--invoice=INV-2025-0042",
        "--amount=6000.00",
        "--currency=CNY",
        f"--reason={ASKED}",
        f"--user={service.username}",
    )
    request = RefundRequest.objects.get()
    assert (entered["number"], request.source, request.reply) == (request.number, "reply", reply)
    finance_cli("refunds", "approve", request.number, f"--user={finance.username}")
    pay = ("--paid-on=2026-11-30", "--amount=6000.00", "--method=bank_transfer")
    finance_cli("refunds", "pay", request.number, *pay, f"--user={finance.username}")
    with pytest.raises(Exception, match="paid"):
        finance_cli("refunds", "pay", request.number, *pay, f"--user={finance.username}")
    request.refresh_from_db()
    assert request.status == "paid"
    assert the_entry(request) == ("compensation", Decimal("6000.00"), "CNY", "HOSP-A", recall.pk)
    assert CostEntry.objects.count() == 1
