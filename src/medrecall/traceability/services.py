"""Recording events one business action at a time (a receipt, a disposition), as opposed to
file imports. The custody guards run first; positions of the touched lots are recomputed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from . import custody
from .engine import recompute_positions

# re-exported: callers catch these here too
from .errors import CustodyRefused as CustodyRefused
from .models import TraceEvent


@dataclass(frozen=True)
class NewEvent:
    event_id: str
    event_type: str
    event_time: datetime
    lot_id: int
    serial_id: int | None
    quantity: int
    from_location_id: int | None
    to_location_id: int | None
    document_ref: str = ""


@transaction.atomic
def events_record(*, events: Sequence[NewEvent]) -> int:
    """Record events idempotently by ``event_id`` (a retry creates nothing); returns how many
    were created. The caller audits its business action; the guards refuse with a clear message."""
    known = set(
        TraceEvent.objects.filter(event_id__in=[e.event_id for e in events]).values_list(
            "event_id", flat=True
        )
    )
    fresh = [e for e in events if e.event_id not in known]
    problems = custody.check_moves(
        [
            custody.Move(
                n,
                e.event_type,
                e.lot_id,
                e.serial_id,
                e.from_location_id,
                e.to_location_id,
                e.document_ref,
            )
            for n, e in enumerate(fresh, 1)
        ]
    )
    if problems:
        raise CustodyRefused(
            " ".join(dict.fromkeys(message for _row, _code, message in problems)),
            details=[message for _row, _code, message in problems],
        )
    created = TraceEvent.objects.bulk_create(
        [
            TraceEvent(
                event_id=e.event_id,
                event_type=e.event_type,
                event_time=e.event_time,
                lot_id=e.lot_id,
                serial_id=e.serial_id,
                quantity=e.quantity,
                from_location_id=e.from_location_id,
                to_location_id=e.to_location_id,
                document_ref=e.document_ref,
            )
            for e in fresh
        ],
        ignore_conflicts=True,
    )
    recompute_positions(sorted({e.lot_id for e in fresh}))
    return len(created)
