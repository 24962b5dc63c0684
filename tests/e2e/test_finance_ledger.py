"""Browser: a return is picked up and its carrier cost appears on the recall's ledger (posted by
the task the pick-up queued); finance posts an entry by hand with an invoice attached and
reverses it — in English and in Chinese."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.execution import services
from medrecall.finance.models import CostEntry
from medrecall.parties.models import Party
from tests.e2e.test_browser import log_in
from tests.execution.conftest import approve, open_recall, seed_carriers
from tests.traceability.scenario import network, run_events
from tests.traceability.test_trace import DISTRIBUTION

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

WORDS = {
    "en": {"ledger": "Costs of", "pickup": "Picked up", "reversed": "reversed"},
    "zh-hans": {"ledger": "的费用", "pickup": "已取件", "reversed": "已冲销"},
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_picked_up_return_costs_appear_and_a_manual_entry_is_posted_and_reversed(
    page: Any,
    browser: Any,
    live_server: Any,
    make_user: Callable[..., User],
    tmp_path: Path,
    language: str,
) -> None:
    network()
    assert run_events(tmp_path, DISTRIBUTION).accepted
    seed_carriers()
    manager = make_user(Role.QA_RA_MANAGER)
    recall = approve(open_recall(manager), make_user)
    ra = services.return_create(recall=recall, party=Party.objects.get(code="HOSP"), actor=manager)
    manager.language = language
    manager.save(update_fields=["language"])

    # The recall owner records the pick-up on the return's page.
    log_in(page, live_server, manager)
    page.goto(f"{live_server.url}/execution/returns/{ra.pk}/")
    page.click("button[data-target=picked_up]")
    page.wait_for_load_state()
    assert WORDS[language]["pickup"] in page.inner_text("h1")
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)  # the worker runs

    # Finance sees the carrier's cost on the recall's ledger, reached from the recall's page.
    finance = make_user(Role.FINANCE)
    finance.language = language
    finance.save(update_fields=["language"])
    context = browser.new_context(locale="en-US")
    desk = context.new_page()
    desk.set_default_timeout(15_000)
    try:
        log_in(desk, live_server, finance)
        desk.goto(f"{live_server.url}/recalls/{recall.pk}/")
        desk.click("#finance-link")
        desk.wait_for_selector("#ledger-list")
        assert WORDS[language]["ledger"] in desk.inner_text("h1")
        waybill = desk.locator(f"#ledger-list tr:has-text('{ra.number}')")
        ra.refresh_from_db()
        assert f"{ra.expected_cost} CNY" in waybill.inner_text()
        assert desk.inner_text("#ledger-total") == f"{ra.expected_cost} CNY"

        # A manual entry with its invoice attached…
        desk.click("#post-entry")
        desk.select_option("select[name=category]", "legal")
        desk.fill("input[name=amount]", "1200.00")
        desk.fill("input[name=document_reference]", "LAW-7")
        desk.set_input_files(
            "input[name=attachment]",
            files=[{"name": "opinion.pdf", "mimeType": "application/pdf", "buffer": PDF}],
        )
        desk.click("#post-submit")
        desk.wait_for_selector("#entry-attachment")
        manual = CostEntry.objects.get(source="manual")
        assert (manual.amount, manual.document_reference, manual.attachment_name) == (
            Decimal("1200.00"),
            "LAW-7",
            "opinion.pdf",
        )
        with desk.expect_download() as download:
            desk.click("#entry-attachment")
        assert Path(download.value.path()).read_bytes() == PDF

        # …reversed with a reason: the ledger keeps both, the total returns to the carrier's cost.
        desk.fill("#reverse-form input[name=reason]", "Wrong recall")
        desk.click("#reverse-entry")
        desk.wait_for_selector("#entry-fields")
        reversal = CostEntry.objects.get(reverses=manual)
        assert reversal.amount == Decimal("-1200.00")
        desk.goto(f"{live_server.url}/finance/entries/{manual.pk}/")
        assert WORDS[language]["reversed"] in desk.inner_text("h1")
        assert desk.locator("#reverse-form").count() == 0
        desk.goto(f"{live_server.url}/finance/recalls/{recall.pk}/")
        assert desk.inner_text("#ledger-total") == f"{ra.expected_cost} CNY"
    finally:
        context.close()
