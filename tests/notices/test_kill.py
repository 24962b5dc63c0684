"""A worker killed in the middle of sending: the notices it had sent stay sent, the rest are
sent once when the work resumes — none lost, none twice.

The worker is a real process (sending a batch), killed with SIGKILL by the SMTP server the
moment it starts the fourth message. It opens the same test database: PostgreSQL, or the
SQLite test database file (settings/test.py keeps SQLite tests in a file for this)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from typing import Any

import pytest
from django.db import connection

from medrecall.accounts.models import User
from medrecall.notices import followup, issuing, rendering
from medrecall.notices.models import Kind, Notice
from medrecall.parties.models import Contact, Party
from medrecall.recalls.models import RecallCase
from tests.notices.conftest import work_off_queue

pytestmark = pytest.mark.django_db(transaction=True)


class KillingServer:
    """Accepts messages; when the Nth message starts, kills the worker before it is accepted."""

    def __init__(self, inbox: Any, kill_at: int) -> None:
        self.inbox, self.kill_at, self.started, self.worker_pid = inbox, kill_at, 0, 0

    async def handle_MAIL(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        self.started += 1
        if self.started == self.kill_at and self.worker_pid:
            os.kill(self.worker_pid, signal.SIGKILL)
            return "421 shutting down"
        envelope.mail_from = address
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        return await self.inbox.handle_DATA(server, session, envelope)


def _database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        return (
            f"postgres://{settings['USER']}:{settings.get('PASSWORD') or ''}@{settings['HOST']}:"
            f"{settings['PORT']}/{settings['NAME']}"
        )
    name = str(settings["NAME"])
    if "memory" in name or not name:
        pytest.skip("the SQLite test database is in memory: another process cannot open it")
    return f"sqlite:///{name}"


def test_a_killed_worker_loses_nothing_and_sends_nothing_twice(
    recall: RecallCase, manager: User, smtp: Any, settings: Any
) -> None:
    url = _database_url()
    dist = Party.objects.get(code="DIST")
    for n in range(6):  # more recipients, so the kill lands in the middle
        Contact.objects.create(
            party=dist, name=f"Buyer {n}", email=f"buyer{n}@dist.example", language="en"
        )
    ids = issuing.notices_create(recall=recall, run=None, kind=Kind.INITIAL, party_ids=[dist.pk])
    rendering.notices_render(ids)
    assert Notice.objects.filter(pk__in=ids, status="queued").count() == len(ids) == 8

    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = KillingServer(smtp, kill_at=4)
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    env = dict(
        os.environ,
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="medrecall.settings.test",
        EMAIL_PORT=str(port),
        EMAIL_HOST="127.0.0.1",
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
    )
    code = (
        "import django; django.setup(); from medrecall.notices import sending; "
        f"sending.notices_send({ids!r})"
    )
    worker = subprocess.Popen([sys.executable, "-c", code], env=env)  # noqa: S603 - our own interpreter and code
    handler.worker_pid = worker.pid
    try:
        assert worker.wait(timeout=120) == -signal.SIGKILL
    finally:
        controller.stop()
    assert len(smtp.messages) == 3
    statuses = list(Notice.objects.filter(pk__in=ids).values_list("status", flat=True))
    assert statuses.count("sent") == 3
    assert statuses.count("sending") == 5  # claimed by the dead worker

    # The work resumes: the sweep finds the lapsed claims once their lease is over.
    assert (
        followup.retries_due() == 0
    )  # the lease has not lapsed yet: nothing is sent twice meanwhile
    settings.MEDRECALL_SEND_LEASE_SECONDS = 0
    time.sleep(0.01)
    assert followup.retries_due() == 5
    work_off_queue()
    assert set(Notice.objects.filter(pk__in=ids).values_list("status", flat=True)) == {"sent"}
    message_ids = [message["Message-ID"] for _rcpt, message in smtp.messages]
    assert len(message_ids) == 8
    assert len(set(message_ids)) == 8  # every notice exactly once
