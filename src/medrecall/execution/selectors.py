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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import connection, models
from django.db.models import Prefetch, Q, QuerySet, Sum
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext as _

from medrecall.catalog.models import Lot, Serial
from medrecall.core.errors import NotFound
from medrecall.core.selectors import one_or_not_found
from medrecall.core.types import Viewer
from medrecall.parties.models import LocationType, PartyType
from medrecall.recalls.models import AffectedLine, RecallCase, ScopeSnapshot
from medrecall.traceability.models import Position

from .lifecycle import DispositionKind, TaskStatus
from .models import (
    Carrier,
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
        return {
            "lot": self.lot,
            "affected": self.affected,
            **{p: getattr(self, p) for p in PARTS},
            "unexplained": self.unexplained,
        }


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
        return {
            "recall": self.recall,
            "snapshot": self.snapshot,
            "balanced": self.balanced,
            "total": self.total.as_dict(),
            "lots": [row.as_dict() for row in self.lots],
        }


def recall_accounting(recall: RecallCase) -> Accounting:
    """The unit accounting of one recall against its current frozen scope."""
    return accounting_for([recall])[recall.pk]


# Positions and later consumption of the units in each snapshot's scope: a position counts for a
# snapshot when a line of it names the position's lot as a whole (no serial) or its serial; a
# position that two lines name counts once (DISTINCT). Supplier stock is not ours to account; a
# serial a done disposition settled is counted as dispositioned, not where it now sits.
# The positions of each frozen scope: the distinct (snapshot, lot) pairs of its lines first
# (``whole``: a line covers the whole lot), then the positions of those lots, a position of a
# lot covered only serial by serial kept when one of the lines names its serial. Each position
# is met once per pair (a position has one lot), so nothing is joined line by position (10
# lot-level lines x 1,000 positions each before a DISTINCT, at a million units).
_SCOPED_POSITIONS = """
    SELECT pairs.snapshot_id, position.lot_id, location.location_type, party.party_type,
           SUM(position.on_hand), SUM(position.in_transit)
    FROM (SELECT line.snapshot_id, line.lot_id,
                 MAX(CASE WHEN line.serial_id IS NULL THEN 1 ELSE 0 END) AS whole
          FROM recalls_affectedline line
          WHERE line.snapshot_id IN ({snapshots})
          GROUP BY line.snapshot_id, line.lot_id) pairs
    JOIN recalls_scopesnapshot snapshot ON snapshot.id = pairs.snapshot_id
    JOIN traceability_position position ON position.lot_id = pairs.lot_id
    JOIN parties_location location ON location.id = position.location_id
    JOIN parties_party party ON party.id = location.party_id
    WHERE party.party_type <> %s
      AND (pairs.whole = 1
           OR EXISTS (SELECT 1 FROM recalls_affectedline named
                      WHERE named.snapshot_id = pairs.snapshot_id AND named.lot_id = pairs.lot_id
                        AND named.serial_id = position.serial_id))
      AND NOT EXISTS (SELECT 1 FROM execution_disposition done
                      WHERE done.recall_id = snapshot.recall_id AND done.status = %s
                        AND done.serial_id = position.serial_id)
    GROUP BY pairs.snapshot_id, position.lot_id, location.location_type, party.party_type
"""
# Units reported used up after the snapshot (consumed, destroyed, transformed), per lot: the
# same (snapshot, lot) pairs first, then the events of those lots (an event has one lot, so it
# is met once per pair), an event of a lot covered only serial by serial kept when a line names
# its serial. Not each lot-level line joined with every event of its lot before a DISTINCT
# (1,000 lines x 2,000 events per lot at a million units: seconds).
_SCOPED_USE = """
    SELECT pairs.snapshot_id, event.lot_id, SUM(event.quantity)
    FROM (SELECT line.snapshot_id, line.lot_id,
                 MAX(CASE WHEN line.serial_id IS NULL THEN 1 ELSE 0 END) AS whole
          FROM recalls_affectedline line
          WHERE line.snapshot_id IN ({snapshots})
          GROUP BY line.snapshot_id, line.lot_id) pairs
    JOIN recalls_scopesnapshot snapshot ON snapshot.id = pairs.snapshot_id
    JOIN traceability_traceevent event ON event.lot_id = pairs.lot_id
    WHERE event.retracted = %s AND event.event_type IN (%s, %s, %s)
      AND event.recorded_at > snapshot.created_at
      AND (pairs.whole = 1
           OR EXISTS (SELECT 1 FROM recalls_affectedline named
                      WHERE named.snapshot_id = pairs.snapshot_id AND named.lot_id = pairs.lot_id
                        AND named.serial_id = event.serial_id))
      AND NOT EXISTS (SELECT 1 FROM execution_disposition own
                      WHERE own.recall_id = snapshot.recall_id AND own.number = event.document_ref)
      AND NOT EXISTS (SELECT 1 FROM execution_disposition done
                      WHERE done.recall_id = snapshot.recall_id AND done.status = %s
                        AND done.serial_id = event.serial_id)
    GROUP BY pairs.snapshot_id, event.lot_id
"""


def accounting_for(recalls: Sequence[RecallCase]) -> dict[int, Accounting]:
    """The unit accounting of each recall against its current frozen scope, per lot:
    affected = at holders + own stock + in transit + in quarantine + dispositioned + used.

    Set-based over all the recalls at once (the same few queries for one recall or fifty), so a
    list of recalls can show each one's books."""
    found = {recall.pk: Accounting(recall=recall.number, snapshot=None) for recall in recalls}
    current = _current_snapshots(list(found))
    if not current:
        return found
    books = _Books(
        recall_of={snapshot_id: recall_id for recall_id, (snapshot_id, _seq) in current.items()},
        rows={recall_id: {} for recall_id in current},
    )
    books.count_affected()
    books.count_positions_and_use()
    books.count_dispositions()
    for recall_id, (_snapshot_id, sequence) in current.items():
        by_lot = books.rows[recall_id]
        found[recall_id].snapshot = sequence
        found[recall_id].lots = [by_lot[k] for k in sorted(by_lot, key=lambda k: by_lot[k].lot)]
    return found


def _current_snapshots(recall_ids: list[int]) -> dict[int, tuple[int, int]]:
    """recall id → (snapshot id, sequence) of its latest frozen scope (recalls without one left out)."""
    current: dict[int, tuple[int, int]] = {}
    for snapshot_id, recall_id, sequence in (
        ScopeSnapshot.objects.filter(recall_id__in=recall_ids)
        .order_by("recall_id", "-sequence")
        .values_list("pk", "recall_id", "sequence")
    ):
        current.setdefault(recall_id, (snapshot_id, sequence))
    return current


@dataclass
class _Books:
    """The accounting rows of several recalls while they are counted: recall id → lot id → row."""

    recall_of: dict[int, int]  # snapshot id -> recall id
    rows: dict[int, dict[int, AccountingRow]]

    def row(self, snapshot_id: int, lot_id: int) -> AccountingRow:
        return self.rows[self.recall_of[snapshot_id]].setdefault(
            lot_id, AccountingRow(lot=str(lot_id))
        )

    def count_affected(self) -> None:
        """Affected: the units each snapshot's lines put anywhere, on hand or in transit."""
        for snapshot_id, lot_id, number, affected in (
            AffectedLine.objects.filter(snapshot_id__in=list(self.recall_of))
            .values_list("snapshot_id", "lot_id", "lot__number")
            .annotate(units=Sum("on_hand") + Sum("in_transit"))
            .order_by()
        ):
            self.rows[self.recall_of[snapshot_id]][lot_id] = AccountingRow(
                lot=number, affected=int(affected or 0)
            )

    def count_positions_and_use(self) -> None:
        """Where the scope's units are now (by the kind of location and party), and what was
        reported used up after the snapshot."""
        snapshots = ", ".join(["%s"] * len(self.recall_of))
        with connection.cursor() as cursor:
            cursor.execute(
                _SCOPED_POSITIONS.format(snapshots=snapshots),
                [*self.recall_of, PartyType.SUPPLIER, TaskStatus.DONE],
            )
            for (
                snapshot_id,
                lot_id,
                location_type,
                party_type,
                on_hand,
                in_transit,
            ) in cursor.fetchall():
                counted = self.row(snapshot_id, lot_id)
                counted.in_transit += int(in_transit or 0)
                if party_type == PartyType.OWN_SITE:
                    if location_type == LocationType.QUARANTINE:
                        counted.in_quarantine += int(on_hand or 0)
                    else:
                        counted.own_stock += int(on_hand or 0)
                else:
                    counted.at_holders += int(on_hand or 0)
            cursor.execute(
                _SCOPED_USE.format(snapshots=snapshots),
                [*self.recall_of, False, "consumed", "destroyed", "transformed", TaskStatus.DONE],
            )
            for snapshot_id, lot_id, quantity in cursor.fetchall():
                self.row(snapshot_id, lot_id).used += int(quantity or 0)

    def count_dispositions(self) -> None:
        """Dispositioned: the quantities of dispositions done; a lot quantity back in our stock
        (repair, release, replace) is taken off own stock so it is not counted twice."""
        done = Disposition.objects.filter(recall_id__in=list(self.rows), status=TaskStatus.DONE)
        for recall_id, lot_id, kind, serial_id, quantity in (
            done.values_list("recall_id", "lot_id", "kind", "serial_id")
            .annotate(total=Sum("quantity"))
            .order_by()
        ):
            counted = self.rows[recall_id].setdefault(lot_id, AccountingRow(lot=str(lot_id)))
            counted.dispositioned += int(quantity)
            if serial_id is None and kind in (
                DispositionKind.REPAIR,
                DispositionKind.RELEASE,
                DispositionKind.REPLACE,
            ):
                counted.own_stock -= int(quantity)  # back in our stock, counted as dispositioned


def _recalls_for(viewer: Viewer) -> QuerySet[RecallCase]:
    if getattr(viewer, "party_id", None):
        return RecallCase.objects.none()
    return RecallCase.objects.all()


def recall_for(*, viewer: Viewer, pk: int) -> RecallCase:
    return _one_visible(_recalls_for(viewer), pk, _("Recall not found."))


def _not_found() -> str:
    return _("Not found.")


_Row = TypeVar("_Row", bound=models.Model)


def _one_visible(found: QuerySet[_Row], pk: int, missing: str = "") -> _Row:
    """The row ``pk`` among those the viewer may see (``found``); ``missing`` says what was not
    found (missing and not visible are never told apart)."""
    return one_or_not_found(found.filter(pk=pk), missing or _not_found())


_RETURN_LINES = Prefetch("lines", queryset=ReturnLine.objects.select_related("lot", "serial"))
_WORK_ORDER_UNITS = Prefetch(
    "units", queryset=WorkOrderUnit.objects.select_related("lot", "serial")
)


def return_list_for(
    *, viewer: Viewer, recall: RecallCase | None = None, status: str = ""
) -> QuerySet[ReturnAuthorisation]:
    returns = ReturnAuthorisation.objects.select_related(
        "recall", "party", "location", "carrier", "quarantine"
    ).prefetch_related(_RETURN_LINES)
    if party_id := getattr(viewer, "party_id", None):
        returns = returns.filter(party_id=party_id)  # a holder sees its own returns
    if recall is not None:
        returns = returns.filter(recall=recall)
    if status:
        returns = returns.filter(status=status)
    return returns


def return_get_for(*, viewer: Viewer, pk: int) -> ReturnAuthorisation:
    return _one_visible(return_list_for(viewer=viewer), pk, _("Return not found."))


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
    return [
        ReconciliationLine(
            line.pk,
            line.lot.number,
            line.serial.serial if line.serial else "",
            line.expected,
            line.received,
            line_outcome(line.expected, line.received),
        )
        for line in _lines(ra)
    ]


def _lines(ra: ReturnAuthorisation) -> Iterable[ReturnLine]:
    """The return's lines with lot and serial: prefetched by ``return_list_for``, else read now."""
    if "lines" in getattr(ra, "_prefetched_objects_cache", {}):
        return ra.lines.all()
    return ra.lines.select_related("lot", "serial")


def receipts_of(ra: ReturnAuthorisation) -> QuerySet[Receipt]:
    return ra.receipts.select_related("lot", "serial", "location", "received_by")


def quarantine_units(
    *, recall: RecallCase | None = None, ra: ReturnAuthorisation | None = None
) -> list[dict[str, Any]]:
    """Units still in quarantine and not under an open or done disposition: what waits for a decision.

    Per (lot, serial, location) from the positions of the recall's held lots."""
    held = Hold.objects.all()
    if recall is not None:
        held = held.filter(recall=recall)
    if ra is not None:
        held = held.filter(recall_id=ra.recall_id)
    positions = Position.objects.filter(
        lot_id__in=held.values("lot_id"),
        location__location_type=LocationType.QUARANTINE,
        location__party__party_type=PartyType.OWN_SITE,
        on_hand__gt=0,
    )
    if ra is not None:
        positions = positions.filter(
            Q(serial_id__in=ra.receipts.values("serial_id"))
            | Q(serial__isnull=True, lot_id__in=ra.receipts.values("lot_id"))
        )
    taken: dict[tuple[int, int | None, int], int] = defaultdict(int)
    for lot_id, serial_id, location_id, quantity in (
        Disposition.objects.exclude(status=TaskStatus.CANCELLED)
        .exclude(status=TaskStatus.DONE)
        .values_list("lot_id", "serial_id", "location_id")
        .annotate(q=Sum("quantity"))
    ):
        taken[(lot_id, serial_id, location_id)] += int(quantity)
    units = []
    for p in positions.select_related("lot", "serial", "location").order_by(
        "lot__number", "serial__serial"
    ):
        free = p.on_hand - taken[(p.lot_id, p.serial_id, p.location_id)]
        if free > 0:
            units.append(
                {"lot": p.lot, "serial": p.serial, "location": p.location, "quantity": free}
            )
    return units


def disposition_list_for(
    *, viewer: Viewer, recall: RecallCase | None = None
) -> QuerySet[Disposition]:
    found = Disposition.objects.select_related(
        "recall", "lot", "serial", "location", "target", "certificate"
    )
    if getattr(viewer, "party_id", None):
        return found.none()
    return found.filter(recall=recall) if recall is not None else found


def disposition_get_for(*, viewer: Viewer, pk: int) -> Disposition:
    return _one_visible(disposition_list_for(viewer=viewer), pk, _("Disposition not found."))


def work_order_list_for(*, viewer: Viewer, recall: RecallCase | None = None) -> QuerySet[WorkOrder]:
    orders = WorkOrder.objects.select_related(
        "recall", "party", "location", "provider"
    ).prefetch_related(_WORK_ORDER_UNITS)
    if party_id := getattr(viewer, "party_id", None):
        orders = orders.filter(provider__party_id=party_id)  # a service partner sees its own orders
    elif not viewer.has_perm("execution.view_workorder"):
        orders = orders.filter(provider__technician_id=viewer.pk)
    return orders.filter(recall=recall) if recall is not None else orders


def work_order_get_for(*, viewer: Viewer, pk: int) -> WorkOrder:
    return _one_visible(work_order_list_for(viewer=viewer), pk, _("Work order not found."))


def _kept_through(
    *,
    viewer: Viewer,
    permission: str,
    documents: QuerySet[_Row],
    parent: str,
    parents: Callable[..., QuerySet[Any]],
    pk: int,
) -> _Row:
    """A document kept for a record (a disposition's certificate, a work order's evidence):
    found only through the records the viewer may see (``parents``), and only with the
    document's own view permission; missing and forbidden answer the same "not found"."""
    if not viewer.has_perm(permission):
        raise NotFound(_not_found())
    visible = {f"{parent}__in": parents(viewer=viewer).values("pk")}
    return _one_visible(documents.select_related(parent).filter(**visible), pk)


def certificate_get_for(*, viewer: Viewer, pk: int) -> DestructionCertificate:
    """A destruction certificate through its disposition: whoever may see the disposition, with
    the certificate's view permission (portal users see no dispositions, so no certificates)."""
    return _kept_through(
        viewer=viewer,
        permission="execution.view_destructioncertificate",
        documents=DestructionCertificate.objects.all(),
        parent="disposition",
        parents=disposition_list_for,
        pk=pk,
    )


def evidence_get_for(*, viewer: Viewer, pk: int) -> Evidence:
    """Work-order evidence through its work order: whoever may see the order (a service partner's
    portal users their own party's orders), with the evidence view permission."""
    return _kept_through(
        viewer=viewer,
        permission="execution.view_evidence",
        documents=Evidence.objects.all(),
        parent="work_order",
        parents=work_order_list_for,
        pk=pk,
    )


def holds_of(recall: RecallCase) -> QuerySet[Hold]:
    return recall.holds.select_related("lot", "serial", "placed_by", "released_by")


def recalls_in_execution() -> QuerySet[RecallCase]:
    return (
        RecallCase.objects.filter(Q(status="in_execution") | Q(holds__isnull=False))
        .distinct()
        .order_by("-created_at")
    )


@dataclass(frozen=True)
class StoredDocument:
    """A kept file of execution (destruction certificate, work-order evidence) ready to stream."""

    file: FieldFile
    filename: str
    content_type: str


def _stored(file: FieldFile, filename: str, content_type: str, what: str) -> StoredDocument:
    if not file or not file.name or not file.storage.exists(file.name):
        raise NotFound(_("The file of %(document)s is missing from storage.") % {"document": what})
    return StoredDocument(file=file, filename=filename, content_type=content_type)


def certificate_document_for(*, viewer: Viewer, pk: int) -> StoredDocument:
    """The destruction certificate's PDF of a disposition the viewer may see (as issued, not re-rendered)."""
    certificate = one_or_not_found(
        DestructionCertificate.objects.filter(
            disposition__in=disposition_list_for(viewer=viewer).filter(pk=pk)
        ),
        _("Disposition has no destruction certificate (only a done destruction has one)."),
    )
    return _stored(
        certificate.pdf, f"{certificate.number}.pdf", "application/pdf", certificate.number
    )


def certificate_document_numbered(number: str) -> StoredDocument:
    """By disposition (DSP-…) or certificate (DC-…) number; for staff tools (the CLI)."""
    certificate = one_or_not_found(
        DestructionCertificate.objects.filter(Q(number=number) | Q(disposition__number=number)),
        _("No destruction certificate %(number)s.") % {"number": number},
    )
    return _stored(
        certificate.pdf, f"{certificate.number}.pdf", "application/pdf", certificate.number
    )


def evidence_of(order: WorkOrder) -> QuerySet[Evidence]:
    return order.evidence.select_related("unit__lot", "unit__serial", "uploaded_by")


def evidence_document_for(*, viewer: Viewer, order_pk: int, pk: int) -> StoredDocument:
    """One evidence file of a work order the viewer may see."""
    return evidence_document(order=work_order_get_for(viewer=viewer, pk=order_pk), pk=pk)


def evidence_document(*, order: WorkOrder, pk: int) -> StoredDocument:
    evidence = _one_visible(evidence_of(order), pk)
    return _stored(
        evidence.file, evidence.original_name, evidence.content_type, evidence.original_name
    )


# --- Look-ups by natural key within a recall: the lot numbers, serials and RA numbers a user
# types in the API, on a page or in a command. Each refuses with ``NotFound`` naming the key.


def units_in_recall(
    *, recall: RecallCase, units: Sequence[tuple[str, str]], where: str = "lot"
) -> list[tuple[Lot, Serial | None]]:
    """Each ``(lot number, serial or "")`` as a lot of one of the recall's device models and, if
    given, its serial in that lot: two queries for any number of units. Where two of the
    recall's models have a lot of the same number, the first by model code is meant (as the
    lot lists show them)."""
    numbers = {lot for lot, _serial in units}
    lots: dict[str, Lot] = {}
    for lot in Lot.objects.filter(number__in=numbers, device_model__in=recall.products.all()):
        lots.setdefault(lot.number, lot)
    wanted = {(lots[lot].pk, serial) for lot, serial in units if serial and lot in lots}
    serials = {
        (unit.lot_id, unit.serial): unit
        for unit in Serial.objects.filter(
            lot_id__in={lot_id for lot_id, _serial in wanted},
            serial__in={serial for _lot_id, serial in wanted},
        )
    }
    found: list[tuple[Lot, Serial | None]] = []
    for number, serial in units:
        chosen = lots.get(number)
        if chosen is None:
            raise NotFound(
                _("No lot %(lot)s of this recall's device models.") % {"lot": number},
                where=where,
            )
        unit = serials.get((chosen.pk, serial)) if serial else None
        if serial and unit is None:
            raise NotFound(
                _("Lot %(lot)s has no serial %(serial)s.") % {"lot": number, "serial": serial},
                where=where,
            )
        found.append((chosen, unit))
    return found


def unit_in_recall(
    *, recall: RecallCase, lot: str, serial: str = "", where: str = "lot"
) -> tuple[Lot, Serial | None]:
    """One lot (and serial) of the recall's device models, as ``units_in_recall`` finds it."""
    return units_in_recall(recall=recall, units=[(lot, serial)], where=where)[0]


def held_unit(
    *, recall: RecallCase, lot: str = "", serial: str = ""
) -> tuple[int | None, int | None]:
    """The ids of the lot and serial of the recall's holds named by number (``None`` for one not
    named): what ``hold_release`` takes to release part of the holds."""
    holds = recall.holds.all()
    lot_id = holds.filter(lot__number=lot).values_list("lot_id", flat=True).first() if lot else None
    if lot and lot_id is None:
        raise NotFound(_("No hold of this recall is on lot %(lot)s.") % {"lot": lot}, where="lot")
    serial_id = (
        holds.filter(serial__serial=serial).values_list("serial_id", flat=True).first()
        if serial
        else None
    )
    if serial and serial_id is None:
        raise NotFound(
            _("No hold of this recall is on serial %(serial)s.") % {"serial": serial},
            where="serial",
        )
    return lot_id, serial_id


def return_numbered_for(*, viewer: Viewer, number: str) -> ReturnAuthorisation:
    """The return authorisation with this RA number (any case), as the viewer may see it."""
    ra = return_list_for(viewer=viewer).filter(number__iexact=number).first() if number else None
    if ra is None:
        raise NotFound(_("No return %(number)s.") % {"number": number}, where="number")
    return ra


def work_order_unit(*, order: WorkOrder, pk: int) -> WorkOrderUnit:
    """One unit (or lot quantity) of a work order, by its id."""
    unit = (
        WorkOrderUnit.objects.filter(work_order=order, pk=pk)
        .select_related("lot", "serial")
        .first()
    )
    if unit is None:
        raise NotFound(
            _("Work order %(order)s has no unit %(unit)s.") % {"order": order.number, "unit": pk},
            where="unit",
        )
    return unit


def disposition_numbered(*, number: str) -> Disposition:
    """The disposition with this number (``DSP-…``), for staff tools (the command line)."""
    found = Disposition.objects.filter(number=number).first() if number else None
    if found is None:
        raise NotFound(
            _("There is no disposition %(number)s.") % {"number": number}, where="number"
        )
    return found


def work_order_numbered(*, number: str) -> WorkOrder:
    """The work order with this number (``WO-…``), for staff tools (the command line)."""
    found = WorkOrder.objects.filter(number=number).first() if number else None
    if found is None:
        raise NotFound(_("There is no work order %(number)s.") % {"number": number}, where="number")
    return found


def carrier_coded(*, code: str, where: str = "carrier") -> Carrier:
    """The carrier with this code (exact, as its rates name it)."""
    found = Carrier.objects.filter(code=code).first() if code else None
    if found is None:
        raise NotFound(_("There is no carrier with code %(code)s.") % {"code": code}, where=where)
    return found


def return_lines(ra: ReturnAuthorisation) -> list[dict[str, Any]]:
    """A return's reconciliation lines as the API and the command line show them."""
    return [
        {
            "lot": line.lot,
            "serial": line.serial,
            "expected": line.expected,
            "received": line.received,
            "outcome": line.outcome,
        }
        for line in return_reconciliation(ra)
    ]
