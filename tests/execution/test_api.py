"""Execution API: a walk through holds, a return, receipts (with a refused scan), a disposition
and the accounting; permissions; work orders with results and evidence; the schema stays valid."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from medrecall.execution.models import Receipt
from medrecall.recalls.models import RecallCase
from tests.execution.test_fieldwork import partner_setup

pytestmark = pytest.mark.django_db


def test_api_walk(recall: RecallCase, manager: Any, warehouse_user: Any, api_as: Any) -> None:
    client = api_as(manager)
    assert [
        h["lot"] for h in client.get(f"/api/execution/recalls/{recall.pk}/holds/").json()["results"]
    ] == ["C1"]
    created = client.post(
        "/api/execution/returns/",
        {"recall": recall.pk, "holder": "HOSP", "lines": [{"lot": "C1", "quantity": 20}]},
        format="json",
    )
    assert created.status_code == 201, created.json()
    ra = created.json()
    assert (ra["carrier"], ra["lines"][0]["expected"], ra["urgent"]) == ("SF", 20, True)
    client = api_as(warehouse_user)
    scan = client.post(
        f"/api/execution/returns/{ra['id']}/receive/",
        {"barcode": "010695000000001910C1", "quantity": 20},
        format="json",
    )
    assert (scan.status_code, scan.json()["outcome"]) == (201, "matched")
    over = client.post(
        f"/api/execution/returns/{ra['id']}/receive/",
        {"barcode": "010695000000001910C1"},
        format="json",
    )
    assert (over.status_code, over.json()["outcome"], over.json()["received"]) == (201, "over", 21)
    d = client.post(
        "/api/execution/dispositions/",
        {"recall": recall.pk, "kind": "destroy", "lot": "C1", "quantity": 21, "location": "QUAR"},
        format="json",
    )
    assert d.status_code == 201, d.json()
    done = client.post(
        f"/api/execution/dispositions/{d.json()['id']}/complete/",
        {
            "method": "Incineration",
            "place": "Suzhou",
            "performed_by": "Veolia",
            "witnesses": ["QA"],
        },
        format="json",
    )
    assert (done.json()["status"], done.json()["certificate"]) == (
        "done",
        d.json()["number"].replace("DSP", "DC"),
    )
    accounting = api_as(manager).get(f"/api/execution/recalls/{recall.pk}/accounting/").json()
    assert accounting["balanced"] is True
    assert (accounting["total"]["affected"], accounting["total"]["dispositioned"]) == (970, 21)
    waybill = api_as(manager).get(f"/api/execution/returns/{ra['id']}/waybill/")
    assert waybill.content.startswith(b"%PDF-")


@pytest.mark.parametrize(
    ("who", "expected"),
    [("anonymous", 403), ("viewer", 403), ("field_service", 403), ("warehouse", 201)],
)
def test_receive_permissions(
    recall: RecallCase, manager: Any, make_user: Any, api_as: Any, who: str, expected: int
) -> None:
    ra = (
        api_as(manager)
        .post("/api/execution/returns/", {"recall": recall.pk, "holder": "HOSP"}, format="json")
        .json()
    )
    user = None if who == "anonymous" else make_user(who)
    response = api_as(user).post(
        f"/api/execution/returns/{ra['id']}/receive/",
        {"barcode": "010695000000001910C1"},
        format="json",
    )
    assert response.status_code in ((401, 403) if expected == 403 else (expected,))
    assert Receipt.objects.count() == (1 if expected == 201 else 0)


def test_portal_holder_sees_only_its_returns(
    recall: RecallCase, manager: Any, make_user: Any, api_as: Any
) -> None:
    from medrecall.parties.models import Party

    api_as(manager).post(
        "/api/execution/returns/", {"recall": recall.pk, "holder": "HOSP"}, format="json"
    )
    hospital = make_user("portal", party=Party.objects.get(code="HOSP"))
    other = make_user("portal", party=Party.objects.get(code="DIST"))
    assert api_as(hospital).get("/api/execution/returns/").json()["count"] == 1
    assert api_as(other).get("/api/execution/returns/").json()["results"] == []


def test_work_order_result_and_evidence_by_partner_portal_user(
    recall: RecallCase, manager: Any, make_user: Any, api_as: Any, settings: Any
) -> None:
    partner = partner_setup()
    order = (
        api_as(manager)
        .post(
            "/api/execution/work-orders/",
            {"recall": recall.pk, "holder": "HOSP", "action": "inspection"},
            format="json",
        )
        .json()
    )
    technician = make_user("portal", party=partner)
    client = api_as(technician)
    settings.MEDRECALL_EVIDENCE_MAX_BYTES = 1000
    photo = SimpleUploadedFile(
        "site.jpg", b"\xff\xd8\xff\xe0" + b"0" * 100, content_type="image/jpeg"
    )
    uploaded = client.post(
        f"/api/execution/work-orders/{order['id']}/evidence/", {"file": photo}, format="multipart"
    )
    assert (uploaded.status_code, uploaded.json()["content_type"]) == (201, "image/jpeg")
    fake = SimpleUploadedFile("site.jpg", b"MZ\x90\x00 not an image", content_type="image/jpeg")
    refused = client.post(
        f"/api/execution/work-orders/{order['id']}/evidence/", {"file": fake}, format="multipart"
    )
    assert (refused.status_code, refused.json()["code"]) == (400, "wrong_type")
    unit = order["units"][0]["id"]
    result = client.post(
        f"/api/execution/work-orders/{order['id']}/units/{unit}/result/",
        {"result": "corrected"},
        format="json",
    )
    assert result.json()["status"] == "done"
    outsider = make_user("portal", party=recall.snapshots.get().lines.first().party)
    assert api_as(outsider).get("/api/execution/work-orders/").json()["results"] == []


def test_schema_lists_execution_endpoints(api_client: Any) -> None:
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    import json

    paths = json.loads(response.content)["paths"]
    assert "/api/execution/returns/{id}/receive/" in paths
