"""Statuses of return authorisations, dispositions and work orders, and their allowed moves."""

from __future__ import annotations

from collections.abc import Mapping

from django.db import models
from django.utils.translation import gettext_lazy as _


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
# Units may be scanned in while the return is on its way (a carrier may deliver before its
# pick-up is recorded) and after it is received (a late parcel, more than expected: the units
# are here and must be booked into quarantine); only a cancelled return takes nothing.
RECEIVING = frozenset({ReturnStatus.AUTHORISED, ReturnStatus.PICKED_UP, ReturnStatus.IN_TRANSIT,
                       ReturnStatus.RECEIVED})


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
