"""A recall approved and in execution over the small distribution network, with holders
that have two e-mail contacts (DIST), one Chinese contact (SUB), none at all (HOSP: a
letter) and an English one (HOSP2)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import call_command

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.catalog.models import DeviceModel
from medrecall.parties.models import Party
from medrecall.recalls import approvals, services
from medrecall.recalls.models import RecallCase
from tests.conftest import PASSWORD
from tests.factories import ContactFactory
from tests.traceability.scenario import CATH, network, run_events
from tests.traceability.test_trace import DISTRIBUTION


def approved_recall(
    tmp_path: Path,
    manager: User,
    make_user: Callable[..., User],
    *,
    regimes: tuple[str, ...] = ("nmpa",),
    recall_class: str = "",
    action_type: str = "removal",
) -> RecallCase:
    network()
    assert run_events(tmp_path, DISTRIBUTION).accepted
    parties = {p.code: p for p in Party.objects.all()}
    ContactFactory(
        party=parties["DIST"],
        name="Wang Li",
        email="wang@dist.example",
        language="zh-hans",
        is_primary=True,
    )
    ContactFactory(
        party=parties["DIST"], name="Zhao Min", email="zhao@dist.example", language="zh-hans"
    )
    ContactFactory(
        party=parties["SUB"], name="Chen Jie", email="chen@sub.example", language="zh-hans"
    )
    ContactFactory(
        party=parties["HOSP2"], name="Dr Smith", email="smith@hosp2.example", language="en"
    )
    Party.objects.filter(code="HOSP").update(preferred_channel="letter")
    catheter = DeviceModel.objects.get(udi_di=CATH)
    recall = services.recall_open(
        actor=manager,
        title="导管尖端断裂",
        title_en="Catheter tip fracture",
        products=[catheter],
        reason="插入过程中导管尖端可能断裂脱落。",
        reason_en="The tip may break off during insertion.",
        regimes=list(regimes),
        decision_at=datetime(2025, 3, 1, tzinfo=UTC),
        action_type=action_type,
    )
    services.recall_transition(recall=recall, target="assessment", actor=manager)
    services.hazard_evaluate(
        recall=recall,
        actor=manager,
        severity="death",
        likelihood="probable",
        defect_description="尖端粘接强度不足",
        defect_description_en="Weak bond at the tip",
        hazard_description="栓塞",
        hazard_description_en="Embolism",
    )
    for regime in regimes if recall_class else ():
        services.recall_classify(
            recall=recall,
            regime=regime,
            recall_class=recall_class,
            actor=manager,
            reason="Only cosmetic defects reached the field.",
        )
    services.scope_rule_add(
        recall=recall, actor=manager, kind="lots", device_model=catheter, values=["C1"]
    )
    services.scope_freeze(recall=recall, actor=manager)
    recall = services.recall_transition(recall=recall, target="pending_approval", actor=manager)
    for step in sorted({s.step for s in approvals.required_steps(recall)}):
        signer = make_user(Role.QA_RA_MANAGER)
        approvals.approval_sign(
            recall=recall, step=step, actor=signer, password=PASSWORD, username=signer.username
        )
    return services.recall_transition(recall=recall, target="in_execution", actor=manager)


@pytest.fixture
def recall(tmp_path: Path, manager: User, make_user: Callable[..., User]) -> RecallCase:
    return approved_recall(tmp_path, manager, make_user)


def work_off_queue() -> None:
    """Run every queued task, as the worker would."""
    for _ in range(5):
        call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
