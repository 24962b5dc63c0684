"""Browser, as a finance user in English and in Chinese: the refund form shows what each holder
holds in the frozen scope and can still be refunded, with the holder named in the reader's
language; a request above what the holder holds is refused with the figures and nothing is
written; the refunds list and the vendor scorecard name parties in the reader's language and a
quote just chosen reads "no cost yet"; a portal user of another party sees none of it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.finance import ledger, quotes
from medrecall.finance.models_payables import RefundRequest
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from tests.e2e.test_browser import log_in
from tests.factories import PartyFactory
from tests.finance.payables_world import holder, recall  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "en": {
        "hospital": "City First Hospital",
        "carrier": "SF Express",
        "refused": "HOSP-A holds 10 units in the frozen scope of RC-2026-0201; 0 already requested or compensated; "
        "11 asked: at most 10 more units can be refunded.",
        "no_cost": "no cost yet",
    },
    "zh-hans": {
        "hospital": "市第一医院",
        "carrier": "顺丰速运",
        "refused": "HOSP-A 在 RC-2026-0201 的冻结范围内持有 10 件；已申请或已补偿 0 件；本次申请 11 件："
        "最多还可退款 10 件。",
        "no_cost": "尚无费用",
    },
}


def session(browser: Any, live_server: Any, user: User) -> Any:
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, live_server, user)
    return page


def fill_refund(page: Any, quantity: str, amount: str) -> None:
    page.click("#refund-new summary")
    form = page.locator("#refund-form")
    form.locator("input[name=holder]").fill("HOSP-A")
    form.locator("input[name=quantity]").fill(quantity)
    form.locator("input[name=unit_price]").fill("100")
    form.locator("input[name=invoice_reference]").fill("INV-7")
    form.locator("input[name=amount]").fill(amount)
    page.click("#refund-submit")


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_finance_user_meets_the_refund_ceiling_and_names_in_their_language(
    browser: Any,
    live_server: Any,
    make_user: Callable[..., User],
    recall: RecallCase,  # noqa: F811 - the fixture
    holder: Party,  # noqa: F811 - the fixture
    language: str,
) -> None:
    words = WORDS[language]
    Party.objects.filter(pk=holder.pk).update(name_en="City First Hospital")
    clerk = make_user(Role.FINANCE, language=language, username=f"clerk-{language}")
    sf = PartyFactory(code="SF", name="顺丰速运", name_en="SF Express", party_type="carrier")
    today = ledger.company_today()
    rfq = quotes.quote_request_open(
        actor=clerk,
        recall=recall,
        kind="logistics",
        description="取回",
        quantity=10,
        region="CN",
        due_on=today,
    )
    quote = quotes.quote_add(
        actor=clerk,
        request=rfq,
        terms=quotes.QuoteTerms(
            vendor=sf,
            price="900",
            currency="CNY",
            lead_time_days=2,
            quoted_on=today,
            valid_until=today + timedelta(days=30),
        ),
    )
    quotes.quote_award(actor=clerk, request=rfq, quote=quote, reason="价格", on=today)

    page = session(browser, live_server, clerk)
    page.goto(f"{live_server.url}/recalls/{recall.pk}/finance/payables/")
    page.click("#refund-new summary")
    cells = page.locator("#holder-units tr[data-holder=HOSP-A] td").all_inner_texts()
    assert cells == [f"HOSP-A {words['hospital']}", "10", "0", "10"]
    page.click("#refund-new summary")  # closed again; fill_refund opens it
    fill_refund(page, "11", "1100")
    page.wait_for_selector("#payables-error")
    assert page.inner_text("#payables-error") == words["refused"]
    assert not RefundRequest.objects.exists()
    page.goto(f"{live_server.url}/recalls/{recall.pk}/finance/payables/")
    fill_refund(page, "10", "1000")
    page.wait_for_selector("#refund-status[data-status=requested]")
    assert RefundRequest.objects.get().quantity == 10

    page.goto(f"{live_server.url}/finance/refunds/")
    assert f"HOSP-A {words['hospital']}" in page.inner_text("#refund-requests")
    page.goto(f"{live_server.url}/finance/vendor-scorecard/")
    row = page.locator("#scorecard tr[data-vendor=SF]")
    assert row.locator("td").first.inner_text() == f"SF {words['carrier']}"
    assert row.locator("td.variance").inner_text() == words["no_cost"]

    outsider = make_user(
        Role.PORTAL, party=PartyFactory(code="OTHER-CO"), username=f"portal-{language}"
    )
    portal = session(browser, live_server, outsider)
    for path in (
        f"/recalls/{recall.pk}/finance/payables/",
        "/finance/refunds/",
        f"/finance/refunds/{RefundRequest.objects.get().pk}/",
        "/finance/vendor-scorecard/",
        f"/finance/recalls/{recall.pk}/budget/",
    ):
        answer = portal.goto(f"{live_server.url}{path}")
        assert answer.status == 404, path
        assert "HOSP-A" not in portal.content(), path
