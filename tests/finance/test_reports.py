"""Report totals (one scan of the ledger, grouped several ways) against a plain Python sum of
the same entries, reversals included; per unit and per region as a finance user reads them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.finance import ledger, reports
from medrecall.finance.ledger import CostLine
from medrecall.finance.models import CostEntry
from medrecall.recalls.models import RecallCase
from tests.factories import PartyFactory


@pytest.fixture
def finance(make_user: Callable[..., User]) -> User:
    return make_user(Role.FINANCE)


@pytest.fixture
def recall(manager: User) -> RecallCase:
    return RecallCase.objects.create(
        number="RC-2026-0701", title="导管召回", owner=manager, status="in_execution"
    )


@pytest.mark.parametrize("parts", ["cvhd", "cvh", "cd", "h"])
def test_the_totals_equal_a_plain_sum_of_the_entries(
    finance: User, recall: RecallCase, manager: User, parts: str
) -> None:
    other = RecallCase.objects.create(
        number="RC-2026-0702", title="另一", owner=manager, status="in_execution"
    )
    vendors = [PartyFactory(party_type="carrier"), PartyFactory(party_type="carrier"), None]
    holders = [
        PartyFactory(party_type="hospital", country="CN", province_code="CN-GD"),
        PartyFactory(party_type="hospital", country="CN", province_code="CN-GD"),
        PartyFactory(party_type="hospital", country="DE", province_code=""),
        None,
    ]
    categories = ["logistics", "labour", "destruction"]
    for n in range(23):
        line = CostLine(
            category=categories[n % 3],
            amount=f"{n * 7 % 50 + 1}.{n % 100:02d}",
            currency="CNY",
            incurred_on=date(2026, 11, 1) + timedelta(days=n % 4),
            vendor=vendors[n % 3],
            holder=holders[n % 4],
        )
        entry = ledger.cost_post(actor=finance, recall=other if n % 5 == 0 else recall, line=line)
        if n % 6 == 1:
            ledger.cost_reverse(actor=finance, entry=entry, reason="wrong invoice")

    totals = reports.ledger_totals(RecallCase.objects.filter(pk=recall.pk), parts)

    entries = list(CostEntry.objects.filter(recall=recall).select_related("vendor", "holder"))
    expected: dict[str, dict[object, list[object]]] = {
        p: defaultdict(lambda: [0, Decimal("0.00")]) for p in "cvhd"
    }
    for e in entries:
        region = (e.holder.province_code or e.holder.country) if e.holder else ""
        for part, key in (
            ("c", e.category),
            ("v", e.vendor.code if e.vendor else ""),
            ("h", region),
            ("d", e.incurred_on),
        ):
            expected[part][key][0] += 1  # type: ignore[operator]
            expected[part][key][1] += e.company_amount  # type: ignore[operator]
    got = {
        "c": {g.key: [g.entries, g.amount] for g in totals.categories},
        "v": {g.key: [g.entries, g.amount] for g in totals.vendors},
        "h": {g.key: [g.entries, g.amount] for g in totals.regions},
        "d": {day: [None, amount] for day, amount in totals.days},
    }
    for part in "cvhd":
        want = {k: list(v) for k, v in expected[part].items()} if part in parts else {}
        if part == "d":
            want = {k: [None, v[1]] for k, v in want.items()}
        assert got[part] == want, part


def test_a_recall_report_per_unit_and_region(finance: User, recall: RecallCase) -> None:
    holder = PartyFactory(party_type="hospital", country="CN", province_code="CN-SH")
    for amount in ("100.00", "50.50"):
        line = CostLine(
            category="logistics",
            amount=amount,
            currency="CNY",
            incurred_on=date(2026, 11, 2),
            holder=holder,
        )
        ledger.cost_post(actor=finance, recall=recall, line=line)

    report = reports.recall_report(recall)

    assert (report.actual, report.units, report.actual_per_unit) == (Decimal("150.50"), 0, None)
    assert [g.as_dict() for g in report.regions] == [
        {"key": "CN-SH", "label": "Shanghai", "entries": 2, "amount": "150.50"}
    ]
    assert [(r.category, r.actual, r.forecast) for r in report.categories][:2] == [
        ("logistics", Decimal("150.50"), Decimal("150.50")),
        ("repair", Decimal("0.00"), Decimal("0.00")),
    ]
