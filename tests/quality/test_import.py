"""Complaint import: a good file kept whole (an unknown lot kept and flagged), a bad one refused
whole with row and column named and nothing written, the same file twice changes nothing, and
the command, the web page and the API find the importer through the registry."""

from __future__ import annotations

import json
from collections.abc import Callable
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.audit.models import AuditEntry
from medrecall.core.services import import_run_execute
from medrecall.quality.importers import ComplaintImporter
from medrecall.quality.models import Complaint, Resolution
from tests.conftest import PASSWORD
from tests.traceability.scenario import CATH, PUMP

pytestmark = pytest.mark.django_db

HEADER = "holder,reference,aware_date,event_date,description,barcode,gtin,lot,serial,death,injury\n"
GOOD = (
    HEADER
    + f"HOSP,H-1,2026-03-02,2026-03-01,Tip broke,(01){CATH}(10)C1,,,,no,yes\n"
    + f"HOSP,H-2,2026-03-03 10:15,,Alarm,,{PUMP},,PS-777,,\n"
    + f"HOSP2,H-1,2026-03-04,,Kink,,{CATH},C9,,,\n"
)


def _file(tmp_path: Path, text: str, name: str = "complaints.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_good_file_imported_unknown_units_flagged(world: object, tmp_path: Path) -> None:
    outcome = ComplaintImporter().run(_file(tmp_path, GOOD), file_name="complaints.csv")

    assert (outcome.accepted, outcome.rows, outcome.created, outcome.errors) == (True, 3, 3, [])
    rows = list(
        Complaint.objects.order_by("reference", "holder__code").values_list(
            "holder__code",
            "reference",
            "channel",
            "lot_text",
            "serial_text",
            "resolution",
            "injury",
        )
    )
    assert rows == [
        ("HOSP", "H-1", "import", "C1", "", Resolution.RESOLVED, True),
        ("HOSP2", "H-1", "import", "C9", "", Resolution.UNKNOWN_LOT, False),
        ("HOSP", "H-2", "import", "", "PS-777", Resolution.UNKNOWN_SERIAL, False),
    ]
    assert AuditEntry.objects.filter(action="quality.complaints_imported").count() == 1


def test_same_file_twice_changes_nothing(world: object, tmp_path: Path) -> None:
    path = _file(tmp_path, GOOD)
    ComplaintImporter().run(path, file_name="complaints.csv")

    again = ComplaintImporter().run(path, file_name="complaints.csv")

    assert (again.created, again.unchanged) == (0, 3)
    assert Complaint.objects.count() == 3
    assert AuditEntry.objects.filter(action="quality.complaints_imported").count() == 1


@pytest.mark.parametrize(
    ("line", "column", "code"),
    [
        pytest.param(
            "NOPE,H-9,2026-03-02,,x,,,,,,", "holder", "unknown_party", id="unknown-holder"
        ),
        pytest.param("HOSP,H-9,02/30/2026,,x,,,,,,", "aware_date", "date", id="bad-date"),
        pytest.param("HOSP,H-9,2099-01-01,,x,,,,,,", "aware_date", "future", id="future"),
        pytest.param(
            "HOSP,H-9,2026-03-02,2026-03-05,x,,,,,,", "event_date", "date_order", id="event-after"
        ),
        pytest.param("HOSP,H-9,2026-03-02,,,,,,,,", "description", "required", id="no-description"),
        pytest.param(
            "HOSP,H-9,2026-03-02,,x,(01)123,,,,,", "barcode", "complaint_invalid", id="bad-barcode"
        ),
        pytest.param(
            f"HOSP,H-9,2026-03-02,,x,,{PUMP},C1,PS-001,,",
            "lot",
            "serial_not_in_lot",
            id="serial-other-lot",
        ),
        pytest.param("HOSP,H-9,2026-03-02,,x,,,,,maybe,", "death", "boolean", id="bad-flag"),
        pytest.param(
            "HOSP,H-1,2026-03-02,,x,,,,,,", "reference", "duplicate", id="repeated-reference"
        ),
    ],
)
def test_bad_row_refuses_whole_file_naming_row_and_column(
    world: object, tmp_path: Path, line: str, column: str, code: str
) -> None:
    outcome = ComplaintImporter().run(_file(tmp_path, GOOD + line + "\n"), file_name="c.csv")

    assert outcome.accepted is False
    bad = [(e.row, e.column, e.code) for e in outcome.errors if e.row == 5]
    assert bad == [(5, column, code)]
    assert Complaint.objects.count() == 0
    assert AuditEntry.objects.filter(action="quality.complaints_imported").count() == 0


def test_keep_good_is_refused_for_complaints(world: object, tmp_path: Path) -> None:
    path = _file(tmp_path, GOOD)

    with pytest.raises(Exception, match="whole or not at all"):
        call_command("import", "complaints", str(path), "--keep-good")
    assert Complaint.objects.count() == 0


def test_import_command_finds_the_importer(world: object, tmp_path: Path) -> None:
    out = StringIO()

    call_command("import", "complaints", str(_file(tmp_path, GOOD)), "--json", stdout=out)

    body = json.loads(out.getvalue())
    assert (body["kind"], body["accepted"], body["created"]) == ("complaints", True, 3)


def test_web_import_page_offers_complaints_to_customer_service(
    world: object, make_user: Callable[..., User], portal_user: User
) -> None:
    client = Client()
    assert client.login(username=make_user(Role.CUSTOMER_SERVICE).username, password=PASSWORD)

    page = client.get(reverse("web:import-list")).content.decode()

    assert 'value="complaints"' in page
    portal = Client()
    assert portal.login(username=portal_user.username, password=PASSWORD)
    assert portal.get(reverse("web:import-list")).status_code in (403, 404)


def test_api_import_endpoint_finds_the_importer(world: object, manager: User) -> None:
    client = APIClient()
    client.force_authenticate(user=manager)

    response = client.post(
        "/api/imports/start/",
        {"kind": "complaints", "file": SimpleUploadedFile("c.csv", GOOD.encode())},
        format="multipart",
    )

    assert response.status_code == 202, response.json()
    run = import_run_execute(run_id=response.json()["id"])
    assert (run.kind, run.status, Complaint.objects.count()) == ("complaints", "accepted", 3)


def test_problems_are_listed_by_row_then_column(world: object, tmp_path: Path) -> None:
    text = (
        HEADER
        + "NOPE,H-8,2026-03-02,,x,(01)123,,,,,\n"
        + "HOSP,H-1,2026-03-02,,x,,,,,,\n"
        + "HOSP,H-1,2026-03-02,,y,,,,,,\n"
    )

    outcome = ComplaintImporter().run(_file(tmp_path, text), file_name="c.csv")

    assert [(e.row, e.column, e.code) for e in outcome.errors] == [
        (2, "barcode", "complaint_invalid"),
        (2, "holder", "unknown_party"),
        (3, "reference", "duplicate"),
        (4, "reference", "duplicate"),
    ]
    assert Complaint.objects.count() == 0


CHANGED = GOOD.replace("Tip broke,(01)", "Tip broke off inside the patient,(01)").replace(
    f"{CATH}(10)C1,,,,no,yes", f"{CATH}(10)C1,,,,yes,yes"
)


def _xlsx(tmp_path: Path, text: str) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for line in text.strip().splitlines():
        sheet.append(line.split(","))
    path = tmp_path / "complaints.xlsx"
    book.save(path)
    return path


@pytest.mark.parametrize("excel", [False, True], ids=["csv", "xlsx"])
def test_changed_row_updates_the_open_complaint_naming_each_change(
    world: object, tmp_path: Path, excel: bool
) -> None:
    ComplaintImporter().run(_file(tmp_path, GOOD), file_name="complaints.csv")
    path = _xlsx(tmp_path, CHANGED) if excel else _file(tmp_path, CHANGED, "changed.csv")

    again = ComplaintImporter().run(path, file_name=path.name)

    assert (again.accepted, again.created, again.updated, again.unchanged) == (True, 0, 1, 2)
    complaint = Complaint.objects.get(holder__code="HOSP", reference="H-1")
    assert (complaint.description, complaint.death, complaint.patient_involved) == (
        "Tip broke off inside the patient",
        True,
        True,
    )
    entry = AuditEntry.objects.get(action="quality.complaint_updated_by_import")
    assert (entry.target_id, entry.changes) == (
        str(complaint.pk),
        {
            "description": ["Tip broke", "Tip broke off inside the patient"],
            "death": [False, True],
        },
    )
    summary = AuditEntry.objects.filter(action="quality.complaints_imported").last()
    assert summary is not None
    assert summary.changes == {"created": [], "updated": [complaint.number]}


@pytest.mark.parametrize("excel", [False, True], ids=["csv", "xlsx"])
def test_changed_row_of_a_closed_complaint_refuses_the_file_naming_row_and_reason(
    world: object, tmp_path: Path, excel: bool
) -> None:
    ComplaintImporter().run(_file(tmp_path, GOOD), file_name="complaints.csv")
    Complaint.objects.filter(reference="H-1", holder__code="HOSP").update(status="closed")
    before = list(Complaint.objects.order_by("pk").values())
    entries = AuditEntry.objects.count()
    path = _xlsx(tmp_path, CHANGED) if excel else _file(tmp_path, CHANGED, "changed.csv")

    again = ComplaintImporter().run(path, file_name=path.name)

    assert again.accepted is False
    number = Complaint.objects.get(holder__code="HOSP", reference="H-1").number
    assert [(e.row, e.column, e.code, e.message) for e in again.errors] == [
        (
            2,
            "reference",
            "complaint_closed",
            f"Complaint {number} (reference H-1 of HOSP) is closed: an import does not change "
            "a closed complaint. The row differs in: description, death. Enter the new "
            "information as a new complaint (it may need its own triage), or remove the row.",
        )
    ]
    assert list(Complaint.objects.order_by("pk").values()) == before
    assert AuditEntry.objects.count() == entries


def test_unchanged_row_of_a_closed_complaint_is_still_unchanged(
    world: object, tmp_path: Path
) -> None:
    path = _file(tmp_path, GOOD)
    ComplaintImporter().run(path, file_name="complaints.csv")
    Complaint.objects.filter(reference="H-1", holder__code="HOSP").update(status="closed")

    again = ComplaintImporter().run(path, file_name="complaints.csv")

    assert (again.accepted, again.created, again.updated, again.unchanged) == (True, 0, 0, 3)
