"""Loading a clean events CSV straight into the events table (PostgreSQL and SQLite).

The staging path (``stage.py``) writes every row twice, into a staging table and then into
the events table, and checks it in SQL in between: exact, with a report of every bad row, but
at about half of what the design asks. Most large files are clean, so this path is tried
first for a CSV:

* the file is read in blocks of about ``BLOCK_BYTES`` by polars (Rust, both cores), one block
  (two on PostgreSQL, the next read while the last is stored) in memory at a time; each cell
  is checked by the same rules as :class:`~.rows.EventParser`, using its own functions once
  per distinct text (event types, times, GTINs, quantities, dates), and the rules between
  cells (a serial on a lot-tracked model, the locations each event type needs, …) as column
  expressions;
* lots and serials are resolved in memory: the lots of each model in the file and the
  serials the file names are read once; new ones take ids from their sequences (SQLite:
  above ``sqlite_sequence``, under the transaction's write lock) and are written after the
  events;
* the rows go straight into the events table: PostgreSQL ``COPY``, the next block being
  read while the server stores the last; SQLite ``executemany`` with a larger page cache;
* a file that at least doubles the events table (a first load) is written with the table's
  secondary indexes dropped and built afterwards, in the same transaction: building an index
  from sorted rows is several times cheaper than maintaining it row by row, and the unique
  index on ``event_id`` is the duplicate check. The table is locked until the commit. Into
  an empty table, the positions are summed from the file's movements (``place``), which each
  block spills to a temporary Arrow file so that memory stays flat in the size of the file;
* the checks that need the stored rows run after the copy, still in the same transaction:
  the custody guards (stock holds, over the rows of held lots), the balance of every
  location, and the unique event id.

Nothing here reports rows. At the first thing it cannot accept (a bad cell, an unknown lot,
a duplicate or already recorded event id, a held unit, a negative balance, anything polars
reads differently from Python's ``csv``), it gives up, its transaction is rolled back and the
caller runs the staging path, which accepts or refuses the same file with a report of every
bad row. So this path may only ever accept what the staging path accepts, with the same
result; ``tests/traceability/test_direct_load.py`` holds it to that on both databases.
"""

from __future__ import annotations

import io
import json
import logging
import re
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypedDict, Unpack

import polars as pl
import psycopg
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from medrecall.core.importing import ImportOutcome
from medrecall.core.tabular import CsvLayout
from medrecall.core.types import ActorOrSystem
from medrecall.traceability import custody
from medrecall.traceability.engine import recompute_all_positions, recompute_positions
from medrecall.traceability.models import ARRIVALS, DEPARTURES, EventType

from .rows import FIELDS, NEEDS_FROM, NEEDS_TO, EventParser, References
from .stage import ANALYZE_AFTER, record_events_imported

log = logging.getLogger(__name__)

EVENTS = "traceability_traceevent"
# 8 MB of CSV is about 100 MB in polars while checked (48 MB: 470 MB), at the same rate.
BLOCK_BYTES = 8 << 20
SERIALS_SHARE_ROWS = 250_000  # new serials written at a time (1M: 250 MB while summed)
POSITIONS_SHARE_ROWS = 1_000_000  # a first load's movements summed into positions at a time
APPEND_CACHE_KIB = 8192  # SQLite's page cache while a bulk load appends (no indexes to keep)
# SQLite's page cache once a bulk load has appended its rows: its index builds sort in as much
# memory again (10M events: 128, 64, 32 MB build in the same 36-37 s, holding 281, 147, 80 MB).
BUILD_CACHE_KIB = 32768
PRELOAD_SERIALS = 2_000_000  # a model's recorded serials read at once, up to this many
EVENT_COLUMNS = (
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
    "import_run_id",
    "retracted",
    "recorded_at",
)
# C0 control characters other than tab and line ends: Python's ``str.strip`` removes some of
# them (the GS separator of a scanned barcode among them) where polars does not.
CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f]")
NULL = "\\N"
# Times polars converts itself; Python's ``datetime.fromisoformat`` reads them the same
# (checked in tests/traceability/test_direct_load.py). Leap seconds and hours past 23 are left
# to Python, which refuses them.
ISO_SECONDS = (
    r"^(19|20)\d\d-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d"
    r"[+-]([01]\d|2[0-3]):[0-5]\d$"
)

Progress = Callable[[int, int], None]


class Declined(Exception):
    """This path cannot accept the file; the staging path decides (and reports)."""


_SERIAL_SCHEMA = {
    "model_id": pl.Int64,
    "serial": pl.String,
    "serial_id": pl.Int64,
    "serial_lot_id": pl.Int64,
    "new": pl.Boolean,
}


def _no_serials() -> pl.DataFrame:
    return pl.DataFrame(schema=_SERIAL_SCHEMA)


@dataclass
class _LotDraft:
    """A lot the file names that is not recorded yet: it must be produced in the file."""

    id: int
    model_id: int
    number: str
    produced: bool = False
    manufactured: date | None = None
    expiry: date | None = None
    quantity: int = 0


@dataclass
class _Load:
    """What one load has learned so far (lots, serials, ids handed out)."""

    lots: dict[int, dict[str, int]] = field(default_factory=dict)  # model id -> lot number -> id
    drafts: dict[tuple[int, str], _LotDraft] = field(default_factory=dict)
    serials: pl.DataFrame = field(default_factory=_no_serials)
    lookup_serials: dict[int, bool] = field(
        default_factory=dict
    )  # model id -> too many to read at once
    new_serials: list[Path] = field(default_factory=list)  # spilled, until written after the events
    lot_ids: set[int] = field(default_factory=set)
    moves: list[Path] = field(
        default_factory=list
    )  # a first load's movements, spilled, for its positions
    rows: int = 0
    serials_created: int = 0


def enabled(*, file_name: str, size: int) -> bool:
    """Whether to try this path: a CSV of at least ``MEDRECALL_DIRECT_LOAD_MIN_BYTES``."""
    return (
        connection.vendor in ("postgresql", "sqlite")
        and not file_name.lower().endswith((".xlsx", ".xlsm"))
        and size >= settings.MEDRECALL_DIRECT_LOAD_MIN_BYTES
    )


class LoadOptions(TypedDict, total=False):
    """What a direct load may be given besides the file."""

    actor: ActorOrSystem
    progress: Progress | None
    import_run_id: int | None


def load(
    path: Path, layout: CsvLayout, *, file_name: str, **options: Unpack[LoadOptions]
) -> ImportOutcome | None:
    """Import the file this way, or return ``None`` (nothing written) for the staging path."""
    try:
        with transaction.atomic():
            return attempt(path, layout, file_name=file_name, **options)
    except Declined as reason:
        log.info("direct load of %s declined: %s", file_name, reason)
        return None


def attempt(
    path: Path,
    layout: CsvLayout,
    *,
    file_name: str,
    actor: ActorOrSystem = None,
    progress: Progress | None = None,
    import_run_id: int | None = None,
) -> ImportOutcome:
    """``load`` without its transaction: raises ``Declined`` and leaves the rollback to the caller."""
    return _DirectLoad(path, layout, file_name=file_name, progress=progress).run(
        actor=actor, import_run_id=import_run_id
    )


class _DirectLoad:
    def __init__(
        self, path: Path, layout: CsvLayout, *, file_name: str, progress: Progress | None
    ) -> None:
        self.path = path
        self.layout = layout
        self.file_name = file_name
        self.progress = progress
        self.size = path.stat().st_size
        self.refs = References.load()
        self.parser = EventParser(self.refs)
        self.state = _Load()
        self.now = timezone.now()
        self.sqlite = connection.vendor == "sqlite"
        self.bulk = False  # indexes built after the copy, positions rebuilt in one pass
        self.first = False  # the events table was empty: positions summed from the file alone
        self.high_ids: dict[str, int] = {}  # SQLite: the last id this load handed out per table
        # The recording time as raw SQL parameters store it (on SQLite, Django's adapter's
        # text, as the staging path writes it), so that ``recorded_at = %s`` finds this load's rows.
        self.stamp = self.now.isoformat(" ")
        self.spill: tempfile.TemporaryDirectory[str] | None = None  # movements and new serials
        self.spilled = 0

    # -- the whole load --------------------------------------------------------------------
    def run(self, *, actor: ActorOrSystem, import_run_id: int | None) -> ImportOutcome:
        try:
            return self._run(actor=actor, import_run_id=import_run_id)
        finally:
            if self.spill is not None:
                self.spill.cleanup()

    def _run(self, *, actor: ActorOrSystem, import_run_id: int | None) -> ImportOutcome:
        if not self.sqlite:
            return self._load(actor=actor, import_run_id=import_run_id)
        # SQLite keeps 2 MB of pages by default: the indexes kept by a load that is not a bulk
        # load (the unique event id's above all, written in the file's order) and the sorts
        # that build them after a bulk load would read most pages back from the file (1M
        # events: 15 s against 8 s in memory). This connection's page cache is raised for it,
        # to a bound: the cache is memory of this process, and holds every page the load writes.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size")
            before = cursor.fetchone()[0]
            cursor.execute(f"PRAGMA cache_size = -{self._sqlite_cache()}")
            try:
                return self._load(actor=actor, import_run_id=import_run_id)
            finally:
                cursor.execute(f"PRAGMA cache_size = {int(before)}")

    @staticmethod
    def _sqlite_cache() -> int:
        return _kibibytes(settings.MEDRECALL_SQLITE_LOAD_CACHE, "MEDRECALL_SQLITE_LOAD_CACHE")

    def _load(self, *, actor: ActorOrSystem, import_run_id: int | None) -> ImportOutcome:
        blocks = self._blocks()
        first = next(blocks, None)
        if first is None:
            raise Declined("no rows")
        block, done = first
        frame: pl.DataFrame | None = self._resolve(self._checked(block))
        rebuild = self._bulk(estimated_rows=int(block.count(b"\n") * self.size / max(done, 1)))
        try:
            with connection.cursor() as cursor:
                raw = cursor.cursor
                if (
                    self.sqlite and self.bulk
                ):  # appending to a table without indexes: few pages needed
                    cursor.execute(f"PRAGMA cache_size = -{APPEND_CACHE_KIB}")
                while frame is not None:
                    with self._event_writer(raw) as write:
                        write(frame, import_run_id)
                        self.state.rows += frame.height
                        if self.first:  # what moves units, compactly, on disk until the positions
                            self._spill_moves(frame)
                        # PostgreSQL: the next block is read and checked while the server
                        # stores this one. Nothing else may use the connection meanwhile.
                        upcoming = next(blocks, None)
                        checked = (self._checked(upcoming[0]), upcoming[1]) if upcoming else None
                    self._report(60 * done / self.size)  # after the copy: progress may write
                    frame = None
                    if checked is not None:
                        frame, done = self._resolve(checked[0]), checked[1]
                self.state.serials = _no_serials()  # every row resolved: no longer needed
                self._report(62)
                self._write_lots(raw)
                self._write_serials(raw)
                self._report(65)
                if self.sqlite and self.bulk:  # the index builds sort in the page cache
                    build_cache = min(BUILD_CACHE_KIB, self._sqlite_cache())
                    cursor.execute(f"PRAGMA cache_size = -{build_cache}")
                self._build(cursor, rebuild)
                self._report(75)
        except (DatabaseError, psycopg.Error, sqlite3.Error) as error:
            raise Declined(f"the database refused the rows: {error}") from error
        self._analyze()
        return self._finish(actor=actor, import_run_id=import_run_id)

    def _finish(self, *, actor: ActorOrSystem, import_run_id: int | None) -> ImportOutcome:
        lot_ids = sorted(self.state.lot_ids)
        guarded = custody.guarded_lots()  # usually a few lots on hold: only their rows are read
        checked = lot_ids if guarded is None else sorted(guarded.intersection(lot_ids))
        if checked:
            in_lots, lots_param = self._any("e.lot_id", checked)
            moves = (
                f"SELECT 0, e.event_type, e.lot_id, e.serial_id, e.from_location_id, e.to_location_id, "
                f"e.document_ref FROM {EVENTS} e WHERE e.recorded_at = %s AND {in_lots}"
            )
            if custody.violations(moves, [self.stamp, lots_param]):
                raise Declined("a custody guard refuses a movement")
        self._report(80)
        if self.bulk:  # most lots of the table: one pass over all of it, indexes built afterwards
            with connection.cursor() as cursor:
                cursor.execute(
                    "DELETE FROM traceability_position"
                    if self.sqlite
                    else "TRUNCATE traceability_position"
                )
                rebuild = _drop_secondary_indexes(cursor, "traceability_position")
                if self.first:  # a first load: every event is in memory already
                    written = self._write_positions(cursor.cursor)
                else:
                    written = recompute_all_positions(work_mem=settings.MEDRECALL_BULK_LOAD_MEMORY)
                self._build(cursor, rebuild)
        else:
            written = recompute_positions(lot_ids)
        self._analyze_if_grown("traceability_position", written)
        self._report(95)
        with connection.cursor() as cursor:
            in_lots, lots_param = self._any("lot_id", lot_ids)
            cursor.execute(
                f"SELECT 1 FROM traceability_position WHERE {in_lots} "
                "GROUP BY lot_id, location_id HAVING SUM(on_hand) < 0 LIMIT 1",
                [lots_param],
            )
            if cursor.fetchone():
                raise Declined("a location's balance would be negative")
        drafts = self.state.drafts.values()
        record_events_imported(
            actor=actor,
            import_run_id=import_run_id,
            file_name=self.file_name,
            created=self.state.rows,
            unchanged=0,
            lots_created=len(drafts),
            serials_created=self.state.serials_created,
            retracted=0,
        )
        outcome = ImportOutcome(
            kind="events", file_name=self.file_name, rows=self.state.rows, created=self.state.rows
        )
        self._report(100)
        return outcome

    def _write_positions(self, raw: Any) -> int:
        """A first load's positions, summed in memory from its own rows and copied into the
        emptied table: the events table held nothing else, and PostgreSQL's one-pass rebuild
        takes a core for longer than the copy of the events (10M events: 2 s against 37 s)."""
        if not self.state.moves:
            return 0
        moves = pl.scan_ipc(self.state.moves)
        # Positions are per lot: summed a share of the lots at a time, memory follows the
        # share, not the file (10M events in one pass: 1.2 GB; reading the spill again per
        # share costs well under a second).
        shares = max(1, -(-self.state.rows // POSITIONS_SHARE_ROWS))
        written = 0
        for share in range(shares):
            positions = place(
                moves if shares == 1 else moves.filter(pl.col("lot_id") % shares == share)
            )
            self._insert(raw, "traceability_position", positions, freeze=True)
            written += positions.height
            del positions
        return written

    def _spill_moves(self, frame: pl.DataFrame) -> None:
        """Keep the block's movements, on disk, for the positions."""
        self.state.moves.append(
            self._spill(
                frame.filter(pl.col("kind") != "installed")
                .select(*MOVE_COLUMNS)
                .with_columns(pl.col("kind").cast(KINDS)),
                "moves",
            )
        )

    def _spill(self, frame: pl.DataFrame, kind: str) -> Path:
        """Write ``frame`` to a temporary Arrow file (removed with the load) and return its path."""
        if self.spill is None:
            self.spill = tempfile.TemporaryDirectory(prefix="medrecall-load-")
        self.spilled += 1
        path = Path(self.spill.name) / f"{kind}-{self.spilled:05}.arrow"
        frame.write_ipc(path, compression="lz4")
        return path

    def _insert(
        self,
        raw: Any,
        table: str,
        rows: pl.DataFrame,
        *,
        same: dict[str, Any] | None = None,
        freeze: bool = False,
    ) -> None:
        """Write the frame's rows into ``table`` (columns named as the frame's, then those of
        ``same``, whose values every row shares): PostgreSQL ``COPY`` (``FREEZE`` into a table
        emptied in this transaction), SQLite ``executemany``."""
        same = same or {}
        if self.sqlite:  # the shared values are literals of the statement: fewer values per row
            columns = ", ".join([*rows.columns, *same])
            literal = (
                connection.schema_editor().quote_value
            )  # SQLite's own quoting, as Django writes it
            values = ", ".join(["?"] * rows.width + [literal(value) for value in same.values()])
            raw.executemany(f"INSERT INTO {table} ({columns}) VALUES ({values})", rows.iter_rows())
            return
        with raw.copy(
            f"COPY {table} ({', '.join([*rows.columns, *same])}) FROM STDIN (FORMAT csv, NULL '\\N'"
            f"{', FREEZE' if freeze else ''})"
        ) as copy:
            copy.write(_csv(self._with_same(rows, same)))

    @staticmethod
    def _with_same(rows: pl.DataFrame, same: dict[str, Any]) -> pl.DataFrame:
        return rows.with_columns(**{name: pl.lit(value) for name, value in same.items()})

    def _any(self, column: str, values: list[Any]) -> tuple[str, Any]:
        """``column`` is one of ``values``: a condition and its one parameter (PostgreSQL an
        array, SQLite a JSON list: no limit on the number of values either way)."""
        if self.sqlite:
            return f"{column} IN (SELECT value FROM json_each(%s))", json.dumps(values)
        return f"{column} = ANY(%s)", values

    def _report(self, percent: float) -> None:
        if self.progress:
            self.progress(int(percent), 100)

    # -- reading ---------------------------------------------------------------------------
    def _blocks(self) -> Iterator[tuple[bytes, int]]:
        """The body in blocks cut at line ends outside quotes, with the bytes read so far."""
        with self.path.open("rb") as source:
            source.seek(self.layout.body_offset)
            done = self.layout.body_offset
            carry = b""
            while True:
                chunk = source.read(BLOCK_BYTES)
                block = carry + chunk
                if not chunk:
                    if block.strip():
                        yield block, self.size
                    return
                cut = block.rfind(b"\n") + 1
                while cut and block.count(b'"', 0, cut) % 2:  # a line end inside a quoted cell
                    cut = block.rfind(b"\n", 0, cut - 1) + 1
                if not cut:
                    carry = block
                    continue
                done += cut
                carry = block[cut:]
                yield block[:cut], done

    def _checked(self, block: bytes) -> pl.DataFrame:
        """The block's rows with every cell checked and turned into its value, or ``Declined``."""
        if CONTROL.search(block):
            raise Declined("control characters")
        header = [name or f"__blank_{i}" for i, name in enumerate(self.layout.header)]
        try:
            frame = pl.read_csv(
                block,
                has_header=False,
                new_columns=header,
                separator=self.layout.delimiter,
                schema=dict.fromkeys(header, pl.String),
                encoding="utf8",
                raise_if_empty=False,
            )
        except Exception as error:  # polars reads it otherwise than csv: leave it to the exact path
            raise Declined(f"polars cannot read the block: {error}") from error
        frame = frame.select(pl.all().str.strip_chars().fill_null(""))
        frame = frame.filter(pl.any_horizontal(pl.all() != ""))
        present = set(self.layout.header)
        texts = frame.select(
            [pl.col(name) if name in present else pl.lit("").alias(name) for name in FIELDS]
        )
        return self._values(texts)

    def _mapped(
        self,
        frame: pl.DataFrame,
        column: str,
        meaning: Callable[[str], tuple[Any, list[Any]]],
        dtype: Any,
        **default: Any,
    ) -> pl.Expr:
        """``column`` through ``meaning`` (an ``EventParser`` function, once per distinct text
        of ``frame``); texts not in ``frame`` become ``default`` when one is given."""
        values: dict[str, Any] = {}
        for text in frame.get_column(column).unique().to_list():
            value, problems = meaning(text)
            if problems:
                raise Declined(f"{column}: {problems[0][2]}")
            values[text] = value
        return pl.col(column).replace_strict(values, return_dtype=dtype, **default)

    def _values(self, t: pl.DataFrame) -> pl.DataFrame:
        """The block's texts as the staging columns' values; ``Declined`` when any cell or rule
        would need ``EventParser``'s row-by-row messages."""
        kinds = self._mapped(t, "event_type", self.parser._kind, pl.String)
        t = t.with_columns(utc=_iso_seconds_utc(pl.col("event_time")))
        models = self._models(t, "gtin")
        frame = t.with_columns(
            kind=kinds,
            utc=self._times(t),
            model_id=pl.col("gtin").replace_strict(
                {k: v[0] for k, v in models.items()}, return_dtype=pl.Int64
            ),
            lot_tracked=pl.col("gtin").replace_strict(
                {k: v[1] == "lot" for k, v in models.items()}, return_dtype=pl.Boolean
            ),
            serial=pl.when(pl.col("serial") != "").then(pl.col("serial")),
        )
        locations = self.refs.locations
        frame = frame.with_columns(
            quantity=self._quantities(frame),
            from_id=_codes("from_location", locations),
            to_id=_codes("to_location", locations),
            manufactured=self._dates(frame, "manufactured"),
            expiry=self._dates(frame, "expiry"),
        )
        into_models = self._models(frame.filter(pl.col("kind") == "transformed"), "into_gtin")
        transformed = pl.col("kind") == "transformed"
        frame = frame.with_columns(
            into_model_id=pl.when(transformed).then(
                pl.col("into_gtin").replace_strict(
                    {k: v[0] for k, v in into_models.items()}, default=None, return_dtype=pl.Int64
                )
            ),
            into_lot=pl.when(transformed).then(pl.col("into_lot")),
        )
        if frame.select(_breaks_a_rule().any()).item():
            raise Declined("a row breaks a rule between its cells")
        return frame.select(
            "event_id",
            "kind",
            "utc",
            "model_id",
            "lot",
            "serial",
            "quantity",
            "from_id",
            "to_id",
            pl.col("document_ref").str.slice(0, 100),
            "manufactured",
            "expiry",
            "into_model_id",
            "into_lot",
        )

    def _times(self, t: pl.DataFrame) -> pl.Expr:
        """The UTC text of every row: polars' (the common form, already in ``utc``), else
        ``EventParser``'s for the other texts and for dates polars cannot make (30 February)."""
        parser = self.parser
        rest = t.filter(pl.col("utc").is_null())
        return pl.col("utc").fill_null(
            self._mapped(
                rest,
                "event_time",
                lambda s: parser._time(s) if s else (None, [("", "", "required")]),
                pl.String,
                default=None,
            )
        )

    def _models(self, t: pl.DataFrame, column: str) -> dict[str, tuple[int, str]]:
        """GTIN text → (device model id, tracking) for every text of ``column``."""
        models = {}
        for text in t.get_column(column).unique().to_list():
            model, problems = (
                self.parser._gtin(text, column) if text else (None, [(column, "", "required")])
            )
            if problems or model is None:
                raise Declined(f"{column} {text}")
            models[text] = model
        return models

    def _quantities(self, frame: pl.DataFrame) -> pl.Expr:
        """The quantity, whose meaning depends on whether the row has a serial: one key for
        both."""
        quantity_key = pl.concat_str(
            pl.col("quantity"),
            pl.when(pl.col("serial").is_not_null()).then(pl.lit("\x01s")).otherwise(pl.lit("\x01")),
        )
        quantities: dict[str, int] = {}
        for key in frame.select(quantity_key).to_series().unique().to_list():
            text, has_serial = key.rsplit("\x01", 1)
            quantity, problems = self.parser._quantity(text, has_serial == "s")
            if problems:
                raise Declined(f"quantity {text}")
            quantities[key] = quantity
        return quantity_key.replace_strict(quantities, return_dtype=pl.Int64)

    def _dates(self, frame: pl.DataFrame, column: str) -> pl.Expr:
        values: dict[str, date] = {}
        for text in frame.get_column(column).unique().to_list():
            if not text:
                continue
            problems: list[Any] = []
            value = self.parser._date(text, column, problems)
            if problems or value is None:
                raise Declined(f"{column} {text}")
            values[text] = value
        return pl.col(column).replace_strict(values, default=None, return_dtype=pl.Date)

    # -- lots and serials ------------------------------------------------------------------
    def _lots_of(self, model_id: int) -> dict[str, int]:
        """The model's recorded lots, read at its first row. Its recorded serials too, when
        there are at most ``PRELOAD_SERIALS`` (else they are looked up block by block)."""
        lots = self.state.lots.get(model_id)
        if lots is None:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT number, id FROM catalog_lot WHERE device_model_id = %s", [model_id]
                )
                lots = self.state.lots[model_id] = dict(cursor.fetchall())
                cursor.execute(
                    "SELECT COUNT(*) FROM catalog_serial WHERE device_model_id = %s", [model_id]
                )
                count = cursor.fetchone()[0]
                self.state.lookup_serials[model_id] = count > PRELOAD_SERIALS
                if 0 < count <= PRELOAD_SERIALS:
                    columns = dict(list(_SERIAL_SCHEMA.items())[:4])
                    select = "SELECT device_model_id, serial, id, lot_id FROM catalog_serial WHERE device_model_id = %s"
                    if self.sqlite:
                        cursor.execute(select, [model_id])
                        found = pl.DataFrame(cursor.fetchall(), orient="row", schema=columns)
                    else:
                        with cursor.cursor.copy(
                            f"COPY ({select}) TO STDOUT (FORMAT csv)", [model_id]
                        ) as copy:
                            recorded = b"".join(copy)
                        found = pl.read_csv(
                            recorded, has_header=False, new_columns=list(columns), schema=columns
                        )
                    self.state.serials = pl.concat(
                        [self.state.serials, found.with_columns(new=pl.lit(False))]
                    )
        return lots

    def _resolve(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Lot, serial and finished-lot ids for the block's rows (new ones from the sequences)."""
        state = self.state
        keys = pl.concat(
            [
                frame.select("model_id", "lot"),
                frame.filter(pl.col("into_lot").is_not_null()).select(
                    pl.col("into_model_id").alias("model_id"), pl.col("into_lot").alias("lot")
                ),
            ]
        ).unique()
        unknown = []
        ids: dict[tuple[int, str], int] = {}
        for model_id, number in keys.iter_rows():
            lot_id = self._lots_of(model_id).get(number)
            if lot_id is None:
                unknown.append((model_id, number))
            else:
                ids[(model_id, number)] = lot_id
        for (model_id, number), lot_id in zip(
            unknown, self._next_ids("catalog_lot", len(unknown)), strict=True
        ):
            state.lots[model_id][number] = ids[(model_id, number)] = lot_id
            state.drafts[(model_id, number)] = _LotDraft(lot_id, model_id, number)
        lot_map = pl.DataFrame(
            [(m, n, i) for (m, n), i in ids.items()],
            orient="row",
            schema={"model_id": pl.Int64, "lot": pl.String, "lot_id": pl.Int64},
        )
        frame = frame.join(lot_map, on=["model_id", "lot"], how="left").join(
            lot_map.rename(
                {"model_id": "into_model_id", "lot": "into_lot", "lot_id": "into_lot_id"}
            ),
            on=["into_model_id", "into_lot"],
            how="left",
        )
        state.lot_ids.update(ids.values())
        produced = (
            frame.filter(pl.col("kind") == "produced")
            .group_by("model_id", "lot")
            .agg(pl.col("manufactured").min(), pl.col("expiry").min(), pl.col("quantity").sum())
        )
        for model_id, number, manufactured, expiry, quantity in produced.iter_rows():
            draft = state.drafts.get((model_id, number))
            if draft is not None:
                draft.produced = True
                draft.manufactured = _earlier(draft.manufactured, manufactured)
                draft.expiry = _earlier(draft.expiry, expiry)
                draft.quantity += quantity
        return self._resolve_serials(frame)

    def _resolve_serials(self, frame: pl.DataFrame) -> pl.DataFrame:
        state = self.state
        units = (
            frame.filter(pl.col("serial").is_not_null())
            .group_by("model_id", "serial")
            .agg(
                pl.col("lot_id").n_unique().alias("lots"),
                pl.col("lot_id").first(),
                pl.col("manufactured").min(),
            )
        )
        if units.is_empty():
            return frame.with_columns(serial_id=pl.lit(None, dtype=pl.Int64))
        if units.filter(pl.col("lots") > 1).height:
            raise Declined("a serial in two lots")
        units = units.join(self._serials_known(units), on=["model_id", "serial"], how="left")
        missing = units.filter(pl.col("serial_id").is_null())
        recorded = []
        for (model_id,), group in missing.group_by("model_id"):
            if not state.lookup_serials.get(int(model_id)):
                continue
            in_serials, serials_param = self._any("serial", group.get_column("serial").to_list())
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT device_model_id, serial, id, lot_id, false FROM catalog_serial "
                    f"WHERE device_model_id = %s AND {in_serials}",
                    [model_id, serials_param],
                )
                recorded += [(*row[:4], False) for row in cursor.fetchall()]
        if recorded:
            found = pl.DataFrame(recorded, orient="row", schema=_SERIAL_SCHEMA)
            state.serials = pl.concat([state.serials, found])
            units = units.drop("serial_id", "serial_lot_id", "new").join(
                self._serials_known(units), on=["model_id", "serial"], how="left"
            )
        if units.filter(
            pl.col("serial_id").is_not_null() & (pl.col("serial_lot_id") != pl.col("lot_id"))
        ).height:
            raise Declined("a serial recorded in another lot")
        fresh = units.filter(pl.col("serial_id").is_null())
        if fresh.height:
            fresh = fresh.with_columns(
                serial_id=pl.Series(self._next_ids("catalog_serial", fresh.height), dtype=pl.Int64),
                serial_lot_id=pl.col("lot_id"),
                new=pl.lit(True),
            )
            state.serials = pl.concat([state.serials, fresh.select(list(_SERIAL_SCHEMA))])
            units = pl.concat(
                [units.filter(pl.col("serial_id").is_not_null()), fresh.select(units.columns)]
            )
        state.new_serials.append(
            self._spill(
                units.filter(pl.col("new")).select(
                    "serial_id", "model_id", "lot_id", "serial", "manufactured"
                ),
                "serials",
            )
        )
        return frame.join(
            units.select("model_id", "serial", "serial_id"), on=["model_id", "serial"], how="left"
        )

    def _serials_known(self, units: pl.DataFrame) -> pl.DataFrame:
        """The serials seen so far that share a text with the block's ``units``: a scan of
        the serials seen against a set of the block's, so that memory follows the block. A
        join with all of them would hash all of them for every block (1.35M serials: 290 MB
        more and 0.3 s a block, against 10 MB and 0.02 s)."""
        return self.state.serials.filter(
            pl.col("serial").is_in(units.get_column("serial").unique().implode())
        )

    def _next_ids(self, table: str, count: int) -> list[int]:
        """``count`` new ids from the table's sequence: usually one unbroken run, read as its
        ends; when other sessions took ids in between, every id."""
        if not count:
            return []
        if self.sqlite:
            # The transaction holds SQLite's write lock (Django's IMMEDIATE mode): nobody else
            # takes ids until it ends. Above every id ever given (``sqlite_sequence``) too.
            if table not in self.high_ids:
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"SELECT MAX(COALESCE((SELECT MAX(id) FROM {table}), 0), COALESCE((SELECT seq "
                        f"FROM sqlite_sequence WHERE name = %s), 0))",
                        [table],
                    )
                    self.high_ids[table] = cursor.fetchone()[0]
            start = self.high_ids[table] + 1
            self.high_ids[table] += count
            return list(range(start, start + count))
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT MIN(id), MAX(id) FROM (SELECT nextval(pg_get_serial_sequence(%s, 'id')) AS id "
                "FROM generate_series(1, %s)) n",
                [table, count],
            )
            first, last = cursor.fetchone()
            if (
                last - first + 1 == count
            ):  # distinct ids, as many as the range holds: the whole range
                return list(range(first, last + 1))
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return [row[0] for row in cursor.fetchall()]

    def _write_lots(self, cursor: Any) -> None:
        drafts = list(self.state.drafts.values())
        if any(not d.produced for d in drafts):
            raise Declined("a lot that is neither recorded nor produced in the file")
        if not drafts:
            return
        if self.sqlite:
            cursor.executemany(
                "INSERT INTO catalog_lot (id, device_model_id, number, manufactured_on, expires_on, quantity_produced, "
                "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        d.id,
                        d.model_id,
                        d.number,
                        d.manufactured and d.manufactured.isoformat(),
                        d.expiry and d.expiry.isoformat(),
                        d.quantity,
                        self.stamp,
                        self.stamp,
                    )
                    for d in drafts
                ],
            )
            return
        cursor.execute(
            "INSERT INTO catalog_lot (id, device_model_id, number, manufactured_on, expires_on, quantity_produced, "
            "created_at, updated_at) SELECT *, %s, %s FROM unnest(%s::bigint[], %s::bigint[], %s::text[], "
            "%s::date[], %s::date[], %s::integer[])",
            [
                self.now,
                self.now,
                [d.id for d in drafts],
                [d.model_id for d in drafts],
                [d.number for d in drafts],
                [d.manufactured for d in drafts],
                [d.expiry for d in drafts],
                [d.quantity for d in drafts],
            ],
        )

    def _write_serials(self, raw: Any) -> None:
        if not self.state.new_serials:
            return
        new = pl.scan_ipc(self.state.new_serials)
        shares = max(
            1,
            -(
                -sum(
                    pl.scan_ipc(path).select(pl.len()).collect().item()
                    for path in self.state.new_serials
                )
                // SERIALS_SHARE_ROWS
            ),
        )
        for share in range(shares):  # a share of the serials at a time: memory follows the share
            serials = (
                (new if shares == 1 else new.filter(pl.col("serial_id") % shares == share))
                .group_by("serial_id")
                .agg(
                    pl.col("model_id").first(),
                    pl.col("lot_id").first(),
                    pl.col("serial").first(),
                    pl.col("manufactured").min(),
                )
                .collect()
            )
            self.state.serials_created += serials.height
            # In index order: each insert lands beside the one before (random order: twice the time).
            self._insert(
                raw,
                "catalog_serial",
                serials.sort("model_id", "serial").select(
                    id="serial_id",
                    device_model_id="model_id",
                    lot_id="lot_id",
                    serial="serial",
                    manufactured_on=pl.col("manufactured").dt.strftime("%Y-%m-%d"),
                ),
                same={"created_at": self.stamp, "updated_at": self.stamp},
            )
            del serials
        self._analyze_if_grown("catalog_serial", self.state.serials_created)

    # -- the events table ------------------------------------------------------------------
    @contextmanager
    def _event_writer(self, raw: Any) -> Iterator[Callable[[pl.DataFrame, int | None], None]]:
        """A writer of blocks of events: PostgreSQL ``COPY`` (sent by a thread of psycopg's
        while the caller reads on), SQLite ``executemany``."""
        if self.sqlite:
            yield lambda frame, run_id: self._insert(
                raw, EVENTS, self._event_rows(frame), same=self._same(run_id)
            )
            return
        with raw.copy(
            f"COPY {EVENTS} ({', '.join(EVENT_COLUMNS)}) FROM STDIN (FORMAT csv, NULL '\\N'"
            f"{', FREEZE' if self.first else ''})",
            writer=_block_writer(raw),
        ) as copy:
            yield lambda frame, run_id: copy.write(
                _csv(self._with_same(self._event_rows(frame), self._same(run_id)))
            )

    @staticmethod
    def _event_rows(frame: pl.DataFrame) -> pl.DataFrame:
        """The block as rows of the events table, without the columns of ``_same``."""
        return frame.select(
            "event_id",
            event_type="kind",
            event_time="utc",
            lot_id="lot_id",
            serial_id="serial_id",
            quantity="quantity",
            from_location_id="from_id",
            to_location_id="to_id",
            document_ref="document_ref",
            into_lot_id="into_lot_id",
        )

    def _same(self, import_run_id: int | None) -> dict[str, Any]:
        """The events table's columns that have the same value on every row of a load; with
        ``_event_rows``, in ``EVENT_COLUMNS`` order."""
        return {"import_run_id": import_run_id, "retracted": False, "recorded_at": self.stamp}

    def _bulk(self, *, estimated_rows: int) -> list[str]:
        """For a file that at least doubles the events table: drop its secondary indexes now
        and return the statements that build them again after the copy."""
        with connection.cursor() as cursor:
            if self.sqlite:  # ids are handed out in order: their span bounds the count
                cursor.execute(f"SELECT COALESCE(MAX(id) - MIN(id) + 1, 0) FROM {EVENTS}")
                recorded = cursor.fetchone()[0]
            else:
                # Rows recorded, estimated as the planner does: the density of the last
                # ANALYZE times the pages now (pages of rolled-back rows hold none); never
                # analysed (reltuples -1): about 160 bytes a row.
                cursor.execute(
                    f"SELECT reltuples, relpages, pg_relation_size(oid), "
                    f"pg_relation_size(oid) / current_setting('block_size')::int FROM pg_class "
                    f"WHERE oid = '{EVENTS}'::regclass"
                )
                tuples, pages, size, pages_now = cursor.fetchone()
                recorded = (
                    int(tuples * pages_now / pages) if tuples >= 0 and pages > 0 else size // 160
                )
            if estimated_rows < max(recorded, settings.MEDRECALL_BULK_LOAD_MIN_ROWS):
                return []
            log.info(
                "direct load: %s events expected, %s recorded: indexes built after the copy",
                estimated_rows,
                recorded,
            )
            self.bulk = True
            cursor.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {EVENTS})")
            self.first = bool(cursor.fetchone()[0])
            if self.first and not self.sqlite:
                # A first load: emptied in this transaction, the table takes its rows frozen
                # (COPY FREEZE), so the index builds and the positions pass that read them
                # next do not write every page again to mark the rows committed.
                cursor.execute(f"TRUNCATE {EVENTS}")
            return _drop_secondary_indexes(cursor, EVENTS)

    def _build(self, cursor: Any, statements: list[str]) -> None:
        """The indexes dropped for a bulk load, from the rows written since (the unique event
        id index fails on a repeated id). A method, so the benchmark can time it."""
        if statements and not self.sqlite:
            cursor.execute(
                "SELECT set_config('maintenance_work_mem', %s, true)",
                [settings.MEDRECALL_BULK_LOAD_MEMORY],
            )
        for statement in statements:
            cursor.execute(statement)

    def _analyze(self) -> None:
        self._analyze_if_grown("catalog_lot", len(self.state.drafts))
        self._analyze_if_grown(EVENTS, self.state.rows)

    def _analyze_if_grown(self, table: str, rows: int) -> None:
        """PostgreSQL: fresh statistics for a table this load grew by a tenth or more (as
        ``Stager``)."""
        if rows < ANALYZE_AFTER or self.sqlite:
            return
        with connection.cursor() as cursor:
            cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
            if rows >= 0.1 * max(cursor.fetchone()[0], 0):
                cursor.execute(f"ANALYZE {table}")


def _block_writer(raw: Any) -> Any:
    """psycopg's queued COPY writer (a thread sends while the next block is read), its queue
    holding about one block: psycopg's own holds 128 MB, which a server slower than the
    reading fills, in the importing process's memory."""
    from psycopg._acompat import Queue
    from psycopg._copy_base import MAX_BUFFER_SIZE
    from psycopg.copy import QueuedLibpqWriter

    writer = QueuedLibpqWriter(raw)
    writer._queue = Queue(maxsize=max(8, 2 * BLOCK_BYTES // MAX_BUFFER_SIZE))
    return writer


def _kibibytes(amount: str, setting: str = "MEDRECALL_BULK_LOAD_MEMORY") -> int:
    """``1GB``, ``512MB``, ``65536kB`` (PostgreSQL's spelling of a memory setting) in KiB."""
    match = re.fullmatch(r"\s*(\d+)\s*(kB|MB|GB|TB)?\s*", amount)
    if match is None:
        raise ImproperlyConfigured(f"{setting}: {amount!r} is not an amount like 1GB or 512MB")
    return int(match[1]) * {"kB": 1, "MB": 1024, "GB": 1024**2, "TB": 1024**3, None: 1}[match[2]]


def _csv(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_csv(buffer, include_header=False, null_value=NULL)
    return buffer.getvalue()


def _codes(column: str, locations: dict[str, int]) -> pl.Expr:
    return pl.col(column).replace_strict(locations, default=None, return_dtype=pl.Int64)


def _earlier(one: date | None, other: date | None) -> date | None:
    if one is None:
        return other
    if other is None:
        return one
    return min(one, other)


KINDS = pl.Enum(EventType.values)
MOVE_COLUMNS = ("kind", "lot_id", "serial_id", "quantity", "from_id", "to_id", "document_ref")
MOVE_SCHEMA: dict[str, Any] = {
    "kind": KINDS,
    "lot_id": pl.Int64,
    "serial_id": pl.Int64,
    "quantity": pl.Int64,
    "from_id": pl.Int64,
    "to_id": pl.Int64,
    "document_ref": pl.String,
}


def place(moves: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """Positions (lot_id, serial_id, location_id, on_hand, in_transit) from movements, by the
    rules of ``engine.PLACE_CTES``, in polars: what arrived at a location, minus what left it,
    and what each document shipped to it still owes (in transit, never below zero); a
    ``returned`` that closes no shipment of the same document, lot, serial and destination
    also leaves where it came from. The tests hold it to the SQL on the same files.

    Arrivals are summed without the document (the SQL's per-document sums of arrivals add up
    to the same): only shipments and receipts are grouped by document. Run lazily and
    streamed (10M events: 2 s and 1 GB, against 9 s and 2.6 GB eagerly)."""
    kind, quantity = pl.col("kind"), pl.col("quantity")
    moves = moves.lazy()
    documents = (
        moves.filter(
            pl.col("to_id").is_not_null() & kind.is_in(["shipped", "received", "returned"])
        )
        .group_by("lot_id", "serial_id", "to_id", "document_ref")
        .agg(
            owed=pl.when(kind == "shipped").then(quantity).otherwise(-quantity).sum(),
            shipped=(kind == "shipped").any(),
        )
    )
    nothing = pl.lit(0, pl.Int64)
    in_transit = documents.filter(pl.col("owed") > 0).select(
        "lot_id", "serial_id", location_id="to_id", on_hand=nothing, in_transit="owed"
    )
    arrivals = moves.filter(
        pl.col("to_id").is_not_null() & kind.is_in([str(k) for k in ARRIVALS])
    ).select("lot_id", "serial_id", location_id="to_id", on_hand=quantity, in_transit=nothing)
    departures = moves.filter(
        kind.is_in([str(k) for k in DEPARTURES]) & pl.col("from_id").is_not_null()
    )
    shipments = documents.filter("shipped").select(
        "lot_id", pl.col("serial_id").fill_null(0).alias("unit"), "to_id", "document_ref"
    )
    lone_returns = (
        moves.filter((kind == "returned") & pl.col("from_id").is_not_null())
        .with_columns(unit=pl.col("serial_id").fill_null(0))
        .join(shipments, on=["lot_id", "unit", "to_id", "document_ref"], how="anti")
    )
    leaving = pl.concat(
        [
            departures.select("lot_id", "serial_id", "from_id", "quantity"),
            lone_returns.select("lot_id", "serial_id", "from_id", "quantity"),
        ]
    ).select("lot_id", "serial_id", location_id="from_id", on_hand=-quantity, in_transit=nothing)
    return (
        pl.concat([arrivals, in_transit, leaving])
        .group_by("lot_id", "serial_id", "location_id")
        .agg(pl.col("on_hand").sum(), pl.col("in_transit").sum())
        .filter((pl.col("on_hand") != 0) | (pl.col("in_transit") != 0))
        .sort("lot_id", "location_id")
        .collect(engine="streaming")
    )


def _drop_secondary_indexes(cursor: Any, table: str) -> list[str]:
    """Drop a table's unique constraints and indexes other than its primary key, and return
    the statements that build them again: building an index once from all the rows is
    cheaper than inserting each row into it."""
    if connection.vendor == "sqlite":  # constraints are unique indexes there; SQL as created
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
            "AND sql IS NOT NULL",
            [table],
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        return [definition for _name, definition in indexes]
    cursor.execute(
        "SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
        "WHERE c.conrelid = %s::regclass AND c.contype = 'u'",
        [table],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
        "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary AND NOT EXISTS "
        "(SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
        [table],
    )
    indexes = cursor.fetchall()
    for name, _definition in constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    return [
        f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
        for name, definition in constraints
    ] + [definition for _name, definition in indexes]


def _iso_seconds_utc(text: pl.Expr) -> pl.Expr:
    """The common time form (whole seconds, an offset) as UTC text; null for every other."""
    return pl.when(text.str.contains(ISO_SECONDS)).then(
        text.str.strptime(
            pl.Datetime("us", "UTC"), "%Y-%m-%dT%H:%M:%S%:z", strict=False
        ).dt.strftime("%Y-%m-%d %H:%M:%S")
    )


def _breaks_a_rule() -> pl.Expr:
    """True for a row that breaks a rule between its cells (EventParser says which, row by
    row)."""
    return pl.any_horizontal(
        (pl.col("event_id") == "") | (pl.col("event_id").str.len_chars() > 200),
        (pl.col("lot") == "") | (pl.col("lot").str.len_chars() > 20),
        pl.col("serial").str.len_chars().fill_null(0) > 20,
        pl.col("serial").is_not_null() & pl.col("lot_tracked"),
        (pl.col("from_location") != "") & pl.col("from_id").is_null(),
        (pl.col("to_location") != "") & pl.col("to_id").is_null(),
        pl.col("kind").is_in(list(NEEDS_TO)) & (pl.col("to_location") == ""),
        pl.col("kind").is_in(list(NEEDS_FROM)) & (pl.col("from_location") == ""),
        (pl.col("kind") == "shipped") & (pl.col("from_id") == pl.col("to_id")).fill_null(False),
        (pl.col("expiry") < pl.col("manufactured")).fill_null(False),
        (pl.col("kind") == "transformed")
        & (
            (pl.col("into_gtin") == "")
            | (pl.col("into_lot") == "")
            | (pl.col("into_lot").str.len_chars() > 20)
        ),
    )
