"""Browser: customer service opens a recall's notices, follows the link to the holders' notify-by
times, sees who is overdue and filters them, in English and in Chinese; a portal user of another
party gets 404 and sees no holder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.parties.models import Party
from tests.conftest import PASSWORD
from tests.e2e.test_browser import log_in
from tests.notices.conftest import approved_recall

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "en": {"summary": "4 of 4 holders are overdue.", "overdue": "Overdue: not notified"},
    "zh-hans": {"summary": "4 个持有方中有 4 个已逾期。", "overdue": "逾期：未通知"},
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_customer_service_sees_who_is_overdue_for_notification(
    page: Any,
    live_server: Any,
    make_user: Callable[..., User],
    tmp_path: Path,
    language: str,
) -> None:
    manager = make_user(Role.QA_RA_MANAGER)
    recall = approved_recall(tmp_path, manager, make_user)
    agent = make_user(Role.CUSTOMER_SERVICE, language=language)
    words = WORDS[language]
    log_in(page, live_server, agent)

    page.goto(f"{live_server.url}/recalls/{recall.pk}/notices/")
    page.click("#notify-by-link")
    page.wait_for_selector("#notify-by")
    assert page.locator("#notify-summary").inner_text() == words["summary"]
    rows = page.locator("#notify-by tbody tr")
    assert rows.count() == 4
    assert [rows.nth(i).get_attribute("data-holder") for i in range(4)] == [
        "DIST",
        "HOSP",
        "HOSP2",
        "SUB",
    ]
    first = rows.nth(0).locator("td")
    assert first.nth(2).inner_text() == "2025-03-02 08:00 CST"
    assert first.nth(3).inner_text() == "—"
    assert first.nth(5).inner_text() == words["overdue"]

    page.select_option("#notify-filter select[name=state]", "on_time")
    page.click("#notify-filter button[type=submit]")
    page.wait_for_selector("#notify-by")
    assert page.locator("#notify-by tbody tr[data-holder]").count() == 0


def test_a_portal_user_of_another_party_gets_404(
    page: Any, live_server: Any, make_user: Callable[..., User], tmp_path: Path
) -> None:
    manager = make_user(Role.QA_RA_MANAGER)
    recall = approved_recall(tmp_path, manager, make_user)
    other = Party.objects.create(code="ELSE", name="Another hospital", party_type="hospital")
    portal = make_user(Role.PORTAL, party=other)
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", portal.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    answer = page.goto(f"{live_server.url}/recalls/{recall.pk}/notices/holders/")
    assert answer.status == 404
    assert "DIST" not in page.content()
