"""Figures kept in the cache until something is audited.

Every regulated change writes an audit entry in its transaction, so the id of the latest audit
entry tells whether a figure may have moved since it was counted: a figure kept under that id
is answered as long as no entry was written since, and for at most
``MEDRECALL_COCKPIT_CACHE_SECONDS`` or ten times what it took to count, whichever is longer
(what is not audited — a delivery report, an opened notice, the clock passing a due date —
shows within that time). 0 turns keeping off (tests count afresh).

One recall's figures are kept under that recall's own stamp (``recall_stamps``): the latest
entry about the recall or a record of it, or about anything not of one recall (a party, an
import, a setting), so activity on one recall does not recount every other recall's figures.

Counted once (``kept``, ``kept_each``): when a figure is missing or stale and several requests
ask at once, one counts under a lock (``counting_lock``: the cache's atomic ``add`` on Redis,
an operating-system file lock beside the file cache) while the others answer the previous
figures, noted as of the time they were counted (``noting_stale``), or, with none to answer,
wait up to ``MEDRECALL_KEPT_WAIT_SECONDS`` for the count and only then count themselves.

The cockpit's figures (``progress.recall_progress``) and cost (``cost.kept_cost``) are kept
this way; the home page keeps its per-recall and per-user figures with the helpers here."""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import os
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from django.apps import apps
from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.filebased import FileBasedCache
from django.db.models import ForeignKey, Max, Model

from medrecall.audit.models import AuditEntry
from medrecall.recalls.models import RecallCase

T = TypeVar("T")
COUNTING_SHARE = 10  # a figure is kept at least ten times as long as it took to count
LAST_SECONDS = 3600  # the previous figures, answered while another request counts afresh
LOCK_SECONDS = 600  # a lock in the cache left by a process that died frees itself after this
PAUSE_SECONDS = 0.05  # between two looks at whether the figure being counted has arrived
STAMPS_KEY = "reporting:recall-stamps"
STAMPS_READ_AT_MOST = 500  # audit entries classified per request; more: every recall anew


def keep_seconds() -> int:
    """How long a figure is kept at most (``MEDRECALL_COCKPIT_CACHE_SECONDS``; 0: never)."""
    return int(getattr(settings, "MEDRECALL_COCKPIT_CACHE_SECONDS", 0))


def wait_seconds() -> float:
    """How long a request without previous figures waits for another's count
    (``MEDRECALL_KEPT_WAIT_SECONDS``) before it counts itself."""
    return float(getattr(settings, "MEDRECALL_KEPT_WAIT_SECONDS", 5))


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


# -- previous figures answered: noted for the page ------------------------------------------


@dataclass
class StaleNote:
    """The oldest count time of the previous figures answered while ``noting_stale``."""

    counted_at: list[datetime] = field(default_factory=list)

    @property
    def as_of(self) -> datetime | None:
        return min(self.counted_at) if self.counted_at else None


_STALE: ContextVar[StaleNote | None] = ContextVar("reporting_stale", default=None)


@contextlib.contextmanager
def noting_stale() -> Iterator[StaleNote]:
    """Notes the count time of every previous figure answered inside (a page says "as of")."""
    note = StaleNote()
    token = _STALE.set(note)
    try:
        yield note
    finally:
        _STALE.reset(token)


def _note_stale(counted_at: float) -> None:
    note = _STALE.get()
    if note is not None:
        note.counted_at.append(datetime.fromtimestamp(counted_at, tz=UTC))


# -- one count at a time ---------------------------------------------------------------------


def _lock_dir() -> Path | None:
    """Beside the file cache: an operating-system lock (the file cache's ``add`` is not atomic
    between processes). ``None``: the cache's own ``add`` is (Redis, local memory)."""
    backend = caches["default"]
    if isinstance(backend, FileBasedCache):
        return Path(str(getattr(backend, "_dir"))) / "locks"  # noqa: B009  (not in the stubs)
    return None


@contextlib.contextmanager
def counting_lock(name: str) -> Iterator[bool]:
    """Yields True when this request holds the lock ``name`` (it counts), False when another
    does. Never waits."""
    folder = _lock_dir()
    if folder is None:
        key = f"{name}:lock"
        mine = cache.add(key, os.getpid(), timeout=LOCK_SECONDS)
        try:
            yield mine
        finally:
            if mine:
                cache.delete(key)
        return
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{hashlib.sha256(name.encode()).hexdigest()[:32]}.lock"
    with path.open("a") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _pause() -> None:
    time.sleep(PAUSE_SECONDS)


def _boxed(box: Any) -> bool:
    return isinstance(box, tuple) and len(box) == 1  # (value,): a kept None is a value too


def _last_of(box: Any) -> tuple[Any, float] | None:
    """A previous figure: ``(stamp, value, counted at)``."""
    if isinstance(box, tuple) and len(box) == 3 and isinstance(box[2], float):
        return box[1], box[2]
    return None


def kept(key: str, compute: Callable[[], T], *, stamp: int) -> T:
    """``compute()``, kept under ``key`` and the audit ``stamp`` for ``keep_seconds()``,
    counted by one request at a time (the module's docstring)."""
    seconds = keep_seconds()
    if seconds <= 0:
        return compute()
    full, last_key = f"reporting:{key}:{stamp}", f"reporting:{key}:last"
    box = cache.get(full)
    if _boxed(box):
        return box[0]  # type: ignore[no-any-return]
    waited_until = time.monotonic() + wait_seconds()
    first = True
    while True:
        with counting_lock(f"reporting:{key}") as mine:
            if mine:
                box = cache.get(full)  # counted by another while this one asked for the lock
                if _boxed(box):
                    return box[0]  # type: ignore[no-any-return]
                started, value = time.monotonic(), compute()
                cache.set(full, (value,), _keep_for(seconds, started))
                cache.set(last_key, (stamp, value, time.time()), LAST_SECONDS)
                return value
        if first:
            last_box = cache.get(last_key)
            if isinstance(last_box, tuple) and len(last_box) == 3 and last_box[0] == stamp:
                return last_box[1]  # type: ignore[no-any-return]  # counted for this stamp just now
            last = _last_of(last_box)
            if last is not None:
                _note_stale(last[1])
                return last[0]  # type: ignore[no-any-return]
            first = False
        box = cache.get(full)
        if _boxed(box):
            return box[0]  # type: ignore[no-any-return]
        if time.monotonic() > waited_until:
            return compute()  # the count takes too long to wait for it
        _pause()


def _keep_for(seconds: int, started: float) -> int:
    """At least ``seconds``, and ten times what the count took (the cockpit's rule: counting
    a million units' accounting over and over never takes more than a tenth of a worker)."""
    return max(seconds, round(COUNTING_SHARE * (time.monotonic() - started)))


def kept_each(
    key: str,
    ids: Iterable[int],
    compute: Callable[[list[int]], dict[int, T]],
    *,
    stamp: int | Callable[[int], int],
) -> dict[int, T]:
    """``compute(ids)`` (a figure per id, counted set-based), each id's figure kept on its own
    under ``key``, the id and its audit stamp (``stamp``: one for all, or one per id): only the
    ids not kept are counted, in one call, by one request at a time; the others answer each
    id's previous figure or wait for the count (``kept``)."""
    wanted = list(dict.fromkeys(ids))
    seconds = keep_seconds()
    if seconds <= 0 or not wanted:
        return compute(wanted)
    stamp_of = stamp if callable(stamp) else (lambda _pk: stamp)
    keys = {pk: f"reporting:{key}:{pk}:{stamp_of(pk)}" for pk in wanted}
    found = _found(keys, wanted)
    missing = [pk for pk in wanted if pk not in found]
    waited_until = time.monotonic() + wait_seconds()
    first = True
    while missing:
        with counting_lock(f"reporting:{key}") as mine:
            if mine:
                found.update(_found(keys, missing))
                missing = [pk for pk in missing if pk not in found]
                found.update(_count_each(key, keys, missing, compute, seconds, stamp_of))
                break
        if first:
            lasts = cache.get_many([f"reporting:{key}:{pk}:last" for pk in missing])
            for pk in missing:
                last = _last_of(lasts.get(f"reporting:{key}:{pk}:last"))
                if last is not None:
                    found[pk] = last[0]
                    _note_stale(last[1])
            first = False
        found.update(_found(keys, [pk for pk in missing if pk not in found]))
        missing = [pk for pk in missing if pk not in found]
        if missing and time.monotonic() > waited_until:
            found.update(compute(missing))  # the count takes too long to wait for it
            break
        if missing:
            _pause()
    return {pk: found[pk] for pk in wanted}


def _found(keys: Mapping[int, str], ids: list[int]) -> dict[int, Any]:
    boxes: dict[str, Any] = cache.get_many([keys[pk] for pk in ids]) if ids else {}
    return {pk: boxes[keys[pk]][0] for pk in ids if _boxed(boxes.get(keys[pk]))}


def _count_each(
    key: str,
    keys: Mapping[int, str],
    ids: list[int],
    compute: Callable[[list[int]], dict[int, T]],
    seconds: int,
    stamp_of: Callable[[int], int],
) -> dict[int, T]:
    if not ids:
        return {}
    started = time.monotonic()
    counted = compute(ids)
    cache.set_many({keys[pk]: (counted[pk],) for pk in ids}, _keep_for(seconds, started))
    now = time.time()
    cache.set_many(
        {f"reporting:{key}:{pk}:last": (stamp_of(pk), counted[pk], now) for pk in ids},
        LAST_SECONDS,
    )
    return {pk: counted[pk] for pk in ids}


# -- each recall's own stamp -----------------------------------------------------------------


@dataclass(frozen=True)
class RecallStamps:
    """The latest audit entry (``latest``), the latest not about one recall (``shared``), and
    per recall the latest about it or a record of it (``own``): a recall's stamp is the later
    of ``shared`` and its own."""

    latest: int
    shared: int
    own: Mapping[int, int]

    def of(self, recall_id: int) -> int:
        return max(self.shared, self.own.get(recall_id, 0))


@functools.cache
def _recall_records() -> dict[str, type[Model]]:
    """Audit target types that are records of one recall: the recall itself and every model
    with a ``recall`` foreign key to it."""
    found: dict[str, type[Model]] = {RecallCase._meta.label_lower: RecallCase}
    for model in apps.get_models():
        link = next((f for f in model._meta.fields if f.name == "recall"), None)
        if isinstance(link, ForeignKey) and link.related_model is RecallCase:
            found[model._meta.label_lower] = model
    return found


def _recalls_of(entries: list[tuple[int, str, str]]) -> dict[int, int | None]:
    """Per audit entry id, the recall its record belongs to (``None``: not one recall's — a
    party, an import, a setting, a record since deleted)."""
    records = _recall_records()
    wanted: dict[str, set[int]] = {}
    for _pk, target_type, target_id in entries:
        if target_type in records and target_id.isdigit():
            wanted.setdefault(target_type, set()).add(int(target_id))
    owner: dict[tuple[str, int], int | None] = {}
    for target_type, ids in wanted.items():
        model = records[target_type]
        if model is RecallCase:
            owner.update({(target_type, pk): pk for pk in ids})
            continue
        for pk, recall_id in model._default_manager.filter(pk__in=ids).values_list(
            "pk", "recall_id"
        ):
            owner[(target_type, pk)] = recall_id
    return {
        pk: owner.get((target_type, int(target_id))) if target_id.isdigit() else None
        for pk, target_type, target_id in entries
    }


def recall_stamps() -> RecallStamps:
    """Each recall's stamp, from the audit entries written since the last request classified
    them (one query when nothing was written; the classification is kept in the cache)."""
    box = cache.get(STAMPS_KEY)
    if not (isinstance(box, tuple) and len(box) == 3):
        start = audit_stamp()  # nothing classified: every recall's stamp starts here
        cache.set(STAMPS_KEY, (start, start, {}), None)
        return RecallStamps(start, start, {})
    cursor, shared, own = box
    entries = list(
        AuditEntry.objects.filter(pk__gt=cursor)
        .order_by("pk")
        .values_list("pk", "target_type", "target_id")[: STAMPS_READ_AT_MOST + 1]
    )
    if not entries:
        return RecallStamps(cursor, shared, own)
    if len(entries) > STAMPS_READ_AT_MOST:
        start = audit_stamp()  # too many to classify now: every recall's stamp starts here
        cache.set(STAMPS_KEY, (start, start, {}), None)
        return RecallStamps(start, start, {})
    own = dict(own)
    for pk, recall_id in _recalls_of(entries).items():
        if recall_id is None:
            shared = pk
        else:
            own[recall_id] = pk
    own = {recall_id: pk for recall_id, pk in own.items() if pk > shared}
    latest = entries[-1][0]
    cache.set(STAMPS_KEY, (latest, shared, own), None)
    return RecallStamps(latest, shared, own)


def recall_stamp(recall_id: int) -> int:
    """One recall's stamp (``recall_stamps``)."""
    return recall_stamps().of(recall_id)
