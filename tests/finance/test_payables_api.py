"""The finance payables API: the whole refund path with a signed second approval, quotes and
the scorecard, bad input as 400 naming the field, permissions per endpoint (portal users see
nothing), and lists whose query count does not grow with their rows."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.finance import refunds
from medrecall.finance.models import CostEntry
from medrecall.finance.models_payables import RefundRequest
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from tests.conftest import PASSWORD
from tests.factories import PartyFactory
from tests.finance.payables_world import *  # noqa: F403
from tests.finance.payables_world import claim

pytestmark = pytest.mark.django_db

BODY = {
    "holder": "HOSP-A",
    "quantity": "8",
    "unit_price": "1250.00",
    "invoice_reference": "INV-7",
    "amount": "10000.00",
    "currency": "CNY",
}


def test_the_refund_path_through_the_api(
    api_as: Callable[[User | None], APIClient],
    finance: User,
    finance2: User,
    finance3: User,
    recall: RecallCase,
) -> None:
    created = api_as(finance).post(
        f"/api/finance/recalls/{recall.pk}/refunds/", BODY, format="json"
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert (created.json()["status"], created.json()["company_amount"]) == ("requested", "10000.00")
    first = api_as(finance2).post(f"/api/finance/refunds/{pk}/approve/", {}, format="json")
    assert first.json()["status"] == "awaiting_second"
    unsigned = api_as(finance3).post(f"/api/finance/refunds/{pk}/approve/", {}, format="json")
    assert (unsigned.status_code, unsigned.json()["where"]) == (400, "password")
    signed = api_as(finance3).post(
        f"/api/finance/refunds/{pk}/approve/",
        {"password": PASSWORD, "username": finance3.username},
        format="json",
    )
    assert (signed.json()["status"], signed.json()["second_approver"]) == (
        "approved",
        finance3.username,
    )
    paid = api_as(finance).post(
        f"/api/finance/refunds/{pk}/pay/",
        {"paid_on": "2026-11-30", "amount": "10000.00", "method": "bank_transfer"},
        format="json",
    )
    assert (paid.status_code, paid.json()["cost_entry"]) == (201, CostEntry.objects.get().number)
    again = api_as(finance).post(
        f"/api/finance/refunds/{pk}/pay/",
        {"paid_on": "2026-11-30", "amount": "1.00", "method": "bank_transfer"},
        format="json",
    )
    assert (again.status_code, again.json()["code"]) == (409, "payment_refused")
    batch = api_as(finance).post("/api/finance/ap-exports/")
    assert (batch.status_code, batch.json()["payment_count"]) == (201, 1)
    data = api_as(finance).get(f"/api/finance/ap-exports/{batch.json()['id']}/file/")
    rows = list(csv.reader(io.StringIO(data.content.decode("utf-8-sig"))))
    assert (rows[1][1], rows[1][5]) == (paid.json()["number"], "HOSP-A")
    xlsx = api_as(finance).get(f"/api/finance/ap-exports/{batch.json()['id']}/file/?file=xlsx")
    assert xlsx.content[:2] == b"PK"


@pytest.mark.parametrize(
    ("change", "where"),
    [
        pytest.param({"amount": "0"}, "amount", id="zero"),
        pytest.param({"amount": "-5"}, "amount", id="negative"),
        pytest.param({"currency": "QQQ"}, "currency", id="currency"),
        pytest.param({"currency": "USD", "amount": "10"}, "currency", id="no rate"),
        pytest.param({"quantity": "11"}, "quantity", id="above bought"),
        pytest.param({"amount": "10000.01"}, "amount", id="above invoice"),
        pytest.param({"holder": "NOBODY"}, "holder", id="unknown holder"),
    ],
)
def test_bad_input_answers_400_naming_the_field_and_writes_nothing(
    api_as: Callable[[User | None], APIClient],
    finance: User,
    recall: RecallCase,
    change: dict[str, str],
    where: str,
) -> None:
    answer = api_as(finance).post(
        f"/api/finance/recalls/{recall.pk}/refunds/", BODY | change, format="json"
    )
    assert (answer.status_code, answer.json()["where"]) == (400, where)
    assert not RefundRequest.objects.exists()


def test_a_request_above_what_the_holder_bought_answers_400_with_the_figures(
    api_as: Callable[[User | None], APIClient], finance: User, recall: RecallCase
) -> None:
    answer = api_as(finance).post(
        f"/api/finance/recalls/{recall.pk}/refunds/",
        BODY | {"quantity": "11", "amount": "100.00"},
        format="json",
    )
    body = answer.json()
    assert (answer.status_code, body["where"]) == (400, "quantity")
    assert (
        "HOSP-A holds 10 units in the frozen scope of RC-2026-0201; 0 already requested or compensated; 11 asked: "
        "at most 10 more units can be refunded."
    ) in str(body)
    assert not RefundRequest.objects.exists()


def test_an_approval_by_the_requester_answers_409(
    api_as: Callable[[User | None], APIClient], finance: User, recall: RecallCase, holder: Party
) -> None:
    request = refunds.refund_request(actor=finance, recall=recall, claim=claim(holder))
    answer = api_as(finance).post(f"/api/finance/refunds/{request.pk}/approve/", {}, format="json")
    assert (answer.status_code, answer.json()["code"], answer.json()["where"]) == (
        409,
        "approval_refused",
        "approver",
    )
    request.refresh_from_db()
    assert request.status == "requested"


def test_quotes_award_without_a_reason_answers_400_and_the_scorecard_answers(
    api_as: Callable[[User | None], APIClient], finance: User, recall: RecallCase
) -> None:
    PartyFactory(code="SF", party_type="carrier")
    client = api_as(finance)
    rfq = client.post(
        f"/api/finance/recalls/{recall.pk}/quote-requests/",
        {
            "kind": "logistics",
            "description": "取回",
            "quantity": "11",
            "region": "广东省",
            "due_on": (timezone.localdate() + timedelta(days=14)).isoformat(),
        },
        format="json",
    ).json()
    until = (timezone.localdate() + timedelta(days=10)).isoformat()
    added = client.post(
        f"/api/finance/quote-requests/{rfq['id']}/quotes/",
        {
            "vendor": "SF",
            "price": "900",
            "currency": "CNY",
            "lead_time_days": "2",
            "valid_until": until,
        },
        format="json",
    )
    assert (added.status_code, added.json()["quotes"][0]["company_price"]) == (201, "900.00")
    refused = client.post(
        f"/api/finance/quote-requests/{rfq['id']}/award/",
        {"vendor": "SF", "reason": ""},
        format="json",
    )
    assert (refused.status_code, refused.json()["where"]) == (400, "reason")
    awarded = client.post(
        f"/api/finance/quote-requests/{rfq['id']}/award/",
        {"vendor": "SF", "reason": "唯一"},
        format="json",
    )
    assert (awarded.json()["status"], awarded.json()["awarded_vendor"]) == ("awarded", "SF")
    card = client.get("/api/finance/vendor-scorecard/").json()
    # chosen, no cost posted yet: left out of quoted and variance, "no cost yet"
    assert [
        (v["vendor"], v["quoted"], v["quoted_without_cost"], v["variance"], v["no_cost_yet"])
        for v in card
    ] == [("SF", "0.00", "900.00", None, True)]


ENDPOINTS = [
    ("get", "/api/finance/refunds/", "finance.view_refundrequest"),
    ("get", "/api/finance/recalls/{recall}/quote-requests/", "finance.view_quoterequest"),
    ("get", "/api/finance/vendor-scorecard/", "finance.view_quoterequest"),
    ("get", "/api/finance/ap-exports/", "finance.export_refundpayment"),
    ("post", "/api/finance/recalls/{recall}/refunds/", "finance.add_refundrequest"),
    ("post", "/api/finance/refunds/{refund}/approve/", "finance.approve_refundrequest"),
]


@pytest.mark.parametrize(
    "role",
    [
        Role.FINANCE,
        Role.VIEWER,
        Role.QA_RA_MANAGER,
        Role.CUSTOMER_SERVICE,
        Role.WAREHOUSE,
        Role.PORTAL,
        "anonymous",
    ],
)
def test_permissions_per_endpoint(
    api_as: Callable[[User | None], APIClient],
    make_user: Callable[..., User],
    finance: User,
    recall: RecallCase,
    holder: Party,
    role: str,
) -> None:
    request = refunds.refund_request(
        actor=finance, recall=recall, claim=claim(holder, quantity=1, amount="1")
    )
    user = None
    if role != "anonymous":
        user = make_user(role, party=holder if role == Role.PORTAL else None)
    client = api_as(user)
    for method, template, perm in ENDPOINTS:
        url = template.format(recall=recall.pk, refund=request.pk)
        body: Any = (
            BODY | {"quantity": "1", "amount": "1"}
            if "refunds/" in url and method == "post"
            else {}
        )
        answer = getattr(client, method)(url, body, format="json")
        if user is None:
            expected: tuple[int, ...] = (401, 403)
        elif user.party_id is None and user.has_perm(perm):
            expected = (200, 201)
        else:
            expected = (403,)
        assert answer.status_code in expected, (role, url, answer.status_code)
    assert RefundRequest.objects.count() == (2 if role == Role.FINANCE else 1)


def test_customer_service_enters_a_request_from_a_reply_only(
    api_as: Callable[[User | None], APIClient], make_user: Callable[..., User], recall: RecallCase
) -> None:
    service = make_user(Role.CUSTOMER_SERVICE)
    plain = api_as(service).post(f"/api/finance/recalls/{recall.pk}/refunds/", BODY, format="json")
    assert plain.status_code == 403
    from_reply = api_as(service).post(
        f"/api/finance/recalls/{recall.pk}/refunds/", BODY | {"from_reply": True}, format="json"
    )
    # no reply from HOSP-A yet: the body names a reply that is not there
    assert (from_reply.status_code, from_reply.json()["where"]) == (400, "reply")
    assert not RefundRequest.objects.exists()


def count_queries(client: APIClient, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_refund_list_keeps_its_query_count(
    api_as: Callable[[User | None], APIClient], finance: User, recall: RecallCase, holder: Party
) -> None:
    client = api_as(finance)
    refunds.refund_request(
        actor=finance, recall=recall, claim=claim(holder, quantity=1, amount="1")
    )
    count_queries(client, "/api/finance/refunds/")  # the viewer's permissions are read once
    one = count_queries(client, "/api/finance/refunds/")
    for _ in range(5):
        refunds.refund_request(
            actor=finance, recall=recall, claim=claim(holder, quantity=1, amount="1")
        )
    assert count_queries(client, "/api/finance/refunds/") == one
    assert client.get("/api/finance/refunds/").json()["count"] == 6


def test_the_quote_request_list_keeps_its_query_count(
    api_as: Callable[[User | None], APIClient], finance: User, recall: RecallCase
) -> None:
    from medrecall.finance import quotes

    client = api_as(finance)
    url = f"/api/finance/recalls/{recall.pk}/quote-requests/"

    def open_one() -> None:
        quotes.quote_request_open(
            actor=finance,
            recall=recall,
            kind="destruction",
            description="销毁",
            quantity=2,
            region="CN",
            due_on=timezone.localdate(),
        )

    open_one()
    count_queries(client, url)
    one = count_queries(client, url)
    for _ in range(4):
        open_one()
    assert count_queries(client, url) == one
    assert client.get(url).json()["count"] == 5
