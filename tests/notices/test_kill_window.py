"""The kill window: a worker killed after the mail server accepted a message and before the
notice was recorded as sent. On resume that one message goes out again — and only that one:
at most one duplicate per killed batch, counted at a real SMTP server (docs/notices.md)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from typing import Any

import pytest

from medrecall.accounts.models import User
from medrecall.notices import followup, issuing, rendering
from medrecall.notices.models import Kind, Notice
from medrecall.parties.models import Contact, Party
from medrecall.recalls.models import RecallCase
from tests.notices.conftest import work_off_queue
from tests.notices.test_kill import _database_url

pytestmark = pytest.mark.django_db(transaction=True)

# In the worker: SIGKILL itself inside the k-th delivery record, i.e. after the server's
# "250 accepted" for that message and before the statement that records it.
WORKER = """
import os, signal, django
django.setup()
from medrecall.notices import sending
record, calls = sending._mark_sent, [0]
def killing(notice, claim):
    calls[0] += 1
    if calls[0] == {kill_at}:
        os.kill(os.getpid(), signal.SIGKILL)
    record(notice, claim)
sending._mark_sent = killing
sending.notices_send({ids!r})
"""


@pytest.mark.parametrize(
    "kill_at",
    [pytest.param(1, id="first"), pytest.param(4, id="middle"), pytest.param(8, id="last")],
)
def test_a_kill_between_acceptance_and_record_resends_at_most_that_one_message(
    recall: RecallCase, manager: User, smtp: Any, settings: Any, kill_at: int
) -> None:
    dist = Party.objects.get(code="DIST")
    for n in range(6):
        Contact.objects.create(
            party=dist, name=f"Buyer {n}", email=f"buyer{n}@dist.example", language="en"
        )
    ids = issuing.notices_create(recall=recall, run=None, kind=Kind.INITIAL, party_ids=[dist.pk])
    rendering.notices_render(ids)
    assert len(ids) == 8
    env = dict(
        os.environ,
        DATABASE_URL=_database_url(),
        DJANGO_SETTINGS_MODULE="medrecall.settings.test",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(settings.EMAIL_PORT),
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
    )
    worker = subprocess.run(  # noqa: S603
        [sys.executable, "-c", WORKER.format(kill_at=kill_at, ids=ids)],
        env=env,
        check=False,
    )
    assert worker.returncode == -signal.SIGKILL
    assert len(smtp.messages) == kill_at  # the server accepted the k-th message too
    statuses = Counter(Notice.objects.filter(pk__in=ids).values_list("status", flat=True))
    assert statuses == Counter({"sent": kill_at - 1, "sending": 8 - kill_at + 1})

    settings.MEDRECALL_SEND_LEASE_SECONDS = 0  # the dead worker's claim lapses
    time.sleep(0.01)
    assert followup.retries_due() == 8 - kill_at + 1
    work_off_queue()

    assert set(Notice.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"sent"}
    received = Counter(message["Message-ID"] for _rcpt, message in smtp.messages)
    assert len(received) == 8  # every notice arrived
    assert sorted(received.values()) == [1] * 7 + [
        2
    ]  # exactly one duplicate: the message in the window
    [twice] = [message_id for message_id, count in received.items() if count == 2]
    assert twice == Notice.objects.order_by("pk").values_list("message_id", flat=True)[kill_at - 1]
