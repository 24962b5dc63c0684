"""Reads of the quality context, scoped to the viewer: a portal user sees its own party's
complaints only and no CAPA; a record it may not see answers "not found" like a missing one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from medrecall.core.presentation import user_display_name
from medrecall.core.selectors import one_or_not_found
from medrecall.core.types import Viewer
from medrecall.parties.models import Party, PartyType
from medrecall.recalls.lifecycle import Status as RecallStatus
from medrecall.recalls.models import RecallCase, ScopeRule
from medrecall.traceability import engine
from medrecall.traceability.models import TraceEvent

from .lifecycle import CapaStatus, ComplaintStatus
from .models import (
    ActionStatus,
    Capa,
    CapaTask,
    Complaint,
    Resolution,
    RootCause,
    RootCauseCategory,
)

CAPA_DUE_AHEAD = timedelta(days=14)
SIGNALS_SHOWN = 5


def complaint_list_for(
    *, viewer: Viewer, status: str = "", unresolved: bool = False
) -> QuerySet[Complaint]:
    complaints = Complaint.objects.select_related(
        "holder", "device_model", "lot", "serial", "recall"
    )
    if viewer.party_id is not None:
        complaints = complaints.filter(holder_id=viewer.party_id)
    if status:
        complaints = complaints.filter(status=status)
    if unresolved:
        complaints = complaints.filter(TO_RESOLVE)
    return complaints.order_by("-aware_at", "-pk")


# A complaint still to resolve: its device not identified, or its lot not shipped to its holder.
TO_RESOLVE = ~Q(resolution=Resolution.RESOLVED) | Q(holder_not_shipped=True)


def complaint_get_for(*, viewer: Viewer, pk: int) -> Complaint:
    return one_or_not_found(
        complaint_list_for(viewer=viewer).filter(pk=pk),
        _("There is no complaint %(id)s.") % {"id": pk},
    )


def complaint_numbered_for(*, viewer: Viewer, number: str) -> Complaint:
    return one_or_not_found(
        complaint_list_for(viewer=viewer).filter(number=number),
        _("There is no complaint %(number)s.") % {"number": number},
    )


def capa_list_for(*, viewer: Viewer, status: str = "", overdue: bool = False) -> QuerySet[Capa]:
    """The CAPAs the viewer may see (staff: all; a portal user: none), newest first;
    ``overdue``: only those not closed and due before today (``Capa.is_overdue``)."""
    capas = Capa.objects.select_related("owner")
    if viewer.party_id is not None:
        return capas.none()
    if status:
        capas = capas.filter(status=status)
    if overdue:
        capas = capas.exclude(status=CapaStatus.CLOSED).filter(due_on__lt=timezone.localdate())
    return capas.order_by("-created_at", "-pk")


def capa_get_for(*, viewer: Viewer, pk: int) -> Capa:
    return one_or_not_found(
        capa_list_for(viewer=viewer).filter(pk=pk), _("No CAPA has the id %(id)s.") % {"id": pk}
    )


def capa_numbered_for(*, viewer: Viewer, number: str) -> Capa:
    return one_or_not_found(
        capa_list_for(viewer=viewer).filter(number=number),
        _("No CAPA has the number %(number)s.") % {"number": number},
    )


def capa_action_get(*, capa: Capa, pk: int) -> CapaTask:
    return one_or_not_found(
        capa.actions.filter(pk=pk),
        _("CAPA %(number)s has no action %(id)s.") % {"number": capa.number, "id": pk},
    )


def suppliers_of_lots(lot_ids: Sequence[int]) -> list[Party]:
    """The supplier parties of these lots and of every component lot in their genealogy: the
    suppliers whose locations an event of one of those lots came from or went to. Two queries
    (the genealogy, then the parties) for any number of lots."""
    if not lot_ids:
        return []
    components = engine.component_lots_of(list(lot_ids))
    every = set(lot_ids) | {c for edges in components.values() for c, _f, _q in edges}
    events = TraceEvent.objects.filter(lot_id__in=every, retracted=False)
    return list(
        Party.objects.filter(party_type=PartyType.SUPPLIER)
        .filter(
            Q(locations__in=events.values("from_location_id"))
            | Q(locations__in=events.values("to_location_id"))
        )
        .distinct()
        .order_by("code")
    )


def capa_detail(capa: Capa) -> dict[str, Any]:
    """What a CAPA's page, the API and the command show beside its own fields: six queries."""
    return {
        "root_causes": list(capa.root_causes.select_related("recorded_by")),
        "actions": list(capa.actions.select_related("owner")),
        "verifications": list(capa.verifications.select_related("verified_by")),
        "recalls": list(capa.recalls.order_by("number")),
        "complaints": list(capa.complaints.order_by("number")),
        "lots": list(capa.lots.select_related("device_model").order_by("number")),
        "suppliers": list(capa.suppliers.order_by("code")),
    }


def recalls_without_capa() -> QuerySet[RecallCase]:
    """Closed recalls that no CAPA names (ISO 13485 8.5.2: each should have one)."""
    return RecallCase.objects.filter(status=RecallStatus.CLOSED, capas__isnull=True).order_by(
        "-updated_at"
    )


def top_root_causes(limit: int = 10) -> list[tuple[str, str, int]]:
    """(category, label, count) of the root causes recorded, most frequent first."""
    rows = (
        RootCause.objects.values("category")
        .annotate(n=Count("id"))
        .order_by("-n", "category")[:limit]
    )
    labels = dict(RootCauseCategory.choices)
    return [
        (row["category"], str(labels.get(row["category"], row["category"])), row["n"])
        for row in rows
    ]


@dataclass
class Dashboard:
    complaints_open: int = 0
    complaints_by_status: dict[str, int] = field(default_factory=dict)
    complaints_unresolved: int = 0
    clocks: list[Any] = field(
        default_factory=list
    )  # reporting.ClockRow: breached or due within a week
    capas_open: int = 0
    capas_overdue: list[Capa] = field(default_factory=list)
    capas_due: list[Capa] = field(default_factory=list)
    actions_overdue: list[CapaTask] = field(default_factory=list)
    root_causes: list[tuple[str, str, int]] = field(default_factory=list)
    recalls_without_capa: list[RecallCase] = field(default_factory=list)
    recalls_closed: int = 0  # closed recalls, with or without a CAPA
    signals_active: int = 0  # early-warning signals found and not yet dismissed or linked
    signals_top: list[Any] = field(default_factory=list)  # the most significant of them

    def as_dict(self) -> dict[str, Any]:
        """The dashboard as JSON: the API's answer and the command's ``--json``."""
        return {
            "complaints_open": self.complaints_open,
            "complaints_by_status": self.complaints_by_status,
            "complaints_unresolved": self.complaints_unresolved,
            "clocks": [row.as_dict() for row in self.clocks],
            "capas_open": self.capas_open,
            "capas_overdue": [c.number for c in self.capas_overdue],
            "capas_due": [c.number for c in self.capas_due],
            "actions_overdue": len(self.actions_overdue),
            "root_causes": [
                {"category": code, "name": label, "count": n} for code, label, n in self.root_causes
            ],
            "recalls_without_capa": [r.number for r in self.recalls_without_capa],
            "recalls_closed": self.recalls_closed,
            "signals_active": self.signals_active,
            "signals_top": [
                {
                    "id": s.pk,
                    "device_model": s.device_model.model_code,
                    "lot": s.lot.number if s.lot else None,
                    "ratio": s.ratio,
                    "q_value": s.q_value,
                    "since": s.since.isoformat(),
                }
                for s in self.signals_top
            ],
        }


def dashboard_for(*, viewer: Viewer, now: datetime | None = None) -> Dashboard:
    """The quality dashboard: a fixed number of queries whatever the number of records."""
    from .reporting import clocks_due

    now = now or timezone.now()
    today: date = timezone.localtime(now).date()
    complaints = complaint_list_for(viewer=viewer)
    by_status = dict(
        complaints.order_by()
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    board = Dashboard(
        complaints_open=sum(n for s, n in by_status.items() if s != ComplaintStatus.CLOSED),
        complaints_by_status={s: by_status.get(s, 0) for s in ComplaintStatus.values},
        complaints_unresolved=complaints.exclude(status=ComplaintStatus.CLOSED)
        .filter(TO_RESOLVE)
        .count(),
        clocks=clocks_due(now=now, complaints=complaints),
    )
    if viewer.party_id is not None:
        return board
    open_capas = Capa.objects.exclude(status=CapaStatus.CLOSED).select_related("owner")
    board.capas_open = open_capas.count()
    board.capas_overdue = list(open_capas.filter(due_on__lt=today).order_by("due_on", "pk"))
    board.capas_due = list(
        open_capas.filter(due_on__gte=today, due_on__lte=today + CAPA_DUE_AHEAD).order_by(
            "due_on", "pk"
        )
    )
    board.actions_overdue = list(
        CapaTask.objects.filter(
            status__in=(ActionStatus.OPEN, ActionStatus.IN_PROGRESS), due_on__lt=today
        )
        .select_related("capa", "owner")
        .order_by("due_on", "pk")
    )
    board.root_causes = top_root_causes()
    board.recalls_without_capa = list(recalls_without_capa())
    board.recalls_closed = RecallCase.objects.filter(status=RecallStatus.CLOSED).count()
    from .signals import signals_active

    active = signals_active(viewer=viewer)
    board.signals_active = active.count()
    board.signals_top = list(active[:SIGNALS_SHOWN])
    return board


def capa_owner_choices() -> list[tuple[str, str]]:
    """(user name, full name) of the active staff who may act on CAPAs (and so may own one or
    its actions), by full name: one query, for the owner fields' suggestions (the user name is
    what the form sends, the full name what the reader recognises)."""
    from django.contrib.auth import get_user_model

    granted = Q(groups__permissions__codename="change_capa") | Q(
        user_permissions__codename="change_capa"
    )
    users = get_user_model().objects.filter(is_active=True, party__isnull=True)
    owners = (
        users.filter(granted | Q(is_superuser=True))
        .order_by("username")
        .only("username", "first_name", "last_name")
        .distinct()
    )
    named = [(user.get_username(), user_display_name(user)) for user in owners]
    return sorted(named, key=lambda pair: (pair[1].casefold(), pair[0]))


def recalls_covering(complaint: Complaint) -> list[RecallCase]:
    """The recalls (not cancelled) that already cover the complaint's lot (its serial's lot):
    by their frozen scope, or, before it is frozen, by a rule naming the lot, a lot range
    holding it or the whole device model. Three queries; empty when no lot is known."""
    lot = complaint.lot or (complaint.serial.lot if complaint.serial else None)
    if lot is None:
        return []
    frozen = set(RecallCase.objects.filter(snapshots__lines__lot=lot).values_list("pk", flat=True))
    rules = ScopeRule.objects.filter(
        device_model_id=lot.device_model_id,
        kind__in=(ScopeRule.Kind.DEVICE_MODEL, ScopeRule.Kind.LOTS, ScopeRule.Kind.LOT_RANGE),
    ).values_list("recall_id", "kind", "values", "range_from", "range_to")
    named = {
        recall
        for recall, kind, values, first, last in rules
        if kind == ScopeRule.Kind.DEVICE_MODEL
        or (kind == ScopeRule.Kind.LOTS and lot.number in (values or []))
        or (kind == ScopeRule.Kind.LOT_RANGE and first <= lot.number <= last)
    }
    return list(
        RecallCase.objects.filter(pk__in=frozen | named)
        .exclude(status=RecallStatus.CANCELLED)
        .order_by("number")
    )


# A recall still running: a complaint about its lots belongs to it.
RECALL_OPEN = frozenset(
    {
        RecallStatus.DRAFT,
        RecallStatus.ASSESSMENT,
        RecallStatus.PENDING_APPROVAL,
        RecallStatus.IN_EXECUTION,
        RecallStatus.EFFECTIVENESS_CHECK,
    }
)


def open_recall_covering(complaint: Complaint) -> RecallCase | None:
    """The first open recall (by number) that covers the complaint's lot, or ``None``."""
    return next((r for r in recalls_covering(complaint) if r.status in RECALL_OPEN), None)


def lot_not_shipped_to_holder(complaint: Complaint) -> bool:
    """Whether the records show the complaint's lot reaching other parties but never one of the
    holder's locations. ``False`` when the lot or holder is unknown, or the lot has no
    recorded distribution at all (nothing to compare with). One query."""
    lot_id = complaint.lot_id or (complaint.serial.lot_id if complaint.serial else None)
    if lot_id is None or complaint.holder_id is None:
        return False
    reached = set(
        TraceEvent.objects.filter(lot_id=lot_id, retracted=False, to_location__isnull=False)
        .exclude(to_location__party__party_type=PartyType.OWN_SITE)
        .values_list("to_location__party_id", flat=True)
        .distinct()
    )
    return bool(reached) and complaint.holder_id not in reached
