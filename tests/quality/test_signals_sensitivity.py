"""Early warning's sensitivity: one holder's cluster of complaints is one event, a model whose
other lots had no complaint still has a baseline (the prior), and the distinct-holder threshold
is configurable."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from medrecall.parties.models import Party
from medrecall.quality import signal_services, signals
from medrecall.quality.models import Signal, SignalKind, SignalPolicy
from medrecall.traceability.models import TraceEvent
from tests.factories import PartyFactory
from tests.quality.signal_world import AS_OF, World, complaints_add, world_build

pytestmark = pytest.mark.django_db


def _small_lot_beside_a_big_one() -> World:
    """Lot 0: 100 units; lot 1: 2,000 units; no complaint before (a baseline of 0)."""
    built = world_build(models=1, lots=2)
    TraceEvent.objects.filter(lot=built.lots[0][0]).update(quantity=100)
    TraceEvent.objects.filter(lot=built.lots[0][1]).update(quantity=2000)
    return built


def _from(holders: list[Party | None], days: list[float], built: World) -> None:
    made = complaints_add(built.lots[0][0], [0] * len(days))
    for complaint, holder, day in zip(made, holders, days, strict=True):
        complaint.holder = holder
        complaint.aware_at = datetime.combine(AS_OF, time(3), tzinfo=UTC) - timedelta(days=day)
        complaint.save()


def test_three_complaints_from_one_hospital_within_two_days_raise_no_lot_signal() -> None:
    built = _small_lot_beside_a_big_one()
    hospital = Party.objects.get(code="EW-H")
    _from([hospital, hospital, hospital], [4, 3, 2], built)

    run = signal_services.signals_detect(as_of=AS_OF)

    assert (run.raised, run.active) == (0, 0)
    assert Signal.objects.count() == 0


def test_three_complaints_from_three_hospitals_raise_the_lot_signal() -> None:
    built = _small_lot_beside_a_big_one()
    others = [
        Party.objects.get(code="EW-H"),
        PartyFactory(code="EW-H2"),
        PartyFactory(code="EW-H3"),
    ]
    _from(others, [4, 3, 2], built)

    signal_services.signals_detect(as_of=AS_OF)

    signal = Signal.objects.get(kind=SignalKind.LOT)
    assert (signal.lot_id, signal.complaints_count, signal.units) == (built.lots[0][0].pk, 3, 100)
    # The baseline was 0 complaints: the prior (one complaint at the company's rate, 3 on
    # 2,100 × 52 unit-weeks) gives it a rate, so there is a ratio: 3 ÷ (5,200 × 1 / (104,000 +
    # 36,400)) = 81.0.
    assert signal.ratio == 81.0


def test_the_same_hospital_a_week_apart_counts_each_time() -> None:
    built = _small_lot_beside_a_big_one()
    hospital = Party.objects.get(code="EW-H")
    _from([hospital, hospital, hospital], [22, 15, 8], built)

    signal_services.signals_detect(as_of=AS_OF)

    assert Signal.objects.get(kind=SignalKind.LOT).lot_id == built.lots[0][0].pk


def test_minimum_distinct_holders_is_configurable() -> None:
    built = _small_lot_beside_a_big_one()
    hospital = Party.objects.get(code="EW-H")
    _from([hospital, hospital, hospital], [22, 15, 8], built)
    SignalPolicy.objects.filter(pk=signals.policy().pk).update(min_holders=2)

    run = signal_services.signals_detect(as_of=AS_OF)

    assert signals.Thresholds.of(signals.policy()).min_holders == 2
    assert (run.raised, Signal.objects.filter(kind=SignalKind.LOT).count()) == (0, 0)


def test_cluster_days_is_configurable() -> None:
    built = _small_lot_beside_a_big_one()
    hospital = Party.objects.get(code="EW-H")
    _from([hospital, hospital, hospital], [4, 3, 2], built)
    SignalPolicy.objects.filter(pk=signals.policy().pk).update(cluster_days=0)

    signal_services.signals_detect(as_of=AS_OF)

    assert Signal.objects.get(kind=SignalKind.LOT).complaints_count == 3
