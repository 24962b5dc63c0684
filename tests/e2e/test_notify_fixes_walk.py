"""Browser: the manager of a recall with NMPA and FDA, a holder in Singapore and no US
consignee sees, in English and in Chinese, the Singapore holder apart on the notify-by page
with the countries not covered named, the FDA deadlines "not owed" on the case and the filings
page (no "Met"), and the funnel with "notice sent" before "notified", each stage explained; a
portal user of another party gets 404 on each of these pages and sees nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.parties.models import Location, Party
from medrecall.recalls.models import RecallCase, RecallRegime
from tests.conftest import PASSWORD
from tests.e2e.test_browser import log_in
from tests.notices.conftest import approved_recall

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "en": {
        "uncovered": "Countries outside this recall's regimes: Singapore (SG): 1 holder.",
        "outside": "Outside this recall's regimes: no regulatory notify-by; notify all the same",
        "not_owed": "Not owed (no US consignees)",
        "met": "Met",
        "sent": "Notice sent",
        "notified_help": "The holder has the notice: a notice delivered, opened, acknowledged",
    },
    "zh-hans": {
        "uncovered": "以下国家不在本召回的任何法规范围内：新加坡 (SG)：1 个持有方。",
        "outside": "不在本召回的法规范围内：无法规规定的通知时限；仍须通知",
        "not_owed": "无需履行（无美国收货方）",
        "met": "已完成",
        "sent": "通知已发出",
        "notified_help": "持有方已收到通知：通知已送达、已打开、已确认收到或已回复",
    },
}


def _recall(tmp_path: Path, make_user: Callable[..., User]) -> tuple[User, RecallCase]:
    manager = make_user(Role.QA_RA_MANAGER)
    recall = approved_recall(tmp_path, manager, make_user, recall_class="II")
    RecallRegime.objects.create(recall=recall, regime="fda", recall_class="II")
    RecallCase.objects.filter(pk=recall.pk).update(initiated_at=datetime(2025, 3, 2, tzinfo=UTC))
    Location.objects.filter(party__code="HOSP2").update(country="SG")
    return manager, recall


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_manager_sees_outside_holders_not_owed_deadlines_and_the_funnel_explained(
    page: Any, live_server: Any, make_user: Callable[..., User], tmp_path: Path, language: str
) -> None:
    _manager, recall = _recall(tmp_path, make_user)
    viewer = make_user(Role.QA_RA_MANAGER, language=language)
    words = WORDS[language]
    log_in(page, live_server, viewer)

    page.goto(f"{live_server.url}/recalls/{recall.pk}/notices/holders/")
    page.wait_for_selector("#notify-by")
    assert page.locator("#notify-uncovered").inner_text().startswith(words["uncovered"])
    singapore = page.locator('#notify-by tr[data-holder="HOSP2"]')
    assert singapore.get_attribute("data-state") == "outside"
    assert singapore.locator("td").nth(2).inner_text() == "—"
    assert singapore.locator("td").nth(5).inner_text() == words["outside"]

    page.goto(f"{live_server.url}/recalls/{recall.pk}/")
    clock = page.locator("#deadline-list")
    assert clock.locator("span.not-owed").all_inner_texts() == [words["not_owed"]] * 3

    page.goto(f"{live_server.url}/recalls/{recall.pk}/filings/")
    for doc in ("fda.report_806", "fda.status_report"):
        due = page.locator(f'#filing-overview tr[data-doc="{doc}"] td.filing-due')
        assert due.inner_text().strip() == words["not_owed"]
        assert words["met"] not in due.inner_text()

    page.goto(f"{live_server.url}/recalls/{recall.pk}/cockpit/")
    page.wait_for_selector("#cockpit-funnel")
    keys = page.locator("#cockpit-funnel tbody tr").evaluate_all("rows => rows.map(r => r.id)")
    assert keys[:4] == ["funnel-affected", "funnel-sent", "funnel-notified", "funnel-delivered"]
    assert page.locator("#funnel-sent th").inner_text().startswith(words["sent"])
    assert words["notified_help"] in page.locator("#funnel-notified .stage-help").inner_text()


def test_a_portal_user_of_another_party_gets_404_and_sees_nothing(
    page: Any, live_server: Any, make_user: Callable[..., User], tmp_path: Path
) -> None:
    _manager, recall = _recall(tmp_path, make_user)
    other = Party.objects.create(code="ELSE", name="Another hospital", party_type="hospital")
    portal = make_user(Role.PORTAL, party=other)
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", portal.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    for path in ("notices/holders/", "filings/", "cockpit/", ""):
        answer = page.goto(f"{live_server.url}/recalls/{recall.pk}/{path}")
        # The cockpit is a staff page (403); the case and the others answer "not found" (the
        # case page too: a 403 told a portal user the recall exists).
        assert answer.status == (403 if path == "cockpit/" else 404), path
        assert "HOSP2" not in page.content()
        assert "Singapore" not in page.content()
    answer = page.goto(f"{live_server.url}/api/recalls/{recall.pk}/deadlines/")
    assert answer.status == 404
    assert "not_owed" not in page.content()
