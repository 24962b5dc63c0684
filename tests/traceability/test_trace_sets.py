"""Set traces: many lots and serials answered at once through the command line, the API and the
trace page, in the single trace's JSON contract; and the single trace unchanged."""

from __future__ import annotations

import json
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import translation
from rest_framework.test import APIClient

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.catalog.models import DeviceModel
from medrecall.parties.models import Party
from medrecall.traceability.trace_sets import UnitRequest, read_unit_list, trace_forward_set_for
from tests.conftest import PASSWORD
from tests.traceability.scenario import CATH, PUMP, TUBE, network, run_events
from tests.traceability.test_trace import DISTRIBUTION

pytestmark = pytest.mark.django_db

# C1 (DISTRIBUTION): D1 (600, 350, 0), FAC (1000, 400, 0), H1 (100, 70, 0), H2 (50, 0, 50), S1 (200, 50, 50)
SECOND_LOT = f"""K1,produced,2025-02-01T08:00:00Z,{CATH},C2,,300,,FAC,WO-2,,,,
K2,shipped,2025-02-02T08:00:00Z,{CATH},C2,,120,FAC,D1,DN-20,,,,
K3,received,2025-02-03T08:00:00Z,{CATH},C2,,120,FAC,D1,DN-20,,,,
K4,shipped,2025-02-04T08:00:00Z,{CATH},C2,,40,D1,H1,DN-21,,,,
K5,destroyed,2025-02-05T08:00:00Z,{CATH},C2,,10,FAC,,CERT-2,,,,
"""
SERIALS = f"""P1,produced,2025-01-01T08:00:00Z,{PUMP},PL1,SN1,1,,FAC,,,,,
P2,produced,2025-01-01T08:00:00Z,{PUMP},PL1,SN2,1,,FAC,,,,,
P3,produced,2025-01-01T08:00:00Z,{PUMP},PL1,SN3,1,,FAC,,,,,
P4,shipped,2025-01-02T08:00:00Z,{PUMP},PL1,SN1,1,FAC,D1,DN-P1,,,,
P5,shipped,2025-01-02T08:00:00Z,{PUMP},PL1,SN2,1,FAC,H1,DN-P2,,,,
P6,received,2025-01-03T08:00:00Z,{PUMP},PL1,SN2,1,FAC,H1,DN-P2,,,,
"""
GENEALOGY = f"""G1,produced,2025-01-01T08:00:00Z,{TUBE},T1,,500,,FAC,,,,,
G2,produced,2025-01-01T08:00:00Z,{TUBE},T2,,200,,FAC,,,,,
G3,produced,2025-01-05T08:00:00Z,{CATH},C9,,100,,FAC,,,,,
G4,transformed,2025-01-05T08:00:00Z,{TUBE},T1,,100,FAC,,,,,{CATH},C9
G5,transformed,2025-01-05T08:00:00Z,{TUBE},T2,,50,FAC,,,,,{CATH},C9
G6,shipped,2025-01-06T08:00:00Z,{CATH},C9,,40,FAC,H1,DN-9,,,,
"""


def holders(body: dict[str, Any]) -> dict[str, tuple[int, int, int]]:
    return {h["location"]: (h["received"], h["on_hand"], h["in_transit"]) for h in body["holders"]}


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    call_command("trace", *args)
    return capsys.readouterr().out


@pytest.fixture
def histories(tmp_path: Path) -> None:
    network()
    outcome = run_events(tmp_path, DISTRIBUTION + SECOND_LOT + SERIALS + GENEALOGY)
    assert (outcome.accepted, outcome.errors) == (True, [])


def _names() -> dict[str, tuple[str, str]]:
    return {m.udi_di: (m.name, m.name_en) for m in DeviceModel.objects.all()}


# --- the single trace, unchanged -------------------------------------------------------------


def test_single_lot_and_serial_json_are_byte_identical_to_before(
    histories: None, capsys: pytest.CaptureFixture[str]
) -> None:
    """The contract as the command printed it before set traces (field order, indentation, values)."""
    names = _names()

    def lot(gtin: str, number: str) -> dict[str, str]:
        return {
            "gtin": gtin,
            "lot": number,
            "device_model": names[gtin][0],
            "device_model_en": names[gtin][1],
        }

    def line(
        location: str, party: str, received: int, on_hand: int, in_transit: int
    ) -> dict[str, Any]:
        return {
            "location": location,
            "party": party,
            "received": received,
            "on_hand": on_hand,
            "in_transit": in_transit,
        }

    c1 = {
        "lots": ["C1"],
        "holders": [
            line("D1", "DIST", 600, 350, 0),
            line("FAC", "OWN", 1000, 400, 0),
            line("H1", "HOSP", 100, 70, 0),
            line("H2", "HOSP2", 50, 0, 50),
            line("S1", "SUB", 200, 50, 50),
        ],
        "total_received": 1950,
        "total_on_hand": 870,
        "total_in_transit": 100,
        "lot_details": [lot(CATH, "C1")],
        "summary": {
            "own_stock": 400,
            "quarantine": 0,
            "in_transit": 100,
            "at_distributors": 400,
            "at_customers": 70,
            "consumed": 30,
            "destroyed": 0,
            "transformed": 0,
        },
    }
    sn1 = {
        "lots": ["PL1"],
        "holders": [line("D1", "DIST", 1, 0, 1), line("FAC", "OWN", 1, 0, 0)],
        "total_received": 2,
        "total_on_hand": 0,
        "total_in_transit": 1,
        "lot_details": [lot(PUMP, "PL1")],
        "summary": {
            "own_stock": 0,
            "quarantine": 0,
            "in_transit": 1,
            "at_distributors": 0,
            "at_customers": 0,
            "consumed": 0,
            "destroyed": 0,
            "transformed": 0,
        },
    }
    t1 = {
        "lots": ["T1", "C9"],
        "holders": [line("FAC", "OWN", 600, 460, 0), line("H1", "HOSP", 40, 0, 40)],
        "total_received": 640,
        "total_on_hand": 460,
        "total_in_transit": 40,
        "lot_details": [lot(TUBE, "T1"), lot(CATH, "C9")],
        "summary": {
            "own_stock": 460,
            "quarantine": 0,
            "in_transit": 40,
            "at_distributors": 0,
            "at_customers": 0,
            "consumed": 0,
            "destroyed": 0,
            "transformed": 100,
        },
    }
    for args, expected in (
        (["--gtin", CATH, "--lot", "C1"], c1),
        (["--gtin", PUMP, "--serial", "SN1"], sn1),
        (["--gtin", TUBE, "--lot", "T1"], t1),
    ):
        assert (
            cli(capsys, "forward", *args, "--json")
            == json.dumps(expected, ensure_ascii=False, indent=2) + "\n"
        )


def test_single_lot_api_answer_is_byte_identical_to_before(
    histories: None, api_as: Callable[[User | None], APIClient], make_user: Callable[..., User]
) -> None:
    names = _names()
    analyst = api_as(make_user(Role.TRACEABILITY_ANALYST))
    body = analyst.get("/api/trace/forward/", {"gtin": TUBE, "lot": "T1"}).content.decode()
    fac = Party.objects.get(code="OWN").locations.get(code="FAC")
    h1 = Party.objects.get(code="HOSP").locations.get(code="H1")

    def detail(loc: Any, received: int, on_hand: int, in_transit: int) -> str:
        return (
            f'{{"location":"{loc.code}","party":"{loc.party.code}","received":{received},"on_hand":{on_hand},'
            f'"in_transit":{in_transit},"location_name":"{loc.name}","party_name":"{loc.party.name}",'
            f'"party_type":"{loc.party.party_type}","location_type":"{loc.location_type}",'
            f'"country":"{loc.country}","province":"{loc.province}","city":"{loc.city}"}}'
        )

    assert body == (
        '{"lots":["T1","C9"],"holders":[{"location":"FAC","party":"OWN","received":600,"on_hand":460,"in_transit":0},'
        '{"location":"H1","party":"HOSP","received":40,"on_hand":0,"in_transit":40}],"total_received":640,'
        '"total_on_hand":460,"total_in_transit":40,"lot_details":['
        f'{{"gtin":"{TUBE}","lot":"T1","device_model":"{names[TUBE][0]}","device_model_en":"{names[TUBE][1]}"}},'
        f'{{"gtin":"{CATH}","lot":"C9","device_model":"{names[CATH][0]}","device_model_en":"{names[CATH][1]}"}}],'
        '"summary":{"own_stock":460,"quarantine":0,"in_transit":40,"at_distributors":0,"at_customers":0,'
        '"consumed":0,"destroyed":0,"transformed":100},"holder_details":['
        f'{detail(fac, 600, 460, 0)},{detail(h1, 40, 0, 40)}],"shipped_to":[]}}'
    )


@pytest.mark.parametrize(
    ("args", "row"),
    [
        pytest.param(["--gtin", CATH, "--lot", "C1"], f"{CATH},C1", id="lot"),
        pytest.param(["--gtin", PUMP, "--serial", "SN1"], f"{PUMP},,SN1", id="serial"),
        pytest.param(["--gtin", TUBE, "--lot", "T1"], f"{TUBE},T1", id="lot-with-genealogy"),
    ],
)
def test_a_set_of_one_prints_exactly_the_single_trace(
    histories: None, tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], row: str
) -> None:
    single = cli(capsys, "forward", *args, "--json")
    path = tmp_path / "one.csv"
    path.write_text(row + "\n", encoding="utf-8")
    assert cli(capsys, "forward", "--file", str(path), "--json") == single


# --- the command line -------------------------------------------------------------------------


def test_cli_several_lots_sum_per_holder(
    histories: None, capsys: pytest.CaptureFixture[str]
) -> None:
    body = json.loads(
        cli(capsys, "forward", "--gtin", CATH, "--lot", "C1", "--lot", "C2", "--json")
    )
    assert body["lots"] == ["C1", "C2"]
    assert [h["location"] for h in body["holders"]] == ["D1", "FAC", "H1", "H2", "S1"]
    assert holders(body) == {
        "D1": (720, 430, 0),
        "FAC": (1300, 570, 0),
        "H1": (140, 70, 40),
        "H2": (50, 0, 50),
        "S1": (200, 50, 50),
    }
    assert (body["total_received"], body["total_on_hand"], body["total_in_transit"]) == (
        2410,
        1120,
        140,
    )
    assert body["summary"] == {
        "own_stock": 570,
        "quarantine": 0,
        "in_transit": 140,
        "at_distributors": 480,
        "at_customers": 70,
        "consumed": 30,
        "destroyed": 10,
        "transformed": 0,
    }
    assert set(body) == {
        "lots",
        "holders",
        "total_received",
        "total_on_hand",
        "total_in_transit",
        "lot_details",
        "summary",
    }
    assert [(d["gtin"], d["lot"]) for d in body["lot_details"]] == [(CATH, "C1"), (CATH, "C2")]


def test_cli_several_serials(histories: None, capsys: pytest.CaptureFixture[str]) -> None:
    body = json.loads(
        cli(capsys, "forward", "--gtin", PUMP, "--serial", "SN1", "--serial", "SN2", "--json")
    )
    assert (body["lots"], holders(body)) == (
        ["PL1"],
        {"D1": (1, 0, 1), "FAC": (2, 0, 0), "H1": (1, 1, 0)},
    )
    assert body["summary"]["at_customers"] == 1


def test_cli_file_with_bom_header_and_mixed_units(
    histories: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "recall.csv"
    path.write_bytes(
        (f"\ufeffserial,gtin,lot\r\n,{CATH},C2\r\nSN2,{PUMP},PL1\r\n\r\n,{TUBE},T1\r\n").encode()
    )
    body = json.loads(cli(capsys, "forward", "--file", str(path), "--json"))
    assert body["lots"] == ["C2", "PL1", "T1", "C9"]
    assert holders(body) == {"D1": (120, 80, 0), "FAC": (901, 630, 0), "H1": (81, 1, 80)}
    assert body["summary"]["destroyed"] == 10
    assert body["summary"]["transformed"] == 100


def test_cli_options_and_file_together(
    histories: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "more.csv"
    path.write_text(f"{CATH},C2\n", encoding="utf-8")
    body = json.loads(
        cli(capsys, "forward", "--gtin", CATH, "--lot", "C1", "--file", str(path), "--json")
    )
    assert body["lots"] == ["C1", "C2"]
    assert body["total_received"] == 2410


def test_cli_bad_rows_are_all_named_and_nothing_is_traced(
    histories: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        f"gtin,lot,serial\n{CATH},C1\n12345678901232,C1\n{CATH},NOPE\n{CATH}\n{PUMP},PL9,SN1\n"
        f"06950000000040,X\n{PUMP},,SN9\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError) as refused:
        cli(capsys, "forward", "--file", str(path))
    assert str(refused.value).splitlines() == [
        "6 of the listed units cannot be traced; nothing was traced.",
        "bad.csv, row 3, column gtin: The GTIN 12345678901232 has check digit 2; it should be 1.",
        f"bad.csv, row 4, column lot: Lot NOPE of GTIN {CATH} is not known.",
        "bad.csv, row 5, column lot: Give a lot or a serial number.",
        "bad.csv, row 6, column lot: Serial SN1 belongs to lot PL1, not PL9.",
        "bad.csv, row 7, column gtin: No device model has GTIN 06950000000040.",
        f"bad.csv, row 8, column serial: Serial SN9 of GTIN {PUMP} is not known.",
    ]
    assert capsys.readouterr().out == ""


def test_cli_bad_rows_in_json(
    histories: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(f"{CATH},C1\n{CATH},NOPE\n{CATH}\n", encoding="utf-8")
    with pytest.raises(CommandError):
        cli(capsys, "forward", "--file", str(path), "--json")
    body = json.loads(capsys.readouterr().out)
    assert body == {
        "error": "2 of the listed units cannot be traced; nothing was traced.",
        "code": "trace_set_rejected",
        "errors": [
            {
                "file": "bad.csv",
                "row": 2,
                "column": "lot",
                "code": "not_found",
                "message": f"Lot NOPE of GTIN {CATH} is not known.",
            },
            {
                "file": "bad.csv",
                "row": 3,
                "column": "lot",
                "code": "invalid",
                "message": "Give a lot or a serial number.",
            },
        ],
    }


def test_cli_too_many_cells_refuses_before_any_look_up(
    histories: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "wide.csv"
    path.write_text(f"{CATH},C1\n{CATH},C1,,extra\n", encoding="utf-8")
    with pytest.raises(CommandError) as refused:
        cli(capsys, "forward", "--file", str(path))
    assert str(refused.value).splitlines() == [
        "1 of the listed units cannot be traced; nothing was traced.",
        "wide.csv, row 2: Row has 4 cells; a unit is gtin, lot and serial (at most 3 cells).",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["--lot", "C1", "--lot", "C2"],
            "--lot and --serial need --gtin (or list the units with --file).",
            id="no-gtin",
        ),
        pytest.param(
            ["--gtin", CATH], "Give --lot or --serial (with --gtin), or --file.", id="nothing"
        ),
    ],
)
def test_cli_incomplete_options_are_refused(
    histories: None, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        cli(capsys, "forward", *args)


def test_cli_progress_on_stderr_for_large_sets(
    histories: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "big.csv"
    path.write_text(f"{CATH},C1\n" * 60 + f"{CATH},C2\n" * 60, encoding="utf-8")
    call_command("trace", "forward", "--file", str(path), "--json")
    out, err = capsys.readouterr()
    body = json.loads(out)
    assert body["lots"] == ["C1", "C2"]
    assert body["total_received"] == 2410
    assert "Looking up 120 lots and serials…" in err
    assert "Tracing 2 lots…" in err
    assert "5 holders, 2 lots in scope." in err
    call_command("trace", "forward", "--gtin", CATH, "--lot", "C1", "--lot", "C2", "--json")
    out, err = capsys.readouterr()
    assert (json.loads(out), err) == (body, "")


# --- each unit counted once -------------------------------------------------------------------


def _set(*units: tuple[str, str, str]) -> dict[str, Any]:
    return trace_forward_set_for(
        viewer=None,
        units=[
            UnitRequest(gtin=g, lot=lot, serial=s, source="t", row=n)
            for n, (g, lot, s) in enumerate(units, start=1)
        ],
    ).trace.as_dict()


def test_a_lot_listed_twice_counts_once(histories: None) -> None:
    assert _set((CATH, "C1", ""), (CATH, "C1", "")) == _set((CATH, "C1", ""))


def test_a_serial_of_a_lot_also_listed_whole_counts_once(histories: None) -> None:
    assert _set((PUMP, "", "SN1"), (PUMP, "PL1", ""), (PUMP, "PL1", "SN2")) == _set(
        (PUMP, "PL1", "")
    )
    assert holders(_set((PUMP, "PL1", ""))) == {"D1": (1, 0, 1), "FAC": (3, 1, 0), "H1": (1, 1, 0)}


def test_a_finished_lot_reached_from_two_component_lots_counts_once(histories: None) -> None:
    body = _set((TUBE, "T1", ""), (TUBE, "T2", ""))
    assert body["lots"] == ["T1", "T2", "C9"]
    # T1 500 + T2 200 + C9 100 received at FAC (not C9 twice, as summing the two traces would).
    assert holders(body) == {"FAC": (800, 610, 0), "H1": (40, 0, 40)}
    assert body["summary"]["transformed"] == 150
    assert _set((TUBE, "T1", ""), (TUBE, "T2", ""), (CATH, "C9", ""))["holders"] == body["holders"]


def test_a_serial_and_a_lot_built_into_nothing_of_each_other(histories: None) -> None:
    mixed = _set((CATH, "C1", ""), (PUMP, "", "SN1"), (PUMP, "", "SN2"))
    assert mixed["lots"] == ["C1", "PL1"]
    assert holders(mixed) == {
        "D1": (601, 350, 1),
        "FAC": (1002, 400, 0),
        "H1": (101, 71, 0),
        "H2": (50, 0, 50),
        "S1": (200, 50, 50),
    }


def test_read_unit_list_reports_every_bad_line() -> None:
    from medrecall.traceability.trace_sets import TraceSetRejected

    with pytest.raises(TraceSetRejected) as refused:
        read_unit_list(b"gtin,lot,colour\n1,2\n", source="x.csv")
    assert [(e.row, e.code) for e in refused.value.errors] == [(1, "bad_header")]
    with pytest.raises(TraceSetRejected) as undecodable:
        read_unit_list(b"\xff\xfe0\x001\x00", source="x.csv")
    assert [(e.row, e.code) for e in undecodable.value.errors] == [(0, "encoding")]
    assert read_unit_list(f"{CATH}\tC1\n{PUMP}\t\tSN1\n", source="paste") == [
        UnitRequest(gtin=CATH, lot="C1", source="paste", row=1),
        UnitRequest(gtin=PUMP, serial="SN1", source="paste", row=2),
    ]
    assert read_unit_list(f'lot,gtin\n"C,1",{CATH}\n', source="q.csv") == [
        UnitRequest(gtin=CATH, lot="C,1", source="q.csv", row=2)
    ]


# --- the API ----------------------------------------------------------------------------------


def _units(*units: tuple[str, str, str]) -> dict[str, Any]:
    return {"units": [{"gtin": g, "lot": lot, "serial": s} for g, lot, s in units]}


def test_api_set_trace_answers_the_contract(
    histories: None, api_as: Callable[[User | None], APIClient], make_user: Callable[..., User]
) -> None:
    analyst = api_as(make_user(Role.TRACEABILITY_ANALYST))
    answer = analyst.post(
        "/api/trace/forward/set/", _units((CATH, "C1", ""), (CATH, "C2", "")), format="json"
    )
    assert answer.status_code == 200
    body = answer.json()
    assert holders(body)["H1"] == (140, 70, 40)
    assert (body["lots"], body["total_received"], body["shipped_to"]) == (["C1", "C2"], 2410, [])
    assert [h["location"] for h in body["holder_details"]] == ["D1", "FAC", "H1", "H2", "S1"]
    single = analyst.get("/api/trace/forward/", {"gtin": CATH, "lot": "C1"})
    one = analyst.post("/api/trace/forward/set/", _units((CATH, "C1", "")), format="json")
    assert one.content == single.content


def test_api_set_trace_refuses_bad_units_whole(
    histories: None, api_as: Callable[[User | None], APIClient], make_user: Callable[..., User]
) -> None:
    analyst = api_as(make_user(Role.TRACEABILITY_ANALYST))
    refused = analyst.post(
        "/api/trace/forward/set/",
        _units((CATH, "C1", ""), (CATH, "NOPE", ""), ("123", "C1", "")),
        format="json",
    )
    assert refused.status_code == 400
    body = refused.json()
    assert (body["code"], body["message"]) == (
        "trace_set_rejected",
        "2 of the listed units cannot be traced; nothing was traced.",
    )
    assert [
        (e["file"], e["row"], e["column"], e["code"], e["message"]) for e in body["details"]
    ] == [
        ("units", 2, "lot", "not_found", f"Lot NOPE of GTIN {CATH} is not known."),
        ("units", 3, "gtin", "invalid", "The GTIN 123 has 3 digits; a GTIN has 8, 12, 13 or 14."),
    ]
    empty = analyst.post("/api/trace/forward/set/", {"units": []}, format="json")
    assert (empty.status_code, empty.json()["code"]) == (400, "invalid")


@pytest.mark.parametrize(
    ("who", "status"),
    [
        pytest.param(None, 401, id="anonymous"),
        pytest.param(Role.CUSTOMER_SERVICE, 403, id="role-without-trace-permission"),
        pytest.param(Role.TRACEABILITY_ANALYST, 200, id="analyst"),
    ],
)
def test_api_set_trace_permissions(
    histories: None,
    api_as: Callable[[User | None], APIClient],
    make_user: Callable[..., User],
    who: str | None,
    status: int,
) -> None:
    client = api_as(make_user(who) if who else None)
    answer = client.post("/api/trace/forward/set/", _units((CATH, "C1", "")), format="json")
    assert answer.status_code == status
    if status != 200:
        assert "holders" not in answer.json()


def test_api_portal_set_trace_is_scoped_like_the_single_trace(
    histories: None, api_as: Callable[[User | None], APIClient], make_user: Callable[..., User]
) -> None:
    portal = api_as(make_user(Role.PORTAL, party=Party.objects.get(code="DIST")))
    body = portal.post(
        "/api/trace/forward/set/",
        _units((CATH, "C1", ""), (CATH, "C2", ""), (PUMP, "", "SN1")),
        format="json",
    ).json()
    singles = [
        portal.get("/api/trace/forward/", query).json()
        for query in (
            {"gtin": CATH, "lot": "C1"},
            {"gtin": CATH, "lot": "C2"},
            {"gtin": PUMP, "serial": "SN1"},
        )
    ]
    assert (
        holders(body)
        == {"D1": (721, 430, 1)}
        == {"D1": tuple(sum(holders(s)["D1"][i] for s in singles) for i in range(3))}
    )
    assert body["lots"] == ["C1", "C2", "PL1"]
    assert [(r["location"], r["quantity"]) for r in body["shipped_to"]] == [
        ("H1", 40),
        ("H2", 50),
        ("S1", 200),
    ]
    assert body["summary"] == {
        "own_stock": 0,
        "quarantine": 0,
        "in_transit": 1,
        "at_distributors": 430,
        "at_customers": 0,
    }
    # A lot its party never held answers as an unknown one, and nothing of the set is traced.
    never = portal.post(
        "/api/trace/forward/set/",
        _units((CATH, "C1", ""), (TUBE, "T1", ""), (PUMP, "", "SN2")),
        format="json",
    )
    assert never.status_code == 400
    assert [(e["row"], e["message"]) for e in never.json()["details"]] == [
        (2, f"Lot T1 of GTIN {TUBE} is not known."),
        (3, f"Serial SN2 of GTIN {PUMP} is not known."),
    ]
    assert "holders" not in never.json()


# --- the trace page ---------------------------------------------------------------------------


def _page_client(
    make_user: Callable[..., User], role: str = Role.TRACEABILITY_ANALYST, **extra: Any
) -> Client:
    user = make_user(role, **extra)
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_page_traces_a_pasted_list_and_exports_it(
    histories: None, make_user: Callable[..., User]
) -> None:
    client = _page_client(make_user)
    page = client.post("/trace/", {"units": f"{CATH}\tC1\n{CATH}\tC2\n"})
    assert page.status_code == 200
    assert page.context["forward"].as_dict() == _set((CATH, "C1", ""), (CATH, "C2", ""))
    html = page.content.decode()
    assert 'id="trace-set-count"' in html
    assert "2 units listed; 2 lots in scope." in html
    assert "<th>2,410</th>" in html
    graph = page.context["graph"]
    assert sorted((link["source"], link["target"], link["value"]) for link in graph["links"]) == [
        ("D1", "H1", 40),
        ("D1", "H2", 50),
        ("D1", "S1", 200),
        ("FAC", "D1", 720),
        ("Production / outside", "FAC", 1300),
        ("S1", "H1", 100),
    ]
    export = client.post("/trace/", {"units": page.context["units_text"], "format": "xlsx"})
    from openpyxl import load_workbook

    book = load_workbook(BytesIO(export.content))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[-1][-3:] == (2410, 1120, 140)
    assert len(rows) == 1 + 5 + 1
    assert [row[:2] for row in book["Lots in scope"].iter_rows(values_only=True)][1:] == [
        (CATH, "C1"),
        (CATH, "C2"),
    ]
    assert export["Content-Disposition"] == 'attachment; filename="trace-set-2.xlsx"'


def test_the_exported_lots_sheet_has_translated_headers(
    histories: None, make_user: Callable[..., User]
) -> None:
    from openpyxl import load_workbook

    client = _page_client(make_user, language="zh-hans")
    try:
        export = client.post("/trace/", {"units": f"{CATH},C1\n", "format": "xlsx"})
    finally:
        translation.deactivate()  # the user's language stays active on this thread otherwise
    book = load_workbook(BytesIO(export.content))
    rows = list(book["涉及批次"].iter_rows(values_only=True))
    assert rows[0] == ("GTIN", "批号", "器械型号")
    assert [row[:2] for row in rows[1:]] == [(CATH, "C1")]


def test_page_traces_an_uploaded_csv_with_serials(
    histories: None, make_user: Callable[..., User]
) -> None:
    client = _page_client(make_user)
    upload = SimpleUploadedFile(
        "recall.csv",
        f"\ufeffgtin,lot,serial\n{PUMP},,SN1\n{PUMP},,SN2\n".encode(),
        content_type="text/csv",
    )
    page = client.post("/trace/", {"units": "", "file": upload})
    assert page.context["forward"].as_dict() == _set((PUMP, "", "SN1"), (PUMP, "", "SN2"))
    links = sorted(
        (link["source"], link["target"], link["value"]) for link in page.context["graph"]["links"]
    )
    assert links == [("FAC", "D1", 1), ("FAC", "H1", 1), ("Production / outside", "FAC", 2)]


def test_page_names_each_bad_line_in_the_readers_language(
    histories: None, make_user: Callable[..., User]
) -> None:
    client = _page_client(make_user, language="zh-hans")
    page = client.post(
        "/trace/", {"units": f"{CATH},C1\n{CATH},NOPE\n{CATH}\n"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert page.status_code == 400
    assert "forward" not in page.context
    with translation.override("zh-hans"):
        from django.utils.translation import gettext as _

        expected = [
            _("Lot %(lot)s of GTIN %(gtin)s is not known.") % {"lot": "NOPE", "gtin": CATH},
            _("Give a lot or a serial number."),
        ]
    html = page.content.decode()
    assert f"粘贴的清单，第 2 行：{expected[0]}" in html
    assert f"粘贴的清单，第 3 行：{expected[1]}" in html
    assert [e.row for e in page.context["row_errors"]] == [2, 3]


def test_portal_page_set_trace_shows_only_own_lines(
    histories: None, make_user: Callable[..., User]
) -> None:
    client = _page_client(make_user, Role.PORTAL, party=Party.objects.get(code="HOSP"))
    page = client.post("/trace/", {"units": f"{CATH},C1\n{CATH},C2\n"})
    assert holders(page.context["forward"].as_dict()) == {"H1": (140, 70, 40)}
    assert (
        page.context["graph"]["links"] == []
    )  # as for one lot: the moves between its own locations only
    refused = client.post("/trace/", {"units": f"{CATH},C1\n{TUBE},T1\n"})
    assert refused.status_code == 400
    assert [(e.row, e.message) for e in refused.context["row_errors"]] == [
        (2, f"Lot T1 of GTIN {TUBE} is not known.")
    ]
    distributor = _page_client(make_user, Role.PORTAL, party=Party.objects.get(code="DIST"))
    graph = distributor.post("/trace/", {"units": f"{CATH},C1\n{CATH},C2\n{PUMP},,SN1\n"}).context[
        "graph"
    ]
    assert sorted((link["source"], link["target"], link["value"]) for link in graph["links"]) == [
        ("D1", "H1", 40),
        ("D1", "H2", 50),
        ("D1", "S1", 200),
    ]


# --- backward, for a list ---------------------------------------------------------------------


def test_cli_backward_list_is_each_units_own_backward_trace(
    histories: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "back.csv"
    path.write_text(
        f"{CATH},C9\n{PUMP},PL1,SN2\n{CATH},C1\n{CATH},C9\n{PUMP},PL1\n", encoding="utf-8"
    )
    listed = json.loads(cli(capsys, "backward", "--file", str(path), "--json"))
    singles = [
        json.loads(cli(capsys, "backward", "--gtin", gtin, *args, "--json"))
        for gtin, args in (
            (CATH, ["--lot", "C9"]),
            (PUMP, ["--serial", "SN2"]),
            (CATH, ["--lot", "C1"]),
            (PUMP, ["--lot", "PL1"]),
        )
    ]
    assert listed == singles
    assert [(u["lot"], u["serial"], u["current_location"]) for u in listed] == [
        ("C9", None, "H1"),
        ("PL1", "SN2", "H1"),
        ("C1", None, "H2"),
        ("PL1", None, "H1"),
    ]
    assert sorted(
        (c["gtin"], c["lot"], c["quantity"], c["components"]) for c in listed[0]["components"]
    ) == [(TUBE, "T1", 100, []), (TUBE, "T2", 50, [])]
    assert [step["event_id"] for step in listed[1]["chain"]] == ["P2", "P5", "P6"]
    pair = json.loads(
        cli(capsys, "backward", "--gtin", CATH, "--lot", "C1", "--lot", "C2", "--json")
    )
    assert [u["lot"] for u in pair] == ["C1", "C2"]


def test_api_backward_list_matches_the_single_answers_and_scopes_portal_users(
    histories: None, api_as: Callable[[User | None], APIClient], make_user: Callable[..., User]
) -> None:
    for user in (
        make_user(Role.TRACEABILITY_ANALYST),
        make_user(Role.PORTAL, party=Party.objects.get(code="DIST")),
    ):
        client = api_as(user)
        listed = client.post(
            "/api/trace/backward/set/", _units((CATH, "C1", ""), (PUMP, "", "SN1")), format="json"
        )
        assert listed.status_code == 200
        singles = [
            client.get("/api/trace/backward/", query).json()
            for query in ({"gtin": CATH, "lot": "C1"}, {"gtin": PUMP, "serial": "SN1"})
        ]
        assert listed.json() == singles
    assert [step["event_id"] for step in listed.json()[0]["chain"]] == [
        "E2",
        "E3",
        "E4",
        "E5",
        "E9",
    ]
    refused = client.post("/api/trace/backward/set/", _units((TUBE, "T1", "")), format="json")
    assert (refused.status_code, refused.json()["details"][0]["message"]) == (
        400,
        f"Lot T1 of GTIN {TUBE} is not known.",
    )


# --- the engine's set functions the set trace is built on ---------------------------------------


def _lot_id(number: str) -> int:
    from medrecall.catalog.models import Lot

    return int(Lot.objects.get(number=number).pk)


def _serial_id(serial: str) -> int:
    from medrecall.catalog.models import Serial

    return int(Serial.objects.get(serial=serial).pk)


def test_engine_units_count_the_whole_lots_and_the_listed_serials(histories: None) -> None:
    from medrecall.traceability import engine

    c1, pl1 = _lot_id("C1"), _lot_id("PL1")
    lots, rows, fates = engine.set_trace(
        [c1, pl1],
        units=engine.Units(whole_lot_ids=[c1], serial_ids=[_serial_id("SN1"), _serial_id("SN2")]),
    )
    assert [(lot[0], lot[1]) for lot in lots] == [(c1, "C1"), (pl1, "PL1")]
    assert {row[0]: tuple(row[2:5]) for row in rows} == {
        "D1": (601, 350, 1),
        "FAC": (1002, 400, 0),
        "H1": (101, 71, 0),
        "H2": (50, 0, 50),
        "S1": (200, 50, 50),
    }
    assert [row[0] for row in rows] == ["D1", "FAC", "H1", "H2", "S1"]
    assert fates == {"consumed": 30}


def test_engine_units_with_no_whole_lot_count_only_the_serials(histories: None) -> None:
    from medrecall.traceability import engine

    pl1 = _lot_id("PL1")
    _lots, rows, fates = engine.set_trace(
        [pl1], units=engine.Units(whole_lot_ids=[], serial_ids=[_serial_id("SN2")])
    )
    assert {row[0]: tuple(row[2:5]) for row in rows} == {"FAC": (1, 0, 0), "H1": (1, 1, 0)}
    assert fates == {}


def test_descendant_lots_are_the_lots_built_from_the_given_ones(histories: None) -> None:
    from medrecall.traceability import engine

    t1, t2, c9 = _lot_id("T1"), _lot_id("T2"), _lot_id("C9")
    assert engine.descendant_lots([t1, t2]) == {c9}
    assert engine.descendant_lots([c9]) == set()
    assert engine.descendant_lots([]) == set()


def test_component_lots_of_a_set_give_each_lot_its_own_edges(histories: None) -> None:
    from medrecall.traceability import engine

    t1, t2, c9, c1 = _lot_id("T1"), _lot_id("T2"), _lot_id("C9"), _lot_id("C1")
    found = engine.component_lots_of([c9, t1, c1])
    assert {lot: sorted(edges) for lot, edges in found.items()} == {
        c9: sorted([(t1, c9, 100), (t2, c9, 50)])
    }
    assert sorted(engine.component_lots(c9)) == sorted([(t1, c9, 100), (t2, c9, 50)])
    assert engine.component_lots(t1) == []
    assert engine.component_lots_of([]) == {}
