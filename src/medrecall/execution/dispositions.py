"""Dispositions (X3): what happens to a quarantined unit or lot quantity, each a task to done.

Physical effect when done (events carry the disposition number as business document, which
is what lets them out of quarantine past the custody guard):

* destroy — ``destroyed`` from quarantine, with a destruction certificate (who, where, when,
  method, witnesses) and its PDF;
* return to supplier — ``shipped`` from quarantine to the supplier's location;
* repair / rework and release after inspection — ``shipped`` + ``received`` into one of our
  own stock locations; a serial's hold is released (a lot's hold stays until staff release
  it: released quantities cannot be told apart from held ones). Release needs a reason and an
  electronic signature (password re-entered);
* replace — a replacement unit is ``shipped`` from our stock to the holder (traced like any
  shipment), and the recalled unit leaves quarantine into our stock, still on hold.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from medrecall.accounts.models import User
from medrecall.accounts.signatures import signature_apply
from medrecall.audit import services as audit
from medrecall.catalog.models import Lot, Serial
from medrecall.core.numbering import next_number
from medrecall.parties.models import Location, PartyType
from medrecall.recalls.lifecycle import Action, require_action
from medrecall.recalls.models import RecallCase
from medrecall.traceability.models import EventType, Position
from medrecall.traceability.services import NewEvent, events_record

from . import hooks
from .common import is_ours, is_quarantine
from .errors import DispositionRefused
from .lifecycle import (
    TASK_TRANSITIONS,
    DispositionAction,
    DispositionKind,
    TaskStatus,
    record_require,
)
from .models import DestructionCertificate, Disposition, Hold

OPEN = (TaskStatus.OPEN, TaskStatus.IN_PROGRESS)
BACK_TO_STOCK = (DispositionKind.REPAIR, DispositionKind.RELEASE, DispositionKind.REPLACE)


def available_in_quarantine(*, lot: Lot, serial: Serial | None, location: Location) -> int:
    """Units of the lot (serial) on hand at the quarantine location and not yet under an open disposition."""
    positions = Position.objects.filter(lot=lot, location=location)
    if serial is not None:
        positions = positions.filter(serial=serial)
    on_hand = positions.aggregate(total=Sum("on_hand"))["total"] or 0
    pending = Disposition.objects.filter(lot=lot, location=location, status__in=OPEN)
    if serial is not None:
        pending = pending.filter(serial=serial)
    return int(on_hand) - int(pending.aggregate(total=Sum("quantity"))["total"] or 0)


def _checked_request(
    *, recall: RecallCase, kind: str, lot: Lot, serial: Serial | None, quantity: int
) -> int:
    """The quantity a disposition takes (one for a serial); refused unless the recall's status
    allows dispositions, the kind is known and the lot is held for this recall."""
    require_action(recall, Action.DISPOSITION)
    if kind not in DispositionKind.values:
        raise DispositionRefused(_("Choose a disposition."), where="kind")
    if serial is not None:
        quantity = 1
    if quantity < 1:
        raise DispositionRefused(_("The quantity must be at least 1."), where="quantity")
    if not Hold.objects.filter(recall=recall, lot=lot).exists():
        raise DispositionRefused(
            _("Lot %(lot)s is not affected by recall %(recall)s.")
            % {"lot": lot.number, "recall": recall.number},
            where="lot",
        )
    return quantity


def _check_free_in_quarantine(
    *, lot: Lot, serial: Serial | None, location: Location, quantity: int
) -> None:
    """Refuse unless the location is a quarantine and holds the units, not yet under another
    open disposition (the lot's positions there are locked: one decision at a time)."""
    if not is_quarantine(location):
        raise DispositionRefused(
            _(
                "%(location)s is not a quarantine location: only quarantined units are "
                "dispositioned."
            )
            % {"location": location.code},
            where="location",
        )
    Position.objects.select_for_update(of=("self",)).filter(
        lot=lot, location=location
    ).exists()  # serialise per lot and place
    available = available_in_quarantine(lot=lot, serial=serial, location=location)
    if available < quantity:
        unit = (
            _("serial %(serial)s") % {"serial": serial.serial}
            if serial
            else _("lot %(lot)s") % {"lot": lot.number}
        )
        raise DispositionRefused(
            _(
                "Not in quarantine: %(unit)s has %(available)s unit(s) at %(location)s free for a "
                "disposition, %(quantity)s asked."
            )
            % {
                "unit": unit,
                "available": max(available, 0),
                "location": location.code,
                "quantity": quantity,
            },
            where="quantity",
        )


def _destination(*, kind: str, location: Location, target: Location | None) -> Location | None:
    """Where the units go: the supplier's location (return to supplier) or one of our stock
    locations, by default the quarantine site's first warehouse (repair, release, replace)."""
    if kind == DispositionKind.RETURN_TO_SUPPLIER:
        if target is None or target.party.party_type != PartyType.SUPPLIER:
            raise DispositionRefused(
                _("Choose the supplier's location to return to."), where="target"
            )
    elif kind in BACK_TO_STOCK:
        target = (
            target
            or Location.objects.filter(party=location.party, location_type="warehouse")
            .order_by("code")
            .first()
        )
        if target is None or not is_ours(target) or is_quarantine(target):
            raise DispositionRefused(
                _("Choose one of our stock locations for the unit to go to."), where="target"
            )
    return target


def _check_replacement(
    lot: Lot | None, serial: Serial | None, source: Location | None, to: Location | None
) -> None:
    """A replacement names its lot (and serial, if serial-tracked), where it ships from and to."""
    if lot is None or source is None or to is None:
        raise DispositionRefused(
            _("A replacement needs the replacement lot (and serial), where it ships from and to."),
            where="replacement_lot",
        )
    if lot.device_model.is_serial_tracked and serial is None:
        raise DispositionRefused(
            _("Give the replacement unit's serial number."), where="replacement_serial"
        )


@transaction.atomic
def disposition_create(
    *,
    recall: RecallCase,
    kind: str,
    lot: Lot,
    actor: User,
    location: Location,
    serial: Serial | None = None,
    quantity: int = 1,
    reason: str = "",
    target: Location | None = None,
    replacement_lot: Lot | None = None,
    replacement_serial: Serial | None = None,
    replacement_from: Location | None = None,
    replacement_to: Location | None = None,
    assigned_to: User | None = None,
) -> Disposition:
    """Decide what happens to a quarantined unit or lot quantity; refused unless it is in quarantine."""
    quantity = _checked_request(recall=recall, kind=kind, lot=lot, serial=serial, quantity=quantity)
    _check_free_in_quarantine(lot=lot, serial=serial, location=location, quantity=quantity)
    target = _destination(kind=kind, location=location, target=target)
    if kind == DispositionKind.REPLACE:
        _check_replacement(replacement_lot, replacement_serial, replacement_from, replacement_to)
    disposition = Disposition.objects.create(
        number=next_number(Disposition, "DSP"),
        recall=recall,
        kind=kind,
        lot=lot,
        serial=serial,
        quantity=quantity,
        location=location,
        target=target,
        reason=reason,
        replacement_lot=replacement_lot,
        replacement_serial=replacement_serial,
        replacement_from=replacement_from,
        replacement_to=replacement_to,
        assigned_to=assigned_to,
        created_by=actor,
    )
    audit.record(
        actor=actor,
        action="execution.disposition_created",
        target=disposition,
        reason=reason,
        changes={
            "kind": [None, kind],
            "lot": [None, lot.number],
            "serial": [None, serial.serial if serial else None],
            "quantity": [None, quantity],
            "location": [None, location.code],
        },
    )
    return disposition


def _lock_for_action(
    disposition: Disposition, action: DispositionAction, target: str, *related: str
) -> Disposition:
    """The disposition, locked (with the ``related`` rows it needs); refused unless the recall's
    status allows dispositions, its own status allows ``action`` and it may move to ``target``."""
    found = Disposition.objects.select_for_update(of=("self",))
    if related:
        found = found.select_related(*related)
    d = found.get(pk=disposition.pk)
    require_action(d.recall, Action.DISPOSITION)
    record_require(d, action)
    if target not in TASK_TRANSITIONS[d.status]:
        raise DispositionRefused(
            _("Disposition %(number)s is %(status)s.")
            % {"number": d.number, "status": d.get_status_display()}
        )
    return d


@transaction.atomic
def disposition_start(*, disposition: Disposition, actor: User) -> Disposition:
    disposition = _lock_for_action(disposition, DispositionAction.START, TaskStatus.IN_PROGRESS)
    disposition.status = TaskStatus.IN_PROGRESS
    disposition.assigned_to = disposition.assigned_to or actor
    disposition.save(update_fields=["status", "assigned_to"])
    audit.record(
        actor=actor,
        action="execution.disposition_started",
        target=disposition,
        changes={"status": [TaskStatus.OPEN, TaskStatus.IN_PROGRESS]},
    )
    return disposition


@transaction.atomic
def disposition_cancel(*, disposition: Disposition, actor: User, reason: str) -> Disposition:
    disposition = _lock_for_action(disposition, DispositionAction.CANCEL, TaskStatus.CANCELLED)
    if not reason.strip():
        raise DispositionRefused(_("Say why the disposition is cancelled."), where="reason")
    source, disposition.status = disposition.status, TaskStatus.CANCELLED
    disposition.save(update_fields=["status"])
    audit.record(
        actor=actor,
        action="execution.disposition_cancelled",
        target=disposition,
        reason=reason,
        changes={"status": [source, TaskStatus.CANCELLED]},
    )
    return disposition


def _move(
    d: Disposition,
    suffix: str,
    event_type: str,
    lot: Lot,
    serial: Serial | None,
    quantity: int,
    source: Location | None,
    to: Location | None,
    at: datetime,
) -> NewEvent:
    return NewEvent(
        event_id=f"{d.number}-{suffix}",
        event_type=event_type,
        event_time=at,
        lot_id=lot.pk,
        serial_id=serial.pk if serial else None,
        quantity=quantity,
        from_location_id=source.pk if source else None,
        to_location_id=to.pk if to else None,
        document_ref=d.number,
    )


@transaction.atomic
def disposition_complete(
    *,
    disposition: Disposition,
    actor: User,
    outcome: str = "",
    destroyed_at: datetime | None = None,
    place: str = "",
    method: str = "",
    performed_by: str = "",
    witnesses: list[str] | None = None,
    password: str = "",
    username: str | None = None,
    session: Any = None,
) -> Disposition:
    """Carry out the disposition: post its events, the certificate or signature it needs, and mark it done."""
    d = _lock_for_action(
        disposition,
        DispositionAction.COMPLETE,
        TaskStatus.DONE,
        "lot",
        "serial",
        "location",
        "target",
    )
    now = timezone.now()
    witnesses = _checked_completion(
        d,
        outcome=outcome,
        place=place,
        method=method,
        performed_by=performed_by,
        witnesses=witnesses,
    )
    events = _movements(d, now)
    events_record(events=events)  # the custody guards still apply (a held replacement is refused)
    if d.kind == DispositionKind.RELEASE:
        d.signature = signature_apply(
            actor=actor,
            target=d,
            content=_signed_content(d, outcome),
            meaning="approved",
            password=password,
            username=username,
            session=session,
            reason=outcome,
        )
    if d.kind in (DispositionKind.RELEASE, DispositionKind.REPAIR) and d.serial is not None:
        _release_serial_hold(d, actor, now)
    source, d.status, d.outcome, d.done_at, d.done_by = (
        d.status,
        TaskStatus.DONE,
        outcome,
        now,
        actor,
    )
    d.save(update_fields=["status", "outcome", "done_at", "done_by", "signature"])
    changes: dict[str, Any] = {
        "status": [source, TaskStatus.DONE],
        "events": [None, [e.event_id for e in events]],
    }
    if d.kind == DispositionKind.DESTROY:
        certificate = _certificate_issue(
            d,
            actor=actor,
            destroyed_at=destroyed_at or now,
            place=place,
            method=method,
            performed_by=performed_by,
            witnesses=witnesses,
        )
        changes["certificate"] = [None, certificate.number]
    audit.record(
        actor=actor, action="execution.disposition_done", target=d, reason=outcome, changes=changes
    )
    hooks.happened(hooks.DISPOSITION_DONE, d.pk)
    return d


def _checked_completion(
    d: Disposition,
    *,
    outcome: str,
    place: str,
    method: str,
    performed_by: str,
    witnesses: list[str] | None,
) -> list[str]:
    """The witnesses named (blank names dropped); refused unless a destruction has its
    certificate's facts, and a repair, release or replacement its outcome."""
    witnesses = [w.strip() for w in (witnesses or []) if w.strip()]
    if d.kind == DispositionKind.DESTROY:
        if not (method.strip() and place.strip() and performed_by.strip() and witnesses):
            raise DispositionRefused(
                _(
                    "A destruction certificate needs the method, the place, who destroyed the "
                    "units and at least one witness."
                ),
                where="method",
            )
    elif d.kind != DispositionKind.RETURN_TO_SUPPLIER and not outcome.strip():
        raise DispositionRefused(
            _("Record the outcome (inspection or repair result, reason for release)."),
            where="outcome",
        )
    return witnesses


def _movements(d: Disposition, now: datetime) -> list[NewEvent]:
    """The events that carry the disposition out, its number as their business document:
    destroyed in quarantine; shipped to the supplier; or (repair, release, replace) shipped and
    received into our stock, after a replacement shipped to the holder."""
    if d.kind == DispositionKind.DESTROY:
        return [
            _move(d, "D", EventType.DESTROYED, d.lot, d.serial, d.quantity, d.location, None, now)
        ]
    if d.kind == DispositionKind.RETURN_TO_SUPPLIER:
        return [
            _move(d, "S", EventType.SHIPPED, d.lot, d.serial, d.quantity, d.location, d.target, now)
        ]
    events: list[NewEvent] = []
    if d.kind == DispositionKind.REPLACE:
        assert d.replacement_lot is not None  # noqa: S101 - enforced at creation
        events.append(
            _move(
                d,
                "R",
                EventType.SHIPPED,
                d.replacement_lot,
                d.replacement_serial,
                d.quantity,
                d.replacement_from,
                d.replacement_to,
                now,
            )
        )
    return [
        *events,
        _move(d, "O", EventType.SHIPPED, d.lot, d.serial, d.quantity, d.location, d.target, now),
        _move(d, "I", EventType.RECEIVED, d.lot, d.serial, d.quantity, d.location, d.target, now),
    ]


def _release_serial_hold(d: Disposition, actor: User, now: datetime) -> None:
    """A repaired or released serial is free again (a lot's hold stays until staff release it)."""
    Hold.objects.filter(
        recall=d.recall, lot=d.lot, serial=d.serial, released_at__isnull=True
    ).update(
        released_at=now,
        released_by=actor,
        release_reason=_("Disposition %(number)s") % {"number": d.number},
    )


def _certificate_issue(
    d: Disposition,
    *,
    actor: User,
    destroyed_at: datetime,
    place: str,
    method: str,
    performed_by: str,
    witnesses: list[str],
) -> DestructionCertificate:
    """The destruction certificate (DC-… beside DSP-…) and its PDF, kept as issued."""
    certificate = DestructionCertificate.objects.create(
        disposition=d,
        number=d.number.replace("DSP", "DC", 1),
        destroyed_at=destroyed_at,
        place=place.strip(),
        method=method.strip(),
        performed_by=performed_by.strip(),
        witnesses=witnesses,
        created_by=actor,
    )
    from .documents import certificate_pdf

    certificate.pdf.save(
        f"{certificate.number}.pdf", ContentFile(certificate_pdf(certificate)), save=True
    )
    return certificate


def _signed_content(d: Disposition, outcome: str) -> dict[str, Any]:
    return {
        "model": "execution.disposition",
        "pk": d.pk,
        "number": d.number,
        "kind": d.kind,
        "lot": d.lot.number,
        "serial": d.serial.serial if d.serial else None,
        "quantity": d.quantity,
        "outcome": outcome,
    }
