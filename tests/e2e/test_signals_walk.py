"""Browser walk of early warning, in English and in Chinese: the dashboard shows the signal of
an injected problem lot, its page explains it and lists its complaints, it is dismissed with a
reason."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.quality import signal_services
from medrecall.quality.models import Signal, SignalKind, SignalStatus
from tests.e2e.test_browser import log_in
from tests.quality.signal_world import AS_OF, background, complaints_add, world_build

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "en": {
        "heading": "Early-warning signals",
        "says": "4.9 times the baseline",
        "done": "Dismissed",
    },
    "zh-hans": {"heading": "预警信号", "says": "是基线的 4.9 倍", "done": "已排除"},
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_signal_on_dashboard_open_and_dismiss(
    page: Any, live_server: Any, make_user: Callable[..., User], language: str
) -> None:
    built = world_build(models=1)
    background(built)
    complaints_add(built.lots[0][5], [3, 10, 17, 24, 31, 38, 45, 52])
    signal_services.signals_detect(as_of=AS_OF)
    signal = Signal.objects.get(kind=SignalKind.LOT)
    words = WORDS[language]
    log_in(page, live_server, make_user(Role.QA_RA_MANAGER, language=language))

    page.goto(f"{live_server.url}/quality/")
    assert words["heading"] in page.locator("h2").all_inner_texts()
    page.click(f"#dashboard-signals a[href='/quality/signals/{signal.pk}/']")
    page.wait_for_url(f"**/quality/signals/{signal.pk}/")
    assert words["says"] in page.locator("#signal-explanation").inner_text()
    assert page.locator("#signal-complaints tbody tr").count() == 10
    page.fill("#signal-dismiss textarea", "Returns were entered twice")
    page.click("#signal-dismiss button")

    page.wait_for_load_state()
    assert page.locator("#signal-status strong").inner_text() == words["done"]
    assert page.locator("#signal-dismissed-reason").inner_text() == "Returns were entered twice"
    signal.refresh_from_db()
    assert (signal.status, signal.dismissed_reason) == (
        SignalStatus.DISMISSED,
        "Returns were entered twice",
    )


SIDEBAR = {
    "en": {"link": "Early-warning signals", "history": "Status history", "done": "Dismissed"},
    "zh-hans": {"link": "预警信号", "history": "状态记录", "done": "已排除"},
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_signals_from_the_sidebar_with_history_and_hidden_from_another_party(
    page: Any, live_server: Any, make_user: Callable[..., User], language: str
) -> None:
    from medrecall.parties.models import Party
    from tests.factories import PartyFactory

    built = world_build(models=1)
    background(built)
    complaints_add(built.lots[0][5], [3, 10, 17, 24, 31, 38, 45, 52])
    signal_services.signals_detect(as_of=AS_OF)
    signal = Signal.objects.get(kind=SignalKind.LOT)
    words = SIDEBAR[language]
    manager = make_user(Role.QA_RA_MANAGER, language=language)
    log_in(page, live_server, manager)

    page.goto(f"{live_server.url}/quality/")
    page.click(f"aside.sidenav a:text-is('{words['link']}')")
    page.wait_for_url("**/quality/signals/")
    assert page.locator("aside.sidenav a[aria-current='page']").all_inner_texts() == [words["link"]]
    page.click(f"#signal-table a[href='/quality/signals/{signal.pk}/']")
    page.wait_for_url(f"**/quality/signals/{signal.pk}/")
    assert words["history"] in page.locator("h2").all_inner_texts()
    page.fill("#signal-dismiss textarea", "Returns were entered twice")
    page.click("#signal-dismiss button")
    page.wait_for_load_state()
    rows = page.locator("#signal-history tbody tr")
    assert rows.count() == 1
    cells = rows.first.locator("td").all_inner_texts()
    assert (cells[1], cells[4]) == (manager.username, "Returns were entered twice")
    assert cells[3].endswith(words["done"])

    other = make_user(Role.PORTAL, party=PartyFactory(code=f"OTHER-{language}"), language=language)
    page.context.clear_cookies()
    log_in(page, live_server, other)
    response = page.goto(f"{live_server.url}/quality/signals/{signal.pk}/")
    assert response is not None
    assert response.status == 404
    assert "Returns were entered twice" not in page.content()
    assert Party.objects.filter(code=f"OTHER-{language}").exists()


THRESHOLD_WORDS = {
    "en": {"heading": "Early-warning thresholds", "problem": "minimum complaints:"},
    "zh-hans": {"heading": "预警阈值", "problem": "最少投诉数"},
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_thresholds_changed_on_their_form(
    page: Any, live_server: Any, make_user: Callable[..., User], language: str
) -> None:
    from medrecall.quality import signals

    words = THRESHOLD_WORDS[language]
    log_in(page, live_server, make_user(Role.QA_RA_MANAGER, language=language))

    page.goto(f"{live_server.url}/quality/signals/")
    page.click("#change-thresholds")
    page.wait_for_url("**/quality/signals/policy/")
    assert page.locator("h1").inner_text() == words["heading"]
    page.fill("#policy-min_complaints", "0")
    page.click("#policy-save")
    page.wait_for_selector("#policy-min_complaints-error")
    assert words["problem"] in page.locator("#policy-min_complaints-error").inner_text()
    page.fill("#policy-min_complaints", "4")
    page.click("#policy-save")
    page.wait_for_url("**/quality/signals/")

    assert signals.policy().min_complaints == 4
