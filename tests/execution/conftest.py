"""An approved recall of catheter lot C1 over the small distribution network, carriers with
rates, a supplier, and service providers: built through the real services."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.catalog.models import DeviceModel
from medrecall.execution.models import Carrier, CarrierRate
from medrecall.parties.models import Location
from medrecall.recalls import approvals, services
from medrecall.recalls.models import RecallCase
from tests.conftest import PASSWORD
from tests.factories import LocationFactory, PartyFactory
from tests.traceability.scenario import CATH, PUMP, network, run_events
from tests.traceability.test_trace import DISTRIBUTION

PUMPS = f"""P1,produced,2025-01-10T08:00:00+08:00,{PUMP},P-L1,PS-001,1,,FAC,WO-P,2025-01-10,2030-01-09,,
P2,produced,2025-01-10T08:00:00+08:00,{PUMP},P-L1,PS-002,1,,FAC,WO-P,2025-01-10,2030-01-09,,
P3,produced,2025-01-10T08:00:00+08:00,{PUMP},P-L1,PS-003,1,,FAC,WO-P,2025-01-10,2030-01-09,,
P4,shipped,2025-01-12T08:00:00+08:00,{PUMP},P-L1,PS-001,1,FAC,H1,DN-P1,,,,
P5,received,2025-01-13T08:00:00+08:00,{PUMP},P-L1,PS-001,1,FAC,H1,DN-P1,,,,
P6,shipped,2025-01-12T08:00:00+08:00,{PUMP},P-L1,PS-002,1,FAC,H1,DN-P1,,,,
P7,received,2025-01-13T08:00:00+08:00,{PUMP},P-L1,PS-002,1,FAC,H1,DN-P1,,,,
"""


def seed_carriers() -> None:
    party = PartyFactory(code="SF", party_type="carrier", name="顺丰速运")
    fast = Carrier.objects.create(
        party=party, code="SF", name="SF Express", max_weight_kg=Decimal(100)
    )
    slow = Carrier.objects.create(
        party=PartyFactory(code="DB", party_type="carrier"), code="DB", name="Deppon Freight"
    )
    CarrierRate.objects.create(
        carrier=fast,
        country="CN",
        province_code="",
        base_fee=Decimal(20),
        per_kg=Decimal(8),
        transit_days=1,
    )
    CarrierRate.objects.create(
        carrier=slow,
        country="CN",
        province_code="",
        base_fee=Decimal(30),
        per_kg=Decimal(2),
        transit_days=4,
    )


def approve(recall: RecallCase, make_user: Callable[..., User]) -> RecallCase:
    qa, ra = make_user(Role.QA_RA_MANAGER), make_user(Role.QA_RA_MANAGER)
    for step, signer in (("qa_head", qa), ("ra_head", ra)):
        if step in {s.step for s in approvals.required_steps(recall)}:
            approvals.approval_sign(
                recall=recall, step=step, actor=signer, password=PASSWORD, username=signer.username
            )
    return services.recall_transition(recall=recall, target="in_execution", actor=qa)


@pytest.fixture
def world(tmp_path: Path) -> dict[str, object]:
    models = network()
    assert run_events(tmp_path, DISTRIBUTION).accepted
    assert run_events(tmp_path, PUMPS, "pumps.csv").accepted
    seed_carriers()
    supplier = PartyFactory(code="SUPP", party_type="supplier")
    LocationFactory(code="SUPP-1", party=supplier, location_type="warehouse")
    return models


def open_recall(
    manager: User,
    *,
    gtin: str = CATH,
    values: list[str] | None = None,
    kind: str = "lots",
    severity: str = "death",
) -> RecallCase:
    model = DeviceModel.objects.get(udi_di=gtin)
    recall = services.recall_open(
        actor=manager,
        title="Tip fracture",
        products=[model],
        reason="tip",
        regimes=["nmpa"],
        decision_at=datetime(2025, 3, 1, tzinfo=UTC),
    )
    services.recall_transition(recall=recall, target="assessment", actor=manager)
    services.hazard_evaluate(recall=recall, actor=manager, severity=severity, likelihood="probable")
    services.scope_rule_add(
        recall=recall, actor=manager, kind=kind, device_model=model, values=values or ["C1"]
    )
    services.scope_freeze(recall=recall, actor=manager)
    return services.recall_transition(recall=recall, target="pending_approval", actor=manager)


@pytest.fixture
def recall(world: object, manager: User, make_user: Callable[..., User]) -> RecallCase:
    """Catheter lot C1 (lot-tracked), NMPA 一级, approved: holds placed."""
    return approve(open_recall(manager), make_user)


@pytest.fixture
def pump_recall(world: object, manager: User, make_user: Callable[..., User]) -> RecallCase:
    """Pump lot P-L1 (serial-tracked): PS-001 and PS-002 at hospital H1, PS-003 in our stock."""
    return approve(open_recall(manager, gtin=PUMP, values=["P-L1"]), make_user)


def loc(code: str) -> Location:
    return Location.objects.get(code=code)


@pytest.fixture
def warehouse_user(make_user: Callable[..., User]) -> User:
    return make_user(Role.WAREHOUSE)


def pdf_text(data: bytes, tmp_path: Path) -> str:
    """The text of a PDF (poppler's pdftotext); skips where poppler-utils is missing."""
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "document.pdf"
    path.write_bytes(data)
    return subprocess.run(  # noqa: S603
        [tool, "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
