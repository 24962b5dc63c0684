"""The direct load (PostgreSQL and SQLite): whatever it accepts, the staging path accepts with the same
result (events, lots, serials, positions); whatever it cannot accept, it declines, and the
importer then reports the staging path's errors."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any
from unittest import mock

import polars as pl
import psycopg
import pytest
from django.db import connection, transaction
from django.test import override_settings
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from medrecall.catalog.models import Lot, Serial
from medrecall.cli.demo import demo_build, write_demo_events
from medrecall.core.importing import ImportOutcome
from medrecall.core.tabular import TableReader
from medrecall.traceability.importing import direct
from medrecall.traceability.importing.direct import Declined
from medrecall.traceability.importing.events import EVENT_COLUMNS, EventImporter, import_event_texts
from medrecall.traceability.importing.rows import FIELDS
from medrecall.traceability.models import Position, TraceEvent
from tests.traceability.scenario import CATH, HEADER, PUMP, TUBE, network

pytestmark = pytest.mark.django_db

T = "2025-01-10T08:00:00+08:00"


def snapshot() -> dict[str, list[Any]]:
    """Everything an import writes, by natural keys (ids differ between the two paths)."""
    return {
        "events": sorted(
            TraceEvent.objects.values_list(
                "event_id",
                "event_type",
                "event_time",
                "lot__device_model_id",
                "lot__number",
                "serial__serial",
                "quantity",
                "from_location__code",
                "to_location__code",
                "document_ref",
                "into_lot__number",
                "retracted",
                "import_run_id",
            ),
            key=str,
        ),
        "lots": sorted(
            Lot.objects.values_list(
                "device_model_id", "number", "manufactured_on", "expires_on", "quantity_produced"
            ),
            key=str,
        ),
        "serials": sorted(
            Serial.objects.values_list(
                "device_model_id", "serial", "lot__number", "manufactured_on"
            ),
            key=str,
        ),
        "positions": sorted(
            Position.objects.values_list(
                "lot__number", "serial__serial", "location__code", "on_hand", "in_transit"
            ),
            key=str,
        ),
        "stored": stored_texts(),
    }


def stored_texts() -> list[tuple[Any, ...]]:
    """Times, dates and flags as the database holds them (SQLite keeps text: the ORM would
    read two spellings of one time alike, but SQL comparing them would not)."""
    # Recording times differ between two loads; on SQLite their spelling must not (PostgreSQL
    # prints a time without its trailing zeros, so the length says nothing there).
    stamps = (
        "LENGTH(CAST(e.recorded_at AS TEXT)), LENGTH(CAST(l.created_at AS TEXT))"
        if connection.vendor == "sqlite"
        else "0, 0"
    )
    sql = (
        "SELECT e.event_id, CAST(e.event_time AS TEXT), CAST(e.retracted AS TEXT), CAST(l.manufactured_on AS TEXT), "
        "CAST(l.expires_on AS TEXT), CAST(s.manufactured_on AS TEXT), STAMPS FROM traceability_traceevent e "
        "JOIN catalog_lot l ON l.id = e.lot_id LEFT JOIN catalog_serial s ON s.id = e.serial_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql.replace("STAMPS", stamps))
        return sorted(cursor.fetchall(), key=str)


def event_indexes() -> list[tuple[str, str]]:
    """The indexes of the tables a bulk load drops indexes of (events and positions)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                "AND tbl_name IN ('traceability_traceevent', 'traceability_position') ORDER BY name"
            )
        else:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes "
                "WHERE tablename IN ('traceability_traceevent', 'traceability_position') ORDER BY indexname"
            )
        return cursor.fetchall()


def indexes_dropped(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The tables whose indexes a load drops, in order, as it drops them."""
    tables: list[str] = []
    real = direct._drop_secondary_indexes

    def spy(cursor: Any, table: str) -> list[str]:
        tables.append(table)
        return real(cursor, table)

    monkeypatch.setattr(direct, "_drop_secondary_indexes", spy)
    return tables


def directly(path: Path) -> tuple[ImportOutcome, dict[str, list[Any]]]:
    """The direct load of ``path``, what it wrote, and then nothing (rolled back)."""
    layout = TableReader(path, file_name=path.name, columns=EVENT_COLUMNS).csv_layout()
    assert layout is not None
    with transaction.atomic():
        outcome = direct.attempt(path, layout, file_name=path.name)
        written = snapshot()
        transaction.set_rollback(True)
    return outcome, written


def directly_or_declined(path: Path) -> tuple[ImportOutcome | None, dict[str, list[Any]] | None]:
    """``directly``, or ``(None, None)`` when the direct load declines the file."""
    try:
        return directly(path)
    except Declined:
        return None, None


def staged(path: Path) -> tuple[ImportOutcome, dict[str, list[Any]]]:
    """The staging path's import of ``path``, what it wrote, and then nothing (rolled back)."""
    with transaction.atomic():
        reader = TableReader(path, file_name=path.name, columns=EVENT_COLUMNS)
        outcome = import_event_texts(reader.tuples(FIELDS), file_name=path.name, kind="events")
        written = snapshot()
        transaction.set_rollback(True)
    return outcome, written


def assert_same_both_ways(path: Path) -> ImportOutcome:
    by_copy, copied = directly(path)
    by_stage, stage_wrote = staged(path)
    assert by_stage.accepted, by_stage.errors[:3]
    assert (by_copy.rows, by_copy.created) == (by_stage.rows, by_stage.created)
    assert copied == stage_wrote
    return by_copy


def write(
    tmp_path: Path, lines: str, name: str = "events.csv", header: str = HEADER, **options: Any
) -> Path:
    path = tmp_path / name
    path.write_text(header + lines, **{"encoding": "utf-8", **options})
    return path


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of a few rows, so that every file crosses block boundaries."""
    monkeypatch.setattr(direct, "BLOCK_BYTES", 700)


@pytest.mark.parametrize("bulk", [True, False], ids=["indexes-built-after", "indexes-kept"])
def test_demo_history_same_result_both_ways(
    tmp_path: Path, settings: Any, bulk: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo_build(events=False)
    settings.MEDRECALL_BULK_LOAD_MIN_ROWS = 0 if bulk else 10**9
    monkeypatch.setattr(direct, "BLOCK_BYTES", 64 * 1024)
    path = tmp_path / "demo.csv"
    rows = write_demo_events(path, limit=6000)
    indexes = event_indexes()
    with connection.cursor() as cursor:
        cursor.execute(
            "ANALYZE traceability_traceevent"
        )  # an empty table, analysed: the bulk branch must see it
    dropped = indexes_dropped(monkeypatch)
    outcome = assert_same_both_ways(path)
    assert outcome.created == rows == 6000
    assert dropped == (["traceability_traceevent", "traceability_position"] if bulk else [])
    assert event_indexes() == indexes


def test_rows_across_blocks_lots_produced_later_and_quoted_line_breaks(
    tmp_path: Path, small_blocks: None
) -> None:
    network()
    lines = (
        # the lot is used (serial shipped) before the file produces it, several blocks later
        f'S1,shipped,{T},{PUMP},P1,PS-1,1,FAC,D1,"DN\n1",,,,\n'
        f'S2,received,{T},{PUMP},P1,PS-1,1,FAC,D1,"DN\n1",,,,\n'
        + "".join(
            f"F{n},produced,2025-01-0{n % 9 + 1}T08:00:00Z,{CATH},C{n % 3},,{n},,FAC,MO-{n},,,,\n"
            for n in range(1, 40)
        )
        + f"P0,produced,{T},{PUMP},P1,PS-1,,,FAC,MO-P,2025-01-02,2030-01-01,,\n"
        + f'T1,transformed,{T},{CATH},C1,,2,FAC,,"a ""quoted"", note",,,{TUBE},TB1\n'
        + f"T0,produced,{T},{TUBE},TB1,,5,,FAC,MO-T,2025-01-03,,,\n"
    )
    outcome = assert_same_both_ways(write(tmp_path, lines))
    assert outcome.created == 44


def test_file_on_top_of_recorded_history(tmp_path: Path, small_blocks: None) -> None:
    """Known lots and serials are read from the database, new ones are added beside them."""
    network()
    first = write(
        tmp_path,
        f"A1,produced,{T},{PUMP},P1,PS-1,,,FAC,MO-1,2025-01-01,,,\n"
        f"A2,produced,{T},{PUMP},P1,PS-2,,,FAC,MO-1,2025-01-01,,,\n"
        f"A3,produced,{T},{CATH},C1,,50,,FAC,MO-2,2025-01-01,2027-01-01,,\n",
        name="first.csv",
    )
    assert EventImporter().run(first, file_name="first.csv").accepted
    lines = (
        f"B1,shipped,{T},{PUMP},P1,PS-1,1,FAC,D1,DN-1,,,,\n"
        f"B2,produced,{T},{PUMP},P1,PS-3,1,,FAC,MO-3,2025-02-01,,,\n"
        f"B3,shipped,{T},{PUMP},P1,PS-3,1,FAC,H1,DN-2,,,,\n"
        f"B4,shipped,{T},{CATH},C1,,20,FAC,D1,DN-3,,,,\n"
        f"B5,received,{T},{CATH},C1,,20,FAC,D1,DN-3,,,,\n"
        f"B6,produced,{T},{CATH},C2,,5,,FAC,MO-4,,,,\n"
    )
    outcome = assert_same_both_ways(write(tmp_path, lines, name="second.csv"))
    assert outcome.created == 6


def test_layouts_polars_must_read_as_csv_does(tmp_path: Path) -> None:
    """BOM, semicolons, CRLF line ends, columns in another order, optional columns left out,
    blank lines and padded cells."""
    network()
    header = "\ufeffquantity;Event ID;event_type;event_time;gtin;lot;to_location;from_location;document_ref;serial\r\n"
    lines = (
        f" 10 ;E1;Produced;{T};{CATH}; C1 ;FAC;;MO-1;\r\n"
        "\r\n"
        f"4.0;E2;ship;2025-01-11 08:00:00+08:00;{CATH};C1;D1;FAC;DN-1;\r\n"
        f";E3;receiving;2025-01-12T00:00:00.250Z;{CATH};C1;D1;FAC;DN-1;\r\n"
    )
    lines = lines.replace(";E3;", "4;E3;")
    assert_same_both_ways(write(tmp_path, lines, header=header, newline=""))


@pytest.mark.parametrize(
    ("lines", "reason"),
    [
        (f"E1,produced,{T},{CATH},C1,,10,,MARS,,,,,\n", "rule between its cells"),
        (f"E1,produced,2025-01-10T08:00:00,{CATH},C1,,10,,FAC,,,,,\n", "event_time"),
        (f"E1,produced,{T},{CATH},C1,,0,,FAC,,,,,\n", "quantity"),
        (f"E1,produced,{T},{CATH},C1,PS-9,1,,FAC,,,,,\n", "rule between its cells"),
        (
            f"E1,produced,{T},{CATH},C1,,10,,FAC,,,,,\nE1,produced,{T},{CATH},C1,,10,,FAC,,,,,\n",
            "refused the rows",
        ),
        (f"E1,shipped,{T},{CATH},NOPE,,10,FAC,D1,DN,,,,\n", "neither recorded nor produced"),
        (
            f"E1,produced,{T},{PUMP},P1,PS-1,,,FAC,,,,,\nE2,produced,{T},{PUMP},P2,PS-1,,,FAC,,,,,\n",
            "two lots",
        ),
        (
            f"E1,produced,{T},{CATH},C1,,10,,FAC,,,,,\nE2,shipped,{T},{CATH},C1,,11,FAC,D1,DN,,,,\n",
            "negative",
        ),
        (f"E1,produced,{T},{CATH},C1,,10,,FAC,DN\x1d,,,,\n", "control characters"),
        (f"E1,produced,{T},{CATH},C1,,10,,FAC,,,,,,\n", "polars cannot read"),
    ],
    ids=[
        "unknown-location",
        "no-offset",
        "zero",
        "serial-on-lot-model",
        "duplicate-id",
        "unknown-lot",
        "serial-in-two-lots",
        "negative-balance",
        "control-character",
        "extra-cell",
    ],
)
def test_declines_and_the_staging_path_reports(
    tmp_path: Path, settings: Any, lines: str, reason: str
) -> None:
    network()
    path = write(tmp_path, lines)
    before = snapshot()
    with pytest.raises(Declined, match=reason), transaction.atomic():
        direct.attempt(
            path,
            TableReader(path, file_name=path.name, columns=EVENT_COLUMNS).csv_layout(),  # type: ignore[arg-type]
            file_name=path.name,
        )
    expected, expected_state = staged(path)
    settings.MEDRECALL_DIRECT_LOAD_MIN_BYTES = 0  # the importer tries the direct load, then reports
    outcome = EventImporter().run(path, file_name=path.name)
    assert [(e.row, e.column, e.code) for e in outcome.errors] == [
        (e.row, e.column, e.code) for e in expected.errors
    ]
    assert outcome.accepted == expected.accepted
    assert snapshot() == (expected_state if expected.accepted else before)


def test_duplicate_id_found_by_the_rebuilt_unique_index(tmp_path: Path, settings: Any) -> None:
    network()
    settings.MEDRECALL_BULK_LOAD_MIN_ROWS = 0
    indexes = event_indexes()
    with (
        transaction.atomic(),
        connection.cursor() as cursor,
    ):  # dropped and built again, on both databases
        rebuilt = direct._drop_secondary_indexes(cursor, "traceability_traceevent")
        transaction.set_rollback(True)
    assert [s for s in rebuilt if "event_id_unique" in s and "UNIQUE" in s.upper()], rebuilt
    path = write(
        tmp_path,
        f"E1,produced,{T},{CATH},C1,,10,,FAC,,,,,\nE1,produced,{T},{CATH},C1,,10,,FAC,,,,,\n",
    )
    assert (
        direct.load(
            path,
            TableReader(path, file_name=path.name, columns=EVENT_COLUMNS).csv_layout(),  # type: ignore[arg-type]
            file_name=path.name,
        )
        is None
    )
    assert event_indexes() == indexes  # the dropped indexes came back with the rollback


def test_negative_balance_found_after_the_bulk_positions_pass_rolls_it_all_back(
    tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    network()
    assert (
        EventImporter()
        .run(write(tmp_path, f"P1,produced,{T},{CATH},C1,,10,,FAC,,,,,\n"), file_name="first.csv")
        .accepted
    )
    settings.MEDRECALL_BULK_LOAD_MIN_ROWS = 0
    with connection.cursor() as cursor:  # what an earlier test's ANALYZE left in pg_class goes
        cursor.execute("ANALYZE traceability_traceevent")
    before, indexes = snapshot(), event_indexes()
    # More rows than the one-page table is thought to hold (51), so the load is a bulk load.
    lines = "".join(f"E{n},produced,{T},{CATH},C{n},,10,,FAC,,,,,\n" for n in range(2, 80))
    path = write(tmp_path, lines + f"S1,shipped,{T},{CATH},C2,,11,FAC,D1,DN,,,,\n")
    dropped = indexes_dropped(monkeypatch)
    assert (
        direct.load(
            path,
            TableReader(path, file_name=path.name, columns=EVENT_COLUMNS).csv_layout(),  # type: ignore[arg-type]
            file_name=path.name,
        )
        is None
    )
    assert dropped == [
        "traceability_traceevent",
        "traceability_position",
    ]  # declined after the positions pass
    assert snapshot() == before  # the emptied positions are back, with their indexes
    assert event_indexes() == indexes


def test_re_sent_file_is_declined_then_counted_unchanged(tmp_path: Path, settings: Any) -> None:
    network()
    settings.MEDRECALL_DIRECT_LOAD_MIN_BYTES = 0
    path = write(
        tmp_path,
        f"E1,produced,{T},{CATH},C1,,10,,FAC,,,,,\nE2,shipped,{T},{CATH},C1,,4,FAC,D1,DN,,,,\n",
    )
    first = EventImporter().run(path, file_name=path.name)
    assert (first.accepted, first.created) == (True, 2)
    again = EventImporter().run(path, file_name=path.name)
    assert (again.accepted, again.created, again.unchanged) == (True, 0, 2)
    assert TraceEvent.objects.count() == 2


def test_serial_recorded_in_another_lot_is_declined(tmp_path: Path) -> None:
    network()
    first = write(tmp_path, f"A1,produced,{T},{PUMP},P1,PS-1,,,FAC,,,,,\n", name="first.csv")
    assert EventImporter().run(first, file_name="first.csv").accepted
    path = write(tmp_path, f"B1,produced,{T},{PUMP},P2,PS-1,,,FAC,,,,,\n")
    with pytest.raises(Declined, match="another lot"), transaction.atomic():
        direct.attempt(
            path,
            TableReader(path, file_name=path.name, columns=EVENT_COLUMNS).csv_layout(),  # type: ignore[arg-type]
            file_name=path.name,
        )


def test_excel_gb18030_and_small_files_take_the_staging_path(tmp_path: Path, settings: Any) -> None:
    network()
    gb = write(
        tmp_path,
        f"E1,produced,{T},{CATH},C1,,10,,FAC,生产单,,,,\n",
        name="gb.csv",
        encoding="gb18030",
    )
    assert TableReader(gb, file_name="gb.csv", columns=EVENT_COLUMNS).csv_layout() is None
    assert not direct.enabled(file_name="events.xlsx", size=10**9)
    settings.MEDRECALL_DIRECT_LOAD_MIN_BYTES = 10**6
    assert not direct.enabled(file_name="events.csv", size=1000)
    settings.MEDRECALL_DIRECT_LOAD_MIN_BYTES = 0
    assert direct.enabled(file_name="events.csv", size=1000)


# -- any file: accepted the same way, or declined ------------------------------------------------

CELLS = {
    "event_type": st.sampled_from(
        [
            "produced",
            "shipped",
            "received",
            "consumed",
            "returned",
            "destroyed",
            "installed",
            " Ship ",
            "receiving",
            "teleported",
        ]
    ),
    "event_time": st.sampled_from(
        [
            T,
            "2025-01-11T08:00:00Z",
            "2025-01-11 09:30:00.5+00:00",
            "2025-01-12T08:00:00",
            "2025-02-30T08:00:00Z",
            "",
        ]
    ),
    "gtin": st.sampled_from([CATH, PUMP, "06950000000010", ""]),
    "lot": st.sampled_from(["C1", "C2", "P1", "", "L" * 21]),
    "serial": st.sampled_from(["", "", "PS-1", "PS-2", " PS-3 "]),
    "quantity": st.sampled_from(["1", "2", "1.0", "0", "-1", "", "x", " 3 "]),
    "from_location": st.sampled_from(["", "FAC", "D1", "H1", "MARS"]),
    "to_location": st.sampled_from(["", "FAC", "D1", "H1", "FAC"]),
    "document_ref": st.sampled_from(["", "DN-1", "DN-2", "x" * 120]),
    "manufactured": st.sampled_from(["", "", "2025-01-01", "2025-13-01"]),
    "expiry": st.sampled_from(["", "", "2027-01-01", "2024-01-01"]),
}


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(st.fixed_dictionaries(CELLS), min_size=1, max_size=12))
def test_whatever_the_direct_load_accepts_the_staging_path_accepts_alike(
    tmp_path: Path, rows: list[dict[str, str]]
) -> None:
    with transaction.atomic():
        network()
        lines = "".join(
            ",".join([f"E{n}", *(row[c] for c in FIELDS[1:12]), "", ""]) + "\n"
            for n, row in enumerate(rows)
        )
        path = write(tmp_path, lines)
        by_copy, copied = directly_or_declined(path)
        by_stage, stage_wrote = staged(path)
        if by_copy is not None:
            assert by_stage.accepted, (lines, by_stage.errors[:3])
            assert by_copy.created == by_stage.created
            assert copied == stage_wrote
        transaction.set_rollback(True)


# -- a first load's positions, summed in memory: as the SQL sums them ---------------------------

UNITS = st.sampled_from(
    [
        (CATH, "C1", "", 3),
        (CATH, "C2", "", 2),
        (CATH, "C1", "", 1),
        (PUMP, "P1", "PS-1", 1),
        (PUMP, "P1", "PS-2", 1),
    ]
)
DOCUMENTS = st.sampled_from(["DN-1", "DN-2", ""])
SHIPPING = [("FAC", "D1"), ("D1", "H1"), ("FAC", "H1"), ("H1", "FAC"), ("D1", "FAC")]
MOVEMENTS = st.one_of(  # (kind, unit, (from, to), document), each kind on routes it can take
    st.tuples(st.just("shipped"), UNITS, st.sampled_from(SHIPPING), DOCUMENTS),
    st.tuples(
        st.just("received"), UNITS, st.sampled_from([*SHIPPING, ("", "D1"), ("", "H1")]), DOCUMENTS
    ),
    st.tuples(
        st.just("returned"),
        UNITS,
        st.sampled_from([("H1", "FAC"), ("D1", "FAC"), ("", "FAC")]),
        DOCUMENTS,
    ),
    st.tuples(
        st.sampled_from(["consumed", "destroyed"]),
        UNITS,
        st.sampled_from([("H1", ""), ("D1", ""), ("FAC", "")]),
        DOCUMENTS,
    ),
    st.tuples(st.just("installed"), UNITS, st.sampled_from([("", "H1"), ("", "D1")]), DOCUMENTS),
)


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(movements=st.lists(MOVEMENTS, max_size=14))
def test_first_load_positions_summed_in_memory_match_the_sql(
    tmp_path: Path, movements: list[Any]
) -> None:
    with transaction.atomic():
        network()
        with connection.cursor() as cursor:  # empty, and known to be: the load is a first bulk load
            cursor.execute("ANALYZE traceability_traceevent")
        lines = [
            f"P1,produced,{T},{CATH},C1,,10,,FAC,MO-1,,,,",
            f"P2,produced,{T},{CATH},C1,,6,,D1,MO-1,,,,",
            f"P3,produced,{T},{CATH},C1,,6,,H1,MO-1,,,,",
            f"P4,produced,{T},{CATH},C2,,5,,D1,MO-2,,,,",
            f"P5,produced,{T},{PUMP},P1,PS-1,1,,FAC,MO-3,,,,",
            f"P6,produced,{T},{PUMP},P1,PS-2,1,,D1,MO-3,,,,",
        ]
        lines += [
            f"M{n},{kind},{T},{gtin},{lot},{serial},{quantity},{source},{destination},{document},,,,"
            for n, (
                kind,
                (gtin, lot, serial, quantity),
                (source, destination),
                document,
            ) in enumerate(movements)
        ]
        path = write(tmp_path, "\n".join(lines) + "\n")
        with (
            override_settings(MEDRECALL_BULK_LOAD_MIN_ROWS=0),
            mock.patch.object(direct, "place", wraps=direct.place) as place,
        ):
            by_copy, copied = directly_or_declined(path)
        by_stage, stage_wrote = staged(path)
        event("accepted" if by_copy is not None else "declined")
        if by_copy is not None:
            assert place.call_count == 1  # the positions came from memory, not from the SQL
            assert by_stage.accepted, (lines, by_stage.errors[:3])
            assert by_copy.created == by_stage.created
            assert copied == stage_wrote
        transaction.set_rollback(True)


def test_place_of_a_hand_made_history() -> None:
    """Split and partial shipments, in transit, returns, consumption, genealogy, an
    installation: each location's balance, by hand."""
    rows = [
        ("produced", 1, None, 10, None, 100, ""),
        ("shipped", 1, None, 6, 100, 200, "DN-1"),
        ("received", 1, None, 4, 100, 200, "DN-1"),
        ("shipped", 1, None, 3, 200, 300, "DN-2"),
        ("consumed", 1, None, 1, 200, None, ""),
        ("returned", 1, None, 2, 300, 100, "DN-3"),
        ("returned", 1, None, 1, 200, 100, "DN-1"),
        ("produced", 2, 7, 1, None, 100, ""),
        ("transformed", 1, None, 1, 100, None, ""),
        ("installed", 2, 7, 1, None, 100, ""),
        ("shipped", 1, None, 1, 200, 100, "RN-1"),
        ("returned", 1, None, 1, 200, 100, "RN-1"),
    ]
    moves = pl.DataFrame(rows, schema=direct.MOVE_SCHEMA, orient="row")
    assert sorted(direct.place(moves).rows()) == [
        (
            1,
            None,
            100,
            10 - 6 - 1 + 2 + 1 + 1,
            0,
        ),  # produced, shipped 6, transformed 1, three returns arrive
        # received 4 of DN-1's 6 (2 in transit), shipped 3, consumed 1, returned 1: no shipment
        # DN-1 went to 100, so that return closes none and leaves 200 too; RN-1 leaves once,
        # shipped, and its return closes it
        (1, None, 200, 4 - 3 - 1 - 1 - 1, 6 - 4),
        (1, None, 300, -2, 3),  # DN-2 not received yet; its return (no shipment DN-3) still leaves
        (2, 7, 100, 1, 0),
    ]


def test_progress_goes_up_to_the_end(tmp_path: Path, small_blocks: None) -> None:
    network()
    lines = "".join(
        f"F{n},produced,{T},{CATH},C{n % 4},,{n},,FAC,MO-{n},,,,\n" for n in range(1, 60)
    )
    path = write(tmp_path, lines)
    seen: list[int] = []

    def progress(done: int, total: int) -> None:
        """As a progress writer may: use the connection (never while a COPY is open on it: the
        query would wait for ever)."""
        if connection.vendor == "postgresql":
            assert (
                connection.connection.pgconn.transaction_status
                != psycopg.pq.TransactionStatus.ACTIVE
            )
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        seen.append(100 * done // total)

    with transaction.atomic():
        direct.attempt(
            path,
            TableReader(path, file_name=path.name, columns=EVENT_COLUMNS).csv_layout(),  # type: ignore[arg-type]
            file_name=path.name,
            progress=progress,
        )
        transaction.set_rollback(True)
    assert len(seen) > 5
    assert seen == sorted(seen)
    assert seen[-1] == 100


@pytest.mark.parametrize("tried_directly", [True, False], ids=["declined-then-staged", "staged"])
def test_refused_file_gives_back_its_bad_rows_as_they_came(
    tmp_path: Path, settings: Any, tried_directly: bool
) -> None:
    network()
    settings.MEDRECALL_DIRECT_LOAD_MIN_BYTES = 0 if tried_directly else 10**12
    lines = (
        f"E1,produced,{T},{CATH},C1,,10,,FAC,MO-1,,,,\n"
        f"E2,shipped,{T},{CATH},C1,,3,FAC,NOWHERE,DN-1,,,,\n"
        f"E3,shipped,{T},{CATH},C1,,-2,FAC,D1,DN-2,,,,\n"
    )
    outcome = EventImporter().run(write(tmp_path, lines), file_name="events.csv")
    assert not outcome.accepted
    rejected = list(csv.DictReader(io.StringIO(outcome.rejected_csv(EVENT_COLUMNS.all))))
    assert [
        (r["event_id"], r["to_location"], r["quantity"], r["error_row"], r["error_column"])
        for r in rejected
    ] == [("E2", "NOWHERE", "3", "3", "to_location"), ("E3", "D1", "-2", "4", "quantity")]


@pytest.mark.parametrize(
    "share_rows", [10**9, 1000], ids=["positions-at-once", "positions-by-share-of-lots"]
)
def test_first_load_spills_its_movements_block_by_block_and_removes_them(
    tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch, share_rows: int
) -> None:
    """Memory stays flat in the size of the file: a first load keeps its movements on disk,
    one Arrow file a block, until the positions are summed (a share of the lots at a time),
    and removes them afterwards."""
    demo_build(events=False)
    monkeypatch.setattr(direct, "POSITIONS_SHARE_ROWS", share_rows)
    monkeypatch.setattr(
        direct, "SERIALS_SHARE_ROWS", share_rows // 10
    )  # new serials written in shares too
    shares: list[int] = []
    real_place = direct.place
    monkeypatch.setattr(direct, "place", lambda moves: shares.append(1) or real_place(moves))
    settings.MEDRECALL_BULK_LOAD_MIN_ROWS = 0
    monkeypatch.setattr(direct, "BLOCK_BYTES", 64 * 1024)
    spill_root = tmp_path / "spill"
    spill_root.mkdir()
    monkeypatch.setattr(direct.tempfile, "tempdir", str(spill_root))
    spilled: list[int] = []
    real = direct._DirectLoad._spill_moves

    def spy(load: Any, frame: pl.DataFrame) -> None:
        real(load, frame)
        spilled.append(pl.read_ipc(load.state.moves[-1]).height)

    monkeypatch.setattr(direct._DirectLoad, "_spill_moves", spy)
    path = tmp_path / "demo.csv"
    rows = write_demo_events(path, limit=6000)
    with (
        connection.cursor() as cursor
    ):  # an empty table, analysed: the first-load branch must see it
        cursor.execute("ANALYZE traceability_traceevent")
    installed = sum(
        1 for row in csv.DictReader(path.open(encoding="utf-8")) if row["event_type"] == "installed"
    )

    outcome = assert_same_both_ways(path)  # positions as the staging path's SQL sums them

    assert outcome.created == rows == 6000
    assert len(spilled) == -(-path.stat().st_size // (64 * 1024)) > 1  # one file a block
    assert sum(spilled) == rows - installed
    assert len(shares) == (1 if share_rows > rows else 6)
    assert list(spill_root.iterdir()) == []


def test_declined_first_load_removes_its_spilled_movements(
    tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch, small_blocks: None
) -> None:
    network()
    settings.MEDRECALL_BULK_LOAD_MIN_ROWS = 0
    with (
        connection.cursor() as cursor
    ):  # an empty table, analysed: the first-load branch must see it
        cursor.execute("ANALYZE traceability_traceevent")
    spills: list[Path] = []
    real = direct._DirectLoad._spill_moves
    monkeypatch.setattr(
        direct._DirectLoad,
        "_spill_moves",
        lambda load, frame: (real(load, frame), spills.append(load.state.moves[-1]))[0],
    )
    spill_root = tmp_path / "spill"
    spill_root.mkdir()
    monkeypatch.setattr(direct.tempfile, "tempdir", str(spill_root))
    # Five units made, forty shipped: the balance check declines, after every block was spilled.
    lines = f"P0,produced,{T},{CATH},C1,,5,,FAC,MO-1,,,,\n" + "".join(
        f"S{n},shipped,{T},{CATH},C1,,1,FAC,D1,DN-{n},,,,\n" for n in range(40)
    )
    path = write(tmp_path, lines)
    reader = TableReader(path, file_name=path.name, columns=EVENT_COLUMNS)
    layout = reader.csv_layout()
    assert layout is not None

    with pytest.raises(Declined, match="negative"), transaction.atomic():
        direct.attempt(path, layout, file_name=path.name)

    assert len(spills) > 1
    assert list(spill_root.iterdir()) == []
    assert TraceEvent.objects.count() == 0


def test_memory_follows_the_block_not_the_file(
    tmp_path: Path, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No step of the load holds the file: every frame a block's resolution joins has at
    most a block's rows, for a file twice as long as well (a join with every serial seen so
    far hashed them all for each block: 290 MB at 10M events), and the serials seen are let
    go once every row is resolved."""
    demo_build(events=False)
    settings.MEDRECALL_BULK_LOAD_MIN_ROWS = 0
    monkeypatch.setattr(direct, "BLOCK_BYTES", 32 * 1024)
    blocks: list[int] = []
    joined: list[int] = []
    held_at_serials_write: list[int] = []
    real_checked, real_join = direct._DirectLoad._checked, pl.DataFrame.join
    real_write_serials = direct._DirectLoad._write_serials

    def checked(load: Any, block: bytes) -> pl.DataFrame:
        frame = real_checked(load, block)
        blocks.append(frame.height)
        return frame

    def join(frame: pl.DataFrame, other: pl.DataFrame, *args: Any, **kwargs: Any) -> Any:
        joined.append(max(frame.height, other.height))
        return real_join(frame, other, *args, **kwargs)

    def write_serials(load: Any, raw: Any) -> None:
        held_at_serials_write.append(load.state.serials.height)
        real_write_serials(load, raw)

    monkeypatch.setattr(direct._DirectLoad, "_checked", checked)
    monkeypatch.setattr(pl.DataFrame, "join", join)
    monkeypatch.setattr(direct._DirectLoad, "_write_serials", write_serials)
    largest: dict[int, tuple[int, int, int]] = {}
    for rows in (3000, 6000):
        blocks.clear()
        joined.clear()
        path = tmp_path / f"demo-{rows}.csv"
        assert write_demo_events(path, limit=rows) == rows
        outcome, written = directly(path)
        assert outcome.created == rows == len(written["events"])
        largest[rows] = (len(blocks), max(blocks), max(joined))

    (blocks_3000, block_3000, join_3000), (blocks_6000, block_6000, join_6000) = (
        largest[3000],
        largest[6000],
    )
    assert blocks_6000 >= 2 * blocks_3000 - 1 > 6  # twice the file, twice the blocks
    assert join_3000 <= block_3000
    assert join_6000 <= block_6000
    assert held_at_serials_write == [0, 0]
