"""A small world for the vendor quotes, refunds and payments tests: a recall in execution whose
frozen scope gives hospital HOSP-A 10 units (8 on hand, 2 on their way; it received 16), a carrier, a service partner and
finance users. Import the fixtures into a test module with ``from tests.finance.payables_world
import *``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.finance import ledger
from medrecall.finance.refunds import RefundClaim
from medrecall.parties.models import Party
from medrecall.recalls.models import AffectedLine, RecallCase, ScopeSnapshot
from tests.factories import LocationFactory, LotFactory, PartyFactory

__all__ = [
    "DAY",
    "claim",
    "finance",
    "finance2",
    "finance3",
    "holder",
    "recall",
]

DAY = date(2026, 11, 30)


@pytest.fixture
def finance(make_user: Callable[..., User]) -> User:
    return make_user(Role.FINANCE, username="fin-anna")


@pytest.fixture
def finance2(make_user: Callable[..., User]) -> User:
    return make_user(Role.FINANCE, username="fin-bo")


@pytest.fixture
def finance3(make_user: Callable[..., User]) -> User:
    return make_user(Role.FINANCE, username="fin-chen")


@pytest.fixture
def holder(db: None) -> Party:
    return PartyFactory(code="HOSP-A", name="市第一医院", party_type="hospital")


@pytest.fixture
def recall(manager: User, holder: Party) -> RecallCase:
    """In execution; the frozen scope: HOSP-A holds 10 units of lot L-A (8 there, 2 on their
    way; it received 16, 6 of them used before the freeze) and another holder 5."""
    found = RecallCase.objects.create(
        number="RC-2026-0201", title="导管召回", owner=manager, status="in_execution"
    )
    snapshot = ScopeSnapshot.objects.create(
        recall=found, sequence=1, created_by=manager, total_units=15, total_holders=2
    )
    lot = LotFactory(number="L-A")
    AffectedLine.objects.create(
        snapshot=snapshot,
        lot=lot,
        location=LocationFactory(party=holder),
        party=holder,
        on_hand=8,
        in_transit=2,
        received=16,
        category="at_customers",
    )
    other = PartyFactory(code="HOSP-B", party_type="hospital")
    AffectedLine.objects.create(
        snapshot=snapshot,
        lot=lot,
        location=LocationFactory(party=other),
        party=other,
        on_hand=5,
        in_transit=0,
        received=5,
        category="at_customers",
    )
    ledger.policy()  # the defaults: CNY, four eyes from 10,000.00
    return found


def claim(holder: Party, **fields: object) -> RefundClaim:
    values: dict[str, object] = {
        "holder": holder,
        "quantity": 4,
        "unit_price": "1500.00",
        "invoice_reference": "INV-2025-0042",
        "amount": "6000.00",
        "currency": "CNY",
        "reason": "导管退货退款",
    }
    values.update(fields)
    return RefundClaim(**values)  # type: ignore[arg-type]


def money(text: str) -> Decimal:
    return Decimal(text)
