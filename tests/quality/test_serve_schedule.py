"""``scripts/bootstrap.py serve`` (the embedded default) runs the reporting-clock alert sweep on
a schedule beside the deadline clock, so a fresh installation alerts without a cron."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

ROOT = Path(__file__).resolve().parents[2]
CLOCKS = ["quality", "clocks", "--alert", "--every", "300"]


def _bootstrap() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bootstrap", ROOT / "scripts" / "bootstrap.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bootstrap = _bootstrap()


class _Stop(Exception):
    pass


class RecordingSupervisor:
    """Stands for ``Supervisor``: records what serve starts, then stops serve like Ctrl-C."""

    started: list[tuple[str, list[str]]] = []

    def __init__(self, **_: Any) -> None:
        RecordingSupervisor.started = []

    def add(self, name: str, argv: list[str]) -> None:
        RecordingSupervisor.started.append((name, argv))

    def check(self) -> None:
        raise KeyboardInterrupt

    def processes(self) -> dict[str, subprocess.Popen[bytes]]:
        return {}


def test_serve_starts_the_reporting_clock_sweep(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("MEDRECALL_SECRET_KEY_FILE", str(tmp_path / "secret.key"))
    monkeypatch.setenv("EMAIL_HOST", "mail.example.com")
    monkeypatch.setenv("MEDRECALL_WORKERS", "1")
    monkeypatch.delenv("MEDRECALL_TASK_BACKEND", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setattr(bootstrap, "set_up", lambda: None)
    monkeypatch.setattr(bootstrap, "run", lambda *args, **kwargs: None)
    monkeypatch.setattr(bootstrap, "collect_static", lambda: None)
    monkeypatch.setattr(bootstrap, "port_is_free", lambda host, port: True)
    monkeypatch.setattr(bootstrap, "Supervisor", RecordingSupervisor)

    assert bootstrap.serve("127.0.0.1", 8765) == 0

    assert RecordingSupervisor.started == [
        ("task worker 1", ["tasks", "worker"]),
        ("deadline clock", ["deadlines", "alert", "--every", "300"]),
        ("notice follow-up", ["notices", "sweep", "--every", "300"]),
        ("work-order escalation", ["execution", "workorders", "escalate", "--every", "900"]),
        ("reporting-clock alerts", CLOCKS),
        ("web server", ["runserver", "127.0.0.1:8765", "--noreload"]),
    ]


@pytest.mark.django_db
def test_the_scheduled_command_puts_the_sweep_on_the_task_queue(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    argv = dict(bootstrap.PERIODIC_JOBS)["reporting-clock alerts"]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        raise _Stop

    monkeypatch.setattr("time.sleep", sleep)

    with pytest.raises(_Stop):
        call_command(*argv)

    assert slept == [300]
    queued = DBTaskResult.objects.filter(task_path__endswith="reporting_alert_sweep")
    assert list(queued.values_list("task_path", flat=True)) == [
        "medrecall.quality.tasks.reporting_alert_sweep"
    ]
