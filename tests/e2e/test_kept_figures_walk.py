"""Browser: the home page and the cockpit with their figures kept, in English and Chinese.
Something is audited about the recall while another request is counting its figures: the home
page shows the previous percent recovered, noted as of its time, then the fresh one once the
count is done; the cockpit shows the fresh figures. A portal user of another party never
reaches the cockpit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.audit import services as audit
from medrecall.recalls.models import RecallCase
from medrecall.reporting import kept as keeping
from tests.e2e.test_browser import log_in
from tests.factories import PartyFactory
from tests.reporting.conftest import progressed  # noqa: F401 - the fixture, used by name
from tests.reporting.test_kept_figures import _quarantine_more

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _recovered(page: Any, recall: RecallCase) -> Any:
    return page.locator(f"#open-recall-list tr[data-recall='{recall.number}'] td.recovered small")


def test_the_home_page_shows_the_previous_figures_while_counted_then_the_fresh_ones(
    page: Any,
    live_server: Any,
    progressed: RecallCase,  # noqa: F811 - the imported fixture
    manager: User,
    make_user: Callable[..., User],
    settings: Any,
) -> None:
    settings.MEDRECALL_COCKPIT_CACHE_SECONDS = 60
    cache.clear()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, live_server, manager)
    assert _recovered(page, progressed).inner_text() == "30 of 970 units"
    assert page.locator("#figures-as-of").count() == 0

    for language, units, note in (
        ("en", 35, "Some figures are as of"),
        ("zh-hans", 40, "部分数字截至"),
    ):
        if language == "zh-hans":
            page.select_option("#language-select", "zh-hans")
            page.wait_for_selector("#open-recall-list")
        _quarantine_more(5)
        audit.record(actor="test", action="execution.received", target=progressed, changes={})
        with keeping.counting_lock("reporting:recovered") as mine:
            assert mine  # another request is counting the recall's figures
            page.reload()
            assert note in page.locator("#figures-as-of").inner_text()
            assert f"{units - 5} " in _recovered(page, progressed).inner_text()
        page.reload()  # counted: the fresh figure, no note
        assert f"{units} " in _recovered(page, progressed).inner_text()
        assert "970" in _recovered(page, progressed).inner_text()
        assert page.locator("#figures-as-of").count() == 0

    page.goto(f"{live_server.url}/recalls/{progressed.pk}/cockpit/")
    assert page.locator("#funnel-recovered a[data-figure=units]").inner_text() == "40"
    assert "进展漏斗" in page.locator("#cockpit-funnel h2").inner_text()
    page.select_option("#language-select", "en")
    page.wait_for_selector("#cockpit-funnel")
    assert page.locator("#funnel-recovered a[data-figure=units]").inner_text() == "40"
    assert errors == []

    # A portal user of a party that holds nothing of this recall: refused, nothing shown.
    page.context.clear_cookies()
    outsider = make_user(Role.PORTAL, party=PartyFactory(code="OTHER"))
    log_in(page, live_server, outsider)
    for path in ("cockpit/", "cockpit/holders/?stage=affected"):
        answer = page.goto(f"{live_server.url}/recalls/{progressed.pk}/{path}")
        assert answer is not None
        assert answer.status == 403
        assert page.locator("#cockpit-funnel").count() == 0
        assert progressed.number not in page.content()
    answer = page.goto(f"{live_server.url}/api/recalls/{progressed.pk}/progress/")
    assert answer is not None
    assert answer.status == 403
