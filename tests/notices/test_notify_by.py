"""Notify by: each holder's notify-by time and overdue flag, and the clock's "notify holders"
deadline done from the notice log (docs/notices.md, "Notify by")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from medrecall.accounts.models import User
from medrecall.notices import delivery, notify_by, send_runs
from medrecall.notices.models import Notice
from medrecall.recalls import deadlines
from medrecall.recalls.models import DeadlineDone, RecallCase, RecallRegime
from tests.notices.conftest import work_off_queue

pytestmark = pytest.mark.django_db(transaction=True)

DECIDED = datetime(2025, 3, 1, tzinfo=UTC)
LATER = datetime(2025, 3, 20, tzinfo=UTC)


@pytest.fixture
def sent(recall: RecallCase, manager: User, smtp: Any) -> RecallCase:
    send_runs.notice_run_start(recall=recall, actor=manager)
    work_off_queue()
    return recall


def rows(recall: RecallCase, now: datetime = LATER) -> dict[str, notify_by.HolderNotice]:
    return {h.code: h for h in notify_by.holders_notify_by([recall], now=now)[recall.pk]}


def notify_row(recall: RecallCase, key: str = "nmpa.notify_holders") -> deadlines.DeadlineRow:
    found, _missing = deadlines.deadlines_for(recall, now=timezone.now())
    return next(row for row in found if row.key == key)


def test_holders_are_overdue_then_notified_and_the_deadline_is_done_from_the_log(
    sent: RecallCase, manager: User
) -> None:
    found = rows(sent)
    assert sorted(found) == ["DIST", "HOSP", "HOSP2", "SUB"]
    assert {h.notify_by for h in found.values()} == {DECIDED + timedelta(days=1)}
    # Sent is not notified: nobody has the notice delivered or acknowledged yet.
    assert {(h.state, h.overdue, h.notified_at) for h in found.values()} == {
        ("overdue", True, None)
    }
    row = notify_row(sent)
    assert (row.due_at, row.status, row.done_at, row.from_records) == (
        DECIDED + timedelta(days=1),
        "breached",
        None,
        False,
    )
    on_time = DECIDED + timedelta(hours=5)
    Notice.objects.filter(party__code="DIST").update(delivered_at=on_time)
    delivery.notice_acknowledge(notice=Notice.objects.get(party__code="SUB"), actor=manager)
    hosp2 = Notice.objects.get(party__code="HOSP2")
    delivery.notice_delivery_report(message_id=hosp2.message_id, outcome="delivered")
    found = rows(sent)
    assert (found["DIST"].state, found["DIST"].notified_at, found["DIST"].how) == (
        "on_time",
        on_time,
        "delivered",
    )
    assert (found["SUB"].state, found["SUB"].how, found["SUB"].overdue) == (
        "late",
        "acknowledged",
        False,
    )
    assert (found["HOSP2"].state, found["HOSP2"].how) == ("late", "delivered")
    assert (found["HOSP"].state, found["HOSP"].overdue) == ("overdue", True)
    assert notify_row(sent).done_at is None  # HOSP (a letter, not posted) is not notified
    letter = Notice.objects.get(party__code="HOSP")
    delivery.notice_contact_log(
        notice=letter, actor=manager, channel="call", note="Told the ward sister."
    )
    found = rows(sent)
    assert (found["HOSP"].state, found["HOSP"].how) == ("late", "call")
    last = max(h.notified_at for h in found.values() if h.notified_at)
    row = notify_row(sent)
    assert (row.status, row.done_at, row.from_records) == ("done", last, True)
    assert not DeadlineDone.objects.exists()  # derived, nothing ticked


def test_a_manual_done_wins_and_a_regime_without_holders_is_done_at_the_freeze(
    recall: RecallCase, manager: User
) -> None:
    RecallRegime.objects.create(recall=recall, regime="fda", recall_class="II")
    frozen = recall.snapshots.get().created_at
    fda = notify_row(recall, "fda.notify_holders")
    # Every holder is in China: nobody to send an FDA letter to.
    assert (fda.status, fda.done_at, fda.from_records) == ("done", frozen, True)
    nmpa = notify_row(recall)
    assert (nmpa.status, nmpa.done_at) == ("breached", None)
    marked = deadlines.deadline_mark_done(
        recall=recall,
        key="nmpa.notify_holders",
        due_at=nmpa.due_at,
        actor=manager,
        note="Holders told by phone before the system was used.",
    )
    nmpa = notify_row(recall)
    assert (nmpa.status, nmpa.done_at, nmpa.from_records) == ("done", marked.done_at, False)
    assert {h.state for h in rows(recall).values()} == {"overdue"}
