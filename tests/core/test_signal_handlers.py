"""The in-process task worker's signal handlers do not outlive the test that ran it."""

from __future__ import annotations

import signal

import pytest
from django.core.management import call_command

from tests.conftest import restored_signal_handlers


@pytest.mark.django_db(transaction=True)
def test_the_worker_handlers_are_undone_after_the_test() -> None:
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    with restored_signal_handlers():
        call_command("db_worker", batch=True, verbosity=0)
        # The worker leaves its graceful-shutdown handler behind, which only notes SIGTERM.
        assert signal.getsignal(signal.SIGTERM) is not before[signal.SIGTERM]

    assert {sig: signal.getsignal(sig) for sig in before} == before
