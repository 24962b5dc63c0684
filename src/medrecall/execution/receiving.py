"""Scan-to-receive (X2): each scan or lot entry is reconciled against the return
authorisation and, if it fits, posted as a ``returned`` event into quarantine.

Outcomes of a scan that is taken: ``matched`` (the line is now complete), ``short`` (more
to come) or ``over`` (more than the return expects: the units are here, so they are received
into quarantine and the line is flagged for the holder's records to be checked). Refused,
changing nothing: ``unparseable``, ``wrong_item`` (another product, not in scope, or not on
this return), ``unknown_serial``, ``serial_required``, ``already_received`` (the same serial
twice), ``not_receiving`` (return cancelled), ``not_quarantine``, ``bad_quantity``,
``not_at_holder`` (our records put fewer units at the holder, on hand or on their way there).
Units still recorded as on their way to the holder are first received there (closing their
shipment), so no stock goes negative. When every line has all it expects, the return becomes
``received`` by itself (its status follows from its lines); units that arrive later are still
taken. The RA row is locked for the whole receipt, so two warehouse users receiving the same
return take turns; a unique constraint on (recall, serial) backs it up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Case, F, Max, Min, Q, Sum, When
from django.utils import timezone
from django.utils.translation import gettext as _

from medrecall.accounts.models import User
from medrecall.audit import services as audit
from medrecall.catalog.models import DeviceModel, Lot, Serial
from medrecall.core.gtin import gtin_problem, normalise_gtin
from medrecall.parties.models import Location
from medrecall.recalls.lifecycle import Action, action_blockers
from medrecall.traceability.models import EventType, Position, TraceEvent
from medrecall.traceability.services import NewEvent, events_record
from medrecall.traceability.udi import parse_udi

from .common import is_quarantine
from .errors import ReceiptRefused
from .lifecycle import ReturnAction, ReturnStatus, record_action_blockers
from .models import Receipt, ReturnAuthorisation, ReturnLine
from .returns import record_status_change


@dataclass(frozen=True)
class ReceiptResult:
    outcome: str
    message: str
    receipt: Receipt
    expected: int
    received: int


def _refuse(code: str, message: str) -> ReceiptRefused:
    return ReceiptRefused(message, code=code, where="barcode")


def _identify(
    ra: ReturnAuthorisation, *, barcode: str, gtin: str, lot: str, serial: str
) -> tuple[DeviceModel, Lot, Serial | None]:
    if barcode.strip():
        parsed = parse_udi(barcode.strip())
        if not parsed.valid:
            raise _refuse(
                "unparseable",
                _("The barcode could not be read: %(error)s") % {"error": parsed.error},
            )
        if not parsed.gtin:
            raise _refuse(
                "unparseable",
                _(
                    "The barcode carries no device identifier (GTIN); scan the label's "
                    "primary barcode."
                ),
            )
        gtin, lot, serial = parsed.gtin, parsed.lot or lot, parsed.serial or serial
    if not gtin.strip():
        raise _refuse("unparseable", _("Scan a barcode or give the GTIN."))
    if gtin_problem(gtin):
        model = DeviceModel.objects.filter(udi_di=gtin.strip()).first()  # HIBC UDI-DI
    else:
        model = DeviceModel.objects.filter(udi_di=normalise_gtin(gtin)).first()
    if model is None:
        raise _refuse("wrong_item", _("%(gtin)s is not one of our device models.") % {"gtin": gtin})
    if not ra.recall.products.filter(pk=model.pk).exists():
        raise _refuse(
            "wrong_item",
            _("%(model)s is not a product of recall %(recall)s.")
            % {"model": model.model_code, "recall": ra.recall.number},
        )
    if model.is_serial_tracked:
        if not serial:
            raise _refuse(
                "serial_required",
                _("%(model)s is tracked by serial number: scan the serial.")
                % {"model": model.model_code},
            )
        unit = (
            Serial.objects.select_related("lot").filter(device_model=model, serial=serial).first()
        )
        if unit is None:
            raise _refuse(
                "unknown_serial",
                _("Serial %(serial)s of %(model)s is not known to us.")
                % {"serial": serial, "model": model.model_code},
            )
        if lot and unit.lot.number != lot:
            raise _refuse(
                "wrong_item",
                _("Serial %(serial)s is recorded in lot %(lot)s, the label says %(label)s.")
                % {"serial": serial, "lot": unit.lot.number, "label": lot},
            )
        return model, unit.lot, unit
    if not lot:
        raise _refuse("unparseable", _("Give the lot number."))
    found = Lot.objects.filter(device_model=model, number=lot).first()
    if found is None:
        raise _refuse(
            "wrong_item",
            _("Lot %(lot)s of %(model)s is not known to us.")
            % {"lot": lot, "model": model.model_code},
        )
    return model, found, None


def return_receive(
    *,
    ra: ReturnAuthorisation,
    actor: User,
    barcode: str = "",
    gtin: str = "",
    lot: str = "",
    serial: str = "",
    quantity: int = 1,
    location: Location | None = None,
    request_id: str = "",
) -> ReceiptResult:
    """Receive one scan (or lot and quantity) against a return; refuse with the reconciliation outcome."""
    try:
        with transaction.atomic():
            return _receive(
                ra=ra,
                actor=actor,
                barcode=barcode,
                gtin=gtin,
                lot=lot,
                serial=serial,
                quantity=quantity,
                location=location,
                request_id=request_id,
            )
    except IntegrityError as clash:  # the other user's receipt of the same serial committed first
        raise _refuse(
            "already_received", _("This serial was received by someone else a moment ago.")
        ) from clash


def _receive(
    *,
    ra: ReturnAuthorisation,
    actor: User,
    barcode: str,
    gtin: str,
    lot: str,
    serial: str,
    quantity: int,
    location: Location | None,
    request_id: str,
) -> ReceiptResult:
    ra = _lock_return_for_receipt(ra)
    location = _quarantine_to_receive_in(ra, location, quantity)
    _model, found_lot, unit = _identify(ra, barcode=barcode, gtin=gtin, lot=lot, serial=serial)
    if unit is not None:
        quantity = 1
    event_id = f"RCV-{ra.number}-" + (
        f"S{unit.pk}"
        if unit
        else (f"R{request_id}" if request_id else f"N{ra.receipts.count() + 1}")
    )
    if not unit and request_id and (earlier := Receipt.objects.filter(event_id=event_id).first()):
        line = earlier.line  # a retried request: the receipt it made stands, nothing is added
        return ReceiptResult(
            _outcome(line), _("Already recorded."), earlier, line.expected, line.received
        )
    line = _expected_line(ra, found_lot, unit)
    receipt = Receipt.objects.create(
        recall=ra.recall,
        ra=ra,
        line=line,
        lot=found_lot,
        serial=unit,
        quantity=quantity,
        location=location,
        event_id=event_id,
        scanned=barcode[:200],
        received_by=actor,
    )
    ReturnLine.objects.filter(pk=line.pk).update(received=F("received") + quantity)
    line.refresh_from_db()
    arrivals = _close_open_shipments(ra, found_lot, unit, quantity, event_id, actor)
    events_record(
        events=[
            *arrivals,
            NewEvent(
                event_id=event_id,
                event_type=EventType.RETURNED,
                event_time=timezone.now(),
                lot_id=found_lot.pk,
                serial_id=unit.pk if unit else None,
                quantity=quantity,
                from_location_id=ra.location_id,
                to_location_id=location.pk,
                document_ref=ra.number,
            ),
        ]
    )
    outcome = _outcome(line)
    audit.record(
        actor=actor,
        action="execution.return_received",
        target=ra,
        changes={
            "lot": [None, found_lot.number],
            "serial": [None, unit.serial if unit else None],
            "quantity": [None, quantity],
            "location": [None, location.code],
            "outcome": [None, outcome],
        },
    )
    message = _receipt_message(outcome, line, found_lot, unit)
    _close_when_complete(ra, actor)
    return ReceiptResult(outcome, message, receipt, line.expected, line.received)


def _lock_return_for_receipt(ra: ReturnAuthorisation) -> ReturnAuthorisation:
    """The return, locked for the whole receipt, refused (``not_receiving``) unless both the
    recall's status and the return's allow receiving."""
    ra = (
        ReturnAuthorisation.objects.select_for_update(of=("self",))
        .select_related("recall", "location")
        .get(pk=ra.pk)
    )
    if problems := action_blockers(
        ra.recall, Action.HANDLE_RETURN, fresh=True
    ) or record_action_blockers(ra, ReturnAction.RECEIVE):
        raise ReceiptRefused(problems[0], code="not_receiving", where="status", details=problems)
    return ra


def _quarantine_to_receive_in(
    ra: ReturnAuthorisation, location: Location | None, quantity: int
) -> Location:
    """The location named, else the return's quarantine; refused unless it is a quarantine
    location and the quantity is at least one."""
    location = location or ra.quarantine
    if not is_quarantine(location):
        raise _refuse(
            "not_quarantine",
            _("Returned units land only in a quarantine location; %(location)s is not one.")
            % {"location": location.code},
        )
    if quantity < 1:
        raise _refuse("bad_quantity", _("The quantity must be at least 1."))
    return location


def _expected_line(ra: ReturnAuthorisation, lot: Lot, unit: Serial | None) -> ReturnLine:
    """The return's line for the identified units, locked; refused (``wrong_item``) outside the
    recall's scope or not on this return, and (``already_received``) for a serial received before."""
    snapshot = ra.recall.current_snapshot
    in_scope = (
        snapshot is not None
        and snapshot.lines.filter(lot=lot).filter(serial=unit if unit else None).exists()
    )
    if not in_scope:
        raise _refuse(
            "wrong_item",
            _(
                "%(unit)s is not in the scope of recall %(recall)s: keep it apart and do not "
                "book it as a recall return."
            )
            % {"unit": _unit_label(lot, unit), "recall": ra.recall.number},
        )
    line = ra.lines.select_for_update(of=("self",)).filter(lot=lot, serial=unit).first()
    if line is None:
        raise _refuse(
            "wrong_item",
            _("%(unit)s is in the recall's scope but not expected on return %(ra)s.")
            % {"unit": _unit_label(lot, unit), "ra": ra.number},
        )
    if unit and (
        earlier := Receipt.objects.filter(recall=ra.recall, serial=unit)
        .select_related("ra")
        .first()
    ):
        raise _refuse(
            "already_received",
            _("Serial %(serial)s was already received on %(ra)s at %(at)s.")
            % {
                "serial": unit.serial,
                "ra": earlier.ra.number,
                "at": timezone.localtime(earlier.received_at).strftime("%Y-%m-%d %H:%M"),
            },
        )
    return line


def _receipt_message(outcome: str, line: ReturnLine, lot: Lot, unit: Serial | None) -> str:
    """What the warehouse user is told: how much of the line is in, and what is missing or over."""
    messages = {
        "matched": _("%(unit)s received: %(received)s of %(expected)s — line complete."),
        "short": _("%(unit)s received: %(received)s of %(expected)s — %(missing)s still to come."),
        "over": _(
            "%(unit)s received: %(received)s of %(expected)s — %(over)s more than expected. Keep them in "
            "quarantine and check the holder's records."
        ),
    }
    return messages[outcome] % {
        "unit": _unit_label(lot, unit),
        "received": line.received,
        "expected": line.expected,
        "missing": line.expected - line.received,
        "over": line.received - line.expected,
    }


def _close_open_shipments(
    ra: ReturnAuthorisation,
    lot: Lot,
    unit: Serial | None,
    quantity: int,
    event_id: str,
    actor: User,
) -> list[NewEvent]:
    """Units coming back that our records still show on their way to the holder: the holder
    had them (they are in our hands now), so their receipt there is recorded first, closing
    the open shipment oldest first. Without it the ``returned`` event would take them from
    the holder's stock, leaving it negative while the shipment stayed "in transit". Units
    the records put neither there nor on their way there are refused: record their history
    (a correction event) first."""
    short = _short_at_holder(ra, lot, unit, quantity)
    if short <= 0:
        return []
    now, arrivals = timezone.now(), []
    for number, shipment in enumerate(_open_shipments(ra, lot, unit), start=1):
        take = min(short, int(shipment["owed"]))
        arrivals.append(
            NewEvent(
                event_id=f"{event_id}-H{number}",
                event_type=EventType.RECEIVED,
                event_time=now,
                lot_id=lot.pk,
                serial_id=unit.pk if unit else None,
                quantity=take,
                from_location_id=shipment["sender"],
                to_location_id=ra.location_id,
                document_ref=shipment["document_ref"],
            )
        )
        short -= take
        if short == 0:
            break
    audit.record(
        actor=actor,
        action="execution.shipment_closed_on_return",
        target=ra,
        changes={
            "lot": [None, lot.number],
            "serial": [None, unit.serial if unit else None],
            "received_at_holder": [None, {e.document_ref: e.quantity for e in arrivals}],
        },
        reason=_("Units returned by %(location)s were still recorded as on their way there.")
        % {"location": ra.location.code},
    )
    return arrivals


def _short_at_holder(ra: ReturnAuthorisation, lot: Lot, unit: Serial | None, quantity: int) -> int:
    """How many of the arriving units the holder's stock on hand does not cover (zero or less:
    all of them); refused (``not_at_holder``) when what is on its way there does not cover the rest."""
    held = Position.objects.filter(lot=lot, serial=unit, location_id=ra.location_id).aggregate(
        on_hand=Sum("on_hand"), in_transit=Sum("in_transit")
    )
    on_hand, in_transit = max(int(held["on_hand"] or 0), 0), int(held["in_transit"] or 0)
    short = quantity - on_hand
    if short > 0 and short > in_transit:
        raise _refuse(
            "not_at_holder",
            _(
                "%(unit)s: our records put %(recorded)s unit(s) at %(location)s (on hand or on their way there), "
                "%(quantity)s arriving now. Record how the other units got there (a correction event) before "
                "receiving them."
            )
            % {
                "unit": _unit_label(lot, unit),
                "recorded": on_hand + in_transit,
                "location": ra.location.code,
                "quantity": quantity,
            },
        )
    return short


def _open_shipments(
    ra: ReturnAuthorisation, lot: Lot, unit: Serial | None
) -> Iterable[Mapping[str, Any]]:
    """Shipments to the holder's location still owed (shipped less received or returned), per
    business document, oldest first, with the location they came from."""
    signed = Case(When(event_type=EventType.SHIPPED, then=F("quantity")), default=-F("quantity"))
    return (
        TraceEvent.objects.filter(
            lot=lot,
            serial=unit,
            to_location_id=ra.location_id,
            retracted=False,
            event_type__in=(EventType.SHIPPED, EventType.RECEIVED, EventType.RETURNED),
        )
        .values("document_ref")
        .annotate(
            owed=Sum(signed),
            first=Min("event_time"),
            sender=Max("from_location_id", filter=Q(event_type=EventType.SHIPPED)),
        )
        .filter(owed__gt=0)
        .order_by("first", "document_ref")
    )


def _outcome(line: ReturnLine) -> str:
    if line.received > line.expected:
        return "over"
    return "matched" if line.received == line.expected else "short"


def _close_when_complete(ra: ReturnAuthorisation, actor: User) -> None:
    """A return whose every line has all it expects is received: its status follows from its lines
    (under the RA's row lock, in the receipt's transaction, audited like a status change)."""
    if ra.status in (ReturnStatus.RECEIVED, ReturnStatus.CANCELLED):
        return
    if ra.lines.filter(received__lt=F("expected")).exists() or not ra.lines.exists():
        return
    record_status_change(ra, ReturnStatus.RECEIVED, actor=actor, reason=_("Every line received."))


def _unit_label(lot: Lot, unit: Serial | None) -> str:
    if unit:
        return _("Serial %(serial)s (lot %(lot)s)") % {"serial": unit.serial, "lot": lot.number}
    return _("Lot %(lot)s") % {"lot": lot.number}
