"""The references the product is measured against: the same work done the shortest way we know.

* Import: the events, already resolved to ids, copied straight into a table shaped like the events
  table (same columns and indexes, no foreign keys, no checks, no positions): PostgreSQL
  ``COPY … FROM STDIN``; SQLite ``executemany`` into an unindexed temporary table and one
  ``INSERT … SELECT`` (measured faster than ``executemany`` into the indexed table: 7.5 s
  against 11 s for a million rows), in one transaction.
* Trace: one hand-written query that follows genealogy and computes, per location, what arrived
  (or is on its way), what is there now and what is in transit, for the recalled lots.

Import this module only after ``django.setup()``.
"""

from __future__ import annotations

import csv
import re
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

EVENTS = "traceability_traceevent"
LOWER = "bench_lower_events"
RAW_COLUMNS = (
    "event_id",
    "event_type",
    "event_time",
    "lot_id",
    "serial_id",
    "quantity",
    "from_location_id",
    "to_location_id",
    "document_ref",
    "into_lot_id",
    "retracted",
    "recorded_at",
)
NULL = r"\N"  # COPY's text format for NULL; also what the SQLite path reads back as None
COPY_BLOCK = 1 << 20


@lru_cache(maxsize=65536)
def _utc_text(moment: str) -> str:
    """Django's SQLite form of a datetime (naive UTC text); PostgreSQL takes the ISO text as is."""
    return str(datetime.fromisoformat(moment).astimezone(UTC).replace(tzinfo=None))


def resolve_events(csv_path: Path, out_path: Path) -> int:
    """Write the events of ``csv_path`` as rows of ids (tab-separated, ``\\N`` for NULL), read
    against what the product's import stored: the pre-resolved tuples the lower bound copies."""
    from medrecall.catalog.models import DeviceModel, Lot, Serial
    from medrecall.parties.models import Location

    postgres = connection.vendor == "postgresql"
    models = dict(DeviceModel.objects.values_list("udi_di", "pk"))
    locations = {
        "": NULL,
        **{code: str(pk) for code, pk in Location.objects.values_list("code", "pk")},
    }
    lots = {
        (model, number): str(pk)
        for model, number, pk in Lot.objects.values_list(
            "device_model_id", "number", "pk"
        ).iterator(chunk_size=20_000)
    }
    serials = {
        (model, number): str(pk)
        for model, number, pk in Serial.objects.values_list(
            "device_model_id", "serial", "pk"
        ).iterator(chunk_size=20_000)
    }
    recorded = timezone.now().isoformat() if postgres else _utc_text(timezone.now().isoformat())
    retracted = "f" if postgres else "0"
    written = 0
    with (
        csv_path.open(encoding="utf-8", newline="") as source,
        out_path.open("w", encoding="utf-8") as out,
    ):
        reader = csv.reader(source)
        next(reader)
        lines: list[str] = []
        for (
            event_id,
            kind,
            moment,
            gtin,
            lot,
            serial,
            quantity,
            origin,
            target,
            doc,
            _m,
            _e,
            into_gtin,
            into_lot,
        ) in reader:
            model = models[gtin]
            into = lots[(models[into_gtin], into_lot)] if into_lot else NULL
            lines.append(
                "\t".join(
                    (
                        event_id,
                        kind,
                        moment if postgres else _utc_text(moment),
                        lots[(model, lot)],
                        serials[(model, serial)] if serial else NULL,
                        quantity,
                        locations[origin],
                        locations[target],
                        doc,
                        into,
                        retracted,
                        recorded,
                    )
                )
            )
            if len(lines) >= 50_000:
                out.write("\n".join(lines) + "\n")
                written += len(lines)
                lines.clear()
        if lines:
            out.write("\n".join(lines) + "\n")
            written += len(lines)
    return written


def create_lower_table() -> None:
    """A table with the events table's columns, defaults and indexes, without foreign keys."""
    drop_lower_table()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"CREATE TABLE {LOWER} (LIKE {EVENTS} INCLUDING ALL)")
            return
        cursor.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE tbl_name = %s AND sql IS NOT NULL "
            "ORDER BY type DESC",
            [EVENTS],
        )
        statements = cursor.fetchall()
        for kind, name, sql in statements:
            sql = re.sub(r' REFERENCES "\w+" \("\w+"\)( DEFERRABLE INITIALLY DEFERRED)?', "", sql)
            sql = sql.replace(f'"{EVENTS}"', f'"{LOWER}"')
            if kind == "index":
                sql = sql.replace(f'"{name}"', f'"{LOWER}_{name}"', 1)
            cursor.execute(sql)


def _lower_indexes() -> list[tuple[str, tuple[str, ...], bool]]:
    """(name, columns, unique or primary) of the lower-bound table's indexes."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT i.relname, ix.indisunique OR ix.indisprimary, ARRAY(SELECT a.attname FROM unnest(ix.indkey) "
                "WITH ORDINALITY k(attnum, n) JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum "
                "ORDER BY k.n) FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid "
                "WHERE ix.indrelid = %s::regclass ORDER BY i.oid",
                [LOWER],
            )
            return [(name, tuple(columns), strong) for name, strong, columns in cursor.fetchall()]
        cursor.execute(f"PRAGMA index_list('{LOWER}')")
        found = []
        for _seq, name, unique, _origin, _partial in cursor.fetchall():
            cursor.execute(f"PRAGMA index_info('{name}')")
            found.append((name, tuple(row[2] for row in cursor.fetchall()), bool(unique)))
        return found


def drop_duplicate_indexes() -> list[str]:
    """Drop the lower-bound table's indexes that another index already covers (a non-unique index
    whose columns are the leading columns of another): what the events table would lose if each
    column were indexed once. Returns the dropped names."""
    indexes = sorted(_lower_indexes(), key=lambda i: (not i[2], -len(i[1])))
    kept: list[tuple[str, ...]] = []
    dropped = []
    with connection.cursor() as cursor:
        for name, columns, strong in indexes:
            if not strong and any(other[: len(columns)] == columns for other in kept):
                cursor.execute(f'DROP INDEX "{name}"')
                dropped.append(name)
            else:
                kept.append(columns)
    return dropped


def drop_lower_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {LOWER}")


def _sqlite_rows(path: Path) -> Iterator[tuple[str | None, ...]]:
    with path.open(encoding="utf-8") as source:
        for line in source:
            yield tuple(None if value == NULL else value for value in line.rstrip("\n").split("\t"))


def copy_lower(path: Path) -> float:
    """Seconds to load the resolved rows into the lower-bound table, commit included."""
    columns = ", ".join(RAW_COLUMNS)
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor
        if connection.vendor == "postgresql":
            with (
                raw.copy(f"COPY {LOWER} ({columns}) FROM STDIN") as copy,
                path.open("rb") as source,
            ):
                while block := source.read(COPY_BLOCK):
                    copy.write(block)
        else:
            marks = ", ".join("?" * len(RAW_COLUMNS))
            raw.execute(
                f"CREATE TEMP TABLE bench_raw_rows AS SELECT {columns} FROM {LOWER} WHERE 0"
            )
            raw.executemany(f"INSERT INTO bench_raw_rows VALUES ({marks})", _sqlite_rows(path))
            raw.execute(f"INSERT INTO {LOWER} ({columns}) SELECT {columns} FROM bench_raw_rows")
            raw.execute("DROP TABLE bench_raw_rows")
    return time.perf_counter() - started


def _ids(values: Sequence[int]) -> str:
    return ", ".join(str(int(v)) for v in values)


def trace_sql(seed_lot_ids: Sequence[int]) -> str:
    """One query: genealogy, then per location (received incl. on its way, on hand, in transit)
    with the location's and its party's codes and names: every field of the product's holder lines.

    Arrivals and what each shipment note still owes are summed in one pass over the events,
    grouped by (lot, serial, destination, document); departures in a second; a ``returned``
    that closes no shipment also leaves where it came from."""
    postgres = connection.vendor == "postgresql"
    cast = "CAST(id AS BIGINT)" if postgres else "id"
    no = "FALSE" if postgres else "0"
    # PostgreSQL estimates a CTE's rows badly and then reads the whole events table; an array of
    # the lots (an init plan) makes it probe the lot index, as SQLite does with ``IN (SELECT …)``.
    in_scope = (
        "= ANY(ARRAY(SELECT lot_id FROM scope))" if postgres else "IN (SELECT lot_id FROM scope)"
    )
    return f"""
WITH RECURSIVE scope(lot_id) AS (
  SELECT {cast} FROM catalog_lot WHERE id IN ({_ids(seed_lot_ids)})
  UNION
  SELECT e.into_lot_id FROM {EVENTS} e JOIN scope ON e.lot_id = scope.lot_id
   WHERE e.event_type = 'transformed' AND e.retracted = {no} AND e.into_lot_id IS NOT NULL
),
ev AS (
  SELECT e.event_type, e.lot_id, e.serial_id, e.quantity, e.from_location_id, e.to_location_id, e.document_ref
    FROM {EVENTS} e WHERE e.retracted = {no} AND e.lot_id {in_scope}
),
docs AS (
  SELECT lot_id, serial_id, to_location_id AS location_id, document_ref,
         SUM(CASE WHEN event_type IN ('produced', 'received', 'returned') THEN quantity ELSE 0 END) AS arrived,
         SUM(CASE WHEN event_type = 'shipped' THEN quantity ELSE 0 END) AS shipped,
         SUM(CASE WHEN event_type IN ('received', 'returned') THEN quantity ELSE 0 END) AS closed
    FROM ev WHERE to_location_id IS NOT NULL
   GROUP BY lot_id, serial_id, to_location_id, document_ref
),
flows AS (
  SELECT location_id, arrived, 0 AS departed, CASE WHEN shipped > closed THEN shipped - closed ELSE 0 END AS transit
    FROM docs
  UNION ALL
  SELECT from_location_id, 0, quantity, 0 FROM ev
   WHERE event_type IN ('shipped', 'consumed', 'destroyed', 'transformed') AND from_location_id IS NOT NULL
  UNION ALL
  SELECT r.from_location_id, 0, r.quantity, 0 FROM ev r
    LEFT JOIN docs d ON d.lot_id = r.lot_id AND COALESCE(d.serial_id, 0) = COALESCE(r.serial_id, 0)
         AND d.location_id = r.to_location_id AND d.document_ref = r.document_ref
   WHERE r.event_type = 'returned' AND r.from_location_id IS NOT NULL AND COALESCE(d.shipped, 0) = 0
),
holders AS (
  SELECT location_id, SUM(arrived) + SUM(transit) AS received, SUM(arrived) - SUM(departed) AS on_hand,
         SUM(transit) AS in_transit
    FROM flows GROUP BY location_id HAVING SUM(arrived) + SUM(transit) > 0
)
SELECT l.code, l.name, l.location_type, l.country, l.province, l.city, p.code, p.name, p.party_type,
       h.received, h.on_hand, h.in_transit
  FROM holders h JOIN parties_location l ON l.id = h.location_id JOIN parties_party p ON p.id = l.party_id"""


HOLDER_FIELDS = (
    "location",
    "location_name",
    "location_type",
    "country",
    "province",
    "city",
    "party",
    "party_name",
    "party_type",
    "received",
    "on_hand",
    "in_transit",
)


def trace_lower(seed_lot_ids: Sequence[int]) -> list[tuple[Any, ...]]:
    """The recall's holders from the one query, as tuples in ``HOLDER_FIELDS`` order."""
    with connection.cursor() as cursor:
        cursor.execute(trace_sql(seed_lot_ids))
        return [(*row[:9], int(row[9]), int(row[10]), int(row[11])) for row in cursor.fetchall()]


def affected_events(seed_lot_ids: Sequence[int]) -> tuple[int, int]:
    """(lots after genealogy, their events): the size of what a recall has to read."""
    sql = trace_sql(seed_lot_ids)
    head = sql[: sql.index("ev AS (")].rstrip().rstrip(",")  # the genealogy alone
    with connection.cursor() as cursor:
        cursor.execute(
            f"{head} SELECT (SELECT COUNT(*) FROM scope), "
            f"(SELECT COUNT(*) FROM {EVENTS} WHERE lot_id IN (SELECT lot_id FROM scope))"
        )
        lots, events = cursor.fetchone()
    return int(lots), int(events)
