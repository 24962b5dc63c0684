"""A set trace is the sum of the per-unit traces (hypothesis, on random distribution networks),
through the command line's JSON, the API and the trace page; a set of one answers byte for byte
as the single trace; and a set costs the same number of queries for 2 lots as for 12."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.catalog.models import Lot, Serial
from medrecall.traceability.models import Position, TraceEvent
from tests.conftest import PASSWORD
from tests.traceability.scenario import CATH, PUMP, TUBE, network, run_events
from tests.traceability.test_trace_property import LOCATIONS, simulate

pytestmark = pytest.mark.django_db

Unit = tuple[str, str, str]  # gtin, lot, serial
LOTS = 4
SERIALS = 4


def history(seed: int, steps: int) -> str:
    """Events of LOTS catheter lots (random valid histories), a serial-tracked pump lot PS whose
    serials go their own ways, and a tubing lot TB of which 20 units were built into lot L0."""
    rng = random.Random(seed)
    lines: list[str] = []
    clock = iter(range(100_000))

    def add(
        event_id: str,
        kind: str,
        gtin: str,
        lot: str,
        serial: str,
        qty: int | str,
        src: str,
        dst: str,
        doc: str,
        into: str = "",
    ) -> None:
        tick = next(clock)
        lines.append(
            f"{event_id},{kind},2025-01-01T{tick // 3600:02d}:{tick // 60 % 60:02d}:{tick % 60:02d}Z,{gtin},"
            f"{lot},{serial},{qty},{src},{dst},{doc},,,{CATH if into else ''},{into}\n"
        )

    for n in range(LOTS):
        for event_id, kind, qty, src, dst, doc in simulate(seed + n, steps):
            add(f"L{n}-{event_id}", kind, CATH, f"L{n}", "", qty, src, dst, doc and f"L{n}-{doc}")
    for n in range(SERIALS):
        add(f"PS-{n}", "produced", PUMP, "PS", f"S{n}", 1, "", "FAC", "")
        where = rng.choice(["FAC", "D1", "H1", "S1"])
        if where != "FAC":
            add(f"PS-{n}-out", "shipped", PUMP, "PS", f"S{n}", 1, "FAC", where, f"DN-S{n}")
            if rng.random() < 0.6:
                add(f"PS-{n}-in", "received", PUMP, "PS", f"S{n}", 1, "FAC", where, f"DN-S{n}")
                if where == "H1" and rng.random() < 0.5:
                    add(f"PS-{n}-used", "consumed", PUMP, "PS", f"S{n}", 1, "H1", "", "")
    add("TB-1", "produced", TUBE, "TB", "", 100, "", "FAC", "")
    add("TB-2", "transformed", TUBE, "TB", "", 20, "FAC", "", "", into="L0")
    add("TB-3", "shipped", TUBE, "TB", "", 30, "FAC", rng.choice(LOCATIONS[1:5]), "DN-TB")
    return "".join(lines)


UNIVERSE: list[Unit] = (
    [(CATH, f"L{n}", "") for n in range(LOTS)]
    + [(PUMP, "", f"S{n}") for n in range(SERIALS)]
    + [(PUMP, "PS", "S1"), (PUMP, "PS", ""), (TUBE, "TB", "")]
)


def disjoint(units: list[Unit]) -> list[Unit]:
    """The units whose scopes do not overlap and together cover the set's: a unit listed twice
    once, no serial of the pump lot when the lot is listed whole, no L0 when TB (built into L0) is
    listed."""
    keys: dict[tuple[str, str], Unit] = {}
    for gtin, lot, serial in units:
        keys.setdefault((gtin, serial) if serial else (gtin, "lot:" + lot), (gtin, lot, serial))
    whole = {key[1][4:] for key in keys if key[1].startswith("lot:")}
    return [
        unit
        for unit in keys.values()
        if not (unit[2] and "PS" in whole) and not (unit[1] == "L0" and "TB" in whole)
    ]


def summed(answers: list[dict[str, Any]]) -> dict[str, Any]:
    """The per-unit answers added up: per holder (location, party) and per summary key; the lots of all."""
    lines: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    summary: dict[str, int] = defaultdict(int)
    for answer in answers:
        for h in answer["holders"]:
            line = lines[(h["location"], h["party"])]
            line[0] += h["received"]
            line[1] += h["on_hand"]
            line[2] += h["in_transit"]
        for key, value in answer["summary"].items():
            summary[key] += value
    return {
        "holders": [
            {"location": loc, "party": party, "received": r, "on_hand": o, "in_transit": t}
            for (loc, party), (r, o, t) in sorted(lines.items())
        ],
        "total_received": sum(a["total_received"] for a in answers),
        "total_on_hand": sum(a["total_on_hand"] for a in answers),
        "total_in_transit": sum(a["total_in_transit"] for a in answers),
        "summary": dict(summary),
        "lot_details": {(d["gtin"], d["lot"]) for a in answers for d in a["lot_details"]},
    }


def comparable(answer: dict[str, Any]) -> dict[str, Any]:
    return {
        "holders": answer["holders"],
        "total_received": answer["total_received"],
        "total_on_hand": answer["total_on_hand"],
        "total_in_transit": answer["total_in_transit"],
        "summary": answer["summary"],
        "lot_details": {(d["gtin"], d["lot"]) for d in answer["lot_details"]},
    }


def asked_lots_first(answer: dict[str, Any], units: list[Unit]) -> None:
    """``lots``: every lot in scope once, the asked-for lots first in the order first asked."""
    asked = list(dict.fromkeys(lot or "PS" for _gtin, lot, _serial in units))
    assert answer["lots"][: len(asked)] == asked
    assert len(answer["lots"]) == len(set(answer["lots"]))
    assert [d["lot"] for d in answer["lot_details"]] == answer["lots"]


class Doors:
    """The three ways in: command line (JSON), API and the trace page, single and set."""

    def __init__(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], api: APIClient, page: Client
    ) -> None:
        self.tmp_path, self.capsys, self.api, self.page = tmp_path, capsys, api, page

    def cli_single(self, unit: Unit) -> str:
        gtin, lot, serial = unit
        call_command(
            "trace",
            "forward",
            "--gtin",
            gtin,
            *(["--serial", serial] if serial else ["--lot", lot]),
            "--json",
        )
        return self.capsys.readouterr().out

    def cli_set(self, units: list[Unit]) -> str:
        path = self.tmp_path / "units.csv"
        path.write_text("".join(f"{g},{lot},{s}\n" for g, lot, s in units), encoding="utf-8")
        call_command("trace", "forward", "--file", str(path), "--json")
        return self.capsys.readouterr().out

    def api_single(self, unit: Unit) -> bytes:
        gtin, lot, serial = unit
        return bytes(
            self.api.get(
                "/api/trace/forward/",
                {"gtin": gtin, **({"serial": serial} if serial else {"lot": lot})},
            ).content
        )

    def api_set(self, units: list[Unit]) -> bytes:
        answer = self.api.post(
            "/api/trace/forward/set/",
            {"units": [{"gtin": g, "lot": lot, "serial": s} for g, lot, s in units]},
            format="json",
        )
        assert answer.status_code == 200, answer.content
        return bytes(answer.content)

    def page_single(self, unit: Unit) -> dict[str, Any]:
        gtin, lot, serial = unit
        response = self.page.get(
            "/trace/", {"gtin": gtin, "lot": lot if not serial else "", "serial": serial}
        )
        return dict(response.context["forward"].as_dict())

    def page_set(self, units: list[Unit]) -> dict[str, Any]:
        response = self.page.post(
            "/trace/", {"units": "".join(f"{g},{lot},{s}\n" for g, lot, s in units)}
        )
        assert response.status_code == 200
        return dict(response.context["forward"].as_dict())


@pytest.fixture
def doors(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    api_as: Callable[[User | None], APIClient],
    make_user: Callable[..., User],
) -> Doors:
    network()
    analyst = make_user(Role.TRACEABILITY_ANALYST)
    page = Client()
    assert page.login(username=analyst.username, password=PASSWORD)
    return Doors(tmp_path, capsys, api_as(analyst), page)


def fresh_history(tmp_path: Path, seed: int, steps: int) -> None:
    Position.objects.all().delete()
    TraceEvent.objects.all().delete()  # hypothesis reuses the test's database across examples
    Serial.objects.all().delete()
    Lot.objects.all().delete()
    outcome = run_events(tmp_path, history(seed, steps), f"n{seed}.csv")
    assert outcome.accepted, outcome.errors[:3]


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(min_value=0, max_value=10**6),
    steps=st.integers(min_value=1, max_value=25),
    units=st.lists(st.sampled_from(UNIVERSE), min_size=1, max_size=8),
)
def test_set_trace_is_the_sum_of_the_unit_traces(
    doors: Doors, tmp_path: Path, seed: int, steps: int, units: list[Unit]
) -> None:
    fresh_history(tmp_path, seed, steps)
    parts = disjoint(units)
    cli_parts = [doors.cli_single(unit) for unit in parts]
    api_parts = [doors.api_single(unit) for unit in parts]
    expected = summed([json.loads(out) for out in cli_parts])

    cli = json.loads(doors.cli_set(units))
    api = json.loads(doors.api_set(units))
    page = doors.page_set(units)
    assert comparable(cli) == expected
    assert comparable(api) == summed([json.loads(body) for body in api_parts]) == expected
    assert comparable(page) == summed([doors.page_single(unit) for unit in parts]) == expected
    for answer in (cli, api, page):
        asked_lots_first(answer, units)
    assert [h["received"] for h in api["holder_details"]] == [h["received"] for h in api["holders"]]
    assert api["shipped_to"] == []
    # A set of one answers byte for byte as the single trace (command line and API).
    assert doors.cli_set(parts[:1]) == cli_parts[0]
    assert doors.api_set(parts[:1]) == api_parts[0]


# --- query counts -----------------------------------------------------------------------------


def many_lots(tmp_path: Path, count: int) -> None:
    """Lots Q0..Q{count-1} of the catheter (each: produced, shipped to D1, partly received, some
    sent on to H1) and serials R0..R{count-1} of the pump (each: produced, shipped to H1)."""
    lines = []
    for n in range(count):
        lines += [
            f"Q{n}-1,produced,2025-01-01T08:00:00Z,{CATH},Q{n},,100,,FAC,,,,,\n",
            f"Q{n}-2,shipped,2025-01-02T08:00:00Z,{CATH},Q{n},,60,FAC,D1,DN-Q{n},,,,\n",
            f"Q{n}-3,received,2025-01-03T08:00:00Z,{CATH},Q{n},,50,FAC,D1,DN-Q{n},,,,\n",
            f"Q{n}-4,shipped,2025-01-04T08:00:00Z,{CATH},Q{n},,{n + 1},D1,H1,DN-Q{n}-H,,,,\n",
            f"R{n}-1,produced,2025-01-01T08:00:00Z,{PUMP},RL{n % 3},R{n},1,,FAC,,,,,\n",
            f"R{n}-2,shipped,2025-01-02T08:00:00Z,{PUMP},RL{n % 3},R{n},1,FAC,H1,DN-R{n},,,,\n",
        ]
    assert run_events(tmp_path, "".join(lines)).accepted


def count_queries(run: Callable[[], object]) -> int:
    with CaptureQueriesContext(connection) as queries:
        run()
    return len(queries)


@pytest.mark.parametrize("kind", ["lots", "lots-and-serials"])
def test_set_trace_query_count_does_not_grow_with_the_set(
    doors: Doors, tmp_path: Path, kind: str
) -> None:
    many_lots(tmp_path, 12)

    def units(count: int) -> list[Unit]:
        lots = [(CATH, f"Q{n}", "") for n in range(count)]
        return lots + (
            [(PUMP, "", f"R{n}") for n in range(count)] if kind == "lots-and-serials" else []
        )

    for door in (doors.cli_set, doors.api_set, doors.page_set):
        door(units(1))  # the user's session and permissions are read once per client, not per trace
        small, large = (count_queries(lambda door=door, n=n: door(units(n))) for n in (2, 12))  # type: ignore[misc]
        assert small == large, (door.__name__, small, large)
    large_answer = json.loads(doors.cli_set(units(12)))
    assert large_answer["lots"][:12] == [f"Q{n}" for n in range(12)]
    assert {h["location"]: h["received"] for h in large_answer["holders"]}["H1"] == 78 + (
        12 if kind == "lots-and-serials" else 0
    )


def test_backward_list_query_count_does_not_grow_with_the_list(
    doors: Doors, tmp_path: Path
) -> None:
    many_lots(tmp_path, 12)

    def backward(count: int) -> object:
        units = [{"gtin": CATH, "lot": f"Q{n}"} for n in range(count)] + [
            {"gtin": PUMP, "serial": f"R{n}"} for n in range(count)
        ]
        answer = doors.api.post("/api/trace/backward/set/", {"units": units}, format="json")
        assert answer.status_code == 200
        return answer.json()

    backward(1)
    assert count_queries(lambda: backward(2)) == count_queries(lambda: backward(12))
    assert [(u["lot"], u["serial"]) for u in backward(12)][10:14] == [
        ("Q10", None),
        ("Q11", None),
        ("RL0", "R0"),
        ("RL1", "R1"),
    ]
