"""Answers conform to the published schema: blank e-mails, a blank effectiveness level, the work-order
units and the customer timeline are validated against the generated OpenAPI components."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from typing import Any

import jsonschema
import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.execution import services as execution
from medrecall.parties.models import Party
from medrecall.recalls import services as recalls
from medrecall.recalls.models import RecallCase
from tests.execution.conftest import pump_recall, recall, world  # noqa: F401 - fixtures used by name
from tests.execution.test_documents import partner_setup
from tests.factories import ContactFactory, DeviceModelFactory, PartyFactory

pytestmark = pytest.mark.django_db


def _json_schema(node: Any) -> Any:
    """OpenAPI 3.0 ``nullable: true`` as JSON Schema's ``null`` alternative."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


@cache
def _components() -> dict[str, Any]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return _json_schema(schema["components"])  # type: ignore[no-any-return]


def assert_conforms(body: Any, component: str) -> None:
    jsonschema.validate(
        body,
        {"$ref": f"#/components/schemas/{component}", "components": _components()},
        format_checker=jsonschema.FormatChecker(),
    )


@pytest.fixture
def admin_api(make_user: Callable[..., User]) -> APIClient:
    client = APIClient()
    client.force_authenticate(make_user(Role.ADMINISTRATOR))
    return client


def test_contact_with_blank_email_conforms(admin_api: APIClient) -> None:
    contact = ContactFactory(email="")
    body = admin_api.get(f"/api/contacts/{contact.pk}/").json()
    assert body["email"] == ""
    assert_conforms(body, "Contact")


@pytest.mark.parametrize("reported", [False, True], ids=["established", "reported"])
def test_a_partial_update_of_a_party_answers_its_whole_schema(
    reported: bool, make_user: Callable[..., User]
) -> None:
    """``reported_by`` is in the answer of a PATCH too, null for a party nobody reported."""
    holder = PartyFactory(code="B")
    party = PartyFactory(
        code="P1", **({"review": "unverified", "reported_by": holder} if reported else {})
    )
    client = APIClient()
    client.force_authenticate(make_user(Role.QA_RA_MANAGER))
    answer = client.patch(f"/api/parties/{party.pk}/", {"notes": "checked"}, format="json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["reported_by"] == ("B" if reported else None)
    assert_conforms(answer.json(), "Party")


def test_contact_email_must_still_be_an_address_when_given() -> None:
    with pytest.raises(jsonschema.ValidationError):
        assert_conforms({"id": 1, "party": 1, "name": "x", "email": "not an address"}, "Contact")


def test_recall_without_effectiveness_level_conforms(admin_api: APIClient, manager: User) -> None:
    opened = recalls.recall_open(
        actor=manager,
        title="Tip",
        products=[DeviceModelFactory()],
        reason="tip",
        regimes=["nmpa"],
        decision_at=datetime(2025, 3, 1, tzinfo=UTC),
    )
    body = admin_api.get(f"/api/recalls/{opened.pk}/").json()
    assert body["effectiveness_level"] == ""
    assert_conforms(body, "Recall")


def test_work_order_units_conform(recall: RecallCase, manager: User) -> None:  # noqa: F811
    partner_setup()
    admin_api = APIClient()
    admin_api.force_authenticate(User.objects.create_superuser("root", "root@example.com", "pw"))
    order = execution.work_order_create(
        recall=recall, party=Party.objects.get(code="HOSP"), action="inspection", actor=manager
    )
    page = admin_api.get("/api/execution/work-orders/").json()
    [body] = [row for row in page["results"] if row["id"] == order.pk]
    units = list(order.units.order_by("pk"))
    assert body["units"] == [
        {"id": u.pk, "lot": "C1", "serial": None, "quantity": u.quantity, "result": "pending"}
        for u in units
    ]
    assert units
    assert_conforms(body, "WorkOrder")


def test_customer_timeline_conforms(admin_api: APIClient, pump_recall: RecallCase) -> None:  # noqa: F811
    party = Party.objects.get(code="HOSP")
    body = admin_api.get(f"/api/customers/{party.pk}/timeline/").json()
    assert body["party"]["code"] == "HOSP"
    assert_conforms(body, "Timeline")
