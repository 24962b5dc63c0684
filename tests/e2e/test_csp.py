"""The Content-Security-Policy holds on the main pages: no violation reported in the browser,
and the ECharts charts still draw (their scripts are static files now, no inline script)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.notices import links, send_runs
from medrecall.notices.models import Notice
from tests.e2e.test_browser import log_in
from tests.notices.conftest import approved_recall, work_off_queue
from tests.traceability.scenario import CATH

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sourceFile || "") + ":" + e.lineNumber);
});
"""


def _watched(page: Any) -> list[str]:
    page.add_init_script(WATCH)
    console: list[str] = []
    page.on(
        "console",
        lambda message: (
            console.append(message.text)
            if "Content Security Policy" in message.text
            or "Content-Security-Policy" in message.text
            else None
        ),
    )
    return console


def _violations(page: Any, console: list[str]) -> list[str]:
    return [*page.evaluate("window.__csp"), *console]


def test_main_pages_run_under_the_policy_and_the_charts_draw(
    browser: Any,
    page: Any,
    live_server: Any,
    settings: Any,
    smtp: Any,
    manager: User,
    make_user: Callable[..., User],
    tmp_path: Path,
) -> None:
    settings.MEDRECALL_BASE_URL = live_server.url
    recall = approved_recall(tmp_path, manager, make_user)
    send_runs.notice_run_start(recall=recall, actor=manager)
    work_off_queue()
    notice = Notice.objects.filter(party__code="SUB", kind="initial").order_by("pk").first()
    assert notice is not None
    template = notice.template
    assert template is not None
    console = _watched(page)
    log_in(page, live_server, manager)

    seen = {}
    for name, path, ready in [
        ("home", "/", "h1"),
        ("recall", f"/recalls/{recall.pk}/", "#chart-category canvas"),
        ("trace", f"/trace/?gtin={CATH}&lot=C1", "#trace-graph canvas"),
        ("notice", f"/notices/{notice.pk}/", "#notice-frame"),
        ("template-preview", f"/notices/templates/{template.pk}/preview/", "#preview-frame"),
        ("imports", "/imports/", "#import-kind"),
        ("scan", "/scan/", "#scan-box"),
        ("reply", links.reply_path(notice), "form"),
    ]:
        console.clear()
        response = page.goto(f"{live_server.url}{path}")
        page.wait_for_selector(ready)
        page.wait_for_load_state("networkidle")  # late scripts (charts, htmx) have run and reported
        policy = response.headers["content-security-policy"]
        seen[name] = (
            response.status,
            "script-src 'self'" in policy
            and "default-src 'self'" in policy
            and "'unsafe-inline'" not in policy.split("style-src-attr")[0],
            _violations(page, console),
        )

    assert seen == {name: (200, True, []) for name in seen}
    # The e-mail preview stays inside its sandboxed frame (it once spilled into the page).
    page.goto(f"{live_server.url}/notices/templates/{template.pk}/preview/")
    assert page.frame_locator("#preview-frame").locator("body").inner_text().strip() != ""
    assert page.locator("body > div a[href*='/n/s/SAMPLE/']").count() == 0
    page.goto(f"{live_server.url}/recalls/{recall.pk}/")
    assert page.locator("#chart-region canvas").count() == 1


def test_the_script_moved_out_of_the_pages_still_works(
    page: Any, live_server: Any, make_user: Callable[..., User]
) -> None:
    console = _watched(page)
    log_in(page, live_server, make_user(Role.TRACEABILITY_ANALYST))
    page.goto(f"{live_server.url}/imports/")
    page.select_option("#import-kind", "events")
    assert page.locator("#keep-good").is_hidden()
    assert page.locator("#keep-good-absent").is_visible()
    with page.expect_navigation():
        page.select_option("#language-select", "zh-hans")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert _violations(page, console) == []
