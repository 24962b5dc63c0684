"""The unit accounting of many recalls at once (``accounting_for``, set-based) equals the
accounting of each recall computed on its own by a plain reference (the ORM queries the
selector used before it answered for many recalls), on recalls with returns, receipts,
dispositions of lots and serials, and consumption after the scope was frozen."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.db.models import Q, Sum

from medrecall.accounts.models import User
from medrecall.catalog.models import Lot, Serial
from medrecall.execution import services
from medrecall.execution.lifecycle import DispositionKind, TaskStatus
from medrecall.execution.models import Disposition
from medrecall.execution.selectors import (
    Accounting,
    AccountingRow,
    accounting_for,
    recall_accounting,
)
from medrecall.parties.models import Location, LocationType, Party, PartyType
from medrecall.recalls.models import RecallCase
from medrecall.traceability.models import Position, TraceEvent
from tests.budgets import BudgetWorld, budget_world
from tests.execution.conftest import PUMPS, approve, open_recall
from tests.traceability.scenario import PUMP, run_events

pytestmark = pytest.mark.django_db


def reference_accounting(recall: RecallCase) -> Accounting:
    """One recall's books, query by query, as the selector computed them for a single recall."""
    snapshot = recall.current_snapshot
    accounting = Accounting(recall=recall.number, snapshot=snapshot.sequence if snapshot else None)
    if snapshot is None:
        return accounting
    lines = snapshot.lines.all()
    rows: dict[int, AccountingRow] = {}
    numbers = dict(Lot.objects.filter(pk__in=lines.values("lot_id")).values_list("pk", "number"))
    for lot_id, affected in (
        lines.values_list("lot_id")
        .annotate(units=Sum("on_hand") + Sum("in_transit"))
        .order_by("lot_id")
    ):
        rows[lot_id] = AccountingRow(lot=numbers[lot_id], affected=int(affected or 0))
    in_scope = Q(lot_id__in=lines.filter(serial__isnull=True).values("lot_id")) | Q(
        serial_id__in=lines.filter(serial__isnull=False).values("serial_id")
    )
    done = Disposition.objects.filter(recall=recall, status=TaskStatus.DONE)
    done_serials = done.filter(serial__isnull=False).values("serial_id")
    positions = (
        Position.objects.filter(in_scope, lot_id__in=lines.values("lot_id"))
        .exclude(serial_id__in=done_serials)
        .exclude(location__party__party_type=PartyType.SUPPLIER)
        .values_list("lot_id", "location__location_type", "location__party__party_type")
        .annotate(on_hand=Sum("on_hand"), in_transit=Sum("in_transit"))
    )
    for lot_id, location_type, party_type, on_hand, in_transit in positions:
        row = rows.setdefault(lot_id, AccountingRow(lot=str(lot_id)))
        row.in_transit += int(in_transit)
        if party_type == PartyType.OWN_SITE:
            if location_type == LocationType.QUARANTINE:
                row.in_quarantine += int(on_hand)
            else:
                row.own_stock += int(on_hand)
        else:
            row.at_holders += int(on_hand)
    for lot_id, kind, serial_id, quantity in done.values_list(
        "lot_id", "kind", "serial_id"
    ).annotate(total=Sum("quantity")):
        row = rows.setdefault(lot_id, AccountingRow(lot=str(lot_id)))
        row.dispositioned += int(quantity)
        if serial_id is None and kind in (
            DispositionKind.REPAIR,
            DispositionKind.RELEASE,
            DispositionKind.REPLACE,
        ):
            row.own_stock -= int(quantity)
    used = (
        TraceEvent.objects.filter(
            in_scope,
            lot_id__in=lines.values("lot_id"),
            retracted=False,
            event_type__in=("consumed", "destroyed", "transformed"),
            recorded_at__gt=snapshot.created_at,
        )
        .exclude(document_ref__in=Disposition.objects.filter(recall=recall).values("number"))
        .exclude(serial_id__in=done_serials)
        .values_list("lot_id")
        .annotate(total=Sum("quantity"))
    )
    for lot_id, quantity in used:
        rows.setdefault(lot_id, AccountingRow(lot=str(lot_id))).used += int(quantity)
    accounting.lots = [rows[k] for k in sorted(rows, key=lambda k: rows[k].lot)]
    return accounting


@pytest.fixture
def budget(tmp_path: Path, manager: User, make_user: Callable[..., User]) -> BudgetWorld:
    return budget_world(tmp_path, manager, make_user)


def _books(accounting: Accounting) -> dict[str, Any]:
    return accounting.as_dict()


def test_many_recalls_at_once_equal_each_on_its_own(
    budget: BudgetWorld, tmp_path: Path, manager: User, make_user: Callable[..., User]
) -> None:
    world = budget
    assert run_events(tmp_path, PUMPS, "pumps.csv").accepted
    pump_recall = approve(open_recall(manager, gtin=PUMP, values=["P-L1"]), make_user)
    world.grow(2)
    # Consumption after the freeze, a destroyed lot disposition done, a serial sent back and settled.
    newest = world.recalls[0]
    lot = newest.current_snapshot.lines.values_list("lot__number", flat=True)[0]  # type: ignore[union-attr]
    assert run_events(
        tmp_path,
        f"USE-1,consumed,2025-04-01T08:00:00+08:00,06950000000019,{lot},,7,H1,,,,,,\n",
        "use.csv",
    ).accepted
    destroy = Disposition.objects.filter(recall=newest).first()
    assert destroy is not None
    services.disposition_complete(
        disposition=destroy,
        actor=manager,
        username=manager.username,
        method="Incineration",
        place="Suzhou",
        performed_by="Veolia",
        witnesses=["QA"],
        destroyed_at=datetime(2025, 4, 2, tzinfo=UTC),
    )
    hospital = Party.objects.get(code="HOSP")
    pump_return = services.return_create(
        recall=pump_recall,
        party=hospital,
        actor=manager,
        lines=[(Lot.objects.get(number="P-L1"), Serial.objects.get(serial="PS-001"), 1)],
    )
    services.return_receive(
        ra=pump_return,
        actor=manager,
        gtin=PUMP,
        lot="P-L1",
        serial="PS-001",
        location=Location.objects.get(code="QUAR"),
    )
    serial_disposition = services.disposition_create(
        recall=pump_recall,
        kind="destroy",
        lot=Lot.objects.get(number="P-L1"),
        serial=Serial.objects.get(serial="PS-001"),
        actor=manager,
        location=Location.objects.get(code="QUAR"),
    )
    services.disposition_complete(
        disposition=serial_disposition,
        actor=manager,
        username=manager.username,
        method="Incineration",
        place="Suzhou",
        performed_by="Veolia",
        witnesses=["QA"],
        destroyed_at=datetime(2025, 4, 2, tzinfo=UTC),
    )
    recalls = [
        *world.recalls,
        pump_recall,
        *RecallCase.objects.exclude(pk__in=[r.pk for r in [*world.recalls, pump_recall]]),
    ]
    together = accounting_for(recalls)
    assert {pk: _books(a) for pk, a in together.items()} == {
        r.pk: _books(reference_accounting(r)) for r in recalls
    }
    assert _books(recall_accounting(pump_recall)) == _books(reference_accounting(pump_recall))
    pump_books = together[pump_recall.pk].total
    assert (pump_books.dispositioned, pump_books.in_quarantine) == (1, 0)
    assert together[newest.pk].total.used == 7


def test_many_recalls_cost_the_same_queries_as_one(budget: BudgetWorld) -> None:
    world = budget
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        accounting_for(world.recalls[:1])
    world.grow(2)
    with CaptureQueriesContext(connection) as three:
        accounting_for(world.recalls)
    assert len(three) == len(one)
