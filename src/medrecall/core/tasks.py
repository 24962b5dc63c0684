"""Background work of the core: running imports."""

from __future__ import annotations

from django_tasks import task

from . import services


@task()
def import_run_execute(run_id: int, language: str = "") -> str:
    """``language``: the one the import was started in; its messages are written in it."""
    return services.import_run_execute(run_id=run_id, language=language).status
