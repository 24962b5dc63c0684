"""One definition of "notified" (the holder has the notice: a notice delivered, opened,
acknowledged or replied to, its reply, or a call logged; a notice only sent does not notify)
in every count: the FDA status report (21 CFR 7.53(b)(1)), the EU final report's
reconciliation, the NMPA progress report, the cockpit's funnel and notify-by."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from medrecall.accounts.models import User
from medrecall.filings import content, eu
from medrecall.notices import delivery, send_runs
from medrecall.notices.models import Notice, NoticeEvent
from medrecall.notices.notify_by import holders_notify_by
from medrecall.parties.models import Location, Party
from medrecall.recalls.models import RecallCase
from medrecall.reporting.progress import compute_progress
from tests.notices.conftest import work_off_queue

pytestmark = pytest.mark.django_db(transaction=True)

DELIVERED = datetime(2025, 3, 4, 8, tzinfo=UTC)


def _send(recall: RecallCase, manager: User) -> None:
    """E-mails to DIST, SUB and HOSP2 sent (not delivered); HOSP's letter not posted."""
    send_runs.notice_run_start(recall=recall, actor=manager)
    work_off_queue()
    assert Notice.objects.filter(recall=recall, status="sent").count() == 4  # DIST: two


def _everywhere(recall: RecallCase) -> tuple[int, int, int]:
    """Holders notified by the FDA status report, the funnel and the notify-by page."""
    status = content.fda_status_values(recall)["counts"]["notified"]
    funnel = compute_progress(recall).stage("notified").holders or 0
    notify_by = sum(1 for h in holders_notify_by([recall])[recall.pk] if h.notified_at)
    return status, funnel, notify_by


def test_the_fda_status_report_counts_consignees_that_have_the_notice(
    fda_recall: RecallCase, manager: User, smtp: Any
) -> None:
    recall = fda_recall
    _send(recall, manager)
    values = content.fda_status_values(recall)
    assert (values["counts"]["notified"], values["counts"]["not_notified"]) == (0, 4)
    assert {
        r["code"]: (r["notified_at"], r["method"]) for r in values["consignees"]
    } == dict.fromkeys(("DIST", "HOSP", "HOSP2", "SUB"), ("", ""))
    assert _everywhere(recall) == (0, 0, 0)
    Notice.objects.filter(recall=recall, party__code="HOSP2").update(delivered_at=DELIVERED)
    letter = Notice.objects.get(recall=recall, party__code="HOSP")
    delivery.notice_contact_log(
        notice=letter, actor=manager, channel="call", note="Read the letter out to the ward."
    )
    called = NoticeEvent.objects.get(notice=letter, type="call").at
    values = content.fda_status_values(recall)
    rows = {r["code"]: (r["notified_at"], r["method"]) for r in values["consignees"]}
    assert rows == {
        "DIST": ("", ""),
        "HOSP": (called.isoformat(), "phone"),
        "HOSP2": (DELIVERED.isoformat(), "email"),
        "SUB": ("", ""),
    }
    assert (values["counts"]["notified"], values["counts"]["not_notified"]) == (2, 2)
    assert _everywhere(recall) == (2, 2, 2)


def test_the_eu_reconciliation_and_the_nmpa_progress_count_the_same_notified(
    recall: RecallCase, manager: User, smtp: Any
) -> None:
    Location.objects.filter(party__code="HOSP2").update(country="DE")
    Party.objects.filter(code="HOSP2").update(country="DE")
    _send(recall, manager)
    [germany] = eu.reconciliation(recall)
    assert (germany["country"], germany["notified"]) == ("DE", 0)
    progress = content.progress_values(recall)
    assert (progress["holders_sent"], progress["holders_notified"]) == (3, 0)
    Notice.objects.filter(recall=recall, party__code="HOSP2").update(delivered_at=DELIVERED)
    [germany] = eu.reconciliation(recall)
    assert germany["notified"] == germany["in_scope"] > 0
    progress = content.progress_values(recall)
    assert (progress["holders_sent"], progress["holders_notified"]) == (3, 1)
    assert progress["units_notified"] == germany["in_scope"]
