"""Browser: for an EU recall a QA/RA manager opens the regulatory filings, sees the FSCA
report and the draft FSN among the documents, finds the first FSN blocked on the FSN gate
page, signs the urgent override and sees the gate open, in English and in Chinese; a portal
user of another party gets 404."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.notices.models import FsnOverride
from medrecall.parties.models import Party
from tests.conftest import PASSWORD
from tests.e2e.test_browser import log_in
from tests.notices.conftest import approved_recall

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "en": {"gate": "Field safety notice gate (EU MDR)", "open": "The first FSN may go out."},
    "zh-hans": {"gate": "现场安全通知放行控制（欧盟 MDR）", "open": "首份现场安全通知可以发出。"},
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_manager_signs_the_urgent_fsn_override(
    page: Any,
    live_server: Any,
    make_user: Callable[..., User],
    tmp_path: Path,
    settings: Any,
    language: str,
) -> None:
    settings.MEDRECALL_COMPANY = {**settings.MEDRECALL_COMPANY, "srn": "CN-MF-000012345"}
    manager = make_user(Role.QA_RA_MANAGER, language=language)
    recall = approved_recall(tmp_path, manager, make_user, regimes=("eu_mdr",), recall_class="fsca")
    Party.objects.exclude(party_type="own_site").update(country="DE")
    words = WORDS[language]
    log_in(page, live_server, manager)

    page.goto(f"{live_server.url}/recalls/{recall.pk}/filings/")
    assert page.locator("tr[data-doc='eu_mdr.fsca_report']").count() == 1
    assert page.locator("tr[data-doc='eu_mdr.draft_fsn']").count() == 1
    assert page.locator("tr[data-doc='eu_mdr.fsca_final']").count() == 1
    assert page.locator("#fsn-gate-link").inner_text() == words["gate"]
    page.click("#fsn-gate-link")
    page.wait_for_selector("#fsn-blocked")
    assert page.locator("#fsn-blocked li").count() == 2

    page.fill("#fsn-override textarea[name=reason]", "Patients at risk today.")
    page.fill("#fsn-override input[name=authority]", "BfArM")
    page.fill("#fsn-override input[name=reference]", "phone 2025-03-01 10:00")
    if page.locator("#fsn-override input[name=username]").count():
        page.fill("#fsn-override input[name=username]", manager.username)
    page.fill("#fsn-override input[name=password]", PASSWORD)
    page.click("#fsn-override button[type=submit]")
    page.wait_for_selector("#fsn-open")
    assert page.locator("#fsn-open").inner_text() == words["open"]
    assert "BfArM" in page.locator("dd[data-item=override]").inner_text()
    assert FsnOverride.objects.get().authority == "BfArM"

    portal = make_user(Role.PORTAL, party=Party.objects.get(code="HOSP"))
    page.context.clear_cookies()
    log_in(page, live_server, portal)
    answer = page.goto(f"{live_server.url}/recalls/{recall.pk}/fsn-gate/")
    assert answer is not None
    assert answer.status == 404
