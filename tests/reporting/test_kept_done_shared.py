"""What the notice log shows done for the "notify holders" deadlines reads every holder of the
frozen scope (10,000 for the benchmark's recall: 0.7 s). With the figures kept, the home page's
open recalls, its due list, the QA/RA queue's deadlines and the cockpit's deadlines read it
once per recall, through ``portfolio.kept_done_from_records``; each read it again before."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from medrecall.accounts.models import User
from medrecall.notices import notify_by
from medrecall.recalls.models import RecallCase
from medrecall.reporting.progress import deadlines_of
from tests.reporting.conftest import progressed  # noqa: F401 - the fixture, used by name

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def keeping_on(settings: Any) -> Iterator[None]:
    settings.MEDRECALL_COCKPIT_CACHE_SECONDS = 60
    cache.clear()
    yield
    cache.clear()


def fresh_due() -> tuple[list[Any], list[Any]]:
    """Due this week and overdue, read afresh (the notice log read again)."""
    from medrecall.recalls.deadlines import due_report

    rows = due_report().rows
    return (
        [row for row in rows if row.status != "breached"],
        [row for row in rows if row.status == "breached"],
    )


def test_home_and_cockpit_read_the_notice_log_once_per_recall_and_show_the_fresh_deadlines(
    progressed: RecallCase,  # noqa: F811 - the imported fixture
    manager: User,
    keeping_on: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reads: list[list[int]] = []
    real = notify_by.holders_notify_by

    def counting(recalls: list[RecallCase], **kwargs: Any) -> Any:
        reads.append([recall.pk for recall in recalls])
        return real(recalls, **kwargs)

    monkeypatch.setattr(notify_by, "holders_notify_by", counting)
    client = Client()
    client.force_login(manager)

    # The cockpit counts its figures (their own deadlines read the log: one read) and keeps
    # its deadlines with what the log shows done, kept per recall (the second read).
    cockpit = client.get(f"/recalls/{progressed.pk}/cockpit/")
    assert cockpit.status_code == 200
    assert reads == [[progressed.pk], [progressed.pk]]
    # The home page's open recalls, its due list and the QA/RA queue read the same kept
    # figures: no read at all (they read it twice more before).
    home = client.get("/")
    assert home.status_code == 200
    assert reads == [[progressed.pk], [progressed.pk]]
    due, overdue = fresh_due()
    shown_due = [(row.recall_id, row.key, row.due_at) for row in home.context["due"]]
    shown_overdue = [(row.recall_id, row.key, row.due_at) for row in home.context["overdue"]]
    assert shown_due == [(row.recall_id, row.key, row.due_at) for row in due][: len(shown_due)]
    assert (
        shown_overdue
        == [(row.recall_id, row.key, row.due_at) for row in overdue][: len(shown_overdue)]
    )
    assert len(shown_due) + len(shown_overdue) > 0
    shown = cockpit.context["p"]
    fresh = deadlines_of(progressed, timezone.now())
    assert [row.key for row in shown.deadlines_next] == [row.key for row in fresh["deadlines_next"]]
    assert [row.key for row in shown.deadlines_overdue] == [
        row.key for row in fresh["deadlines_overdue"]
    ]
    assert shown.deadlines_next != []
