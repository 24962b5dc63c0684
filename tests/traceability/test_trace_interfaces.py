"""The trace through its three doors: CLI (JSON contract), REST API and web page."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.traceability.models import TraceEvent
from tests.conftest import PASSWORD
from tests.factories import PartyFactory
from tests.traceability.scenario import CATH, PUMP, network, run_events
from tests.traceability.test_trace import DISTRIBUTION, holders

pytestmark = pytest.mark.django_db


def test_cli_forward_json_contract(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    network()
    run_events(tmp_path, DISTRIBUTION)
    call_command("trace", "forward", "--gtin", CATH, "--lot", "C1", "--json")
    body = json.loads(capsys.readouterr().out)
    assert {"lots", "holders", "total_received", "total_on_hand", "total_in_transit"} <= set(body)
    assert body["lots"] == ["C1"]
    assert body["holders"][0] == {
        "location": "D1",
        "party": "DIST",
        "received": 600,
        "on_hand": 350,
        "in_transit": 0,
    }
    assert all(
        set(h) == {"location", "party", "received", "on_hand", "in_transit"}
        for h in body["holders"]
    )
    assert (body["total_received"], body["total_on_hand"], body["total_in_transit"]) == (
        1950,
        870,
        100,
    )


def test_cli_import_then_trace_by_serial(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    network()
    path = tmp_path / "ev.csv"
    path.write_text(
        "event_id,event_type,event_time,gtin,lot,serial,quantity,from_location,to_location,document_ref\n"
        f"P1,produced,2025-01-01T08:00:00+08:00,{PUMP},PL1,SN1,1,,FAC,\n"
        f"P2,shipped,2025-01-02T08:00:00+08:00,{PUMP},PL1,SN1,1,FAC,H1,DN-1\n",
        encoding="utf-8",
    )
    call_command("import", "events", str(path), "--json")
    assert json.loads(capsys.readouterr().out)["created"] == 2
    call_command("trace", "forward", "--gtin", PUMP, "--serial", "SN1", "--json")
    body = json.loads(capsys.readouterr().out)
    assert body["holders"] == [
        {"location": "FAC", "party": "OWN", "received": 1, "on_hand": 0, "in_transit": 0},
        {"location": "H1", "party": "HOSP", "received": 1, "on_hand": 0, "in_transit": 1},
    ]
    call_command("trace", "backward", "--gtin", PUMP, "--serial", "SN1", "--json")
    back = json.loads(capsys.readouterr().out)
    assert (back["holders"], back["current_location"]) == (["FAC", "H1"], "H1")


def test_cli_import_rejects_with_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    network()
    path = tmp_path / "bad.csv"
    path.write_text(
        "event_id,event_type,event_time,gtin,lot,serial,quantity,from_location,to_location,document_ref\n"
        f"B1,produced,2025-01-01T08:00:00+08:00,{CATH},X1,,0,,FAC,\n",
        encoding="utf-8",
    )
    report = tmp_path / "errors.csv"
    with pytest.raises(SystemExit) as exited:
        call_command("import", "events", str(path), "--report", str(report))
    assert exited.value.code == 1
    assert "bad.csv, row 2, column quantity" in capsys.readouterr().err
    assert "quantity" in report.read_text(encoding="utf-8-sig")
    assert TraceEvent.objects.count() == 0


def test_cli_unknown_lot_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    network()
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Lot NOPE"):
        call_command("trace", "forward", "--gtin", CATH, "--lot", "NOPE")


def test_api_trace_forward_and_permissions(
    tmp_path: Path, api_as: Callable[[User | None], APIClient], make_user: Callable[..., User]
) -> None:
    network()
    run_events(tmp_path, DISTRIBUTION)
    analyst = api_as(make_user(Role.TRACEABILITY_ANALYST))
    body = analyst.get("/api/trace/forward/", {"gtin": CATH, "lot": "C1"}).json()
    assert body["total_on_hand"] == 870
    missing = analyst.get("/api/trace/forward/", {"gtin": CATH, "lot": "NOPE"})
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    bad = analyst.get("/api/trace/forward/", {"gtin": "12345678901232", "lot": "C1"})
    assert bad.status_code == 400
    from medrecall.parties.models import Party

    portal = api_as(make_user(Role.PORTAL, party=Party.objects.get(code="DIST")))
    scoped = portal.get("/api/trace/forward/", {"gtin": CATH, "lot": "C1"}).json()
    assert holders(scoped) == {"D1": (600, 350, 0)}
    assert (scoped["total_received"], scoped["total_on_hand"], scoped["total_in_transit"]) == (
        600,
        350,
        0,
    )
    assert scoped["summary"] == {
        "own_stock": 0,
        "quarantine": 0,
        "in_transit": 0,
        "at_distributors": 350,
        "at_customers": 0,
    }
    assert [(row["location"], row["party"], row["quantity"]) for row in scoped["shipped_to"]] == [
        ("H2", "HOSP2", 50),
        ("S1", "SUB", 200),
    ]
    from medrecall.catalog.models import DeviceModel

    catheter = DeviceModel.objects.get(udi_di=CATH)
    assert scoped["lot_details"] == [
        {
            "gtin": CATH,
            "lot": "C1",
            "device_model": catheter.name,
            "device_model_en": catheter.name_en,
        }
    ]  # named as for staff
    backward = portal.get("/api/trace/backward/", {"gtin": CATH, "lot": "C1"}).json()
    assert [step["event_id"] for step in backward["chain"]] == ["E2", "E3", "E4", "E5", "E9"]
    assert (backward["current_location"], backward["components"]) == (None, [])
    assert body["shipped_to"] == []  # staff see every holder instead


def test_portal_trace_of_a_lot_its_party_never_held_answers_as_unknown(
    tmp_path: Path, api_as: Callable[[User | None], APIClient], make_user: Callable[..., User]
) -> None:
    network()
    run_events(tmp_path, DISTRIBUTION)
    from medrecall.parties.models import Party

    stranger = PartyFactory(code="FAR", party_type="hospital")
    portal = api_as(make_user(Role.PORTAL, party=stranger))
    for path in ("/api/trace/forward/", "/api/trace/backward/"):
        refused = portal.get(path, {"gtin": CATH, "lot": "C1"})
        assert (refused.status_code, refused.json()["message"]) == (
            404,
            f"Lot C1 of GTIN {CATH} is not known.",
        )
    hospital = api_as(make_user(Role.PORTAL, party=Party.objects.get(code="HOSP")))
    own = hospital.get("/api/trace/forward/", {"gtin": CATH, "lot": "C1"}).json()
    assert (holders(own), own["shipped_to"]) == ({"H1": (100, 70, 0)}, [])


def test_api_event_capture_is_all_or_nothing_and_idempotent(
    api_as: Callable[[User | None], APIClient], make_user: Callable[..., User]
) -> None:
    network()
    client = api_as(make_user(Role.TRACEABILITY_ANALYST))
    rows = [
        {
            "event_id": "A1",
            "event_type": "produced",
            "event_time": "2025-01-01T00:00:00Z",
            "gtin": CATH,
            "lot": "C7",
            "quantity": "10",
            "to_location": "FAC",
        },
        {
            "event_id": "A2",
            "event_type": "shipped",
            "event_time": "2025-01-02T00:00:00Z",
            "gtin": CATH,
            "lot": "C7",
            "quantity": "4",
            "from_location": "FAC",
            "to_location": "D1",
            "document_ref": "DN",
        },
    ]
    first = client.post("/api/events/capture/", rows, format="json")
    assert (first.status_code, first.json()["created"]) == (201, 2)
    again = client.post("/api/events/capture/", rows, format="json")
    assert (again.status_code, again.json()["created"], again.json()["unchanged"]) == (200, 0, 2)
    bad = client.post(
        "/api/events/capture/", [{**rows[1], "event_id": "A3", "quantity": "400"}], format="json"
    )
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["code"] == "negative_balance"
    assert TraceEvent.objects.count() == 2
    events = client.get("/api/events/", {"lot": TraceEvent.objects.first().lot_id}).json()
    assert events["count"] == 2
    positions = client.get("/api/positions/").json()
    assert {(p["location_code"], p["on_hand"], p["in_transit"]) for p in positions["results"]} == {
        ("FAC", 6, 0),
        ("D1", 0, 4),
    }


def test_portal_user_sees_only_events_and_positions_at_own_locations(
    tmp_path: Path, api_as: Callable[[User | None], APIClient], make_user: Callable[..., User]
) -> None:
    network()
    run_events(tmp_path, DISTRIBUTION)
    from medrecall.parties.models import Party

    portal = api_as(make_user(Role.PORTAL, party=Party.objects.get(code="HOSP")))
    events = portal.get("/api/events/").json()
    assert sorted(e["event_id"] for e in events["results"]) == ["E6", "E7", "E8"]
    positions = portal.get("/api/positions/").json()
    assert [(p["location_code"], p["on_hand"]) for p in positions["results"]] == [("H1", 70)]


def test_trace_page_and_excel_export(tmp_path: Path, make_user: Callable[..., User]) -> None:
    network()
    run_events(tmp_path, DISTRIBUTION)
    user = make_user(Role.TRACEABILITY_ANALYST)
    client = Client()
    client.login(username=user.username, password=PASSWORD)
    page = client.get("/trace/", {"gtin": CATH, "lot": "C1"}).content.decode()
    assert ("trace-holders" in page and "1,950" in page) or "1950" in page
    export = client.get("/trace/", {"gtin": CATH, "lot": "C1", "format": "xlsx"})
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(export.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[-1][-3:] == (1950, 870, 100)
    assert len(rows) == 1 + 5 + 1
    backward = client.get(
        "/trace/", {"gtin": CATH, "lot": "C1", "direction": "backward"}
    ).content.decode()
    assert "trace-chain" in backward
    unknown = client.get("/trace/", {"gtin": CATH, "lot": "NOPE"}).content.decode()
    assert "Lot NOPE of GTIN" in unknown
