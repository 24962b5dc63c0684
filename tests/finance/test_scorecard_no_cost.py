"""The vendor scorecard leaves a quote just chosen, with no cost posted yet with that vendor on
its recall, out of the quoted amount and the variance: "no cost yet", not −100 %; page, API and
command line, in English and Chinese."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from decimal import Decimal
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils import translation
from rest_framework.test import APIClient

from medrecall.accounts.models import User
from medrecall.finance import ledger, quotes
from medrecall.finance.ledger import CostLine
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from tests.factories import PartyFactory
from tests.finance.payables_world import *  # noqa: F403
from tests.finance.test_quotes import DUE, TODAY, terms

pytestmark = pytest.mark.django_db


@pytest.fixture
def sf(db: None) -> Party:
    return PartyFactory(code="SF", name="顺丰速运", name_en="SF Express", party_type="carrier")


def award(finance: User, recall: RecallCase, vendor: Party, price: str) -> None:
    rfq = quotes.quote_request_open(
        actor=finance,
        recall=recall,
        kind="logistics",
        description="取回",
        quantity=11,
        region="广东省",
        due_on=DUE,
    )
    quote = quotes.quote_add(actor=finance, request=rfq, terms=terms(vendor, price))
    quotes.quote_award(actor=finance, request=rfq, quote=quote, reason="价格", on=TODAY)


def post(finance: User, recall: RecallCase, vendor: Party, amount: str) -> None:
    ledger.cost_post(
        actor=finance,
        recall=recall,
        line=CostLine(
            category="logistics", amount=amount, currency="CNY", incurred_on=TODAY, vendor=vendor
        ),
    )


def variance_cell(client: Client) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        text = html.unescape(client.get("/finance/vendor-scorecard/").content.decode())
    row = re.search(r'<tr data-vendor="SF">(.*?)</tr>', text, re.S)
    assert row is not None
    found = re.search(r'<td class="variance">(.*?)</td>', row.group(1))
    assert found is not None
    return re.sub(r"<[^>]+>", "", found.group(1))


@pytest.mark.parametrize(("language", "words"), [("en", "no cost yet"), ("zh-hans", "尚无费用")])
def test_a_quote_just_awarded_shows_no_cost_yet_not_minus_100_percent(
    finance: User,
    recall: RecallCase,
    sf: Party,
    api_as: Callable[[User | None], APIClient],
    language: str,
    words: str,
) -> None:
    award(finance, recall, sf, "900.00")
    (row,) = quotes.vendor_scorecard(vendor=sf)
    assert row.as_dict() | {"vendor_name": ""} == {
        "vendor": "SF",
        "vendor_name": "",
        "recalls": 1,
        "awarded_recalls": 1,
        "awarded_without_cost": 1,
        "quoted_without_cost": "900.00",
        "quoted": "0.00",
        "actual_on_awarded": "0.00",
        "actual": "0.00",
        "variance": None,
        "no_cost_yet": True,
        "variance_percent": None,
        "returns_measured": 0,
        "returns_on_time": 0,
        "work_orders_done": 0,
        "work_orders_on_time": 0,
        "on_time_percent": None,
    }
    client = Client()
    client.force_login(finance)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    assert variance_cell(client) == words
    api = api_as(finance).get("/api/finance/vendor-scorecard/").json()
    assert [(r["vendor"], r["variance"], r["no_cost_yet"]) for r in api] == [("SF", None, True)]
    out = StringIO()
    call_command("finance", "quotes", "scorecard", "--json", stdout=out)
    assert json.loads(out.getvalue())["vendors"][0]["no_cost_yet"] is True


def test_a_quote_without_cost_is_left_out_of_the_vendors_variance(
    finance: User, manager: User, recall: RecallCase, sf: Party
) -> None:
    other = RecallCase.objects.create(
        number="RC-2026-0202", title="第二次召回", owner=manager, status="in_execution"
    )
    award(finance, recall, sf, "900.00")
    post(finance, recall, sf, "600.00")
    post(finance, recall, sf, "450.00")
    award(finance, other, sf, "500.00")  # just chosen, nothing posted yet
    (row,) = quotes.vendor_scorecard(vendor=sf)
    found = row.as_dict()
    assert (
        found["awarded_recalls"],
        found["awarded_without_cost"],
        found["quoted_without_cost"],
        found["quoted"],
        found["actual_on_awarded"],
        found["variance"],
        found["variance_percent"],
        found["no_cost_yet"],
    ) == (2, 1, "500.00", "900.00", "1050.00", "150.00", "16.7", False)
    client = Client()
    client.force_login(finance)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert variance_cell(client) == "150.00 (16.7 %)"
    post(finance, other, sf, "480.00")  # its first cost: now compared
    (row,) = quotes.vendor_scorecard(vendor=sf)
    assert (row.quoted, row.variance, row.variance_percent, row.awaiting_cost) == (
        Decimal("1400.00"),
        Decimal("130.00"),
        Decimal("9.3"),
        {},
    )
