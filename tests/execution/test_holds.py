"""Stock hold: placed on approval, enforced on every path that could ship held stock out of our
custody (CSV import, event capture API, EPCIS capture, single-event service), released with a
reason; all audited."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from medrecall.audit.models import AuditEntry
from medrecall.core.tabular import TableReader
from medrecall.execution import services
from medrecall.execution.errors import HoldRefused
from medrecall.execution.models import Hold
from medrecall.recalls.models import RecallCase
from medrecall.traceability import custody
from medrecall.traceability.importing import direct
from medrecall.traceability.importing.direct import Declined
from medrecall.traceability.importing.events import EVENT_COLUMNS
from medrecall.traceability.models import TraceEvent
from medrecall.traceability.services import CustodyRefused, NewEvent, events_record
from tests.execution.conftest import loc
from tests.traceability.scenario import CATH, HEADER, run_events

pytestmark = pytest.mark.django_db


def test_approval_places_holds_and_audits(recall: RecallCase) -> None:
    holds = list(Hold.objects.filter(recall=recall))
    assert [(h.lot.number, h.serial_id, h.active) for h in holds] == [("C1", None, True)]
    assert (
        AuditEntry.objects.filter(action="execution.hold_placed", target_id=str(recall.pk)).count()
        == 1
    )


def test_serial_recall_holds_each_serial(pump_recall: RecallCase) -> None:
    assert sorted(
        Hold.objects.filter(recall=pump_recall).values_list("serial__serial", flat=True)
    ) == ["PS-001", "PS-002", "PS-003"]


SHIP = f"H1,shipped,2025-04-01T08:00:00+08:00,{CATH},C1,,10,FAC,D1,DN-H,,,,\n"


HELD_DEPARTURES = [
    ("shipped", SHIP),
    ("consumed", f"H2,consumed,2025-04-01T08:00:00+08:00,{CATH},C1,,1,FAC,,,,,,\n"),
    ("destroyed", f"H3,destroyed,2025-04-01T08:00:00+08:00,{CATH},C1,,1,FAC,,,,,,\n"),
    (
        "transformed",
        f"H0,produced,2025-04-01T07:00:00+08:00,{CATH},NEWLOT,,1,,FAC,WO-N,2025-04-01,2028-01-01,,\n"
        f"H4,transformed,2025-04-01T08:00:00+08:00,{CATH},C1,,1,FAC,,,,,{CATH},NEWLOT\n",
    ),
    ("installed", f"H5,installed,2025-04-01T08:00:00+08:00,{CATH},C1,,1,FAC,FAC,,,,,\n"),
]


@pytest.mark.parametrize(("label", "line"), HELD_DEPARTURES)
def test_import_refuses_every_departure_of_held_stock(
    recall: RecallCase, tmp_path: Path, label: str, line: str
) -> None:
    before = TraceEvent.objects.count()
    outcome = run_events(tmp_path, line, f"{label}.csv")
    assert not outcome.accepted
    assert [e.code for e in outcome.errors] == ["stock_on_hold"]
    assert "Lot C1 at FAC is on hold for recall" in outcome.errors[0].message
    assert TraceEvent.objects.count() == before


@pytest.mark.parametrize(("label", "line"), HELD_DEPARTURES)
def test_direct_load_declines_held_stock_for_the_staging_path_to_report(
    recall: RecallCase, tmp_path: Path, label: str, line: str
) -> None:
    path = tmp_path / f"{label}.csv"
    path.write_text(HEADER + line, encoding="utf-8")
    layout = TableReader(path, file_name=path.name, columns=EVENT_COLUMNS).csv_layout()
    assert layout is not None
    with pytest.raises(Declined, match="custody guard"), transaction.atomic():
        direct.attempt(path, layout, file_name=path.name)


def test_guarded_lots_are_the_lots_with_holds(recall: RecallCase) -> None:
    """What a large load runs the guards over: the held lot, and nothing once none is held."""
    held = set(Hold.objects.values_list("lot_id", flat=True))
    assert held
    assert custody.guarded_lots() == held
    Hold.objects.all().delete()
    assert custody.guarded_lots() == set()


def test_held_stock_moves_into_quarantine_and_leaves_only_under_a_disposition(
    recall: RecallCase, tmp_path: Path
) -> None:
    lines = (
        f"Q1,shipped,2025-04-01T08:00:00+08:00,{CATH},C1,,10,FAC,QUAR,TR-1,,,,\n"
        f"Q2,received,2025-04-01T09:00:00+08:00,{CATH},C1,,10,FAC,QUAR,TR-1,,,,\n"
    )
    assert run_events(tmp_path, lines, "quar.csv").accepted
    outcome = run_events(
        tmp_path, f"Q3,destroyed,2025-04-02T08:00:00+08:00,{CATH},C1,,2,QUAR,,X,,,,\n", "d.csv"
    )
    assert [e.code for e in outcome.errors] == ["quarantine_needs_disposition"]


def test_unaffected_lots_ship_freely(recall: RecallCase, tmp_path: Path) -> None:
    lines = (
        f"N1,produced,2025-04-01T08:00:00+08:00,{CATH},C9,,10,,FAC,WO-9,2025-04-01,2028-01-01,,\n"
        f"N2,shipped,2025-04-02T08:00:00+08:00,{CATH},C9,,5,FAC,D1,DN-9,,,,\n"
    )
    assert run_events(tmp_path, lines, "free.csv").accepted


def test_resending_an_event_recorded_before_the_hold_is_not_refused(
    recall: RecallCase, tmp_path: Path
) -> None:
    from tests.traceability.test_trace import DISTRIBUTION

    assert run_events(tmp_path, DISTRIBUTION, "again.csv").accepted


def capture_row(**overrides: str) -> dict[str, str]:
    row = {
        "event_id": "API-1",
        "event_type": "shipped",
        "event_time": "2025-04-01T08:00:00+08:00",
        "gtin": CATH,
        "lot": "C1",
        "quantity": "5",
        "from_location": "FAC",
        "to_location": "H1",
        "document_ref": "DN-API",
    }
    row.update(overrides)
    return row


def test_capture_api_refuses_held_stock(recall: RecallCase, api_as: Any, analyst: Any) -> None:
    response = api_as(analyst).post("/api/events/capture/", [capture_row()], format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "stock_on_hold"
    assert not TraceEvent.objects.filter(event_id="API-1").exists()


def test_epcis_capture_refuses_held_stock(recall: RecallCase, api_as: Any, analyst: Any) -> None:
    document = {
        "@context": ["https://ref.gs1.org/standards/epcis/epcis-context.jsonld"],
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2025-04-01T08:00:00+08:00",
        "epcisBody": {
            "eventList": [
                {
                    "type": "ObjectEvent",
                    "eventID": "urn:uuid:6f1b0c1e-0000-4000-8000-000000000001",
                    "action": "OBSERVE",
                    "eventTime": "2025-04-01T08:00:00+08:00",
                    "eventTimeZoneOffset": "+08:00",
                    "bizStep": "shipping",
                    "disposition": "in_transit",
                    "quantityList": [
                        {"epcClass": f"https://id.gs1.org/01/{CATH}/10/C1", "quantity": 5}
                    ],
                    "sourceList": [{"type": "location", "source": "FAC"}],
                    "destinationList": [{"type": "location", "destination": "H1"}],
                    "bizTransactionList": [{"type": "desadv", "bizTransaction": "DN-EPCIS"}],
                }
            ]
        },
    }
    response = api_as(analyst).post("/api/epcis/capture/", document, format="json")
    assert response.status_code == 400, response.json()
    assert "on hold" in response.json()["message"]
    assert TraceEvent.objects.count() == 9 + 7


def test_single_event_service_refuses_held_stock(recall: RecallCase) -> None:
    event = NewEvent(
        "S-1",
        "shipped",
        datetime(2025, 4, 1, tzinfo=UTC),
        recall.holds.get().lot_id,
        None,
        3,
        loc("FAC").pk,
        loc("H1").pk,
        "DN-S",
    )
    with pytest.raises(CustodyRefused, match="on hold"):
        events_record(events=[event])
    assert not TraceEvent.objects.filter(event_id="S-1").exists()


def test_release_needs_a_reason_and_then_stock_ships(
    recall: RecallCase, manager: Any, tmp_path: Path
) -> None:
    with pytest.raises(HoldRefused):
        services.hold_release(recall=recall, actor=manager, reason=" ")
    assert (
        services.hold_release(recall=recall, actor=manager, reason="Lot cleared after re-test") == 1
    )
    assert AuditEntry.objects.filter(action="execution.hold_released").count() == 1
    assert run_events(tmp_path, SHIP, "after.csv").accepted
    assert services.hold_place(recall=recall, actor=manager)[0].active  # placed again on request
    assert AuditEntry.objects.filter(action="execution.hold_placed").count() == 2


def test_held_serial_refused_other_serial_of_lot_allowed_after_release(
    pump_recall: RecallCase, manager: Any, tmp_path: Path
) -> None:
    from tests.traceability.scenario import PUMP

    ship = f"X1,shipped,2025-04-01T08:00:00+08:00,{PUMP},P-L1,PS-003,1,FAC,H2,DN-X,,,,\n"
    assert [e.code for e in run_events(tmp_path, ship, "x.csv").errors] == ["stock_on_hold"]
    serial = pump_recall.holds.get(serial__serial="PS-003").serial_id
    services.hold_release(
        recall=pump_recall, actor=manager, reason="PS-003 verified", serial_id=serial
    )
    assert run_events(tmp_path, ship, "x2.csv").accepted


def test_a_rescope_holds_what_it_adds_and_keeps_releases(
    recall: RecallCase, manager: Any, tmp_path: Path
) -> None:
    from medrecall.catalog.models import DeviceModel
    from medrecall.recalls import services as recalls

    assert run_events(
        tmp_path,
        f"N1,produced,2025-04-01T08:00:00+08:00,{CATH},C9,,10,,FAC,WO-9,2025-04-01,2028-01-01,,\n",
        "c9.csv",
    ).accepted
    services.hold_release(recall=recall, actor=manager, reason="C1 cleared after re-test")
    recalls.scope_rule_add(
        recall=recall,
        actor=manager,
        kind="lots",
        device_model=DeviceModel.objects.get(udi_di=CATH),
        values=["C9"],
    )
    recalls.scope_freeze(recall=recall, actor=manager)
    active = {h.lot.number: h.active for h in Hold.objects.filter(recall=recall)}
    assert active == {
        "C1": False,
        "C9": True,
    }  # the new lot is held; the released one stays released
    outcome = run_events(
        tmp_path, f"N2,shipped,2025-04-02T08:00:00+08:00,{CATH},C9,,5,FAC,D1,DN-9,,,,\n", "s.csv"
    )
    assert not outcome.accepted
