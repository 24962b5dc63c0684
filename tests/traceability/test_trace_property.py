"""The trace engine against a simple reference implementation on random distribution
networks (hypothesis): same holders, same received / on hand / in transit."""

from __future__ import annotations

import random
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medrecall.traceability.models import TraceEvent
from medrecall.traceability.selectors import trace_forward
from tests.traceability.scenario import CATH, network, run_events

LOCATIONS = ["FAC", "D1", "S1", "H1", "H2", "QUAR"]
Event = tuple[str, str, int, str, str, str]  # event_id, type, quantity, from, to, document


def simulate(seed: int, steps: int) -> list[Event]:
    """A valid history: nothing leaves a location that does not hold it."""
    rng = random.Random(seed)
    stock: dict[str, int] = defaultdict(int)
    events: list[Event] = []
    open_shipments: list[tuple[str, str, int, str]] = []  # doc, to, qty remaining, from
    n = 0

    def add(kind: str, qty: int, src: str = "", dst: str = "", doc: str = "") -> None:
        nonlocal n
        n += 1
        events.append((f"E{n}", kind, qty, src, dst, doc))

    add("produced", rng.randint(50, 500), dst="FAC")
    stock["FAC"] = events[0][2]
    for _step in range(steps):
        action = rng.choice(
            ["ship", "ship", "receive", "consume", "return", "destroy", "produce", "outside"]
        )
        holders = [loc for loc in LOCATIONS if stock[loc] > 0]
        if action == "produce":
            qty = rng.randint(1, 100)
            add("produced", qty, dst="FAC")
            stock["FAC"] += qty
        elif action == "ship" and holders:
            src = rng.choice(holders)
            dst = rng.choice([loc for loc in LOCATIONS if loc != src])
            qty = rng.randint(1, stock[src])
            doc = f"DN{n}"
            add("shipped", qty, src, dst, doc)
            stock[src] -= qty
            open_shipments.append((doc, dst, qty, src))
        elif action == "receive" and open_shipments:
            doc, dst, qty, src = open_shipments.pop(rng.randrange(len(open_shipments)))
            got = rng.randint(1, qty)
            add(rng.choice(["received", "received", "returned"]), got, src, dst, doc)
            stock[dst] += got
        elif action == "consume" and holders:
            src = rng.choice(holders)
            qty = rng.randint(1, stock[src])
            add("consumed", qty, src)
            stock[src] -= qty
        elif action == "destroy" and holders:
            src = rng.choice(holders)
            qty = rng.randint(1, stock[src])
            add("destroyed", qty, src)
            stock[src] -= qty
        elif action == "return" and holders:
            src = rng.choice([h for h in holders if h != "QUAR"] or holders)
            if src == "QUAR":
                continue
            qty = rng.randint(1, stock[src])
            add("returned", qty, src, "QUAR", f"RMA{n}")
            stock[src] -= qty
            stock["QUAR"] += qty
        elif action == "outside":
            dst = rng.choice(LOCATIONS)
            qty = rng.randint(1, 20)
            add("received", qty, "", dst, f"EXT{n}")
            stock[dst] += qty
    return events


def reference(events: list[Event]) -> dict[str, tuple[int, int, int]]:
    """Naive reading of the documented semantics, event by event."""
    arrived: dict[str, int] = defaultdict(int)
    departed: dict[str, int] = defaultdict(int)
    shipped: dict[tuple[str, str], int] = defaultdict(int)
    got: dict[tuple[str, str], int] = defaultdict(int)
    shipments = {(doc, dst) for _i, kind, _q, _s, dst, doc in events if kind == "shipped"}
    for _id, kind, qty, src, dst, doc in events:
        if kind in ("produced", "received", "returned"):
            arrived[dst] += qty
        if kind in ("shipped", "consumed", "destroyed"):
            departed[src] += qty
        if kind == "returned" and src and (doc, dst) not in shipments:
            departed[src] += qty
        if kind == "shipped":
            shipped[(doc, dst)] += qty
        if kind in ("received", "returned"):
            got[(doc, dst)] += qty
    transit: dict[str, int] = defaultdict(int)
    for (doc, dst), qty in shipped.items():
        transit[dst] += max(qty - got[(doc, dst)], 0)
    result = {}
    for loc in LOCATIONS:
        received = arrived[loc] + transit[loc]
        if received > 0:
            result[loc] = (received, arrived[loc] - departed[loc], transit[loc])
    return result


def as_csv(events: list[Event], order: list[int]) -> str:
    return "".join(
        f"{eid},{kind},2025-01-01T00:00:{i % 60:02d}Z,{CATH},C1,,{qty},{src},{dst},{doc},,,,\n"
        for i, (eid, kind, qty, src, dst, doc) in ((i, events[i]) for i in order)
    )


@pytest.mark.django_db
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(min_value=0, max_value=10**6),
    steps=st.integers(min_value=1, max_value=40),
    shuffle=st.booleans(),
)
def test_engine_matches_reference(tmp_path: Path, seed: int, steps: int, shuffle: bool) -> None:
    from medrecall.parties.models import Location

    TraceEvent.objects.all().delete()  # hypothesis reuses the test's database across examples
    if not Location.objects.filter(code="FAC").exists():
        network()
    events = simulate(seed, steps)
    order = list(range(len(events)))
    if shuffle:
        random.Random(seed).shuffle(order)
    outcome = run_events(tmp_path, as_csv(events, order), f"h{seed}.csv")
    assert outcome.accepted, outcome.errors[:3]
    got = {
        h["location"]: (h["received"], h["on_hand"], h["in_transit"])
        for h in trace_forward(gtin=CATH, lot="C1").as_dict()["holders"]
    }
    assert got == reference(events)
