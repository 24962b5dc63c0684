"""Background work of the core: running imports.

A stale import (its worker killed) is run again (``core/workers.py``): an import writes its rows
in one transaction, so a killed one wrote nothing, and natural keys make a second run
idempotent. The import run goes back to *queued* first; after ``MEDRECALL_TASK_MAX_RUNS`` runs
it is marked failed with the reason instead."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy
from django_tasks import task

from . import services, workers
from .models import ImportRun, ImportStatus


@task()
def import_run_execute(run_id: int, language: str = "") -> str:
    """``language``: the one the import was started in; its messages are written in it."""
    return services.import_run_execute(run_id=run_id, language=language).status


def _run_id(args: list[Any], kwargs: dict[str, Any]) -> Any:
    return kwargs.get("run_id", args[0] if args else None)


def _import_requeued(args: list[Any], kwargs: dict[str, Any]) -> None:
    run = ImportRun.objects.filter(pk=_run_id(args, kwargs), status=ImportStatus.RUNNING).first()
    if run is not None:
        run.progress_path.unlink(missing_ok=True)
        ImportRun.objects.filter(pk=run.pk, status=ImportStatus.RUNNING).update(
            status=ImportStatus.QUEUED, started_at=None, progress_done=0
        )


def _import_abandoned(args: list[Any], kwargs: dict[str, Any], reason: str) -> None:
    ImportRun.objects.filter(
        pk=_run_id(args, kwargs), status__in=(ImportStatus.RUNNING, ImportStatus.QUEUED)
    ).update(status=ImportStatus.FAILED, finished_at=timezone.now(), message=reason)


workers.recoverable(
    import_run_execute,
    rerun=True,
    reset=_import_requeued,
    give_up=_import_abandoned,
    why=gettext_lazy("an import writes all its rows or none, so the stopped run wrote nothing"),
)
