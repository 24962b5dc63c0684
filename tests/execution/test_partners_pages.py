"""Carriers, carrier rates and service providers on ordinary pages (list, create, edit with
form fields), the API and the command; portal users see none of them."""

from __future__ import annotations

import json
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from medrecall.accounts.roles import Role
from medrecall.audit.models import AuditEntry
from medrecall.catalog.models import DeviceModel
from medrecall.execution.models import Carrier, CarrierRate, ServiceProvider
from tests.execution.test_pages import client_for
from tests.factories import PartyFactory

pytestmark = pytest.mark.django_db


def test_carrier_and_rate_pages_create_and_edit(world: Any, manager: Any) -> None:
    client = client_for(manager)
    party = PartyFactory(code="CARRIER-LSP", party_type="carrier", country="US")
    form = client.get("/data/carrier/new/").content.decode()
    assert 'name="max_weight_kg"' in form
    assert 'name="code"' in form
    created = client.post(
        "/data/carrier/new/",
        {
            "code": "LSP",
            "name": "Lone Star Parcel",
            "party": party.pk,
            "max_weight_kg": "150",
            "is_active": "on",
        },
    )
    carrier = Carrier.objects.get(code="LSP")
    assert created["Location"] == f"/data/carrier/{carrier.pk}/"
    rate_form = client.get("/data/carrierrate/new/").content.decode()
    assert 'name="transit_days"' in rate_form
    assert 'name="currency"' in rate_form
    bad = client.post(
        "/data/carrierrate/new/",
        {
            "carrier": carrier.pk,
            "country": "Texas",
            "province_code": "",
            "base_fee": "18",
            "per_kg": "2.4",
            "currency": "USD",
            "transit_days": "2",
        },
    )
    assert bad.status_code == 200
    assert "Texas is not a known country" in bad.content.decode()
    assert CarrierRate.objects.filter(carrier=carrier).count() == 0
    wrong_state = client.post(
        "/data/carrierrate/new/",
        {
            "carrier": carrier.pk,
            "country": "US",
            "province_code": "CN-XZ",
            "base_fee": "18",
            "per_kg": "2.4",
            "currency": "USD",
            "transit_days": "2",
        },
    )
    assert "CN-XZ is not a province or state code of US" in wrong_state.content.decode()
    client.post(
        "/data/carrierrate/new/",
        {
            "carrier": carrier.pk,
            "country": "United States",
            "province_code": "us-tx",
            "base_fee": "18",
            "per_kg": "2.4",
            "currency": "usd",
            "transit_days": "2",
        },
    )
    rate = CarrierRate.objects.get(carrier=carrier)
    assert (rate.country, rate.province_code, rate.currency, rate.base_fee) == (
        "US",
        "US-TX",
        "USD",
        Decimal(18),
    )
    client.post(
        f"/data/carrierrate/{rate.pk}/edit/",
        {
            "carrier": carrier.pk,
            "country": "US",
            "province_code": "US-TX",
            "base_fee": "20",
            "per_kg": "2.40",
            "currency": "USD",
            "transit_days": "2",
            "reason": "new tariff 2027",
        },
    )
    rate.refresh_from_db()
    assert rate.base_fee == Decimal(20)
    changed = AuditEntry.objects.get(action="execution.carrierrate.changed")
    assert (set(changed.changes), changed.reason) == ({"base_fee"}, "new tariff 2027")
    listing = client.get("/data/carrier/").content.decode()
    assert "Lone Star Parcel" in listing
    detail = client.get(f"/data/carrier/{carrier.pk}/").content.decode()
    assert "US-TX" in detail


def test_service_provider_page_with_actions_and_device_models(world: Any, manager: Any) -> None:
    client = client_for(manager)
    partner = PartyFactory(code="SP-X", party_type="service_partner")
    models = list(DeviceModel.objects.order_by("model_code")[:2])
    form = client.get("/data/serviceprovider/new/").content.decode()
    assert 'type="checkbox" name="skills" value="inspection"' in form
    assert 'name="device_models"' in form
    assert "[]" not in form  # not the admin's raw JSON
    client.post(
        "/data/serviceprovider/new/",
        {
            "name": "Field team X",
            "party": partner.pk,
            "skills": ["inspection", "part_swap"],
            "device_models": [m.pk for m in models],
            "capacity": "8",
            "latitude": "31.2",
            "longitude": "121.4",
            "is_active": "on",
        },
    )
    provider = ServiceProvider.objects.get(name="Field team X")
    assert (provider.skills, sorted(provider.device_models.values_list("pk", flat=True))) == (
        ["inspection", "part_swap"],
        sorted(m.pk for m in models),
    )
    qualified = AuditEntry.objects.get(action="execution.serviceprovider.qualified")
    assert qualified.changes == {"device_models": [[], sorted(m.model_code for m in models)]}
    detail = client.get(f"/data/serviceprovider/{provider.pk}/").content.decode()
    assert "Inspection, Part swap" in detail
    assert models[0].model_code in detail


@pytest.mark.parametrize("url", ["/data/carrier/", "/data/carrierrate/", "/data/serviceprovider/"])
def test_roles_without_the_permission_get_no_set_up_pages(
    world: Any, make_user: Any, url: str
) -> None:
    assert client_for(make_user(Role.WAREHOUSE)).get(url).status_code == 403


def test_provider_list_page_has_a_constant_query_count(world: Any, manager: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def add(n: int) -> None:
        provider = ServiceProvider.objects.create(
            name=f"P{n}",
            party=PartyFactory(party_type="service_partner"),
            skills=["inspection"],
            latitude=1,
            longitude=1,
        )
        provider.device_models.set(DeviceModel.objects.all())

    client = client_for(manager)
    add(0)
    client.get("/data/serviceprovider/")
    with CaptureQueriesContext(connection) as one:
        client.get("/data/serviceprovider/")
    for n in range(1, 6):
        add(n)
    with CaptureQueriesContext(connection) as six:
        assert (
            client.get("/data/serviceprovider/").content.decode().count("/data/serviceprovider/")
            >= 6
        )
    assert len(six) == len(one)


def test_api_lists_creates_and_changes_carriers_rates_and_providers(
    world: Any, manager: Any, api_as: Any, make_user: Any
) -> None:
    client = api_as(manager)
    party = PartyFactory(code="CARRIER-RHX", party_type="carrier", country="DE")
    made = client.post(
        "/api/execution/carriers/",
        {"code": "RHX", "name": "Rheinpaket", "party": party.pk},
        format="json",
    )
    assert made.status_code == 201, made.json()
    rate = client.post(
        "/api/execution/carrier-rates/",
        {
            "carrier": made.json()["id"],
            "country": "Germany",
            "base_fee": "14",
            "per_kg": "1.8",
            "currency": "eur",
            "transit_days": 1,
        },
        format="json",
    )
    assert rate.status_code == 201, rate.json()
    assert (rate.json()["country"], rate.json()["currency"]) == ("DE", "EUR")
    bad = client.post(
        "/api/execution/carrier-rates/",
        {
            "carrier": made.json()["id"],
            "country": "Atlantis",
            "base_fee": "1",
            "per_kg": "1",
            "currency": "EUR",
            "transit_days": 1,
        },
        format="json",
    )
    assert bad.status_code == 400
    codes = [c["code"] for c in client.get("/api/execution/carriers/").json()["results"]]
    assert codes == ["DB", "RHX", "SF"]
    models = list(DeviceModel.objects.order_by("model_code").values_list("pk", flat=True)[:1])
    provider = client.post(
        "/api/execution/service-providers/",
        {
            "name": "Team Köln",
            "party": PartyFactory(party_type="service_partner").pk,
            "skills": ["inspection"],
            "device_models": models,
            "latitude": "50.9",
            "longitude": "6.9",
        },
        format="json",
    )
    assert provider.status_code == 201, provider.json()
    unknown = client.post(
        "/api/execution/service-providers/",
        {
            "name": "Team Bonn",
            "party": PartyFactory(party_type="service_partner").pk,
            "skills": ["teleport"],
            "device_models": models,
            "latitude": "50.7",
            "longitude": "7.1",
        },
        format="json",
    )
    assert unknown.status_code == 400
    pk = provider.json()["id"]
    changed = client.patch(
        f"/api/execution/service-providers/{pk}/",
        {"capacity": 9, "device_models": []},
        format="json",
    )
    assert (changed.status_code, changed.json()["capacity"], changed.json()["device_models"]) == (
        200,
        9,
        [],
    )
    assert AuditEntry.objects.filter(action="execution.serviceprovider.qualified").count() == 2
    assert (
        api_as(make_user(Role.WAREHOUSE))
        .post(
            "/api/execution/carriers/", {"code": "X", "name": "X", "party": party.pk}, format="json"
        )
        .status_code
        == 403
    )


def test_cli_lists_and_adds_carriers_rates_and_providers(world: Any, manager: Any) -> None:
    def run(*args: str) -> Any:
        out = StringIO()
        call_command("execution", *args, "--json", stdout=out)
        return json.loads(out.getvalue())

    PartyFactory(code="CARRIER-MLC", party_type="carrier", country="SG")
    user = ["--user", manager.username]
    assert [c["code"] for c in run("carriers", "list")["carriers"]] == ["DB", "SF"]
    run("carriers", "add", "MLC", "--name", "Merlion Courier", "--party", "CARRIER-MLC", *user)
    added = run(
        "rates",
        "add",
        "MLC",
        "--country",
        "SG",
        "--base-fee",
        "12",
        "--per-kg",
        "1.5",
        "--currency",
        "SGD",
        "--transit-days",
        "1",
        *user,
    )
    assert (added["country"], added["base_fee"], added["transit_days"]) == ("SG", "12.00", 1)
    assert [(r["carrier"], r["country"]) for r in run("rates", "list", "MLC")["rates"]] == [
        ("MLC", "SG")
    ]
    partner = PartyFactory(code="SP-SIN", party_type="service_partner")
    provider = run(
        "providers",
        "add",
        "--name",
        "Team Singapore",
        "--party",
        partner.code,
        "--skill",
        "inspection",
        "--device-model",
        DeviceModel.objects.order_by("model_code").first().model_code,  # type: ignore[union-attr]
        "--latitude",
        "1.29",
        "--longitude",
        "103.85",
        *user,
    )
    assert (provider["name"], provider["skills"]) == ("Team Singapore", ["inspection"])
    assert [p["name"] for p in run("providers", "list")["providers"]] == ["Team Singapore"]
