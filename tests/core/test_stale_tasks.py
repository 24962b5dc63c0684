"""Tasks left RUNNING by a worker that is gone are found, shown and recovered: re-queued where
the task says it may run again, else marked failed with the reason."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from medrecall.accounts.models import User
from medrecall.catalog.models import DeviceModel
from medrecall.core import workers
from medrecall.core.models import ImportRun, ImportStatus, TaskWorker
from medrecall.core.tasks import import_run_execute
from tests.core.hanging_tasks import hang_once
from tests.notices.test_kill import _database_url

PRODUCTS = b"gtin,model_code,name,tracking\n06950000000019,PUMP-1,pump,serial\n"


def _dead_pid() -> int:
    finished = subprocess.Popen(["true"])  # noqa: S607 - a process that is gone once reaped
    finished.wait()
    return finished.pid


def _running(result_id: str, worker_id: str, *, started_ago: float = 10, runs: int = 1) -> None:
    DBTaskResult.objects.filter(pk=result_id).update(
        status="RUNNING",
        started_at=timezone.now() - timedelta(seconds=started_ago),
        worker_ids=[f"earlier-{n}" for n in range(runs - 1)] + [worker_id],
    )


def _worker(
    worker_id: str, *, host: str = "", pid: int = 0, seen_ago: float = 0, stopped: bool = False
) -> None:
    now = timezone.now()
    TaskWorker.objects.create(
        worker_id=worker_id,
        hostname=host or socket.gethostname(),
        pid=pid or os.getpid(),
        started_at=now - timedelta(hours=1),
        seen_at=now - timedelta(seconds=seen_ago),
        stopped_at=now if stopped else None,
    )


def _import_task(analyst: User) -> tuple[ImportRun, str]:
    run = ImportRun.objects.create(
        kind="products",
        file_name="p.csv",
        policy="reject",
        created_by=analyst,
        status=ImportStatus.RUNNING,
        started_at=timezone.now(),
    )
    run.source.save("p.csv", ContentFile(PRODUCTS), save=True)
    return run, str(import_run_execute.enqueue(run_id=run.pk).id)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("worker", "started_ago", "stale"),
    [
        pytest.param({"pid": -1}, 10, True, id="local-process-gone"),
        pytest.param({}, 10_000, False, id="local-process-alive-however-old"),
        pytest.param({"stopped": True}, 10, True, id="worker-stopped-cleanly-mid-task"),
        pytest.param(
            {"host": "other-machine", "pid": 4242, "seen_ago": 301},
            400,
            True,
            id="other-machine-silent",
        ),
        pytest.param(
            {"host": "other-machine", "pid": 4242, "seen_ago": 5},
            10_000,
            False,
            id="other-machine-beating",
        ),
        pytest.param(None, 301, True, id="unregistered-worker-past-the-bound"),
        pytest.param(None, 299, False, id="unregistered-worker-within-the-bound"),
    ],
)
def test_a_running_task_is_stale_when_its_worker_is_gone(
    analyst: User, settings: Any, worker: dict[str, Any] | None, started_ago: float, stale: bool
) -> None:
    settings.MEDRECALL_TASK_STALE_SECONDS = 300
    _run, result_id = _import_task(analyst)
    if worker is not None:
        _worker(
            "w1",
            **{**worker, "pid": _dead_pid() if worker.get("pid") == -1 else worker.get("pid", 0)},
        )
    _running(result_id, "w1", started_ago=started_ago)
    found = workers.stale_tasks()
    assert [s.id for s in found] == ([result_id] if stale else [])


@pytest.mark.django_db
def test_a_pid_given_to_a_newer_worker_does_not_keep_the_old_one_alive(analyst: User) -> None:
    _run, result_id = _import_task(analyst)
    _worker("old", pid=os.getpid())
    TaskWorker.objects.filter(worker_id="old").update(started_at=timezone.now() - timedelta(days=1))
    _worker("new", pid=os.getpid())
    _running(result_id, "old")
    assert [s.worker_id for s in workers.stale_tasks()] == ["old"]


@pytest.mark.django_db(transaction=True)
def test_a_stale_import_is_queued_again_and_then_runs(analyst: User) -> None:
    run, result_id = _import_task(analyst)
    _worker("gone", pid=_dead_pid())
    _running(result_id, "gone")
    [stale] = workers.stale_tasks()
    assert (stale.action, stale.task_name, stale.runs) == ("requeue", "import_run_execute", 1)
    assert stale.reason == (
        "Its worker stopped while running it; queued again (an import writes all its rows or "
        "none, so the stopped run wrote nothing)."
    )
    assert workers.stale_tasks_recover() == [stale]
    assert workers.stale_tasks_recover() == []  # once
    run.refresh_from_db()
    assert (run.status, run.started_at) == ("queued", None)
    assert DBTaskResult.objects.get(pk=result_id).status == "READY"
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    run.refresh_from_db()
    assert (run.status, run.created_count) == ("accepted", 1)
    assert DeviceModel.objects.count() == 1
    assert DBTaskResult.objects.get(pk=result_id).status == "SUCCESSFUL"


@pytest.mark.django_db
def test_a_task_that_stopped_its_worker_max_runs_times_is_failed_with_the_reason(
    analyst: User, settings: Any
) -> None:
    settings.MEDRECALL_TASK_MAX_RUNS = 3
    run, result_id = _import_task(analyst)
    _worker("gone", pid=_dead_pid())
    _running(result_id, "gone", runs=3)
    [stale] = workers.stale_tasks_recover()
    assert stale.action == "fail"
    result = DBTaskResult.objects.get(pk=result_id)
    assert (result.status, result.exception_class_path) == (
        "FAILED",
        "medrecall.core.workers.StaleTask",
    )
    assert result.traceback == "Its worker stopped while running it, 3 times; it is not run again."
    run.refresh_from_db()
    assert (run.status, run.message) == (
        "failed",
        "Its worker stopped while running it, 3 times; it is not run again.",
    )
    assert DeviceModel.objects.count() == 0


@pytest.mark.django_db
def test_a_sweep_task_is_failed_not_run_again(analyst: User) -> None:
    from medrecall.notices.tasks import follow_up_sweep_task

    result_id = str(follow_up_sweep_task.enqueue().id)
    _worker("gone", pid=_dead_pid())
    _running(result_id, "gone")
    [stale] = workers.stale_tasks_recover()
    assert (
        stale.reason
        == "Its worker stopped while running it; the follow-up sweep runs again on its schedule."
    )
    assert DBTaskResult.objects.get(pk=result_id).status == "FAILED"


@pytest.mark.django_db
def test_the_commands_list_and_recover_stale_tasks(analyst: User, capsys: Any) -> None:
    call_command("tasks", "stale")
    assert capsys.readouterr().out == "No stale tasks.\n"
    _run, result_id = _import_task(analyst)
    _worker("gone", pid=4_000_000)  # above any pid Linux gives
    _running(result_id, "gone")
    call_command("tasks", "stale")
    listed = capsys.readouterr().out
    assert listed.startswith(f"{result_id} import_run_execute, started ")
    assert (
        f"on {socket.gethostname()}:4000000, run 1 time(s): Its worker stopped while running it; queued again"
        in listed
    )
    assert DBTaskResult.objects.get(pk=result_id).status == "RUNNING"  # listing changes nothing
    with pytest.raises(CommandError, match=r"Not a stale task .*: not-a-task"):
        call_command("tasks", "requeue", "not-a-task")
    assert DBTaskResult.objects.get(pk=result_id).status == "RUNNING"
    call_command("tasks", "requeue", result_id)
    assert capsys.readouterr().out.endswith("1 re-queued, 0 marked failed.\n")
    assert DBTaskResult.objects.get(pk=result_id).status == "READY"


@pytest.mark.django_db
def test_health_check_and_admin_show_stale_tasks(analyst: User, admin_client: Client) -> None:
    _run, result_id = _import_task(analyst)
    _worker("gone", pid=_dead_pid())
    _worker("alive")
    _running(result_id, "gone")
    health = Client().get("/healthz").json()
    assert health["status"] == "ok"
    assert health["checks"]["task_queue"] == {
        "ok": True,
        "backend": "database",
        "waiting": 0,
        "running": 1,
        "stale": 1,
        "workers": 1,
    }
    page = admin_client.get("/admin/django_tasks_database/dbtaskresult/")
    assert "1 task(s) were left running by a worker that is gone." in page.content.decode()
    listed = admin_client.get("/admin/django_tasks_database/dbtaskresult/?stale=yes")
    assert list(listed.context["cl"].result_list.values_list("pk", flat=True)) == [
        DBTaskResult.objects.get(pk=result_id).pk
    ]
    admin_client.post(
        "/admin/django_tasks_database/dbtaskresult/",
        {"action": "recover_stale", "_selected_action": [result_id]},
    )
    assert DBTaskResult.objects.get(pk=result_id).status == "READY"
    assert Client().get("/healthz").json()["checks"]["task_queue"]["stale"] == 0


@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_leaves_its_task_to_the_next_worker(tmp_path: Path, settings: Any) -> None:
    """Real processes: a worker killed (SIGKILL) mid-task; the next worker's start-up finds the
    task stale, queues it again and runs it."""
    marker = tmp_path / "started"
    result_id = str(hang_once.enqueue(str(marker)).id)
    env = dict(
        os.environ,
        DATABASE_URL=_database_url(),
        DJANGO_SETTINGS_MODULE="medrecall.settings.test",
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
    )
    command = [
        sys.executable,
        "-c",
        "import django; django.setup(); import tests.core.hanging_tasks; from medrecall.cli import main; main()",
        "tasks",
        "worker",
        "--interval",
        "0.1",
    ]
    first = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)  # noqa: S603 - our interpreter and code
    try:
        while not marker.exists():
            assert first.poll() is None, "the worker stopped before it took the task"
            time.sleep(0.1)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    assert DBTaskResult.objects.get(pk=result_id).status == "RUNNING"
    [stale] = workers.stale_tasks()
    assert (stale.id, stale.action, stale.worker) == (
        result_id,
        "requeue",
        f"{socket.gethostname()}:{first.pid}",
    )

    second = subprocess.run(  # noqa: S603
        [*command, "--batch"], env=env, capture_output=True, text=True, check=False
    )
    assert second.returncode == 0, second.stderr
    assert "Recovered a stale task:" in second.stdout
    result = DBTaskResult.objects.get(pk=result_id)
    assert (result.status, result.return_value, len(result.worker_ids)) == (
        "SUCCESSFUL",
        "second run",
        2,
    )
    assert workers.stale_tasks() == []
    assert (
        TaskWorker.objects.filter(stopped_at__isnull=False).count() == 1
    )  # the second stopped cleanly
