"""Browser: a manager opens a recall, scopes it, sees the impact, classifies it and gets it
approved with an e-signature."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.recalls.models import RecallCase
from tests.conftest import PASSWORD
from tests.e2e.test_browser import log_in
from tests.traceability.scenario import network, run_events
from tests.traceability.test_trace import DISTRIBUTION

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_walks_a_recall_to_approval(
    page: Any, live_server: Any, make_user: Callable[..., User], tmp_path: Path
) -> None:
    network()
    assert run_events(tmp_path, DISTRIBUTION).accepted
    manager = make_user(Role.QA_RA_MANAGER)
    log_in(page, live_server, manager)
    page.goto(f"{live_server.url}/recalls/new/")
    page.fill("#id_title", "Catheter tip fracture")
    from medrecall.catalog.models import DeviceModel

    catheter = str(DeviceModel.objects.get(model_code="CATH").pk)
    page.select_option("#id_products", catheter)
    page.fill("#id_reason", "The tip may detach during insertion.")
    page.check("input[name=regimes][value=nmpa]")
    page.click("#recall-open-form button[type=submit]")
    page.wait_for_selector("#recall-pipeline")
    recall = RecallCase.objects.get()
    page.click("button[data-target=assessment]")
    page.wait_for_selector("text=The recall is now")
    page.select_option("#hazard-form select[name=severity]", "serious")
    page.select_option("#hazard-form select[name=likelihood]", "probable")
    page.click("#hazard-form button[type=submit]")
    page.wait_for_selector("text=classes proposed")
    assert "I" in page.locator("#recall-classes").inner_text()
    page.click("text=Add a scope rule")
    page.select_option("#scope-rule-form select[name=kind]", "lots")
    page.select_option("#scope-rule-form select[name=device_model]", catheter)
    page.fill("#scope-rule-form textarea[name=values]", "C1")
    page.click("#scope-rule-form button[type=submit]")
    page.wait_for_selector("text=Scope rule added")
    page.click("#scope-freeze")
    page.wait_for_selector("#impact")
    assert page.locator("#impact-units").inner_text() == "970"
    page.wait_for_selector("#chart-category canvas", state="attached")
    page.click("text=Edit the case")
    page.fill("#recall-edit-form input[name=decision_at]", "2025-03-01T10:00")
    page.click("#recall-edit-form button[type=submit]")
    page.wait_for_selector("text=Saved.")
    page.click("button[data-target=pending_approval]")
    page.wait_for_selector("#sign-form")
    # Two people sign (one may not sign both steps); each types the user ID at the first
    # signing of the session: the field is never pre-filled.
    for step, signer in (("qa_head", manager), ("ra_head", make_user(Role.QA_RA_MANAGER))):
        if signer != manager:
            page.context.clear_cookies()
            log_in(page, live_server, signer)
            page.goto(f"{live_server.url}/recalls/{recall.pk}/")
        assert page.input_value("#sign-form input[name=username]") == ""
        page.select_option("#sign-form select[name=step]", step)
        page.fill("#sign-form input[name=username]", signer.username)
        page.fill("#sign-form input[name=password]", PASSWORD)
        page.click("#sign-form button[type=submit]")
        page.wait_for_selector("text=Signed.")
    assert page.locator("#signature-list").inner_text().count("Approved") == 2
    page.click("button[data-target=in_execution]")
    page.wait_for_selector("text=The recall is now")
    recall.refresh_from_db()
    assert recall.status == "in_execution"
    clock = page.locator("#deadline-list").inner_text()
    assert "nmpa.notify_holders" not in clock  # people read titles, not keys
    assert "recall plan" in clock
    assert page.locator("#deadline-list tbody tr").count() >= 4
