"""Return authorisations (X1): per holder, from the frozen scope or a reply, with carrier,
expected cost and waybill; status authorised → picked up → in transit → received."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from medrecall.accounts.models import User
from medrecall.audit import services as audit
from medrecall.catalog.models import Lot, Serial
from medrecall.core.numbering import next_number
from medrecall.parties.models import Location, Party, PartyType
from medrecall.recalls.lifecycle import Action, require_action
from medrecall.recalls.models import RecallCase

from . import hooks
from .carriers import CarrierChoice, carrier_choose
from .common import is_quarantine, quarantine_locations, recall_locked_in_execution
from .errors import ReturnRefused
from .lifecycle import RETURN_TRANSITIONS, ReturnAction, ReturnStatus, record_require
from .models import ReturnAuthorisation, ReturnLine

Key = tuple[int, int | None]


def is_urgent(recall: RecallCase) -> bool:
    """Class I under NMPA (一级) or FDA makes every return of the recall urgent."""
    return recall.regimes.filter(regime__in=("nmpa", "fda"), recall_class="I").exists()


def unit_weight_kg() -> Decimal:
    return Decimal(str(getattr(settings, "MEDRECALL_RETURN_UNIT_WEIGHT_KG", "0.5")))


def returnable(recall: RecallCase, location: Location) -> dict[Key, int]:
    """Per (lot, serial): units the snapshot puts at this location, less what other open or
    received returns already expect from it."""
    snapshot = recall.current_snapshot
    if snapshot is None:
        return {}
    frozen: dict[Key, int] = defaultdict(int)
    for lot, serial, on_hand, in_transit in snapshot.lines.filter(location=location).values_list(
        "lot_id", "serial_id", "on_hand", "in_transit"
    ):
        frozen[(lot, serial)] += on_hand + in_transit
    taken = (
        ReturnLine.objects.filter(ra__recall=recall, ra__location=location)
        .exclude(ra__status=ReturnStatus.CANCELLED)
        .values("lot_id", "serial_id")
        .annotate(total=Sum("expected"))
    )
    for row in taken:
        frozen[(row["lot_id"], row["serial_id"])] -= row["total"]
    return {k: v for k, v in frozen.items() if v > 0}


def _pick_up_location(recall: RecallCase, party: Party, location: Location | None) -> Location:
    """Where the holder's units are picked up: a location the frozen scope puts affected units
    of this holder at (the first one if none is named). Our own stock is not returned."""
    if party.party_type == PartyType.OWN_SITE:
        raise ReturnRefused(
            _("Our own stock is moved into quarantine, not returned."), where="party"
        )
    snapshot = recall.current_snapshot
    held_at = (
        list(snapshot.lines.filter(party=party).values_list("location_id", flat=True).distinct())
        if snapshot
        else []
    )
    if not held_at:
        raise ReturnRefused(
            _("%(party)s holds no affected units in this recall's scope.") % {"party": party.name},
            where="party",
        )
    if location is None:
        return Location.objects.get(pk=held_at[0])
    if location.pk not in held_at:
        raise ReturnRefused(
            _("Location %(location)s holds no affected units of %(party)s.")
            % {"location": location.code, "party": party.name},
            where="location",
        )
    return location


def _units_to_return(
    available: dict[Key, int],
    lines: list[tuple[Lot, Serial | None, int]] | None,
    location: Location,
) -> dict[Key, int]:
    """Units per (lot, serial) the return expects: everything still returnable at the location,
    or the lines asked for, each within what is returnable."""
    if lines is None:
        wanted: dict[Key, int] = dict(available)
    else:
        wanted = defaultdict(int)
        for lot, serial, quantity in lines:
            wanted[(lot.pk, serial.pk if serial else None)] += quantity
        for (lot_id, serial_id), quantity in wanted.items():
            if quantity <= 0:
                raise ReturnRefused(_("Quantities must be positive."), where="lines")
            if quantity > available.get((lot_id, serial_id), 0):
                lot_number = Lot.objects.get(pk=lot_id).number
                raise ReturnRefused(
                    _(
                        "Lot %(lot)s: %(quantity)s expected but only %(available)s in scope at "
                        "%(location)s and not yet on another return."
                    )
                    % {
                        "lot": lot_number,
                        "quantity": quantity,
                        "available": available.get((lot_id, serial_id), 0),
                        "location": location.code,
                    },
                    where="lines",
                )
    if not wanted:
        raise ReturnRefused(
            _("Every affected unit at %(location)s is already on a return.")
            % {"location": location.code},
            where="lines",
        )
    return wanted


def _quarantine_for_return(quarantine: Location | None) -> Location:
    """The quarantine location named, else our first one; refused if it is not a quarantine."""
    quarantine = quarantine or quarantine_locations().first()
    if quarantine is None or not is_quarantine(quarantine):
        raise ReturnRefused(
            _("Set up a quarantine location at one of our sites first."), where="quarantine"
        )
    return quarantine


def _carrier_for_return(
    *, party: Party, location: Location, weight: Decimal, volume_l: Decimal, urgent: bool
) -> CarrierChoice:
    """The carrier for a pick-up at the location (its region, else the holder's)."""
    choice = carrier_choose(
        country=location.country or party.country,
        province_code=location.province_code or party.province_code,
        weight_kg=weight,
        volume_l=volume_l,
        urgent=urgent,
    )
    if choice is None:
        raise ReturnRefused(
            _(
                "No carrier serves %(region)s for %(weight)s kg%(urgent)s; add a rate in the "
                "carrier tables."
            )
            % {
                "region": location.province_code or location.country or party.country,
                "weight": weight,
                "urgent": _(" within the urgent transit time") if urgent else "",
            },
            where="carrier",
        )
    return choice


@transaction.atomic
def return_create(
    *,
    recall: RecallCase,
    party: Party,
    actor: User,
    location: Location | None = None,
    lines: list[tuple[Lot, Serial | None, int]] | None = None,
    quarantine: Location | None = None,
    weight_kg: Decimal | None = None,
    volume_l: Decimal = Decimal(0),
    source: str = "staff",
    reply_ref: str = "",
) -> ReturnAuthorisation:
    """Authorise a holder's return: lines default to everything the scope puts at the location."""
    recall = recall_locked_in_execution(
        recall,
        Action.CREATE_RETURN,
        refused=ReturnRefused,
        message=_("Returns are authorised for an approved recall; this one is %(status)s."),
        where="recall",
    )
    location = _pick_up_location(recall, party, location)
    wanted = _units_to_return(returnable(recall, location), lines, location)
    quarantine = _quarantine_for_return(quarantine)
    units = sum(wanted.values())
    weight = weight_kg if weight_kg is not None else unit_weight_kg() * units
    urgent = is_urgent(recall)
    choice = _carrier_for_return(
        party=party, location=location, weight=weight, volume_l=volume_l, urgent=urgent
    )
    number = next_number(ReturnAuthorisation, "RA")
    ra = ReturnAuthorisation.objects.create(
        number=number,
        recall=recall,
        party=party,
        location=location,
        quarantine=quarantine,
        source=source,
        reply_ref=reply_ref,
        weight_kg=weight,
        volume_l=volume_l,
        urgent=urgent,
        carrier=choice.carrier,
        carrier_reason=choice.reason,
        expected_cost=choice.cost,
        currency=choice.currency,
        waybill_number=f"{choice.carrier.code}-{number}",
        created_by=actor,
    )
    ReturnLine.objects.bulk_create(
        ReturnLine(ra=ra, lot_id=lot, serial_id=serial, expected=quantity)
        for (lot, serial), quantity in sorted(wanted.items(), key=lambda i: (i[0][0], i[0][1] or 0))
    )
    audit.record(
        actor=actor,
        action="execution.return_authorised",
        target=ra,
        changes={
            "recall": [None, recall.number],
            "holder": [None, party.code],
            "units": [None, units],
            "carrier": [None, choice.carrier.code],
            "expected_cost": [None, str(choice.cost)],
            "reason": [None, choice.reason],
        },
    )
    return ra


@transaction.atomic
def return_amend(
    *,
    ra: ReturnAuthorisation,
    lot: Lot,
    serial: Serial | None,
    expected: int,
    actor: User,
    reason: str,
) -> ReturnAuthorisation:
    """Change what a return expects of one lot (or serial), e.g. when the holder sends more
    than was authorised: never below what was already received, never above what the scope
    puts at the holder's location and no other return expects. The weight follows."""
    ra = ReturnAuthorisation.objects.select_for_update(of=("self",)).get(pk=ra.pk)
    require_action(ra.recall, Action.HANDLE_RETURN)
    record_require(ra, ReturnAction.AMEND)
    if ra.status in (ReturnStatus.RECEIVED, ReturnStatus.CANCELLED):
        raise ReturnRefused(
            _("Return %(ra)s is %(status)s and can no longer be changed.")
            % {"ra": ra.number, "status": ra.get_status_display()},
            where="status",
        )
    if not reason.strip():
        raise ReturnRefused(_("Say why the return is changed."), where="reason")
    line = ra.lines.filter(lot=lot, serial=serial).first()
    before = line.expected if line else 0
    received = line.received if line else 0
    if expected < received:
        raise ReturnRefused(
            _("Lot %(lot)s: %(received)s units are already received; expect at least that many.")
            % {"lot": lot.number, "received": received},
            where="expected",
        )
    room = returnable(ra.recall, ra.location).get((lot.pk, serial.pk if serial else None), 0)
    if expected - before > room:
        raise ReturnRefused(
            _(
                "Lot %(lot)s: at most %(most)s units can be expected (the scope at %(location)s, less "
                "other returns)."
            )
            % {"lot": lot.number, "most": before + room, "location": ra.location.code},
            where="expected",
        )
    if line is None:
        line = ReturnLine.objects.create(ra=ra, lot=lot, serial=serial, expected=expected)
    elif expected == 0:
        line.delete()
    else:
        line.expected = expected
        line.save(update_fields=["expected"])
    units = ra.lines.aggregate(total=Sum("expected"))["total"] or 0
    ra.weight_kg, ra.version = unit_weight_kg() * units, ra.version + 1
    ra.save(update_fields=["weight_kg", "version", "updated_at"])
    audit.record(
        actor=actor,
        action="execution.return_amended",
        target=ra,
        reason=reason,
        changes={
            "lot": [None, lot.number],
            "serial": [None, serial.serial if serial else None],
            "expected": [before, expected],
        },
    )
    return ra


@transaction.atomic
def return_transition(
    *, ra: ReturnAuthorisation, target: str, actor: User, reason: str = ""
) -> ReturnAuthorisation:
    """Move a return along picked up → in transit → received (or cancel it before pick-up)."""
    ra = ReturnAuthorisation.objects.select_for_update(of=("self",)).get(pk=ra.pk)
    require_action(ra.recall, Action.HANDLE_RETURN)
    record_require(ra, ReturnAction.MOVE)
    if target not in RETURN_TRANSITIONS.get(ra.status, frozenset()):
        raise ReturnRefused(
            _("A return cannot go from %(source)s to %(target)s.")
            % {
                "source": ra.get_status_display(),
                "target": dict(ReturnStatus.choices).get(target, target),
            },
            where="target",
        )
    if target == ReturnStatus.RECEIVED and not ra.receipts.exists():
        raise ReturnRefused(
            _("Nothing has been received on %(ra)s yet.") % {"ra": ra.number}, where="target"
        )
    if target == ReturnStatus.CANCELLED and not reason.strip():
        raise ReturnRefused(_("Say why the return is cancelled."), where="reason")
    record_status_change(ra, target, actor=actor, reason=reason)
    return ra


def record_status_change(ra: ReturnAuthorisation, target: str, *, actor: User, reason: str) -> None:
    """Write the return's new status (under its row lock, taken by the caller): a new version,
    the audit entry ``execution.return_status``, and the holder told of the progress."""
    source, ra.status = ra.status, target
    ra.version += 1
    ra.save(update_fields=["status", "version", "updated_at"])
    audit.record(
        actor=actor,
        action="execution.return_status",
        target=ra,
        changes={"status": [source, target]},
        reason=reason,
    )
    from .holders import return_progress

    return_progress(ra)
    if source == ReturnStatus.AUTHORISED and target != ReturnStatus.CANCELLED:
        hooks.happened(hooks.RETURN_PICKED_UP, ra.pk)  # on its way: the carrier's cost is due
