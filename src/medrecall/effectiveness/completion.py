"""The completion date of a recall: recorded once, the first time every unit of its frozen scope
is accounted (``selectors.completion_of``), and written to the case's "completed at" so the
NMPA summary report's clock (10 working days after completion) starts from it.

It is evaluated when execution tells that a disposition or a work order is done
(``execution.hooks.AFTER_COMMIT``), when a unit exception is signed, when the recall enters
effectiveness check, and on demand (``medrecall effectiveness completion NUMBER --record``)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from medrecall.audit import services as audit
from medrecall.recalls.lifecycle import Status
from medrecall.recalls.models import RecallCase

from .models import Completion
from .selectors import completion_of

OPEN = (Status.IN_EXECUTION, Status.EFFECTIVENESS_CHECK)


@transaction.atomic
def completion_refresh(*, recall: RecallCase) -> Completion | None:
    """Record the completion date if the recall is complete now and none is recorded yet."""
    recall = RecallCase.objects.select_for_update(of=("self",)).get(pk=recall.pk)
    found = Completion.objects.filter(recall=recall).first()
    if found is not None or recall.status not in OPEN:
        return found
    state = completion_of(recall)
    if not state.complete:
        return None
    now = timezone.now()
    done = Completion.objects.create(
        recall=recall, completed_at=now, snapshot_sequence=int(state.accounting.snapshot or 0)
    )
    before = recall.completed_at
    if before is None:
        RecallCase.objects.filter(pk=recall.pk).update(completed_at=now)
    audit.record(
        actor=None,
        action="effectiveness.completed",
        target=recall,
        changes={
            "completed_at": [before.isoformat() if before else None, now.isoformat()],
            "completion": [None, state.as_dict()],
        },
    )
    return done


def on_happened(what: str, ids: tuple[int, ...]) -> None:
    """Registered in ``execution.hooks.AFTER_COMMIT``: a disposition or work order done may be
    the last unit of a recall."""
    from medrecall.execution.hooks import DISPOSITION_DONE, WORK_ORDER_DONE
    from medrecall.execution.models import Disposition, WorkOrder

    if what == DISPOSITION_DONE:
        found = list(Disposition.objects.filter(pk__in=ids).values_list("recall_id", flat=True))
    elif what == WORK_ORDER_DONE:
        found = list(WorkOrder.objects.filter(pk__in=ids).values_list("recall_id", flat=True))
    else:
        return
    recall_ids = set(found)
    for recall in RecallCase.objects.filter(pk__in=recall_ids, status__in=OPEN):
        completion_refresh(recall=recall)
