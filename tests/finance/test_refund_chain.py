"""Refunds along a supply chain: each holder is refunded at most what it holds in the frozen
scope, so units a distributor passed on to a hospital are the hospital's to claim and the same
units are never refunded twice; our own stock and quarantine are nobody's to claim; a holder
outside the recall's scope is told so (not that it "has not replied"), on the service, the page,
the API and the command line.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from medrecall.accounts.models import User
from medrecall.audit.models import AuditEntry
from medrecall.finance import refunds
from medrecall.finance.errors import RefundAboveBought, RefundRefused
from medrecall.finance.models_payables import RefundRequest
from medrecall.parties.models import Party
from medrecall.recalls.models import AffectedLine, RecallCase, ScopeSnapshot
from medrecall.traceability.models import TraceEvent
from tests.factories import LocationFactory, LotFactory, PartyFactory
from tests.finance.payables_world import *  # noqa: F403
from tests.finance.payables_world import claim

pytestmark = pytest.mark.django_db

SHIPPED = datetime(2026, 6, 1, tzinfo=UTC)
NOT_IN_SCOPE = (
    "OUTSIDE is not in this recall's scope (RC-2026-0301, frozen scope 1): it holds no "
    "affected units, so nothing can be refunded to it."
)


def shipped(
    n: int, lot: object, source: object, target: object, quantity: int, **more: object
) -> None:
    TraceEvent.objects.create(
        event_id=f"urn:ev:{n}",
        event_type=str(more.pop("event_type", "shipped")),
        event_time=SHIPPED,
        lot=lot,
        quantity=quantity,
        from_location=source,
        to_location=target,
        **more,
    )


@pytest.fixture
def chain(manager: User, finance: User) -> RecallCase:
    """Distributor DIST received 100 units of lot L-C and shipped 60 to HOSP-X and 30 to HOSP-Y
    (HOSP-Y used them all, so it has no line in the frozen scope); 10 are still at DIST. Our own
    site OWN keeps 40 in stock and 5 in quarantine: in the scope, at no holder."""
    recall = RecallCase.objects.create(
        number="RC-2026-0301", title="链条召回", owner=manager, status="in_execution"
    )
    lot, other_lot = LotFactory(number="L-C"), LotFactory(number="L-OTHER")
    dist = PartyFactory(code="DIST", name="华东经销", party_type="distributor")
    hosp_x = PartyFactory(code="HOSP-X", name="X 医院", party_type="hospital")
    hosp_y = PartyFactory(code="HOSP-Y", name="Y 医院", party_type="hospital")
    PartyFactory(code="OUTSIDE", name="局外医院", party_type="hospital")
    at_dist, at_x, at_y = (
        LocationFactory(party=dist),
        LocationFactory(party=hosp_x),
        LocationFactory(party=hosp_y),
    )
    shipped(1, lot, None, at_dist, 100)
    shipped(2, lot, at_dist, at_x, 60)
    shipped(3, lot, at_dist, at_y, 30)
    shipped(4, lot, at_dist, at_x, 7, retracted=True)
    shipped(5, other_lot, at_dist, at_x, 9)
    snapshot = ScopeSnapshot.objects.create(
        recall=recall, sequence=1, created_by=manager, total_units=115, total_holders=3
    )
    own = PartyFactory(code="OWN", name="本公司", party_type="own_site")
    for party, location, on_hand, received, category in (
        (dist, at_dist, 10, 100, "at_distributors"),
        (hosp_x, at_x, 60, 60, "at_customers"),
        (own, LocationFactory(party=own), 40, 40, "own_stock"),
        (own, LocationFactory(party=own, location_type="quarantine"), 5, 5, "quarantine"),
    ):
        AffectedLine.objects.create(
            snapshot=snapshot,
            lot=lot,
            location=location,
            party=party,
            on_hand=on_hand,
            in_transit=0,
            received=received,
            category=category,
        )
    shipped(6, lot, at_dist, at_x, 5)  # recorded after the freeze: not in the frozen figures
    return recall


def party(code: str) -> Party:
    return Party.objects.get(code=code)


def nothing_written() -> tuple[int, int]:
    return (
        RefundRequest.objects.count(),
        AuditEntry.objects.filter(action="finance.refund_requested").count(),
    )


def test_what_a_distributor_passed_on_is_not_its_to_claim(finance: User, chain: RecallCase) -> None:
    assert refunds.holder_units(recall=chain, holder=party("DIST")) == 10
    with pytest.raises(RefundAboveBought) as refused:
        refunds.refund_request(
            actor=finance,
            recall=chain,
            claim=claim(party("DIST"), quantity=11, unit_price="10", amount="110"),
        )
    assert refused.value.message == (
        "DIST holds 10 units in the frozen scope of RC-2026-0301; 0 already requested or compensated; 11 asked: "
        "at most 10 more units can be refunded."
    )
    assert nothing_written() == (0, 0)


def test_over_the_chain_each_unit_is_refunded_once(finance: User, chain: RecallCase) -> None:
    refunds.refund_request(
        actor=finance,
        recall=chain,
        claim=claim(party("DIST"), quantity=10, unit_price="10", amount="100"),
    )
    refunds.refund_request(
        actor=finance,
        recall=chain,
        claim=claim(party("HOSP-X"), quantity=60, unit_price="10", amount="600"),
    )
    for code in ("DIST", "HOSP-X"):
        with pytest.raises(RefundAboveBought, match="1 asked: at most 0 more units"):
            refunds.refund_request(
                actor=finance,
                recall=chain,
                claim=claim(party(code), quantity=1, unit_price="10", amount="10"),
            )
    assert sum(RefundRequest.objects.values_list("quantity", flat=True)) == 70


def test_the_form_figures_are_what_each_holder_holds_in_one_query(chain: RecallCase) -> None:
    with CaptureQueriesContext(connection) as queries:
        rows = [refunds.HolderUnits.of(p) for p in refunds.holders_units(recall=chain)]
    assert len(queries) == 2  # the snapshot, then the holders with their figures
    assert [(r.code, r.held, r.compensated, r.left) for r in rows] == [
        ("DIST", 10, 0, 10),
        ("HOSP-X", 60, 0, 60),
    ]
    assert sum(r.left for r in rows) == 70  # the scope's 115 units less own stock and quarantine


def test_our_own_stock_and_quarantine_are_nobodys_to_claim(
    finance: User, chain: RecallCase
) -> None:
    with pytest.raises(RefundRefused) as refused:
        refunds.refund_request(actor=finance, recall=chain, claim=claim(party("OWN")))
    assert refused.value.message == (
        "OWN is not in this recall's scope (RC-2026-0301, frozen scope 1): it holds no "
        "affected units, so nothing can be refunded to it."
    )
    assert nothing_written() == (0, 0)


def test_a_holder_outside_the_scope_is_told_so(finance: User, chain: RecallCase) -> None:
    with pytest.raises(RefundRefused) as entered:
        refunds.refund_request(actor=finance, recall=chain, claim=claim(party("OUTSIDE")))
    with pytest.raises(RefundRefused) as from_reply:
        refunds.reply_of(recall=chain, holder=party("OUTSIDE"))
    assert (entered.value.message, entered.value.where) == (NOT_IN_SCOPE, "holder")
    assert from_reply.value.message == NOT_IN_SCOPE
    assert nothing_written() == (0, 0)


def test_the_page_api_and_command_line_say_not_in_scope_for_a_reply_request(
    finance: User, chain: RecallCase, api_as: Callable[[User | None], APIClient]
) -> None:
    body = {
        "holder": "OUTSIDE",
        "quantity": "1",
        "unit_price": "10",
        "invoice_reference": "INV-1",
        "amount": "10",
        "currency": "CNY",
    }
    client = Client()
    client.force_login(finance)
    page = client.post(f"/recalls/{chain.pk}/finance/refunds/new/", {**body, "from_reply": "on"})
    text = html.unescape(page.content.decode())
    assert page.status_code == 400
    assert NOT_IN_SCOPE in text
    assert "has not replied" not in text
    api = api_as(finance).post(
        f"/api/finance/recalls/{chain.pk}/refunds/", {**body, "from_reply": True}, format="json"
    )
    assert (api.status_code, api.json()["message"]) == (400, NOT_IN_SCOPE)
    with pytest.raises(CommandError, match="OUTSIDE is not in this recall's scope"):
        call_command(
            "finance",
            "refunds",
            "request",
            chain.number,
            "--holder=OUTSIDE",
            "--quantity=1",
            "--unit-price=10",
            "--invoice=INV-1",
            "--amount=10",
            "--currency=CNY",
            "--reply",
            "--user",
            finance.username,
            stdout=StringIO(),
        )
    assert nothing_written() == (0, 0)
