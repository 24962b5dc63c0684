"""Re-scoping a recall in execution: the new baseline keeps every unit already handled
(returned, received, dispositioned), so the unit accounting still balances."""

from __future__ import annotations

from typing import Any

import pytest

from medrecall.catalog.models import DeviceModel, Lot, Serial
from medrecall.execution import services
from medrecall.execution.selectors import recall_accounting
from medrecall.parties.models import Party
from medrecall.recalls import services as recall_services
from medrecall.recalls.models import RecallCase
from tests.execution.conftest import approve, loc, open_recall
from tests.traceability.scenario import PUMP

pytestmark = pytest.mark.django_db


def totals(recall: RecallCase) -> dict[str, int]:
    return {k: v for k, v in recall_accounting(recall).total.as_dict().items() if k != "lot" and v}


def test_rescope_after_destruction_keeps_the_destroyed_units(
    recall: RecallCase, manager: Any, warehouse_user: Any
) -> None:
    ra = services.return_create(recall=recall, party=Party.objects.get(code="HOSP"), actor=manager)
    services.return_receive(
        ra=ra, actor=warehouse_user, barcode="010695000000001910C1", quantity=10
    )
    c1 = Lot.objects.get(number="C1")
    d = services.disposition_create(
        recall=recall,
        kind="destroy",
        lot=c1,
        quantity=4,
        actor=warehouse_user,
        location=loc("QUAR"),
    )
    services.disposition_complete(
        disposition=d,
        actor=warehouse_user,
        method="Incineration",
        place="Suzhou",
        performed_by="Veolia",
        witnesses=["QA"],
    )
    before = {
        "affected": 970,
        "at_holders": 460,
        "own_stock": 400,
        "in_transit": 100,
        "in_quarantine": 6,
        "dispositioned": 4,
    }
    assert totals(recall) == before
    previous = recall.current_snapshot

    snapshot = recall_services.scope_freeze(recall=recall, actor=manager)

    assert snapshot.sequence == 2
    assert snapshot.total_units == 970
    assert totals(recall) == before
    assert recall_accounting(recall).balanced
    kept = list(
        snapshot.lines.filter(category="dispositioned").values_list("location__code", "on_hand")
    )
    assert kept == [("QUAR", 4)]
    assert recall_services.snapshot_difference(previous, snapshot) == {
        "units_added": 10,
        "units_removed": 10,
        "lines_added": 1,
        "lines_removed": 1,
        "holders_added": [],
        "holders_removed": [],
    }


def test_rescope_that_narrows_keeps_a_destroyed_serial(
    world: object, manager: Any, make_user: Any, warehouse_user: Any
) -> None:
    recall = approve(
        open_recall(manager, gtin=PUMP, kind="serials", values=["PS-001", "PS-002"]), make_user
    )
    ra = services.return_create(recall=recall, party=Party.objects.get(code="HOSP"), actor=manager)
    services.return_receive(ra=ra, actor=warehouse_user, barcode="010695000000002621PS-001")
    unit = Serial.objects.get(serial="PS-001")
    d = services.disposition_create(
        recall=recall,
        kind="destroy",
        lot=unit.lot,
        serial=unit,
        actor=warehouse_user,
        location=loc("QUAR"),
    )
    services.disposition_complete(
        disposition=d,
        actor=warehouse_user,
        method="Shredding",
        place="Suzhou",
        performed_by="Veolia",
        witnesses=["QA"],
    )
    recall.scope_rules.all().delete()
    recall_services.scope_rule_add(
        recall=recall,
        actor=manager,
        kind="serials",
        device_model=DeviceModel.objects.get(udi_di=PUMP),
        values=["PS-002"],
    )

    snapshot = recall_services.scope_freeze(recall=recall, actor=manager)

    assert sorted(
        snapshot.lines.values_list("serial__serial", "location__code", "category", "on_hand")
    ) == [("PS-001", "QUAR", "dispositioned", 1), ("PS-002", "H1", "at_customers", 1)]
    assert totals(recall) == {"affected": 2, "at_holders": 1, "dispositioned": 1}
    assert recall_accounting(recall).balanced
