"""Checks on every entry path: a complaint about a lot the records show going elsewhere and never
to the holder is kept and flagged "lot not shipped to this holder" (complaint page, to-resolve
list, dashboard); a complaint about a lot in an open recall is linked to it (the complaint says
"part of recall …", the recall's page lists it)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from medrecall.accounts.models import User
from medrecall.audit.models import AuditEntry
from medrecall.parties.models import Party
from medrecall.quality import selectors, services
from medrecall.quality.importers import ComplaintImporter
from medrecall.quality.models import Channel, Complaint
from medrecall.recalls.models import RecallCase
from tests.conftest import PASSWORD
from tests.quality.conftest import AWARE
from tests.traceability.scenario import CATH, PUMP

pytestmark = pytest.mark.django_db

# Pump PS-001 (lot P-L1) was shipped to HOSP only (tests/quality/conftest.py, PUMPS).
PUMP_UNIT = services.UnitGiven(gtin=PUMP, serial="PS-001")


def _page(user: User, url: str) -> str:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client.get(url).content.decode()


def test_portal_complaint_about_a_lot_never_shipped_to_the_holder_is_kept_and_flagged(
    other_portal_user: User, manager: User
) -> None:
    response = APIClient()
    response.force_authenticate(other_portal_user)  # HOSP2
    created = response.post(
        "/api/quality/complaints/",
        {"description": "Alarm", "aware_at": AWARE.isoformat(), "gtin": PUMP, "serial": "PS-001"},
        format="json",
    )
    assert created.status_code == 201, created.json()

    complaint = Complaint.objects.get()
    assert (complaint.holder.code, complaint.holder_not_shipped) == ("HOSP2", True)
    received = AuditEntry.objects.get(action="quality.complaint_received")
    assert received.changes["holder_not_shipped"] == [False, True]
    assert list(selectors.complaint_list_for(viewer=manager, unresolved=True)) == [complaint]
    assert selectors.dashboard_for(viewer=manager).complaints_unresolved == 1
    page = _page(manager, reverse("web:quality-complaint", args=[complaint.pk]))
    assert 'id="holder-not-shipped">Lot not shipped to this holder' in page


@pytest.mark.parametrize(
    ("holder", "unit"),
    [
        pytest.param("HOSP", PUMP_UNIT, id="shipped-to-the-holder"),
        pytest.param("HOSP2", services.UnitGiven(gtin=CATH, lot="C1"), id="shipped-to-both"),
        pytest.param("HOSP2", services.UnitGiven(gtin=CATH, lot="C9"), id="unknown-lot"),
    ],
)
def test_not_flagged_when_the_lot_reached_the_holder_or_is_unknown(
    receive: Callable[..., Complaint], holder: str, unit: services.UnitGiven
) -> None:
    complaint = receive(holder=Party.objects.get(code=holder), unit=unit)

    assert complaint.holder_not_shipped is False


@pytest.fixture
def catheter_recall(receive: Callable[..., Complaint], manager: User) -> RecallCase:
    """A recall (still a draft: open) of lot C1, started from an earlier complaint."""
    return services.complaint_start_recall(complaint=receive(reference="E-0"), actor=manager)


def test_a_complaint_about_a_lot_in_an_open_recall_is_linked_to_it(
    receive: Callable[..., Complaint], manager: User, catheter_recall: RecallCase
) -> None:
    complaint = receive(channel=Channel.PHONE)

    assert complaint.recall == catheter_recall
    page = _page(manager, reverse("web:quality-complaint", args=[complaint.pk]))
    assert f"part of recall {catheter_recall.number}" in page
    recall_page = _page(manager, reverse("web:recall-detail", args=[catheter_recall.pk]))
    assert 'id="recall-complaints"' in recall_page
    assert complaint.number in recall_page


def test_imported_complaints_are_flagged_and_linked_too(
    tmp_path: Path, catheter_recall: RecallCase
) -> None:
    path = tmp_path / "c.csv"
    path.write_text(
        "holder,reference,aware_date,event_date,description,barcode,gtin,lot,serial,death,injury\n"
        f"HOSP,H-1,2026-03-02,,Tip broke,,{CATH},C1,,,\n"
        f"HOSP2,H-2,2026-03-02,,Alarm,,{PUMP},,PS-001,,\n",
        encoding="utf-8",
    )

    outcome = ComplaintImporter().run(path, file_name="c.csv")

    assert outcome.accepted, outcome.errors
    rows = list(
        Complaint.objects.filter(channel=Channel.IMPORT)
        .order_by("reference")
        .values_list("reference", "recall__number", "holder_not_shipped")
    )
    assert rows == [("H-1", catheter_recall.number, False), ("H-2", None, True)]


def test_a_cancelled_recall_is_not_linked(
    receive: Callable[..., Complaint], manager: User, catheter_recall: RecallCase
) -> None:
    RecallCase.objects.filter(pk=catheter_recall.pk).update(status="cancelled")

    assert receive().recall is None


def test_complaints_received_before_the_scope_named_their_lot_are_linked_when_it_is_frozen(
    receive: Callable[..., Complaint], manager: User
) -> None:
    """Complaints about lot C1 received before any recall are linked to the recall whose frozen
    scope holds C1 (one audit entry on the recall naming them); a complaint about another lot,
    or already linked, is left alone."""
    from medrecall.recalls.services import scope_freeze

    first = receive(reference="E-1")
    other_lot = receive(reference="E-2", unit=PUMP_UNIT)
    assert (first.recall_id, other_lot.recall_id) == (None, None)
    recall = services.complaint_start_recall(complaint=receive(reference="E-0"), actor=manager)
    started_from = Complaint.objects.get(reference="E-0")
    assert started_from.recall == recall  # linked when the recall was started from it

    scope_freeze(recall=recall, actor=manager)

    linked = dict(Complaint.objects.values_list("reference", "recall__number"))
    assert linked == {"E-0": recall.number, "E-1": recall.number, "E-2": None}
    entry = AuditEntry.objects.get(action="quality.complaints_linked_to_recall")
    assert (entry.target_id, entry.changes["complaints"]) == (str(recall.pk), [first.number])
