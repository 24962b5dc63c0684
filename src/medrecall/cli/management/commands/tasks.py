"""``medrecall tasks worker|stale|requeue``: the database queue's worker with a heartbeat, and
the tasks a killed worker left running (``core/workers.py``).

* ``worker`` — django-tasks-db's worker plus a heartbeat (``TaskWorker``); at start-up it
  recovers stale tasks, so a worker restarted after a kill picks its lost task up again. This
  is what ``scripts/bootstrap.py serve`` runs, and what production should run instead of
  ``db_worker``.
* ``stale`` — list the stale tasks and what recovering them would do.
* ``requeue [ID ...]`` — recover them (all, or those named): re-queue where safe, else mark
  failed with the reason."""

from __future__ import annotations

import sys
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.utils.crypto import get_random_string
from django.utils.translation import gettext as _

from medrecall.cli.command import ProductCommand
from medrecall.core import workers
from medrecall.core.presentation import local_time


class Command(ProductCommand):
    help = (
        "Task queue tools: 'worker' runs tasks from the database queue with a heartbeat (and recovers stale "
        "tasks at start-up); 'stale' lists tasks left running by a worker that is gone; 'requeue [ID ...]' "
        "re-queues them where safe and marks the others failed."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = self.subcommands(parser, dest="action")
        worker = actions.add(
            "worker", self._worker, help="Run tasks from the database queue, with a heartbeat."
        )
        worker.add_argument(
            "--interval", type=float, default=1.0, help="Seconds between polls of an empty queue."
        )
        worker.add_argument("--batch", action="store_true", help="Run what is queued, then stop.")
        worker.add_argument(
            "--queue-name",
            default="default",
            help="The queues to take tasks from (comma-separated).",
        )
        actions.add("stale", self._stale, help="Tasks left running by a worker that is gone.")
        requeue = actions.add(
            "requeue",
            self._requeue,
            help="Re-queue stale tasks where safe; mark the others failed.",
        )
        requeue.add_argument(
            "ids", nargs="*", metavar="ID", help="Only these tasks (default: every stale one)."
        )

    def _describe(self, stale: workers.StaleTask) -> str:
        return _(
            "%(id)s %(task)s, started %(started)s on %(worker)s, run %(runs)s time(s): %(reason)s"
        ) % {
            "id": stale.id,
            "task": stale.task_name,
            "started": local_time(stale.started_at),
            "worker": stale.worker or _("an unregistered worker"),
            "runs": stale.runs,
            "reason": stale.reason,
        }

    def _stale(self, options: dict[str, Any]) -> None:
        found = workers.stale_tasks()
        if not found:
            self.stdout.write(_("No stale tasks."))
            return
        for stale in found:
            self.stdout.write(self._describe(stale))

    def _requeue(self, options: dict[str, Any]) -> None:
        ids = set(options["ids"])
        known = {stale.id for stale in workers.stale_tasks()}
        if unknown := sorted(ids - known):
            raise CommandError(
                _("Not a stale task (not running, or its worker is alive): %(ids)s")
                % {"ids": ", ".join(unknown)}
            )
        done = workers.stale_tasks_recover(ids=ids or None)
        for stale in done:
            self.stdout.write(self._describe(stale))
        requeued = sum(1 for s in done if s.action == workers.REQUEUE)
        self.stdout.write(
            _("%(requeued)s re-queued, %(failed)s marked failed.")
            % {"requeued": requeued, "failed": len(done) - requeued}
        )

    def _worker(self, options: dict[str, Any]) -> None:
        if "django_tasks_db" not in str(settings.TASKS["default"]["BACKEND"]):
            raise CommandError(
                _(
                    "The task backend is not the database queue; run its own worker "
                    "(with REDIS_URL: medrecall rqworker --job-class django_tasks_rq.Job default)."
                )
            )
        from django_tasks_db.management.commands.db_worker import Worker

        worker_id = get_random_string(32)
        recovered = workers.stale_tasks_recover()
        for stale in recovered:
            self.stdout.write(
                _("Recovered a stale task: %(task)s") % {"task": self._describe(stale)}
            )
        heartbeat = workers.Heartbeat(worker_id)
        heartbeat.start()
        self.stdout.write(
            _("Task worker %(id)s started (heartbeat every %(seconds)s s).")
            % {"id": worker_id, "seconds": int(workers.heartbeat_seconds())}
        )
        sys.stdout.flush()
        worker = Worker(
            queue_names=options["queue_name"].split(","),
            interval=options["interval"],
            batch=options["batch"],
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=worker_id,
            excluded_queue_names=[],
        )
        worker.configure_signals()
        try:
            worker.run()
        finally:
            heartbeat.stop()
