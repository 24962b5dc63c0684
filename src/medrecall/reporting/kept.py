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

Never waited for when only the time passed: for one slot after its own (``STALE_SLOTS``) a
figure whose stamp is unchanged is answered as it was and recounted after the response
(``recounting_after_response``, ``reporting.middleware``); a new stamp is counted at once.

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
import logging
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
from django.utils import timezone, translation

from medrecall.audit.models import AuditEntry
from medrecall.recalls.models import RecallCase

T = TypeVar("T")
COUNTING_SHARE = 10  # a figure is kept at least ten times as long as it took to count
LAST_SECONDS = 3600  # the previous figures, answered while another request counts afresh
STALE_SLOTS = 2  # a figure whose slot expired is answered while recounted, never older than 2
LOCK_SECONDS = 600  # a lock in the cache left by a process that died frees itself after this
PAUSE_SECONDS = 0.05  # between two looks at whether the figure being counted has arrived
STAMPS_KEY = "reporting:recall-stamps"
STAMPS_READ_AT_MOST = 500  # audit entries classified per request; more: every recall anew

logger = logging.getLogger(__name__)


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


def _now() -> float:
    """The time a figure is counted and aged by (the tests move it)."""
    return time.time()


FRESH, STALE, MISSING = "fresh", "stale", "missing"


def _look(box: Any) -> tuple[str, Any, float]:
    """A kept figure ``(value, counted at, fresh for seconds)``: fresh within its time slot;
    stale for up to ``STALE_SLOTS`` slots (answered while recounted after the response);
    missing beyond, or not there."""
    if not (
        isinstance(box, tuple)
        and len(box) == 3
        and isinstance(box[1], float)
        and isinstance(box[2], int)
    ):
        return MISSING, None, 0.0
    value, counted_at, fresh_for = box
    age = _now() - counted_at
    if age < fresh_for:
        return FRESH, value, counted_at
    if age < STALE_SLOTS * fresh_for:
        return STALE, value, counted_at
    return MISSING, None, 0.0


def _boxed(value: Any, fresh_for: int) -> tuple[Any, float, int]:
    return (value, _now(), fresh_for)


def _last_of(box: Any) -> tuple[Any, float] | None:
    """A previous figure: ``(stamp, value, counted at)``."""
    if isinstance(box, tuple) and len(box) == 3 and isinstance(box[2], float):
        return box[1], box[2]
    return None


def kept(key: str, compute: Callable[[], T], *, stamp: int) -> T:
    """``compute()``, kept under ``key`` and the audit ``stamp`` for ``keep_seconds()``,
    counted by one request at a time (the module's docstring); when only its time slot
    expired, a request answers it as it was and recounts it after its response."""
    seconds = keep_seconds()
    if seconds <= 0:
        return compute()
    full, last_key = f"reporting:{key}:{stamp}", f"reporting:{key}:last"
    state, value, counted_at = _look(cache.get(full))
    if state == FRESH:
        return value  # type: ignore[no-any-return]
    if state == STALE and _recount_later(full, lambda: _recount(key, compute, stamp, seconds)):
        _note_stale(counted_at)
        return value  # type: ignore[no-any-return]
    waited_until = time.monotonic() + wait_seconds()
    first = True
    while True:
        with counting_lock(f"reporting:{key}") as mine:
            if mine:
                state, value, _at = _look(cache.get(full))
                if state == FRESH:  # counted by another while this one asked for the lock
                    return value  # type: ignore[no-any-return]
                return _count(key, compute, stamp, seconds)
        if first:
            last_box = cache.get(last_key)
            if isinstance(last_box, tuple) and len(last_box) == 3 and last_box[0] == stamp:
                return last_box[1]  # type: ignore[no-any-return]  # counted for this stamp just now
            last = _last_of(last_box)
            if last is not None:
                _note_stale(last[1])
                return last[0]  # type: ignore[no-any-return]
            first = False
        state, value, _at = _look(cache.get(full))
        if state == FRESH:
            return value  # type: ignore[no-any-return]
        if time.monotonic() > waited_until:
            return compute()  # the count takes too long to wait for it
        _pause()


def _count(key: str, compute: Callable[[], T], stamp: int, seconds: int) -> T:
    """Count (this request holds the lock) and keep the figure and, as the previous figure
    answered while the next count runs, the figure with its stamp."""
    started, value = time.monotonic(), compute()
    fresh_for = _keep_for(seconds, started)
    cache.set(f"reporting:{key}:{stamp}", _boxed(value, fresh_for), STALE_SLOTS * fresh_for)
    cache.set(f"reporting:{key}:last", (stamp, value, _now()), LAST_SECONDS)
    return value


def _recount(key: str, compute: Callable[[], Any], stamp: int, seconds: int) -> None:
    """After a response: count the figure whose slot expired, unless another request counts
    it or has counted it meanwhile."""
    with counting_lock(f"reporting:{key}") as mine:
        if mine and _look(cache.get(f"reporting:{key}:{stamp}"))[0] != FRESH:
            _count(key, compute, stamp, seconds)


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
    id's previous figure or wait for the count (``kept``). The ids whose slot only expired are
    answered as they were and recounted after the response."""
    wanted = list(dict.fromkeys(ids))
    seconds = keep_seconds()
    if seconds <= 0 or not wanted:
        return compute(wanted)
    stamp_of = stamp if callable(stamp) else (lambda _pk: stamp)
    keys = {pk: f"reporting:{key}:{pk}:{stamp_of(pk)}" for pk in wanted}
    found, stale = _found(keys, wanted)
    if stale:
        stale_keys = {pk: keys[pk] for pk in stale}
        name = f"reporting:{key}:" + ",".join(sorted(stale_keys.values()))
        if _recount_later(name, lambda: _recount_each(key, stale_keys, compute, seconds, stamp_of)):
            for pk, (value, counted_at) in stale.items():
                found[pk] = value
                _note_stale(counted_at)
    missing = [pk for pk in wanted if pk not in found]
    waited_until = time.monotonic() + wait_seconds()
    first = True
    while missing:
        with counting_lock(f"reporting:{key}") as mine:
            if mine:
                found.update(_found(keys, missing)[0])
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
        found.update(_found(keys, [pk for pk in missing if pk not in found])[0])
        missing = [pk for pk in missing if pk not in found]
        if missing and time.monotonic() > waited_until:
            found.update(compute(missing))  # the count takes too long to wait for it
            break
        if missing:
            _pause()
    return {pk: found[pk] for pk in wanted}


def _found(
    keys: Mapping[int, str], ids: list[int]
) -> tuple[dict[int, Any], dict[int, tuple[Any, float]]]:
    """The ids' fresh figures, and their stale ones with their count times."""
    boxes: dict[str, Any] = cache.get_many([keys[pk] for pk in ids]) if ids else {}
    fresh: dict[int, Any] = {}
    stale: dict[int, tuple[Any, float]] = {}
    for pk in ids:
        state, value, counted_at = _look(boxes.get(keys[pk]))
        if state == FRESH:
            fresh[pk] = value
        elif state == STALE:
            stale[pk] = (value, counted_at)
    return fresh, stale


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
    fresh_for = _keep_for(seconds, started)
    cache.set_many(
        {keys[pk]: _boxed(counted[pk], fresh_for) for pk in ids}, STALE_SLOTS * fresh_for
    )
    now = _now()
    cache.set_many(
        {f"reporting:{key}:{pk}:last": (stamp_of(pk), counted[pk], now) for pk in ids},
        LAST_SECONDS,
    )
    return {pk: counted[pk] for pk in ids}


def _recount_each(
    key: str,
    keys: Mapping[int, str],
    compute: Callable[[list[int]], dict[int, T]],
    seconds: int,
    stamp_of: Callable[[int], int],
) -> None:
    """After a response: count the ids whose slot expired, but those another request counted
    meanwhile; nothing while another request counts."""
    with counting_lock(f"reporting:{key}") as mine:
        if mine:
            ids = list(keys)
            fresh, _stale = _found(keys, ids)
            _count_each(
                key, keys, [pk for pk in ids if pk not in fresh], compute, seconds, stamp_of
            )


# -- recounted after the response --------------------------------------------------------------

_AFTER_RESPONSE: ContextVar[dict[str, Callable[[], None]] | None] = ContextVar(
    "reporting_after_response", default=None
)


@contextlib.contextmanager
def recounting_after_response() -> Iterator[dict[str, Callable[[], None]]]:
    """Inside (a request: ``reporting.middleware.RecountAfterResponse``), a figure whose time
    slot only expired is answered as it was, and its recount is noted in the dict yielded, once
    per figure, to run after the response is sent (``recount_pending``). Outside (a command, a
    task) the request that takes the lock counts at once, as for a new stamp."""
    pending: dict[str, Callable[[], None]] = {}
    token = _AFTER_RESPONSE.set(pending)
    try:
        yield pending
    finally:
        _AFTER_RESPONSE.reset(token)


def _recount_later(name: str, recount: Callable[[], None]) -> bool:
    """Note ``recount`` to run after the response, in this request's language and time zone;
    False outside a request that recounts after its response."""
    pending = _AFTER_RESPONSE.get()
    if pending is None:
        return False
    if name not in pending:
        language, zone = translation.get_language(), timezone.get_current_timezone()

        def run() -> None:
            with translation.override(language), timezone.override(zone):
                recount()

        pending[name] = run
    return True


def recount_pending(pending: dict[str, Callable[[], None]]) -> None:
    """Run the recounts noted during a request (its response is sent): one failing is logged
    and leaves the others to run; the previous figures stay answered until the bound."""
    for name, recount in list(pending.items()):
        try:
            recount()
        except Exception:
            logger.exception("Recounting the kept figure %s failed", name)
    pending.clear()


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
