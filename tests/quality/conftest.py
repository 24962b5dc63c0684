"""A small world for the quality tests: the distribution network with catheter lot C1 (made
with tubing lot T1 bought from supplier SUPP) and pump lot P-L1 with serials PS-001…003."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.parties.models import Party
from medrecall.quality import services, signal_services
from medrecall.quality.models import Channel, Complaint, Signal, SignalKind
from tests.factories import LocationFactory, PartyFactory
from tests.quality.signal_world import AS_OF, PROBLEM_WEEKS, background, complaints_add, world_build
from tests.traceability.scenario import CATH, PUMP, TUBE, network, run_events
from tests.traceability.test_trace import DISTRIBUTION

PUMPS = f"""P1,produced,2025-01-10T08:00:00+08:00,{PUMP},P-L1,PS-001,1,,FAC,WO-P,2025-01-10,2030-01-09,,
P2,produced,2025-01-10T08:00:00+08:00,{PUMP},P-L1,PS-002,1,,FAC,WO-P,2025-01-10,2030-01-09,,
P3,produced,2025-01-10T08:00:00+08:00,{PUMP},P-L1,PS-003,1,,FAC,WO-P,2025-01-10,2030-01-09,,
P4,shipped,2025-01-12T08:00:00+08:00,{PUMP},P-L1,PS-001,1,FAC,H1,DN-P1,,,,
P5,received,2025-01-13T08:00:00+08:00,{PUMP},P-L1,PS-001,1,FAC,H1,DN-P1,,,,
"""
# Tubing lot T1 made by the supplier, shipped to our factory and built into catheter lot C1.
COMPONENTS = f"""T1,produced,2024-12-01T08:00:00+08:00,{TUBE},T1,,500,,SUPP-1,WO-S,2024-12-01,2027-12-01,,
T2,shipped,2024-12-05T08:00:00+08:00,{TUBE},T1,,500,SUPP-1,FAC,DN-S,,,,
T3,received,2024-12-06T08:00:00+08:00,{TUBE},T1,,500,SUPP-1,FAC,DN-S,,,,
T4,transformed,2025-01-09T08:00:00+08:00,{TUBE},T1,,400,FAC,,,,,{CATH},C1
"""

AWARE = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def world(tmp_path: Path) -> dict[str, object]:
    models = network()
    supplier = PartyFactory(code="SUPP", party_type="supplier")
    LocationFactory(code="SUPP-1", party=supplier, location_type="warehouse")
    assert run_events(tmp_path, DISTRIBUTION).accepted
    assert run_events(tmp_path, PUMPS, "pumps.csv").accepted
    assert run_events(tmp_path, COMPONENTS, "components.csv").accepted
    return models


@pytest.fixture
def hospital(world: object) -> Party:
    return Party.objects.get(code="HOSP")


@pytest.fixture
def portal_user(make_user: Callable[..., User], hospital: Party) -> User:
    return make_user(Role.PORTAL, party=hospital)


@pytest.fixture
def other_portal_user(make_user: Callable[..., User], world: object) -> User:
    return make_user(Role.PORTAL, party=Party.objects.get(code="HOSP2"))


@pytest.fixture
def receive(manager: User, hospital: Party) -> Callable[..., Complaint]:
    """``receive(**overrides)``: a complaint by HOSP about catheter lot C1, entered by QA."""

    def make(**overrides: object) -> Complaint:
        fields: dict[str, object] = {
            "actor": manager,
            "channel": Channel.EMAIL,
            "description": "Catheter tip broke during insertion",
            "aware_at": AWARE,
            "holder": hospital,
            "unit": services.UnitGiven(gtin=CATH, lot="C1"),
        }
        fields.update(overrides)
        return services.complaint_receive(**fields)  # type: ignore[arg-type]

    return make


@pytest.fixture
def raised(db: None) -> Signal:
    """A lot signal found by the detector: one model's lot 6 of 8 with a complaint every week
    from week 3 (``signal_world``), the others at the background rate."""
    built = world_build(models=1)
    background(built)
    complaints_add(built.lots[0][5], PROBLEM_WEEKS)
    signal_services.signals_detect(as_of=AS_OF)
    return Signal.objects.select_related("lot", "device_model").get(kind=SignalKind.LOT)
