"""Stock hold: affected lots/serials may not leave our custody until released.

Holds are placed for every lot (lot-level lines) and serial (serial lines) of the recall's
current scope snapshot when the recall is approved (``in_execution``), and by staff with
``hold_place``. They are enforced wherever a unit *is ours*: the custody guards below run on
every import, capture and single event (see ``traceability/custody.py``).

* ``HOLD_GUARD``: from one of our non-quarantine locations, a held lot/serial may not be
  shipped, consumed, destroyed, transformed, installed or returned anywhere but to another of
  our own locations (moving it into quarantine, or between our sites, keeps it in custody).
  A lot-level event of a lot with held serials is refused too: it could carry them.
* ``QUARANTINE_GUARD``: nothing of a lot that has ever been held leaves a quarantine location
  except under an open disposition of that lot at that location (its number as the
  event's business document).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from medrecall.accounts.models import User
from medrecall.audit import services as audit
from medrecall.recalls.lifecycle import Action, Status, require_action
from medrecall.recalls.models import RecallCase
from medrecall.traceability.custody import CustodyGuard

from .errors import HoldRefused
from .models import Hold

DEPARTING = "('shipped', 'consumed', 'destroyed', 'transformed', 'installed', 'returned')"

HOLD_GUARD = CustodyGuard(
    code="stock_on_hold",
    sql=(
        "SELECT m.row_no, MIN(l.number), MIN(COALESCE(sr.serial, '')), MIN(loc.code), MIN(r.number) FROM moves m "
        "JOIN parties_location loc ON loc.id = CASE WHEN m.event_type = 'installed' "
        "THEN COALESCE(m.from_id, m.to_id) ELSE m.from_id END "
        "JOIN parties_party p ON p.id = loc.party_id "
        "JOIN execution_hold h ON h.lot_id = m.lot_id AND h.released_at IS NULL "
        "AND (h.serial_id IS NULL OR m.serial_id IS NULL OR h.serial_id = m.serial_id) "
        "JOIN recalls_recallcase r ON r.id = h.recall_id JOIN catalog_lot l ON l.id = m.lot_id "
        "LEFT JOIN catalog_serial sr ON sr.id = m.serial_id "
        f"WHERE p.party_type = 'own_site' AND loc.location_type <> 'quarantine' AND m.event_type IN {DEPARTING} "
        "AND NOT (m.event_type IN ('shipped', 'returned') AND EXISTS (SELECT 1 FROM parties_location t "
        "JOIN parties_party tp ON tp.id = t.party_id WHERE t.id = m.to_id AND tp.party_type = 'own_site')) "
        "GROUP BY m.row_no"
    ),
    message=lambda lot, serial, location, recall: (
        (
            _(
                "Serial %(serial)s of lot %(lot)s at %(location)s is on hold for recall %(recall)s: it may not leave "
                "our custody until the hold is released (moving it into quarantine is allowed)."
            )
            if serial
            else _(
                "Lot %(lot)s at %(location)s is on hold for recall %(recall)s: it may not leave our custody until the "
                "hold is released (moving it into quarantine is allowed)."
            )
        )
        % {"lot": lot, "serial": serial, "location": location, "recall": recall}
    ),
    lots_sql="SELECT DISTINCT lot_id FROM execution_hold WHERE released_at IS NULL",
)

QUARANTINE_GUARD = CustodyGuard(
    code="quarantine_needs_disposition",
    sql=(
        "SELECT m.row_no, MIN(l.number), MIN(loc.code) FROM moves m "
        "JOIN parties_location loc ON loc.id = m.from_id JOIN catalog_lot l ON l.id = m.lot_id "
        f"WHERE loc.location_type = 'quarantine' AND m.event_type IN {DEPARTING} "
        "AND EXISTS (SELECT 1 FROM execution_hold h WHERE h.lot_id = m.lot_id "
        "AND (h.serial_id IS NULL OR m.serial_id IS NULL OR h.serial_id = m.serial_id)) "
        "AND NOT EXISTS (SELECT 1 FROM execution_disposition d WHERE d.number = m.document_ref "
        "AND d.lot_id = m.lot_id AND d.location_id = m.from_id AND d.status IN ('open', 'in_progress')) "
        "GROUP BY m.row_no"
    ),
    message=lambda lot, location: (
        _(
            "Lot %(lot)s is in quarantine at %(location)s: nothing leaves quarantine without a disposition "
            "(give the disposition number as the business document)."
        )
        % {"lot": lot, "location": location}
    ),
    lots_sql="SELECT DISTINCT lot_id FROM execution_hold",
)


def _scope_keys(recall: RecallCase) -> set[tuple[int, int | None]]:
    snapshot = recall.current_snapshot
    if snapshot is None:
        return set()
    return set(snapshot.lines.values_list("lot_id", "serial_id").distinct())


@transaction.atomic
def hold_place(
    *, recall: RecallCase, actor: User, reason: str = "", reactivate: bool = True
) -> list[Hold]:
    """Hold every lot/serial of the recall's current scope (idempotent: existing holds stay;
    released ones are re-activated unless ``reactivate`` is off). Returns the holds created
    or re-activated."""
    require_action(recall, Action.PLACE_HOLD)
    recall = RecallCase.objects.select_for_update(of=("self",)).get(pk=recall.pk)
    if recall.status in (Status.CLOSED, Status.CANCELLED, Status.TERMINATED):
        raise HoldRefused(
            _("A %(status)s recall places no holds.") % {"status": recall.get_status_display()}
        )
    keys = _scope_keys(recall)
    if not keys:
        raise HoldRefused(_("The recall has no frozen scope to hold."))
    existing = {
        (h.lot_id, h.serial_id): h
        for h in Hold.objects.select_for_update(of=("self",)).filter(recall=recall)
    }
    changed: list[Hold] = []
    fresh = [
        Hold(recall=recall, lot_id=lot, serial_id=serial, placed_by=actor)
        for lot, serial in sorted(keys, key=lambda k: (k[0], k[1] or 0))
        if (lot, serial) not in existing
    ]
    changed += Hold.objects.bulk_create(fresh)
    for key, hold in existing.items():
        if reactivate and key in keys and hold.released_at is not None:
            hold.released_at, hold.released_by, hold.release_reason = None, None, ""
            hold.save(update_fields=["released_at", "released_by", "release_reason"])
            changed.append(hold)
    if changed:
        audit.record(
            actor=actor,
            action="execution.hold_placed",
            target=recall,
            reason=reason,
            changes={"holds": [None, [_key_label(h) for h in changed]]},
        )
    return changed


def _key_label(hold: Hold) -> dict[str, Any]:
    return {"lot": hold.lot_id, "serial": hold.serial_id}


@transaction.atomic
def hold_release(
    *,
    recall: RecallCase,
    actor: User,
    reason: str,
    lot_id: int | None = None,
    serial_id: int | None = None,
) -> int:
    """Release the recall's active holds (all, one lot, or one serial); a reason is required."""
    require_action(recall, Action.RELEASE_HOLD)
    if not reason.strip():
        raise HoldRefused(_("Say why the hold is released."), where="reason")
    holds = Hold.objects.select_for_update(of=("self",)).filter(
        recall=recall, released_at__isnull=True
    )
    if lot_id is not None:
        holds = holds.filter(lot_id=lot_id)
    if serial_id is not None:
        holds = holds.filter(serial_id=serial_id)
    released = list(holds)
    if not released:
        raise HoldRefused(_("No active hold matches."))
    now = timezone.now()
    Hold.objects.filter(pk__in=[h.pk for h in released]).update(
        released_at=now, released_by=actor, release_reason=reason
    )
    audit.record(
        actor=actor,
        action="execution.hold_released",
        target=recall,
        reason=reason,
        changes={"holds": [[_key_label(h) for h in released], None]},
    )
    return len(released)


def on_scope_frozen(recall: RecallCase, actor: User) -> None:
    """Registered in ``recalls.hooks``: a re-scope of a recall in execution holds what it adds;
    holds staff released stay released."""
    if recall.status == Status.IN_EXECUTION and _scope_keys(recall):
        hold_place(recall=recall, actor=actor, reason=_("Scope frozen again"), reactivate=False)


def on_recall_transition(recall: RecallCase, source: str, target: str, actor: User) -> None:
    """Registered in ``recalls.hooks``: approval (``in_execution``) places the holds at once."""
    if target == Status.IN_EXECUTION and _scope_keys(recall):
        hold_place(recall=recall, actor=actor, reason=_("Recall approved"))
