"""Task workers and the tasks they leave behind.

The database queue (django-tasks-db) marks a task ``RUNNING`` when a worker claims it and
``SUCCESSFUL``/``FAILED`` when the worker finishes it. A worker killed in between (SIGKILL, out
of memory, a machine restart) leaves the row ``RUNNING`` for ever. This module:

* keeps a heartbeat per worker (``TaskWorker``): ``medrecall tasks worker`` registers itself,
  writes ``seen_at`` every ``MEDRECALL_TASK_HEARTBEAT_SECONDS`` from a thread and records when it
  stops;
* finds *stale* tasks (``stale_tasks``): running, and the worker that claimed them is gone —
  on this machine its process no longer exists (known at once); on another machine its heartbeat
  is older than ``MEDRECALL_TASK_STALE_SECONDS``; a worker that never registered (a plain
  ``db_worker``) is judged by the task's age alone (started more than the bound ago);
* recovers them (``stale_tasks_recover``): a task registered as safe to run again
  (``recoverable(task, rerun=True)``) is put back in the queue, up to
  ``MEDRECALL_TASK_MAX_RUNS`` runs in all (a task that kills its worker every time stops there);
  any other is marked failed with the reason, which the admin shows in place of a traceback.

Each recovery is one conditional UPDATE (``status = RUNNING`` and the same ``started_at``), so
workers sweeping at the same time recover a task once. The RQ backend keeps its own registry of
abandoned jobs (RQ moves them to the failed registry); this module is for the database queue."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connections, transaction
from django.db.models import Count
from django.db.utils import DatabaseError
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext as _

from .models import TaskWorker
from .registry import Registry

log = logging.getLogger("medrecall.tasks")

REQUEUE, FAIL = "requeue", "fail"
STALE_EXCEPTION = "medrecall.core.workers.StaleTask"


def heartbeat_seconds() -> float:
    return float(getattr(settings, "MEDRECALL_TASK_HEARTBEAT_SECONDS", 30))


def stale_seconds() -> float:
    return float(getattr(settings, "MEDRECALL_TASK_STALE_SECONDS", 300))


def max_runs() -> int:
    return int(getattr(settings, "MEDRECALL_TASK_MAX_RUNS", 3))


# --- which tasks may run again ----------------------------------------------------------

ArgsHook = Callable[[list[Any], dict[str, Any]], None]


@dataclass(frozen=True)
class Recovery:
    """What to do with a stale run of one task. ``reset`` prepares a re-run (e.g. puts an import
    run back in its queue); ``give_up`` tells the task's record that it will not run again."""

    rerun: bool
    why: Any  # a lazy translation: why re-running is (not) safe
    reset: ArgsHook | None = None
    give_up: Callable[[list[Any], dict[str, Any], str], None] | None = None


# By the task's dotted path. Filled where the task is defined (``recoverable`` needs the task
# object), i.e. by each app's ``tasks.py``, which ``stale_tasks`` imports first.
RECOVERIES: Registry[Recovery] = Registry("task recovery")


def recoverable(
    task: Any,
    *,
    rerun: bool,
    why: Any,
    reset: ArgsHook | None = None,
    give_up: Callable[[list[Any], dict[str, Any], str], None] | None = None,
) -> None:
    """Say how a stale run of ``task`` (a django-tasks ``Task``) is recovered. Unregistered tasks
    are never run again by the sweep: they are marked failed."""
    RECOVERIES.register(
        task.module_path, Recovery(rerun=rerun, why=why, reset=reset, give_up=give_up)
    )


# --- finding stale tasks ----------------------------------------------------------------


@dataclass(frozen=True)
class StaleTask:
    id: str
    task_path: str
    started_at: datetime
    worker_id: str
    worker: str  # "host:pid", or "" for a worker that never registered
    runs: int
    action: str  # REQUEUE or FAIL
    reason: str

    @property
    def task_name(self) -> str:
        return self.task_path.rsplit(".", 1)[-1]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "task": self.task_path,
            "started_at": self.started_at.isoformat(),
            "worker": self.worker or self.worker_id,
            "runs": self.runs,
            "action": self.action,
            "reason": self.reason,
        }


def _process_gone(pid: int) -> bool:
    """Whether no live process has this id here (a zombie, killed but not yet reaped, is gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    with contextlib.suppress(OSError, IndexError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    return False


def _dead_workers(worker_ids: set[str], now: datetime) -> tuple[dict[str, TaskWorker], set[str]]:
    """The registered workers among ``worker_ids`` and which of them are gone."""
    here = socket.gethostname()
    workers = {w.worker_id: w for w in TaskWorker.objects.filter(worker_id__in=worker_ids)}
    local_pids = {w.pid for w in workers.values() if w.hostname == here}
    newest_by_pid: dict[int, datetime] = {}
    for pid, started in TaskWorker.objects.filter(hostname=here, pid__in=local_pids).values_list(
        "pid", "started_at"
    ):
        newest_by_pid[pid] = max(started, newest_by_pid.get(pid, started))
    lapsed = now - timedelta(seconds=stale_seconds())
    dead = set()
    for worker_id, worker in workers.items():
        if worker.stopped_at is not None:
            dead.add(worker_id)
        elif worker.hostname == here:
            # The pid was given to a newer worker, or no process has it any more.
            if newest_by_pid.get(
                worker.pid, worker.started_at
            ) > worker.started_at or _process_gone(worker.pid):
                dead.add(worker_id)
        elif worker.seen_at < lapsed:
            dead.add(worker_id)
    return workers, dead


@functools.cache
def _recoveries_registered() -> None:
    """Every app's tasks.py imported once per process (each registers how its tasks recover):
    looking for the modules again on every health check costs a path search per app."""
    autodiscover_modules("tasks")


def stale_tasks(*, now: datetime | None = None) -> list[StaleTask]:
    """Running tasks whose worker is gone (see the module's docstring), oldest first."""
    from django_tasks_db.models import DBTaskResult

    _recoveries_registered()
    now = now or timezone.now()
    running = list(
        DBTaskResult.objects.filter(status="RUNNING")
        .order_by("started_at")
        .values_list("id", "task_path", "started_at", "worker_ids")
    )
    last_worker = {str(pk): (ids[-1] if ids else "") for pk, _path, _at, ids in running}
    workers, dead = _dead_workers(set(last_worker.values()) - {""}, now)
    lapsed = now - timedelta(seconds=stale_seconds())
    found = []
    for pk, path, started_at, ids in running:
        worker_id = last_worker[str(pk)]
        worker = workers.get(worker_id)
        if worker is not None and worker_id not in dead:
            continue
        if worker is None and (started_at is None or started_at >= lapsed):
            continue  # an unregistered worker: only the task's age tells
        recovery = RECOVERIES.find(path)
        runs = len(ids)
        if recovery is None:
            action, reason = (
                FAIL,
                _(
                    "Its worker stopped while running it; this task is not known to be safe to run "
                    "again, so it was not."
                ),
            )
        elif not recovery.rerun:
            action, reason = (
                FAIL,
                _("Its worker stopped while running it; %(why)s") % {"why": recovery.why},
            )
        elif runs >= max_runs():
            action, reason = (
                FAIL,
                _("Its worker stopped while running it, %(runs)s times; it is not run again.")
                % {"runs": runs},
            )
        else:
            action, reason = (
                REQUEUE,
                _("Its worker stopped while running it; queued again (%(why)s).")
                % {"why": recovery.why},
            )
        found.append(
            StaleTask(
                id=str(pk),
                task_path=path,
                started_at=started_at or now,
                worker_id=worker_id,
                worker=f"{worker.hostname}:{worker.pid}" if worker else "",
                runs=runs,
                action=action,
                reason=reason,
            )
        )
    return found


# --- recovering them --------------------------------------------------------------------


def stale_tasks_recover(
    *, now: datetime | None = None, ids: set[str] | None = None
) -> list[StaleTask]:
    """Re-queue the stale tasks that may run again, mark the others failed with the reason.
    ``ids`` limits it to those tasks. Returns what was done (a task another sweep recovered
    first is left out)."""
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    done = []
    for stale in stale_tasks(now=now):
        if ids is not None and stale.id not in ids:
            continue
        with transaction.atomic():
            row = DBTaskResult.objects.filter(
                pk=stale.id, status="RUNNING", started_at=stale.started_at
            )
            args_kwargs = row.values_list("args_kwargs", flat=True).first() or {}
            args, kwargs = list(args_kwargs.get("args", [])), dict(args_kwargs.get("kwargs", {}))
            recovery = RECOVERIES.find(stale.task_path)
            if stale.action == REQUEUE:
                if not row.update(status="READY", started_at=None):
                    continue
                if recovery is not None and recovery.reset is not None:
                    recovery.reset(args, kwargs)
            else:
                if not row.update(
                    status="FAILED",
                    finished_at=now,
                    exception_class_path=STALE_EXCEPTION,
                    traceback=stale.reason,
                    return_value=None,
                ):
                    continue
                if recovery is not None and recovery.give_up is not None:
                    recovery.give_up(args, kwargs, stale.reason)
        log.warning(
            "Stale task %s (%s, worker %s, started %s): %s",
            stale.id,
            stale.task_path,
            stale.worker or stale.worker_id or "unknown",
            stale.started_at.isoformat(),
            stale.reason,
        )
        done.append(stale)
    return done


def task_counts() -> dict[str, int]:
    """For the health check: tasks waiting and running, stale ones, and live registered workers."""
    from django_tasks_db.models import DBTaskResult

    counts = dict.fromkeys(("READY", "RUNNING"), 0)
    for row in (
        DBTaskResult.objects.filter(status__in=list(counts))
        .values("status")
        .annotate(n=Count("id"))
    ):
        counts[row["status"]] = row["n"]
    now = timezone.now()
    live = TaskWorker.objects.filter(stopped_at__isnull=True)
    registered = set(live.values_list("worker_id", flat=True))
    _workers, dead = _dead_workers(registered, now)
    return {
        "waiting": counts["READY"],
        "running": counts["RUNNING"],
        # Only a running task can be stale: none running, nothing more to read.
        "stale": len(stale_tasks(now=now)) if counts["RUNNING"] else 0,
        "workers": len(registered - dead),
    }


# --- the heartbeat ----------------------------------------------------------------------


class Heartbeat:
    """Registers a worker and keeps its ``seen_at`` fresh from a thread until ``stop()``."""

    def __init__(self, worker_id: str) -> None:
        self.worker_id = worker_id
        self._stopped = threading.Event()
        self._thread = threading.Thread(
            target=self._beat, name=f"heartbeat-{worker_id}", daemon=True
        )

    def start(self) -> None:
        now = timezone.now()
        # Workers not heard of for a week are history: their tasks were recovered long since.
        TaskWorker.objects.filter(seen_at__lt=now - timedelta(days=7)).delete()
        TaskWorker.objects.update_or_create(
            worker_id=self.worker_id,
            defaults={
                "hostname": socket.gethostname(),
                "pid": os.getpid(),
                "started_at": now,
                "seen_at": now,
                "stopped_at": None,
            },
        )
        self._thread.start()

    def _beat(self) -> None:
        try:
            while not self._stopped.wait(heartbeat_seconds()):
                try:
                    TaskWorker.objects.filter(worker_id=self.worker_id).update(
                        seen_at=timezone.now()
                    )
                except (
                    DatabaseError
                ) as error:  # e.g. SQLite locked by a long import: try again next beat
                    log.warning("Task worker %s: heartbeat not written (%s)", self.worker_id, error)
                    close_old_connections()
        finally:
            connections.close_all()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=heartbeat_seconds() + 30)
        with contextlib.suppress(DatabaseError):
            TaskWorker.objects.filter(worker_id=self.worker_id).update(
                stopped_at=timezone.now(), seen_at=timezone.now()
            )
