"""The traceability context's named errors (``traceability.errors``): a serial asked about with
a lot it does not belong to is ``SerialNotInLot`` wherever the unit is resolved."""

from __future__ import annotations

from typing import Any, cast

import pytest

from medrecall.accounts.models import User
from medrecall.catalog.models import Serial
from medrecall.traceability import errors, selectors, services, trace_sets
from tests.factories import SerialFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def serial() -> Serial:
    return cast(
        Serial,
        SerialFactory(serial="SN1", lot__number="L1", lot__device_model__udi_di="06950000000026"),
    )


@pytest.mark.parametrize("resolve", ["resolve_unit", "resolve_unit_for"])
def test_a_serial_with_another_lot_is_serial_not_in_lot(
    serial: Serial, manager: User, resolve: str
) -> None:
    kwargs: dict[str, Any] = {"gtin": "06950000000026", "lot": "L9", "serial": "SN1"}
    if resolve == "resolve_unit_for":
        kwargs["viewer"] = manager
    with pytest.raises(errors.SerialNotInLot) as refused:
        getattr(selectors, resolve)(**kwargs)
    assert (type(refused.value), refused.value.code, refused.value.status) == (
        errors.SerialNotInLot,
        "serial_not_in_lot",
        400,
    )
    assert refused.value.as_dict() == {
        "code": "serial_not_in_lot",
        "message": "Serial SN1 belongs to lot L1, not L9.",
        "where": "lot",
    }


def test_the_serial_in_its_own_lot_is_resolved(serial: Serial) -> None:
    _model, lot, found = selectors.resolve_unit(gtin="06950000000026", lot="L1", serial="SN1")
    assert (lot.number, found) == ("L1", serial)


def test_the_modules_that_raised_them_name_the_same_classes() -> None:
    assert (services.CustodyRefused, trace_sets.TraceSetRejected) == (
        errors.CustodyRefused,
        errors.TraceSetRejected,
    )
