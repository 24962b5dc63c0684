"""Reads of recalls: scoped lists, one recall, and the impact of its frozen scope."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from medrecall.catalog.models import DeviceModel
from medrecall.core.errors import NotFound
from medrecall.core.selectors import one_or_not_found
from medrecall.core.types import Viewer
from medrecall.traceability.models import Position

from .models import AffectedLine, RecallCase, Regime, ScopeSnapshot


def recall_list_for(*, viewer: Viewer, status: str = "", search: str = "") -> QuerySet[RecallCase]:
    recalls = RecallCase.objects.select_related("owner").prefetch_related("regimes")
    if viewer.party_id is not None or not viewer.has_perm("recalls.view_recallcase"):
        return recalls.none()
    if status:
        recalls = recalls.filter(status=status)
    if search:
        recalls = recalls.filter(title__icontains=search) | recalls.filter(number__icontains=search)
    return recalls.order_by("-created_at")


def recall_get_for(*, viewer: Viewer, pk: int) -> RecallCase:
    return one_or_not_found(recall_list_for(viewer=viewer).filter(pk=pk), _("Recall not found."))


@dataclass(frozen=True)
class Impact:
    snapshot: int
    total_units: int
    total_holders: int
    by_category: dict[str, int] = field(default_factory=dict)
    by_party_type: list[dict[str, Any]] = field(default_factory=list)
    by_echelon: list[dict[str, Any]] = field(default_factory=list)
    by_region: list[dict[str, Any]] = field(default_factory=list)
    by_holder: list[dict[str, Any]] = field(default_factory=list)


def impact_of(snapshot: ScopeSnapshot) -> Impact:
    """Affected units and holders by position, holder type, echelon, region and holder —
    grouped in SQL over the frozen lines, so the figures reconcile with the snapshot."""
    lines = AffectedLine.objects.filter(snapshot=snapshot)
    units = Sum("on_hand") + Sum("in_transit")

    def grouped(*keys: str) -> list[dict[str, Any]]:
        return [
            dict(row)
            for row in lines.values(*keys)
            .annotate(units=units, holders=Count("party", distinct=True))
            .order_by(*keys)
        ]

    categories = {
        row["category"]: row["units"]
        for row in lines.values("category").annotate(units=Sum("on_hand"))
        if row["units"]
    }
    in_transit = lines.aggregate(total=Sum("in_transit"))["total"] or 0
    if in_transit:
        categories["in_transit"] = in_transit
    return Impact(
        snapshot=snapshot.sequence,
        total_units=snapshot.total_units,
        total_holders=snapshot.total_holders,
        by_category=categories,
        by_party_type=grouped("party__party_type"),
        by_echelon=grouped("echelon"),
        by_region=grouped("location__country", "location__province", "location__city"),
        by_holder=[
            dict(row)
            for row in lines.values(
                "party__code",
                "party__name",
                "party__name_en",
                "party__party_type",
                "location__country",
                "location__province",
            )
            .annotate(units=units, lines=Count("pk"))
            .order_by("-units", "party__code")
        ],
    )


def recalls_holding(
    *, viewer: Viewer, lot_id: int | None, serial_id: int | None = None
) -> QuerySet[RecallCase]:
    """The recalls whose frozen scope (their current snapshot) holds a unit. A scanned serial: a
    lot-level line of its lot, or a line of the serial. A scanned lot (no serial): any line of
    the lot, with or without serial (a serial-tracked lot is frozen serial by serial). One statement, whatever the number of recalls; cancelled
    recalls are left out. Portal users see none (the scan page shows them no records)."""
    from django.db.models import Exists, OuterRef, Q, Subquery

    if lot_id is None and serial_id is None:
        return RecallCase.objects.none()
    if (
        serial_id is None
    ):  # a lot-level scan: any line of the lot, lot-level or of one of its serials
        unit = Q(lot_id=lot_id)
    else:  # a serial: a lot-level line of its lot, or a line of the serial itself
        unit = Q(serial_id=serial_id)
        if lot_id is not None:
            unit |= Q(lot_id=lot_id, serial__isnull=True)
    latest = (
        ScopeSnapshot.objects.filter(recall_id=OuterRef(OuterRef("pk")))
        .order_by("-sequence")
        .values("sequence")[:1]
    )
    holds = AffectedLine.objects.filter(
        unit, snapshot__recall_id=OuterRef("pk"), snapshot__sequence=Subquery(latest)
    )
    found = (
        RecallCase.objects.filter(Exists(holds))
        .exclude(status="cancelled")
        .order_by("-created_at", "pk")
    )
    return found.none() if getattr(viewer, "party_id", None) else found


def recall_numbered(*, number: str) -> RecallCase:
    """The recall with this number, for staff tools (the command line); pages and the API find
    a recall by id through ``recall_get_for``."""
    found = RecallCase.objects.filter(number=number).first() if number else None
    if found is None:
        raise NotFound(
            _("There is no recall numbered %(number)s.") % {"number": number}, where="recall"
        )
    return found


def scope_baseline(snapshot: ScopeSnapshot | None) -> dict[str, int] | None:
    """A frozen scope in brief (its sequence, units and holders), as a recall's summary and the
    decision record an approver signs show it; ``None`` before the first freeze."""
    if snapshot is None:
        return None
    return {
        "snapshot": snapshot.sequence,
        "units": snapshot.total_units,
        "holders": snapshot.total_holders,
    }


def sold_in_china(recall: RecallCase) -> list[str]:
    """The recall's device models sold in China although the recall has no NMPA regime: those
    with an NMPA registration no. (``DeviceModel.registration_no``) or with a lot the trace
    has at a location in China (at any quantity, so a recall abroad with zero Chinese units
    counts). NMPA then expects the recall event report (召回事件报告表) all the same
    (docs/filings.md, "Recalls abroad of devices sold in China"). Model codes, or []."""
    if recall.regimes.filter(regime=Regime.NMPA).exists():
        return []
    in_china = Position.objects.filter(lot__device_model_id=OuterRef("pk"), location__country="CN")
    return list(
        DeviceModel.objects.filter(pk__in=recall.products.values("pk"))
        .filter(~Q(registration_no="") | Q(Exists(in_china)))
        .order_by("model_code")
        .values_list("model_code", flat=True)
    )


def china_in_scope(recall: RecallCase) -> tuple[int, int]:
    """Holders in China of the current frozen scope (our own sites and suppliers left out) and
    their units, for a recall without the NMPA regime; (0, 0) with it or before the freeze."""
    from medrecall.parties.models import PartyType

    snapshot = recall.current_snapshot
    if snapshot is None or recall.regimes.filter(regime=Regime.NMPA).exists():
        return 0, 0
    found = (
        AffectedLine.objects.filter(snapshot=snapshot, location__country="CN")
        .exclude(party__party_type__in=(PartyType.OWN_SITE, PartyType.SUPPLIER))
        .aggregate(
            holders=Count("party_id", distinct=True), units=Sum(F("on_hand") + F("in_transit"))
        )
    )
    return int(found["holders"] or 0), int(found["units"] or 0)


def sold_in_china_warning(recall: RecallCase) -> str:
    """The case's warning: holders in China in the frozen scope need the NMPA regime itself;
    a device also sold in China with no Chinese unit in scope still owes the NMPA event report
    (``sold_in_china``); "" otherwise."""
    holders, units = china_in_scope(recall)
    if holders:
        return _(
            "%(holders)s holders in China are in the frozen scope (%(units)s units): the recall "
            "needs the NMPA regime (医疗器械召回管理办法). Add the NMPA regime."
        ) % {"holders": holders, "units": units}
    models = sold_in_china(recall)
    if not models:
        return ""
    return _(
        "Also sold in China (%(models)s): the NMPA recall event report (召回事件报告表) is due "
        "even with no units in China. Add the NMPA regime or file the report."
    ) % {"models": ", ".join(models)}
