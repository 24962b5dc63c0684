"""Reads of execution, scoped to the viewer, and the recall's unit accounting.

``recall_accounting`` proves, per lot, that every unit of the frozen scope is somewhere:

    affected = at holders (distributors, customers) + own stock (on hold) + in transit
               + in quarantine + dispositioned + used up as reported

computed set-based from the snapshot lines, the derived positions, the events recorded after
the snapshot, and the dispositions done. The parts:

* positions of the scope's lots (lot-level lines) and serials (serial lines), by the kind of
  location, leaving out serials whose disposition is done (they are counted there) and
  supplier locations (only a disposition sends affected units there);
* dispositioned: quantities of dispositions done; lot quantities that went back to our stock
  (repair, release, replace) are taken off own stock so they are not counted twice;
* used up as reported: ``consumed``, ``destroyed`` and ``transformed`` events recorded after the
  snapshot that no disposition posted;
* ``unexplained`` is what is left; zero when the books balance (tests assert it after each step).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, Q, QuerySet, Sum
from django.db.models.fields.files import FieldFile

from medrecall.catalog.models import Lot
from medrecall.core.errors import NotFound
from medrecall.core.types import Viewer
from medrecall.parties.models import LocationType, PartyType
from medrecall.recalls.models import RecallCase
from medrecall.traceability.models import Position, TraceEvent

from .lifecycle import DispositionKind, TaskStatus
from .models import (
    DestructionCertificate,
    Disposition,
    Evidence,
    Hold,
    Receipt,
    ReturnAuthorisation,
    ReturnLine,
    WorkOrder,
    WorkOrderUnit,
)

PARTS = ("at_holders", "own_stock", "in_transit", "in_quarantine", "dispositioned", "used")


@dataclass
class AccountingRow:
    lot: str
    affected: int = 0
    at_holders: int = 0
    own_stock: int = 0
    in_transit: int = 0
    in_quarantine: int = 0
    dispositioned: int = 0
    used: int = 0

    @property
    def accounted(self) -> int:
        return sum(getattr(self, part) for part in PARTS)

    @property
    def unexplained(self) -> int:
        return self.affected - self.accounted

    def as_dict(self) -> dict[str, Any]:
        return {"lot": self.lot, "affected": self.affected, **{p: getattr(self, p) for p in PARTS},
                "unexplained": self.unexplained}


@dataclass
class Accounting:
    recall: str
    snapshot: int | None
    lots: list[AccountingRow] = field(default_factory=list)

    @property
    def total(self) -> AccountingRow:
        total = AccountingRow(lot="")
        for row in self.lots:
            total.affected += row.affected
            for part in PARTS:
                setattr(total, part, getattr(total, part) + getattr(row, part))
        return total

    @property
    def balanced(self) -> bool:
        return all(row.unexplained == 0 for row in self.lots)

    def as_dict(self) -> dict[str, Any]:
        return {"recall": self.recall, "snapshot": self.snapshot, "balanced": self.balanced,
                "total": self.total.as_dict(), "lots": [row.as_dict() for row in self.lots]}


def recall_accounting(recall: RecallCase) -> Accounting:
    snapshot = recall.current_snapshot
    accounting = Accounting(recall=recall.number, snapshot=snapshot.sequence if snapshot else None)
    if snapshot is None:
        return accounting
    lines = snapshot.lines.all()
    rows: dict[int, AccountingRow] = {}
    numbers = dict(Lot.objects.filter(pk__in=lines.values("lot_id")).values_list("pk", "number"))
    for lot_id, affected in lines.values_list("lot_id").annotate(units=Sum("on_hand") + Sum("in_transit")).order_by("lot_id"):
        rows[lot_id] = AccountingRow(lot=numbers[lot_id], affected=int(affected or 0))
    whole_lots = lines.filter(serial__isnull=True).values("lot_id")
    serials = lines.filter(serial__isnull=False).values("serial_id")
    in_scope = Q(lot_id__in=whole_lots) | Q(serial_id__in=serials)
    done = Disposition.objects.filter(recall=recall, status=TaskStatus.DONE)
    done_serials = done.filter(serial__isnull=False).values("serial_id")

    positions = (Position.objects.filter(in_scope, lot_id__in=lines.values("lot_id")).exclude(serial_id__in=done_serials)
                 .exclude(location__party__party_type=PartyType.SUPPLIER)
                 .values_list("lot_id", "location__location_type", "location__party__party_type")
                 .annotate(on_hand=Sum("on_hand"), in_transit=Sum("in_transit")))
    for lot_id, location_type, party_type, on_hand, in_transit in positions:
        row = rows.setdefault(lot_id, AccountingRow(lot=str(lot_id)))
        row.in_transit += int(in_transit)
        if party_type == PartyType.OWN_SITE:
            if location_type == LocationType.QUARANTINE:
                row.in_quarantine += int(on_hand)
            else:
                row.own_stock += int(on_hand)
        else:
            row.at_holders += int(on_hand)

    for lot_id, kind, serial_id, quantity in done.values_list("lot_id", "kind", "serial_id").annotate(
            total=Sum("quantity")):
        row = rows.setdefault(lot_id, AccountingRow(lot=str(lot_id)))
        row.dispositioned += int(quantity)
        if serial_id is None and kind in (DispositionKind.REPAIR, DispositionKind.RELEASE, DispositionKind.REPLACE):
            row.own_stock -= int(quantity)  # back in our stock, counted as dispositioned

    used = (TraceEvent.objects.filter(in_scope, lot_id__in=lines.values("lot_id"), retracted=False,
                                      event_type__in=("consumed", "destroyed", "transformed"),
                                      recorded_at__gt=snapshot.created_at)
            .exclude(document_ref__in=Disposition.objects.filter(recall=recall).values("number"))
            .exclude(serial_id__in=done_serials)
            .values_list("lot_id").annotate(total=Sum("quantity")))
    for lot_id, quantity in used:
        rows.setdefault(lot_id, AccountingRow(lot=str(lot_id))).used += int(quantity)
    accounting.lots = [rows[k] for k in sorted(rows, key=lambda k: rows[k].lot)]
    return accounting


def _recalls_for(viewer: Viewer) -> QuerySet[RecallCase]:
    if getattr(viewer, "party_id", None):
        return RecallCase.objects.none()
    return RecallCase.objects.all()


def recall_for(*, viewer: Viewer, pk: int) -> RecallCase:
    recall = _recalls_for(viewer).filter(pk=pk).first()
    if recall is None:
        raise NotFound(_not_found())
    return recall


def _not_found() -> str:
    from django.utils.translation import gettext as _

    return _("Not found.")


_RETURN_LINES = Prefetch("lines", queryset=ReturnLine.objects.select_related("lot", "serial"))
_WORK_ORDER_UNITS = Prefetch("units", queryset=WorkOrderUnit.objects.select_related("lot", "serial"))


def return_list_for(*, viewer: Viewer, recall: RecallCase | None = None, status: str = "") -> QuerySet[ReturnAuthorisation]:
    returns = ReturnAuthorisation.objects.select_related("recall", "party", "location", "carrier", "quarantine"
                                                        ).prefetch_related(_RETURN_LINES)
    if party_id := getattr(viewer, "party_id", None):
        returns = returns.filter(party_id=party_id)  # a holder sees its own returns
    if recall is not None:
        returns = returns.filter(recall=recall)
    if status:
        returns = returns.filter(status=status)
    return returns


def return_get_for(*, viewer: Viewer, pk: int) -> ReturnAuthorisation:
    ra = return_list_for(viewer=viewer).filter(pk=pk).first()
    if ra is None:
        raise NotFound(_not_found())
    return ra


@dataclass(frozen=True)
class ReconciliationLine:
    line_id: int
    lot: str
    serial: str
    expected: int
    received: int
    outcome: str  # matched | short | over | pending

    @property
    def missing(self) -> int:
        return max(self.expected - self.received, 0)

    @property
    def over(self) -> int:
        return max(self.received - self.expected, 0)


def line_outcome(expected: int, received: int) -> str:
    """matched (all expected, no more), short (something received, not all), over (more than
    expected), pending (nothing yet)."""
    if received > expected:
        return "over"
    if received == expected:
        return "matched"
    return "short" if received else "pending"


def return_reconciliation(ra: ReturnAuthorisation) -> list[ReconciliationLine]:
    """Expected against received per line, with its outcome (``line_outcome``)."""
    return [ReconciliationLine(line.pk, line.lot.number, line.serial.serial if line.serial else "", line.expected,
                               line.received, line_outcome(line.expected, line.received))
            for line in _lines(ra)]


def _lines(ra: ReturnAuthorisation) -> Iterable[ReturnLine]:
    """The return's lines with lot and serial: prefetched by ``return_list_for``, else read now."""
    if "lines" in getattr(ra, "_prefetched_objects_cache", {}):
        return ra.lines.all()
    return ra.lines.select_related("lot", "serial")


def receipts_of(ra: ReturnAuthorisation) -> QuerySet[Receipt]:
    return ra.receipts.select_related("lot", "serial", "location", "received_by")


def quarantine_units(*, recall: RecallCase | None = None, ra: ReturnAuthorisation | None = None) -> list[dict[str, Any]]:
    """Units still in quarantine and not under an open or done disposition: what waits for a decision.

    Per (lot, serial, location) from the positions of the recall's held lots."""
    held = Hold.objects.all()
    if recall is not None:
        held = held.filter(recall=recall)
    if ra is not None:
        held = held.filter(recall_id=ra.recall_id)
    positions = Position.objects.filter(lot_id__in=held.values("lot_id"), location__location_type=LocationType.QUARANTINE,
                                        location__party__party_type=PartyType.OWN_SITE, on_hand__gt=0)
    if ra is not None:
        positions = positions.filter(Q(serial_id__in=ra.receipts.values("serial_id")) |
                                     Q(serial__isnull=True, lot_id__in=ra.receipts.values("lot_id")))
    taken: dict[tuple[int, int | None, int], int] = defaultdict(int)
    for lot_id, serial_id, location_id, quantity in Disposition.objects.exclude(status=TaskStatus.CANCELLED).exclude(
            status=TaskStatus.DONE).values_list("lot_id", "serial_id", "location_id").annotate(q=Sum("quantity")):
        taken[(lot_id, serial_id, location_id)] += int(quantity)
    units = []
    for p in positions.select_related("lot", "serial", "location").order_by("lot__number", "serial__serial"):
        free = p.on_hand - taken[(p.lot_id, p.serial_id, p.location_id)]
        if free > 0:
            units.append({"lot": p.lot, "serial": p.serial, "location": p.location, "quantity": free})
    return units


def disposition_list_for(*, viewer: Viewer, recall: RecallCase | None = None) -> QuerySet[Disposition]:
    found = Disposition.objects.select_related("recall", "lot", "serial", "location", "target", "certificate")
    if getattr(viewer, "party_id", None):
        return found.none()
    return found.filter(recall=recall) if recall is not None else found


def disposition_get_for(*, viewer: Viewer, pk: int) -> Disposition:
    found = disposition_list_for(viewer=viewer).filter(pk=pk).first()
    if found is None:
        raise NotFound(_not_found())
    return found


def work_order_list_for(*, viewer: Viewer, recall: RecallCase | None = None) -> QuerySet[WorkOrder]:
    orders = WorkOrder.objects.select_related("recall", "party", "location", "provider").prefetch_related(
        _WORK_ORDER_UNITS)
    if party_id := getattr(viewer, "party_id", None):
        orders = orders.filter(provider__party_id=party_id)  # a service partner sees its own orders
    elif not viewer.has_perm("execution.view_workorder"):
        orders = orders.filter(provider__technician_id=viewer.pk)
    return orders.filter(recall=recall) if recall is not None else orders


def work_order_get_for(*, viewer: Viewer, pk: int) -> WorkOrder:
    order = work_order_list_for(viewer=viewer).filter(pk=pk).first()
    if order is None:
        raise NotFound(_not_found())
    return order


def certificate_get_for(*, viewer: Viewer, pk: int) -> DestructionCertificate:
    """A destruction certificate through its disposition: whoever may see the disposition, with
    the certificate's view permission (portal users see no dispositions, so no certificates)."""
    found = None
    if viewer.has_perm("execution.view_destructioncertificate"):
        found = DestructionCertificate.objects.select_related("disposition").filter(
            pk=pk, disposition__in=disposition_list_for(viewer=viewer).values("pk")).first()
    if found is None:
        raise NotFound(_not_found())
    return found


def evidence_get_for(*, viewer: Viewer, pk: int) -> Evidence:
    """Work-order evidence through its work order: whoever may see the order (a service partner's
    portal users their own party's orders), with the evidence view permission."""
    found = None
    if viewer.has_perm("execution.view_evidence"):
        found = Evidence.objects.select_related("work_order").filter(
            pk=pk, work_order__in=work_order_list_for(viewer=viewer).values("pk")).first()
    if found is None:
        raise NotFound(_not_found())
    return found


def holds_of(recall: RecallCase) -> QuerySet[Hold]:
    return recall.holds.select_related("lot", "serial", "placed_by", "released_by")


def recalls_in_execution() -> QuerySet[RecallCase]:
    return RecallCase.objects.filter(Q(status="in_execution") | Q(holds__isnull=False)).distinct().order_by("-created_at")


@dataclass(frozen=True)
class StoredDocument:
    """A kept file of execution (destruction certificate, work-order evidence) ready to stream."""

    file: FieldFile
    filename: str
    content_type: str


def _stored(file: FieldFile, filename: str, content_type: str, what: str) -> StoredDocument:
    from django.utils.translation import gettext as _

    if not file or not file.name or not file.storage.exists(file.name):
        raise NotFound(_("The file of %(document)s is missing from storage.") % {"document": what})
    return StoredDocument(file=file, filename=filename, content_type=content_type)


def certificate_document_for(*, viewer: Viewer, pk: int) -> StoredDocument:
    """The destruction certificate's PDF of a disposition the viewer may see (as issued, not re-rendered)."""
    from django.utils.translation import gettext as _

    certificate = DestructionCertificate.objects.filter(disposition__in=disposition_list_for(viewer=viewer).filter(
        pk=pk)).first()
    if certificate is None:
        raise NotFound(_("Disposition has no destruction certificate (only a done destruction has one)."))
    return _stored(certificate.pdf, f"{certificate.number}.pdf", "application/pdf", certificate.number)


def certificate_document_numbered(number: str) -> StoredDocument:
    """By disposition (DSP-…) or certificate (DC-…) number; for staff tools (the CLI)."""
    from django.utils.translation import gettext as _

    certificate = DestructionCertificate.objects.filter(Q(number=number) | Q(disposition__number=number)).first()
    if certificate is None:
        raise NotFound(_("No destruction certificate %(number)s.") % {"number": number})
    return _stored(certificate.pdf, f"{certificate.number}.pdf", "application/pdf", certificate.number)


def evidence_of(order: WorkOrder) -> QuerySet[Evidence]:
    return order.evidence.select_related("unit__lot", "unit__serial", "uploaded_by")


def evidence_document_for(*, viewer: Viewer, order_pk: int, pk: int) -> StoredDocument:
    """One evidence file of a work order the viewer may see."""
    return evidence_document(order=work_order_get_for(viewer=viewer, pk=order_pk), pk=pk)


def evidence_document(*, order: WorkOrder, pk: int) -> StoredDocument:
    evidence = evidence_of(order).filter(pk=pk).first()
    if evidence is None:
        raise NotFound(_not_found())
    return _stored(evidence.file, evidence.original_name, evidence.content_type, evidence.original_name)
