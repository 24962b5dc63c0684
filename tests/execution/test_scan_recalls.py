"""The scan box says when a scanned unit is under recall: the recalls whose frozen scope holds
its lot (lot-level lines) or its serial, in one statement; on the page and in the API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from medrecall.catalog.models import Lot, Serial
from medrecall.recalls import selectors as recall_selectors
from medrecall.recalls.models import RecallCase
from tests.execution.conftest import approve, open_recall
from tests.execution.test_pages import client_for
from tests.traceability.scenario import CATH, PUMP, run_events

pytestmark = pytest.mark.django_db


def test_a_scanned_lot_under_recall_names_the_recall(recall: RecallCase, manager: Any) -> None:
    page = client_for(manager).post("/scan/", {"barcode": "010695000000001910C1"}).content.decode()
    assert 'id="scan-recalls"' in page
    assert f'data-recall="{recall.number}"' in page
    assert "This unit is under recall:" in page


def test_a_lot_outside_every_scope_says_so(
    recall: RecallCase, manager: Any, tmp_path: Path
) -> None:
    assert run_events(
        tmp_path,
        f"C2P,produced,2025-02-01T08:00:00+08:00,{CATH},C2,,5,,FAC,WO-2,2025-02-01,2028-01-31,,\n",
        "c2.csv",
    ).accepted
    page = client_for(manager).post("/scan/", {"barcode": "010695000000001910C2"}).content.decode()
    assert 'id="scan-ok"' in page
    assert 'id="scan-recalls"' not in page
    assert 'id="scan-no-recall"' in page


def test_serials_match_their_own_lines_and_two_recalls_show(
    world: Any, manager: Any, make_user: Any
) -> None:
    first = approve(open_recall(manager, gtin=PUMP, values=["P-L1"]), make_user)
    second = open_recall(manager, gtin=PUMP, values=["P-L1"])
    serial = Serial.objects.get(serial="PS-001")
    with CaptureQueriesContext(connection) as queries:
        found = list(
            recall_selectors.recalls_holding(
                viewer=manager, lot_id=serial.lot_id, serial_id=serial.pk
            )
        )
    assert (sorted(r.number for r in found), len(queries)) == (
        sorted([first.number, second.number]),
        1,
    )
    body = (
        client_for(manager)
        .post(
            "/api/udi/parse/",
            {"barcode": "010695000000002621PS-001"},
            content_type="application/json",
        )
        .json()
    )
    assert sorted(r["number"] for r in body["recalls"]) == sorted([first.number, second.number])
    page = (
        client_for(manager).post("/scan/", {"barcode": "010695000000002621PS-001"}).content.decode()
    )
    assert "This unit is under 2 recalls:" in page


def test_portal_users_see_no_recalls(recall: RecallCase, make_user: Any) -> None:
    from medrecall.accounts.roles import Role
    from medrecall.parties.models import Party

    portal = make_user(Role.PORTAL, party=Party.objects.get(code="HOSP"))
    assert (
        list(
            recall_selectors.recalls_holding(viewer=portal, lot_id=Lot.objects.get(number="C1").pk)
        )
        == []
    )


def test_a_lot_level_scan_of_a_serial_tracked_lot_names_its_recalls(
    world: Any, manager: Any, make_user: Any
) -> None:
    first = approve(open_recall(manager, gtin=PUMP, values=["P-L1"]), make_user)
    lot = Lot.objects.get(number="P-L1")
    with CaptureQueriesContext(connection) as queries:
        found = list(recall_selectors.recalls_holding(viewer=manager, lot_id=lot.pk))
    assert ([r.number for r in found], len(queries)) == ([first.number], 1)
    body = (
        client_for(manager)
        .post(
            "/api/udi/parse/",
            {"barcode": f"https://id.gs1.org/01/{PUMP}/10/P-L1"},
            content_type="application/json",
        )
        .json()
    )
    assert (body["match"]["serial_id"], [r["number"] for r in body["recalls"]]) == (
        None,
        [first.number],
    )
    page = (
        client_for(manager)
        .post("/scan/", {"barcode": f"https://id.gs1.org/01/{PUMP}/10/P-L1"})
        .content.decode()
    )
    assert (f'data-recall="{first.number}"' in page, 'id="scan-no-recall"' in page) == (True, False)
