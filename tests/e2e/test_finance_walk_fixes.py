"""Browser, as a new finance user in English and in Chinese: an amount typed as 1e40 is refused
with the limit (no error page), a holder outside the recall is told it is not in the scope, a
request for quotes for "Mars" is refused and one for "Sichuan, 重庆" shows the provinces by
name; a portal user of another party gets "not found" on the same pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.finance import ledger
from medrecall.finance.models_payables import QuoteRequest, RefundRequest
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from tests.e2e.test_browser import log_in
from tests.factories import PartyFactory
from tests.finance.payables_world import holder, recall  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "en": {
        "too_large": "An amount is at most 999,999,999,999.99.",
        "outside": "OUTSIDE is not in this recall's scope (RC-2026-0201, frozen scope 1)",
        "mars": "Mars is not a country or a province/state.",
        "regions": "Sichuan, Chongqing",
    },
    "zh-hans": {
        "too_large": "金额最多为 999,999,999,999.99。",
        "outside": "OUTSIDE 不在本召回的范围内（RC-2026-0201，第 1 版冻结范围）",
        "mars": "Mars 不是国家或省/州。",
        "regions": "四川省、重庆市",
    },
}


def session(browser: Any, live_server: Any, user: User) -> Any:
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, live_server, user)
    return page


def refund(page: Any, holder_code: str, unit_price: str, *, from_reply: bool = False) -> None:
    page.click("#refund-new summary")
    form = page.locator("#refund-form")
    form.locator("input[name=holder]").fill(holder_code)
    form.locator("input[name=quantity]").fill("1")
    form.locator("input[name=unit_price]").fill(unit_price)
    form.locator("input[name=invoice_reference]").fill("INV-1")
    form.locator("input[name=amount]").fill("10")
    if from_reply:
        form.locator("input[name=from_reply]").check()
    page.click("#refund-submit")
    page.wait_for_selector("#payables-error")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_new_finance_user_gets_clear_refusals_and_names(
    browser: Any,
    live_server: Any,
    make_user: Callable[..., User],
    recall: RecallCase,  # noqa: F811 - the fixture
    holder: Party,  # noqa: F811 - the fixture
    language: str,
) -> None:
    words = WORDS[language]
    PartyFactory(code="OUTSIDE", name="局外医院", party_type="hospital")
    clerk = make_user(Role.FINANCE, language=language, username=f"clerk-{language}")
    page = session(browser, live_server, clerk)
    url = f"{live_server.url}/recalls/{recall.pk}/finance/payables/"

    page.goto(url)
    refund(page, "HOSP-A", "1e40")
    assert words["too_large"] in page.inner_text("#payables-error")
    page.goto(url)
    refund(page, "OUTSIDE", "10", from_reply=True)
    assert words["outside"] in page.inner_text("#payables-error")
    assert not RefundRequest.objects.exists()

    page.goto(url)
    page.click("#rfq-new summary")
    form = page.locator("#rfq-form")
    form.locator("input[name=description]").fill("取回")
    form.locator("input[name=quantity]").fill("3")
    form.locator("input[name=region]").fill("Mars")
    form.locator("input[name=due_on]").fill(ledger.company_today().isoformat())
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#payables-error")
    assert words["mars"] in page.inner_text("#payables-error")
    assert not QuoteRequest.objects.exists()
    form = page.locator("#rfq-form")
    form.locator("input[name=region]").fill("Sichuan, 重庆")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#rfq-region")
    assert page.inner_text("#rfq-region") == words["regions"]
    rfq = QuoteRequest.objects.get()
    assert rfq.region == "CN-SC, CN-CQ"

    outsider = make_user(
        Role.PORTAL, party=PartyFactory(code="OTHER-CO"), username=f"portal-{language}"
    )
    portal = session(browser, live_server, outsider)
    for path in (
        f"/recalls/{recall.pk}/finance/payables/",
        f"/finance/quote-requests/{rfq.pk}/",
        f"/finance/recalls/{recall.pk}/budget/",
        f"/finance/recalls/{recall.pk}/",
    ):
        answer = portal.goto(f"{live_server.url}{path}")
        assert answer.status == 404, path
        assert "RC-2026-0201" not in portal.content()
