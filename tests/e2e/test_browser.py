"""Browser tests: Playwright driving Debian's Chromium against the live server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from tests.conftest import PASSWORD
from tests.factories import PartyFactory
from tests.traceability.scenario import CATH, PUMP, network, run_events
from tests.traceability.test_trace import DISTRIBUTION

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page: Any, live_server: Any, user: User) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")


def test_log_in_switch_language_and_open_master_data(
    page: Any, live_server: Any, make_user: Callable[..., User]
) -> None:
    PartyFactory(code="DIST-GZ", name="广州康达医疗器械有限公司")
    user = make_user(Role.TRACEABILITY_ANALYST)
    log_in(page, live_server, user)
    assert page.locator("h1").inner_text() == "Overview"
    with page.expect_navigation():
        page.select_option("#language-select", "zh-hans")
    assert page.locator("h1").inner_text() == "概览"
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    page.click("text=参与方")
    page.wait_for_url("**/data/party/")
    assert "广州康达医疗器械有限公司" in page.content()
    page.fill("input[name=q]", "不存在")
    expect(page.locator("#results")).to_contain_text("0")
    assert "广州康达医疗器械有限公司" not in page.locator("#results").inner_text()
    user.refresh_from_db()
    assert user.language == "zh-hans"
    page.click("#logout")
    page.wait_for_url("**/login/")


def test_trace_page_and_scan_box(
    page: Any, live_server: Any, make_user: Callable[..., User], tmp_path: Path
) -> None:
    network()
    assert run_events(tmp_path, DISTRIBUTION).accepted
    assert run_events(
        tmp_path, f"P1,produced,2025-01-01T08:00:00Z,{PUMP},PL1,SN1,1,,FAC,,,,,\n", "p.csv"
    ).accepted
    user = make_user(Role.TRACEABILITY_ANALYST)
    log_in(page, live_server, user)
    page.goto(f"{live_server.url}/trace/?gtin={CATH}&lot=C1")
    holders = page.locator("#trace-holders")
    assert "1,950" in holders.inner_text() or "1950" in holders.inner_text()
    page.wait_for_selector("#trace-graph canvas", state="attached")
    page.goto(f"{live_server.url}/scan/")
    box = page.locator("#scan-box")
    box.type(f"(01){PUMP}(10)PL1(21)SN1")
    box.press("Enter")
    page.wait_for_selector("#scan-ok")
    assert page.locator("#scan-serial").inner_text() == "SN1"
    assert "PUMP" in page.locator("#scan-model").inner_text()
    assert page.evaluate("document.activeElement.id") == "scan-box"  # ready for the next scan
    box.type("(01)12345678901232(10)X")
    box.press("Enter")
    page.wait_for_selector("#scan-error")
    page.click("#scan-box")
    box.type(f"(01){PUMP}(10)PL1(21)SN1")
    box.press("Enter")
    page.wait_for_selector("#scan-trace")
    page.click("#scan-trace")
    page.wait_for_selector("#trace-holders")
    assert "FAC" in page.locator("#trace-holders").inner_text()


def test_large_events_file_through_the_import_page(
    page: Any,
    live_server: Any,
    make_user: Callable[..., User],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
) -> None:
    """A file large enough for the direct load, uploaded as a user would: queued, run by the
    database task queue's worker, and the page follows it (htmx) to the counts."""
    from django.core.management import call_command

    from medrecall.cli.demo import demo_build, write_demo_events
    from medrecall.core.models import ImportRun
    from medrecall.traceability.importing import direct
    from medrecall.traceability.models import TraceEvent

    demo_build(events=False)
    path = tmp_path / "history.csv"
    rows = write_demo_events(path, limit=9000)
    assert path.stat().st_size >= settings.MEDRECALL_DIRECT_LOAD_MIN_BYTES
    loads: list[int] = []
    real_load = direct.load

    def counted(*args: Any, **kwargs: Any) -> Any:
        outcome = real_load(*args, **kwargs)
        loads.append(outcome.created if outcome else -1)
        return outcome

    monkeypatch.setattr(direct, "load", counted)
    log_in(page, live_server, make_user(Role.TRACEABILITY_ANALYST))
    page.goto(f"{live_server.url}/imports/")
    page.select_option("#import-form select[name=kind]", "events")
    page.set_input_files("#import-form input[name=file]", str(path))
    with page.expect_navigation():
        page.click("#import-form button[type=submit]")
    assert page.locator("#import-status").inner_text() == "Queued"
    assert page.locator("#import-progress progress").count() == 1
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    expect(page.locator("#import-status")).to_have_text("Accepted")
    assert page.locator("#import-progress progress").count() == 0
    counts = page.locator("#import-progress dl").inner_text()
    assert f"{rows}" in counts.replace(",", "")
    assert loads == [rows]  # taken by the direct load, not the staging path
    assert TraceEvent.objects.count() == rows
    assert ImportRun.objects.get().created_count == rows


def test_trace_page_traces_a_pasted_list_and_exports_it(
    page: Any, live_server: Any, make_user: Callable[..., User], tmp_path: Path
) -> None:
    network()
    assert run_events(tmp_path, DISTRIBUTION).accepted
    assert run_events(
        tmp_path, f"P1,produced,2025-01-01T08:00:00Z,{PUMP},PL1,SN1,1,,FAC,,,,,\n", "p.csv"
    ).accepted
    log_in(page, live_server, make_user(Role.TRACEABILITY_ANALYST))
    page.goto(f"{live_server.url}/trace/")
    page.click("#trace-set summary")
    page.fill("#trace-units", f"{CATH}\tC1\n{PUMP}\t\tSN1\n{CATH}\tNOPE\n")
    with page.expect_navigation():
        page.click("#trace-set-form button[type=submit]")
    assert (
        page.locator("#trace-row-errors").inner_text()
        == f"pasted list, row 3: Lot NOPE of GTIN {CATH} is not known."
    )
    page.fill("#trace-units", f"{CATH}\tC1\n{PUMP}\t\tSN1\n")
    with page.expect_navigation():
        page.click("#trace-set-form button[type=submit]")
    assert page.locator("#trace-set-count").inner_text() == "2 units listed; 2 lots in scope."
    assert page.locator("#trace-holders tfoot").inner_text().split() == [
        "Total",
        "1,951",
        "871",
        "100",
    ]
    page.wait_for_function("document.querySelector('#trace-graph canvas') !== null")
    with page.expect_download() as download:
        page.click("#trace-export")
    assert download.value.suggested_filename == "trace-set-2.xlsx"
