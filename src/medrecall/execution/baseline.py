"""What execution has already handled under a recall, for the baseline of a re-scope.

A scope frozen again while the recall is in execution must keep every unit already returned,
received, dispositioned or corrected; otherwise a destroyed unit drops out of the new
baseline while the accounting still counts it as dispositioned ("unexplained −4"). Registered
in ``recalls.hooks.BASELINE_HOOKS`` at app ready; one query per kind of record."""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Sum

from medrecall.recalls.hooks import Handled
from medrecall.recalls.models import RecallCase

from .lifecycle import DispositionKind, TaskStatus, UnitResult
from .models import Disposition, Receipt, WorkOrderUnit


def handled_units(recall: RecallCase) -> Handled:
    """Lots and serials with receipts, dispositions (not cancelled) or field results under the recall;
    the units destroyed by its dispositions; where its returns to supplier sent units."""
    touched: set[tuple[int, int | None]] = set()
    touched |= set(
        Receipt.objects.filter(recall=recall).values_list("lot_id", "serial_id").distinct()
    )
    dispositions = Disposition.objects.filter(recall=recall).exclude(status=TaskStatus.CANCELLED)
    touched |= set(dispositions.values_list("lot_id", "serial_id").distinct())
    touched |= set(
        WorkOrderUnit.objects.filter(work_order__recall=recall)
        .exclude(result=UnitResult.PENDING)
        .values_list("lot_id", "serial_id")
        .distinct()
    )
    serials: dict[int, set[int]] = defaultdict(set)
    for lot_id, serial_id in touched:
        if serial_id is not None:
            serials[lot_id].add(serial_id)
    done = dispositions.filter(status=TaskStatus.DONE)
    gone = tuple(
        sorted(
            (lot_id, serial_id, location_id, int(quantity))
            for lot_id, serial_id, location_id, quantity in done.filter(
                kind=DispositionKind.DESTROY
            )
            .values_list("lot_id", "serial_id", "location_id")
            .annotate(total=Sum("quantity"))
            .order_by()
        )
    )
    settled = frozenset(
        done.filter(kind=DispositionKind.RETURN_TO_SUPPLIER, target__isnull=False).values_list(
            "lot_id", "serial_id", "target_id"
        )
    )
    return Handled(
        lot_ids=frozenset(lot for lot, serial in touched if serial is None),
        serial_ids_by_lot={lot: frozenset(ids) for lot, ids in serials.items()},
        gone=gone,
        settled=settled,
    )
