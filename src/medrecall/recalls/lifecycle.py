"""The recall lifecycle as data: statuses, allowed transitions and the guards that refuse
a transition with reasons a user can act on."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

if TYPE_CHECKING:
    from .models import RecallCase


class Status(models.TextChoices):
    DRAFT = "draft", gettext_lazy("Draft")
    ASSESSMENT = "assessment", gettext_lazy("Assessment")
    PENDING_APPROVAL = "pending_approval", gettext_lazy("Pending approval")
    IN_EXECUTION = "in_execution", gettext_lazy("Approved / in execution")
    EFFECTIVENESS_CHECK = "effectiveness_check", gettext_lazy("Effectiveness check")
    CLOSED = "closed", gettext_lazy("Closed")
    TERMINATED = "terminated", gettext_lazy("Terminated")
    CANCELLED = "cancelled", gettext_lazy("Cancelled")


TRANSITIONS: Mapping[Status, frozenset[Status]] = {
    Status.DRAFT: frozenset({Status.ASSESSMENT, Status.CANCELLED}),
    Status.ASSESSMENT: frozenset({Status.PENDING_APPROVAL, Status.DRAFT, Status.CANCELLED}),
    Status.PENDING_APPROVAL: frozenset({Status.IN_EXECUTION, Status.ASSESSMENT, Status.CANCELLED}),
    Status.IN_EXECUTION: frozenset({Status.EFFECTIVENESS_CHECK, Status.TERMINATED}),
    Status.EFFECTIVENESS_CHECK: frozenset({Status.CLOSED, Status.IN_EXECUTION, Status.TERMINATED}),
    Status.CLOSED: frozenset(),
    Status.TERMINATED: frozenset(),
    Status.CANCELLED: frozenset(),
}


def _has_products(recall: RecallCase) -> str | None:
    return None if recall.products.exists() else _("Name at least one device model.")


def _has_reason(recall: RecallCase) -> str | None:
    return None if recall.reason.strip() or recall.reason_en.strip() else _("Describe the reason for the recall.")


def _has_regime(recall: RecallCase) -> str | None:
    return None if recall.regimes.exists() else _("Choose at least one regime (NMPA, FDA or EU MDR).")


def _classified(recall: RecallCase) -> str | None:
    missing = [r.get_regime_display() for r in recall.regimes.all() if not r.recall_class]
    if missing:
        return _("Classify the recall for: %(regimes)s.") % {"regimes": ", ".join(str(m) for m in missing)}
    return None


def _has_scope(recall: RecallCase) -> str | None:
    snapshot = recall.current_snapshot
    if snapshot is None:
        return _("Freeze a scope first: the affected units and holders.")
    if snapshot.total_units == 0:
        return _("The frozen scope has no affected units.")
    return None


def _has_decision_date(recall: RecallCase) -> str | None:
    return None if recall.decision_at else _("Record the date of the recall decision.")


def _approved(recall: RecallCase) -> str | None:
    from .approvals import missing_approvals

    missing = missing_approvals(recall)
    if missing:
        return _("Signatures still missing: %(steps)s.") % {"steps": ", ".join(missing)}
    return None


def _close_out(recall: RecallCase) -> str | None:
    return None if recall.completed_at else _("Record when the last affected unit was dealt with.")


Guard = Callable[["RecallCase"], "str | None"]

GUARDS: Mapping[tuple[Status, Status], tuple[Guard, ...]] = {
    (Status.DRAFT, Status.ASSESSMENT): (_has_products, _has_reason),
    (Status.ASSESSMENT, Status.PENDING_APPROVAL): (_has_products, _has_reason, _has_regime, _classified,
                                                   _has_scope, _has_decision_date),
    (Status.PENDING_APPROVAL, Status.IN_EXECUTION): (_classified, _has_scope, _approved),
    (Status.EFFECTIVENESS_CHECK, Status.CLOSED): (_close_out,),
}


def blockers(recall: RecallCase, target: Status) -> list[str]:
    """Every reason the move from the recall's status to ``target`` is refused (empty: allowed)."""
    source = Status(recall.status)
    if target not in TRANSITIONS[source]:
        return [_("A recall cannot go from %(source)s to %(target)s.") % {
            "source": source.label, "target": target.label}]
    return [problem for guard in GUARDS.get((source, target), ()) if (problem := guard(recall))]
