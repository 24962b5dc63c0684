"""Two sends claiming the same notices: the one that waited on a row skips it (PostgreSQL; SQLite
runs one writer at a time), and a live batch keeps its claim however long it takes."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from django.db import connection

from medrecall.notices import issuing, rendering, sending
from medrecall.notices.models import Kind, Notice
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from tests.notices.test_kill import _database_url


def _waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND datname = current_database()"
        )
        return int(cursor.fetchone()[0])


@pytest.mark.django_db(transaction=True)
def test_a_send_that_waited_on_a_claimed_notice_does_not_claim_it_again(
    recall: RecallCase,
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent claims need PostgreSQL")
    dist = Party.objects.get(code="DIST")
    ids = issuing.notices_create(recall=recall, run=None, kind=Kind.INITIAL, party_ids=[dist.pk])
    rendering.notices_render(ids)
    notice = Notice.objects.get(pk=ids[0])
    assert notice.status == "queued"
    taken: list[list[int]] = []

    def second_send() -> None:
        try:
            _claim, claimed = sending._claim([notice.pk])
            taken.append([n.pk for n in claimed])
        finally:
            connection.close()

    # The first send: its claim of the notice is under way (row locked, not yet committed).
    with psycopg.connect(_database_url().replace("postgres://", "postgresql://")) as first:
        first.execute(
            f"UPDATE {Notice._meta.db_table} SET status = 'sending', claim = 'first', "  # noqa: S608
            "claimed_at = now(), attempts = attempts + 1 WHERE id = %s",
            [notice.pk],
        )
        waiting = threading.Thread(target=second_send)
        waiting.start()
        for _ in range(200):  # until the second send waits on the row the first holds
            if _waiting_on_a_lock():
                break
            time.sleep(0.05)
        assert _waiting_on_a_lock() == 1
        first.commit()
    waiting.join(timeout=30)
    assert taken == [[]]
    notice.refresh_from_db()
    assert (notice.status, notice.claim, notice.attempts) == ("sending", "first", 1)


@pytest.mark.django_db
def test_a_live_batch_slower_than_the_lease_keeps_its_claim(
    recall: RecallCase, smtp: object, settings: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch's worker is alive but its second message takes longer than the lease: the
    claim is renewed before the next message, so a sweep claims nothing of the batch."""
    settings.MEDRECALL_SEND_LEASE_SECONDS = 1  # type: ignore[attr-defined]
    dist = Party.objects.get(code="DIST")
    ids = issuing.notices_create(recall=recall, run=None, kind=Kind.INITIAL, party_ids=[dist.pk])
    rendering.notices_render(ids)
    assert len(ids) >= 2
    send_one, calls, swept = sending._send_one, [0], []

    def slow_then_sweep(mailer: object, notice: Notice, claim: str, pdf: bytes | None) -> int:
        calls[0] += 1
        if calls[0] == 1:
            time.sleep(1.2)  # longer than the lease
        elif calls[0] == 2:
            swept.append(sending._claim(None)[1])  # a sweep running meanwhile
        return send_one(mailer, notice, claim, pdf)  # type: ignore[arg-type]

    monkeypatch.setattr(sending, "_send_one", slow_then_sweep)
    assert sending.notices_send(ids) == len(ids)
    assert swept == [[]]
    assert len(smtp.messages) == len(ids)  # type: ignore[attr-defined]
