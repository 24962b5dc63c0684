"""Browser: a QA/RA manager generates the NMPA recall plan, sees what the check reports,
writes the missing sections, signs, submits with the authority's acknowledgement and sees
the plan's deadline done, in English and in Chinese."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.catalog.models import DeviceModel, Lot
from medrecall.filings.models import Filing
from medrecall.recalls.models import DeadlineDone
from tests.conftest import PASSWORD
from tests.e2e.test_browser import log_in
from tests.filings.conftest import ACK, PLAN_SECTIONS
from tests.notices.conftest import approved_recall
from tests.traceability.scenario import CATH

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "en": {
        "publication": "3. How and where the recall is published",
        "complete": "Nothing is missing.",
        "submitted": "Submitted",
    },
    "zh-hans": {
        "publication": "三、召回信息的公布途径与范围",
        "complete": "内容齐全。",
        "submitted": "已提交",
    },
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_manager_files_the_nmpa_recall_plan(
    page: Any,
    live_server: Any,
    make_user: Callable[..., User],
    tmp_path: Path,
    language: str,
) -> None:
    manager = make_user(Role.QA_RA_MANAGER, language=language)
    recall = approved_recall(tmp_path, manager, make_user, recall_class="II")
    DeviceModel.objects.filter(udi_di=CATH).update(registration_no="国械注准20203030001")
    Lot.objects.filter(device_model__udi_di=CATH).update(quantity_produced=1000)
    words = WORDS[language]
    log_in(page, live_server, manager)

    page.goto(f"{live_server.url}/recalls/{recall.pk}/")
    page.click("#filings-link")
    page.click("button[data-generate='nmpa.recall_plan']")
    page.wait_for_selector("#filing-problems")
    problems = page.locator("#filing-problems li")
    assert problems.count() == 4
    assert words["publication"] in problems.nth(1).inner_text()

    page.click("#filing-check-button")
    page.wait_for_selector("#filing-problems")
    assert Filing.objects.get().status == "draft"

    # Every section typed, one save: nothing typed is lost.
    for key, text in PLAN_SECTIONS.items():
        form = page.locator(f"#filing-enter-form .filing-section[data-section='{key}']")
        form.locator(f"textarea[name='{key}_zh']").fill(text["zh"])
        form.locator(f"textarea[name='{key}_en']").fill(text["en"])
    page.click("#filing-save")
    page.wait_for_load_state()
    assert Filing.objects.get().entered == PLAN_SECTIONS
    assert page.locator("#filing-complete").inner_text() == words["complete"]

    page.click("#filing-check-button")
    page.fill("#filing-sign-form input[name=username]", manager.username)
    page.fill("#filing-sign-form input[name=password]", PASSWORD)
    page.click("#filing-sign-form button[type=submit]")
    page.wait_for_selector("#filing-submit-form")
    assert page.locator("#signature-state").get_attribute("class") == "badge accepted"

    page.fill("#filing-submit-form input[name=reference]", "YJZH-2025-017")
    page.set_input_files(
        "#filing-submit-form input[name=acknowledgement]",
        files=[{"name": "receipt.pdf", "mimeType": "application/pdf", "buffer": ACK}],
    )
    page.click("#filing-submit-form button[type=submit]")
    page.wait_for_selector("#filing-submissions .filing-reference")
    assert (
        page.locator("#filing-submissions .filing-reference").first.inner_text() == "YJZH-2025-017"
    )
    assert page.locator("#filing-status").inner_text() == words["submitted"]

    page.goto(f"{live_server.url}/recalls/{recall.pk}/filings/")
    row = page.locator("#filing-overview tr[data-doc='nmpa.recall_plan']")
    assert row.locator(".filing-status .badge").inner_text() == words["submitted"]
    assert row.locator(".filing-due .badge").get_attribute("class") == "badge accepted"
    assert list(DeadlineDone.objects.values_list("key", flat=True)) == ["nmpa.recall_plan"]
