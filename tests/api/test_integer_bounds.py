"""Integers beyond their column (32-bit on PostgreSQL, 64-bit on SQLite) are refused with 400 naming
the field and the range, the same on both databases; nothing is written. Run on both."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.audit.models import AuditEntry
from medrecall.catalog.forms import DeviceModelForm, LotForm
from medrecall.catalog.models import Lot
from medrecall.execution.forms import CarrierRateForm
from tests.factories import DeviceModelFactory, LotFactory

pytestmark = pytest.mark.django_db

BEYOND_64 = 2**70
BEYOND_32 = 2**40
ID_RANGE = "Enter a whole number from 1 to 9223372036854775807."


@pytest.fixture
def admin_api(make_user: Callable[..., User]) -> APIClient:
    client = APIClient()
    client.force_authenticate(make_user(Role.ADMINISTRATOR))
    return client


@pytest.mark.parametrize(
    ("url", "field"),
    [
        pytest.param(f"/api/notices/?recall={BEYOND_64}", "recall", id="notices-recall"),
        pytest.param("/api/notices/?recall=²", "recall", id="notices-recall-superscript"),
        pytest.param(f"/api/offers/?party={BEYOND_64}", "party", id="offers-party"),
        pytest.param(f"/api/events/?serial={BEYOND_64}", "serial", id="events-serial"),
        pytest.param(
            f"/api/lots/?device_model={BEYOND_64}", "device_model", id="filterset-foreign-key"
        ),
        pytest.param(f"/api/positions/?location={BEYOND_64}", "location", id="positions-location"),
        pytest.param("/api/lots/?device_model=-3", "device_model", id="negative-id"),
    ],
)
def test_query_integers_beyond_range_are_400(url: str, field: str, admin_api: APIClient) -> None:
    response = admin_api.get(url)
    assert response.status_code == 400, response.content
    assert response.json()["message"] == f"{field}: {ID_RANGE}"
    assert response.json()["errors"] == {field: [ID_RANGE]}


def test_returns_recall_filter_beyond_range_is_400(make_user: Callable[..., User]) -> None:
    client = APIClient()
    client.force_authenticate(
        make_user(Role.QA_RA_MANAGER)
    )  # returns are read with the view permission
    response = client.get(f"/api/execution/returns/?recall={BEYOND_64}")
    assert response.status_code == 400, response.content
    assert response.json()["errors"] == {"recall": [ID_RANGE]}


def test_calendar_year_filter_names_its_range(admin_api: APIClient) -> None:
    response = admin_api.get(f"/api/calendar/entries/?year={BEYOND_32}")
    assert response.status_code == 400
    assert response.json()["message"] == "year: Enter a whole number from 1900 to 2200."


@pytest.mark.parametrize("value", [BEYOND_32, BEYOND_64, -1])
def test_lot_quantity_beyond_its_32_bit_column_is_400_and_unchanged(
    value: int, admin_api: APIClient
) -> None:
    lot = LotFactory(quantity_produced=1000)
    response = admin_api.patch(f"/api/lots/{lot.pk}/", {"quantity_produced": value}, format="json")
    assert response.status_code == 400, response.content
    assert (
        response.json()["message"]
        == "Quantity produced: Enter a whole number from 0 to 2147483647."
    )
    lot.refresh_from_db()
    assert lot.quantity_produced == 1000
    assert not AuditEntry.objects.filter(action="catalog.lot").exists()


def test_lot_quantity_at_the_top_of_its_range_is_stored(admin_api: APIClient) -> None:
    lot = LotFactory(quantity_produced=1000)
    response = admin_api.patch(
        f"/api/lots/{lot.pk}/", {"quantity_produced": 2**31 - 1}, format="json"
    )
    assert response.status_code == 200, response.content
    assert Lot.objects.get(pk=lot.pk).quantity_produced == 2**31 - 1


@pytest.mark.parametrize(
    ("url", "body", "message"),
    [
        pytest.param(
            "/api/offers/",
            {
                "recall": 1,
                "party": "P",
                "kind": "credit",
                "description": "x",
                "quantity": BEYOND_32,
            },
            "Quantity: Enter a whole number from 0 to 2147483647.",
            id="offer-quantity",
        ),
        pytest.param(
            "/api/device-models/",
            {
                "udi_di": "12345678901231",
                "model_code": "M1",
                "name": "泵",
                "tracking": "serial",
                "expected_lifetime_years": 40000,
            },
            "Expected lifetime (years): Enter a whole number from 0 to 32767.",
            id="small-integer-column",
        ),
    ],
)
def test_body_integers_beyond_range_are_400(
    url: str, body: dict[str, Any], message: str, admin_api: APIClient
) -> None:
    response = admin_api.post(url, body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["message"] == message


def test_work_order_recall_id_beyond_range_is_400(make_user: Callable[..., User]) -> None:
    client = APIClient()
    client.force_authenticate(
        make_user(Role.QA_RA_MANAGER)
    )  # may create work orders (the administrator may not)
    response = client.post(
        "/api/execution/work-orders/",
        {"recall": BEYOND_64, "holder": "H", "action": "inspection"},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert response.json()["message"] == f"Recall: {ID_RANGE}"


def test_every_writable_integer_in_the_schema_is_bounded() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    unbounded = []
    requests = {
        name: c for name, c in schema["components"]["schemas"].items() if name.endswith("Request")
    }
    assert len(requests) > 40
    for name, component in requests.items():
        for prop, spec in component.get("properties", {}).items():
            if (
                spec.get("type") == "integer"
                and not spec.get("readOnly")
                and ("minimum" not in spec or "maximum" not in spec)
            ):
                unbounded.append(f"{name}.{prop}")
    assert unbounded == []


def test_lot_form_refuses_a_quantity_beyond_its_column() -> None:
    model = DeviceModelFactory()
    form = LotForm(
        data={"device_model": model.pk, "number": "L1", "quantity_produced": str(BEYOND_32)}
    )
    assert not form.is_valid()
    assert form.errors == {"quantity_produced": ["Enter a whole number from 0 to 2147483647."]}
    assert form.fields["quantity_produced"].widget.attrs["max"] == 2147483647


@pytest.mark.parametrize(
    ("form_class", "data", "field", "message"),
    [
        pytest.param(
            DeviceModelForm,
            {"expected_lifetime_years": "40000"},
            "expected_lifetime_years",
            "Enter a whole number from 0 to 32767.",
            id="device-model-lifetime",
        ),
        pytest.param(
            CarrierRateForm,
            {"transit_days": str(BEYOND_64)},
            "transit_days",
            "Enter a whole number from 0 to 32767.",
            id="carrier-rate-transit-days",
        ),
    ],
)
def test_forms_bound_their_integers(
    form_class: Any, data: dict[str, str], field: str, message: str
) -> None:
    form = form_class(data=data)
    assert not form.is_valid()
    assert form.errors[field] == [message]


def test_range_message_in_chinese(admin_api: APIClient) -> None:
    response = admin_api.get(f"/api/notices/?recall={BEYOND_64}", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    assert response.json()["message"] == "recall：请输入 1 到 9223372036854775807 之间的整数。"
