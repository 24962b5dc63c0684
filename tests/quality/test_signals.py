"""Early warning: the detector on known data, the detection run, the signal's status changes."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from medrecall.accounts.models import User
from medrecall.audit.models import AuditEntry
from medrecall.core.errors import DomainError
from medrecall.quality import signal_services, signals
from medrecall.quality.errors import SignalActionRefused, SignalInvalid
from medrecall.quality.models import Signal, SignalKind, SignalStatus
from tests.quality.signal_world import AS_OF, background, complaints_add, world_build

LIMITS = signals.Thresholds()


def _panel(units: list[float], weekly: list[list[int]], models: list[int]) -> signals.Panel:
    weeks = len(weekly[0])
    return signals.Panel(
        start=date(2025, 12, 1),
        lot_ids=list(range(1, len(units) + 1)),
        lot_models=models,
        units=np.array([[u] * weeks for u in units], dtype=float),
        complaints=np.array(weekly, dtype=float),
    )


def _spread(total: int, weeks: int = 52, first: int = 0) -> list[int]:
    counts = [0] * weeks
    for i in range(total):
        counts[first + (i * (weeks - first)) // total] += 1
    return counts


def test_detect_finds_the_injected_lot_with_its_onset() -> None:
    weekly = [_spread(2) for _ in range(10)]
    weekly[4] = [1, 1, *_spread(8, weeks=50, first=38)]  # two early ones, then 8 from week 40

    found = signals.detect(_panel([500.0] * 10, weekly, [7] * 10), LIMITS)

    lots = [f for f in found if f.kind == SignalKind.LOT]
    assert [(f.lot_id, f.complaints, f.units) for f in lots] == [(5, 10, 500)]
    # The others' rate (18 complaints on 9 × 26,000 unit-weeks) with the prior: one complaint
    # at the company's rate (28 on 260,000 unit-weeks), so 19 on 234,000 + 260,000 / 28.
    expected = 26_000 * 19 / (234_000 + 260_000 / 28)
    assert lots[0].ratio == pytest.approx(10 / expected, rel=1e-3)  # 4.92 times
    assert lots[0].rate_per_1000 == 20.0
    assert lots[0].baseline_per_1000 == pytest.approx(1000 * expected / 500, rel=1e-3)
    assert lots[0].since == date(2025, 12, 1) + timedelta(weeks=40)


def test_detect_stays_quiet_on_clean_data() -> None:
    weekly = [_spread(3, first=i) for i in range(12)]

    assert signals.detect(_panel([400.0] * 12, weekly, [1] * 6 + [2] * 6), LIMITS) == []


def test_one_complaint_on_ten_units_does_not_fire_at_the_defaults() -> None:
    weekly = [_spread(1) for _ in range(6)] + [[0] * 51 + [1]]

    found = signals.detect(_panel([1000.0] * 6 + [10.0], weekly, [3] * 7), LIMITS)

    assert found == []


def test_two_complaints_on_a_small_lot_stay_below_the_minimum_count() -> None:
    weekly = [[0] * 52 for _ in range(6)] + [[0] * 50 + [1, 1]]

    found = signals.detect(_panel([1000.0] * 6 + [60.0], weekly, [3] * 7), LIMITS)

    assert found == []


def test_the_adjusted_p_value_keeps_a_moderate_excess_among_many_lots_quiet() -> None:
    # 3 complaints where 1.2 are expected: p ≈ 0.12 raw, far from 0.01 once 40 lots are tested.
    weekly = [_spread(1, first=i % 50) for i in range(40)]
    weekly[0] = _spread(3)

    assert signals.detect(_panel([500.0] * 40, weekly, [1] * 40), LIMITS) == []


def test_cusum_onset_is_the_start_of_the_run_to_the_peak() -> None:
    observed = np.array([0, 1, 0, 0, 0, 2, 3, 2, 3], dtype=float)
    expected = np.full(9, 0.5)

    assert signals.cusum_onset(observed, expected, 2.0) == 5
    assert signals.cusum_onset(np.zeros(4), np.full(4, 0.5), 2.0) == -1


@pytest.mark.django_db
def test_signals_detect_raises_the_injected_lot_and_its_model() -> None:
    built = world_build()
    background(built)
    problem = built.lots[1][3]
    complaints_add(problem, [3, 10, 17, 24, 31, 38, 45, 52])

    run = signal_services.signals_detect(as_of=AS_OF)

    lot_signal = Signal.objects.get(kind=SignalKind.LOT)
    assert (lot_signal.lot_id, lot_signal.complaints_count, lot_signal.units) == (
        problem.pk,
        10,
        500,
    )
    # 14 complaints on the 7 other lots, with the prior of one at the company's rate (40 on
    # 16 × 26,000 unit-weeks): 15 on 182,000 + 10,400 unit-weeks; 10 ÷ (26,000 × that) = 4.93.
    assert lot_signal.ratio == 4.9333
    assert lot_signal.status == SignalStatus.NEW
    assert lot_signal.complaints.count() == 10
    assert set(lot_signal.complaints.values_list("lot_id", flat=True)) == {problem.pk}
    model_signal = Signal.objects.get(kind=SignalKind.MODEL)
    assert model_signal.device_model_id == built.models[1].pk
    assert (run.raised, run.active, run.quietened, run.lots_tested) == (2, 2, 0, 16)
    entry = AuditEntry.objects.get(action="quality.signals_detected")
    assert entry.changes["raised"] == 2


@pytest.mark.django_db
def test_signals_detect_on_clean_data_raises_nothing() -> None:
    built = world_build()
    background(built)

    run = signal_services.signals_detect(as_of=AS_OF)

    assert (run.raised, run.active) == (0, 0)
    assert Signal.objects.count() == 0


@pytest.mark.django_db
def test_signals_detect_twice_gives_the_same_signals() -> None:
    built = world_build()
    background(built)
    complaints_add(built.lots[0][2], [3, 10, 17, 24, 31, 38, 45, 52])
    signal_services.signals_detect(as_of=AS_OF)
    first = list(
        Signal.objects.order_by("pk").values_list(
            "pk", "kind", "lot_id", "complaints_count", "p_value"
        )
    )

    run = signal_services.signals_detect(as_of=AS_OF)

    again = list(
        Signal.objects.order_by("pk").values_list(
            "pk", "kind", "lot_id", "complaints_count", "p_value"
        )
    )
    assert again == first
    assert (run.raised, run.active, run.quietened) == (0, 2, 0)


@pytest.mark.django_db
def test_a_fixed_problem_goes_quiet_and_keeps_its_review(manager: User) -> None:
    built = world_build()
    background(built)
    complaints_add(built.lots[0][2], [3, 10, 17, 24, 31, 38, 45, 52])
    signal_services.signals_detect(as_of=AS_OF)
    lot_signal = Signal.objects.get(kind=SignalKind.LOT)
    signal_services.signal_review(signal=lot_signal, actor=manager)

    # A year later the complaints have left the window and none came since.
    run = signal_services.signals_detect(as_of=AS_OF + timedelta(days=400))

    lot_signal.refresh_from_db()
    assert (lot_signal.active, lot_signal.status) == (False, SignalStatus.UNDER_REVIEW)
    assert run.quietened == 2
    assert Signal.objects.filter(active=True).count() == 0


@pytest.fixture
def raised(db: None) -> Signal:
    built = world_build(models=1)
    background(built)
    complaints_add(built.lots[0][5], [3, 10, 17, 24, 31, 38, 45, 52])
    signal_services.signals_detect(as_of=AS_OF)
    return Signal.objects.get(kind=SignalKind.LOT)


def test_dismissing_needs_a_reason_and_writes_one_audit_entry(
    raised: Signal, manager: User
) -> None:
    with pytest.raises(SignalInvalid):
        signal_services.signal_dismiss(signal=raised, actor=manager, reason="  ")
    assert not AuditEntry.objects.filter(action="quality.signal_dismissed").exists()

    signal_services.signal_dismiss(signal=raised, actor=manager, reason="Mislabelled returns")

    raised.refresh_from_db()
    assert (raised.status, raised.dismissed_reason) == (
        SignalStatus.DISMISSED,
        "Mislabelled returns",
    )
    entry = AuditEntry.objects.get(action="quality.signal_dismissed")
    assert entry.changes == {"status": ["new", "dismissed"]}
    assert entry.reason == "Mislabelled returns"


@pytest.mark.parametrize(
    ("action", "status", "allowed"),
    [
        ("review", "new", True),
        ("review", "under_review", False),
        ("dismiss", "dismissed", False),
        ("reopen", "new", False),
        ("reopen", "dismissed", True),
        ("link", "dismissed", False),
        ("link", "under_review", True),
    ],
    ids=lambda v: str(v),
)
def test_each_status_allows_its_actions(
    raised: Signal, manager: User, action: str, status: str, allowed: bool
) -> None:
    Signal.objects.filter(pk=raised.pk).update(status=status)
    raised.refresh_from_db()

    assert (action in signal_services.allowed_actions(raised)) is allowed


def test_a_refused_action_changes_nothing(raised: Signal, manager: User) -> None:
    signal_services.signal_dismiss(signal=raised, actor=manager, reason="Known supplier issue")
    entries = AuditEntry.objects.count()

    with pytest.raises(SignalActionRefused):
        signal_services.signal_dismiss(signal=raised, actor=manager, reason="again")

    raised.refresh_from_db()
    assert raised.dismissed_reason == "Known supplier issue"
    assert AuditEntry.objects.count() == entries


def test_link_to_a_capa_and_reopen(raised: Signal, manager: User) -> None:
    from medrecall.quality import services

    capa = services.capa_open(
        actor=manager, title="Hub leak", problem="Leaks", due_on=date(2027, 1, 31), owner=manager
    )
    with pytest.raises(SignalInvalid):
        signal_services.signal_link(signal=raised, actor=manager)

    signal_services.signal_link(signal=raised, actor=manager, capa=capa)
    signal_services.signal_reopen(signal=raised, actor=manager, reason="Still rising")

    raised.refresh_from_db()
    assert (raised.status, raised.capa_id) == (SignalStatus.UNDER_REVIEW, capa.pk)
    assert list(
        AuditEntry.objects.filter(target_type="quality.signal")
        .order_by("pk")
        .values_list("action", flat=True)
    ) == ["quality.signals_detected", "quality.signal_linked", "quality.signal_reopened"]


@pytest.mark.django_db
def test_policy_update_is_validated_and_audited(manager: User) -> None:
    with pytest.raises(DomainError):
        signal_services.signal_policy_update(actor=manager, min_ratio="0.5")
    assert signals.policy().min_ratio == 2

    signal_services.signal_policy_update(actor=manager, min_complaints=5, significance="0.05")

    policy = signals.policy()
    assert (policy.min_complaints, str(policy.significance)) == (5, "0.0500")
    entry = AuditEntry.objects.get(action="quality.signal_policy_changed")
    assert entry.changes == {"min_complaints": ["3", "5"], "significance": ["0.0100", "0.0500"]}
