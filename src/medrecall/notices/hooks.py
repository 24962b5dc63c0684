"""What notices tells the contexts above it once a change has committed: an offer fulfilled,
letters posted (finance posts the compensation and the postage).

The contexts above register an :data:`AFTER_COMMIT` hook in their ``AppConfig.ready()``
(docs/architecture.md, "Registries"); notices calls :func:`happened` in the service that made
the change. The hooks run after the transaction commits (``transaction.on_commit``, robust: a
hook that fails is logged and changes nothing here), so a rolled-back change tells nobody. A
hook should only enqueue work: the upper context's own sweep finds what a lost hook missed.

Letters posted together (``postal.letters_posted``) are told in one call with every letter's
log entry (:func:`batched`), not one call per letter."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import partial

from django.db import transaction

from medrecall.core.registry import Registry

OFFER_FULFILLED = "offer_fulfilled"
LETTERS_POSTED = "letters_posted"  # ids: the letters' log entries (NoticeEvent, type letter)

AfterCommitHook = Callable[[str, tuple[int, ...]], None]  # (what happened, the records' ids)

AFTER_COMMIT: Registry[AfterCommitHook] = Registry("notices after-commit hook")

_batch: ContextVar[dict[str, list[int]] | None] = ContextVar("notices_hook_batch", default=None)


def happened(what: str, *ids: int) -> None:
    """Tell every registered hook, once the current transaction commits, that ``what``
    happened to the records ``ids`` (inside :func:`batched`: at the end of the batch)."""
    collecting = _batch.get()
    if collecting is not None:
        collecting.setdefault(what, []).extend(ids)
        return
    for hook in AFTER_COMMIT:
        transaction.on_commit(partial(hook, what, tuple(ids)), robust=True)


@contextmanager
def batched() -> Iterator[None]:
    """Collect what happens inside the block and tell it once per kind when the block ends."""
    if _batch.get() is not None:  # already collecting: the outer block tells
        yield
        return
    token = _batch.set({})
    try:
        yield
        collected = _batch.get() or {}
    finally:
        _batch.reset(token)
    for what, ids in collected.items():
        happened(what, *ids)
