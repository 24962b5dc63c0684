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
from medrecall.audit.models import AuditEntry
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
    recall = services.recall_open(
        actor=manager,
        title="Tip fracture",
        products=[catheter],
        reason="tip",
        regimes=["nmpa"],
        decision_at=datetime(2025, 3, 1, tzinfo=UTC),
    )
    services.recall_transition(recall=recall, target="assessment", actor=manager)
    services.hazard_evaluate(recall=recall, actor=manager, severity="death", likelihood="probable")
    services.scope_rule_add(
        recall=recall, actor=manager, kind="lots", device_model=catheter, values=["C1"]
    )
    services.scope_freeze(recall=recall, actor=manager)
    return services.recall_transition(recall=recall, target="pending_approval", actor=manager)


def test_class_i_needs_qa_and_ra_heads(pending: RecallCase, make_user: Callable[..., User]) -> None:
    assert sorted(approvals.missing_approvals(pending)) == ["QA head", "RA head"]
    qa, ra = make_user(Role.QA_RA_MANAGER), make_user(Role.QA_RA_MANAGER)
    session: dict[str, object] = {}
    approvals.approval_sign(
        recall=pending,
        step="qa_head",
        actor=qa,
        password=PASSWORD,
        username=qa.username,
        session=session,
    )
    with pytest.raises(
        services.TransitionRefused,
        match=r"Signatures still missing: Head of regulatory affairs \(RA\)",
    ):
        services.recall_transition(recall=pending, target="in_execution", actor=qa)
    approvals.approval_sign(
        recall=pending, step="ra_head", actor=ra, password=PASSWORD, username=ra.username
    )
    assert approvals.missing_approvals(pending) == []
    assert (
        services.recall_transition(recall=pending, target="in_execution", actor=qa).status
        == "in_execution"
    )


def test_wrong_password_signs_nothing(pending: RecallCase, manager: User) -> None:
    with pytest.raises(SignatureRefused):
        approvals.approval_sign(
            recall=pending,
            step="qa_head",
            actor=manager,
            password="wrong",
            username=manager.username,
        )
    assert Signature.objects.count() == 0
    assert sorted(approvals.missing_approvals(pending)) == ["QA head", "RA head"]


def test_a_role_without_the_step_may_not_sign(
    pending: RecallCase, make_user: Callable[..., User]
) -> None:
    finance = make_user(Role.FINANCE)
    with pytest.raises(ValidationFailed, match="may not sign"):
        approvals.approval_sign(
            recall=pending,
            step="qa_head",
            actor=finance,
            password=PASSWORD,
            username=finance.username,
        )
    assert Signature.objects.count() == 0


def test_changing_the_record_after_signing_voids_the_signature(
    pending: RecallCase, manager: User
) -> None:
    approvals.approval_sign(
        recall=pending, step="qa_head", actor=manager, password=PASSWORD, username=manager.username
    )
    assert "QA head" not in approvals.missing_approvals(pending)
    RecallCase.objects.filter(pk=pending.pk).update(
        reason="tip and shaft"
    )  # the decision record changes
    pending.refresh_from_db()
    assert "QA head" in approvals.missing_approvals(pending)
    from medrecall.accounts.signatures import signature_status

    assert (
        signature_status(Signature.objects.get(), approvals.approval_content(pending))
        == "content_changed"
    )


def test_only_pending_recalls_are_approved(pending: RecallCase, manager: User) -> None:
    services.recall_transition(
        recall=pending, target="assessment", actor=manager, reason="more data"
    )
    pending.refresh_from_db()
    with pytest.raises(
        ActionNotAllowed,
        match="Signing an approval step is not possible while recall .* is "
        r"Assessment \(possible when it is: Pending approval\)",
    ):
        approvals.approval_sign(
            recall=pending,
            step="qa_head",
            actor=manager,
            password=PASSWORD,
            username=manager.username,
        )


def test_one_person_may_not_sign_two_steps(pending: RecallCase, manager: User) -> None:
    approvals.approval_sign(
        recall=pending, step="qa_head", actor=manager, password=PASSWORD, username=manager.username
    )
    entries = AuditEntry.objects.count()
    with pytest.raises(
        approvals.SameSignerRefused,
        match=r"^You signed the step Head of quality \(QA\) of this recall already; the step Head of regulatory affairs \(RA\) needs "
        r"another signer\.$",
    ) as refused:
        approvals.approval_sign(
            recall=pending,
            step="ra_head",
            actor=manager,
            password=PASSWORD,
            username=manager.username,
        )
    assert refused.value.code == "same_signer"
    assert list(Signature.objects.values_list("step", flat=True)) == ["qa_head"]
    assert AuditEntry.objects.count() == entries
    assert approvals.missing_approvals(pending) == ["RA head"]


def test_one_signer_for_every_step_where_the_step_set_allows_it(
    pending: RecallCase, manager: User
) -> None:
    from medrecall.recalls.models import ApprovalStep

    ApprovalStep.objects.filter(regime="nmpa", recall_class="I").update(distinct_signer=False)
    session: dict[str, object] = {}
    approvals.approval_sign(
        recall=pending,
        step="qa_head",
        actor=manager,
        password=PASSWORD,
        username=manager.username,
        session=session,
    )
    approvals.approval_sign(
        recall=pending, step="ra_head", actor=manager, password=PASSWORD, session=session
    )
    assert approvals.missing_approvals(pending) == []
    assert list(Signature.objects.order_by("pk").values_list("step", "signer")) == [
        ("qa_head", manager.pk),
        ("ra_head", manager.pk),
    ]


def test_a_step_that_needs_its_own_signer_refuses_one_who_signed_a_lenient_step(
    pending: RecallCase,
    manager: User,
) -> None:
    from medrecall.recalls.models import ApprovalStep

    ApprovalStep.objects.filter(regime="nmpa", recall_class="I", step="qa_head").update(
        distinct_signer=False
    )
    approvals.approval_sign(
        recall=pending, step="qa_head", actor=manager, password=PASSWORD, username=manager.username
    )
    with pytest.raises(approvals.SameSignerRefused):
        approvals.approval_sign(
            recall=pending,
            step="ra_head",
            actor=manager,
            password=PASSWORD,
            username=manager.username,
        )
    assert Signature.objects.count() == 1


def test_same_signer_is_refused_in_the_api(
    pending: RecallCase, manager: User, api_as: Callable[..., object]
) -> None:
    client = api_as(manager)
    first = client.post(
        f"/api/recalls/{pending.pk}/sign/",  # type: ignore[attr-defined]
        {"step": "qa_head", "password": PASSWORD, "username": manager.username},
        format="json",
    )
    assert first.status_code == 201
    second = client.post(
        f"/api/recalls/{pending.pk}/sign/",  # type: ignore[attr-defined]
        {"step": "ra_head", "password": PASSWORD, "username": manager.username},
        format="json",
    )
    assert (second.status_code, second.json()["code"]) == (400, "same_signer")
    assert Signature.objects.count() == 1


def test_changing_a_class_needs_a_reason(pending: RecallCase, manager: User) -> None:
    regime = pending.regimes.get()
    regime.proposed_class = ""  # a class chosen by hand, no proposal to depart from
    regime.save(update_fields=["proposed_class"])
    entries = AuditEntry.objects.count()
    with pytest.raises(ValidationFailed, match=r"^Say why the class changes from I to II\.$"):
        services.recall_classify(recall=pending, regime="nmpa", recall_class="II", actor=manager)
    assert pending.regimes.get().recall_class == "I"
    assert AuditEntry.objects.count() == entries


def approve_both(recall: RecallCase, make_user: Callable[..., User]) -> list[User]:
    signers = [make_user(Role.QA_RA_MANAGER), make_user(Role.QA_RA_MANAGER)]
    for step, signer in zip(("qa_head", "ra_head"), signers, strict=True):
        approvals.approval_sign(
            recall=recall, step=step, actor=signer, password=PASSWORD, username=signer.username
        )
    return signers


def test_a_class_change_after_approval_sends_the_recall_back(
    pending: RecallCase,
    manager: User,
    make_user: Callable[..., User],
) -> None:
    qa, _ra = approve_both(pending, make_user)
    services.recall_transition(recall=pending, target="in_execution", actor=manager)
    services.recall_classify(
        recall=pending,
        regime="nmpa",
        recall_class="II",
        actor=manager,
        reason="New data: no death is credible",
    )
    pending.refresh_from_db()
    assert pending.status == "pending_approval"
    assert Signature.objects.filter(superseded_at__isnull=True).count() == 0
    assert set(Signature.objects.values_list("superseded_reason", flat=True)) == {
        "New data: no death is credible"
    }
    assert sorted(approvals.missing_approvals(pending)) == [
        "QA head"
    ]  # NMPA class II needs the QA head only
    assert list(pending.transitions.order_by("pk").values_list("source", "target", "reason"))[
        -1
    ] == ("in_execution", "pending_approval", "New data: no death is credible")
    restarted = AuditEntry.objects.get(action="recalls.approval_restarted")
    assert restarted.changes == {
        "class.nmpa": ["I", "II"],
        "status": ["in_execution", "pending_approval"],
        "signatures_superseded": [sorted(Signature.objects.values_list("pk", flat=True)), None],
    }
    assert AuditEntry.objects.filter(action="accounts.signatures_superseded").count() == 1
    with pytest.raises(
        services.TransitionRefused, match=r"Signatures still missing: Head of quality \(QA\)"
    ):
        services.recall_transition(recall=pending, target="in_execution", actor=manager)
    # Approval starts over: the QA head signs again, and the recall goes back to execution.
    approvals.approval_sign(
        recall=pending, step="qa_head", actor=qa, password=PASSWORD, username=qa.username
    )
    assert (
        services.recall_transition(recall=pending, target="in_execution", actor=manager).status
        == "in_execution"
    )


def test_a_decision_date_change_after_approval_needs_a_reason_and_restarts_approval(
    pending: RecallCase,
    manager: User,
    make_user: Callable[..., User],
) -> None:
    approve_both(pending, make_user)
    services.recall_transition(recall=pending, target="in_execution", actor=manager)
    pending.refresh_from_db()
    entries = AuditEntry.objects.count()
    with pytest.raises(ValidationFailed, match="say why the decision date changes"):
        services.recall_update(
            recall=pending,
            actor=manager,
            version=pending.version,
            decision_at=datetime(2025, 3, 2, tzinfo=UTC),
        )
    assert AuditEntry.objects.count() == entries
    pending.refresh_from_db()
    assert (pending.status, pending.decision_at) == (
        "in_execution",
        datetime(2025, 3, 1, tzinfo=UTC),
    )
    updated = services.recall_update(
        recall=pending,
        actor=manager,
        version=pending.version,
        decision_at=datetime(2025, 3, 2, tzinfo=UTC),
        change_reason="Minutes corrected",
    )
    assert updated.status == "pending_approval"
    assert sorted(approvals.missing_approvals(updated)) == ["QA head", "RA head"]
    assert Signature.objects.filter(superseded_at__isnull=True).count() == 0


def test_a_class_change_while_pending_with_signatures_restarts_approval(
    pending: RecallCase,
    manager: User,
    make_user: Callable[..., User],
) -> None:
    approve_both(pending, make_user)
    services.recall_classify(
        recall=pending, regime="nmpa", recall_class="II", actor=manager, reason="re-evaluated"
    )
    pending.refresh_from_db()
    assert pending.status == "pending_approval"
    assert Signature.objects.filter(superseded_at__isnull=True).count() == 0
    assert AuditEntry.objects.filter(action="recalls.approval_restarted").count() == 1


def test_a_class_change_before_any_signature_restarts_nothing(
    pending: RecallCase, manager: User
) -> None:
    services.recall_classify(
        recall=pending, regime="nmpa", recall_class="II", actor=manager, reason="re-evaluated"
    )
    assert not AuditEntry.objects.filter(action="recalls.approval_restarted").exists()
