"""GS1 EPCIS 2.0 import: the five event types, identifiers, idempotency, error declarations,
header master data and refusals. The fixture documents follow the shape of the gs1/EPCIS
JSON examples, with our GTINs (company prefix 6950000) and GLNs."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from medrecall.catalog.models import Lot
from medrecall.core.errors import ImportRejected
from medrecall.core.registry import importer_for
from medrecall.parties.models import Location, Party
from medrecall.traceability.importing.epcis import (
    EpcisImporter,
    Item,
    capture_epcis_document,
    cbv_value,
    event_time,
    item_of_class,
    item_of_epc,
    location_code,
)
from medrecall.traceability.models import TraceEvent
from medrecall.traceability.selectors import trace_backward, trace_forward
from tests.conftest import fixture_path
from tests.factories import DeviceModelFactory, LocationFactory
from tests.traceability.scenario import CATH, PUMP, TUBE, network

pytestmark = pytest.mark.django_db

FAC = "6950000100016"  # urn:epc:id:sgln:6950000.10001.0
DIST = "6950000200020"  # urn:epc:id:sgln:6950000.20002.0
HOSP = "6950000300034"  # urn:epc:id:sgln:6950000.30003.0
NEW1 = "6950000400048"  # described in master_data.jsonld
NEW2 = "6950000500052"  # described in master_data.jsonld, partyType hospital
NEW3 = "6950000600066"  # described in master_data.jsonld, used by no event

E1, E2, E3, E4 = (f"urn:uuid:6f1d2a10-000{n}-4c1e-9a55-5a0b3c00000{n}" for n in range(1, 5))
E5 = "urn:uuid:6f1d2a10-0005-4c1e-9a55-5a0b3c000005"


def gln_network() -> None:
    """The scenario's device models and parties, with locations coded by GLN as EPCIS names them."""
    network()
    own, dist, hosp = (Party.objects.get(code=code) for code in ("OWN", "DIST", "HOSP"))
    for code, party, kind in (
        (FAC, own, "warehouse"),
        (DIST, dist, "distributor_stock"),
        (HOSP, hosp, "customer_site"),
    ):
        LocationFactory(code=code, party=party, location_type=kind)


def document(name: str) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(fixture_path("epcis", name).read_text(encoding="utf-8"))
    return parsed


def run(name: str) -> Any:
    return EpcisImporter().run(fixture_path("epcis", name), file_name=name)


def holders(result: Any) -> dict[str, tuple[int, int, int]]:
    return {
        h["location"]: (h["received"], h["on_hand"], h["in_transit"])
        for h in result.as_dict()["holders"]
    }


def problems(outcome: Any) -> list[tuple[int, str, str]]:
    return [(e.row, e.column, e.code) for e in outcome.errors]


# -- identifiers and vocabulary ---------------------------------------------------------------


def test_epc_urns_become_gtin14_with_computed_check_digit() -> None:
    # GS1's own example SGTIN: indicator 1 moves to the front, check digit 4 is computed.
    assert item_of_epc("urn:epc:id:sgtin:0614141.107346.2017") == Item("10614141073464", "", "2017")
    assert item_of_epc("urn:epc:id:sgtin:6950000.000002.SN%2F1") == Item(PUMP, "", "SN/1")
    assert item_of_class("urn:epc:class:lgtin:4012345.012345.998877") == Item(
        "04012345123456", "998877"
    )
    assert item_of_class("urn:epc:idpat:sgtin:6950000.000001.*") == Item(CATH)
    assert item_of_epc("https://id.gs1.org/01/70614141123451/21/2017") == Item(
        "70614141123451", "", "2017"
    )
    assert item_of_epc(f"https://id.gs1.org/01/{PUMP}/10/PL2/21/SN7") == Item(PUMP, "PL2", "SN7")
    assert item_of_class(f"https://id.gs1.org/01/{CATH}/10/C7") == Item(CATH, "C7")
    assert item_of_epc("https://id.gs1.org/01/70614141123452/21/2017") is None  # wrong check digit
    assert item_of_epc("urn:epc:id:sscc:0614141.1234567890") is None


def test_location_ids_become_gln_codes() -> None:
    assert location_code("urn:epc:id:sgln:0614141.07346.0") == "0614141073467"
    assert location_code("urn:epc:id:sgln:0614141.07346.1234") == "0614141073467.1234"
    assert location_code("https://id.gs1.org/414/0614141073467/254/1234") == "0614141073467.1234"
    assert location_code("https://id.gs1.org/414/0614141073467") == "0614141073467"
    assert location_code("urn:epc:id:sgln:0614141.07346") is None
    assert location_code("https://id.gs1.org/414/0614141073468") is None


def test_cbv_values_in_every_spelling_and_event_time_in_its_offset() -> None:
    spellings = (
        "shipping",
        "cbv:BizStep-shipping",
        "urn:epcglobal:cbv:bizstep:shipping",
        "https://ref.gs1.org/cbv/BizStep-shipping",
    )
    assert {cbv_value(s) for s in spellings} == {"shipping"}
    assert (
        event_time({"eventTime": "2025-01-12T00:00:00.000Z", "eventTimeZoneOffset": "+08:00"})
        == "2025-01-12T08:00:00+08:00"
    )
    assert (
        event_time({"eventTime": "2025-01-12T08:00:00", "eventTimeZoneOffset": "-06:00"})
        == "2025-01-12T08:00:00-06:00"
    )


def test_registered_as_an_import_kind() -> None:
    assert importer_for("epcis") is EpcisImporter


# -- importing ------------------------------------------------------------------------------


def test_commissioning_shipping_receiving_gives_the_trace() -> None:
    gln_network()
    outcome = run("distribution.jsonld")
    assert (outcome.accepted, outcome.rows, outcome.created, outcome.unchanged, outcome.errors) == (
        True,
        9,
        9,
        0,
        [],
    )
    assert set(TraceEvent.objects.values_list("event_id", "event_type")) == {
        (E1, "produced"),
        (f"{E2}#1", "produced"),
        (f"{E2}#2", "produced"),
        (f"{E2}#3", "produced"),
        (f"{E3}#1", "shipped"),
        (f"{E3}#2", "shipped"),
        (f"{E3}#3", "shipped"),
        (f"{E4}#1", "received"),
        (f"{E4}#2", "received"),
    }
    shipment = (
        TraceEvent.objects.filter(event_id=f"{E3}#3")
        .values_list(
            "event_time", "from_location__code", "to_location__code", "quantity", "document_ref"
        )
        .get()
    )
    assert shipment == (
        datetime(2025, 1, 12, 0, 0, tzinfo=UTC),
        FAC,
        DIST,
        600,
        "urn:epcglobal:cbv:bt:6950000100016:DN-1",
    )
    c1 = Lot.objects.get(number="C1")
    assert (c1.device_model.udi_di, c1.manufactured_on, c1.expires_on) == (
        CATH,
        date(2025, 1, 10),
        date(2028, 1, 9),
    )
    assert holders(trace_forward(gtin=CATH, lot="C1")) == {
        FAC: (1000, 400, 0),
        DIST: (600, 450, 150),
    }


def test_sgtins_are_serial_events_and_lgtins_lot_quantities() -> None:
    gln_network()
    run("distribution.jsonld")
    serial_rows = TraceEvent.objects.filter(serial__isnull=False)
    assert sorted(
        serial_rows.values_list("event_id", "serial__serial", "lot__number", "quantity")
    ) == [
        (f"{E2}#1", "SN1", "PL1", 1),
        (f"{E2}#2", "SN2", "PL1", 1),
        (f"{E2}#3", "SN3", "PL1", 1),
        (f"{E3}#1", "SN1", "PL1", 1),
        (f"{E3}#2", "SN2", "PL1", 1),
        (f"{E4}#1", "SN1", "PL1", 1),
    ]
    lot_rows = TraceEvent.objects.filter(serial__isnull=True)
    assert sorted(lot_rows.values_list("event_id", "lot__number", "quantity")) == [
        (E1, "C1", 1000),
        (f"{E3}#3", "C1", 600),
        (f"{E4}#2", "C1", 450),
    ]
    assert holders(trace_forward(gtin=PUMP, serial="SN1")) == {FAC: (1, 0, 0), DIST: (1, 1, 0)}
    assert holders(trace_forward(gtin=PUMP, serial="SN2")) == {FAC: (1, 0, 0), DIST: (1, 0, 1)}
    assert holders(trace_forward(gtin=PUMP, lot="PL1")) == {FAC: (3, 1, 0), DIST: (2, 1, 1)}
    assert Lot.objects.get(number="PL1").expires_on == date(2030, 1, 31)


def test_gtin_from_an_epc_urn_with_indicator_digit() -> None:
    gln_network()
    DeviceModelFactory(udi_di="10614141073464", tracking="serial")
    outcome = capture_epcis_document(
        {
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": "2025-03-01T08:00:00Z",
            "epcisBody": {
                "eventList": [
                    {
                        "eventID": "urn:uuid:0614141-commissioning",
                        "type": "ObjectEvent",
                        "action": "ADD",
                        "bizStep": "commissioning",
                        "epcList": ["urn:epc:id:sgtin:0614141.107346.2017"],
                        "eventTime": "2025-03-01T08:00:00Z",
                        "eventTimeZoneOffset": "+00:00",
                        "bizLocation": {"id": "urn:epc:id:sgln:6950000.10001.0"},
                        "ilmd": {"cbvmda:lotNumber": "L2017"},
                    }
                ]
            },
        },
        source_name="capture",
        actor=None,
    )
    assert (outcome.accepted, outcome.created) == (True, 1)
    assert TraceEvent.objects.values_list(
        "lot__device_model__udi_di", "lot__number", "serial__serial"
    ).get() == ("10614141073464", "L2017", "2017")


def test_all_five_event_types_are_accepted() -> None:
    gln_network()
    outcome = run("five_event_types.jsonld")
    # Commissioning, transformation (2 rows), TransactionEvent shipping; the AggregationEvent
    # (packing), AssociationEvent and the TransactionEvent without bizStep move nothing.
    assert (outcome.accepted, outcome.rows, outcome.created, outcome.unchanged, outcome.errors) == (
        True,
        4,
        4,
        3,
        [],
    )
    transformation = "urn:uuid:7a2e3b20-0002-4d2f-8b66-6b1c4d000002"
    rows = dict(TraceEvent.objects.values_list("event_id", "event_type"))
    derived = [event_id for event_id in rows if event_id.startswith("epcis-sha256:")]
    assert len(derived) == 1
    assert len(derived[0]) == len("epcis-sha256:") + 64
    assert rows == {
        derived[0]: "produced",
        f"{transformation}#1": "transformed",
        f"{transformation}#2": "produced",
        "urn:uuid:7a2e3b20-0004-4d2f-8b66-6b1c4d000004": "shipped",
    }
    component = TraceEvent.objects.filter(event_id=f"{transformation}#1")
    assert component.values_list("lot__number", "quantity", "into_lot__number").get() == (
        "T1",
        100,
        "C9",
    )
    result = trace_forward(gtin=TUBE, lot="T1")
    assert result.lots == ["T1", "C9"]
    assert holders(result) == {FAC: (600, 460, 0), HOSP: (40, 0, 40)}
    assert trace_backward(gtin=CATH, lot="C9")["components"] == [
        {"gtin": TUBE, "lot": "T1", "quantity": 100, "components": []}
    ]
    assert Lot.objects.get(number="C9").expires_on == date(2028, 1, 4)


def test_query_document_with_digital_links_and_every_movement() -> None:
    gln_network()
    outcome = run("query_document.jsonld")
    assert (outcome.accepted, outcome.created, outcome.unchanged, outcome.errors) == (
        True,
        8,
        1,
        [],
    )
    prefix = "urn:uuid:9c405d40-000"
    assert dict(TraceEvent.objects.values_list("event_id", "event_type")) == {
        f"{prefix}1-4f41-8d88-8d3e6f000001#1": "produced",
        f"{prefix}1-4f41-8d88-8d3e6f000001#2": "produced",
        f"{prefix}2-4f41-8d88-8d3e6f000002": "produced",
        f"{prefix}3-4f41-8d88-8d3e6f000003": "shipped",
        f"{prefix}4-4f41-8d88-8d3e6f000004": "received",
        f"{prefix}5-4f41-8d88-8d3e6f000005": "installed",
        f"{prefix}6-4f41-8d88-8d3e6f000006": "destroyed",
        f"{prefix}7-4f41-8d88-8d3e6f000007": "consumed",
    }
    assert holders(trace_forward(gtin=PUMP, serial="SN7")) == {FAC: (1, 0, 0), HOSP: (1, 1, 0)}
    assert holders(trace_forward(gtin=PUMP, serial="SN8")) == {FAC: (1, 0, 0)}
    c7 = trace_forward(gtin=CATH, lot="C7")
    assert holders(c7) == {FAC: (20, 15, 0)}
    assert (c7.summary["consumed"], c7.summary["own_stock"]) == (5, 15)


def test_reimport_creates_nothing() -> None:
    gln_network()
    run("distribution.jsonld")
    run("five_event_types.jsonld")
    assert TraceEvent.objects.count() == 13
    again = run("distribution.jsonld")
    assert (again.accepted, again.created, again.unchanged) == (True, 0, 9)
    again = capture_epcis_document(
        document("five_event_types.jsonld"), source_name="capture", actor=None
    )
    assert (again.accepted, again.created, again.unchanged) == (
        True,
        0,
        7,
    )  # 4 rows unchanged, 3 events skipped
    assert TraceEvent.objects.count() == 13


def test_error_declaration_retracts_the_earlier_event_and_the_trace_follows() -> None:
    gln_network()
    run("distribution.jsonld")
    outcome = run("error_declaration.jsonld")
    assert (outcome.accepted, outcome.created, outcome.errors) == (True, 2, [])
    assert sorted(TraceEvent.objects.filter(retracted=True).values_list("event_id", flat=True)) == [
        f"{E3}#1",
        f"{E3}#2",
        f"{E3}#3",
    ]
    assert TraceEvent.objects.count() == 11  # kept, but counted nowhere
    # The corrected shipment (450, SN1) is what DIST received: nothing is in transit any more.
    assert holders(trace_forward(gtin=CATH, lot="C1")) == {FAC: (1000, 550, 0), DIST: (450, 450, 0)}
    assert holders(trace_forward(gtin=PUMP, lot="PL1")) == {FAC: (3, 2, 0), DIST: (1, 1, 0)}
    assert holders(trace_forward(gtin=PUMP, serial="SN2")) == {FAC: (1, 1, 0)}
    again = run("error_declaration.jsonld")
    assert (again.accepted, again.created, again.unchanged) == (True, 0, 2)


def test_error_declaration_of_an_event_first_seen_in_the_same_document() -> None:
    gln_network()
    run("distribution.jsonld")
    declared = document("error_declaration.jsonld")["epcisBody"]["eventList"][0]
    declared["eventID"] = "urn:uuid:never-imported"
    declared["epcList"] = ["urn:epc:id:sgtin:6950000.000002.SN3"]
    declared["quantityList"][0]["quantity"] = 100
    body = {
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2025-01-15T10:00:00Z",
        "epcisBody": {"eventList": [declared]},
    }
    outcome = capture_epcis_document(body, source_name="capture", actor=None)
    assert (outcome.accepted, outcome.created) == (True, 2)
    assert sorted(TraceEvent.objects.filter(retracted=True).values_list("event_id", flat=True)) == [
        "urn:uuid:never-imported#1",
        "urn:uuid:never-imported#2",
    ]
    assert holders(trace_forward(gtin=PUMP, serial="SN3")) == {FAC: (1, 1, 0)}
    assert holders(trace_forward(gtin=CATH, lot="C1")) == {
        FAC: (1000, 400, 0),
        DIST: (600, 450, 150),
    }


def test_header_master_data_creates_the_locations_the_events_use() -> None:
    gln_network()
    run("distribution.jsonld")
    outcome = run("master_data.jsonld")
    assert (outcome.accepted, outcome.created, outcome.errors) == (True, 3, [])
    new1 = Location.objects.select_related("party").get(code=NEW1)
    assert (
        new1.name,
        new1.location_type,
        new1.country,
        new1.province,
        new1.city,
        new1.address,
        new1.postal_code,
    ) == (
        "华南医疗器械经销有限公司",
        "distributor_stock",
        "CN",
        "广东省",
        "广州市",
        "天河路 385 号",
        "510620",
    )
    assert (new1.party.code, new1.party.name, new1.party.party_type, new1.party.city) == (
        NEW1,
        "华南医疗器械经销有限公司",
        "distributor",
        "广州市",
    )
    new2 = Location.objects.select_related("party").get(code=NEW2)
    assert (new2.name, new2.party.party_type, new2.city) == ("深圳市人民医院", "hospital", "深圳市")
    assert not Location.objects.filter(code=NEW3).exists()
    assert holders(trace_forward(gtin=CATH, lot="C1")) == {
        FAC: (1000, 400, 0),
        DIST: (600, 300, 150),
        NEW1: (100, 100, 0),
        NEW2: (50, 0, 50),
    }


def test_unknown_location_without_master_data_writes_nothing() -> None:
    gln_network()
    run("distribution.jsonld")
    body = document("master_data.jsonld")
    del body["epcisHeader"]
    outcome = capture_epcis_document(body, source_name="capture", actor=None)
    assert outcome.accepted is False
    assert problems(outcome) == [
        (1, "destinationList", "unknown_location"),
        (2, "destinationList", "unknown_location"),
        (3, "bizLocation", "unknown_location"),
    ]
    assert "6950000400048" in outcome.errors[0].message
    assert TraceEvent.objects.count() == 9
    assert not Location.objects.filter(code__in=[NEW1, NEW2]).exists()


def test_a_refused_document_creates_no_master_data_location() -> None:
    gln_network()
    run("distribution.jsonld")
    body = document("master_data.jsonld")
    body["epcisBody"]["eventList"][1]["bizStep"] = "teleporting"
    outcome = capture_epcis_document(body, source_name="capture", actor=None)
    assert problems(outcome) == [(2, "bizStep", "biz_step")]
    assert "urn:uuid:8b3f4c30-0002-4e30-9c77-7c2d5e000002" in outcome.errors[0].message
    assert "teleporting" in outcome.errors[0].message
    assert not Location.objects.filter(code__in=[NEW1, NEW2]).exists()
    assert TraceEvent.objects.count() == 9


def _set(path: tuple[Any, ...], value: Any) -> Any:
    def change(body: dict[str, Any]) -> None:
        target: Any = body["epcisBody"]["eventList"]
        for step in path[:-1]:
            target = target[step]
        if value is None:
            del target[path[-1]]
        else:
            target[path[-1]] = value

    return change


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            _set((2, "bizStep"), "teleporting"), [(3, "bizStep", "biz_step")], id="unknown-bizstep"
        ),
        pytest.param(_set((2, "bizStep"), None), [(3, "bizStep", "biz_step")], id="no-bizstep"),
        pytest.param(
            _set((2, "epcList", 0), "urn:epc:id:sscc:6950000.1000000001"),
            [(3, "epcList", "epc")],
            id="sscc",
        ),
        pytest.param(
            _set((0, "quantityList", 0, "uom"), "KGM"), [(1, "quantityList", "uom")], id="kilograms"
        ),
        pytest.param(
            _set((0, "quantityList", 0, "quantity"), 10.5),
            [(1, "quantityList", "quantity")],
            id="fraction",
        ),
        pytest.param(
            _set((0, "quantityList", 0, "epcClass"), "urn:epc:class:lgtin:6950000.000009.C1"),
            [(1, "quantityList", "unknown_product")],
            id="unknown-gtin",
        ),
        # The receipt names FAC as its source, so the balance check names it as well.
        pytest.param(
            _set((2, "quantityList", 0, "quantity"), 1600),
            [
                (3, "epcList/quantityList", "negative_balance"),
                (4, "epcList/quantityList", "negative_balance"),
            ],
            id="negative-balance",
        ),
        pytest.param(
            _set((0, "bizLocation", "id"), "urn:epc:id:sgln:6950000.10001"),
            [(1, "bizLocation", "location")],
            id="malformed-sgln",
        ),
        pytest.param(
            _set((2, "destinationList", 0, "destination"), "urn:epc:id:sgln:6950000.99999.0"),
            [(3, "destinationList", "unknown_location")],
            id="unknown-location",
        ),
        pytest.param(
            _set((1, "type"), "QuantityEvent"),
            [
                (2, "type", "event_type"),
                (3, "epcList", "unknown_serial"),
                (3, "epcList", "unknown_serial"),
                (4, "epcList", "unknown_serial"),
            ],
            id="unknown-type",
        ),
        pytest.param(
            _set((3, "eventID"), E3), [(4, "eventID", "duplicate")], id="duplicate-event-id"
        ),
    ],
)
def test_bad_events_refuse_the_whole_document(
    change: Any, expected: list[tuple[int, str, str]]
) -> None:
    gln_network()
    body = copy.deepcopy(document("distribution.jsonld"))
    change(body)
    outcome = capture_epcis_document(body, source_name="capture", actor=None)
    assert problems(outcome) == expected
    assert outcome.accepted is False
    assert (TraceEvent.objects.count(), Lot.objects.count()) == (0, 0)
    assert {e.file for e in outcome.errors} == {"capture"}


def test_event_time_without_any_offset_is_refused() -> None:
    gln_network()
    body = document("distribution.jsonld")
    del body["epcisBody"]["eventList"][0]["eventTimeZoneOffset"]
    body["epcisBody"]["eventList"][0]["eventTime"] = "2025-01-10T08:00:00"
    outcome = capture_epcis_document(body, source_name="capture", actor=None)
    assert problems(outcome) == [(1, "eventTime", "timezone")]


def test_refused_events_come_back_in_the_rejected_rows_file() -> None:
    gln_network()
    body = document("distribution.jsonld")
    body["epcisBody"]["eventList"][2]["bizStep"] = "teleporting"
    outcome = capture_epcis_document(body, source_name="capture", actor=None)
    report = outcome.rejected_csv(EpcisImporter.columns.all).splitlines()
    assert report[0].startswith("eventID,type,eventTime,")
    assert len(report) == 2
    assert report[1].startswith(f"{E3},ObjectEvent,2025-01-12T00:00:00.000Z,")
    assert "teleporting" in report[1]


def test_serial_with_no_known_lot_is_refused() -> None:
    gln_network()
    body = {
        "type": "EPCISDocument",
        "schemaVersion": "2.0",
        "creationDate": "2025-01-12T08:00:00Z",
        "epcisBody": {
            "eventList": [
                {
                    "eventID": "urn:uuid:lost-serial",
                    "type": "ObjectEvent",
                    "action": "OBSERVE",
                    "bizStep": "shipping",
                    "epcList": ["urn:epc:id:sgtin:6950000.000002.SN99"],
                    "eventTime": "2025-01-12T08:00:00Z",
                    "eventTimeZoneOffset": "+00:00",
                    "bizLocation": {"id": "urn:epc:id:sgln:6950000.10001.0"},
                    "destinationList": [
                        {"type": "location", "destination": "urn:epc:id:sgln:6950000.20002.0"}
                    ],
                }
            ]
        },
    }
    outcome = capture_epcis_document(body, source_name="capture", actor=None)
    assert problems(outcome) == [(1, "epcList", "unknown_serial")]
    assert "SN99" in outcome.errors[0].message


def test_not_json_is_rejected_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text(
        '{\n  "type": "EPCISDocument",\n  "epcisBody": {\n    "eventList": [\n'
        '      {"type": "ObjectEvent", "bizStep": "shipping",}\n    ]\n  }\n}\n',
        encoding="utf-8",
    )
    with pytest.raises(ImportRejected) as refused:
        EpcisImporter().run(path, file_name="broken.json")
    assert [(e.file, e.row, e.code) for e in refused.value.errors] == [("broken.json", 5, "json")]
    assert "broken.json" in refused.value.message
    assert "line 5, column 53" in refused.value.message


@pytest.mark.parametrize(
    ("body", "code"),
    [
        pytest.param([], "not_epcis", id="a-list"),
        pytest.param(
            {"type": "EPCISMasterDataDocument", "epcisBody": {"vocabularyList": []}},
            "not_epcis",
            id="master-data-document",
        ),
        pytest.param(
            {"type": "ObjectEvent", "eventTime": "2025-01-01T00:00:00Z"},
            "not_epcis",
            id="a-bare-event",
        ),
        pytest.param(
            {"type": "EPCISDocument", "epcisBody": {"eventList": []}}, "empty", id="no-events"
        ),
        pytest.param(
            {
                "type": "EPCISQueryDocument",
                "epcisBody": {"queryResults": {"resultsBody": {"eventList": []}}},
            },
            "empty",
            id="no-query-results",
        ),
    ],
)
def test_not_an_epcis_document_is_rejected(tmp_path: Path, body: Any, code: str) -> None:
    path = tmp_path / "doc.json"
    path.write_text(json.dumps(body), encoding="utf-8")
    with pytest.raises(ImportRejected) as refused:
        EpcisImporter().run(path, file_name="doc.json")
    assert [(e.row, e.code) for e in refused.value.errors] == [(1, code)]
    assert "doc.json" in refused.value.message


def test_rest_capture_endpoint_is_all_or_nothing_and_idempotent(
    api_as: Any, make_user: Any
) -> None:
    import json as json_module

    from medrecall.accounts.roles import Role

    gln_network()
    document = json_module.loads(
        fixture_path("epcis", "distribution.jsonld").read_text(encoding="utf-8")
    )
    analyst = api_as(make_user(Role.TRACEABILITY_ANALYST))
    first = analyst.post("/api/epcis/capture/", document, format="json")
    assert (first.status_code, first.json()["created"]) == (201, 9)
    again = analyst.post("/api/epcis/capture/", document, format="json")
    assert (again.status_code, again.json()["created"], again.json()["unchanged"]) == (200, 0, 9)
    broken = analyst.post(
        "/api/epcis/capture/",
        {"type": "EPCISDocument", "epcisBody": {"eventList": []}},
        format="json",
    )
    assert broken.status_code == 400
    assert TraceEvent.objects.count() == 9
    viewer = api_as(make_user(Role.VIEWER))
    assert viewer.post("/api/epcis/capture/", document, format="json").status_code == 403
