"""Recall intelligence: writes. The only write is an import of public recall records; it runs
inside the importer's transaction (``importers.FdaImporter.run``), batch by batch, and ends
with one audit entry."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
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


@dataclass
class Written:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def public_recalls_write(
    *, source: Source, rows: Sequence[tuple[str, dict[str, Any]]], written: Written
) -> None:
    """Create or update one batch of records by natural key (``source``, ``key``): one query
    for the recorded ones, one ``bulk_create``, one ``bulk_update`` for those that changed."""
    if not rows:
        return
    from .importers import FIELDS

    keys = [key for key, _values in rows]
    recorded = {
        row[1]: row
        for row in PublicRecall.objects.filter(source=source, key__in=keys).values_list(
            "id", "key", *FIELDS
        )
    }
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


_TYPED = ("JSONField", "DateField")


def _converter(field: Any, database: Any) -> Callable[[Any], Any]:
    """How a JSON or date value goes to the database: on SQLite as Django writes it (JSON text,
    ISO date), without the per-value cost of the field's own conversion; elsewhere the field's."""
    if database.vendor == "sqlite":
        if field.get_internal_type() == "JSONField":
            return json.dumps
        return lambda value: value.isoformat() if value is not None else None
    return lambda value: field.get_db_prep_save(value, database)


def _insert(rows: Sequence[tuple[str, str, dict[str, Any]]], now: datetime) -> None:
    """New records as tuples (model instances cost more than the parsing in a file of 100,000
    records), ``ROWS_PER_STATEMENT`` to an ``INSERT``; values go through each field's own
    conversion for the database (dates, JSON)."""
    if not rows:
        return
    from .importers import FIELDS

    database = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: the proxy costs per use
    fields = [PublicRecall._meta.get_field(name) for name in ("source", "key", *FIELDS)]
    columns = [str(getattr(f, "column", f.name)) for f in fields]
    convert = {f.name: _converter(f, database) for f in fields if f.get_internal_type() in _TYPED}
    stamp = PublicRecall._meta.get_field("created_at").get_db_prep_save(now, database)
    table = database.ops.quote_name(PublicRecall._meta.db_table)
    names = ", ".join(database.ops.quote_name(column) for column in columns)
    row_marks = "(" + ", ".join(["%s"] * (len(fields) + 2)) + ")"
    statement = f"INSERT INTO {table} ({names}, created_at, updated_at)"
    tuples = []
    for source, key, values in rows:
        row: list[Any] = [source, key]
        for field in fields[2:]:
            value = values[field.name]
            row.append(convert[field.name](value) if field.name in convert else value)
        tuples.append((*row, stamp, stamp))
    with database.cursor() as cursor:
        for start in range(0, len(tuples), ROWS_PER_STATEMENT):
            chunk = tuples[start : start + ROWS_PER_STATEMENT]
            cursor.execute(
                f"{statement} VALUES {', '.join([row_marks] * len(chunk))}",
                [value for row in chunk for value in row],
            )


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
