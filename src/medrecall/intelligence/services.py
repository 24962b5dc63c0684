"""Recall intelligence: writes. The only write is an import of public recall records; it runs
inside the importer's transaction (``importers.FdaImporter.run``), batch by batch, and ends
with one audit entry."""

from __future__ import annotations

import json
import queue
import sqlite3
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from types import TracebackType
from typing import TYPE_CHECKING, Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

from medrecall.audit import services as audit
from medrecall.core.types import ActorOrSystem

from .models import PublicRecall, Source

if TYPE_CHECKING:
    from .importers import FdaImportOutcome

WRITE_BATCH = 2000
# Rows per INSERT statement. On SQLite the full-text trigger writes each row into the FTS5 table,
# and FTS5 flushes what it holds in memory into a new index segment at every statement's end
# (the statement's savepoint): one row a statement (``executemany``) made a segment per record
# and merged them over and over, which cost more than everything else the import writes. 500
# rows of 41 values stay under SQLite's 32,766 and PostgreSQL's 65,535 parameters.
ROWS_PER_STATEMENT = 500


# SQLite's page cache for the import's connection while it writes (KiB, restored after): with
# the default 2 MB the indexes' pages of a large file are spilled to the write-ahead log and
# read back over and over (a third of the import's CPU time was the kernel's, at 100,000
# records). A bound, whatever the file's size: memory stays flat.
SQLITE_CACHE_KIB = 131_072


@dataclass
class Written:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


_DONE = None


class BatchWriter:
    """Writes an import's batches (``public_recalls_write``) in a second thread, on the
    import's own connection and so in its transaction, while the calling thread parses the
    next batch: the database's work (SQLite's inserts, indexes and full-text trigger; or
    PostgreSQL's, in its own process) runs without Python's global lock, so the two overlap
    on two cores. The batches are written one after the other in the order given (one
    thread, a queue of at most two batches: memory stays flat). The calling thread must not
    use the database until the writer is closed; a write's error is raised in the calling
    thread (at the next ``put``, at the latest when the writer closes), and nothing after
    it is written. When the parsing runs in another process (``parsing_process``), the calling
    thread unpickles the next batch meanwhile."""

    def __init__(self, source: Source, written: Written) -> None:
        self.source = source
        self.written = written
        self.database = connections[DEFAULT_DB_ALIAS]
        self._queue: queue.Queue[Sequence[tuple[str, dict[str, Any]]] | None] = queue.Queue(2)
        self._error: BaseException | None = None
        self._cache: int | None = None
        self._thread = threading.Thread(target=self._run, name="fda-import-writer", daemon=True)

    def __enter__(self) -> BatchWriter:
        self.database.ensure_connection()
        if self.database.vendor == "sqlite":
            with self.database.cursor() as cursor:
                cursor.execute("PRAGMA cache_size")
                self._cache = cursor.fetchone()[0]
                cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        self.database.inc_thread_sharing()
        self._thread.start()
        return self

    def put(self, rows: Sequence[tuple[str, dict[str, Any]]]) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(rows)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._queue.put(_DONE)
        self._thread.join()
        self.database.dec_thread_sharing()
        if self._cache is not None:
            with self.database.cursor() as cursor:
                cursor.execute(f"PRAGMA cache_size = {int(self._cache)}")
        if self._error is not None and error is None:
            raise self._error

    def _run(self) -> None:
        try:
            connections[DEFAULT_DB_ALIAS] = self.database  # the ORM in this thread: the same one
        except BaseException as error:  # raised again in the caller; the queue is still drained
            self._error = error
        while (rows := self._queue.get()) is not _DONE:
            if self._error is not None:
                continue  # keep taking batches so that the caller never waits on a full queue
            try:
                public_recalls_write(source=self.source, rows=rows, written=self.written)
            except BaseException as error:  # raised again in the caller
                self._error = error


def public_recalls_write(
    *, source: Source, rows: Sequence[tuple[str, dict[str, Any]]], written: Written
) -> None:
    """Create or update one batch of records by natural key (``source``, ``key``): one query
    for the recorded ones, one ``bulk_create``, one ``bulk_update`` for those that changed."""
    if not rows:
        return
    from .importers import FIELDS

    keys = _recorded_keys(source, [key for key, _values in rows])
    recorded = (
        {
            row[1]: row
            for row in PublicRecall.objects.filter(source=source, key__in=keys).values_list(
                "id", "key", *FIELDS
            )
        }
        if keys
        else {}
    )
    now = timezone.now()
    new: list[tuple[str, str, dict[str, Any]]] = []
    changed: list[PublicRecall] = []
    for key, values in rows:
        current = recorded.get(key)
        if current is None:
            new.append((source, key, values))
        elif tuple(current[2:]) != tuple(values[name] for name in FIELDS):
            changed.append(
                PublicRecall(id=current[0], source=source, key=key, updated_at=now, **values)
            )
        else:
            written.unchanged += 1
    _insert(new, now)
    if changed:
        PublicRecall.objects.bulk_update(changed, [*FIELDS, "updated_at"], batch_size=200)
    written.created += len(new)
    written.updated += len(changed)


def _recorded_keys(source: Source, keys: list[str]) -> list[str]:
    """Which of a batch's keys are recorded already: one plain statement (the ORM's look-up
    resolves each of the batch's keys as a parameter, and a first import records none)."""
    database = connections[DEFAULT_DB_ALIAS]
    table = database.ops.quote_name(PublicRecall._meta.db_table)
    with database.cursor() as cursor:
        cursor.execute(
            f"SELECT key FROM {table} WHERE source = %s AND key IN "  # noqa: S608 - fixed names
            f"({', '.join(['%s'] * len(keys))})",
            [source, *keys],
        )
        return [key for (key,) in cursor.fetchall()]


_TYPED = ("JSONField", "DateField")


def _json_text(value: Any) -> str:
    """A JSON value as Django writes it on SQLite (``json.dumps``), without the encoder's call
    for the empty lists and objects most records hold (no states, no 510(k) numbers)."""
    if not value:
        if value == []:
            return "[]"
        if value == {}:
            return "{}"
    return json.dumps(value)


def _iso_date(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _converter(field: Any, database: Any) -> Callable[[Any], Any]:
    """How a JSON or date value goes to the database: on SQLite as Django writes it (JSON text,
    ISO date), without the per-value cost of the field's own conversion; elsewhere the field's."""
    if database.vendor == "sqlite":
        if field.get_internal_type() == "JSONField":
            return _json_text
        return _iso_date
    return lambda value: field.get_db_prep_save(value, database)


def _insert(rows: Sequence[tuple[str, str, dict[str, Any]]], now: datetime) -> None:
    """New records as tuples (model instances cost more than the parsing in a file of 100,000
    records), ``ROWS_PER_STATEMENT`` to an ``INSERT``; values go through each field's own
    conversion for the database (dates, JSON). The plain columns come first, taken from a
    record in one C-level call (``itemgetter``); the converted ones after them."""
    if not rows:
        return
    from .importers import FIELDS

    database = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: the proxy costs per use
    model_fields = [PublicRecall._meta.get_field(name) for name in FIELDS]
    plain = [f for f in model_fields if f.get_internal_type() not in _TYPED]
    typed = [(f.name, _converter(f, database)) for f in model_fields if f not in plain]
    columns = [
        str(getattr(f, "column", f.name))
        for f in (
            PublicRecall._meta.get_field("source"),
            PublicRecall._meta.get_field("key"),
            *plain,
            *(PublicRecall._meta.get_field(name) for name, _convert in typed),
        )
    ]
    stamp = PublicRecall._meta.get_field("created_at").get_db_prep_save(now, database)
    table = database.ops.quote_name(PublicRecall._meta.db_table)
    names = ", ".join(database.ops.quote_name(column) for column in columns)
    width = len(columns) + 2
    take_plain = itemgetter(*(f.name for f in plain))
    params: list[Any] = []
    for source, key, values in rows:
        params += (source, key)
        params += take_plain(values)
        params += [convert(values[name]) for name, convert in typed]
        params += (stamp, stamp)
    statement = f"INSERT INTO {table} ({names}, created_at, updated_at) VALUES "  # noqa: S608
    with database.cursor() as cursor:
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            count = min(ROWS_PER_STATEMENT, len(rows) - start)
            _execute(
                database,
                cursor,
                statement,
                width,
                count,
                params[start * width : (start + count) * width],
            )


def _execute(
    database: Any, cursor: Any, statement: str, width: int, count: int, params: list[Any]
) -> None:
    """One multi-row ``INSERT``. On SQLite written with the driver's own ``?`` marks and given
    to the driver's cursor: Django's SQLite cursor turns every ``%s`` into ``?`` with a regular
    expression, and over the 20,000 marks of a statement that cost 28 µs a record (a fifth of
    the writing); its query log (``DEBUG``) does not see these statements. Elsewhere with
    ``%s``, through Django's cursor, as any statement."""
    if database.vendor == "sqlite":
        row = "(" + ", ".join(["?"] * width) + ")"
        sqlite3.Cursor.execute(cursor.cursor, statement + ", ".join([row] * count), params)
        return
    row = "(" + ", ".join(["%s"] * width) + ")"
    cursor.execute(statement + ", ".join([row] * count), params)


ANALYZE_AFTER = 500
"""Records an import writes (created or updated) before the table's statistics are refreshed."""
SQLITE_ANALYSIS_ROWS = 1000
"""Rows SQLite's ``ANALYZE`` reads of each index (``PRAGMA analysis_limit``): estimates good
enough for the planner at a bounded cost, whatever the table's size."""


def public_recalls_analyse(*, written: Written) -> bool:
    """Fresh planner statistics for the public recall table after an import that wrote many
    records (in the import's transaction: the statistics commit with the rows). Without them,
    PostgreSQL planned the similar-recall search over a table it believed empty or small until
    autovacuum came round (p95 497 ms right after a 100,000-record import, 96.8 ms after
    ``ANALYZE``), and ``search._postgresql`` reads which words are common from ``pg_stats``.
    PostgreSQL: when the import grew or changed the table by a tenth or more; SQLite: a
    sampled ``ANALYZE`` (``sqlite_stat1``). Answers whether it ran."""
    rows = written.created + written.updated
    if rows < ANALYZE_AFTER:
        return False
    database = connections[DEFAULT_DB_ALIAS]
    table = PublicRecall._meta.db_table
    with database.cursor() as cursor:
        if database.vendor == "postgresql":
            cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
            if rows < 0.1 * max(cursor.fetchone()[0], 0):
                return False
            cursor.execute(f"ANALYZE {database.ops.quote_name(table)}")
            return True
        if database.vendor == "sqlite":
            cursor.execute("PRAGMA analysis_limit")
            limit = cursor.fetchone()[0]
            cursor.execute(f"PRAGMA analysis_limit = {SQLITE_ANALYSIS_ROWS}")
            try:
                cursor.execute(f"ANALYZE {database.ops.quote_name(table)}")
            finally:
                cursor.execute(f"PRAGMA analysis_limit = {int(limit)}")
            return True
    return False


def record_import(
    *, source: Source, file_name: str, outcome: FdaImportOutcome, actor: ActorOrSystem
) -> None:
    """The import's audit entry: the file and what it did, in the import's transaction."""
    changes = {
        "file": file_name,
        "records": outcome.rows,
        "created": outcome.created,
        "updated": outcome.updated,
        "unchanged": outcome.unchanged,
        "repeated": outcome.repeated,
        "not_devices": outcome.not_devices,
        "code_info_unread": outcome.code_info_unread,
    }
    action = (
        "intelligence.fda_recalls_imported"
        if source == Source.RECALL
        else "intelligence.fda_enforcement_imported"
    )
    audit.record(
        actor=actor,
        action=action,
        target_type="intelligence.publicrecall",
        target_label=file_name[:255],
        changes=changes,
    )
