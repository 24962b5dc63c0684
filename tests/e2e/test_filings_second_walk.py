"""Browser, in English and in Chinese: an 806 report submitted before the first notice says
there is no deadline yet and counts as met once the deadline starts; the effectiveness page lists
what keeps the recall from closing while it executes; the FSN gate of a recall without the EU
regime is not found; GET on FDA's record leads to it; a portal user of another party reaches
none of the filings, effectiveness or FSN gate pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.catalog.models import Lot
from medrecall.filings.models import Filing
from medrecall.parties.models import Contact, Location, Party
from medrecall.recalls import closure
from medrecall.recalls.models import RecallCase
from tests.conftest import PASSWORD
from tests.e2e.test_browser import log_in
from tests.filings.conftest import ACK, FDA_REGISTRATION, REPORT_806_SECTIONS
from tests.notices.conftest import approved_recall
from tests.traceability.scenario import CATH

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "en": {
        "no_deadline": (
            "Submission recorded. There is no deadline for this document yet: it will count as "
            "met when it starts."
        ),
        "closing": "Closing is refused until:",
    },
    "zh-hans": {
        "no_deadline": "已记录提交。 该文件目前尚无期限：期限开始计算时即视为已完成。",
        "closing": "满足以下条件前不能关闭：",
    },
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_an_806_report_filed_before_the_first_notice_and_the_closure_blockers(
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
    Contact.objects.create(
        party=Party.objects.get(code="HOSP"), name="Dr Lin", phone="+86 20 8888 0000"
    )
    assert RecallCase.objects.get(pk=recall.pk).initiated_at is None
    words = WORDS[language]
    log_in(page, live_server, manager)

    page.goto(f"{live_server.url}/recalls/{recall.pk}/filings/")
    page.click("button[data-generate='fda.report_806']")
    page.wait_for_selector("#filing-problems")
    for key, text in REPORT_806_SECTIONS.items():
        form = page.locator(f"#filing-enter-form .filing-section[data-section='{key}']")
        form.locator(f"textarea[name='{key}_zh']").fill(text["zh"])
        form.locator(f"textarea[name='{key}_en']").fill(text["en"])
    page.click("#filing-save")
    page.wait_for_load_state()
    page.click("#filing-check-button")
    page.fill("#filing-sign-form input[name=username]", manager.username)
    page.fill("#filing-sign-form input[name=password]", PASSWORD)
    page.click("#filing-sign-form button[type=submit]")
    page.wait_for_selector("#filing-submit-form")
    page.fill("#filing-submit-form input[name=reference]", "CDRH-806-2025-001")
    page.set_input_files(
        "#filing-submit-form input[name=acknowledgement]",
        files=[{"name": "ack.pdf", "mimeType": "application/pdf", "buffer": ACK}],
    )
    page.click("#filing-submit-form button[type=submit]")
    page.wait_for_selector("#filing-submissions .filing-reference")
    assert page.locator("article.message.success").inner_text() == words["no_deadline"]

    # The first notice goes out: the 806 deadline appears, done by the submitted report.
    RecallCase.objects.filter(pk=recall.pk).update(initiated_at=datetime(2025, 3, 3, 9, tzinfo=UTC))
    page.goto(f"{live_server.url}/recalls/{recall.pk}/filings/")
    row = page.locator("#filing-overview tr[data-doc='fda.report_806']")
    assert row.locator(".filing-due .badge").get_attribute("class") == "badge accepted"

    # While executing, the effectiveness page lists what keeps the recall from closing.
    page.goto(f"{live_server.url}/recalls/{recall.pk}/effectiveness/")
    assert words["closing"] in page.locator("#close").inner_text()
    shown = page.locator("#close-blockers li").all_inner_texts()
    with translation.override(language):
        expected = closure.blocker_lines(
            closure.closure_report(RecallCase.objects.get(pk=recall.pk))
        )
    assert shown == expected

    # No EU regime: no FSN gate. GET on FDA's record leads to it on the filings page.
    assert page.goto(f"{live_server.url}/recalls/{recall.pk}/fsn-gate/").status == 404
    page.goto(f"{live_server.url}/recalls/{recall.pk}/filings/fda-record/")
    assert page.url.endswith(f"/recalls/{recall.pk}/filings/#fda-record")
    assert page.locator("#fda-record").is_visible()

    # A portal user of a holder reaches none of these pages.
    report = Filing.objects.get(doc_type="fda.report_806")
    page.context.clear_cookies()
    portal = make_user(Role.PORTAL, party=Party.objects.get(code="HOSP"))
    log_in(page, live_server, portal)
    for path in (
        f"/recalls/{recall.pk}/filings/",
        f"/recalls/{recall.pk}/filings/{report.pk}/",
        f"/recalls/{recall.pk}/effectiveness/",
        f"/recalls/{recall.pk}/fsn-gate/",
        f"/recalls/{recall.pk}/filings/fda-record/",
    ):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 404, path
        assert "CDRH-806-2025-001" not in page.content()
