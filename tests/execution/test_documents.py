"""Every kept document of execution is downloadable through the API and the CLI, scoped like
its record: the destruction certificate as issued, work-order evidence files."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from medrecall.catalog.models import Lot
from medrecall.execution import services
from medrecall.execution.models import Disposition
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from tests.execution.conftest import loc
from tests.execution.test_fieldwork import partner_setup

pytestmark = pytest.mark.django_db
PHOTO = b"\xff\xd8\xff\xe0" + b"0" * 100


def destroyed(recall: RecallCase, manager: Any, user: Any) -> Disposition:
    ra = services.return_create(recall=recall, party=Party.objects.get(code="HOSP"), actor=manager)
    services.return_receive(ra=ra, actor=user, barcode="010695000000001910C1", quantity=10)
    d = services.disposition_create(
        recall=recall,
        kind="destroy",
        lot=Lot.objects.get(number="C1"),
        quantity=10,
        actor=user,
        location=loc("QUAR"),
    )
    return services.disposition_complete(
        disposition=d,
        actor=user,
        method="Incineration",
        place="Suzhou",
        performed_by="Veolia",
        witnesses=["QA"],
    )


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def test_certificate_download_through_the_api(
    recall: RecallCase, manager: Any, warehouse_user: Any, api_as: Any
) -> None:
    d = destroyed(recall, manager, warehouse_user)
    issued = d.certificate.pdf.read()

    response = api_as(manager).get(f"/api/execution/dispositions/{d.pk}/certificate/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{d.certificate.number}.pdf"'
    assert body(response) == issued
    assert issued.startswith(b"%PDF-")


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", (401, 403)),
        ("portal of the holder", (403,)),
        ("field_service", (403,)),
        ("viewer", (200,)),
        ("warehouse", (200,)),
    ],
)
def test_certificate_permissions(
    recall: RecallCase,
    manager: Any,
    warehouse_user: Any,
    make_user: Any,
    api_as: Any,
    who: str,
    expected: tuple[int, ...],
) -> None:
    d = destroyed(recall, manager, warehouse_user)
    if who == "anonymous":
        user = None
    elif who == "portal of the holder":
        user = make_user("portal", party=Party.objects.get(code="HOSP"))
    else:
        user = make_user(who)
    response = api_as(user).get(f"/api/execution/dispositions/{d.pk}/certificate/")
    assert response.status_code in expected


def test_a_missing_certificate_or_file_answers_not_found(
    recall: RecallCase, manager: Any, warehouse_user: Any, api_as: Any
) -> None:
    d = destroyed(recall, manager, warehouse_user)
    d.certificate.pdf.storage.delete(d.certificate.pdf.name)
    missing = api_as(manager).get(f"/api/execution/dispositions/{d.pk}/certificate/")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    assert (
        missing.json()["message"] == f"The file of {d.certificate.number} is missing from storage."
    )
    nothing = api_as(manager).get("/api/execution/dispositions/999999/certificate/")
    assert nothing.status_code == 404


def test_certificate_through_the_cli(
    recall: RecallCase, manager: Any, warehouse_user: Any, tmp_path: Path
) -> None:
    d = destroyed(recall, manager, warehouse_user)
    out = StringIO()
    target = tmp_path / "certificate.pdf"
    call_command(
        "execution",
        "disposition",
        "certificate",
        d.number,
        "--out",
        str(target),
        "--json",
        stdout=out,
    )
    assert json.loads(out.getvalue()) == {
        "file": str(target),
        "content_type": "application/pdf",
        "message": f"Written to {target}.",
    }
    assert target.read_bytes() == d.certificate.pdf.read()
    with pytest.raises(CommandError, match="No destruction certificate DC-0"):
        call_command(
            "execution", "disposition", "certificate", "DC-0", "--out", str(tmp_path / "x.pdf")
        )
    assert not (tmp_path / "x.pdf").exists()


def test_evidence_listed_and_downloaded_by_who_may_see_the_order(
    recall: RecallCase, manager: Any, make_user: Any, api_as: Any, tmp_path: Path
) -> None:
    partner = partner_setup()
    order = services.work_order_create(
        recall=recall, party=Party.objects.get(code="HOSP"), action="inspection", actor=manager
    )
    technician = make_user("portal", party=partner)
    evidence = services.evidence_add(
        order=order,
        actor=technician,
        name="site.jpg",
        content=SimpleUploadedFile("site.jpg", PHOTO, content_type="image/jpeg"),
    )
    listed = api_as(technician).get(f"/api/execution/work-orders/{order.pk}/evidence/").json()
    assert [(e["id"], e["name"], e["content_type"], e["size"], e["download"]) for e in listed] == [
        (
            evidence.pk,
            "site.jpg",
            "image/jpeg",
            len(PHOTO),
            f"/api/execution/work-orders/{order.pk}/evidence/{evidence.pk}/",
        )
    ]
    response = api_as(technician).get(listed[0]["download"])
    assert (response.status_code, response["Content-Type"], body(response)) == (
        200,
        "image/jpeg",
        PHOTO,
    )
    assert api_as(manager).get(listed[0]["download"]).status_code == 200
    outsider = make_user("portal", party=Party.objects.get(code="DIST"))
    assert api_as(outsider).get(listed[0]["download"]).status_code == 404
    assert (
        api_as(outsider).get(f"/api/execution/work-orders/{order.pk}/evidence/").status_code == 404
    )

    out = StringIO()
    call_command("execution", "workorders", "evidence", order.number, "--json", stdout=out)
    assert [e["id"] for e in json.loads(out.getvalue())["evidence"]] == [evidence.pk]
    target = tmp_path / "photo.jpg"
    call_command(
        "execution",
        "workorders",
        "evidence",
        order.number,
        str(evidence.pk),
        "--out",
        str(target),
        stdout=StringIO(),
    )
    assert target.read_bytes() == PHOTO
