"""Staging and applying trace events, set-based.

The parsed rows go into a temporary staging table (PostgreSQL ``COPY``, SQLite
``executemany``; only this module knows the vendor), the checks that need the database
run as SQL over the whole table, and the events are applied with one ``INSERT … SELECT``.
Everything happens in the caller's transaction: a file with any bad row changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _

from medrecall.audit import services as audit
from medrecall.core.errors import RowError
from medrecall.core.types import ActorOrSystem
from medrecall.traceability import custody
from medrecall.traceability.engine import recompute_positions

from .rows import Staged

STAGING = "medrecall_event_staging"
STAGING_COLUMNS = (
    "row_no",
    "event_id",
    "event_type",
    "event_time",
    "model_id",
    "lot",
    "serial",
    "quantity",
    "from_id",
    "to_id",
    "document_ref",
    "manufactured",
    "expiry",
    "into_model_id",
    "into_lot",
)
MAX_REPORTED = 10_000
EVENTS = "traceability_traceevent"
KNOWN_EVENT = f"EXISTS (SELECT 1 FROM {EVENTS} e WHERE e.event_id = s.event_id)"
"""A staged row (``s``) whose event id is already recorded."""
ANALYZE_AFTER = 500  # rows an import adds to a table before it may need fresh statistics


@dataclass
class StageResult:
    staged: int = 0
    created: int = 0
    unchanged: int = 0
    lots_created: int = 0
    serials_created: int = 0
    affected_lot_ids: list[int] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def record_events_imported(
    *,
    actor: ActorOrSystem,
    import_run_id: int | None,
    file_name: str,
    created: int,
    unchanged: int,
    lots_created: int,
    serials_created: int,
    retracted: int,
) -> None:
    """The audit entry of an events import, whichever path (staging or direct load) wrote it."""
    audit.record(
        actor=actor,
        action="traceability.events_imported",
        target_type="traceability.traceevent",
        target_id=str(import_run_id or "*"),
        target_label=file_name,
        changes={
            "created": created,
            "unchanged": unchanged,
            "lots_created": lots_created,
            "serials_created": serials_created,
            "retracted": retracted,
        },
    )


class Stager:
    """One import's staging table, its checks and its apply step."""

    def __init__(self, file_name: str) -> None:
        self.file_name = file_name
        self.vendor = connection.vendor
        self.count = 0

    # -- staging ---------------------------------------------------------------------------
    def create(self) -> None:
        big = "BIGINT"
        pg = self.vendor == "postgresql"
        day, moment = ("DATE", "TIMESTAMPTZ") if pg else ("TEXT", "TEXT")
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {STAGING}")
            temp = "TEMP TABLE" + (" IF NOT EXISTS" if self.vendor == "sqlite" else "")
            cursor.execute(
                f"CREATE {temp} {STAGING} (row_no INTEGER NOT NULL, event_id TEXT NOT NULL, event_type TEXT NOT NULL, "
                f"event_time {moment} NOT NULL, model_id {big} NOT NULL, lot TEXT NOT NULL, serial TEXT, "
                f"quantity INTEGER NOT NULL, from_id {big}, to_id {big}, document_ref TEXT NOT NULL, "
                f"manufactured {day}, expiry {day}, into_model_id {big}, into_lot TEXT)"
                + (" ON COMMIT DROP" if self.vendor == "postgresql" else "")
            )

    def write(self, rows: Iterable[Staged]) -> None:
        columns = ", ".join(STAGING_COLUMNS)
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                raw = cursor.cursor  # the psycopg 3 cursor under Django's wrapper
                with raw.copy(f"COPY {STAGING} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                        self.count += 1
            else:
                batch: list[Staged] = []
                sql = f"INSERT INTO {STAGING} ({columns}) VALUES ({', '.join('?' * len(STAGING_COLUMNS))})"
                raw = cursor.cursor
                for row in rows:
                    batch.append(row)
                    if len(batch) >= 20_000:
                        raw.executemany(sql, batch)
                        self.count += len(batch)
                        batch.clear()
                if batch:
                    raw.executemany(sql, batch)
                    self.count += len(batch)

    def drop(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {STAGING}")

    # -- checks ----------------------------------------------------------------------------
    def _errors(
        self, sql: str, params: Iterable[Any], column: str, code: str, message: Any
    ) -> list[RowError]:
        """Run a query returning (row_no, *args) and turn each into a RowError via ``message(*args)``."""
        with connection.cursor() as cursor:
            cursor.execute(sql + f" ORDER BY 1 LIMIT {MAX_REPORTED}", list(params))
            return [
                RowError(self.file_name, row[0], column, code, message(*row[1:]))
                for row in cursor.fetchall()
            ]

    def _index(self) -> None:
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                # Room in memory for the checks' hashes and sorts, this transaction only (the
                # default 4 MB spills a million-row GROUP BY to disk).
                cursor.execute("SET LOCAL work_mem = '256MB'")
            # The indexes also keep a mis-estimated join from becoming a nested loop that
            # rescans the whole staging table per row (measured: minutes for 27k rows).
            cursor.execute(f"CREATE INDEX {STAGING}_event ON {STAGING} (event_id)")
            cursor.execute(f"CREATE INDEX {STAGING}_lot ON {STAGING} (model_id, lot)")
            cursor.execute(f"CREATE INDEX {STAGING}_serial ON {STAGING} (model_id, serial)")
            # A temporary table has no statistics until analysed; without them PostgreSQL
            # plans the joins below as nested loops over the whole file.
            cursor.execute(f"ANALYZE {STAGING}")

    def check_and_apply(self, *, import_run_id: int | None) -> StageResult:
        """Check the staged rows with set-based SQL, then insert lots, serials and events.

        No UPDATE touches the staging table: references are resolved by joins in each
        statement, which keeps large files cheap on PostgreSQL (no rewritten row versions)."""
        result = StageResult(staged=self.count)
        self._index()
        result.errors += self._check()
        if result.errors:
            return result
        now = timezone.now()
        self._apply(result, import_run_id=import_run_id, now=now)
        if result.created:
            # Positions first; the balance check then reads them instead of the events again.
            written = recompute_positions(result.affected_lot_ids)
            self._analyze_if_grown(("traceability_position", written))
            result.errors += self._negative_balances(
                recorded_at=now, lot_ids=result.affected_lot_ids
            )
        return result

    def _check(self) -> list[RowError]:
        """Every row the database refuses: duplicate and conflicting event ids, unknown lots, a
        serial in two lots, and the custody guards of the contexts above."""
        s = STAGING
        errors = self._errors(  # duplicate event ids inside the file
            f"SELECT s.row_no, s.event_id, d.first FROM {s} s JOIN (SELECT event_id, MIN(row_no) AS first FROM {s} "
            f"GROUP BY event_id HAVING COUNT(*) > 1) d ON d.event_id = s.event_id WHERE s.row_no <> d.first",
            [],
            "event_id",
            "duplicate",
            lambda event_id, first: (
                _("Event %(event)s appears again; it was first given in row %(row)s.")
                % {"event": event_id, "row": first}
            ),
        )
        # Event ids already recorded with other content: a correction must come as a new event.
        errors += self._errors(
            f"SELECT s.row_no, s.event_id FROM {s} s JOIN {EVENTS} e ON e.event_id = s.event_id "
            f"JOIN catalog_lot l ON l.id = e.lot_id WHERE e.event_type <> s.event_type OR e.quantity <> s.quantity "
            f"OR l.number <> s.lot OR l.device_model_id <> s.model_id "
            f"OR COALESCE(e.from_location_id, 0) <> COALESCE(s.from_id, 0) "
            f"OR COALESCE(e.to_location_id, 0) <> COALESCE(s.to_id, 0)",
            [],
            "event_id",
            "conflict",
            lambda event_id: (
                _(
                    "Event %(event)s is already recorded with different content; send a correction as a new event."
                )
                % {"event": event_id}
            ),
        )
        # Lots: known, or produced in this file; the lots a transformation produces too.
        errors += self._unknown_lots("model_id", "lot", "lot")
        errors += self._unknown_lots(
            "into_model_id", "into_lot", "into_lot", only="s.event_type = 'transformed' AND "
        )
        # A serial belongs to one lot: within the file, and against what is recorded.
        errors += self._serial_lots(
            f"SELECT s.row_no, s.serial, d.other FROM {s} s JOIN (SELECT model_id, serial, MIN(lot) AS other FROM {s} "
            f"WHERE serial IS NOT NULL GROUP BY model_id, serial HAVING COUNT(DISTINCT lot) > 1) d "
            f"ON d.model_id = s.model_id AND d.serial = s.serial WHERE s.lot <> d.other",
            _("Serial %(serial)s is also given in lot %(lot)s; a serial belongs to one lot."),
        )
        errors += self._serial_lots(
            f"SELECT s.row_no, s.serial, l.number FROM {s} s JOIN catalog_serial c ON c.device_model_id = s.model_id "
            f"AND c.serial = s.serial JOIN catalog_lot l ON l.id = c.lot_id WHERE l.number <> s.lot",
            _("Serial %(serial)s is recorded in lot %(lot)s; a serial belongs to one lot."),
        )
        # Custody guards of the contexts above (execution's stock hold): one query per guard.
        errors += [
            RowError(self.file_name, row, "event_type", code, message)
            for row, code, message in custody.violations(custody.staging_moves(s))
        ]
        return errors

    def _unknown_lots(self, model: str, lot: str, column: str, *, only: str = "") -> list[RowError]:
        """Rows (those matching ``only``) naming in ``model``/``lot`` a lot that is neither known
        nor produced in this file; a row whose event is already recorded is left alone."""
        s = STAGING
        return self._errors(
            f"SELECT s.row_no, s.{lot} FROM {s} s WHERE {only}NOT {KNOWN_EVENT} AND NOT EXISTS (SELECT 1 "
            f"FROM catalog_lot l WHERE l.device_model_id = s.{model} AND l.number = s.{lot}) AND NOT EXISTS "
            f"(SELECT 1 FROM {s} p WHERE p.event_type = 'produced' AND p.model_id = s.{model} AND p.lot = s.{lot})",
            [],
            column,
            "unknown_lot",
            lambda number: (
                _("Lot %(lot)s is not known; import the lot or give its produced event first.")
                % {"lot": number}
            ),
        )

    def _serial_lots(self, sql: str, message: str) -> list[RowError]:
        """Rows (row, serial, other lot) of a serial given in another lot than ``sql`` finds it in."""
        return self._errors(
            sql,
            [],
            "serial",
            "serial_lot",
            lambda serial, other: message % {"serial": serial, "lot": other},
        )

    def _apply(self, result: StageResult, *, import_run_id: int | None, now: Any) -> None:
        """Insert the file's new lots, serials and events (rows already recorded are counted as
        unchanged) and note the lots whose positions change."""
        s = STAGING
        lot_of = f"catalog_lot l ON l.device_model_id = {s}.model_id AND l.number = {s}.lot"
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {s} s WHERE {KNOWN_EVENT}")
            result.unchanged = cursor.fetchone()[0]
            cursor.execute(
                "INSERT INTO catalog_lot (device_model_id, number, manufactured_on, expires_on, quantity_produced, "
                "created_at, updated_at) SELECT p.model_id, p.lot, MIN(p.manufactured), MIN(p.expiry), SUM(p.quantity), "
                f"%s, %s FROM {s} p WHERE p.event_type = 'produced' AND NOT EXISTS (SELECT 1 FROM catalog_lot l "
                "WHERE l.device_model_id = p.model_id AND l.number = p.lot) GROUP BY p.model_id, p.lot",
                [now, now],
            )
            result.lots_created = cursor.rowcount
            cursor.execute(
                "INSERT INTO catalog_serial (device_model_id, lot_id, serial, manufactured_on, created_at, updated_at) "
                f"SELECT {s}.model_id, MIN(l.id), {s}.serial, MIN({s}.manufactured), %s, %s FROM {s} JOIN {lot_of} "
                f"WHERE {s}.serial IS NOT NULL AND NOT EXISTS (SELECT 1 FROM catalog_serial c "
                f"WHERE c.device_model_id = {s}.model_id AND c.serial = {s}.serial) GROUP BY {s}.model_id, {s}.serial",
                [now, now],
            )
            result.serials_created = cursor.rowcount
            cursor.execute(
                f"INSERT INTO {EVENTS} (event_id, event_type, event_time, lot_id, serial_id, quantity, "
                "from_location_id, to_location_id, document_ref, into_lot_id, import_run_id, retracted, recorded_at) "
                f"SELECT {s}.event_id, {s}.event_type, {s}.event_time, l.id, c.id, {s}.quantity, {s}.from_id, "
                f"{s}.to_id, {s}.document_ref, il.id, %s, %s, %s FROM {s} JOIN {lot_of} "
                f"LEFT JOIN catalog_serial c ON {s}.serial IS NOT NULL AND c.device_model_id = {s}.model_id "
                f"AND c.serial = {s}.serial LEFT JOIN catalog_lot il ON {s}.into_lot IS NOT NULL "
                f"AND il.device_model_id = {s}.into_model_id AND il.number = {s}.into_lot "
                f"WHERE NOT EXISTS (SELECT 1 FROM {EVENTS} e WHERE e.event_id = {s}.event_id)",
                [import_run_id, False, now],
            )
            result.created = cursor.rowcount
            self._analyze_if_grown(
                ("catalog_lot", result.lots_created),
                ("catalog_serial", result.serials_created),
                (EVENTS, result.created),
            )
            cursor.execute(
                f"SELECT DISTINCT l.id FROM {s} JOIN {lot_of} UNION SELECT DISTINCT il.id FROM {s} "
                f"JOIN catalog_lot il ON il.device_model_id = {s}.into_model_id AND il.number = {s}.into_lot"
            )
            result.affected_lot_ids = [row[0] for row in cursor.fetchall()]

    def _analyze_if_grown(self, *added: tuple[str, int]) -> None:
        """PostgreSQL: fresh statistics for each table that this import grew by a tenth or more
        (what autovacuum does, but only after the commit). The next statements join these
        tables; planned on stale or missing statistics (a table "empty" when last analysed)
        they became nested loops that ran for minutes."""
        if self.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            for table, rows in added:
                if rows < ANALYZE_AFTER:
                    continue
                cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
                if rows >= 0.1 * max(cursor.fetchone()[0], 0):
                    cursor.execute(f"ANALYZE {table}")

    def _negative_balances(self, *, recorded_at: Any, lot_ids: list[int]) -> list[RowError]:
        """Rows of this file that, together, take more out of a location than ever arrived there
        (every departure of the file at that lot and location is named). Reads the positions
        just recomputed for the file's lots (``lot_ids``, given as a list so that no plan can
        turn the look-up into a rescan of the staging table per position)."""
        s = STAGING
        errors: list[RowError] = []
        for start in range(0, len(lot_ids), 5000):
            chunk = lot_ids[start : start + 5000]
            marks = ", ".join(["%s"] * len(chunk))
            errors += self._errors(
                f"WITH bad AS (SELECT p.lot_id, p.location_id, SUM(p.on_hand) AS on_hand FROM traceability_position p "
                f"WHERE p.lot_id IN ({marks}) GROUP BY p.lot_id, p.location_id HAVING SUM(p.on_hand) < 0) "
                f"SELECT s.row_no, loc.code, bad.on_hand FROM bad JOIN parties_location loc ON loc.id = bad.location_id "
                f"JOIN catalog_lot lot ON lot.id = bad.lot_id JOIN {s} s ON s.model_id = lot.device_model_id "
                f"AND s.lot = lot.number AND s.from_id = bad.location_id "
                f"WHERE EXISTS (SELECT 1 FROM traceability_traceevent e WHERE e.event_id = s.event_id "
                f"AND e.recorded_at = %s)",  # rows this import added, not re-sent ones
                [*chunk, recorded_at],
                "quantity",
                "negative_balance",
                lambda code, on_hand: (
                    _(
                        "This takes more out of location %(location)s than arrived there: the balance would be %(balance)s."
                    )
                    % {"location": code, "balance": on_hand}
                ),
            )
        errors.sort(key=lambda e: e.row)
        return errors[:MAX_REPORTED]
