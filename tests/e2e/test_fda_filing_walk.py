"""Browser: a QA/RA manager generates the FDA 806 report, sees what the check reports (a
consignee without a phone, the sections to write), fixes it, checks, signs, submits with FDA's
acknowledgement and sees the 806 deadline done, in English and in Chinese; a portal user of a
holder reaches none of it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.catalog.models import Lot
from medrecall.filings.models import Filing
from medrecall.parties.models import Contact, Location, Party
from medrecall.recalls.models import DeadlineDone, RecallCase
from tests.conftest import PASSWORD
from tests.e2e.test_browser import log_in
from tests.filings.conftest import ACK, FDA_REGISTRATION, REPORT_806_SECTIONS
from tests.notices.conftest import approved_recall
from tests.traceability.scenario import CATH

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "en": {
        "phone": "Consignee HOSP has no phone number (no contact with a phone).",
        "complete": "Nothing is missing.",
        "submitted": "Submitted",
    },
    "zh-hans": {
        "phone": "收货方 HOSP 没有电话号码（没有留有电话的联系人）。",
        "complete": "内容齐全。",
        "submitted": "已提交",
    },
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_manager_files_the_fda_806_report(
    page: Any,
    live_server: Any,
    make_user: Callable[..., User],
    tmp_path: Path,
    settings: Any,
    language: str,
) -> None:
    settings.MEDRECALL_COMPANY = {
        **settings.MEDRECALL_COMPANY,
        "fda_registration": FDA_REGISTRATION,
    }
    manager = make_user(Role.QA_RA_MANAGER, language=language)
    recall = approved_recall(tmp_path, manager, make_user, regimes=("fda",), recall_class="II")
    # The consignees' sites in the US: a holder is under FDA only there.
    Location.objects.exclude(party__party_type="own_site").update(country="US")
    Lot.objects.filter(device_model__udi_di=CATH).update(quantity_produced=1000)
    RecallCase.objects.filter(pk=recall.pk).update(initiated_at=datetime(2025, 3, 3, 9, tzinfo=UTC))
    words = WORDS[language]
    log_in(page, live_server, manager)

    page.goto(f"{live_server.url}/recalls/{recall.pk}/filings/")
    page.click("button[data-generate='fda.report_806']")
    page.wait_for_selector("#filing-problems")
    problems = page.locator("#filing-problems li")
    assert problems.count() == 8
    assert problems.nth(0).inner_text() == words["phone"]

    # The missing phone is entered on the holder, the report generated again from the data.
    Contact.objects.create(
        party=Party.objects.get(code="HOSP"), name="Dr Lin", phone="+86 20 8888 0000"
    )
    page.goto(f"{live_server.url}/recalls/{recall.pk}/filings/")
    page.click("button[data-generate='fda.report_806']")
    page.wait_for_selector("#filing-problems")
    assert page.locator("#filing-problems li").count() == 7
    for key, text in REPORT_806_SECTIONS.items():
        form = page.locator(f"#filing-enter-form .filing-section[data-section='{key}']")
        form.locator(f"textarea[name='{key}_zh']").fill(text["zh"])
        form.locator(f"textarea[name='{key}_en']").fill(text["en"])
    page.click("#filing-save")
    page.wait_for_load_state()
    assert page.locator("#filing-complete").inner_text() == words["complete"]

    page.click("#filing-check-button")
    page.fill("#filing-sign-form input[name=username]", manager.username)
    page.fill("#filing-sign-form input[name=password]", PASSWORD)
    page.click("#filing-sign-form button[type=submit]")
    page.wait_for_selector("#filing-submit-form")
    assert page.locator("#signature-state").get_attribute("class") == "badge accepted"
    assert "CDRH" in page.locator("#filing-submit-form input[name=authority]").input_value()

    page.fill("#filing-submit-form input[name=reference]", "CDRH-806-2025-001")
    page.set_input_files(
        "#filing-submit-form input[name=acknowledgement]",
        files=[{"name": "ack.pdf", "mimeType": "application/pdf", "buffer": ACK}],
    )
    page.click("#filing-submit-form button[type=submit]")
    page.wait_for_selector("#filing-submissions .filing-reference")
    assert page.locator("#filing-status").inner_text() == words["submitted"]

    page.goto(f"{live_server.url}/recalls/{recall.pk}/filings/")
    row = page.locator("#filing-overview tr[data-doc='fda.report_806']")
    assert row.locator(".filing-status .badge").inner_text() == words["submitted"]
    assert row.locator(".filing-due .badge").get_attribute("class") == "badge accepted"
    assert list(DeadlineDone.objects.values_list("key", flat=True)) == ["fda.report_806"]
    report = Filing.objects.get(doc_type="fda.report_806")
    assert report.content["report_number"].startswith(f"{FDA_REGISTRATION}-")

    # A portal user of a holder reaches neither the filings nor the report.
    page.context.clear_cookies()
    portal = make_user(Role.PORTAL, party=Party.objects.get(code="HOSP"))
    log_in(page, live_server, portal)
    for path in (f"/recalls/{recall.pk}/filings/", f"/recalls/{recall.pk}/filings/{report.pk}/"):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 404
        assert "CDRH-806-2025-001" not in page.content()
