"""Execution pages render for the roles that use them; the warehouse page answers each scan."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from medrecall.execution import services
from medrecall.execution.models import Disposition
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_execution_pages_render(recall: RecallCase, manager: Any) -> None:
    ra = services.return_create(recall=recall, party=Party.objects.get(code="HOSP"), actor=manager)
    client = client_for(manager)
    for url, text in (
        (f"/execution/recalls/{recall.pk}/", "Every affected unit, accounted for"),
        ("/execution/", recall.number),
        (f"/execution/returns/{ra.pk}/", ra.waybill_number),
        ("/execution/warehouse/", ra.number),
        (f"/recalls/{recall.pk}/", "execution-link"),
        ("/execution/work-orders/", "Work orders"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert text in response.content.decode(), url
    pdf = client.get(f"/execution/returns/{ra.pk}/waybill.pdf")
    assert (pdf.status_code, pdf["Content-Type"]) == (200, "application/pdf")


def test_warehouse_scan_feedback_and_disposition(
    recall: RecallCase, manager: Any, warehouse_user: Any
) -> None:
    ra = services.return_create(recall=recall, party=Party.objects.get(code="HOSP"), actor=manager)
    client = client_for(warehouse_user)
    url = f"/execution/warehouse/{ra.pk}/"
    ok = client.post(
        url, {"barcode": "010695000000001910C1", "quantity": "5"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'data-outcome="short"' in ok
    assert "65 still to come" in ok
    refused = client.post(
        url, {"barcode": "not a barcode"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert 'data-outcome="unparseable"' in refused
    response = client.post(
        "/execution/dispositions/new/",
        {
            "recall": recall.pk,
            "lot": ra.lines.get().lot_id,
            "quantity": "5",
            "location": ra.quarantine_id,
            "kind": "destroy",
            "next": url,
        },
    )
    d = Disposition.objects.get()
    assert response.url == f"/execution/dispositions/{d.pk}/"  # type: ignore[attr-defined]
    client.post(
        response.url,
        {
            "method": "Incineration",
            "place": "Suzhou",
            "performed_by": "Veolia",  # type: ignore[attr-defined]
            "witnesses": "张伟, Li Na",
        },
    )
    d.refresh_from_db()
    assert (d.status, d.certificate.witnesses) == ("done", ["张伟", "Li Na"])


def test_viewer_cannot_receive(recall: RecallCase, manager: Any, make_user: Any) -> None:
    ra = services.return_create(recall=recall, party=Party.objects.get(code="HOSP"), actor=manager)
    viewer = client_for(make_user("viewer"))
    assert viewer.get(f"/execution/recalls/{recall.pk}/").status_code == 200
    assert (
        viewer.post(
            f"/execution/warehouse/{ra.pk}/", {"barcode": "010695000000001910C1"}
        ).status_code
        == 403
    )
    assert ra.lines.get().received == 0


def test_warehouse_scan_answer_refreshes_the_lines_table(
    recall: RecallCase, manager: Any, warehouse_user: Any
) -> None:
    ra = services.return_create(recall=recall, party=Party.objects.get(code="HOSP"), actor=manager)
    url = f"/execution/warehouse/{ra.pk}/"
    answer = (
        client_for(warehouse_user)
        .post(url, {"barcode": "010695000000001910C1", "quantity": "5"}, HTTP_HX_REQUEST="true")
        .content.decode()
    )
    lines = answer[
        answer.index('id="ra-lines"') : answer.index("</table>", answer.index('id="ra-lines"'))
    ]
    assert (
        '<td class="received">5</td>' in lines,
        "short by 65" in lines,
        "nothing received yet" in lines,
    ) == (True, True, False)
    assert ra.lines.get().received == 5
