"""Execution's look-ups by the numbers and codes a user types (a disposition, a work order, a
carrier) and a return's reconciliation lines; and ``medrecall execution`` refusing each kind of
miss with the selector's message, exit status 1, nothing changed."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from medrecall.catalog.models import Lot
from medrecall.core.errors import NotFound
from medrecall.execution import selectors, services
from medrecall.execution.models import (
    Carrier,
    CarrierRate,
    Disposition,
    ReturnAuthorisation,
    ServiceProvider,
)
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from tests.execution.conftest import loc
from tests.execution.test_dispositions import received_pump
from tests.execution.test_fieldwork import partner_setup

pytestmark = pytest.mark.django_db


def test_disposition_numbered_finds_the_disposition(
    pump_recall: RecallCase, manager: Any, warehouse_user: Any
) -> None:
    unit = received_pump(pump_recall, manager, warehouse_user)
    made = services.disposition_create(
        recall=pump_recall,
        kind="release",
        lot=unit.lot,
        serial=unit,
        actor=manager,
        location=loc("QUAR"),
    )
    assert selectors.disposition_numbered(number=made.number) == made


@pytest.mark.parametrize("number", ["DSP-NOPE", ""])
def test_disposition_numbered_refuses_a_number_that_is_no_disposition(
    db: None, number: str
) -> None:
    with pytest.raises(NotFound) as missing:
        selectors.disposition_numbered(number=number)
    assert (missing.value.message, missing.value.where) == (
        f"There is no disposition {number}.",
        "number",
    )


def test_work_order_numbered_finds_the_work_order(recall: RecallCase, manager: Any) -> None:
    partner_setup()
    order = services.work_order_create(
        recall=recall, party=Party.objects.get(code="HOSP"), action="inspection", actor=manager
    )
    assert selectors.work_order_numbered(number=order.number) == order


@pytest.mark.parametrize("number", ["WO-NOPE", ""])
def test_work_order_numbered_refuses_a_number_that_is_no_work_order(db: None, number: str) -> None:
    with pytest.raises(NotFound) as missing:
        selectors.work_order_numbered(number=number)
    assert (missing.value.message, missing.value.where) == (
        f"There is no work order {number}.",
        "number",
    )


def test_carrier_coded_finds_the_carrier_by_its_exact_code(world: object) -> None:
    assert selectors.carrier_coded(code="SF") == Carrier.objects.get(code="SF")
    with pytest.raises(NotFound) as missing:
        selectors.carrier_coded(code="sf", where="carrier_code")
    assert (missing.value.message, missing.value.where) == (
        "There is no carrier with code sf.",
        "carrier_code",
    )


def test_return_lines_are_the_reconciliation_as_rows(recall: RecallCase, manager: Any) -> None:
    lot = Lot.objects.get(number="C1")
    ra = services.return_create(
        recall=recall, party=Party.objects.get(code="HOSP"), actor=manager, lines=[(lot, None, 7)]
    )
    assert selectors.return_lines(ra) == [
        {"lot": "C1", "serial": "", "expected": 7, "received": 0, "outcome": "pending"}
    ]


# -- the command line: each kind of miss exits 1 with the selector's message ------------------
def run(*args: str) -> Any:
    out = StringIO()
    call_command("execution", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def refused(*args: str) -> tuple[str, int]:
    with pytest.raises(CommandError) as refusal:
        run(*args)
    return str(refusal.value), refusal.value.returncode


def test_the_command_refuses_an_unknown_holder_lot_or_serial_and_authorises_nothing(
    recall: RecallCase, manager: Any
) -> None:
    create = ("returns", "create", recall.number, "--user", manager.username)
    assert [
        refused(*create),
        refused(*create, "--holder", "NOPE"),
        refused(*create, "--holder", "HOSP", "--line", "C1=1", "--line", "ZZ=1"),
        refused(*create, "--holder", "HOSP", "--line", "C1:S-9=1"),
    ] == [
        ("Give the party code (--holder CODE).", 1),
        ("There is no party with code NOPE.", 1),
        ("No lot ZZ of this recall's device models.", 1),
        ("Lot C1 has no serial S-9.", 1),
    ]
    assert ReturnAuthorisation.objects.count() == 0


def test_the_command_finds_a_return_by_its_number_in_any_case_and_refuses_another(
    recall: RecallCase, manager: Any
) -> None:
    ra = run("returns", "create", recall.number, "--holder", "HOSP", "--user", manager.username)
    assert run("returns", "show", ra["number"].lower())["number"] == ra["number"]
    assert refused("returns", "show", "RA-NOPE") == ("No return RA-NOPE.", 1)
    amended = ("returns", "amend", ra["number"], "--quantity", "3", "--user", manager.username)
    assert [
        refused(*amended, "--lot", "ZZ"),
        refused(*amended, "--lot", "C1", "--serial", "S-9"),
    ] == [
        ("No lot ZZ of this recall's device models.", 1),
        ("Lot C1 has no serial S-9.", 1),
    ]
    assert run("returns", "show", ra["number"])["lines"] == ra["lines"]


def test_the_command_refuses_an_unknown_location_serial_disposition_or_work_order(
    recall: RecallCase, manager: Any
) -> None:
    user = ("--user", manager.username)
    create = ("disposition", "create", recall.number, "--kind", "destroy", "--lot", "C1", *user)
    assert [
        refused(*create, "--location", "NOWHERE"),
        refused(*create, "--serial", "S-9", "--location", "QUAR"),
        refused("disposition", "complete", "DSP-NOPE", *user),
        refused("workorders", "evidence", "WO-NOPE"),
    ] == [
        ("There is no location with code NOWHERE.", 1),
        ("Lot C1 has no serial S-9.", 1),
        ("There is no disposition DSP-NOPE.", 1),
        ("There is no work order WO-NOPE.", 1),
    ]
    assert Disposition.objects.count() == 0


def test_the_set_up_commands_refuse_an_unknown_carrier_party_or_technician(
    world: object, manager: Any
) -> None:
    user = ("--user", manager.username)
    rates = CarrierRate.objects.count()
    assert [
        refused("rates", "add", "XX", "--country", "CN", *user),
        refused("carriers", "add", "NEW", "--name", "New", "--party", "NOPE", *user),
        refused(
            "providers", "add", "--name", "Fix", "--party", "SF", "--technician", "ghost", *user
        ),
    ] == [
        ("There is no carrier with code XX.", 1),
        ("There is no party with code NOPE.", 1),
        ("There is no user ghost.", 1),
    ]
    assert (CarrierRate.objects.count(), Carrier.objects.filter(code="NEW").exists()) == (
        rates,
        False,
    )
    assert ServiceProvider.objects.count() == 0
