"""The set trace at the size of a real recall: id sets of more than 1,000 lots bound as one
parameter, genealogy over many seeds, holder lines with names and codes from one statement.
Runs on SQLite and, with DATABASE_URL, on PostgreSQL (``= ANY`` with one array)."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import pytest
from django.db import connection, transaction

from medrecall.catalog.models import Lot
from medrecall.parties.models import Location
from medrecall.traceability import engine
from medrecall.traceability.selectors import (
    HOLDER_FIELDS,
    HolderLine,
    _holder_lines,
    trace_forward_lots,
)
from tests.traceability.scenario import CATH, TUBE, network, run_events

pytestmark = pytest.mark.django_db

LOTS = 1_100  # more than 1,000 ids in every id set of the trace


def recall_events(count: int) -> str:
    """Lot ``C{i}``: produced at FAC (10 + i % 7 units), 4 shipped to and received at D1, 2 shipped
    on to H1 and received there unless i % 3 == 0 (then still on the way); every fifth lot has
    one unit of its H1 delivery consumed."""
    lines = []
    for i in range(count):
        lot = f"C{i:05d}"
        lines += [
            f"A{i}-1,produced,2025-01-10T08:00:00Z,{CATH},{lot},,{10 + i % 7},,FAC,WO-{i},2025-01-10,2028-01-09,,",
            f"A{i}-2,shipped,2025-01-11T08:00:00Z,{CATH},{lot},,4,FAC,D1,DN-{i}-1,,,,",
            f"A{i}-3,received,2025-01-12T08:00:00Z,{CATH},{lot},,4,FAC,D1,DN-{i}-1,,,,",
            f"A{i}-4,shipped,2025-01-13T08:00:00Z,{CATH},{lot},,2,D1,H1,DN-{i}-2,,,,",
        ]
        if i % 3:
            lines.append(f"A{i}-5,received,2025-01-14T08:00:00Z,{CATH},{lot},,2,D1,H1,DN-{i}-2,,,,")
            if i % 5 == 0:
                lines.append(f"A{i}-6,consumed,2025-01-15T08:00:00Z,{CATH},{lot},,1,H1,,,,,,")
    return "\n".join(lines) + "\n"


def expected_holders(count: int) -> dict[str, tuple[int, int, int]]:
    produced = sum(10 + i % 7 for i in range(count))
    arrived = [i for i in range(count) if i % 3]
    consumed = sum(1 for i in arrived if i % 5 == 0)
    return {
        "FAC": (produced, produced - 4 * count, 0),
        "D1": (4 * count, 2 * count, 0),
        "H1": (2 * count, 2 * len(arrived) - consumed, 2 * (count - len(arrived))),
    }


def test_id_set_binds_thousands_of_ids_as_one_parameter() -> None:
    ids = list(range(1, 5_001))
    condition, params = engine.id_set(ids)
    assert len(params) == 1
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM (SELECT 1 AS one) t WHERE 2500 {condition}", params)  # noqa: S608
        assert cursor.fetchone()[0] == 1
        cursor.execute(f"SELECT COUNT(*) FROM (SELECT 1 AS one) t WHERE 5001 {condition}", params)  # noqa: S608
        assert cursor.fetchone()[0] == 0


def test_set_trace_over_more_than_a_thousand_lots(tmp_path: Path) -> None:
    network()
    assert run_events(tmp_path, recall_events(LOTS)).accepted
    by_number = dict(Lot.objects.values_list("number", "pk"))
    seeds = [by_number[f"C{i:05d}"] for i in range(LOTS)]
    random.Random(17).shuffle(seeds)
    trace = trace_forward_lots(seeds)
    assert {
        h.location: (h.received, h.on_hand, h.in_transit) for h in trace.holders
    } == expected_holders(LOTS)
    assert [h.location for h in trace.holders] == ["D1", "FAC", "H1"]
    fac = trace.holders[1]
    location = Location.objects.select_related("party").get(code="FAC")
    assert (
        fac.party,
        fac.location_name,
        fac.party_name,
        fac.party_type,
        fac.location_type,
        fac.country,
        fac.city,
    ) == (
        "OWN",
        location.name,
        location.party.name,
        "own_site",
        "warehouse",
        location.country,
        location.city,
    )
    number_of = {pk: number for number, pk in by_number.items()}
    assert trace.lots == [number_of[pk] for pk in seeds]
    assert [d["lot"] for d in trace.lot_details] == trace.lots
    assert {(d["gtin"], d["device_model"]) for d in trace.lot_details} == {
        (CATH, Lot.objects.get(pk=seeds[0]).device_model.name)
    }
    consumed = sum(1 for i in range(LOTS) if i % 3 and i % 5 == 0)
    assert trace.summary["consumed"] == consumed
    assert (trace.total_received, trace.total_on_hand, trace.total_in_transit) == tuple(
        sum(values[n] for values in expected_holders(LOTS).values()) for n in range(3)
    )


def test_set_trace_and_holders_and_fates_agree_on_many_lots(tmp_path: Path) -> None:
    network()
    assert run_events(tmp_path, recall_events(LOTS)).accepted
    lot_ids = sorted(Lot.objects.values_list("pk", flat=True))
    lots, rows, fates = engine.set_trace(lot_ids)
    places, old_fates = engine.holders_and_fates(
        engine.genealogy_lots(lot_ids), seed_lot_ids=lot_ids
    )
    codes = dict(Location.objects.values_list("pk", "code"))
    assert sorted((row[0], row[2], row[3], row[4]) for row in rows) == sorted(
        (codes[loc], received, on_hand, in_transit) for loc, received, on_hand, in_transit in places
    )
    assert fates == old_fates == {"consumed": sum(1 for i in range(LOTS) if i % 3 and i % 5 == 0)}
    assert [lot[0] for lot in lots] == lot_ids
    assert all(type(value) is int for row in rows for value in row[2:5])


def test_genealogy_over_many_seeds_keeps_their_order_then_the_finished_lots(tmp_path: Path) -> None:
    """1,100 component lots built into three finished lots: the seeds in the order given (a
    repeated seed kept, an unknown id dropped), then the finished lots by id."""
    network()
    lines = [f"F{n},produced,2025-01-05T08:00:00Z,{CATH},K{n},,100,,FAC,,,,," for n in range(3)]
    for i in range(LOTS):
        lines += [
            f"T{i}-1,produced,2025-01-01T08:00:00Z,{TUBE},T{i:05d},,5,,FAC,,,,,",
            f"T{i}-2,transformed,2025-01-05T08:00:00Z,{TUBE},T{i:05d},,1,FAC,,,,,{CATH},K{i % 3}",
        ]
    assert run_events(tmp_path, "\n".join(lines) + "\n").accepted
    by_number = dict(Lot.objects.values_list("number", "pk"))
    seeds = [by_number[f"T{i:05d}"] for i in range(LOTS)]
    random.Random(5).shuffle(seeds)
    asked = [*seeds, seeds[0], 999_999_999]
    finished = sorted(by_number[f"K{n}"] for n in range(3))
    assert engine.genealogy_lots(asked) == [*seeds, seeds[0], *finished]
    details, _rows, _fates = engine.set_trace(asked)
    number_of = {pk: number for number, pk in by_number.items()}
    assert [(pk, number, gtin) for pk, number, gtin, _name, _name_en in details] == [
        (pk, number_of[pk], TUBE if number_of[pk].startswith("T") else CATH)
        for pk in [*seeds, seeds[0], *finished]
    ]
    trace = trace_forward_lots(seeds)
    assert trace.summary["transformed"] == LOTS
    assert {h.location: (h.received, h.on_hand, h.in_transit) for h in trace.holders} == {
        "FAC": (5 * LOTS + 300, 4 * LOTS + 300, 0)
    }


def test_holder_lines_built_from_rows_equal_those_of_the_constructor() -> None:
    assert HOLDER_FIELDS == engine.HOLDER_COLUMNS
    row = (
        "H1",
        "HOSP",
        10,
        7,
        3,
        "Ward 3",
        "City Hospital",
        "hospital",
        "customer_site",
        "CN",
        "浙江省",
        "杭州市",
    )
    (built,) = _holder_lines([row])
    assert built == HolderLine(*row)
    assert hash(built) == hash(HolderLine(*row))
    assert dataclasses.asdict(built) == dict(zip(HOLDER_FIELDS, row, strict=True))
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.on_hand = 0  # type: ignore[misc]
    with pytest.raises(ValueError, match="zip"):
        _holder_lines([row[:-1]])


def test_trace_of_more_ids_than_a_statement_may_bind(tmp_path: Path) -> None:
    """300,000 seed ids (SQLite binds at most 32,766 parameters a statement by default, 250,000 as
    Python builds it; PostgreSQL 65,535): the unknown ones drop out, the known lots are traced."""
    network()
    assert run_events(tmp_path, recall_events(30)).accepted
    known = sorted(Lot.objects.values_list("pk", flat=True))
    unknown = list(range(max(known) + 1, max(known) + 300_001))
    trace = trace_forward_lots([*unknown, *known])
    assert {
        h.location: (h.received, h.on_hand, h.in_transit) for h in trace.holders
    } == expected_holders(30)
    assert trace.lots == [f"C{i:05d}" for i in range(30)]


def test_trace_settings_are_set_inside_and_restored_after() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the trace settings are PostgreSQL's planner settings")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('random_page_cost'), current_setting('jit')")
        before = cursor.fetchone()
        with engine.trace_settings():
            cursor.execute("SELECT current_setting('random_page_cost'), current_setting('jit')")
            assert cursor.fetchone() == ("1.1", "off")
        cursor.execute("SELECT current_setting('random_page_cost'), current_setting('jit')")
        assert cursor.fetchone() == before


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_trace_answers_the_same_and_leaves_no_setting_behind(
    tmp_path: Path,
) -> None:
    """In autocommit (a page or command outside ``atomic``) PostgreSQL gets each statement with
    its settings in one message; the answer equals the one inside a transaction, and the
    connection's settings are its own again afterwards."""
    network()
    assert run_events(tmp_path, recall_events(40)).accepted
    seeds = list(Lot.objects.filter(number__startswith="C").values_list("pk", flat=True))
    before = None
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW random_page_cost")
            before = cursor.fetchone()

    assert connection.get_autocommit()
    assert not connection.in_atomic_block
    outside = engine.set_trace(seeds)
    with transaction.atomic():
        inside = engine.set_trace(seeds)

    assert outside == inside
    assert [row[0] for row in outside[1]] == ["D1", "FAC", "H1"]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW random_page_cost")
            assert cursor.fetchone() == before
            cursor.execute("SHOW jit")
            assert cursor.fetchone() == ("on",)
