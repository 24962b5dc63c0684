"""Background work of finance: posting the costs a lower context told about, and the sweep
that posts whatever a lost task missed. Both are safe to run twice (``postings``)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy
from django_tasks import task

from medrecall.core.workers import recoverable

from . import (
    budget_tasks,  # noqa: F401 - discovered here, so its tasks recover too
    postings,
)


@task()
def postings_post_task(what: str, ids: list[int]) -> dict[str, Any]:
    return postings.post_happened(what, ids).as_dict()


@task()
def postings_sweep_task() -> dict[str, Any]:
    return postings.postings_sweep().as_dict()


def on_happened(what: str, ids: tuple[int, ...]) -> None:
    """The hook execution and notices call after a change committed: queue its postings."""
    postings_post_task.enqueue(what, list(ids))


# A worker killed mid-posting: each entry is unique per source record, so running the task
# again posts what is missing and nothing twice.
_POSTS_ONCE = gettext_lazy("each cost is posted once per source record, so nothing is posted twice")
recoverable(postings_post_task, rerun=True, why=_POSTS_ONCE)
recoverable(postings_sweep_task, rerun=True, why=_POSTS_ONCE)
