"""The execution pages find what a form names through the contexts' selectors; a record that
is not there is told as a message on the page (never a server error) and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from medrecall.accounts.models import User
from medrecall.audit.models import AuditEntry
from medrecall.execution import services
from medrecall.execution.models import Disposition, Receipt, ReturnAuthorisation, WorkOrder
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def shown(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_warehouse_names_a_return_number_that_is_not_there(
    recall: RecallCase, warehouse_user: User
) -> None:
    response = client_for(warehouse_user).get("/execution/warehouse/", {"ra": "QR|RA-NOPE"})
    assert (response.status_code, shown(response)) == (200, ["No return RA-NOPE."])


def test_the_warehouse_opens_a_return_by_its_number_in_any_case(
    recall: RecallCase, manager: User, warehouse_user: User
) -> None:
    ra = services.return_create(recall=recall, party=Party.objects.get(code="HOSP"), actor=manager)
    response = client_for(warehouse_user).get("/execution/warehouse/", {"ra": ra.number.lower()})
    assert (response.status_code, response["Location"]) == (302, f"/execution/warehouse/{ra.pk}/")


@pytest.mark.parametrize(
    ("path", "model"),
    [("returns", ReturnAuthorisation), ("work-orders", WorkOrder)],
)
def test_a_holder_that_is_not_there_is_a_message(
    recall: RecallCase, manager: User, path: str, model: Any
) -> None:
    entries = AuditEntry.objects.count()
    response = client_for(manager).post(
        f"/execution/recalls/{recall.pk}/{path}/",
        {"party": "999999", "action": "inspection"},
    )
    assert (response.status_code, shown(response)) == (302, ["Party not found."])
    assert (model.objects.count(), AuditEntry.objects.count()) == (0, entries)


@pytest.mark.parametrize(
    ("party", "label"),
    [
        ("", "none chosen"),
        ("HOSP", "not an id"),
        ("²", "a digit that is no ASCII digit"),
        ("9" * 30, "beyond any id"),
    ],
)
def test_no_holder_chosen_asks_for_one(
    recall: RecallCase, manager: User, party: str, label: str
) -> None:
    response = client_for(manager).post(
        f"/execution/recalls/{recall.pk}/returns/", {"party": party}
    )
    assert (response.status_code, shown(response)) == (302, ["Choose the holder."])
    assert ReturnAuthorisation.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("lot", "Lot not found."),
        ("serial", "Serial number not found."),
        ("location", "Location not found."),
        ("recall", "Recall not found."),
    ],
)
def test_a_disposition_of_a_unit_that_is_not_there_is_a_message(
    recall: RecallCase, manager: User, warehouse_user: User, field: str, message: str
) -> None:
    ra = services.return_create(recall=recall, party=Party.objects.get(code="HOSP"), actor=manager)
    form = {
        "recall": recall.pk,
        "lot": ra.lines.get().lot_id,
        "quantity": "5",
        "location": ra.quarantine_id,
        "kind": "destroy",
        field: "999999",
    }
    entries = AuditEntry.objects.count()
    response = client_for(warehouse_user).post("/execution/dispositions/new/", form)
    assert (response.status_code, shown(response)) == (302, [message])
    assert (Disposition.objects.count(), AuditEntry.objects.count()) == (0, entries)


def test_a_scan_into_a_location_that_is_not_there_is_refused_on_the_page(
    recall: RecallCase, manager: User, warehouse_user: User
) -> None:
    ra = services.return_create(recall=recall, party=Party.objects.get(code="HOSP"), actor=manager)
    page = client_for(warehouse_user).post(
        f"/execution/warehouse/{ra.pk}/",
        {"barcode": "010695000000001910C1", "quantity": "5", "location": "999999"},
        HTTP_HX_REQUEST="true",
    )
    assert page.status_code == 200
    assert 'data-outcome="not_found"' in page.content.decode()
    assert "Location not found." in page.content.decode()
    assert Receipt.objects.count() == 0
