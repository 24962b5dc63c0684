"""The finance payables pages: entering, approving (the second approval signed), paying and
exporting a refund; a refusal shown on the page with nothing written; who sees what (portal
users nothing); and pages whose query count does not grow with their rows."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.finance import payables_export, quotes, refunds
from medrecall.finance.models_payables import RefundRequest
from medrecall.finance.refunds import PaymentTerms
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from tests.conftest import PASSWORD
from tests.factories import LocationFactory, PartyFactory
from tests.finance.payables_world import *  # noqa: F403
from tests.finance.payables_world import DAY, claim

pytestmark = pytest.mark.django_db


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_refund_from_entry_to_payment_and_export_on_the_pages(
    finance: User, finance2: User, finance3: User, recall: RecallCase
) -> None:
    page = signed_in(finance).get(f"/recalls/{recall.pk}/finance/payables/")
    assert page.status_code == 200
    entered = signed_in(finance).post(
        f"/recalls/{recall.pk}/finance/refunds/new/",
        {
            "holder": "HOSP-A",
            "quantity": "8",
            "unit_price": "1250",
            "invoice_reference": "INV-9",
            "amount": "10000",
            "currency": "CNY",
        },
    )
    request = RefundRequest.objects.get()
    assert entered["Location"] == f"/finance/refunds/{request.pk}/"
    signed_in(finance2).post(f"/finance/refunds/{request.pk}/approve/")
    detail = signed_in(finance3).get(f"/finance/refunds/{request.pk}/")
    assert 'name="password"' in detail.content.decode()
    second = signed_in(finance3)
    second.post(
        f"/finance/refunds/{request.pk}/approve/",
        {"username": finance3.username, "password": PASSWORD},
    )
    request.refresh_from_db()
    assert (request.status, request.second_approver) == ("approved", finance3)
    signed_in(finance).post(
        f"/finance/refunds/{request.pk}/pay/",
        {"paid_on": "2026-11-30", "amount": "10000.00", "method": "bank_transfer"},
    )
    request.refresh_from_db()
    assert request.status == "paid"
    signed_in(finance).post("/finance/ap-exports/")
    batch = payables_export.ap_batches().get()
    data = signed_in(finance).get(f"/finance/ap-exports/{batch.pk}/file/")
    assert data["Content-Disposition"] == f'attachment; filename="{batch.number}.csv"'
    assert request.number in data.content.decode("utf-8-sig")


def test_a_refused_request_shows_the_message_keeps_the_values_and_writes_nothing(
    finance: User, recall: RecallCase
) -> None:
    answer = signed_in(finance).post(
        f"/recalls/{recall.pk}/finance/refunds/new/",
        {
            "holder": "HOSP-A",
            "quantity": "11",
            "unit_price": "10",
            "invoice_reference": "INV-9",
            "amount": "10",
            "currency": "CNY",
        },
    )
    text = answer.content.decode()
    assert answer.status_code == 400
    assert 'data-where="quantity"' in text
    assert (
        "HOSP-A holds 10 units in the frozen scope of RC-2026-0201; 0 already requested or compensated; 11 asked: "
        "at most 10 more units can be refunded."
    ) in text
    assert 'value="INV-9"' in text
    assert not RefundRequest.objects.exists()


def test_a_second_approval_by_the_first_approver_is_refused_on_the_page(
    finance: User, finance2: User, recall: RecallCase, holder: Party
) -> None:
    request = refunds.refund_request(
        actor=finance,
        recall=recall,
        claim=claim(holder, quantity=8, unit_price="1250", amount="10000"),
    )
    refunds.refund_approve(actor=finance2, request=request)
    answer = signed_in(finance2).post(
        f"/finance/refunds/{request.pk}/approve/",
        {"username": finance2.username, "password": PASSWORD},
    )
    assert answer.status_code == 409
    assert "needs a different approver" in answer.content.decode()
    request.refresh_from_db()
    assert request.status == "awaiting_second"


def test_an_award_without_a_reason_is_refused_on_the_page(
    finance: User, recall: RecallCase
) -> None:
    vendor = PartyFactory(code="SF", party_type="carrier")
    rfq = quotes.quote_request_open(
        actor=finance,
        recall=recall,
        kind="logistics",
        description="取回",
        quantity=1,
        region="CN",
        due_on=timezone.localdate(),
    )
    today = timezone.localdate()
    quotes.quote_add(
        actor=finance,
        request=rfq,
        terms=quotes.QuoteTerms(
            vendor=vendor,
            price="10",
            currency="CNY",
            lead_time_days=1,
            quoted_on=today,
            valid_until=today + timedelta(days=3),
        ),
    )
    answer = signed_in(finance).post(
        f"/finance/quote-requests/{rfq.pk}/award/", {"vendor": "SF", "reason": " "}
    )
    assert answer.status_code == 400
    assert 'data-where="reason"' in answer.content.decode()
    rfq.refresh_from_db()
    assert rfq.status == "open"


PAGES = (
    "/finance/quote-requests/{rfq}/",
    "/finance/refunds/",
    "/finance/vendor-scorecard/",
    "/recalls/{recall}/finance/payables/",
    "/finance/refunds/{refund}/",
)


@pytest.mark.parametrize(
    ("role", "reads", "writes"),
    [
        pytest.param(Role.FINANCE, 200, 302, id="finance"),
        pytest.param(Role.VIEWER, 200, 403, id="viewer"),
        pytest.param(Role.WAREHOUSE, 403, 403, id="warehouse"),
        pytest.param(Role.PORTAL, 404, 404, id="portal"),
        pytest.param("portal-other", 404, 404, id="portal-of-another-party"),
    ],
)
def test_who_sees_and_who_acts(
    make_user: Callable[..., User],
    finance: User,
    recall: RecallCase,
    holder: Party,
    role: str,
    reads: int,
    writes: int,
) -> None:
    refund = refunds.refund_request(
        actor=finance, recall=recall, claim=claim(holder, quantity=1, amount="1")
    )
    rfq = quotes.quote_request_open(
        actor=finance,
        recall=recall,
        kind="logistics",
        description="取回",
        quantity=1,
        region="CN",
        due_on=timezone.localdate(),
    )
    if role == "portal-other":
        user = make_user(Role.PORTAL, party=PartyFactory(code="HOSP-OTHER", party_type="hospital"))
    else:
        user = make_user(role, party=holder if role == Role.PORTAL else None)
    client = signed_in(user)
    for page in PAGES:
        url = page.format(recall=recall.pk, refund=refund.pk, rfq=rfq.pk)
        assert client.get(url).status_code == reads, url
    answer = client.post(f"/finance/refunds/{refund.pk}/reject/", {"reason": "不符"})
    assert answer.status_code == writes
    expected_exports = {Role.FINANCE: 200, Role.PORTAL: 404, "portal-other": 404}.get(role, 403)
    assert client.get("/finance/ap-exports/").status_code == expected_exports
    refund.refresh_from_db()
    assert refund.status == ("rejected" if role == Role.FINANCE else "requested")


def test_anonymous_visitors_are_sent_to_log_in(recall: RecallCase) -> None:
    answer = Client().get("/finance/refunds/")
    assert (answer.status_code, answer["Location"].split("?")[0]) == (302, "/login/")


def queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_pages_keep_their_query_counts(
    finance: User, finance2: User, recall: RecallCase, holder: Party
) -> None:
    client = signed_in(finance)

    def pay_one() -> None:
        request = refunds.refund_request(
            actor=finance, recall=recall, claim=claim(holder, quantity=1, amount="1")
        )
        refunds.refund_approve(actor=finance2, request=request)
        refunds.refund_pay(
            actor=finance,
            request=request,
            terms=PaymentTerms(paid_on=DAY, amount="1", method="bank_transfer"),
        )
        payables_export.ap_export(actor=finance)

    pay_one()
    urls = (
        "/finance/refunds/",
        f"/recalls/{recall.pk}/finance/payables/",
        "/finance/ap-exports/",
        "/finance/vendor-scorecard/",
    )
    for url in urls:
        queries(client, url)  # warm: permissions and session read once
    before = {url: queries(client, url) for url in urls}
    for _ in range(4):
        pay_one()
    after = {url: queries(client, url) for url in urls}
    assert after == before


def test_the_quote_comparison_page_keeps_its_query_count(finance: User, recall: RecallCase) -> None:
    rfq = quotes.quote_request_open(
        actor=finance,
        recall=recall,
        kind="repair",
        description="返修",
        quantity=3,
        region="CN",
        due_on=timezone.localdate(),
    )
    today = timezone.localdate()

    def quote(code: str, currency: str) -> None:
        quotes.quote_add(
            actor=finance,
            request=rfq,
            terms=quotes.QuoteTerms(
                vendor=PartyFactory(code=code, party_type="service_partner"),
                price="100",
                currency=currency,
                lead_time_days=5,
                quoted_on=today,
                valid_until=today + timedelta(days=3),
            ),
        )

    quote("V1", "USD")
    client = signed_in(finance)
    url = f"/finance/quote-requests/{rfq.pk}/"
    queries(client, url)
    one = queries(client, url)
    for code, currency in (("V2", "EUR"), ("V3", "CNY"), ("V4", "USD")):
        quote(code, currency)
    assert queries(client, url) == one
    page = client.get(url).content.decode()
    assert page.count("no USD rate for the day") == 2
    assert page.count("no EUR rate for the day") == 1


def test_the_zh_payables_tables_label_the_document_number_not_the_recall_number(
    finance: User, recall: RecallCase, holder: Party
) -> None:
    refunds.refund_request(
        actor=finance, recall=recall, claim=claim(holder, quantity=1, amount="1")
    )
    client = signed_in(finance)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    for url in (f"/recalls/{recall.pk}/finance/payables/", "/finance/refunds/"):
        with translation.override(settings.LANGUAGE_CODE):  # the request's zh ends with it
            text = client.get(url).content.decode()
        assert "<th>单据编号</th><th>召回</th>" in text
        assert "<th>召回编号</th>" not in text
        assert "<th>Document number</th>" not in text


def test_the_award_list_names_the_vendors_in_the_readers_language(
    finance: User, recall: RecallCase
) -> None:
    rfq = quotes.quote_request_open(
        actor=finance,
        recall=recall,
        kind="logistics",
        description="取回",
        quantity=1,
        region="CN",
        due_on=timezone.localdate(),
    )
    today = timezone.localdate()
    for code, name, name_en, price in (
        ("SF", "顺丰速运", "SF Express", "10"),
        ("JD", "京东物流", "", "12"),
    ):
        quotes.quote_add(
            actor=finance,
            request=rfq,
            terms=quotes.QuoteTerms(
                vendor=PartyFactory(code=code, name=name, name_en=name_en, party_type="carrier"),
                price=price,
                currency="CNY",
                lead_time_days=1,
                quoted_on=today,
                valid_until=today + timedelta(days=3),
            ),
        )
    client = signed_in(finance)

    def options(language: str) -> list[str]:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        with translation.override(settings.LANGUAGE_CODE):  # the request's language ends with it
            text = client.get(f"/finance/quote-requests/{rfq.pk}/").content.decode()
        listed = text.split('<select name="vendor">', 1)[1].split("</select>", 1)[0]
        return re.findall(r'<option value="([^"]+)">([^<]+)</option>', listed)

    assert options("en") == [("SF", "SF Express"), ("JD", "京东物流")]
    assert options("zh-hans") == [("SF", "顺丰速运"), ("JD", "京东物流")]


def test_the_refund_page_says_who_may_still_approve_and_why_a_user_may_not(
    finance: User,
    finance2: User,
    finance3: User,
    make_user: Callable[..., User],
    recall: RecallCase,
    holder: Party,
) -> None:
    for user, given, family in (
        (finance, "Li", "Wang"),
        (finance2, "Min", "Zhou"),
        (finance3, "Jing", "Chen"),
    ):
        User.objects.filter(pk=user.pk).update(first_name=given, last_name=family)
    request = refunds.refund_request(
        actor=finance,
        recall=recall,
        claim=claim(holder, quantity=8, unit_price="1250", amount="10000.00"),
    )
    url = f"/finance/refunds/{request.pk}/"

    def seen(user: User) -> tuple[str, str, bool]:
        text = signed_in(user).get(url).content.decode()
        left = re.search(r'<p id="approvers-left">(.*?)</p>', text)
        refused = re.search(r'<p class="notice" id="approval-refused">(.*?)</p>', text)
        return (
            left.group(1) if left else "",
            refused.group(1) if refused else "",
            'id="approve-form"' in text,
        )

    assert seen(finance) == (
        "Still to approve: Min Zhou, Jing Chen",
        f"You entered {request.number}: another finance user approves it.",
        False,
    )
    assert seen(finance2) == ("Still to approve: Min Zhou, Jing Chen", "", True)
    assert seen(make_user(Role.VIEWER)) == (
        "Still to approve: Min Zhou, Jing Chen",
        "Only a finance approver approves refunds.",
        False,
    )
    refunds.refund_approve(actor=finance2, request=request)
    assert seen(finance2) == (
        "Still to give the second, signed approval: Jing Chen",
        f"You gave the first approval of {request.number}: the second approval needs a "
        "different approver.",
        False,
    )
    assert seen(finance3) == ("Still to give the second, signed approval: Jing Chen", "", True)


def holder_rows(text: str) -> list[tuple[str, ...]]:
    table = text.split('id="holder-units"', 1)[1].split("</table>", 1)[0]
    return [
        (code, *re.findall(r"<td>([^<]*)</td>", row)[1:])
        for code, row in re.findall(r'<tr data-holder="([^"]+)">(.*?)</tr>', table)
    ]


def test_the_refund_form_shows_what_each_holder_holds_and_can_still_be_refunded(
    finance: User, recall: RecallCase, holder: Party
) -> None:
    client = signed_in(finance)
    url = f"/recalls/{recall.pk}/finance/payables/"
    assert holder_rows(client.get(url).content.decode()) == [
        ("HOSP-A", "10", "0", "10"),  # held in the frozen scope, compensated, left
        ("HOSP-B", "5", "0", "5"),
    ]
    refunds.refund_request(actor=finance, recall=recall, claim=claim(holder))  # 4 units
    assert holder_rows(client.get(url).content.decode())[0] == ("HOSP-A", "10", "4", "6")
    refused = client.post(
        f"/recalls/{recall.pk}/finance/refunds/new/",
        {
            "holder": "HOSP-A",
            "quantity": "7",
            "unit_price": "100",
            "invoice_reference": "INV-10",
            "amount": "700",
            "currency": "CNY",
        },
    )
    text = refused.content.decode()
    assert refused.status_code == 400
    assert (
        "HOSP-A holds 10 units in the frozen scope of RC-2026-0201; 4 already requested or compensated; 7 asked: "
        "at most 6 more units can be refunded." in text
    )
    assert holder_rows(text)[0] == ("HOSP-A", "10", "4", "6")
    assert RefundRequest.objects.count() == 1


def test_the_holders_units_on_the_refund_form_keep_their_query_count(
    finance: User, recall: RecallCase
) -> None:
    client = signed_in(finance)
    url = f"/recalls/{recall.pk}/finance/payables/"
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    snapshot = recall.current_snapshot
    line = snapshot.lines.first()
    for n in range(6):
        party = PartyFactory(code=f"HOSP-X{n}", party_type="hospital")
        line.pk = None
        line.party = party
        line.location = LocationFactory(party=party)
        line.save()
    with CaptureQueriesContext(connection) as many:
        answer = client.get(url)
    assert len(holder_rows(answer.content.decode())) == 8
    assert len(many) == len(few)
