"""A task for the stale-task tests: the first run writes a marker and hangs (to be killed); a
run after that sees the marker and returns at once. Registered as safe to run again."""

from __future__ import annotations

import time
from pathlib import Path

from django.utils.translation import gettext_lazy
from django_tasks import task

from medrecall.core.workers import recoverable


@task()
def hang_once(marker: str) -> str:
    path = Path(marker)
    if path.exists():
        return "second run"
    path.write_text("started")
    time.sleep(300)
    return "slept"


recoverable(hang_once, rerun=True, why=gettext_lazy("the test task may run twice"))
