"""The refund ceiling on the demo recall: a holder is refunded at most the units it holds in the
frozen scope (on hand + in transit at the freeze), never what it received — hospital H-SIN-01
received 510 units of the scope and holds 160 — so over all holders no more can be refunded
than the scope's units at holders (420 in the demo; our own stock and quarantine excluded)."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import F, Sum
from django.utils import translation

from medrecall.accounts.models import User
from medrecall.audit.models import AuditEntry
from medrecall.finance import refunds
from medrecall.finance.errors import RefundAboveBought
from medrecall.finance.models_payables import RefundRequest
from medrecall.parties.models import Party
from medrecall.recalls.models import AffectedLine, RecallCase
from tests.finance.payables_world import claim, finance  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_recall() -> RecallCase:
    out = StringIO()
    call_command("demo", "--json", stdout=out, stderr=StringIO())
    return RecallCase.objects.get(number=json.loads(out.getvalue())["recall"]["number"])


def test_the_demo_refundable_total_is_the_scopes_units_at_holders(
    demo_recall: RecallCase,
) -> None:
    lines = AffectedLine.objects.filter(snapshot=demo_recall.current_snapshot)
    at_holders = lines.exclude(category__in=("own_stock", "quarantine")).aggregate(
        units=Sum(F("on_hand") + F("in_transit"))
    )["units"]
    rows = [refunds.HolderUnits.of(p) for p in refunds.holders_units(recall=demo_recall)]
    assert (at_holders, demo_recall.current_snapshot.total_units) == (420, 420)
    assert sum(row.left for row in rows) == 420
    assert {row.code: row.left for row in rows} == {
        "H-CD-02": 20,
        "H-CD-03": 40,
        "H-KM-01": 20,
        "H-KM-04": 10,
        "H-SIN-01": 160,
        "H-XA-02": 20,
        "H-XA-05": 20,
        "ND-CD": 40,
        "ND-SIN": 80,
        "SD-XA": 10,
    }


@pytest.mark.parametrize(
    ("language", "message"),
    [
        pytest.param(
            "en",
            "H-SIN-01 holds 160 units in the frozen scope of {recall}; 0 already requested or compensated; 510 asked: "
            "at most 160 more units can be refunded.",
            id="en",
        ),
        pytest.param(
            "zh-hans",
            "H-SIN-01 在 {recall} 的冻结范围内持有 160 件；已申请或已补偿 0 件；本次申请 510 件："
            "最多还可退款 160 件。",
            id="zh-hans",
        ),
    ],
)
def test_a_holder_that_received_510_but_holds_160_is_capped_at_160(
    finance: User,  # noqa: F811 - the fixture
    demo_recall: RecallCase,
    language: str,
    message: str,
) -> None:
    holder = Party.objects.get(code="H-SIN-01")
    received = AffectedLine.objects.filter(
        snapshot=demo_recall.current_snapshot, party=holder
    ).aggregate(units=Sum("received"))["units"]
    assert (received, refunds.holder_units(recall=demo_recall, holder=holder)) == (510, 160)
    before = AuditEntry.objects.filter(action="finance.refund_requested").count()
    with translation.override(language), pytest.raises(RefundAboveBought) as refused:
        refunds.refund_request(
            actor=finance,
            recall=demo_recall,
            claim=claim(holder, quantity=510, unit_price="100", amount="51000"),
        )
    assert (refused.value.message, refused.value.where) == (
        message.format(recall=demo_recall.number),
        "quantity",
    )
    assert RefundRequest.objects.count() == 0
    assert AuditEntry.objects.filter(action="finance.refund_requested").count() == before
    entered = refunds.refund_request(
        actor=finance,
        recall=demo_recall,
        claim=claim(holder, quantity=160, unit_price="100", amount="16000"),
    )
    assert (entered.quantity, refunds.holder_compensated(recall=demo_recall, holder=holder)) == (
        160,
        160,
    )
