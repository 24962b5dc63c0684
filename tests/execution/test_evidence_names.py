"""Evidence is kept under a generated name with the detected type's extension; the client's
name is shown only. Files kept before (under the client's name) are moved by the migration."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.audit.models import AuditEntry
from medrecall.execution import services
from medrecall.execution.errors import EvidenceRefused
from medrecall.execution.models import Evidence, WorkOrder
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from tests.execution.test_fieldwork import partner_setup
from tests.execution.test_file_view import body, client_of

pytestmark = pytest.mark.django_db

GENERATED = re.compile(r"execution/evidence/\d{4}/\d{2}/[0-9a-f]{32}\.[a-z]+")
PNG = b"\x89PNG\r\n\x1a\n<script>alert(1)</script>"


@pytest.fixture
def order(recall: RecallCase, manager: User) -> WorkOrder:
    partner_setup()
    return services.work_order_create(
        recall=recall, party=Party.objects.get(code="HOSP"), action="inspection", actor=manager
    )


@pytest.fixture
def technician(order: WorkOrder, make_user: Callable[..., User]) -> User:
    return make_user(Role.PORTAL, party=order.provider.party)


@pytest.mark.parametrize(
    ("client_name", "content", "extension", "served_as"),
    [
        pytest.param("x.html", PNG, ".png", "x.png", id="png-named-html"),
        pytest.param(
            "scan.svg", b"II*\x00\x08\x00\x00\x00", ".tif", "scan.tif", id="tiff-named-svg"
        ),
        pytest.param("report", b"%PDF-1.7\n", ".pdf", "report.pdf", id="pdf-without-extension"),
    ],
)
def test_evidence_is_stored_under_a_generated_name_and_served_with_the_detected_one(
    order: WorkOrder,
    technician: User,
    manager: User,
    client_name: str,
    content: bytes,
    extension: str,
    served_as: str,
) -> None:
    evidence = services.evidence_add(
        order=order,
        actor=technician,
        name=client_name,
        content=SimpleUploadedFile(client_name, content),
    )
    assert GENERATED.fullmatch(evidence.file.name)
    assert evidence.file.name.endswith(extension)
    assert evidence.original_name == client_name
    response = client_of(manager).get(f"/files/evidence/{evidence.pk}/")
    assert response["Content-Disposition"] == f'attachment; filename="{served_as}"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert body(response) == content


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', id="svg"),
        pytest.param(b"<!doctype html><script>alert(1)</script>", id="html"),
        pytest.param(b"a,b\n1,2\n", id="csv"),
    ],
)
def test_web_pages_and_other_types_are_refused_and_nothing_is_kept(
    order: WorkOrder, technician: User, settings: Any, content: bytes
) -> None:
    folder = Path(settings.MEDIA_ROOT) / "execution" / "evidence"
    before = sorted(folder.rglob("*")) if folder.exists() else []
    audit_before = AuditEntry.objects.count()
    with pytest.raises(EvidenceRefused) as refused:
        services.evidence_add(
            order=order,
            actor=technician,
            name="photo.jpg",
            content=SimpleUploadedFile("photo.jpg", content),
        )
    assert refused.value.code == "wrong_type"
    assert refused.value.message.startswith("photo.jpg is not a file we accept here")
    assert Evidence.objects.count() == 0
    assert AuditEntry.objects.count() == audit_before
    assert (sorted(folder.rglob("*")) if folder.exists() else []) == before


def test_the_migration_moves_files_kept_under_the_clients_name(
    order: WorkOrder, technician: User, django_capture_on_commit_callbacks: Any
) -> None:
    evidence = Evidence(
        work_order=order,
        original_name="x.html",
        content_type="image/png",
        size=len(PNG),
        sha256="0" * 64,
        uploaded_by=technician,
    )
    evidence.file.save("x.html", ContentFile(PNG), save=True)
    old = evidence.file.name
    assert old.endswith("x.html")
    migration = importlib.import_module("medrecall.execution.migrations.0004_evidence_names")
    with django_capture_on_commit_callbacks(execute=True):
        migration.rename_files(apps, None)
        migration.rename_files(apps, None)  # a second run leaves generated names alone
    evidence.refresh_from_db()
    assert GENERATED.fullmatch(evidence.file.name)
    assert evidence.file.name.endswith(".png")
    assert evidence.file.read() == PNG
    assert not evidence.file.storage.exists(old)
