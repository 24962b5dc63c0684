"""Field work orders: assignment to the nearest qualified provider with capacity, due dates
from the recall class, results, evidence limits (type and size), overdue escalation."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from medrecall.audit.models import AuditEntry
from medrecall.catalog.models import DeviceModel
from medrecall.execution import services
from medrecall.execution.errors import EvidenceRefused, WorkOrderRefused
from medrecall.execution.fieldwork import haversine_km
from medrecall.execution.models import Evidence, ServiceProvider, WorkOrder
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from tests.factories import PartyFactory
from tests.traceability.scenario import CATH

pytestmark = pytest.mark.django_db

GUANGZHOU = (Decimal("23.129100"), Decimal("113.264400"))  # the factories' holder coordinates


def provider(
    name: str,
    lat: str,
    lon: str,
    *,
    party: Party | None = None,
    skills: tuple[str, ...] = ("inspection",),
    capacity: int = 5,
    qualified: bool = True,
) -> ServiceProvider:
    found = ServiceProvider.objects.create(
        name=name,
        party=party or PartyFactory(party_type="service_partner"),
        skills=list(skills),
        capacity=capacity,
        latitude=Decimal(lat),
        longitude=Decimal(lon),
    )
    if qualified:
        found.device_models.add(DeviceModel.objects.get(udi_di=CATH))
    return found


def partner_setup() -> Party:
    partner = PartyFactory(code="SVC-GZ", party_type="service_partner")
    provider("Guangzhou partner", "23.10", "113.30", party=partner)
    return partner


def test_haversine_known_distance() -> None:
    assert round(haversine_km(39.9042, 116.4074, 31.2304, 121.4737)) == 1067  # Beijing → Shanghai


def test_nearest_qualified_with_capacity_wins(recall: RecallCase, manager: Any) -> None:
    provider("Shenzhen, near", "22.54", "114.06")  # ~105 km
    provider("Shanghai, far", "31.23", "121.47")
    provider("Foshan, nearest but wrong skill", "23.02", "113.12", skills=("software_update",))
    provider("Dongguan, nearest but not qualified", "23.05", "113.40", qualified=False)
    full = provider("Guangzhou, nearest but full", "23.13", "113.27", capacity=0)
    order = services.work_order_create(
        recall=recall, party=Party.objects.get(code="HOSP"), action="inspection", actor=manager
    )
    assert order.provider.name == "Shenzhen, near"  # type: ignore[union-attr]
    assert Decimal(100) < order.distance_km < Decimal(110)  # type: ignore[operator]
    assert [(u.lot.number, u.quantity) for u in order.units.all()] == [("C1", 70)]
    full.capacity = 2
    full.save()
    second = services.work_order_create(
        recall=recall, party=Party.objects.get(code="HOSP2"), action="inspection", actor=manager
    )
    assert second.provider == full


def test_due_date_from_the_class(recall: RecallCase, manager: Any) -> None:
    partner_setup()
    now = timezone.now()
    order = services.work_order_create(
        recall=recall,
        party=Party.objects.get(code="HOSP"),
        action="inspection",
        actor=manager,
        now=now,
    )
    assert order.due_at == now + timedelta(days=10)  # NMPA 一级: 10 days


def test_no_qualified_provider_is_refused(recall: RecallCase, manager: Any) -> None:
    with pytest.raises(WorkOrderRefused, match="No qualified service provider"):
        services.work_order_create(
            recall=recall, party=Party.objects.get(code="HOSP"), action="inspection", actor=manager
        )
    assert WorkOrder.objects.count() == 0


def test_evidence_limits(recall: RecallCase, manager: Any, make_user: Any, settings: Any) -> None:
    partner = partner_setup()
    order = services.work_order_create(
        recall=recall, party=Party.objects.get(code="HOSP"), action="inspection", actor=manager
    )
    technician = make_user("portal", party=partner)
    settings.MEDRECALL_EVIDENCE_MAX_BYTES = 64
    pdf = SimpleUploadedFile("report.pdf", b"%PDF-1.7\n" + b"x" * 40)
    assert (
        services.evidence_add(
            order=order, actor=technician, name="report.pdf", content=pdf
        ).content_type
        == "application/pdf"
    )
    png = SimpleUploadedFile("p.png", b"\x89PNG\r\n\x1a\n" + b"x" * 10)
    assert (
        services.evidence_add(order=order, actor=technician, name="p.png", content=png).content_type
        == "image/png"
    )
    too_big = SimpleUploadedFile("big.jpg", b"\xff\xd8\xff" + b"x" * 100)
    with pytest.raises(EvidenceRefused) as refused:
        services.evidence_add(order=order, actor=technician, name="big.jpg", content=too_big)
    assert refused.value.code == "too_large"
    exe = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00binary")
    with pytest.raises(EvidenceRefused) as wrong:
        services.evidence_add(order=order, actor=technician, name="photo.jpg", content=exe)
    assert wrong.value.code == "wrong_type"
    assert Evidence.objects.count() == 2
    stranger = make_user("portal", party=Party.objects.get(code="DIST"))
    with pytest.raises(WorkOrderRefused):
        services.evidence_add(order=order, actor=stranger, name="p.png", content=png)


def test_results_finish_the_order(recall: RecallCase, manager: Any, make_user: Any) -> None:
    partner = partner_setup()
    order = services.work_order_create(
        recall=recall, party=Party.objects.get(code="HOSP"), action="inspection", actor=manager
    )
    technician = make_user("portal", party=partner)
    services.work_order_record(
        unit=order.units.get(), actor=technician, result="corrected", note="Tips checked"
    )
    order.refresh_from_db()
    assert (order.status, order.done_at is not None) == ("done", True)


def test_overdue_orders_escalate_once(
    recall: RecallCase, manager: Any, smtp: Any, django_capture_on_commit_callbacks: Any
) -> None:
    partner_setup()
    manager.email = "qa@example.com"
    manager.save()
    past = timezone.now() - timedelta(days=30)
    order = services.work_order_create(
        recall=recall,
        party=Party.objects.get(code="HOSP"),
        action="inspection",
        actor=manager,
        now=past,
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.work_orders_escalate() == 1
        assert services.work_orders_escalate() == 0
    assert [to for to, _message in smtp.messages] == [["qa@example.com"]]
    order.refresh_from_db()
    assert order.escalated_at is not None
    assert AuditEntry.objects.filter(action="execution.work_order_escalated").count() == 1
