"""The forecast reads a fixed number of queries whatever the number of work orders, providers,
returns, regions and device models: the query count for a recall with one of each equals the
count with many more."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from medrecall.accounts.models import User
from medrecall.execution import fieldwork, returns
from medrecall.execution.models import ServiceProvider
from medrecall.finance import forecast
from medrecall.finance.models import DispositionCost, ProviderRate
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from tests.execution.conftest import approve, open_recall, world  # noqa: F401

pytestmark = pytest.mark.django_db
LAST: list[dict[str, str]] = []


@pytest.fixture
def recall(world: object, manager: User, make_user: Callable[..., User]) -> RecallCase:  # noqa: F811
    return approve(open_recall(manager), make_user)


def provider_with_rate(n: int, recall: RecallCase) -> ServiceProvider:
    provider = ServiceProvider.objects.create(
        name=f"服务队 {n}",
        party=Party.objects.get(code="OWN"),
        skills=["inspection"],
        latitude=Decimal("23.0000") + n,
        longitude=Decimal("113.0000"),
    )
    provider.device_models.add(recall.products.get())
    ProviderRate.objects.create(
        provider=provider,
        hourly_rate=Decimal("20.00") + n,
        hours_per_work_order=Decimal("2.00"),
        per_km=Decimal("0.50"),
        currency="CNY",
    )
    return provider


def counted(recall: RecallCase) -> tuple[int, Decimal]:
    with CaptureQueriesContext(connection) as queries:
        found = forecast.recall_forecast(recall)
    LAST[:] = queries.captured_queries
    return len(queries), found.total


def test_the_forecast_keeps_its_query_count_as_the_recall_grows(
    recall: RecallCase, manager: User
) -> None:
    DispositionCost.objects.create(kind="destroy", unit_cost=Decimal("12.50"), currency="CNY")
    provider_with_rate(0, recall)
    fieldwork.work_order_create(
        recall=recall, party=Party.objects.get(code="DIST"), action="inspection", actor=manager
    )
    small, small_total = counted(recall)
    for n in range(1, 6):
        provider_with_rate(n, recall)
    returns.return_create(recall=recall, party=Party.objects.get(code="HOSP"), actor=manager)
    for code in ("HOSP", "DIST"):
        fieldwork.work_order_create(
            recall=recall, party=Party.objects.get(code=code), action="inspection", actor=manager
        )
    large, large_total = counted(recall)
    assert large_total > small_total  # more to forecast, read in the same queries
    # One statement per kind of figure (budget, policy, ledger, scope, dispositions, returns,
    # regions, carrier rates, work orders, provider rates, names): never one per row. The small
    # recall reads 21; the larger one reads no more (steps with nothing to price are skipped).
    assert small == 21, "\n".join(q["sql"][:160] for q in LAST)
    assert large <= small, "\n".join(q["sql"][:160] for q in LAST)
