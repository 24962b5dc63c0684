"""Two sends claiming the same notice at once: the one that waited on the row skips it, so one
e-mail goes out, not two (PostgreSQL; SQLite runs one writer at a time)."""

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

pytestmark = pytest.mark.django_db(transaction=True)


def _waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND datname = current_database()"
        )
        return int(cursor.fetchone()[0])


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
