"""Percent recovered equals an independent count; the open recalls' lines, the deadlines due and
overdue, and the portfolio figures are exactly what the records say."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.db.models import F, Sum
from django.utils import timezone

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.catalog.models import DeviceModel, Lot
from medrecall.execution import services as execution
from medrecall.execution.models import Receipt, ServiceProvider, WorkOrderUnit
from medrecall.parties.models import Location, Party
from medrecall.recalls import services
from medrecall.recalls.models import AffectedLine, RecallCase
from medrecall.reporting import portfolio
from tests.execution.conftest import approve, open_recall, seed_carriers
from tests.factories import PartyFactory
from tests.traceability.scenario import CATH, network, run_events
from tests.traceability.test_trace import DISTRIBUTION

pytestmark = pytest.mark.django_db


@pytest.fixture
def recall_c1(tmp_path: Path, manager: User, make_user: Callable[..., User]) -> RecallCase:
    network()
    assert run_events(tmp_path, DISTRIBUTION).accepted
    seed_carriers()
    return approve(open_recall(manager), make_user)


def _independent(recall: RecallCase) -> tuple[int, int]:
    """Affected: the frozen lines; recovered: every unit received back plus every unit a work
    order recorded corrected (this scenario corrects fewer than are still at holders)."""
    snapshot = recall.current_snapshot
    affected = AffectedLine.objects.filter(snapshot=snapshot).aggregate(
        n=Sum(F("on_hand") + F("in_transit"))
    )["n"]
    received = Receipt.objects.filter(recall=recall).aggregate(n=Sum("quantity"))["n"] or 0
    corrected = (
        WorkOrderUnit.objects.filter(work_order__recall=recall, result="corrected").aggregate(
            n=Sum("quantity")
        )["n"]
        or 0
    )
    return affected, received + corrected


def test_percent_recovered_equals_an_independent_count(
    recall_c1: RecallCase, manager: User, make_user: Callable[..., User]
) -> None:
    quarantine = Location.objects.get(code="QUAR")
    assert portfolio.recovered_by_recall([recall_c1.pk]) == {recall_c1.pk: (970, 0)}
    ra = execution.return_create(
        recall=recall_c1, party=Party.objects.get(code="HOSP"), actor=manager
    )
    execution.return_receive(
        ra=ra, actor=manager, gtin=CATH, lot="C1", quantity=10, location=quarantine
    )
    destroy = execution.disposition_create(
        recall=recall_c1,
        kind="destroy",
        lot=Lot.objects.get(number="C1"),
        actor=manager,
        location=quarantine,
        quantity=4,
    )
    execution.disposition_complete(
        disposition=destroy,
        actor=manager,
        outcome="Shredded",
        place="Suzhou plant",
        method="Shredding",
        performed_by="Veolia",
        witnesses=["张伟"],
    )
    technician = make_user(Role.FIELD_SERVICE)
    provider = ServiceProvider.objects.create(
        name="Own team",
        party=PartyFactory(code="OWN-SVC", party_type="own_site"),
        technician=technician,
        skills=["inspection"],
        latitude=Decimal("31.2"),
        longitude=Decimal("121.5"),
    )
    provider.device_models.add(DeviceModel.objects.get(udi_di=CATH))
    order = execution.work_order_create(
        recall=recall_c1, party=Party.objects.get(code="SUB"), action="inspection", actor=manager
    )
    for unit in order.units.all():
        execution.work_order_record(unit=unit, actor=technician, result="corrected")
    found = portfolio.recovered_by_recall([recall_c1.pk])
    assert found == {recall_c1.pk: _independent(recall_c1)}
    # 10 received (6 in quarantine, 4 destroyed: counted once) + 100 corrected at SUB (its 50
    # on hand and the 50 on their way to it when the scope was frozen).
    assert found == {recall_c1.pk: (970, 110)}
    (row,) = portfolio.open_recall_rows([recall_c1])
    assert row.recovery == portfolio.Recovery(970, 110)
    assert row.recovery.percent == 11.3


def test_a_recall_without_a_frozen_scope_has_no_figure_rather_than_zero(
    recall_c1: RecallCase, manager: User
) -> None:
    draft = services.recall_open(
        actor=manager,
        title="未冻结",
        products=[DeviceModel.objects.get(udi_di=CATH)],
        reason="r",
        regimes=["fda"],
    )
    assert portfolio.recovered_by_recall([draft.pk, recall_c1.pk]) == {
        draft.pk: None,
        recall_c1.pk: (970, 0),
    }
    rows = {r.number: r for r in portfolio.open_recall_rows(list(RecallCase.objects.all()))}
    assert rows[draft.number].recovery is None
    assert rows[draft.number].levels == (portfolio.Level("fda", ""),)
    assert rows[draft.number].next_deadline is None
    assert rows[draft.number].clock_missing == (
        "The clock starts once the recall has a decision date and a class per regime.",
    )
    assert rows[recall_c1.number].levels == (portfolio.Level("nmpa", "I"),)


def test_open_recalls_leave_out_closed_terminated_and_cancelled(
    recall_c1: RecallCase, manager: User
) -> None:
    cancelled = services.recall_open(
        actor=manager, title="撤销", products=[DeviceModel.objects.get(udi_di=CATH)], reason="r"
    )
    services.recall_transition(recall=cancelled, target="cancelled", actor=manager, reason="dup")
    pending = open_recall(manager)
    listed = list(portfolio.open_recalls_for(viewer=manager))
    assert listed == [pending, recall_c1]
    holder = PartyFactory(code="PORTAL-P", party_type="hospital")
    portal = User.objects.create_user(username="portal-p", password="x", party=holder)
    assert list(portfolio.open_recalls_for(viewer=portal)) == []
    assert portfolio.deadlines_due_for(viewer=portal) == portfolio.DueDeadlines([], [], [])


def test_next_deadline_is_the_earliest_not_met(recall_c1: RecallCase, manager: User) -> None:
    from medrecall.recalls import deadlines

    now = timezone.now()
    rows, _missing = deadlines.deadlines_for(recall_c1, now=now)
    first = rows[0]
    (line,) = portfolio.open_recall_rows([recall_c1], now=now)
    assert (line.next_deadline.key, line.next_deadline.due_at) == (first.key, first.due_at)  # type: ignore[union-attr]
    deadlines.deadline_mark_done(
        recall=recall_c1,
        key=first.key,
        due_at=first.due_at,
        actor=manager,
        note="Filed on paper; the acknowledgement is in the file.",
    )
    later = timezone.now()
    (line,) = portfolio.open_recall_rows(
        [RecallCase.objects.prefetch_related("regimes", "deadlines_done").get(pk=recall_c1.pk)],
        now=later,
    )
    second = next(r for r in deadlines.deadlines_for(recall_c1, now=later)[0] if r.status != "done")
    assert (line.next_deadline.key, line.next_deadline.due_at) == (second.key, second.due_at)  # type: ignore[union-attr]
    assert first.key != second.key or first.due_at != second.due_at


def test_deadlines_due_split_into_this_week_and_overdue(
    recall_c1: RecallCase, manager: User
) -> None:
    from medrecall.recalls import deadlines

    now = timezone.now()
    due = portfolio.deadlines_due_for(viewer=manager, now=now)
    report = deadlines.due_report(now=now)
    assert due.overdue == [r for r in report.rows if r.status == "breached"]
    assert due.due == [r for r in report.rows if r.status != "breached"]
    assert len(due.overdue) > 1  # decided 2025-03-01: long breached
    assert {r.key for r in due.due} == {"nmpa.progress_report"}  # the next report of the cadence
    assert all(r.due_at <= now + timedelta(days=7) for r in due.due)


def _completed(manager: User, title: str, decided: datetime, completed: datetime) -> RecallCase:
    recall = services.recall_open(
        actor=manager,
        title=title,
        products=[DeviceModel.objects.get(udi_di=CATH)],
        reason="r",
        decision_at=decided,
    )
    RecallCase.objects.filter(pk=recall.pk).update(completed_at=completed)
    return recall


def test_portfolio_counts_recalls_per_month_product_and_days_to_completion(
    recall_c1: RecallCase, manager: User
) -> None:
    _completed(manager, "A", datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 31, tzinfo=UTC))
    _completed(
        manager, "B", datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 3, 13, 12, tzinfo=UTC)
    )
    cancelled = services.recall_open(
        actor=manager, title="C", products=[DeviceModel.objects.get(udi_di=CATH)], reason="r"
    )
    services.recall_transition(recall=cancelled, target="cancelled", actor=manager, reason="dup")
    figures = portfolio.portfolio_for(viewer=manager)
    this_month = timezone.localtime().strftime("%Y-%m")
    assert figures.per_month == [
        portfolio.MonthCount("2026-01", 0, 1),
        portfolio.MonthCount("2026-03", 0, 1),
        portfolio.MonthCount(this_month, 3, 0),  # C1's recall, A and B opened today; not C
    ]
    assert [(c.number, c.days) for c in figures.completions] == [
        (RecallCase.objects.get(title="B").number, 40.5),
        (RecallCase.objects.get(title="A").number, 30.0),
    ]
    assert figures.days_summary == {"count": 2, "median": 35.2, "mean": 35.2, "max": 40.5}
    assert figures.days_per_month == [("2026-01", 30.0), ("2026-03", 40.5)]
    (catheter,) = portfolio.products_for(viewer=manager)
    assert (catheter.udi_di, catheter.recalls_count, catheter.open_recalls) == (CATH, 3, 3)


def test_root_causes_are_reported_missing_while_recalls_have_no_such_field(
    recall_c1: RecallCase, manager: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    figures = portfolio.portfolio_for(viewer=manager)
    assert (figures.root_cause_field, figures.by_root_cause) == (None, [])
    # The grouping itself, over a field recalls have (as it will run over a root-cause field).
    monkeypatch.setattr(portfolio, "ROOT_CAUSE_FIELD", "action_type")
    services.recall_open(
        actor=manager,
        title="Correction",
        products=[DeviceModel.objects.get(udi_di=CATH)],
        reason="r",
        action_type="correction",
    )
    services.recall_open(
        actor=manager,
        title="Correction 2",
        products=[DeviceModel.objects.get(udi_di=CATH)],
        reason="r",
        action_type="correction",
    )
    figures = portfolio.portfolio_for(viewer=manager)
    assert figures.root_cause_field == "action_type"
    assert figures.by_root_cause == [("correction", 2), ("removal", 1)]


def test_percent_recovered_has_one_definition_the_cockpits() -> None:
    from medrecall.reporting import progress, queues

    assert portfolio.recovered_by_recall is progress.recovered_by_recall
    assert queues.recovered_by_recall is progress.recovered_by_recall
