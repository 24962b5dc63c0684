"""Finance shows names, not codes: a request for quotes' regions and chosen vendor by name in
the reader's language, regions typed as names or codes and checked (no "Mars", nothing due in
the past), the cross-recall workbook's categories by their translated labels, subdivisions
without a Chinese name shown clearly, and pick lists of vendors and holders by name."""

from __future__ import annotations

import html
import io
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation
from openpyxl import load_workbook
from rest_framework.test import APIClient

from medrecall.accounts.models import User
from medrecall.audit.models import AuditEntry
from medrecall.finance import ledger, quotes
from medrecall.finance.ledger import CostLine
from medrecall.finance.models_payables import QuoteRequest
from medrecall.finance.regions import region_label, regions_checked
from medrecall.recalls.models import RecallCase
from tests.factories import PartyFactory
from tests.finance.payables_world import *  # noqa: F403
from tests.finance.payables_world import DAY

pytestmark = pytest.mark.django_db


def reader(user: User, language: str) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def page(client: Client, url: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):  # the request's language ends with it
        return html.unescape(client.get(url).content.decode())


@pytest.fixture
def awarded(finance: User, recall: RecallCase) -> QuoteRequest:
    today = ledger.company_today()
    rfq = quotes.quote_request_open(
        actor=finance,
        recall=recall,
        kind="logistics",
        description="取回",
        quantity=5,
        region="Sichuan, 重庆",
        due_on=today,
    )
    vendor = PartyFactory(
        code="CARRIER-JD", name="京东物流", name_en="JD Logistics", party_type="carrier"
    )
    quote = quotes.quote_add(
        actor=finance,
        request=rfq,
        terms=quotes.QuoteTerms(
            vendor=vendor,
            price="100",
            currency="CNY",
            lead_time_days=2,
            quoted_on=today,
            valid_until=today + timedelta(days=3),
        ),
    )
    return quotes.quote_award(actor=finance, request=rfq, quote=quote, reason="价格", on=today)


@pytest.mark.parametrize(
    ("typed", "stored", "en", "zh"),
    [
        ("CN-SC", "CN-SC", "Sichuan", "四川省"),
        ("四川, chongqing", "CN-SC, CN-CQ", "Sichuan, Chongqing", "四川省、重庆市"),
        ("China", "CN", "China", "中国"),
        ("sg-01", "SG-01", "Central Singapore", "新加坡 Central Singapore"),
    ],
)
def test_regions_are_stored_as_codes_and_shown_by_name(
    typed: str, stored: str, en: str, zh: str
) -> None:
    from medrecall.finance.regions import regions_label

    assert regions_checked(typed) == stored
    assert (regions_label(stored, "en"), regions_label(stored, "zh-hans")) == (en, zh)


def test_a_subdivision_without_a_chinese_name_says_its_country_in_chinese() -> None:
    assert region_label("SG-01", "zh-hans") == "新加坡 Central Singapore"
    assert region_label("CN-SC", "zh-hans") == "四川省"
    assert region_label("US-CA", "zh-hans") == "加利福尼亚州"


def test_the_rfq_pages_show_region_and_vendor_by_name_in_both_languages(
    finance: User, recall: RecallCase, awarded: QuoteRequest
) -> None:
    for language, region, vendor in (
        ("en", "Sichuan, Chongqing", "JD Logistics"),
        ("zh-hans", "四川省、重庆市", "京东物流"),
    ):
        client = reader(finance, language)
        detail = page(client, f"/finance/quote-requests/{awarded.pk}/")
        listing = page(client, f"/recalls/{recall.pk}/finance/payables/")
        assert f'<dd id="rfq-region">{region}</dd>' in detail
        assert f'<dd id="award">{vendor} · ' in detail
        assert f"<td>{region}</td>" in listing
        assert f"<td>{vendor}</td>" in listing
        assert "CARRIER-JD ·" not in detail
        assert "<td>CN-SC, CN-CQ</td>" not in listing


def test_the_api_gives_codes_and_names(
    finance: User, awarded: QuoteRequest, api_as: Callable[[User | None], APIClient]
) -> None:
    body = api_as(finance).get(f"/api/finance/quote-requests/{awarded.pk}/").json()["request"]
    assert (body["region"], body["region_name"]) == ("CN-SC, CN-CQ", "Sichuan, Chongqing")
    assert (body["awarded_vendor"], body["awarded_vendor_name"]) == ("CARRIER-JD", "JD Logistics")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "region",
            "Mars",
            "Mars is not a country or a province/state. Give an ISO code or a name, e.g. CN, "
            "China, 中国, CN-SC, Sichuan, 四川; several separated by commas.",
        ),
        ("due_on", "2020-01-01", "Quotes cannot be due on 2020-01-01, before today ("),
    ],
)
def test_a_request_for_mars_or_due_in_the_past_is_refused_on_the_page(
    finance: User, recall: RecallCase, field: str, value: str, message: str
) -> None:
    form = {
        "kind": "logistics",
        "description": "取回",
        "quantity": "3",
        "region": "CN",
        "due_on": ledger.company_today().isoformat(),
    }
    answer = reader(finance, "en").post(
        f"/recalls/{recall.pk}/finance/quote-requests/new/", {**form, field: value}
    )
    assert answer.status_code == 400
    assert message in html.unescape(answer.content.decode())
    assert not QuoteRequest.objects.exists()
    assert not AuditEntry.objects.filter(action="finance.quote_request_opened").exists()


def test_the_quote_and_refund_forms_offer_names_to_pick_from(
    finance: User, recall: RecallCase
) -> None:
    rfq = quotes.quote_request_open(
        actor=finance,
        recall=recall,
        kind="repair",
        description="返修",
        quantity=1,
        region="CN",
        due_on=ledger.company_today(),
    )
    PartyFactory(
        code="SVC-1", name="华南维修", name_en="South Repair", party_type="service_partner"
    )
    PartyFactory(code="HOSP-Z", name="不是供应商", party_type="hospital")
    client = reader(finance, "en")
    detail = page(client, f"/finance/quote-requests/{rfq.pk}/")
    assert '<option value="SVC-1">South Repair</option>' in detail
    assert 'value="HOSP-Z"' not in detail
    payables = page(client, f"/recalls/{recall.pk}/finance/payables/")
    assert '<option value="HOSP-A">市第一医院</option>' in payables


def test_the_cross_recall_workbook_names_categories_in_the_readers_language(
    finance: User, recall: RecallCase
) -> None:
    ledger.cost_post(
        actor=finance,
        recall=recall,
        line=CostLine(category="logistics", amount="10", currency="CNY", incurred_on=DAY),
    )
    for language, expected in (("en", "Logistics"), ("zh-hans", "物流")):
        client = reader(finance, language)
        with translation.override(settings.LANGUAGE_CODE):
            answer = client.get("/finance/reports.xlsx")
        book = load_workbook(io.BytesIO(answer.content))
        sheet = book.worksheets[1]  # by category
        rows = [[c.value for c in row] for row in sheet.iter_rows()]
        assert rows[1] == [expected, 1, 10, "CNY"]
        assert "logistics" not in [r[0] for r in rows]


def test_the_entry_form_offers_vendors_and_the_scopes_holders_by_name(
    finance: User, recall: RecallCase
) -> None:
    PartyFactory(code="SF", name="顺丰速运", name_en="SF Express", party_type="carrier")
    text = page(reader(finance, "zh-hans"), f"/finance/recalls/{recall.pk}/post/")
    vendors = text.split('<datalist id="entry-vendors">', 1)[1].split("</datalist>", 1)[0]
    holders = text.split('<datalist id="entry-holders">', 1)[1].split("</datalist>", 1)[0]
    assert '<option value="SF">顺丰速运</option>' in vendors
    assert '<option value="HOSP-A">市第一医院</option>' in holders
    assert "HOSP-" not in vendors
