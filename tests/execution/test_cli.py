"""``medrecall execution``: a walk from the command line with --json answers."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from medrecall.recalls.models import RecallCase

pytestmark = pytest.mark.django_db


def run(*args: str) -> dict[str, Any]:
    out = StringIO()
    call_command("execution", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_cli_walk(recall: RecallCase, manager: Any, warehouse_user: Any, tmp_path: Any) -> None:
    user = ["--user", manager.username]
    assert run("hold", "list", recall.number)["holds"] == [
        {"lot": "C1", "serial": None, "active": True}
    ]
    ra = run("returns", "create", recall.number, "--holder", "HOSP", "--line", "C1=10", *user)
    assert (ra["carrier"], ra["lines"][0]["expected"]) == ("SF", 10)
    received = run(
        "receive",
        ra["number"],
        "--barcode",
        "010695000000001910C1",
        "--quantity",
        "10",
        "--user",
        warehouse_user.username,
    )
    assert received["outcome"] == "matched"
    over = run(
        "receive",
        ra["number"],
        "--gtin",
        "06950000000019",
        "--lot",
        "C1",
        "--user",
        warehouse_user.username,
    )
    assert (over["outcome"], over["received"], over["expected"]) == ("over", 11, 10)
    assert run("returns", "show", ra["number"], *user)["status"] == "received"
    d = run(
        "disposition",
        "create",
        recall.number,
        "--kind",
        "destroy",
        "--lot",
        "C1",
        "--quantity",
        "10",
        "--location",
        "QUAR",
        *user,
    )
    done = run(
        "disposition",
        "complete",
        d["number"],
        "--method",
        "Incineration",
        "--place",
        "Suzhou",
        "--performed-by",
        "Veolia",
        "--witness",
        "QA",
        *user,
    )
    assert (done["status"], done["certificate"]) == ("done", d["number"].replace("DSP", "DC"))
    accounting = run("accounting", recall.number)
    assert (accounting["balanced"], accounting["total"]["dispositioned"]) == (True, 10)
    out = tmp_path / "wb.pdf"
    run("returns", "waybill", ra["number"], "--out", str(out), *user)
    assert out.read_bytes().startswith(b"%PDF-")
    assert run("workorders", "escalate")["escalated"] == 0


def test_seed_carriers_once(db: None) -> None:
    first = run("seed")
    assert {k: first[k] for k in ("carriers", "rates", "rules", "providers")} == {
        "carriers": 6,
        "rates": 9,
        "rules": 1,
        "providers": 0,
    }  # without the demo's parties: no providers
    assert run("seed")["created"] == 0
