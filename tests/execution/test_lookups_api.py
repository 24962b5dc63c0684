"""What the execution API answers when a look-up misses: a record named in the body (a holder's
code, a lot, a location) makes the request invalid (400 ``invalid``, the look-up's message,
``where`` the field) and changes nothing; a record named in the URL is 404 ``not_found``."""

from __future__ import annotations

from typing import Any

import pytest

from medrecall.accounts.models import User
from medrecall.audit.models import AuditEntry
from medrecall.execution.models import Disposition, Hold, ReturnAuthorisation, WorkOrder
from medrecall.recalls.models import RecallCase
from tests.execution.test_fieldwork import partner_setup

pytestmark = pytest.mark.django_db


def _counts() -> tuple[int, ...]:
    return (
        AuditEntry.objects.count(),
        ReturnAuthorisation.objects.count(),
        Disposition.objects.count(),
        WorkOrder.objects.count(),
        Hold.objects.filter(released_at__isnull=False).count(),
    )


@pytest.mark.parametrize(
    ("path", "body", "message", "where"),
    [
        (
            "/api/execution/returns/",
            {"holder": "NOPE"},
            "There is no party with code NOPE.",
            "holder",
        ),
        (
            "/api/execution/returns/",
            {
                "holder": "HOSP",
                "lines": [{"lot": "C1", "quantity": 5}, {"lot": "C9", "quantity": 1}],
            },
            "No lot C9 of this recall's device models.",
            "lines",
        ),
        (
            "/api/execution/returns/",
            {"holder": "HOSP", "quarantine": "Q-NOPE"},
            "There is no location with code Q-NOPE.",
            "quarantine",
        ),
        (
            "/api/execution/work-orders/",
            {"holder": "NOPE", "action": "inspection"},
            "There is no party with code NOPE.",
            "holder",
        ),
        (
            "/api/execution/dispositions/",
            {"kind": "destroy", "lot": "C9", "location": "QUAR"},
            "No lot C9 of this recall's device models.",
            "lot",
        ),
        (
            "/api/execution/dispositions/",
            {"kind": "destroy", "lot": "C1", "serial": "S-1", "location": "QUAR"},
            "Lot C1 has no serial S-1.",
            "lot",
        ),
        (
            "/api/execution/dispositions/",
            {"kind": "destroy", "lot": "C1", "location": "Q-NOPE"},
            "There is no location with code Q-NOPE.",
            "location",
        ),
    ],
)
def test_a_record_the_body_names_that_is_not_there_is_a_400_naming_it(
    recall: RecallCase,
    manager: User,
    api_as: Any,
    path: str,
    body: dict[str, Any],
    message: str,
    where: str,
) -> None:
    before = _counts()
    refused = api_as(manager).post(path, {"recall": recall.pk, **body}, format="json")
    assert (refused.status_code, refused.json()) == (
        400,
        {"code": "invalid", "message": message, "where": where},
    )
    assert _counts() == before


def test_releasing_a_hold_on_a_lot_no_hold_is_on_is_a_400_and_releases_nothing(
    recall: RecallCase, manager: User, api_as: Any
) -> None:
    before = _counts()
    refused = api_as(manager).post(
        f"/api/execution/recalls/{recall.pk}/holds/release/",
        {"reason": "wrong lot", "lot": "C9"},
        format="json",
    )
    assert (refused.status_code, refused.json()) == (
        400,
        {"code": "invalid", "message": "No hold of this recall is on lot C9.", "where": "lot"},
    )
    assert _counts() == before


def test_amending_a_return_for_a_serial_not_in_the_lot_names_it(
    recall: RecallCase, manager: User, api_as: Any
) -> None:
    client = api_as(manager)
    created = client.post(
        "/api/execution/returns/", {"recall": recall.pk, "holder": "HOSP"}, format="json"
    )
    assert created.status_code == 201
    before = _counts()
    refused = client.post(
        f"/api/execution/returns/{created.json()['id']}/amend/",
        {"lot": "C1", "serial": "S-1", "expected": 1, "reason": "x"},
        format="json",
    )
    assert (refused.status_code, refused.json()) == (
        400,
        {"code": "invalid", "message": "Lot C1 has no serial S-1.", "where": "lot"},
    )
    assert _counts() == before


def test_a_unit_the_url_names_that_is_not_on_the_work_order_is_a_json_404(
    recall: RecallCase, manager: User, api_as: Any
) -> None:
    partner_setup()
    client = api_as(manager)
    order = client.post(
        "/api/execution/work-orders/",
        {"recall": recall.pk, "holder": "HOSP", "action": "inspection"},
        format="json",
    ).json()
    before = _counts()
    missing = client.post(
        f"/api/execution/work-orders/{order['id']}/units/999999/result/",
        {"result": "corrected"},
        format="json",
    )
    assert (missing.status_code, missing.json()) == (
        404,
        {
            "code": "not_found",
            "message": f"Work order {order['number']} has no unit 999999.",
            "where": "unit",
        },
    )
    assert _counts() == before
