"""The demo carries what execution needs in every demo country: carriers with rates (returns)
and qualified service providers (work orders), so no demo user meets "no carrier" or "no
provider" for a holder abroad."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from medrecall.accounts.models import User
from medrecall.audit.models import AuditEntry
from medrecall.catalog.models import DeviceModel
from medrecall.cli.demo import demo_build
from medrecall.cli.demo_execution import demo_countries
from medrecall.execution import services
from medrecall.execution.carriers import carrier_choose
from medrecall.execution.fieldwork import provider_choose
from medrecall.execution.lifecycle import FieldAction
from medrecall.execution.models import Carrier, CarrierRate, ServiceProvider
from medrecall.parties.models import Location, Party, PartyType
from medrecall.recalls import services as recall_services
from tests.execution.conftest import approve
from tests.traceability.scenario import run_events

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_master() -> None:
    demo_build(seed=2026, scale=1, events=False)
    call_command(
        "demo", "--no-events", "--json", stdout=StringIO()
    )  # what a new user runs; seeds execution


def test_demo_countries_are_china_and_the_export_markets() -> None:
    assert demo_countries() == ("CN", "DE", "SG", "US")


def test_every_demo_holder_has_an_urgent_carrier_and_a_provider_for_every_action(
    demo_master: None,
) -> None:
    models = set(DeviceModel.objects.values_list("pk", flat=True))
    holders = Location.objects.filter(
        party__party_type__in=[PartyType.DISTRIBUTOR, PartyType.HOSPITAL]
    ).select_related("party")
    countries = set()
    for location in holders:
        countries.add(location.country)
        choice = carrier_choose(
            country=location.country,
            province_code=location.province_code,
            weight_kg=Decimal(20),
            urgent=True,
        )
        assert choice is not None, location.code
        for action in FieldAction.values:
            assert (
                provider_choose(
                    action=action,
                    device_model_ids=models,
                    latitude=float(location.latitude),
                    longitude=float(location.longitude),
                )
                is not None
            ), (location.code, action)
    assert countries == {"CN", "DE", "SG", "US"}
    assert sorted(Carrier.objects.values_list("code", flat=True)) == [
        "DB",
        "JD",
        "LSP",
        "MLC",
        "RHX",
        "SF",
    ]
    assert sorted(ServiceProvider.objects.values_list("party__code", flat=True)) == [
        "OWN",
        "OWN",
        "SP-CD",
        "SP-LAX",
        "SP-SH",
    ]


def test_seeding_twice_adds_nothing(demo_master: None) -> None:
    counts = (Carrier.objects.count(), CarrierRate.objects.count(), ServiceProvider.objects.count())
    out = StringIO()
    call_command("execution", "seed", "--json", stdout=out)
    assert '"created": 0' in out.getvalue()
    assert (
        Carrier.objects.count(),
        CarrierRate.objects.count(),
        ServiceProvider.objects.count(),
    ) == counts
    assert AuditEntry.objects.filter(action="execution.demo_seeded").count() == 1


def test_demo_user_opens_a_return_and_a_work_order_abroad(
    demo_master: None, tmp_path: Path, make_user: Callable[..., User]
) -> None:
    manager = User.objects.get(username="qa_ra_manager")
    catheter = DeviceModel.objects.get(model_code="CVC-3L-7F")
    abroad = {
        code: Location.objects.filter(party__code=code).order_by("code").first()
        for code in ("H-CHI-01", "H-MUC-01", "H-SIN-01")
    }
    rows = [
        f"X0,produced,2025-01-10T08:00:00+08:00,{catheter.udi_di},DX1,,300,,OWN-SUZ-WH,WO-X,2025-01-10,2028-01-09,,"
    ]
    for n, location in enumerate(abroad.values(), start=1):
        assert location is not None
        rows += [
            f"X{n}S,shipped,2025-01-12T08:00:00+08:00,{catheter.udi_di},DX1,,40,OWN-SUZ-WH,{location.code},DN-X{n},,,,",
            f"X{n}R,received,2025-01-15T08:00:00+08:00,{catheter.udi_di},DX1,,40,OWN-SUZ-WH,{location.code},DN-X{n},,,,",
        ]
    assert run_events(tmp_path, "\n".join(rows) + "\n").accepted
    recall = recall_services.recall_open(
        actor=manager,
        title="Hub crack",
        products=[catheter],
        reason="hub",
        regimes=["nmpa"],
        decision_at=datetime(2025, 3, 1, tzinfo=UTC),
    )
    recall_services.recall_transition(recall=recall, target="assessment", actor=manager)
    recall_services.hazard_evaluate(
        recall=recall, actor=manager, severity="death", likelihood="probable"
    )
    recall_services.scope_rule_add(
        recall=recall, actor=manager, kind="lots", device_model=catheter, values=["DX1"]
    )
    recall_services.scope_freeze(recall=recall, actor=manager)
    recall = approve(
        recall_services.recall_transition(recall=recall, target="pending_approval", actor=manager),
        make_user,
    )
    made: list[tuple[str, Any, str, str]] = []
    for code in abroad:
        party = Party.objects.get(code=code)
        ra = services.return_create(recall=recall, party=party, actor=manager)
        order = services.work_order_create(
            recall=recall, party=party, action="inspection", actor=manager
        )
        made.append((code, ra.urgent, ra.carrier.code, order.provider.party.code))  # type: ignore[union-attr]
    assert made == [
        ("H-CHI-01", True, "LSP", "SP-LAX"),
        ("H-MUC-01", True, "RHX", "OWN"),
        ("H-SIN-01", True, "MLC", "OWN"),
    ]


@pytest.fixture
def demo_full() -> None:
    """The demo with its events (so holders hold stock), and its carriers and providers."""
    demo_build(seed=2026, scale=1)
    call_command("execution", "seed", "--json", stdout=StringIO())


def test_every_demo_holder_abroad_can_return_its_full_holdings_urgently(demo_full: None) -> None:
    from django.db.models import Sum

    from medrecall.execution.returns import unit_weight_kg
    from medrecall.traceability.models import Position

    held = (
        Position.objects.filter(
            on_hand__gt=0,
            location__party__party_type__in=[PartyType.DISTRIBUTOR, PartyType.HOSPITAL],
        )
        .exclude(location__country="CN")
        .values("location__code", "location__country", "location__province_code")
        .annotate(units=Sum("on_hand"))
    )
    weights = {
        row["location__code"]: (
            row["location__country"],
            row["location__province_code"],
            unit_weight_kg() * row["units"],
        )
        for row in held
    }
    refused = [
        code
        for code, (country, province, weight) in weights.items()
        if carrier_choose(country=country, province_code=province, weight_kg=weight, urgent=True)
        is None
    ]
    assert ({country for country, _p, _w in weights.values()}, refused) == ({"DE", "SG", "US"}, [])
    assert max(w for _c, _p, w in weights.values()) == Decimal(
        "4851.5"
    )  # H-SIN-01: more than any old limit


def test_two_demo_users_sign_both_steps_of_a_class_one_recall(demo_full: None) -> None:
    from medrecall.cli.demo import DEMO_PASSWORD
    from medrecall.recalls import approvals

    qa, ra = User.objects.get(username="qa_ra_manager"), User.objects.get(username="ra_manager")
    catheter = DeviceModel.objects.get(model_code="CVC-3L-7F")
    lot = catheter.lots.order_by("number").first()
    assert lot is not None
    recall = recall_services.recall_open(
        actor=qa,
        title="Hub crack",
        products=[catheter],
        reason="hub",
        regimes=["nmpa"],
        decision_at=datetime(2025, 3, 1, tzinfo=UTC),
    )
    recall_services.recall_transition(recall=recall, target="assessment", actor=qa)
    recall_services.hazard_evaluate(
        recall=recall, actor=qa, severity="death", likelihood="probable"
    )
    recall_services.scope_rule_add(
        recall=recall, actor=qa, kind="lots", device_model=catheter, values=[lot.number]
    )
    recall_services.scope_freeze(recall=recall, actor=qa)
    recall = recall_services.recall_transition(recall=recall, target="pending_approval", actor=qa)
    assert sorted(s.step for s in approvals.required_steps(recall)) == ["qa_head", "ra_head"]
    for step, signer in (("qa_head", qa), ("ra_head", ra)):
        approvals.approval_sign(
            recall=recall, step=step, actor=signer, password=DEMO_PASSWORD, username=signer.username
        )
    recall = recall_services.recall_transition(recall=recall, target="in_execution", actor=qa)
    assert (recall.status, approvals.missing_approvals(recall)) == ("in_execution", [])
