"""``scripts/bootstrap.py serve`` supervises its processes: a task worker that dies is restarted
after a back-off with a clear line (and the restarted worker picks up the task the dead one left
running); a slow start gets a message, never a stop."""

from __future__ import annotations

import http.server
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from django_tasks_db.models import DBTaskResult

from tests.core.hanging_tasks import hang_once
from tests.notices.test_kill import _database_url

ROOT = Path(__file__).resolve().parents[2]


def _bootstrap() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bootstrap", ROOT / "scripts" / "bootstrap.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bootstrap = _bootstrap()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _exits(code: int) -> Any:
    def launch(name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        process = subprocess.Popen([sys.executable, "-c", f"raise SystemExit({code})"])  # noqa: S603
        process.wait()
        return process

    return launch


def test_the_worker_command_is_the_heartbeat_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MEDRECALL_TASK_BACKEND", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert bootstrap.worker_command() == ["tasks", "worker"]


def test_a_process_that_keeps_stopping_is_restarted_after_a_growing_back_off(capsys: Any) -> None:
    clock = FakeClock()
    supervisor = bootstrap.Supervisor(launch=_exits(3), stable_after=60, clock=clock)
    child = supervisor.add("task worker 1", ["tasks", "worker"])
    delays = []
    for _ in range(8):
        supervisor.check()
        assert child.restart_at is not None
        delays.append(child.restart_at - clock.now)
        clock.now = child.restart_at
        supervisor.check()  # restarts it
        assert child.restart_at is None
    assert delays == [1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0, 60.0]
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == (
        f"==> The task worker 1 (pid {lines[0].split('pid ')[1].split(')')[0]}) stopped unexpectedly "
        "(exit code 3); restarting it in 1 s (failure 1 in a row)"
    )
    assert lines[1] == "==> Restarting the task worker 1 (restart 1)"
    clock.now += 61  # it ran long enough: the back-off starts again
    supervisor.check()
    assert child.restart_at == clock.now + 1.0


def test_a_slow_start_is_reported_and_waited_for(capsys: Any) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    clock = FakeClock()
    watch = bootstrap.StartupWatch(f"http://127.0.0.1:{port}/healthz", slow_after=60, clock=clock)
    assert watch.check() is False
    assert capsys.readouterr().out == ""
    clock.now += 61
    assert watch.check() is False
    assert capsys.readouterr().out == (
        f"==> The web server has not answered on http://127.0.0.1:{port}/healthz after "
        "61 s; still waiting (a first start on a slow or busy machine can take "
        "longer; its messages are above)\n"
    )
    server = http.server.HTTPServer(("127.0.0.1", port), http.server.BaseHTTPRequestHandler)
    threading.Thread(target=server.handle_request, daemon=True).start()
    try:
        assert watch.check() is True  # up: the caller prints the banner once
        assert watch.check() is False
    finally:
        server.server_close()


@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_is_restarted_and_finishes_the_task_it_left(
    tmp_path: Path, settings: Any, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "MEDRECALL_TASK_BACKEND", "database"
    )  # the worker of the queue the test uses
    marker = tmp_path / "started"
    result_id = str(hang_once.enqueue(str(marker)).id)
    env = dict(
        os.environ,
        DATABASE_URL=_database_url(),
        DJANGO_SETTINGS_MODULE="medrecall.settings.test",
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        MEDRECALL_TASK_BACKEND="database",  # the database queue's worker, also when REDIS_URL is set
    )
    env.pop("REDIS_URL", None)

    def launch(name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        code = "import django; django.setup(); import tests.core.hanging_tasks; from medrecall.cli import main; main()"
        return subprocess.Popen(  # noqa: S603
            [sys.executable, "-c", code, *argv, "--interval", "0.1"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )

    supervisor = bootstrap.Supervisor(launch=launch)
    child = supervisor.add("task worker 1", bootstrap.worker_command())
    try:
        while not marker.exists():
            assert child.process.poll() is None
            time.sleep(0.1)
        first = child.process
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        supervisor.check()
        assert (
            f"==> The task worker 1 (pid {first.pid}) stopped unexpectedly (killed by SIGKILL); restarting it "
            "in 1 s (failure 1 in a row)" in capsys.readouterr().out
        )
        while child.process is first:
            time.sleep(0.1)
            supervisor.check()
        assert child.process.poll() is None  # a new worker runs
        while DBTaskResult.objects.get(pk=result_id).status != "SUCCESSFUL":
            assert child.process.poll() is None
            time.sleep(0.2)
        result = DBTaskResult.objects.get(pk=result_id)
        assert (result.return_value, len(result.worker_ids)) == ("second run", 2)
    finally:
        bootstrap.stop(supervisor.processes(), grace=30)
    assert child.process.returncode == 0  # SIGTERM: stopped cleanly
