"""Trace engine correctness on a multi-echelon network: splits, transit, returns,
consumption, genealogy, late events, re-import and retraction."""

from __future__ import annotations

from pathlib import Path

import pytest

from medrecall.traceability.models import Position, TraceEvent
from medrecall.traceability.selectors import trace_backward, trace_forward
from tests.traceability.scenario import CATH, PUMP, TUBE, network, run_events

pytestmark = pytest.mark.django_db

DISTRIBUTION = f"""E1,produced,2025-01-10T08:00:00+08:00,{CATH},C1,,1000,,FAC,WO-1,2025-01-10,2028-01-09,,
E2,shipped,2025-01-12T08:00:00+08:00,{CATH},C1,,600,FAC,D1,DN-1,,,,
E3,received,2025-01-13T08:00:00+08:00,{CATH},C1,,600,FAC,D1,DN-1,,,,
E4,shipped,2025-01-20T08:00:00+08:00,{CATH},C1,,200,D1,S1,DN-2,,,,
E5,received,2025-01-21T08:00:00+08:00,{CATH},C1,,150,D1,S1,DN-2,,,,
E6,shipped,2025-01-25T08:00:00+08:00,{CATH},C1,,100,S1,H1,DN-3,,,,
E7,received,2025-01-26T08:00:00+08:00,{CATH},C1,,100,S1,H1,DN-3,,,,
E8,consumed,2025-02-01T08:00:00+08:00,{CATH},C1,,30,H1,,,,,,
E9,shipped,2025-02-02T08:00:00+08:00,{CATH},C1,,50,D1,H2,DN-4,,,,
"""


def holders(result: dict) -> dict[str, tuple[int, int, int]]:
    return {
        h["location"]: (h["received"], h["on_hand"], h["in_transit"]) for h in result["holders"]
    }


def test_multi_echelon_partial_and_in_transit(tmp_path: Path) -> None:
    network()
    outcome = run_events(tmp_path, DISTRIBUTION)
    assert (outcome.accepted, outcome.created, outcome.errors) == (True, 9, [])
    result = trace_forward(gtin=CATH, lot="C1").as_dict()
    assert result["lots"] == ["C1"]
    assert holders(result) == {
        "FAC": (1000, 400, 0),
        "D1": (600, 350, 0),
        "S1": (200, 50, 50),  # 150 of 200 received; 50 still on the way
        "H1": (100, 70, 0),  # 30 implanted
        "H2": (50, 0, 50),
    }
    assert (result["total_received"], result["total_on_hand"], result["total_in_transit"]) == (
        1950,
        870,
        100,
    )
    assert result["summary"] == {
        "own_stock": 400,
        "quarantine": 0,
        "in_transit": 100,
        "at_distributors": 400,
        "at_customers": 70,
        "consumed": 30,
        "destroyed": 0,
        "transformed": 0,
    }
    assert {h["party"] for h in result["holders"]} == {"OWN", "DIST", "SUB", "HOSP", "HOSP2"}


def test_units_accounted_for(tmp_path: Path) -> None:
    network()
    run_events(tmp_path, DISTRIBUTION)
    summary = trace_forward(gtin=CATH, lot="C1").summary
    assert sum(summary.values()) == 1000  # every produced unit is somewhere


def test_positions_table_matches_the_trace(tmp_path: Path) -> None:
    network()
    run_events(tmp_path, DISTRIBUTION)
    positions = {
        (p.location.code): (p.on_hand, p.in_transit)
        for p in Position.objects.select_related("location")
    }
    assert positions == {
        "FAC": (400, 0),
        "D1": (350, 0),
        "S1": (50, 50),
        "H1": (70, 0),
        "H2": (0, 50),
    }


def test_returns_close_transit_or_leave_the_holder(tmp_path: Path) -> None:
    network()
    run_events(tmp_path, DISTRIBUTION)
    returns = f"""R1,shipped,2025-03-01T08:00:00+08:00,{CATH},C1,,20,H1,QUAR,RMA-1,,,,
R2,returned,2025-03-03T08:00:00+08:00,{CATH},C1,,20,H1,QUAR,RMA-1,,,,
R3,returned,2025-03-04T08:00:00+08:00,{CATH},C1,,10,D1,QUAR,RMA-2,,,,
R4,destroyed,2025-03-10T08:00:00+08:00,{CATH},C1,,5,QUAR,,CERT-1,,,,
"""
    assert run_events(tmp_path, returns, "r.csv").accepted
    result = holders(trace_forward(gtin=CATH, lot="C1").as_dict())
    assert result["QUAR"] == (30, 25, 0)
    assert result["H1"] == (100, 50, 0)
    assert result["D1"] == (600, 340, 0)


def test_late_and_out_of_order_events_give_the_same_answer(tmp_path: Path) -> None:
    network()
    lines = DISTRIBUTION.strip().splitlines()
    first = (
        "\n".join(lines[:3] + lines[6:7] + [lines[3]]) + "\n"
    )  # E7 (received at H1) before E4-E6
    rest = "\n".join(lines[4:6] + lines[7:]) + "\n"
    # E7 arrives at H1 before its shipment E6 is known: an arrival from outside until E6 comes.
    assert run_events(tmp_path, first, "a.csv").accepted
    assert run_events(tmp_path, rest, "b.csv").accepted
    assert holders(trace_forward(gtin=CATH, lot="C1").as_dict())["H1"] == (100, 70, 0)


def test_reimport_is_idempotent(tmp_path: Path) -> None:
    network()
    run_events(tmp_path, DISTRIBUTION)
    again = run_events(tmp_path, DISTRIBUTION)
    assert (again.accepted, again.created, again.unchanged) == (True, 0, 9)
    assert TraceEvent.objects.count() == 9


def test_genealogy_expands_component_lot_to_finished_lots(tmp_path: Path) -> None:
    network()
    lines = f"""G1,produced,2025-01-01T08:00:00Z,{TUBE},T1,,500,,FAC,,,,,
G2,produced,2025-01-05T08:00:00Z,{CATH},C9,,100,,FAC,,,,,
G3,transformed,2025-01-05T08:00:00Z,{TUBE},T1,,100,FAC,,,,,{CATH},C9
G4,shipped,2025-01-06T08:00:00Z,{CATH},C9,,40,FAC,H1,DN-9,,,,
"""
    assert run_events(tmp_path, lines).accepted
    result = trace_forward(gtin=TUBE, lot="T1").as_dict()
    assert result["lots"] == ["T1", "C9"]
    assert holders(result) == {"FAC": (600, 460, 0), "H1": (40, 0, 40)}
    back = trace_backward(gtin=CATH, lot="C9")
    assert back["components"] == [{"gtin": TUBE, "lot": "T1", "quantity": 100, "components": []}]


def test_serial_forward_and_backward(tmp_path: Path) -> None:
    network()
    lines = f"""P1,produced,2025-01-01T08:00:00Z,{PUMP},PL1,SN1,1,,FAC,,,,,
P2,produced,2025-01-01T08:00:00Z,{PUMP},PL1,SN2,1,,FAC,,,,,
P3,shipped,2025-01-02T08:00:00Z,{PUMP},PL1,SN1,1,FAC,D1,DN-1,,,,
P4,received,2025-01-03T08:00:00Z,{PUMP},PL1,SN1,1,FAC,D1,DN-1,,,,
P5,shipped,2025-01-04T08:00:00Z,{PUMP},PL1,SN1,,D1,H1,DN-2,,,,
P6,received,2025-01-05T08:00:00Z,{PUMP},PL1,SN1,,D1,H1,DN-2,,,,
P7,installed,2025-01-06T08:00:00Z,{PUMP},PL1,SN1,1,,H1,,,,,
"""
    assert run_events(tmp_path, lines).accepted
    result = trace_forward(gtin=PUMP, serial="SN1").as_dict()
    assert holders(result) == {"FAC": (1, 0, 0), "D1": (1, 0, 0), "H1": (1, 1, 0)}
    back = trace_backward(gtin=PUMP, serial="SN1")
    assert back["holders"] == ["FAC", "D1", "H1"]
    assert back["current_location"] == "H1"
    assert [step["event_type"] for step in back["chain"]] == [
        "produced",
        "shipped",
        "received",
        "shipped",
        "received",
        "installed",
    ]
    lot_result = trace_forward(gtin=PUMP, lot="PL1").as_dict()
    assert holders(lot_result)["FAC"] == (2, 1, 0)


@pytest.mark.parametrize(
    ("line", "column", "code"),
    [
        pytest.param(
            f"X1,shipped,2025-01-12T08:00:00+08:00,{CATH},C1,,5000,FAC,D1,DN-X,,,,",
            "quantity",
            "negative_balance",
            id="negative-balance",
        ),
        pytest.param(
            f"X1,shipped,2025-01-12T08:00:00+08:00,{CATH},NOPE,,5,FAC,D1,,,,,",
            "lot",
            "unknown_lot",
            id="unknown-lot",
        ),
        pytest.param(
            f"X1,shipped,2025-01-12T08:00:00+08:00,{CATH},C1,,5,FAC,MARS,,,,,",
            "to_location",
            "unknown_location",
            id="unknown-location",
        ),
        pytest.param(
            "X1,shipped,2025-01-12T08:00:00+08:00,06950000000040,C1,,5,FAC,D1,,,,,",
            "gtin",
            "unknown_product",
            id="unknown-product",
        ),
        pytest.param(
            f"X1,shipped,2025-01-12T08:00:00+08:00,{CATH},C1,,0,FAC,D1,,,,,",
            "quantity",
            "quantity",
            id="zero",
        ),
        pytest.param(
            f"X1,shipped,2025-01-12T08:00:00+08:00,{CATH},C1,,-3,FAC,D1,,,,,",
            "quantity",
            "quantity",
            id="negative",
        ),
        pytest.param(
            f"X1,shipped,2025-01-12T08:00:00+08:00,{CATH},C1,SN1,1,FAC,D1,,,,,",
            "serial",
            "lot_tracked",
            id="serial-on-lot-model",
        ),
        pytest.param(
            f"X1,shipped,2025-13-12T08:00:00+08:00,{CATH},C1,,5,FAC,D1,,,,,",
            "event_time",
            "date",
            id="bad-date",
        ),
        pytest.param(
            f"X1,shipped,2025-01-12T08:00:00,{CATH},C1,,5,FAC,D1,,,,,",
            "event_time",
            "timezone",
            id="no-offset",
        ),
        pytest.param(
            f"X1,teleported,2025-01-12T08:00:00Z,{CATH},C1,,5,FAC,D1,,,,,",
            "event_type",
            "choice",
            id="bad-type",
        ),
        pytest.param(
            f"E2,shipped,2025-01-12T08:00:00+08:00,{CATH},C1,,601,FAC,D1,DN-1,,,,",
            "event_id",
            "conflict",
            id="changed-event",
        ),
    ],
)
def test_bad_rows_reject_the_whole_file(tmp_path: Path, line: str, column: str, code: str) -> None:
    network()
    run_events(tmp_path, DISTRIBUTION)
    before = TraceEvent.objects.count()
    good = f"OK1,shipped,2025-01-22T09:00:00+08:00,{CATH},C1,,5,D1,S1,DN-OK,,,,\n"
    outcome = run_events(tmp_path, good + line + "\n", "bad.csv")
    assert outcome.accepted is False
    assert [(e.file, e.row, e.column, e.code) for e in outcome.errors] == [
        ("bad.csv", 3, column, code)
    ]
    assert TraceEvent.objects.count() == before
    assert not TraceEvent.objects.filter(event_id="OK1").exists()


def test_duplicate_event_in_file_names_the_first_row(tmp_path: Path) -> None:
    network()
    line = f"E1,produced,2025-01-10T08:00:00+08:00,{CATH},C1,,10,,FAC,,,,,\n"
    outcome = run_events(tmp_path, line + line)
    assert [(e.row, e.code) for e in outcome.errors] == [(3, "duplicate")]
    assert "row 2" in outcome.errors[0].message
