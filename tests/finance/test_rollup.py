"""The ledger's daily rollup (``CostRollup``) is what the reports read: after any sequence of
postings and reversals it equals a GROUP BY over the entries, and two postings at once to the
same row both count."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.db.models.functions import Coalesce
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.finance import ledger, reports, rollup, selectors
from medrecall.finance.errors import RateMissing
from medrecall.finance.ledger import CostLine
from medrecall.finance.models import CostCategory, CostEntry, CostRollup
from medrecall.recalls.models import RecallCase
from tests.factories import PartyFactory

pytestmark = pytest.mark.django_db

DAY = date(2026, 11, 1)
PROPERTY = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

POST = st.tuples(
    st.just("post"),
    st.sampled_from(CostCategory.values[:3]),
    st.integers(min_value=1, max_value=99_999),  # cents
    st.sampled_from(["CNY", "USD"]),
    st.integers(min_value=0, max_value=2),  # day
    st.sampled_from([None, 0, 1]),  # vendor
    st.sampled_from([None, 0]),  # holder
)
REVERSE = st.tuples(st.just("reverse"), st.integers(min_value=0, max_value=30))


def rollup_rows(recall: RecallCase) -> set[tuple[Any, ...]]:
    return {
        (
            r.day,
            r.category,
            r.source,
            r.currency,
            r.vendor_pk,
            r.holder_pk,
            r.entries,
            r.amount.quantize(Decimal("0.01")),
            r.company_amount.quantize(Decimal("0.01")),
        )
        for r in CostRollup.objects.filter(recall=recall)
    }


def grouped_entries(recall: RecallCase) -> set[tuple[Any, ...]]:
    return {
        (
            row["incurred_on"],
            row["category"],
            row["source"],
            row["currency"],
            row["v"],
            row["h"],
            row["n"],
            Decimal(row["a"]).quantize(Decimal("0.01")),
            Decimal(row["c"]).quantize(Decimal("0.01")),
        )
        for row in CostEntry.objects.filter(recall=recall)
        .values("incurred_on", "category", "source", "currency")
        .annotate(
            v=Coalesce("vendor_id", 0),
            h=Coalesce("holder_id", 0),
            n=Count("pk"),
            a=Sum("amount"),
            c=Sum("company_amount"),
        )
        .order_by()
    }


@pytest.fixture
def world(make_user: Callable[..., User], manager: User) -> dict[str, Any]:
    finance = make_user(Role.FINANCE)
    for n in range(3):
        ledger.rate_set(
            actor=finance, currency="USD", rate_on=DAY + timedelta(days=n), rate="7.12345678"
        )
    return {
        "finance": finance,
        "manager": manager,
        "vendors": [PartyFactory(party_type="carrier"), PartyFactory(party_type="carrier")],
        "holders": [PartyFactory(party_type="hospital")],
    }


@PROPERTY
@given(steps=st.lists(st.one_of(POST, REVERSE), max_size=25))
@pytest.mark.django_db
def test_after_any_postings_and_reversals_the_rollup_equals_a_group_by_over_the_entries(
    world: dict[str, Any], steps: list[tuple[Any, ...]]
) -> None:
    with transaction.atomic():
        recall = RecallCase.objects.create(
            number="RC-2026-0771", title="t", owner=world["manager"], status="in_execution"
        )
        posted: list[CostEntry] = []
        for step in steps:
            if step[0] == "post":
                _kind, category, cents, currency, day, vendor, holder = step
                posted.append(
                    ledger.cost_post(
                        actor=world["finance"],
                        recall=recall,
                        line=CostLine(
                            category=category,
                            amount=Decimal(cents) / 100,
                            currency=currency,
                            incurred_on=DAY + timedelta(days=day),
                            vendor=None if vendor is None else world["vendors"][vendor],
                            holder=None if holder is None else world["holders"][holder],
                        ),
                    )
                )
            elif posted:
                entry = posted[step[1] % len(posted)]
                if (
                    entry.reverses_id is None
                    and not CostEntry.objects.filter(reverses=entry).exists()
                ):
                    posted.append(
                        ledger.cost_reverse(actor=world["finance"], entry=entry, reason="wrong")
                    )
        assert rollup_rows(recall) == grouped_entries(recall)
        transaction.set_rollback(True)


def test_a_posting_and_its_reversal_leave_one_row_with_two_entries_and_zero(
    world: dict[str, Any],
) -> None:
    recall = RecallCase.objects.create(
        number="RC-2026-0772", title="t", owner=world["manager"], status="in_execution"
    )
    line = CostLine(category="logistics", amount="120.50", currency="USD", incurred_on=DAY)
    entry = ledger.cost_post(actor=world["finance"], recall=recall, line=line)
    assert rollup_rows(recall) == {
        (DAY, "logistics", "manual", "USD", 0, 0, 1, Decimal("120.50"), Decimal("858.38"))
    }
    ledger.cost_reverse(actor=world["finance"], entry=entry, reason="wrong")
    assert rollup_rows(recall) == {
        (DAY, "logistics", "manual", "USD", 0, 0, 1, Decimal("120.50"), Decimal("858.38")),
        (DAY, "logistics", "reversal", "USD", 0, 0, 1, Decimal("-120.50"), Decimal("-858.38")),
    }
    totals = selectors.totals_for(
        viewer=world["finance"], recall=recall, only=None, company_currency="CNY"
    )
    assert (totals.company_amount, totals.entries) == (Decimal("0.00"), 2)
    assert reports.recall_report(recall).actual == Decimal("0.00")


def test_a_refused_posting_adds_nothing_to_the_rollup(world: dict[str, Any]) -> None:
    recall = RecallCase.objects.create(
        number="RC-2026-0773", title="t", owner=world["manager"], status="in_execution"
    )
    with pytest.raises(RateMissing):
        ledger.cost_post(
            actor=world["finance"],
            recall=recall,
            line=CostLine(
                category="logistics", amount="1", currency="USD", incurred_on=date(2026, 1, 1)
            ),
        )
    assert CostRollup.objects.filter(recall=recall).count() == 0


def test_rebuilding_the_rollup_gives_the_rows_the_postings_kept(world: dict[str, Any]) -> None:
    recall = RecallCase.objects.create(
        number="RC-2026-0774", title="t", owner=world["manager"], status="in_execution"
    )
    for amount, vendor in (("10.00", 0), ("5.25", 0), ("3.00", 1)):
        ledger.cost_post(
            actor=world["finance"],
            recall=recall,
            line=CostLine(
                category="repair",
                amount=amount,
                currency="CNY",
                incurred_on=DAY,
                vendor=world["vendors"][vendor],
            ),
        )
    kept = rollup_rows(recall)
    rollup.rollup_rebuild([recall.pk])
    assert rollup_rows(recall) == kept
    first, second = (p.pk for p in world["vendors"])
    assert kept == {
        (DAY, "repair", "manual", "CNY", first, 0, 2, Decimal("15.25"), Decimal("15.25")),
        (DAY, "repair", "manual", "CNY", second, 0, 1, Decimal("3.00"), Decimal("3.00")),
    }


@pytest.mark.django_db(transaction=True)
def test_two_postings_at_once_to_the_same_rollup_row_both_count(
    make_user: Callable[..., User],
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    finance = make_user(Role.FINANCE)
    recall = RecallCase.objects.create(
        number="RC-2026-0775", title="t", owner=finance, status="in_execution"
    )
    vendor = PartyFactory(party_type="carrier")
    barrier = threading.Barrier(4)

    def post() -> None:
        try:
            barrier.wait()
            ledger.cost_post(
                actor=finance,
                recall=recall,
                line=CostLine(
                    category="logistics",
                    amount="2.50",
                    currency="CNY",
                    incurred_on=DAY,
                    vendor=vendor,
                ),
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    row = CostRollup.objects.get(recall=recall)
    assert (row.entries, row.company_amount) == (4, Decimal("10.00"))
    assert CostEntry.objects.filter(recall=recall).count() == 4
