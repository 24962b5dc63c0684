"""The recalls context's named refusals (``recalls/errors.py``): each raised where its refusal
happens, with its own class and code, the message and HTTP status unchanged, and nothing
written when it is raised."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from medrecall.accounts.models import Signature, User
from medrecall.accounts.roles import Role
from medrecall.audit.models import AuditEntry
from medrecall.catalog.models import DeviceModel
from medrecall.core.errors import DomainError, ValidationFailed
from medrecall.recalls import approvals, closure, errors, services
from medrecall.recalls.models import ClosureException, RecallCase, ScopeRule, ScopeSnapshot
from tests.conftest import PASSWORD
from tests.factories import DeviceModelFactory, LotFactory
from tests.traceability.scenario import CATH, network, run_events
from tests.traceability.test_trace import DISTRIBUTION

pytestmark = pytest.mark.django_db


@pytest.fixture
def catheter(tmp_path: Path) -> DeviceModel:
    network()
    assert run_events(tmp_path, DISTRIBUTION).accepted
    return DeviceModel.objects.get(udi_di=CATH)


@pytest.fixture
def draft(manager: User, catheter: DeviceModel) -> RecallCase:
    return services.recall_open(
        actor=manager,
        title="Tip fracture",
        products=[catheter],
        reason="Tip may detach",
        regimes=["nmpa"],
        decision_at=datetime(2025, 3, 1, tzinfo=UTC),
    )


def _written() -> tuple[int, int, int, int]:
    return (
        AuditEntry.objects.count(),
        ScopeRule.objects.count(),
        ScopeSnapshot.objects.count(),
        Signature.objects.count(),
    )


def _refusal(error: DomainError) -> tuple[type[DomainError], str, int, str, str]:
    return (type(error), error.code, error.status, error.message, error.where)


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        pytest.param(
            {"kind": "lots", "values": ["C1", "NOPE", "ALSO-NOT"]},
            (
                errors.UnitsUnknown,
                "units_unknown",
                "Lot list: lots ALSO-NOT, NOPE are not known for this device model.",
                "values",
            ),
            id="lots-unknown",
        ),
        pytest.param(
            {"kind": "serials", "values": ["S-404"]},
            (
                errors.UnitsUnknown,
                "units_unknown",
                "Serial list: serials S-404 are not known for this device model.",
                "values",
            ),
            id="serials-unknown",
        ),
        pytest.param(
            {"kind": "lot_range", "range_from": "C9", "range_to": "C1"},
            (
                errors.RangeInvalid,
                "range_invalid",
                "Lot range (from, to): give a range whose start is not after its end.",
                "range_from",
            ),
            id="lot-range-backwards",
        ),
        pytest.param(
            {"kind": "serial_range", "range_from": "S1"},
            (
                errors.RangeInvalid,
                "range_invalid",
                "Serial range (from, to): give a range whose start is not after its end.",
                "range_from",
            ),
            id="serial-range-open",
        ),
        pytest.param(
            {"kind": "manufactured", "range_from": "2025-13-01", "range_to": "2025-12-31"},
            (
                errors.RangeInvalid,
                "range_invalid",
                "range_from: 2025-13-01 is not a date (YYYY-MM-DD).",
                "range_from",
            ),
            id="not-a-date",
        ),
        pytest.param(
            {"kind": "expiry", "range_from": "2026-02-01", "range_to": "2026-01-01"},
            (
                errors.RangeInvalid,
                "range_invalid",
                "Expiring between: the start date is after the end date.",
                "range_from",
            ),
            id="days-backwards",
        ),
        pytest.param(
            {"kind": "lot_range", "range_from": "Z1", "range_to": "Z9"},
            (
                errors.RuleMatchesNothing,
                "matches_nothing",
                "Lot range (from, to) matches no lot.",
                "kind",
            ),
            id="no-lot",
        ),
        pytest.param(
            {"kind": "serial_range", "range_from": "Z1", "range_to": "Z9"},
            (
                errors.RuleMatchesNothing,
                "matches_nothing",
                "Serial range (from, to) matches no unit.",
                "kind",
            ),
            id="no-unit",
        ),
    ],
)
def test_a_scope_rule_refusal_is_named(
    draft: RecallCase,
    manager: User,
    catheter: DeviceModel,
    rule: dict[str, Any],
    expected: tuple[type[DomainError], str, str, str],
) -> None:
    before = _written()
    with pytest.raises(errors.ScopeRuleRefused) as refused:
        services.scope_rule_add(recall=draft, actor=manager, device_model=catheter, **rule)
    error_class, code, message, where = expected
    assert _refusal(refused.value) == (error_class, code, 400, message, where)
    assert isinstance(refused.value, ValidationFailed)
    assert _written() == before


def test_freezing_without_rules_is_named(draft: RecallCase, manager: User) -> None:
    before = _written()
    with pytest.raises(errors.ScopeRulesMissing) as refused:
        services.scope_freeze(recall=draft, actor=manager)
    assert _refusal(refused.value) == (
        errors.ScopeRulesMissing,
        "scope_rules_missing",
        400,
        "Add at least one scope rule.",
        "rules",
    )
    assert _written() == before


def test_a_scope_with_no_unit_anywhere_is_named(draft: RecallCase, manager: User) -> None:
    model = DeviceModelFactory()
    LotFactory(device_model=model, number="NEVER-SHIPPED", manufactured_on=date(2025, 1, 1))
    services.scope_rule_add(
        recall=draft, actor=manager, kind="lots", device_model=model, values=["NEVER-SHIPPED"]
    )
    before = _written()
    with pytest.raises(errors.ScopeEmpty) as refused:
        services.scope_freeze(recall=draft, actor=manager)
    assert _refusal(refused.value) == (
        errors.ScopeEmpty,
        "scope_empty",
        400,
        "The scope matches lots, but none of their units is anywhere now (all consumed, "
        "destroyed or never shipped).",
        "rules",
    )
    assert _written() == before


@pytest.mark.parametrize(
    ("regime", "recall_class", "expected"),
    [
        pytest.param(
            "nmpa",
            "IV",
            (
                errors.ClassNotAllowed,
                "class_not_allowed",
                "IV is not a class for nmpa; use one of I, II, III.",
                "recall_class",
            ),
            id="not-a-class",
        ),
        pytest.param(
            "fda",
            "I",
            (
                errors.RegimeMissing,
                "regime_missing",
                "Add the regime fda to the recall first.",
                "regime",
            ),
            id="regime-missing",
        ),
        pytest.param(
            "nmpa",
            "III",
            (
                errors.ReasonRequired,
                "reason_required",
                "The hazard evaluation proposes I; say why you choose III.",
                "reason",
            ),
            id="departs-from-the-proposal",
        ),
    ],
)
def test_a_classification_refusal_is_named(
    draft: RecallCase,
    manager: User,
    regime: str,
    recall_class: str,
    expected: tuple[type[DomainError], str, str, str],
) -> None:
    services.hazard_evaluate(recall=draft, actor=manager, severity="death", likelihood="probable")
    before = (_written(), list(draft.regimes.values_list("regime", "recall_class")))
    with pytest.raises(ValidationFailed) as refused:
        services.recall_classify(
            recall=draft, regime=regime, recall_class=recall_class, actor=manager
        )
    error_class, code, message, where = expected
    assert _refusal(refused.value) == (error_class, code, 400, message, where)
    assert (_written(), list(draft.regimes.values_list("regime", "recall_class"))) == before


def test_changing_a_class_without_a_reason_is_named(draft: RecallCase, manager: User) -> None:
    services.recall_classify(recall=draft, regime="nmpa", recall_class="II", actor=manager)
    before = _written()
    with pytest.raises(errors.ReasonRequired) as refused:
        services.recall_classify(recall=draft, regime="nmpa", recall_class="I", actor=manager)
    assert _refusal(refused.value) == (
        errors.ReasonRequired,
        "reason_required",
        400,
        "Say why the class changes from II to I.",
        "reason",
    )
    assert _written() == before
    assert draft.regimes.get().recall_class == "II"


@pytest.fixture
def pending(draft: RecallCase, manager: User, catheter: DeviceModel) -> RecallCase:
    services.recall_transition(recall=draft, target="assessment", actor=manager)
    services.hazard_evaluate(recall=draft, actor=manager, severity="death", likelihood="probable")
    services.scope_rule_add(
        recall=draft, actor=manager, kind="lots", device_model=catheter, values=["C1"]
    )
    services.scope_freeze(recall=draft, actor=manager)
    return services.recall_transition(recall=draft, target="pending_approval", actor=manager)


def test_changing_the_decision_date_after_approval_without_a_reason_is_named(
    pending: RecallCase, manager: User
) -> None:
    approvals.approval_sign(
        recall=pending, step="qa_head", actor=manager, password=PASSWORD, username=manager.username
    )
    pending.refresh_from_db()
    before = (_written(), pending.decision_at, pending.version)
    with pytest.raises(errors.ReasonRequired) as refused:
        services.recall_update(
            recall=pending,
            actor=manager,
            version=pending.version,
            decision_at=datetime(2025, 3, 2, tzinfo=UTC),
        )
    assert _refusal(refused.value) == (
        errors.ReasonRequired,
        "reason_required",
        400,
        "The recall is approved: say why the decision date changes. The change sends it back "
        "for approval.",
        "change_reason",
    )
    pending.refresh_from_db()
    assert (_written(), pending.decision_at, pending.version) == before


@pytest.mark.parametrize(
    ("step", "role", "expected"),
    [
        pytest.param(
            "closure_exception",
            Role.QA_RA_MANAGER,
            (
                errors.StepNotRequired,
                "step_not_required",
                "This recall needs no approval step closure_exception.",
            ),
            id="step-not-required",
        ),
        pytest.param(
            "qa_head",
            Role.WAREHOUSE,
            (
                errors.SignerRoleRefused,
                "not_allowed",
                "Your role may not sign the step Head of quality (QA).",
            ),
            id="role-may-not-sign",
        ),
    ],
)
def test_an_approval_refusal_is_named(
    pending: RecallCase,
    make_user: Callable[..., User],
    step: str,
    role: str,
    expected: tuple[type[DomainError], str, str],
) -> None:
    signer = make_user(role)
    before = _written()
    with pytest.raises(ValidationFailed) as refused:
        approvals.approval_sign(
            recall=pending, step=step, actor=signer, password=PASSWORD, username=signer.username
        )
    error_class, code, message = expected
    assert _refusal(refused.value) == (error_class, code, 400, message, "step")
    assert _written() == before


def test_signing_a_step_twice_is_named(pending: RecallCase, make_user: Callable[..., User]) -> None:
    first, second = make_user(Role.QA_RA_MANAGER), make_user(Role.QA_RA_MANAGER)
    approvals.approval_sign(
        recall=pending, step="qa_head", actor=first, password=PASSWORD, username=first.username
    )
    before = _written()
    with pytest.raises(errors.StepSignedAlready) as refused:
        approvals.approval_sign(
            recall=pending,
            step="qa_head",
            actor=second,
            password=PASSWORD,
            username=second.username,
        )
    assert _refusal(refused.value) == (
        errors.StepSignedAlready,
        "step_signed_already",
        400,
        "The step Head of quality (QA) is signed already.",
        "step",
    )
    assert _written() == before


def test_the_moved_errors_keep_their_names_and_codes() -> None:
    """Callers and tests that import them from where they were still find them."""
    assert (
        services.TransitionRefused,
        approvals.SameSignerRefused,
        closure.ClosureExceptionRefused,
    ) == (errors.TransitionRefused, errors.SameSignerRefused, errors.ClosureExceptionRefused)
    assert [
        (e.code, e.status)
        for e in (
            errors.TransitionRefused("x"),
            errors.SameSignerRefused("x"),
            errors.ClosureExceptionRefused("x"),
        )
    ] == [("transition_refused", 400), ("same_signer", 400), ("closure_exception_refused", 409)]


def test_a_closure_exception_without_a_reason_is_named(
    tmp_path: Path, manager: User, make_user: Callable[..., User]
) -> None:
    from tests.execution.test_closure import class_i_recall

    recall = class_i_recall(tmp_path, manager, make_user)
    before = _written()
    with pytest.raises(errors.ReasonRequired) as refused:
        closure.closure_exception_sign(
            recall=recall, actor=manager, reason=" ", password=PASSWORD, username=manager.username
        )
    assert _refusal(refused.value) == (
        errors.ReasonRequired,
        "reason_required",
        400,
        "Say why the recall may close with units outstanding.",
        "reason",
    )
    assert (_written(), ClosureException.objects.count()) == (before, 0)
