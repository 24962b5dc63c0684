"""Parties are named in the reader's language on finance's lists, as its pick lists already
were: the English name on English pages, the Chinese one on Chinese pages (refunds, the ledger,
the vendor scorecard, the refund form's holders, the report workbook, the refunds API), with no
query per row."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Callable

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from openpyxl import load_workbook
from rest_framework.test import APIClient

from medrecall.accounts.models import User
from medrecall.finance import ledger, quotes, refunds
from medrecall.finance.ledger import CostLine
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from tests.factories import PartyFactory
from tests.finance.payables_world import *  # noqa: F403
from tests.finance.payables_world import DAY, claim
from tests.finance.test_quotes import DUE, TODAY, terms

pytestmark = pytest.mark.django_db

NAMES = {
    "en": ("City First Hospital", "SF Express"),
    "zh-hans": ("市第一医院", "顺丰速运"),
}


@pytest.fixture
def named(finance: User, recall: RecallCase, holder: Party) -> Party:
    """HOSP-A with its English name, a refund for it, and carrier SF chosen with a cost."""
    Party.objects.filter(pk=holder.pk).update(name_en="City First Hospital")
    holder.refresh_from_db()
    refunds.refund_request(actor=finance, recall=recall, claim=claim(holder))
    sf = PartyFactory(code="SF", name="顺丰速运", name_en="SF Express", party_type="carrier")
    rfq = quotes.quote_request_open(
        actor=finance,
        recall=recall,
        kind="logistics",
        description="取回",
        quantity=4,
        region="CN",
        due_on=DUE,
    )
    quote = quotes.quote_add(actor=finance, request=rfq, terms=terms(sf, "100.00"))
    quotes.quote_award(actor=finance, request=rfq, quote=quote, reason="价格", on=TODAY)
    ledger.cost_post(
        actor=finance,
        recall=recall,
        line=CostLine(
            category="logistics", amount="80", currency="CNY", incurred_on=DAY, vendor=sf
        ),
    )
    return holder


def reader(user: User, language: str) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def text_of(client: Client, url: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):  # the request's language ends with it
        return html.unescape(client.get(url).content.decode())


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_finance_lists_name_parties_in_the_readers_language(
    finance: User, recall: RecallCase, named: Party, language: str
) -> None:
    hospital, carrier = NAMES[language]
    other_hospital, other_carrier = NAMES["zh-hans" if language == "en" else "en"]
    client = reader(finance, language)
    listing = text_of(client, "/finance/refunds/")
    table = listing.split('id="refund-requests"', 1)[1].split("</table>", 1)[0]
    assert f"HOSP-A {hospital}" in table
    assert other_hospital not in table
    request = refunds.refund_requests().get()
    assert f"HOSP-A {hospital}" in text_of(client, f"/finance/refunds/{request.pk}/")
    form = text_of(client, f"/recalls/{recall.pk}/finance/payables/")
    assert f'<tr data-holder="HOSP-A"><td>HOSP-A {hospital}</td>' in form
    assert f'<option value="HOSP-A">{hospital}</option>' in form
    scorecard = text_of(client, "/finance/vendor-scorecard/")
    assert re.search(rf'<tr data-vendor="SF"><td>SF {carrier}</td>', scorecard)
    assert other_carrier not in scorecard
    ledger_page = text_of(client, f"/finance/recalls/{recall.pk}/")
    assert f"<td>{carrier}</td>" in ledger_page
    with translation.override(settings.LANGUAGE_CODE):
        book = load_workbook(
            io.BytesIO(client.get(f"/finance/recalls/{recall.pk}/report.xlsx").content)
        )
    by_vendor = [[c.value for c in row] for row in book.worksheets[3].iter_rows()]
    assert by_vendor[1][:2] == [carrier, "SF"]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_refunds_api_names_the_holder_in_the_requests_language(
    finance: User, named: Party, api_as: Callable[[User | None], APIClient], language: str
) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        answer = api_as(finance).get("/api/finance/refunds/", HTTP_ACCEPT_LANGUAGE=language)
    rows = answer.json()["results"] if "results" in answer.json() else answer.json()
    assert [(r["holder"], r["holder_name"]) for r in rows] == [("HOSP-A", NAMES[language][0])]


def test_the_refund_list_reads_no_more_queries_for_more_holders(
    finance: User, recall: RecallCase, named: Party
) -> None:
    client = reader(finance, "en")
    text_of(client, "/finance/refunds/")
    with CaptureQueriesContext(connection) as few:
        text_of(client, "/finance/refunds/")
    line = recall.current_snapshot.lines.first()
    for n in range(5):
        party = PartyFactory(code=f"HOSP-N{n}", name=f"医院 {n}", name_en=f"Hospital {n}")
        line.pk, line.party = None, party
        line.save()
        refunds.refund_request(
            actor=finance, recall=recall, claim=claim(party, quantity=1, amount="1500.00")
        )
    with CaptureQueriesContext(connection) as many:
        page = text_of(client, "/finance/refunds/")
    assert "HOSP-N4 Hospital 4" in page
    assert len(many) == len(few)
