"""Stored files are served through their record: the right role or the owning party's portal
users get them with safe headers; another party, a role without the permission and anonymous
users do not. ``/media/`` is not served at all."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.execution import services
from medrecall.execution.models import Disposition, Evidence
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from tests.conftest import PASSWORD
from tests.execution.conftest import loc
from tests.execution.test_fieldwork import partner_setup
from tests.traceability.scenario import CATH

pytestmark = pytest.mark.django_db


def client_of(user: User | None) -> Client:
    client = Client()
    if user is not None:
        assert client.login(username=user.username, password=PASSWORD)
    return client


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def certificate_disposition(recall: RecallCase, manager: User, warehouse_user: User) -> Disposition:
    ra = services.return_create(recall=recall, party=Party.objects.get(code="HOSP"), actor=manager)
    services.return_receive(ra=ra, actor=warehouse_user, gtin=CATH, lot="C1", quantity=3)
    d = services.disposition_create(
        recall=recall,
        kind="destroy",
        lot=ra.lines.get().lot,
        quantity=3,
        actor=warehouse_user,
        location=loc("QUAR"),
    )
    return services.disposition_complete(
        disposition=d,
        actor=warehouse_user,
        method="Shredding",
        place="Suzhou",
        performed_by="Veolia",
        witnesses=["Zhang Wei"],
    )


@pytest.fixture
def evidence(
    recall: RecallCase, manager: User, make_user: Callable[..., User]
) -> tuple[Evidence, Party]:
    partner = partner_setup()
    order = services.work_order_create(
        recall=recall, party=Party.objects.get(code="HOSP"), action="inspection", actor=manager
    )
    technician = make_user(Role.PORTAL, party=partner)
    upload = SimpleUploadedFile("x.html", b"\x89PNG\r\n\x1a\n<script>alert(1)</script>")
    return services.evidence_add(
        order=order, actor=technician, name="x.html", content=upload
    ), partner


def test_certificate_downloads_for_warehouse_and_quality_inline_with_nosniff(
    certificate_disposition: Disposition, warehouse_user: User, manager: User
) -> None:
    certificate = certificate_disposition.certificate
    for user in (warehouse_user, manager):
        response = client_of(user).get(f"/files/certificate/{certificate.pk}/")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == f'inline; filename="{certificate.number}.pdf"'
        assert response["X-Content-Type-Options"] == "nosniff"
        assert body(response).startswith(b"%PDF")


@pytest.mark.parametrize("who", ["anonymous", "portal of the holder", "finance"])
def test_certificate_refused_to_others(
    certificate_disposition: Disposition, make_user: Callable[..., User], who: str
) -> None:
    user = {
        "anonymous": None,
        "portal of the holder": make_user(Role.PORTAL, party=Party.objects.get(code="HOSP")),
        "finance": make_user(Role.FINANCE),
    }[who]
    response = client_of(user).get(f"/files/certificate/{certificate_disposition.certificate.pk}/")
    if user is None:
        assert (response.status_code, response["Location"]) == (
            302,
            f"/login/?next=/files/certificate/{certificate_disposition.certificate.pk}/",
        )
    else:
        assert response.status_code == 404


def test_evidence_for_the_owning_partner_and_staff_as_attachment_with_detected_type(
    evidence: tuple[Evidence, Party], make_user: Callable[..., User], manager: User
) -> None:
    found, partner = evidence
    assert found.content_type == "image/png"
    for user in (make_user(Role.PORTAL, party=partner), manager):
        response = client_of(user).get(f"/files/evidence/{found.pk}/")
        assert response.status_code == 200
        assert (
            response["Content-Type"] == "image/png"
        )  # detected from the content, not the ".html" name
        assert response["Content-Disposition"] == 'attachment; filename="x.png"'
        assert response["X-Content-Type-Options"] == "nosniff"
        assert body(response) == b"\x89PNG\r\n\x1a\n<script>alert(1)</script>"


@pytest.mark.parametrize("who", ["anonymous", "another party", "finance"])
def test_evidence_refused_to_others(
    evidence: tuple[Evidence, Party], make_user: Callable[..., User], who: str
) -> None:
    found, _partner = evidence
    user = {
        "anonymous": None,
        "another party": make_user(Role.PORTAL, party=Party.objects.get(code="DIST")),
        "finance": make_user(Role.FINANCE),
    }[who]
    response = client_of(user).get(f"/files/evidence/{found.pk}/")
    assert response.status_code == (302 if user is None else 404)


def test_unknown_kind_and_missing_record_are_404(manager: User) -> None:
    client = client_of(manager)
    assert client.get("/files/secrets/1/").status_code == 404
    assert client.get("/files/certificate/999999/").status_code == 404


def test_media_is_not_served(evidence: tuple[Evidence, Party], manager: User) -> None:
    found, _partner = evidence
    assert client_of(manager).get(f"/media/{found.file.name}").status_code == 404


def test_pages_link_the_file_view(
    certificate_disposition: Disposition, evidence: tuple[Evidence, Party], manager: User
) -> None:
    client = client_of(manager)
    page = client.get(f"/execution/dispositions/{certificate_disposition.pk}/").content.decode()
    assert f'href="/files/certificate/{certificate_disposition.certificate.pk}/"' in page
    found, _partner = evidence
    page = client.get(f"/execution/work-orders/{found.work_order_id}/").content.decode()
    assert f'href="/files/evidence/{found.pk}/"' in page


def test_waybill_is_inline_with_nosniff_in_page_and_api(
    recall: RecallCase, manager: User, api_as: Any
) -> None:
    ra = services.return_create(recall=recall, party=Party.objects.get(code="HOSP"), actor=manager)
    for response in (
        client_of(manager).get(f"/execution/returns/{ra.pk}/waybill.pdf"),
        api_as(manager).get(f"/api/execution/returns/{ra.pk}/waybill/"),
    ):
        assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
        assert response["Content-Disposition"] == f'inline; filename="{ra.waybill_number}.pdf"'
        assert response["X-Content-Type-Options"] == "nosniff"
