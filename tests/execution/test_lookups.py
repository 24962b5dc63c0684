"""Look-ups by natural key within a recall (``execution.selectors``): each answers the record or
refuses with ``NotFound`` naming what was looked for and the key; the API, the pages and the
command line all call these."""

from __future__ import annotations

from typing import Any

import pytest

from medrecall.accounts.models import User
from medrecall.catalog.models import Lot, Serial
from medrecall.core.errors import NotFound
from medrecall.execution import selectors, services
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from tests.execution.test_fieldwork import partner_setup
from tests.factories import LotFactory, PartyFactory

pytestmark = pytest.mark.django_db


def test_units_in_recall_finds_lots_and_serials_of_the_recall_in_two_queries(
    pump_recall: RecallCase, django_assert_num_queries: Any
) -> None:
    lot = Lot.objects.get(number="P-L1")
    with django_assert_num_queries(2):  # lots of the recall's device models, serials
        found = selectors.units_in_recall(
            recall=pump_recall,
            units=[("P-L1", "PS-002"), ("P-L1", ""), ("P-L1", "PS-001")],
        )
    assert [(f[0].pk, f[1].serial if f[1] else None) for f in found] == [
        (lot.pk, "PS-002"),
        (lot.pk, None),
        (lot.pk, "PS-001"),
    ]


def test_units_in_recall_runs_the_same_queries_for_one_unit_and_many(
    pump_recall: RecallCase, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(2):
        selectors.units_in_recall(recall=pump_recall, units=[("P-L1", "PS-001")])
    with django_assert_num_queries(2):
        selectors.units_in_recall(
            recall=pump_recall, units=[("P-L1", s) for s in ("PS-001", "PS-002", "PS-003")]
        )


def test_a_lot_of_a_device_model_outside_the_recall_is_not_found(recall: RecallCase) -> None:
    assert Lot.objects.filter(number="P-L1").exists()  # the pump's lot: not in this recall
    with pytest.raises(NotFound) as missing:
        selectors.unit_in_recall(recall=recall, lot="P-L1")
    assert (type(missing.value), missing.value.code, missing.value.status) == (
        NotFound,
        "not_found",
        404,
    )
    assert (missing.value.message, missing.value.where) == (
        "No lot P-L1 of this recall's device models.",
        "lot",
    )


def test_a_serial_not_in_the_lot_is_not_found(pump_recall: RecallCase) -> None:
    other = LotFactory(device_model=Lot.objects.get(number="P-L1").device_model, number="P-L2")
    Serial.objects.create(device_model=other.device_model, lot=other, serial="PS-900")
    with pytest.raises(NotFound) as missing:
        selectors.units_in_recall(
            recall=pump_recall, units=[("P-L1", "PS-001"), ("P-L1", "PS-900")], where="lines"
        )
    assert (missing.value.message, missing.value.where) == (
        "Lot P-L1 has no serial PS-900.",
        "lines",
    )


def test_where_two_device_models_of_the_recall_share_a_lot_number_the_first_by_model_code_is_meant(
    recall: RecallCase,
) -> None:
    catheter = recall.products.get()
    twin = LotFactory(number="C1", device_model__model_code="AAA")
    recall.products.add(twin.device_model)
    lot, serial = selectors.unit_in_recall(recall=recall, lot="C1")
    assert (lot.pk, serial) == (twin.pk, None)
    recall.products.remove(twin.device_model)
    assert selectors.unit_in_recall(recall=recall, lot="C1")[0].device_model == catheter


def test_held_unit_answers_the_ids_of_the_recalls_holds(pump_recall: RecallCase) -> None:
    held = pump_recall.holds.select_related("lot", "serial").filter(serial__isnull=False).first()
    assert held is not None
    assert selectors.held_unit(recall=pump_recall) == (None, None)
    assert selectors.held_unit(recall=pump_recall, lot="P-L1", serial=held.serial.serial) == (
        held.lot_id,
        held.serial_id,
    )


@pytest.mark.parametrize(
    ("lot", "serial", "message", "where"),
    [
        ("C9", "", "No hold of this recall is on lot C9.", "lot"),
        ("P-L1", "PS-999", "No hold of this recall is on serial PS-999.", "serial"),
    ],
)
def test_held_unit_refuses_a_unit_no_hold_is_on(
    pump_recall: RecallCase, lot: str, serial: str, message: str, where: str
) -> None:
    with pytest.raises(NotFound) as missing:
        selectors.held_unit(recall=pump_recall, lot=lot, serial=serial)
    assert (missing.value.message, missing.value.where) == (message, where)


def test_return_numbered_for_finds_any_case_and_hides_other_parties_returns(
    recall: RecallCase, manager: User, make_user: Any
) -> None:
    ra = services.return_create(recall=recall, party=Party.objects.get(code="HOSP"), actor=manager)
    assert selectors.return_numbered_for(viewer=manager, number=ra.number.lower()) == ra
    other = make_user("portal", party=PartyFactory(code="ELSE", party_type="hospital"))
    with pytest.raises(NotFound) as missing:
        selectors.return_numbered_for(viewer=other, number=ra.number)
    assert (missing.value.message, missing.value.where) == (f"No return {ra.number}.", "number")


def test_work_order_unit_refuses_a_unit_of_another_order(recall: RecallCase, manager: User) -> None:
    hosp = Party.objects.get(code="HOSP")
    partner_setup()
    order = services.work_order_create(
        recall=recall, party=hosp, action="inspection", actor=manager
    )
    unit = order.units.first()
    assert unit is not None
    assert selectors.work_order_unit(order=order, pk=unit.pk) == unit
    with pytest.raises(NotFound) as missing:
        selectors.work_order_unit(order=order, pk=unit.pk + 1000)
    assert (missing.value.message, missing.value.where) == (
        f"Work order {order.number} has no unit {unit.pk + 1000}.",
        "unit",
    )
