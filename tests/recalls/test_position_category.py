"""The scope snapshot and the trace summary put every unit in the same category: for each party
type × location type, received in full or partly still in transit, a recall's frozen lines
(and its impact) and the forward trace of the same lot say the same thing."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from medrecall.catalog.models import DeviceModel, Lot
from medrecall.parties.models import LocationType, PartyType
from medrecall.recalls import services
from medrecall.recalls.models import AffectedLine
from medrecall.recalls.selectors import impact_of
from medrecall.traceability.selectors import trace_forward_lots
from tests.factories import DeviceModelFactory, LocationFactory, PartyFactory
from tests.traceability.scenario import run_events

pytestmark = pytest.mark.django_db

GTIN = "06950000000019"


def expected_category(party_type: str, location_type: str) -> str:
    if party_type == PartyType.OWN_SITE:
        return "quarantine" if location_type == LocationType.QUARANTINE else "own_stock"
    return "at_distributors" if party_type == PartyType.DISTRIBUTOR else "at_customers"


def _nonzero(counts: dict[str, int]) -> dict[str, int]:
    return {category: units for category, units in counts.items() if units}


def _world(tmp_path: Path, party_type: str) -> dict[str, tuple[str, bool]]:
    """One lot per location type of a party of ``party_type``, and transit: 10 shipped from our
    factory, all 10 received, or 6 received and 4 still on the way. Lot number → (location
    type, in transit)."""
    LocationFactory(code="FAC", party=PartyFactory(code="OWN", party_type="own_site"))
    holder = PartyFactory(code="HOLDER", party_type=party_type)
    DeviceModelFactory(udi_di=GTIN, model_code="CATH", tracking="lot")
    lots: dict[str, tuple[str, bool]] = {}
    events = []
    for n, location_type in enumerate(LocationType.values):
        LocationFactory(code=f"L{n}", party=holder, location_type=location_type)
        for in_transit in (False, True):
            lot = f"LOT{n}{'T' if in_transit else 'R'}"
            lots[lot] = (location_type, in_transit)
            events += [
                f"{lot}-P,produced,2025-01-10T08:00:00+08:00,{GTIN},{lot},,10,,FAC,WO-{lot},2025-01-10,2028-01-09,,",
                f"{lot}-S,shipped,2025-01-12T08:00:00+08:00,{GTIN},{lot},,10,FAC,L{n},DN-{lot},,,,",
                f"{lot}-R,received,2025-01-13T08:00:00+08:00,{GTIN},{lot},,{6 if in_transit else 10},FAC,L{n},DN-{lot},,,,",
            ]
    assert run_events(tmp_path, "\n".join(events) + "\n").accepted
    return lots


@pytest.mark.parametrize("party_type", PartyType.values)
def test_scope_snapshot_and_trace_summary_agree_on_every_category(
    tmp_path: Path, manager: Any, party_type: str
) -> None:
    lots = _world(tmp_path, party_type)
    catheter = DeviceModel.objects.get(udi_di=GTIN)
    recall = services.recall_open(actor=manager, title="t", products=[catheter])
    services.scope_rule_add(
        recall=recall, actor=manager, kind="lots", device_model=catheter, values=list(lots)
    )
    snapshot = services.scope_freeze(recall=recall, actor=manager)
    frozen: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for number, category, on_hand, in_transit in AffectedLine.objects.filter(
        snapshot=snapshot
    ).values_list("lot__number", "category", "on_hand", "in_transit"):
        frozen[number][category] += on_hand
        frozen[number]["in_transit"] += in_transit
    lot_ids = dict(Lot.objects.values_list("number", "pk"))
    for number, (location_type, in_transit) in lots.items():
        category = expected_category(party_type, location_type)
        expected = {category: 6, "in_transit": 4} if in_transit else {category: 10}
        traced = trace_forward_lots([lot_ids[number]]).summary
        assert (number, _nonzero(frozen[number]), _nonzero(traced)) == (
            number,
            expected,
            expected,
        )
    whole_trace = trace_forward_lots(sorted(lot_ids.values())).summary
    assert impact_of(snapshot).by_category == _nonzero(whole_trace)
