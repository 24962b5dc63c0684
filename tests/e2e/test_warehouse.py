"""Browser: at the warehouse page a user scans a return in (keyboard only, as a scanner types),
sees each scan answered at once (a refused scan too), and dispositions the unit."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.execution import services
from medrecall.execution.models import Disposition, Receipt
from medrecall.execution.selectors import recall_accounting
from medrecall.parties.models import Party
from tests.e2e.test_browser import log_in
from tests.execution.conftest import approve, open_recall, seed_carriers
from tests.traceability.scenario import PUMP, network, run_events

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_scan_a_return_in_and_destroy_it(
    page: Any, live_server: Any, make_user: Callable[..., User], tmp_path: Path
) -> None:
    from tests.execution.conftest import PUMPS

    network()
    assert run_events(tmp_path, PUMPS, "pumps.csv").accepted
    seed_carriers()
    manager = make_user(Role.QA_RA_MANAGER)
    recall = approve(open_recall(manager, gtin=PUMP, values=["P-L1"]), make_user)
    ra = services.return_create(recall=recall, party=Party.objects.get(code="HOSP"), actor=manager)
    worker = make_user(Role.WAREHOUSE)
    log_in(page, live_server, worker)

    page.goto(f"{live_server.url}/execution/warehouse/")
    page.fill("input[name=ra]", ra.number)
    page.keyboard.press("Enter")
    page.wait_for_selector("#scan-box")
    page.keyboard.type("010695000000002621PS-001")  # the scanner types into the focused box…
    page.keyboard.press("Enter")  # …and ends with Enter
    page.wait_for_selector("#scan-feedback[data-outcome=matched]")
    assert "Serial PS-001 (lot P-L1) received" in page.inner_text("#scan-feedback")
    expect(page.locator("#scan-box")).to_be_focused()
    page.keyboard.type("010695000000002621PS-001")  # the same unit again
    page.keyboard.press("Enter")
    page.wait_for_selector("#scan-feedback[data-outcome=already_received]")
    assert "already received" in page.inner_text("#scan-feedback")
    assert Receipt.objects.count() == 1

    form = page.locator(".disposition-form").first
    form.locator("select[name=kind]").select_option("destroy")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#complete-form")
    page.fill("input[name=method]", "Shredding")
    page.fill("input[name=place]", "Suzhou plant")
    page.fill("input[name=performed_by]", "Veolia")
    page.fill("input[name=witnesses]", "张伟, Li Na")
    page.click("#complete")
    page.wait_for_selector("#certificate-link")
    disposition = Disposition.objects.get()
    assert (disposition.status, disposition.kind, disposition.serial.serial) == (
        "done",
        "destroy",
        "PS-001",
    )  # type: ignore[union-attr]
    accounting = recall_accounting(recall)
    assert accounting.balanced
    assert (
        accounting.total.dispositioned,
        accounting.total.at_holders,
        accounting.total.own_stock,
    ) == (1, 1, 1)
