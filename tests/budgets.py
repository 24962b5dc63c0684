"""A world that grows by whole recalls, for query-budget tests: each recall brings its own lot,
trace events, frozen scope, approval, notices, a return with a receipt, a disposition and a
work order, so every list and page has more rows of every kind after ``grow``.

A page whose query count is the same for one recall and for three does not run a query per
row; the tests in tests/api/test_query_budgets.py and tests/web/test_query_budgets.py walk
every list and detail with it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from django.core.files import File
from django.db import connection
from django.test.utils import CaptureQueriesContext

from medrecall.accounts.models import User
from medrecall.catalog.models import DeviceModel, Lot
from medrecall.core import services as core
from medrecall.execution import services as execution
from medrecall.execution.models import ServiceProvider
from medrecall.notices import send_runs
from medrecall.notices.models import Notice
from medrecall.parties.models import Location, Party
from medrecall.recalls import services as recalls
from medrecall.recalls.models import RecallCase
from tests.execution.conftest import approve, open_recall, seed_carriers
from tests.factories import ContactFactory, PartyFactory
from tests.traceability.scenario import CATH, HEADER, network
from tests.traceability.test_trace import DISTRIBUTION


@dataclass
class BudgetWorld:
    """The records of the growing world, the newest recall's first."""

    manager: User
    make_user: Callable[..., User]
    tmp_path: Path
    recalls: list[RecallCase] = field(default_factory=list)

    def grow(self, count: int = 1) -> None:
        for _step in range(count):
            self.recalls.insert(0, _add_recall(self, len(self.recalls) + 1))


def _add_recall(world: BudgetWorld, index: int) -> RecallCase:
    lot = f"QB{index}"
    lines = DISTRIBUTION.replace(",C1,", f",{lot},")
    lines = "\n".join(f"QB{index}{line}" for line in lines.strip().splitlines()) + "\n"
    upload = world.tmp_path / f"budget-{index}.csv"
    upload.write_text(HEADER + lines, encoding="utf-8")
    with upload.open("rb") as source:
        run = core.import_run_start(
            kind="events",
            upload=File(source, name=upload.name),
            file_name=upload.name,
            policy="reject",
            actor=world.manager,
        )
    assert core.import_run_execute(run_id=run.pk).status == "accepted"
    recall = approve(_open(world.manager, lot), world.make_user)
    run = send_runs.notice_run_start(recall=recall, actor=world.manager)
    send_runs.notice_run_execute(run.pk)  # the task's work, in the test's transaction
    hospital = Party.objects.get(code="HOSP")
    ra = execution.return_create(
        recall=recall,
        party=hospital,
        actor=world.manager,
        lines=[(Lot.objects.get(number=lot), None, 20)],
    )
    execution.return_receive(
        ra=ra,
        actor=world.manager,
        gtin=CATH,
        lot=lot,
        quantity=5,
        location=Location.objects.get(code="QUAR"),
    )
    execution.disposition_create(
        recall=recall,
        kind="destroy",
        lot=Lot.objects.get(number=lot),
        actor=world.manager,
        location=Location.objects.get(code="QUAR"),
        quantity=5,
    )
    execution.work_order_create(
        recall=recall,
        party=Party.objects.get(code="HOSP2"),
        action="inspection",
        actor=world.manager,
    )
    # Cases earlier in their lifecycle, whose next steps have guards to answer.
    open_recall(world.manager, values=[lot])
    model = DeviceModel.objects.get(udi_di=CATH)
    recalls.recall_open(
        actor=world.manager, title=f"Draft {index}", products=[model], reason="", regimes=["fda"]
    )
    return recall


def _open(manager: User, lot: str) -> RecallCase:
    """A recall of ``lot`` with its texts in both languages (notices go out in each), pending approval."""
    model = DeviceModel.objects.get(udi_di=CATH)
    recall = recalls.recall_open(
        actor=manager,
        title="导管尖端断裂",
        title_en="Catheter tip fracture",
        products=[model],
        reason="插入过程中导管尖端可能断裂脱落。",
        reason_en="The tip may break off during insertion.",
        regimes=["nmpa"],
        decision_at=datetime(2025, 3, 1, tzinfo=UTC),
    )
    recalls.recall_transition(recall=recall, target="assessment", actor=manager)
    recalls.hazard_evaluate(
        recall=recall,
        actor=manager,
        severity="death",
        likelihood="probable",
        defect_description="尖端粘接强度不足",
        defect_description_en="Weak bond at the tip",
        hazard_description="栓塞",
        hazard_description_en="Embolism",
    )
    recalls.scope_rule_add(
        recall=recall, actor=manager, kind="lots", device_model=model, values=[lot]
    )
    recalls.scope_freeze(recall=recall, actor=manager)
    return recalls.recall_transition(recall=recall, target="pending_approval", actor=manager)


def budget_world(tmp_path: Path, manager: User, make_user: Callable[..., User]) -> BudgetWorld:
    """The network with contacts, carriers and a service partner, and one recall in execution."""
    network()
    seed_carriers()
    parties = {p.code: p for p in Party.objects.all()}
    ContactFactory(
        party=parties["DIST"],
        name="Wang Li",
        email="wang@dist.example",
        language="zh-hans",
        is_primary=True,
    )
    ContactFactory(
        party=parties["SUB"], name="Chen Jie", email="chen@sub.example", language="zh-hans"
    )
    ContactFactory(
        party=parties["HOSP2"], name="Dr Smith", email="smith@hosp2.example", language="en"
    )
    partner = ServiceProvider.objects.create(
        name="Guangzhou partner",
        party=PartyFactory(code="SVC", party_type="service_partner"),
        skills=["inspection"],
        capacity=50,
        latitude=Decimal("23.10"),
        longitude=Decimal("113.30"),
    )
    partner.device_models.add(DeviceModel.objects.get(udi_di=CATH))
    world = BudgetWorld(manager=manager, make_user=make_user, tmp_path=tmp_path)
    world.grow()
    assert Notice.objects.count() > 0
    return world


def count_queries(request: Callable[[], object]) -> tuple[int, object]:
    """How many queries one request runs, and its response: measured on a second call, so
    that what is loaded once per user or process (permissions, content types) is not counted."""
    request()
    with CaptureQueriesContext(connection) as captured:
        response = request()
    return len(captured), response
