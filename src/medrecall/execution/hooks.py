"""What execution tells the contexts above it once a change has committed: a return picked up,
a disposition done, a work order done (finance posts their costs).

The contexts above register an :data:`AFTER_COMMIT` hook in their ``AppConfig.ready()``
(docs/architecture.md, "Registries"); execution calls :func:`happened` in the service that made
the change. The hooks run after the transaction commits (``transaction.on_commit``, robust: a
hook that fails is logged and changes nothing here), so a rolled-back change tells nobody. A
hook should only enqueue work: the upper context's own sweep finds what a lost hook missed."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from django.db import transaction

from medrecall.core.registry import Registry

RETURN_PICKED_UP = "return_picked_up"
DISPOSITION_DONE = "disposition_done"
WORK_ORDER_DONE = "work_order_done"

AfterCommitHook = Callable[[str, tuple[int, ...]], None]  # (what happened, the records' ids)

AFTER_COMMIT: Registry[AfterCommitHook] = Registry("execution after-commit hook")


def happened(what: str, *ids: int) -> None:
    """Tell every registered hook, once the current transaction commits, that ``what``
    happened to the records ``ids``."""
    for hook in AFTER_COMMIT:
        transaction.on_commit(partial(hook, what, tuple(ids)), robust=True)
