"""On the demo data: a recall's frozen impact reconciles exactly with the trace engine."""

from __future__ import annotations

import pytest

from medrecall.catalog.models import DeviceModel, Lot
from medrecall.cli.demo import demo_build
from medrecall.recalls import services
from medrecall.recalls.selectors import impact_of
from medrecall.traceability.selectors import trace_forward_lots

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("tracking", ["lot", "serial"])
def test_impact_matches_the_trace_on_demo_data(manager: object, tracking: str) -> None:
    summary = demo_build(seed=2026, scale=1)
    product = next(p for p in summary.products if p.tracking == tracking and p.first_lot)
    model = DeviceModel.objects.get(udi_di=product.gtin)
    lots = list(
        Lot.objects.filter(device_model=model)
        .order_by("number")
        .values_list("number", flat=True)[:3]
    )
    recall = services.recall_open(actor=manager, title="demo", products=[model], reason="r")
    services.scope_rule_add(
        recall=recall, actor=manager, kind="lots", device_model=model, values=lots
    )
    impact = impact_of(services.scope_freeze(recall=recall, actor=manager))
    trace = trace_forward_lots(
        list(Lot.objects.filter(device_model=model, number__in=lots).values_list("pk", flat=True))
    )
    assert impact.total_units == trace.total_on_hand + trace.total_in_transit
    assert impact.total_units > 0
    expected = {
        k: v
        for k, v in trace.summary.items()
        if k in ("own_stock", "quarantine", "in_transit", "at_distributors", "at_customers") and v
    }
    assert impact.by_category == expected
    assert impact.total_holders == len(
        {h.party for h in trace.holders if h.on_hand > 0 or h.in_transit > 0}
    )
