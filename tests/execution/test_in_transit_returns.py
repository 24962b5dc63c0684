"""Returning units our records still show on their way to the holder: their receipt at the
holder is recorded first (closing the open shipment), so no stock goes negative, and units
the records do not place there are refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from medrecall.audit.models import AuditEntry
from medrecall.execution import services
from medrecall.execution.errors import ReceiptRefused
from medrecall.execution.models import Receipt
from medrecall.execution.selectors import recall_accounting
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from medrecall.traceability.models import Position, TraceEvent
from medrecall.traceability.selectors import trace_forward
from tests.traceability.scenario import CATH, run_events

pytestmark = pytest.mark.django_db
SCAN = "010695000000001910C1"


def positions(*codes: str) -> dict[str, tuple[int, int]]:
    return {
        code: (p.on_hand, p.in_transit)
        for code in codes
        for p in Position.objects.filter(lot__number="C1", location__code=code)
    }


def holders() -> dict[str, tuple[int, int]]:
    return {
        h["location"]: (h["on_hand"], h["in_transit"])
        for h in trace_forward(gtin=CATH, lot="C1").as_dict()["holders"]
    }


def totals(recall: RecallCase) -> dict[str, int]:
    return {k: v for k, v in recall_accounting(recall).total.as_dict().items() if k != "lot" and v}


def test_units_never_confirmed_received_close_their_shipment(
    recall: RecallCase, manager: Any, warehouse_user: Any
) -> None:
    ra = services.return_create(recall=recall, party=Party.objects.get(code="HOSP2"), actor=manager)
    assert [(line.lot.number, line.expected) for line in ra.lines.all()] == [
        ("C1", 50)
    ]  # all 50 still in transit

    services.return_receive(ra=ra, actor=warehouse_user, barcode=SCAN, quantity=50)

    assert positions("H2", "QUAR", "D1") == {"QUAR": (50, 0), "D1": (350, 0)}
    assert holders()["H2"] == (0, 0)
    closing = TraceEvent.objects.get(event_id=f"{Receipt.objects.get().event_id}-H1")
    assert (
        closing.event_type,
        closing.document_ref,
        closing.quantity,
        closing.from_location.code,  # type: ignore[union-attr]
        closing.to_location.code,
    ) == ("received", "DN-4", 50, "D1", "H2")  # type: ignore[union-attr]
    assert totals(recall) == {
        "affected": 970,
        "at_holders": 470,
        "own_stock": 400,
        "in_transit": 50,
        "in_quarantine": 50,
    }
    assert recall_accounting(recall).balanced
    entry = AuditEntry.objects.get(action="execution.shipment_closed_on_return")
    assert entry.changes["received_at_holder"] == [None, {"DN-4": 50}]


def test_on_hand_goes_first_and_only_the_shortfall_closes_a_shipment(
    recall: RecallCase, manager: Any, warehouse_user: Any
) -> None:
    ra = services.return_create(recall=recall, party=Party.objects.get(code="SUB"), actor=manager)
    assert sum(line.expected for line in ra.lines.all()) == 100  # 50 on hand + 50 on the way

    services.return_receive(ra=ra, actor=warehouse_user, barcode=SCAN, quantity=70)

    assert positions("S1", "QUAR") == {"S1": (0, 30), "QUAR": (70, 0)}
    assert holders()["S1"] == (0, 30)
    assert totals(recall) == {
        "affected": 970,
        "at_holders": 420,
        "own_stock": 400,
        "in_transit": 80,
        "in_quarantine": 70,
    }
    assert recall_accounting(recall).balanced


def test_units_not_recorded_at_the_holder_are_refused(
    recall: RecallCase, manager: Any, warehouse_user: Any, tmp_path: Path
) -> None:
    ra = services.return_create(recall=recall, party=Party.objects.get(code="HOSP2"), actor=manager)
    later = (
        f"L1,received,2025-03-02T08:00:00+08:00,{CATH},C1,,50,D1,H2,DN-4,,,,\n"
        f"L2,consumed,2025-03-03T08:00:00+08:00,{CATH},C1,,10,H2,,,,,,\n"
    )
    assert run_events(tmp_path, later, "later.csv").accepted
    events, audits = TraceEvent.objects.count(), AuditEntry.objects.count()

    with pytest.raises(ReceiptRefused, match="our records put 40 unit") as refused:
        services.return_receive(ra=ra, actor=warehouse_user, barcode=SCAN, quantity=50)

    assert refused.value.code == "not_at_holder"
    assert (TraceEvent.objects.count(), AuditEntry.objects.count(), Receipt.objects.count()) == (
        events,
        audits,
        0,
    )
    assert positions("H2", "QUAR") == {"H2": (40, 0)}
