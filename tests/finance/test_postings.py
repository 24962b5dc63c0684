# ruff: noqa: F811 - the fixtures of tests/execution/conftest.py are imported by name
"""Automatic postings: each source record's cost is posted exactly once — by the task queued
after its change committed, again by a retried task (nothing new), by the sweep when the task
never ran (a killed worker), and nothing new when the late task runs after the sweep. A missing
rate or unit cost leaves the posting waiting, never a wrong amount."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.audit.models import AuditEntry
from medrecall.catalog.models import DeviceModel, Lot
from medrecall.execution import services
from medrecall.execution.models import ServiceProvider, WorkOrder
from medrecall.finance import ledger, postings
from medrecall.finance.models import (
    CostEntry,
    DispositionCost,
    PostedLetter,
    ProviderRate,
)
from medrecall.notices import postal, relations
from medrecall.notices.models import Notice, NoticeEvent, NoticeRun
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from tests.conftest import PASSWORD
from tests.execution.conftest import (  # noqa: F401 - fixtures used by name
    loc,
    pump_recall,
    recall,
    warehouse_user,
    world,
)
from tests.factories import PartyFactory
from tests.traceability.scenario import CATH

pytestmark = pytest.mark.django_db

CATH_SCAN = "010695000000001910C1"


def work_off_queue() -> None:
    """Run every queued task as the worker does (claim, run, record), in this test's
    transaction (the worker command closes the test's connection)."""
    for result in DBTaskResult.objects.ready().order_by("enqueued_at"):
        result.claim("test-worker")
        args = result.args_kwargs
        result.set_successful(result.task.call(*args["args"], **args["kwargs"]))


def entries(source: str) -> list[tuple[str, str, Decimal, str, str]]:
    return list(
        CostEntry.objects.filter(source=source)
        .order_by("source_key")
        .values_list("source_key", "category", "amount", "currency", "recall__number")
    )


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Any) -> Callable[..., Any]:
    """Run a service as if its transaction committed: the hooks run (and queue the task)."""

    def run(action: Callable[[], Any]) -> Any:
        with django_capture_on_commit_callbacks(execute=True):
            return action()

    return run


def picked_up(recall: RecallCase, manager: User) -> Any:
    ra = services.return_create(recall=recall, party=Party.objects.get(code="HOSP"), actor=manager)
    return services.return_transition(ra=ra, target="picked_up", actor=manager)


# --- waybill: a return picked up --------------------------------------------------------------


def test_a_picked_up_return_posts_its_carrier_cost_once_through_the_task(
    recall: RecallCase, manager: User, committed: Callable[..., Any]
) -> None:
    ra = committed(lambda: picked_up(recall, manager))
    assert DBTaskResult.objects.filter(task_path__endswith="postings_post_task").count() == 1
    assert CostEntry.objects.count() == 0  # queued, not posted inside the return's transaction
    work_off_queue()
    entry = CostEntry.objects.get()
    assert (entry.source, entry.source_key, entry.category) == ("waybill", ra.number, "logistics")
    assert (entry.amount, entry.currency, entry.company_amount) == (
        ra.expected_cost,
        "CNY",
        ra.expected_cost,
    )
    assert (entry.vendor.code, entry.holder.code, entry.document_reference) == (  # type: ignore[union-attr]
        "SF",
        "HOSP",
        ra.waybill_number,
    )
    assert entry.incurred_on == timezone.localdate()
    audit = AuditEntry.objects.get(action="finance.cost_posted", target_id=str(entry.pk))
    assert audit.actor_name == "finance postings"


def test_the_task_run_twice_posts_once(
    recall: RecallCase, manager: User, committed: Callable[..., Any]
) -> None:
    ra = committed(lambda: picked_up(recall, manager))
    postings.post_happened("return_picked_up", [ra.pk])
    postings.post_happened("return_picked_up", [ra.pk])
    work_off_queue()  # the queued task runs too: a third time
    assert entries("waybill") == [(ra.number, "logistics", ra.expected_cost, "CNY", recall.number)]
    assert AuditEntry.objects.filter(action="finance.cost_posted").count() == 1


def test_a_killed_worker_loses_nothing_the_sweep_posts_and_the_late_task_adds_nothing(
    recall: RecallCase, manager: User
) -> None:
    ra = picked_up(recall, manager)  # committed, but its task never ran (no on-commit here)
    assert CostEntry.objects.count() == 0
    swept = postings.postings_sweep()
    assert [e.source_key for e in swept.posted] == [ra.number]
    late = postings.post_happened("return_picked_up", [ra.pk])
    assert late.posted == []
    assert postings.postings_sweep().posted == []
    assert entries("waybill") == [(ra.number, "logistics", ra.expected_cost, "CNY", recall.number)]


def test_a_return_still_authorised_or_cancelled_posts_nothing(
    recall: RecallCase, manager: User
) -> None:
    hosp = Party.objects.get(code="HOSP")
    services.return_create(recall=recall, party=hosp, actor=manager)
    assert postings.postings_sweep().posted == []
    assert CostEntry.objects.count() == 0


def test_a_return_received_before_its_pick_up_was_recorded_posts_its_cost(
    recall: RecallCase, manager: User, warehouse_user: User
) -> None:
    ra = services.return_create(recall=recall, party=Party.objects.get(code="HOSP"), actor=manager)
    expected = sum(line.expected for line in ra.lines.all())
    services.return_receive(ra=ra, actor=warehouse_user, barcode=CATH_SCAN, quantity=expected)
    ra.refresh_from_db()
    assert ra.status == "received"  # every line in: received, its pick-up never recorded
    assert [e.source_key for e in postings.postings_sweep().posted] == [ra.number]


# --- a foreign currency without the day's rate waits -----------------------------------------


def test_a_cost_in_a_currency_without_the_days_rate_waits_then_posts_once_the_rate_is_entered(
    recall: RecallCase, manager: User, make_user: Callable[..., User]
) -> None:
    ra = services.return_create(recall=recall, party=Party.objects.get(code="HOSP"), actor=manager)
    type(ra).objects.filter(pk=ra.pk).update(currency="USD", expected_cost=Decimal("12.50"))
    services.return_transition(ra=ra, target="picked_up", actor=manager)
    first = postings.postings_sweep()
    assert first.posted == []
    assert [(d.key, d.waiting, d.problem) for d in first.waiting] == [
        (
            ra.number,
            "rate",
            f"No exchange rate for USD on {timezone.localdate().isoformat()}: enter it.",
        )
    ]
    assert [(d.key, d.waiting) for d in postings.waiting_for(recall)] == [(ra.number, "rate")]
    ledger.rate_set(
        actor=make_user(Role.ADMINISTRATOR),
        currency="USD",
        rate_on=timezone.localdate(),
        rate="7.1",
    )
    assert [d.ready for d in postings.waiting_for(recall)] == [True]  # ready, not posted yet
    second = postings.postings_sweep()
    assert [(e.amount, e.currency, e.rate, e.company_amount) for e in second.posted] == [
        (Decimal("12.50"), "USD", Decimal("7.1"), Decimal("88.75"))
    ]
    assert postings.waiting_for(recall) == []


# --- dispositions and the replacement ---------------------------------------------------------


def received_c1(recall: RecallCase, manager: User, user: User, quantity: int = 10) -> Lot:
    ra = services.return_create(recall=recall, party=Party.objects.get(code="HOSP"), actor=manager)
    services.return_receive(ra=ra, actor=user, barcode=CATH_SCAN, quantity=quantity)
    return Lot.objects.get(number="C1")


def disposed(recall: RecallCase, user: User, kind: str, quantity: int, **extra: Any) -> Any:
    d = services.disposition_create(
        recall=recall,
        kind=kind,
        lot=Lot.objects.get(number="C1"),
        quantity=quantity,
        actor=user,
        location=loc("QUAR"),
        **extra,
    )
    completion: dict[str, Any] = {
        "destroy": {
            "method": "Shredding",
            "place": "苏州",
            "performed_by": "Veolia",
            "witnesses": ["张伟"],
        },
        "release": {"password": PASSWORD, "username": user.username},
    }.get(kind, {})
    return services.disposition_complete(disposition=d, actor=user, outcome="done", **completion)


def test_a_done_disposition_posts_quantity_times_the_models_unit_cost_else_any_models(
    recall: RecallCase, manager: User, warehouse_user: User, committed: Callable[..., Any]
) -> None:
    cath = DeviceModel.objects.get(udi_di=CATH)
    DispositionCost.objects.create(kind="repair", device_model=cath, unit_cost=Decimal("35.20"))
    DispositionCost.objects.create(kind="repair", device_model=None, unit_cost=Decimal("99"))
    DispositionCost.objects.create(kind="destroy", device_model=None, unit_cost=Decimal("4.05"))
    received_c1(recall, manager, warehouse_user)
    repair = committed(lambda: disposed(recall, warehouse_user, "repair", 3))
    destroy = committed(lambda: disposed(recall, warehouse_user, "destroy", 7))
    work_off_queue()
    work_off_queue()
    assert entries("disposition") == sorted(
        [
            (repair.number, "repair", Decimal("105.60"), "CNY", recall.number),
            (destroy.number, "destruction", Decimal("28.35"), "CNY", recall.number),
        ]
    )
    assert list(CostEntry.objects.order_by("source_key").values_list("units", flat=True)) == sorted(
        [3, 7], key=lambda units: {3: repair.number, 7: destroy.number}[units]
    )
    postings.post_happened("disposition_done", [repair.pk, destroy.pk])
    assert postings.postings_sweep().posted == []
    assert CostEntry.objects.count() == 2


def test_a_disposition_without_a_unit_cost_waits_and_posts_after_the_cost_is_entered(
    recall: RecallCase, manager: User, warehouse_user: User
) -> None:
    received_c1(recall, manager, warehouse_user)
    d = disposed(recall, warehouse_user, "repair", 2)
    result = postings.postings_sweep()
    assert (result.posted, [(w.key, w.waiting) for w in result.waiting]) == (
        [],
        [(d.number, "unit_cost")],
    )
    assert "No cost per unit for Repair / rework of" in result.waiting[0].problem
    DispositionCost.objects.create(kind="repair", unit_cost=Decimal("10"))
    assert entries("disposition") == []
    postings.postings_sweep()
    assert entries("disposition") == [(d.number, "repair", Decimal("20.00"), "CNY", recall.number)]


def test_a_release_posts_nothing(recall: RecallCase, manager: User, warehouse_user: User) -> None:
    DispositionCost.objects.create(kind="release", unit_cost=Decimal("10"))
    received_c1(recall, manager, warehouse_user)
    assert disposed(recall, warehouse_user, "release", 2).status == "done"
    assert postings.postings_sweep().posted == []
    assert CostEntry.objects.count() == 0


def test_a_replacement_shipped_posts_the_replacement_units_once(
    recall: RecallCase,
    manager: User,
    warehouse_user: User,
    tmp_path: Any,
    committed: Callable[..., Any],
) -> None:
    from tests.traceability.scenario import run_events

    assert run_events(
        tmp_path,
        f"NEW,produced,2025-04-01T08:00:00+08:00,{CATH},C7,,50,,FAC,WO-7,2025-04-01,2028-01-01,,\n",
        "c7.csv",
    ).accepted
    DispositionCost.objects.create(kind="replace", unit_cost=Decimal("250"))
    received_c1(recall, manager, warehouse_user)
    d = committed(
        lambda: disposed(
            recall,
            warehouse_user,
            "replace",
            4,
            replacement_lot=Lot.objects.get(number="C7"),
            replacement_from=loc("FAC"),
            replacement_to=loc("H1"),
        )
    )
    work_off_queue()
    postings.post_happened("disposition_done", [d.pk])
    assert entries("replacement") == [
        (d.number, "replacement", Decimal("1000.00"), "CNY", recall.number)
    ]
    assert CostEntry.objects.count() == 1


# --- work orders ------------------------------------------------------------------------------


def done_work_order(recall: RecallCase, manager: User, distance: str | None) -> WorkOrder:
    partner = PartyFactory(code="SVC-GZ", party_type="service_partner")
    provider = ServiceProvider.objects.create(
        name="Guangzhou partner",
        party=partner,
        skills=["inspection"],
        latitude=Decimal("23.10"),
        longitude=Decimal("113.30"),
    )
    provider.device_models.add(DeviceModel.objects.get(udi_di=CATH))
    order = services.work_order_create(
        recall=recall, party=Party.objects.get(code="HOSP"), action="inspection", actor=manager
    )
    WorkOrder.objects.filter(pk=order.pk).update(
        distance_km=Decimal(distance) if distance else None
    )
    for unit in order.units.all():
        services.work_order_record(unit=unit, actor=manager, result="corrected")
    return WorkOrder.objects.get(pk=order.pk)


def test_a_done_work_order_posts_labour_and_travel_there_and_back_once_each(
    recall: RecallCase, manager: User, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        order = done_work_order(recall, manager, "12.5")
        assert order.status == "done"
    ProviderRate.objects.create(
        provider=order.provider,
        hourly_rate=Decimal("180"),
        hours_per_work_order=Decimal("1.5"),
        per_km=Decimal("2.40"),
    )
    work_off_queue()  # the worker runs the task after the rate is in place
    assert entries("work_order") == [
        (f"{order.number}:labour", "labour", Decimal("270.00"), "CNY", recall.number),
        (f"{order.number}:travel", "labour", Decimal("60.00"), "CNY", recall.number),
    ]
    postings.post_happened("work_order_done", [order.pk])
    assert postings.postings_sweep().posted == []
    assert CostEntry.objects.count() == 2


def test_a_work_order_without_provider_rates_waits_and_without_distance_posts_labour_only(
    recall: RecallCase, manager: User
) -> None:
    order = done_work_order(recall, manager, None)
    waiting = postings.postings_sweep().waiting
    assert [(w.key, w.waiting) for w in waiting] == [(f"{order.number}:labour", "unit_cost")]
    ProviderRate.objects.create(
        provider=order.provider, hourly_rate=Decimal("100"), per_km=Decimal("3")
    )
    postings.postings_sweep()
    assert entries("work_order") == [
        (f"{order.number}:labour", "labour", Decimal("200.00"), "CNY", recall.number)
    ]


# --- offers -----------------------------------------------------------------------------------


def test_a_fulfilled_offer_posts_its_value_as_compensation_once(
    recall: RecallCase, manager: User, make_user: Callable[..., User], committed: Callable[..., Any]
) -> None:
    offer = relations.offer_propose(
        recall=recall,
        party=Party.objects.get(code="HOSP"),
        kind="credit",
        description="Credit note",
        actor=manager,
        amount=Decimal("1500.00"),
    )
    approver = make_user(Role.QA_RA_MANAGER)
    relations.offer_decide(offer=offer, approve=True, actor=approver)
    committed(lambda: relations.offer_fulfil(offer=offer, actor=approver))
    work_off_queue()
    postings.post_happened("offer_fulfilled", [offer.pk])
    assert entries("offer") == [
        (str(offer.pk), "compensation", Decimal("1500.00"), "CNY", recall.number)
    ]
    assert CostEntry.objects.get().holder.code == "HOSP"  # type: ignore[union-attr]


# --- letters ----------------------------------------------------------------------------------


@pytest.fixture
def letters(recall: RecallCase, manager: User) -> list[Notice]:
    run = NoticeRun.objects.create(recall=recall, started_by=manager)
    return [
        Notice.objects.create(
            recall=recall,
            run=run,
            party=Party.objects.get(code=code),
            recipient_key=f"{code}-post",
            kind="initial",
            regime="nmpa",
            language="zh-hans",
            channel="letter",
            token_nonce=f"n-{code}",
        )
        for code in ("HOSP", "DIST")
    ]


def test_letters_posted_together_pay_postage_once_per_batch(
    recall: RecallCase,
    manager: User,
    letters: list[Notice],
    make_user: Callable[..., User],
    committed: Callable[..., Any],
) -> None:
    policy = ledger.policy()
    policy.postage_per_letter = Decimal("8.50")
    policy.save()
    committed(lambda: postal.letters_posted(notices=letters, actor=manager))
    assert DBTaskResult.objects.filter(task_path__endswith="postings_post_task").count() == 1
    work_off_queue()
    events = list(NoticeEvent.objects.filter(type="letter").order_by("pk"))
    run = letters[0].run_id
    assert entries("notice_run") == [
        (f"NR-{run}/L-{events[0].pk}", "communication", Decimal("17.00"), "CNY", recall.number)
    ]
    assert CostEntry.objects.get().units == 2
    postings.post_happened("letters_posted", [e.pk for e in events])
    assert postings.postings_sweep().posted == []
    assert PostedLetter.objects.count() == 2
    assert CostEntry.objects.count() == 1


def test_letters_without_postage_wait_and_the_sweep_pays_each_letter_once(
    recall: RecallCase, manager: User, letters: list[Notice]
) -> None:
    postal.letters_posted(notices=letters[:1], actor=manager)
    postal.letters_posted(notices=letters[1:], actor=manager)
    assert [w.waiting for w in postings.postings_sweep().waiting] == ["unit_cost"]
    policy = ledger.policy()
    policy.postage_per_letter = Decimal("3")
    policy.save()
    swept = postings.postings_sweep()
    assert [(e.amount, e.units) for e in swept.posted] == [(Decimal("6.00"), 2)]
    late = postings.post_happened(
        "letters_posted", list(NoticeEvent.objects.values_list("pk", flat=True))
    )
    assert late.posted == []
    assert PostedLetter.objects.count() == 2


def test_an_unknown_happening_posts_nothing(recall: RecallCase) -> None:
    assert postings.post_happened("something_else", [1]).posted == []
