"""The forecast of a recall's cost equals a hand computation on a small recall, says what is
missing instead of counting it as zero, and is computed with a constant number of queries."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.execution import fieldwork, returns
from medrecall.execution.models import ServiceProvider
from medrecall.finance import budgets, forecast, ledger
from medrecall.finance.ledger import CostLine
from medrecall.finance.models import DispositionCost, ProviderRate
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from tests.execution.conftest import approve, open_recall, world  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance(make_user: Callable[..., User]) -> User:
    return make_user(Role.FINANCE)


@pytest.fixture
def recall(world: object, manager: User, make_user: Callable[..., User]) -> RecallCase:  # noqa: F811
    """Catheter lot C1: 400 units in our stock (FAC), 350 at distributor D1, 50 + 50 in transit
    at S1, 70 at hospital H1, 50 in transit to H2 (970 in all, every holder in CN-GD)."""
    return approve(open_recall(manager), make_user)


def hospital_return_and_distributor_work_order(recall: RecallCase, manager: User) -> None:
    """A return authorised at hospital H1 (70 units, 35 kg: SF, 20 + 8 × 35 = 300.00 CNY) and
    an inspection work order at distributor D1 (the provider 30.6 km away)."""
    returns.return_create(recall=recall, party=Party.objects.get(code="HOSP"), actor=manager)
    provider = ServiceProvider.objects.create(
        name="广州服务队",
        party=Party.objects.get(code="OWN"),
        skills=["inspection"],
        latitude=Decimal("23.0000"),
        longitude=Decimal("113.0000"),
    )
    provider.device_models.add(recall.products.get())
    order = fieldwork.work_order_create(
        recall=recall, party=Party.objects.get(code="DIST"), action="inspection", actor=manager
    )
    assert (order.provider, order.distance_km) == (provider, Decimal("30.6"))
    ProviderRate.objects.create(
        provider=provider,
        hourly_rate=Decimal("20.00"),
        hours_per_work_order=Decimal("2.50"),
        per_km=Decimal("0.50"),
        currency="USD",
    )


def test_the_forecast_equals_the_hand_computation(
    recall: RecallCase, manager: User, finance: User
) -> None:
    today = timezone.localdate()
    hospital_return_and_distributor_work_order(recall, manager)
    DispositionCost.objects.create(kind="destroy", unit_cost=Decimal("12.50"), currency="CNY")
    ledger.rate_set(actor=finance, currency="USD", rate_on=today - timedelta(days=3), rate="7.10")
    ledger.rate_set(actor=finance, currency="USD", rate_on=today + timedelta(days=1), rate="7.30")
    budgets.budget_set(actor=finance, recall=recall, total="20000", planned_disposition="destroy")
    for category, amount in (("logistics", "100.00"), ("communication", "50.00")):
        line = CostLine(category=category, amount=amount, currency="CNY", incurred_on=today)
        ledger.cost_post(actor=finance, recall=recall, line=line)

    found = forecast.recall_forecast(recall)

    # Dispositions: no disposition decided, the budget plans destruction for all 970 units:
    #   970 × 12.50 = 12,125.00 (destruction)
    # Returns authorised, not picked up: H1's expected cost 20 + 8 × 35 kg = 300.00
    # Returns still to ship from CN-GD: D1 350, S1 100, H2 50 = 500 units in 3 shipments; the
    #   cheapest carrier for the region is DB: 3 × 30 + 500 × 0.5 kg × 2 = 590.00
    #   (SF would be 3 × 20 + 500 × 0.5 × 8 = 2,060.00)
    # Labour: 1 open work order × 2.5 h × 20 USD + 2 × 30.6 km × 0.50 USD = 80.60 USD,
    #   at the last USD rate on or before today (7.10, not tomorrow's 7.30) = 572.26
    # Actual: 100.00 + 50.00 = 150.00
    # Forecast: 150.00 + 12,125.00 + 300.00 + 590.00 + 572.26 = 13,737.26
    assert [(t.category, t.quantity, t.amount) for t in found.terms] == [
        ("destruction", 970, Decimal("12125.00")),
        ("logistics", 1, Decimal("300.00")),
        ("logistics", 3, Decimal("590.00")),
        ("labour", 1, Decimal("572.26")),
    ]
    assert (found.actual, found.remaining, found.total, found.complete) == (
        Decimal("150.00"),
        Decimal("13587.26"),
        Decimal("13737.26"),
        True,
    )
    assert found.by_category() == {
        "logistics": Decimal("990.00"),
        "communication": Decimal("50.00"),
        "destruction": Decimal("12125.00"),
        "labour": Decimal("572.26"),
    }
    assert budgets.cost_against_budget(recall) == {
        "actual": Decimal("150.00"),
        "forecast": Decimal("13737.26"),
        "budget": Decimal("20000.00"),
        "currency": "CNY",
        "forecast_complete": True,
        "actual_percent": Decimal("0.8"),
        "forecast_percent": Decimal("68.7"),
    }


def test_what_has_no_rate_or_unit_cost_is_named_and_counted_as_unknown_not_zero(
    recall: RecallCase, manager: User, finance: User
) -> None:
    hospital_return_and_distributor_work_order(recall, manager)
    budgets.budget_set(actor=finance, recall=recall, total="20000", planned_disposition="repair")

    found = forecast.recall_forecast(recall)

    model = recall.products.get().name
    assert [(t.what, t.quantity, t.amount, t.missing) for t in found.unknown] == [
        (f"Repair / rework of {model}", 970, None, "no cost per unit for this path and model"),
        ("Open work orders of 广州服务队", 1, None, "no exchange rate for USD"),
    ]
    assert (found.total, found.complete) == (Decimal("890.00"), False)


def test_units_without_a_decided_or_planned_disposition_are_unknown(recall: RecallCase) -> None:
    DispositionCost.objects.create(kind="destroy", unit_cost=Decimal("12.50"), currency="CNY")

    found = forecast.recall_forecast(recall)

    assert [(t.what, t.quantity, t.missing) for t in found.unknown] == [
        (
            "Units without a disposition",
            970,
            "no disposition decided and no planned disposition in the budget",
        )
    ]
    assert found.total == Decimal("690.00")  # 4 shipments × 30 + 570 units × 0.5 kg × 2


def test_a_region_without_a_carrier_rate_is_unknown(recall: RecallCase) -> None:
    from medrecall.execution.models import CarrierRate

    CarrierRate.objects.all().delete()

    found = forecast.recall_forecast(recall)

    assert [(t.what, t.quantity, t.missing) for t in found.unknown][1:] == [
        ("Returns to ship from Guangdong", 4, "no carrier rate for this region")
    ]


def test_a_recall_without_a_frozen_scope_forecasts_its_actual_cost_and_says_why(
    manager: User,
) -> None:
    draft = RecallCase.objects.create(number="RC-2026-0900", title="草稿", owner=manager)

    found = forecast.recall_forecast(draft)

    assert (found.total, found.terms, found.notes) == (
        Decimal("0.00"),
        [],
        ["The scope is not frozen yet: nothing to forecast from."],
    )
