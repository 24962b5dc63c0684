"""Browser walk of the findings of a new user's walk, in English and in Chinese: a report is
marked as filed only with its date, a recall on a lot another recall covers asks for
confirmation, overdue CAPAs are marked and filtered, the reply link's problem report sent again
after Back is the same complaint; a portal user of another party finds none of these pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.notices import issuing, links
from medrecall.notices.models import Notice
from medrecall.parties.models import Party
from medrecall.quality import services
from medrecall.quality.models import Channel, Complaint, ReportDecision
from medrecall.recalls.models import RecallCase
from tests.e2e.test_browser import log_in
from tests.execution.conftest import approve, open_recall
from tests.factories import LocationFactory, PartyFactory
from tests.traceability.scenario import CATH, network, run_events
from tests.traceability.test_trace import DISTRIBUTION

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OVERDUE = {"en": "overdue", "zh-hans": "已逾期"}


def _world(tmp_path: Path) -> None:
    network()
    supplier = PartyFactory(code="SUPP", party_type="supplier")
    LocationFactory(code="SUPP-1", party=supplier, location_type="warehouse")
    assert run_events(tmp_path, DISTRIBUTION).accepted


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_new_user_walk_findings(
    page: Any,
    live_server: Any,
    make_user: Callable[..., User],
    tmp_path: Path,
    language: str,
) -> None:
    _world(tmp_path)
    user = make_user(Role.QA_RA_MANAGER, language=language)
    hospital = Party.objects.get(code="HOSP")
    covering = approve(open_recall(user), make_user)  # lot C1
    # Closed: a complaint about a lot of an open recall is linked to it at receipt; a recall
    # that covered the lot before is named when a new one is started (step 4).
    RecallCase.objects.filter(pk=covering.pk).update(status="closed")
    covering_status = covering.status
    complaint = services.complaint_receive(
        actor=user,
        channel=Channel.EMAIL,
        description="Catheter tip broke",
        aware_at=timezone.now() - timedelta(days=2),
        holder=hospital,
        unit=services.UnitGiven(gtin=CATH, lot="C1"),
        death=True,
    )
    services.complaint_triage(
        complaint=complaint,
        actor=user,
        decisions=[services.Triage("nmpa", True, "nmpa_death", "Death")],
    )
    late = services.capa_open(
        confirm_past_due=True,
        actor=user,
        title="Tip fracture",
        problem="Tips break",
        owner=user,
        due_on=timezone.localdate() - timedelta(days=3),
    )
    log_in(page, live_server, user)

    # 2. Mark as filed: the browser asks for the date; with it, the report is filed.
    page.goto(f"{live_server.url}/quality/complaints/{complaint.pk}/")
    report = page.locator("form[action$='/report/']")
    report.locator("input[name=reference]").fill("NMPA-AE-1")
    report.locator("button").click()
    assert ReportDecision.objects.get().submitted_at is None
    report.locator("input[name=submitted_at]").fill(
        (timezone.localtime() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    )
    with page.expect_navigation():
        report.locator("button").click()
    assert ReportDecision.objects.get().submission_reference == "NMPA-AE-1"

    # 4. Start a recall on a covered lot: the covering recall is named, confirmation needed.
    assert covering.number in page.locator("#recall-overlap").inner_text()
    page.click("#start-recall")
    assert Complaint.objects.get(pk=complaint.pk).recall_id is None
    page.check("#confirm-overlap")
    with page.expect_navigation():
        page.click("#start-recall")
    started = Complaint.objects.get(pk=complaint.pk).recall
    assert started is not None
    assert page.url.endswith(f"/recalls/{started.pk}/")

    # 8. The CAPA list marks the overdue CAPA and filters on it; the title has no repeated prefix.
    page.goto(f"{live_server.url}/quality/capas/")
    assert OVERDUE[language] in page.locator("#capa-table").inner_text()
    page.check("#capa-filter input[name=overdue]")
    with page.expect_navigation():
        page.click("#capa-filter button")
    assert "overdue=1" in page.url
    assert late.number in page.locator("#capa-table").inner_text()
    page.goto(f"{live_server.url}/quality/capas/{late.pk}/")
    assert page.title().startswith(f"{late.number} · Tip fracture")
    assert page.locator("h1").inner_text().startswith(late.number)
    assert f"CAPA {late.number}" not in page.locator("h1").inner_text()

    # 3. The reply link's problem report: sent, Back, sent again: one complaint, shown again.
    RecallCase.objects.filter(pk=covering.pk).update(status=covering_status)  # running again
    notice_pk = issuing.notices_create(
        recall=covering, run=None, kind="initial", party_ids=[hospital.pk]
    )[0]
    token = links.token_for(Notice.objects.get(pk=notice_pk), "reply")
    problem = f"{live_server.url}/n/r/{token}/problem/"
    page.goto(problem)
    page.fill("#aware_at", "2026-03-02T09:30")
    page.fill("#gtin", CATH)
    page.fill("#lot", "C1")
    page.fill("#description", "Second tip broke in theatre")
    with page.expect_navigation():
        page.click("#complaint-save")
    page.wait_for_selector("#problem-number")
    page.go_back()
    with page.expect_navigation():
        page.click("#complaint-save")
    page.wait_for_selector("#problem-already")
    assert Complaint.objects.filter(channel=Channel.REPLY).count() == 1
    number = Complaint.objects.get(channel=Channel.REPLY).number
    assert number in page.locator("#problem-already").inner_text()

    # A portal user of another party: none of these pages.
    other = make_user(Role.PORTAL, party=Party.objects.get(code="HOSP2"), language=language)
    page.context.clear_cookies()
    log_in(page, live_server, other)
    for url in (
        f"{live_server.url}/quality/complaints/{complaint.pk}/",
        f"{live_server.url}/quality/capas/{late.pk}/",
        problem,
    ):
        assert page.goto(url).status == 404, url
