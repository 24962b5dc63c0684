"""Figures kept in the cache until something is audited.

Every regulated change writes an audit entry in its transaction, so the id of the latest audit
entry tells whether a figure may have moved since it was counted: a figure kept under that id
is answered as long as no entry was written since, and for at most
``MEDRECALL_COCKPIT_CACHE_SECONDS`` or ten times what it took to count, whichever is longer
(what is not audited — a delivery report, an opened notice, the clock passing a due date —
shows within that time). 0 turns keeping off (tests
count afresh). The cockpit's figures (``progress.recall_progress``) and cost
(``cost.kept_cost``) are kept this way; the home page keeps its per-recall and per-user
figures with the helpers here."""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import fields, is_dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db.models import Max

from medrecall.audit.models import AuditEntry

T = TypeVar("T")
COUNTING_SHARE = 10  # a figure is kept at least ten times as long as it took to count


def keep_seconds() -> int:
    """How long a figure is kept at most (``MEDRECALL_COCKPIT_CACHE_SECONDS``; 0: never)."""
    return int(getattr(settings, "MEDRECALL_COCKPIT_CACHE_SECONDS", 0))


def audit_stamp() -> int:
    """The id of the latest audit entry (0 before the first)."""
    return int(AuditEntry.objects.aggregate(latest=Max("pk"))["latest"] or 0)


def shape_of(*kinds: type) -> str:
    """A short digest of the fields of the dataclasses kept: figures kept by a release whose
    dataclasses differ are never read."""
    names = ",".join(
        f"{kind.__name__}:{'|'.join(f.name for f in fields(kind))}"
        for kind in kinds
        if is_dataclass(kind)
    )
    return f"{zlib.crc32(names.encode()):08x}"


def kept(key: str, compute: Callable[[], T], *, stamp: int) -> T:
    """``compute()``, kept under ``key`` and the audit ``stamp`` for ``keep_seconds()``."""
    seconds = keep_seconds()
    if seconds <= 0:
        return compute()
    full = f"reporting:{key}:{stamp}"
    box = cache.get(full)
    if isinstance(box, tuple) and len(box) == 1:  # (value,): a kept None is a value too
        return box[0]  # type: ignore[no-any-return]
    started = time.monotonic()
    value = compute()
    cache.set(full, (value,), _keep_for(seconds, started))
    return value


def _keep_for(seconds: int, started: float) -> int:
    """At least ``seconds``, and ten times what the count took (the cockpit's rule: counting
    a million units' accounting over and over never takes more than a tenth of a worker)."""
    return max(seconds, round(COUNTING_SHARE * (time.monotonic() - started)))


def kept_each(
    key: str,
    ids: Iterable[int],
    compute: Callable[[list[int]], dict[int, T]],
    *,
    stamp: int,
) -> dict[int, T]:
    """``compute(ids)`` (a figure per id, counted set-based), each id's figure kept on its own
    under ``key``, the id and the audit ``stamp``: only the ids not kept are counted, in one
    call."""
    wanted = list(dict.fromkeys(ids))
    seconds = keep_seconds()
    if seconds <= 0 or not wanted:
        return compute(wanted)
    keys = {pk: f"reporting:{key}:{pk}:{stamp}" for pk in wanted}
    boxes: dict[str, Any] = cache.get_many(list(keys.values()))
    found: dict[int, T] = {}
    for pk, full in keys.items():
        box = boxes.get(full)
        if isinstance(box, tuple) and len(box) == 1:
            found[pk] = box[0]
    missing = [pk for pk in wanted if pk not in found]
    if missing:
        started = time.monotonic()
        counted = compute(missing)
        cache.set_many({keys[pk]: (counted[pk],) for pk in missing}, _keep_for(seconds, started))
        found.update({pk: counted[pk] for pk in missing})
    return {pk: found[pk] for pk in wanted}
