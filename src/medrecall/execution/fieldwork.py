"""Field actions (X4): work orders for corrections on site, assigned to the nearest qualified
service provider with open capacity, due by a date that follows from the recall's class.

* Distance: great-circle (haversine) from the holder's location (else the party's) coordinates
  to the provider's base.
* Qualified: active, offers the field action (``skills``), is qualified for every device model
  on the work order, and has fewer open work orders than its ``capacity``.
* Due date: the strictest class of the recall's regimes — Class I / 一级 10 days, Class II / 二级
  30 days, Class III / 三级 60 days, EU FSCA 30 days (``MEDRECALL_WORK_ORDER_DAYS``).
* Overdue work orders are escalated once by ``work_orders_escalate`` (a task the scheduler runs).
* Evidence: PDF, JPEG, PNG, TIFF, Excel (.xlsx) or Word (.docx), recognised by their content
  (``core/files.py``; the name and the browser's type are not trusted), stored under a generated
  name with the detected type's extension, at most ``MEDRECALL_EVIDENCE_MAX_BYTES`` (default 10 MB).
"""

from __future__ import annotations

import hashlib
import io
import math
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from medrecall.accounts.models import User
from medrecall.audit import services as audit
from medrecall.core import files
from medrecall.core.numbering import next_number
from medrecall.parties.models import Location, Party
from medrecall.recalls.lifecycle import Action, require_action
from medrecall.recalls.models import AffectedLine, RecallCase

from . import hooks
from .common import recall_locked_in_execution
from .errors import EvidenceRefused, WorkOrderRefused
from .lifecycle import FieldAction, TaskStatus, UnitResult, WorkOrderAction, record_require
from .models import Evidence, ServiceProvider, WorkOrder, WorkOrderUnit

DEFAULT_DAYS = {"I": 10, "II": 30, "III": 60, "fsca": 30}
OPEN = (TaskStatus.OPEN, TaskStatus.IN_PROGRESS)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km (Earth radius 6371 km)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


def work_order_days(recall: RecallCase) -> int:
    days: dict[str, int] = {**DEFAULT_DAYS, **getattr(settings, "MEDRECALL_WORK_ORDER_DAYS", {})}
    classes = [r.recall_class for r in recall.regimes.all() if r.recall_class in days]
    return min((days[c] for c in classes), default=days["II"])


def provider_choose(
    *,
    action: str,
    device_model_ids: set[int],
    latitude: float,
    longitude: float,
) -> tuple[ServiceProvider, float] | None:
    """The nearest qualified provider with open capacity, and its distance (ties: fewer open orders)."""
    candidates = ServiceProvider.objects.filter(is_active=True).annotate(
        open_orders=Count("work_orders", filter=Q(work_orders__status__in=OPEN), distinct=True),
        qualified=Count(
            "device_models", filter=Q(device_models__in=device_model_ids), distinct=True
        ),
    )
    best: tuple[float, int, str, ServiceProvider] | None = None
    for provider in candidates:
        if action not in provider.skills or provider.qualified < len(device_model_ids):
            continue
        if provider.open_orders >= provider.capacity:
            continue
        distance = haversine_km(
            latitude, longitude, float(provider.latitude), float(provider.longitude)
        )
        key = (distance, provider.open_orders, provider.name, provider)
        if best is None or key[:3] < best[:3]:
            best = key
    return (best[3], best[0]) if best else None


def _units_on_site(
    recall: RecallCase, party: Party, location: Location | None
) -> tuple[Location, QuerySet[AffectedLine]]:
    """The site (the location named, else the first the scope puts the holder's units at) and
    the scope's lines there; refused if the holder has no affected units in the scope."""
    snapshot = recall.current_snapshot
    lines = snapshot.lines.filter(party=party) if snapshot else None
    if lines is None or not lines.exists():
        raise WorkOrderRefused(
            _("%(party)s holds no affected units in this recall's scope.") % {"party": party.name},
            where="party",
        )
    location = location or lines.first().location  # type: ignore[union-attr]
    return location, lines.filter(location=location)


def _site_coordinates(location: Location, party: Party) -> tuple[float, float]:
    """The site's latitude and longitude, else the holder's; refused without either."""
    lat = location.latitude if location.latitude is not None else party.latitude
    lon = location.longitude if location.longitude is not None else party.longitude
    if lat is None or lon is None:
        raise WorkOrderRefused(
            _("%(location)s has no coordinates: add latitude and longitude to the holder.")
            % {"location": location.code},
            where="location",
        )
    return float(lat), float(lon)


def _provider_assign(
    action: str, lines: QuerySet[AffectedLine], site: tuple[float, float]
) -> tuple[ServiceProvider, float]:
    """The nearest qualified provider with open capacity for the device models on site, chosen
    under a lock on the providers (one assignment at a time, so capacity is not overbooked)."""
    model_ids = set(lines.values_list("lot__device_model_id", flat=True))
    ServiceProvider.objects.select_for_update(of=("self",)).filter(
        is_active=True
    ).exists()  # one assignment at a time
    chosen = provider_choose(
        action=action, device_model_ids=model_ids, latitude=site[0], longitude=site[1]
    )
    if chosen is None:
        raise WorkOrderRefused(
            _(
                "No qualified service provider has open capacity for %(action)s of these device "
                "models."
            )
            % {"action": FieldAction(action).label},
            where="provider",
        )
    return chosen


@transaction.atomic
def work_order_create(
    *,
    recall: RecallCase,
    party: Party,
    action: str,
    actor: User,
    location: Location | None = None,
    instructions: str = "",
    now: datetime | None = None,
) -> WorkOrder:
    """Open a work order for every affected unit the scope puts at the holder's location, and assign it."""
    recall = recall_locked_in_execution(
        recall,
        Action.CREATE_WORK_ORDER,
        refused=WorkOrderRefused,
        message=_("Work orders are opened for an approved recall; this one is %(status)s."),
    )
    if action not in FieldAction.values:
        raise WorkOrderRefused(_("Choose a field action."), where="action")
    location, lines = _units_on_site(recall, party, location)
    provider, distance = _provider_assign(action, lines, _site_coordinates(location, party))
    start = now or timezone.now()
    order = WorkOrder.objects.create(
        number=next_number(WorkOrder, "WO"),
        recall=recall,
        party=party,
        location=location,
        action=action,
        provider=provider,
        distance_km=Decimal(str(round(distance, 1))),
        due_at=start + timedelta(days=work_order_days(recall)),
        instructions=instructions,
        created_by=actor,
    )
    WorkOrderUnit.objects.bulk_create(
        WorkOrderUnit(
            work_order=order,
            lot_id=line.lot_id,
            serial_id=line.serial_id,
            quantity=line.on_hand + line.in_transit,
        )
        for line in lines.order_by("lot_id", "serial_id")
    )
    audit.record(
        actor=actor,
        action="execution.work_order_opened",
        target=order,
        changes={
            "provider": [None, provider.name],
            "distance_km": [None, str(order.distance_km)],
            "due_at": [None, order.due_at.isoformat()],
            "action": [None, action],
        },
    )
    return order


def may_record(order: WorkOrder, user: User) -> bool:
    """Staff with the permission, the provider's own technician, or a portal user of the provider's party."""
    if user.is_portal:
        return order.provider is not None and order.provider.party_id == user.party_id
    return user.has_perm("execution.change_workorder") or (
        order.provider is not None and order.provider.technician_id == user.pk
    )


@transaction.atomic
def work_order_record(
    *, unit: WorkOrderUnit, actor: User, result: str, note: str = ""
) -> WorkOrderUnit:
    """Record the result for one unit; the work order is done when every unit has a result."""
    order = (
        WorkOrder.objects.select_for_update(of=("self",))
        .select_related("provider")
        .get(pk=unit.work_order_id)
    )
    if not may_record(order, actor):
        raise WorkOrderRefused(_("This work order is not assigned to you."), code="not_allowed")
    require_action(order.recall, Action.RECORD_FIELD_WORK)
    record_require(order, WorkOrderAction.RECORD)
    if order.status not in OPEN:
        raise WorkOrderRefused(
            _("Work order %(number)s is %(status)s.")
            % {"number": order.number, "status": order.get_status_display()}
        )
    if result not in UnitResult.values or result == UnitResult.PENDING:
        raise WorkOrderRefused(_("Choose a result."), where="result")
    unit = WorkOrderUnit.objects.select_for_update(of=("self",)).get(pk=unit.pk)
    before = unit.result
    unit.result, unit.note, unit.recorded_by, unit.recorded_at = result, note, actor, timezone.now()
    unit.save(update_fields=["result", "note", "recorded_by", "recorded_at"])
    source = order.status
    if not order.units.filter(result=UnitResult.PENDING).exists():
        order.status, order.done_at = TaskStatus.DONE, timezone.now()
    elif order.status == TaskStatus.OPEN:
        order.status = TaskStatus.IN_PROGRESS
    order.save(update_fields=["status", "done_at"])
    audit.record(
        actor=actor,
        action="execution.work_order_result",
        target=order,
        reason=note,
        changes={
            "unit": [None, unit.pk],
            "result": [before, result],
            "status": [source, order.status],
        },
    )
    if order.status == TaskStatus.DONE and source != TaskStatus.DONE:
        from .holders import work_order_progress

        work_order_progress(order)
        hooks.happened(hooks.WORK_ORDER_DONE, order.pk)
    return unit


def max_evidence_bytes() -> int:
    return int(getattr(settings, "MEDRECALL_EVIDENCE_MAX_BYTES", 10 * 1024 * 1024))


@transaction.atomic
def evidence_add(
    *, order: WorkOrder, actor: User, name: str, content: Any, unit: WorkOrderUnit | None = None
) -> Evidence:
    """Keep a photo or PDF; refuse other types (by content) and files over the size limit."""
    if not may_record(order, actor):
        raise WorkOrderRefused(_("This work order is not assigned to you."), code="not_allowed")
    order = WorkOrder.objects.select_for_update(of=("self",)).get(pk=order.pk)
    require_action(order.recall, Action.RECORD_FIELD_WORK)
    record_require(order, WorkOrderAction.EVIDENCE)
    size = getattr(content, "size", None)
    limit = max_evidence_bytes()
    if size is not None and size > limit:
        raise EvidenceRefused(
            _("%(name)s is %(size)s bytes; evidence files may be at most %(limit)s bytes.")
            % {"name": name, "size": size, "limit": limit},
            where="file",
            code="too_large",
        )
    data = content.read(limit + 1) if hasattr(content, "read") else bytes(content)
    if len(data) > limit:
        raise EvidenceRefused(
            _("%(name)s is %(size)s bytes; evidence files may be at most %(limit)s bytes.")
            % {"name": name, "size": len(data), "limit": limit},
            where="file",
            code="too_large",
        )
    try:
        kind = files.check_type(io.BytesIO(data), name=name, allowed=files.EVIDENCE_TYPES)
    except files.UploadRefused as refused:
        raise EvidenceRefused(refused.message, where="file", code="wrong_type") from refused
    if unit is not None and unit.work_order_id != order.pk:
        raise WorkOrderRefused(_("That unit is not on this work order."), where="unit")
    evidence = Evidence(
        work_order=order,
        unit=unit,
        original_name=name[:255],
        content_type=kind.content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=actor,
    )
    # Stored under a generated name with the detected type's extension; the client's name is
    # only shown (original_name), never used on disk.
    evidence.file.save(files.stored_name(kind), ContentFile(data), save=False)
    evidence.save()
    audit.record(
        actor=actor,
        action="execution.evidence_added",
        target=order,
        changes={"file": [None, evidence.original_name], "sha256": [None, evidence.sha256]},
    )
    return evidence


def work_orders_escalate(*, now: datetime | None = None) -> int:
    """Escalate every overdue open work order once: mark it, audit it, tell the recall's owner."""
    now = now or timezone.now()
    count = 0
    for order_id in WorkOrder.objects.filter(
        status__in=OPEN, due_at__lt=now, escalated_at__isnull=True
    ).values_list("pk", flat=True):
        with transaction.atomic():
            order = (
                WorkOrder.objects.select_for_update(of=("self",))
                .select_related("recall__owner", "provider")
                .get(pk=order_id)
            )
            if order.escalated_at is not None or order.status not in OPEN:
                continue
            order.escalated_at = now
            order.save(update_fields=["escalated_at"])
            audit.record(
                actor=None,
                action="execution.work_order_escalated",
                target=order,
                changes={
                    "escalated_at": [None, now.isoformat()],
                    "due_at": [None, order.due_at.isoformat()],
                },
            )
            owner = order.recall.owner
            if owner.email:
                subject = _("Overdue work order %(number)s (recall %(recall)s)") % {
                    "number": order.number,
                    "recall": order.recall.number,
                }
                body = _(
                    "Work order %(number)s for %(holder)s was due %(due)s and is not done."
                ) % {
                    "number": order.number,
                    "holder": order.party.name,
                    "due": order.due_at.strftime("%Y-%m-%d"),
                }
                transaction.on_commit(
                    partial(send_mail, subject, body, None, [owner.email], fail_silently=True)
                )
            count += 1
    return count
