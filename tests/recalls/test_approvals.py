"""Approvals: the steps a class needs, signing with the password, who may sign, and a
signature that no longer matches once the record changes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from medrecall.accounts.models import Signature, User
from medrecall.accounts.roles import Role
from medrecall.accounts.signatures import SignatureRefused
from medrecall.catalog.models import DeviceModel
from medrecall.core.errors import ValidationFailed
from medrecall.core.states import ActionNotAllowed
from medrecall.recalls import approvals, services
from medrecall.recalls.models import RecallCase
from tests.conftest import PASSWORD
from tests.traceability.scenario import CATH, network, run_events
from tests.traceability.test_trace import DISTRIBUTION

pytestmark = pytest.mark.django_db


@pytest.fixture
def pending(tmp_path: Path, manager: User) -> RecallCase:
    network()
    assert run_events(tmp_path, DISTRIBUTION).accepted
    catheter = DeviceModel.objects.get(udi_di=CATH)
    recall = services.recall_open(actor=manager, title="Tip fracture", products=[catheter], reason="tip",
                                  regimes=["nmpa"], decision_at=datetime(2025, 3, 1, tzinfo=UTC))
    services.recall_transition(recall=recall, target="assessment", actor=manager)
    services.hazard_evaluate(recall=recall, actor=manager, severity="death", likelihood="probable")
    services.scope_rule_add(recall=recall, actor=manager, kind="lots", device_model=catheter, values=["C1"])
    services.scope_freeze(recall=recall, actor=manager)
    return services.recall_transition(recall=recall, target="pending_approval", actor=manager)


def test_class_i_needs_qa_and_ra_heads(pending: RecallCase, make_user: Callable[..., User]) -> None:
    assert sorted(approvals.missing_approvals(pending)) == ["QA head", "RA head"]
    qa, ra = make_user(Role.QA_RA_MANAGER), make_user(Role.QA_RA_MANAGER)
    session: dict[str, object] = {}
    approvals.approval_sign(recall=pending, step="qa_head", actor=qa, password=PASSWORD, username=qa.username,
                            session=session)
    with pytest.raises(services.TransitionRefused, match="Signatures still missing: RA head"):
        services.recall_transition(recall=pending, target="in_execution", actor=qa)
    approvals.approval_sign(recall=pending, step="ra_head", actor=ra, password=PASSWORD, username=ra.username)
    assert approvals.missing_approvals(pending) == []
    assert services.recall_transition(recall=pending, target="in_execution", actor=qa).status == "in_execution"


def test_wrong_password_signs_nothing(pending: RecallCase, manager: User) -> None:
    with pytest.raises(SignatureRefused):
        approvals.approval_sign(recall=pending, step="qa_head", actor=manager, password="wrong",
                                username=manager.username)
    assert Signature.objects.count() == 0
    assert sorted(approvals.missing_approvals(pending)) == ["QA head", "RA head"]


def test_a_role_without_the_step_may_not_sign(pending: RecallCase, make_user: Callable[..., User]) -> None:
    finance = make_user(Role.FINANCE)
    with pytest.raises(ValidationFailed, match="may not sign"):
        approvals.approval_sign(recall=pending, step="qa_head", actor=finance, password=PASSWORD,
                                username=finance.username)
    assert Signature.objects.count() == 0


def test_changing_the_record_after_signing_voids_the_signature(pending: RecallCase, manager: User) -> None:
    approvals.approval_sign(recall=pending, step="qa_head", actor=manager, password=PASSWORD, username=manager.username)
    assert "QA head" not in approvals.missing_approvals(pending)
    RecallCase.objects.filter(pk=pending.pk).update(reason="tip and shaft")  # the decision record changes
    pending.refresh_from_db()
    assert "QA head" in approvals.missing_approvals(pending)
    from medrecall.accounts.signatures import signature_status

    assert signature_status(Signature.objects.get(), approvals.approval_content(pending)) == "content_changed"


def test_only_pending_recalls_are_approved(pending: RecallCase, manager: User) -> None:
    services.recall_transition(recall=pending, target="assessment", actor=manager, reason="more data")
    pending.refresh_from_db()
    with pytest.raises(ActionNotAllowed, match="Signing an approval step is not possible while recall .* is "
                                               r"Assessment \(possible when it is: Pending approval\)"):
        approvals.approval_sign(recall=pending, step="qa_head", actor=manager, password=PASSWORD,
                                username=manager.username)
