"""Browser: finance enters a refund request at a recall, a second finance user gives the first
approval, a third signs the second (the amount is at the four-eyes threshold), the first pays
it and exports the payments for accounts payable — in English and in Chinese."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.finance.models import CostEntry
from medrecall.finance.models_payables import RefundRequest
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from tests.conftest import PASSWORD
from tests.e2e.test_browser import log_in
from tests.finance.payables_world import holder, recall  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "en": {"awaiting": "Awaiting second approval", "approved": "Approved", "paid": "Paid"},
    "zh-hans": {"awaiting": "待第二次批准", "approved": "已批准", "paid": "已支付"},
}


def session(browser: Any, live_server: Any, user: User) -> Any:
    context = browser.new_context(locale="en-US", accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    log_in(page, live_server, user)
    return page


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_enter_approve_with_signature_pay_and_export_a_refund(
    browser: Any,
    live_server: Any,
    make_user: Callable[..., User],
    recall: RecallCase,  # noqa: F811 - the fixture
    holder: Party,  # noqa: F811 - the fixture
    language: str,
) -> None:
    words = WORDS[language]
    clerk, first, second = (
        make_user(Role.FINANCE, language=language, username=f"{name}-{language}")
        for name in ("clerk", "first", "second")
    )
    page = session(browser, live_server, clerk)
    page.goto(f"{live_server.url}/recalls/{recall.pk}/")
    page.click("#finance-payables-link")
    page.click("#refund-new summary")
    form = page.locator("#refund-form")
    form.locator("input[name=holder]").fill("HOSP-A")
    form.locator("input[name=quantity]").fill("8")
    form.locator("input[name=unit_price]").fill("1250")
    form.locator("input[name=invoice_reference]").fill("INV-2025-0042")
    form.locator("input[name=amount]").fill("10000")
    page.click("#refund-submit")
    page.wait_for_selector("#refund-status[data-status=requested]")
    request = RefundRequest.objects.get()

    approver = session(browser, live_server, first)
    approver.goto(f"{live_server.url}/finance/refunds/{request.pk}/")
    approver.click("#approve")
    approver.wait_for_selector("#refund-status[data-status=awaiting_second]")
    assert approver.inner_text("#refund-status") == words["awaiting"]

    signer = session(browser, live_server, second)
    signer.goto(f"{live_server.url}/finance/refunds/{request.pk}/")
    signer.fill("#approve-form input[name=username]", second.username)
    signer.fill("#approve-form input[name=password]", PASSWORD)
    signer.click("#approve")
    signer.wait_for_selector("#refund-status[data-status=approved]")
    assert signer.inner_text("#refund-status") == words["approved"]
    assert second.username in signer.inner_text("#second-approval")

    page.goto(f"{live_server.url}/finance/refunds/{request.pk}/")
    page.fill("#pay-form input[name=paid_on]", "2026-11-30")
    page.fill("#pay-form input[name=reference]", "BANK-77")
    page.click("#pay")
    page.wait_for_selector("#refund-status[data-status=paid]")
    assert page.inner_text("#refund-status") == words["paid"]
    assert CostEntry.objects.get().source_key == request.number

    page.goto(f"{live_server.url}/finance/ap-exports/")
    page.click("#ap-export")
    page.wait_for_selector("#ap-batches .ap-csv")
    with page.expect_download() as download:
        page.click("#ap-batches .ap-csv")
    data = download.value.path().read_bytes().decode("utf-8-sig")
    header, row = data.splitlines()[:2]
    assert header.split(",")[:3] == ["batch_number", "payment_number", "document_type"]
    assert request.number in row
    assert "BANK-77" in row


FOUR_EYES = {
    "en": {
        "left": "Still to approve:",
        "no_right": "Only a finance approver approves refunds.",
        "second_left": "Still to give the second, signed approval:",
        "entered": "You entered {number}: another finance user approves it.",
        "first": "You gave the first approval of {number}: the second approval needs a "
        "different approver.",
    },
    "zh-hans": {
        "left": "尚可审批的人员：",
        "no_right": "只有具备审批权限的财务人员才能审批退款。",
        "second_left": "尚可进行第二次（电子签名）审批的人员：",
        "entered": "",
        "first": "",
    },
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_an_above_threshold_refund_is_completed_by_the_demo_roles(
    browser: Any,
    live_server: Any,
    make_user: Callable[..., User],
    recall: RecallCase,  # noqa: F811 - the fixture
    holder: Party,  # noqa: F811 - the fixture
    language: str,
) -> None:
    """The demo's people: customer service enters the refund the holder asked for in its reply,
    ``finance`` gives the first approval, ``finance_approver`` signs the second; each page says
    who may still approve and why the reader may not."""
    from tests.finance.test_refund_from_reply import holder_replies

    holder_replies(recall, holder)
    words = {**WORDS[language], **FOUR_EYES[language]}
    service = make_user(Role.CUSTOMER_SERVICE, language=language, username=f"cs-{language}")
    finance = make_user(Role.FINANCE, language=language, username=f"finance-{language}")
    approver = make_user(Role.FINANCE, language=language, username=f"finapprover-{language}")
    User.objects.filter(pk=finance.pk).update(first_name="Li", last_name="Wang")
    User.objects.filter(pk=approver.pk).update(first_name="Min", last_name="Zhou")

    page = session(browser, live_server, service)
    page.goto(f"{live_server.url}/recalls/{recall.pk}/finance/payables/")
    page.click("#refund-new summary")
    cells = page.locator("#holder-units tr[data-holder=HOSP-A] td").all_inner_texts()
    assert cells[1:] == ["10", "0", "10"]  # holds in the frozen scope, compensated, left
    form = page.locator("#refund-form")
    form.locator("input[name=holder]").fill("HOSP-A")
    form.locator("input[name=quantity]").fill("8")
    form.locator("input[name=unit_price]").fill("1250")
    form.locator("input[name=invoice_reference]").fill("INV-2025-0042")
    form.locator("input[name=amount]").fill("10000")
    page.click("#refund-submit")
    page.wait_for_selector("#refund-status[data-status=requested]")
    request = RefundRequest.objects.get()
    assert (request.source, request.requested_by) == ("reply", service)
    left = page.inner_text("#approvers-left")
    assert left.startswith(words["left"])
    assert "Wang" in left
    assert "Zhou" in left
    assert page.locator("#approve-form").count() == 0
    assert page.inner_text("#approval-refused") == words["no_right"]

    first = session(browser, live_server, finance)
    first.goto(f"{live_server.url}/finance/refunds/{request.pk}/")
    first.click("#approve")
    first.wait_for_selector("#refund-status[data-status=awaiting_second]")
    assert first.inner_text("#refund-status") == words["awaiting"]
    assert first.locator("#approve-form").count() == 0
    assert first.inner_text("#approvers-left").startswith(words["second_left"])
    assert "Zhou" in first.inner_text("#approvers-left")
    if words["first"]:
        assert first.inner_text("#approval-refused") == words["first"].format(number=request.number)
    else:
        assert request.number in first.inner_text("#approval-refused")

    signer = session(browser, live_server, approver)
    signer.goto(f"{live_server.url}/finance/refunds/{request.pk}/")
    signer.fill("#approve-form input[name=username]", approver.username)
    signer.fill("#approve-form input[name=password]", PASSWORD)
    signer.click("#approve")
    signer.wait_for_selector("#refund-status[data-status=approved]")
    assert signer.inner_text("#refund-status") == words["approved"]
    request.refresh_from_db()
    assert (request.first_approver, request.second_approver) == (finance, approver)
