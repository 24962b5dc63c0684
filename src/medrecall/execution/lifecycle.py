"""Statuses of return authorisations, dispositions and work orders, their allowed moves, and
which actions each status allows (read by ``core.states``, the mechanism the recall case
uses too). An execution service checks both the recall's table (``recalls.lifecycle``) and
its own record's table before it writes anything."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from medrecall.core.states import state_blockers, state_require

if TYPE_CHECKING:
    from .models import Disposition, ReturnAuthorisation, WorkOrder


class ReturnStatus(models.TextChoices):
    AUTHORISED = "authorised", _("Authorised")
    PICKED_UP = "picked_up", _("Picked up")
    IN_TRANSIT = "in_transit", _("In transit")
    RECEIVED = "received", _("Received")
    CANCELLED = "cancelled", _("Cancelled")


RETURN_TRANSITIONS: Mapping[str, frozenset[str]] = {
    ReturnStatus.AUTHORISED: frozenset({ReturnStatus.PICKED_UP, ReturnStatus.CANCELLED}),
    ReturnStatus.PICKED_UP: frozenset({ReturnStatus.IN_TRANSIT, ReturnStatus.RECEIVED}),
    ReturnStatus.IN_TRANSIT: frozenset({ReturnStatus.RECEIVED}),
    ReturnStatus.RECEIVED: frozenset(),
    ReturnStatus.CANCELLED: frozenset(),
}


class DispositionKind(models.TextChoices):
    REPAIR = "repair", _("Repair / rework")
    REPLACE = "replace", _("Replace")
    DESTROY = "destroy", _("Destroy")
    RETURN_TO_SUPPLIER = "return_to_supplier", _("Return to supplier")
    RELEASE = "release", _("Release after inspection")


class TaskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


TASK_TRANSITIONS: Mapping[str, frozenset[str]] = {
    TaskStatus.OPEN: frozenset({TaskStatus.IN_PROGRESS, TaskStatus.DONE, TaskStatus.CANCELLED}),
    TaskStatus.IN_PROGRESS: frozenset({TaskStatus.DONE, TaskStatus.CANCELLED}),
    TaskStatus.DONE: frozenset(),
    TaskStatus.CANCELLED: frozenset(),
}


class FieldAction(models.TextChoices):
    SOFTWARE_UPDATE = "software_update", _("Software update")
    INSPECTION = "inspection", _("Inspection")
    PART_SWAP = "part_swap", _("Part swap")
    RELABELLING = "relabelling", _("Relabelling")


class UnitResult(models.TextChoices):
    PENDING = "pending", _("Pending")
    CORRECTED = "corrected", _("Corrected")
    NOT_CORRECTED = "not_corrected", _("Could not be corrected")
    NOT_FOUND = "not_found", _("Unit not found on site")


class ReturnAction(models.TextChoices):
    AMEND = "amend", _("Changing what the return expects")
    RECEIVE = "receive", _("Receiving units")
    MOVE = "move", _("Moving the return along (pick-up, transit, received, cancel)")


# Units may be scanned in while the return is on its way (a carrier may deliver before its
# pick-up is recorded); "received" closes the return, short lines stay visible.
RETURN_ACTIONS: Mapping[str, frozenset[ReturnAction]] = {
    ReturnStatus.AUTHORISED: frozenset(
        {ReturnAction.AMEND, ReturnAction.RECEIVE, ReturnAction.MOVE}
    ),
    ReturnStatus.PICKED_UP: frozenset(
        {ReturnAction.AMEND, ReturnAction.RECEIVE, ReturnAction.MOVE}
    ),
    ReturnStatus.IN_TRANSIT: frozenset(
        {ReturnAction.AMEND, ReturnAction.RECEIVE, ReturnAction.MOVE}
    ),
    # Units may still arrive after the return is received (a late parcel, more than expected):
    # they are here and must be booked into quarantine. A cancelled return takes nothing.
    ReturnStatus.RECEIVED: frozenset({ReturnAction.RECEIVE}),
    ReturnStatus.CANCELLED: frozenset(),
}


class DispositionAction(models.TextChoices):
    START = "start", _("Starting the disposition")
    COMPLETE = "complete", _("Completing the disposition")
    CANCEL = "cancel", _("Cancelling the disposition")


DISPOSITION_ACTIONS: Mapping[str, frozenset[DispositionAction]] = {
    TaskStatus.OPEN: frozenset(
        {DispositionAction.START, DispositionAction.COMPLETE, DispositionAction.CANCEL}
    ),
    TaskStatus.IN_PROGRESS: frozenset({DispositionAction.COMPLETE, DispositionAction.CANCEL}),
    TaskStatus.DONE: frozenset(),
    TaskStatus.CANCELLED: frozenset(),
}


class WorkOrderAction(models.TextChoices):
    RECORD = "record", _("Recording a unit's result")
    EVIDENCE = "evidence", _("Adding evidence")


RecordAction = ReturnAction | DispositionAction | WorkOrderAction


# Evidence may follow the last result (a photo sent later); a cancelled order takes nothing.
WORK_ORDER_ACTIONS: Mapping[str, frozenset[WorkOrderAction]] = {
    TaskStatus.OPEN: frozenset({WorkOrderAction.RECORD, WorkOrderAction.EVIDENCE}),
    TaskStatus.IN_PROGRESS: frozenset({WorkOrderAction.RECORD, WorkOrderAction.EVIDENCE}),
    TaskStatus.DONE: frozenset({WorkOrderAction.EVIDENCE}),
    TaskStatus.CANCELLED: frozenset(),
}


# Which table of allowed actions, which statuses and which name of the record each kind of
# action reads: one pair of functions serves returns, dispositions and work orders.
_MACHINES: Mapping[
    type[models.TextChoices], tuple[Mapping[str, frozenset[Any]], type[models.TextChoices], Promise]
] = {
    ReturnAction: (RETURN_ACTIONS, ReturnStatus, _("return %(number)s")),
    DispositionAction: (DISPOSITION_ACTIONS, TaskStatus, _("disposition %(number)s")),
    WorkOrderAction: (WORK_ORDER_ACTIONS, TaskStatus, _("work order %(number)s")),
}


def _state(
    record: ReturnAuthorisation | Disposition | WorkOrder, action: RecordAction
) -> dict[str, Any]:
    allowed, statuses, name = _MACHINES[type(action)]
    return {
        "allowed": allowed,
        "statuses": statuses,
        "status": record.status,
        "action": action,
        "record": str(name) % {"number": record.number},
    }


def record_action_blockers(
    record: ReturnAuthorisation | Disposition | WorkOrder, action: RecordAction
) -> list[str]:
    """Why the record's status refuses ``action`` (empty: allowed), in words a user can act on."""
    return state_blockers(**_state(record, action))


def record_require(
    record: ReturnAuthorisation | Disposition | WorkOrder, action: RecordAction
) -> None:
    """Raise ``ActionNotAllowed`` unless the record's status allows ``action``."""
    state_require(**_state(record, action))
