"""Browser walk of the quality loop, in English and in Chinese: enter a complaint for an
unknown lot, triage it (the NMPA clock appears), open a CAPA from it, see the dashboard chart."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.quality.models import Capa, Complaint
from tests.e2e.test_browser import log_in
from tests.factories import LocationFactory, PartyFactory
from tests.traceability.scenario import CATH, network, run_events
from tests.traceability.test_trace import DISTRIBUTION

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "en": {
        "new": "Enter a complaint",
        "flag": "Lot not known",
        "triaged": "Triaged",
        "clock": "Report the adverse event (death) to NMPA",
        "capa": "Open a CAPA",
        "dashboard": "Quality dashboard",
    },
    "zh-hans": {
        "new": "录入投诉",
        "flag": "批号未知",
        "triaged": "已评估",
        "clock": "向 NMPA 报告不良事件（死亡）",
        "capa": "开立 CAPA",
        "dashboard": "质量看板",
    },
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_enter_triage_and_open_capa(
    page: Any,
    live_server: Any,
    make_user: Callable[..., User],
    tmp_path: Path,
    language: str,
) -> None:
    network()
    supplier = PartyFactory(code="SUPP", party_type="supplier")
    LocationFactory(code="SUPP-1", party=supplier, location_type="warehouse")
    assert run_events(tmp_path, DISTRIBUTION).accepted
    words = WORDS[language]
    user = make_user(Role.QA_RA_MANAGER, language=language)
    log_in(page, live_server, user)

    page.goto(f"{live_server.url}/quality/complaints/new/")
    assert page.locator("h1").inner_text() == words["new"]
    page.select_option("#channel", "phone")
    page.fill("#holder", "HOSP")
    page.fill("#aware_at", "2026-03-02T09:30")
    page.fill("#gtin", CATH)
    page.fill("#lot", "C99")
    page.fill("#description", "Catheter tip broke; the patient died")
    page.check("#death")
    page.click("#complaint-save")
    page.wait_for_url("**/quality/complaints/*/")
    assert words["flag"] in page.locator("#resolution").inner_text()
    complaint = Complaint.objects.get()
    assert (complaint.lot_text, complaint.death) == ("C99", True)

    page.select_option("#nmpa-decision", "yes")
    page.select_option("#nmpa-category", "nmpa_death")
    page.fill("#nmpa-rationale", "Death during use")
    page.select_option("#fda-decision", "no")
    page.fill("#fda-rationale", "Not sold in the US")
    page.click("#triage-save")
    page.wait_for_selector("#clock-table tr[data-key=nmpa_death]")
    assert page.locator("#complaint-status").inner_text() == words["triaged"]
    assert words["clock"] in page.locator("#clock-table").inner_text()
    assert "2026-03-09" in page.locator("#clock-table").inner_text()

    page.click("#open-capa")
    page.wait_for_url("**/quality/capas/new/*")
    assert page.locator("h1").inner_text() == words["capa"]
    assert page.input_value("#capa-complaints") == complaint.number
    page.fill("#capa-title", "Tip fracture")
    page.fill("#capa-problem", "Tips break during insertion")
    page.fill("#capa-due", "2099-06-30")
    page.fill("#capa-lots", "C1")
    page.click("#capa-save")
    page.wait_for_url("**/quality/capas/*/")
    capa = Capa.objects.get()
    assert complaint.number in page.locator("#capa-complaints").inner_text()
    assert list(capa.complaints.all()) == [complaint]

    page.click("#root-cause-open")
    page.fill("#root-cause-statement", "Tubing below wall-thickness spec")
    page.select_option("#root-cause-category", "Nonconforming Material/Component")
    page.fill("#why1", "The tip broke")
    page.click("#root-cause-save")
    page.wait_for_selector(".root-cause")
    assert capa.root_causes.count() == 1

    page.goto(f"{live_server.url}/quality/")
    assert page.locator("h1").inner_text() == words["dashboard"]
    page.wait_for_selector("#chart-root-causes canvas", state="attached")
    assert complaint.number in page.locator("#dashboard-clocks").inner_text()
