"""The recall lifecycle as data: statuses, allowed transitions and the guards that refuse
a transition with reasons a user can act on."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from medrecall.core.states import state_blockers, state_require

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
    # Back to pending approval: a change of class or decision date after approval (re-approval).
    Status.IN_EXECUTION: frozenset(
        {Status.EFFECTIVENESS_CHECK, Status.TERMINATED, Status.PENDING_APPROVAL}
    ),
    Status.EFFECTIVENESS_CHECK: frozenset(
        {Status.CLOSED, Status.IN_EXECUTION, Status.TERMINATED, Status.PENDING_APPROVAL}
    ),
    Status.CLOSED: frozenset(),
    Status.TERMINATED: frozenset(),
    Status.CANCELLED: frozenset(),
}


def _has_products(recall: RecallCase) -> str | None:
    return None if recall.products.exists() else _("Name at least one device model.")


def _has_reason(recall: RecallCase) -> str | None:
    return (
        None
        if recall.reason.strip() or recall.reason_en.strip()
        else _("Describe the reason for the recall.")
    )


def _has_regime(recall: RecallCase) -> str | None:
    return (
        None if recall.regimes.exists() else _("Choose at least one regime (NMPA, FDA or EU MDR).")
    )


def _classified(recall: RecallCase) -> str | None:
    missing = [r.get_regime_display() for r in recall.regimes.all() if not r.recall_class]
    if missing:
        return _("Classify the recall for: %(regimes)s.") % {
            "regimes": ", ".join(str(m) for m in missing)
        }
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
    from .approvals import missing_steps

    missing = missing_steps(recall)
    if missing:
        return _("Signatures still missing: %(steps)s.") % {"steps": ", ".join(missing)}
    return None


def _close_out(recall: RecallCase) -> str | None:
    return None if recall.completed_at else _("Record when the last affected unit was dealt with.")


def _worked(recall: RecallCase) -> list[str]:
    """Closing follows from the data: every affected unit accounted for (returned, corrected,
    dispositioned, used up), or a signed, reasoned closure exception (``closure.py``)."""
    from .closure import closure_blockers

    return closure_blockers(recall)


Guard = Callable[["RecallCase"], "str | list[str] | None"]

GUARDS: Mapping[tuple[Status, Status], tuple[Guard, ...]] = {
    (Status.DRAFT, Status.ASSESSMENT): (_has_products, _has_reason),
    (Status.ASSESSMENT, Status.PENDING_APPROVAL): (
        _has_products,
        _has_reason,
        _has_regime,
        _classified,
        _has_scope,
        _has_decision_date,
    ),
    (Status.PENDING_APPROVAL, Status.IN_EXECUTION): (_classified, _has_scope, _approved),
    (Status.EFFECTIVENESS_CHECK, Status.CLOSED): (_close_out, _worked),
    # FDA terminates a recall that worked (21 CFR 7.55): the same checks as closing, among
    # them the request to terminate submitted (filings) for a recall with the FDA regime.
    (Status.EFFECTIVENESS_CHECK, Status.TERMINATED): (_close_out, _worked),
    (Status.IN_EXECUTION, Status.TERMINATED): (_close_out, _worked),
}


def blockers(recall: RecallCase, target: Status) -> list[str]:
    """Every reason the move from the recall's status to ``target`` is refused (empty: allowed)."""
    source = Status(recall.status)
    if target not in TRANSITIONS[source]:
        return [
            _("A recall cannot go from %(source)s to %(target)s.")
            % {"source": source.label, "target": target.label}
        ]
    problems: list[str] = []
    for guard in GUARDS.get((source, target), ()):
        found = guard(recall)
        if isinstance(found, str):
            problems.append(found)
        elif found:
            problems.extend(found)
    return problems


class Action(models.TextChoices):
    """What a user (or a holder through a link) can do to a recall or to the records that hang
    on it; ``ALLOWED_ACTIONS`` says in which status."""

    EDIT = "edit", gettext_lazy("Editing the case")
    ADD_REGIME = "add_regime", gettext_lazy("Adding a regime")
    EVALUATE_HAZARD = "evaluate_hazard", gettext_lazy("Hazard evaluation")
    CLASSIFY = "classify", gettext_lazy("Classification")
    EDIT_SCOPE_RULES = "edit_scope_rules", gettext_lazy("Changing the scope rules")
    FREEZE_SCOPE = "freeze_scope", gettext_lazy("Freezing the scope")
    SIGN_APPROVAL = "sign_approval", gettext_lazy("Signing an approval step")
    MARK_DEADLINE = "mark_deadline", gettext_lazy("Marking a deadline done")
    PLACE_HOLD = "place_hold", gettext_lazy("Placing a stock hold")
    RELEASE_HOLD = "release_hold", gettext_lazy("Releasing a stock hold")
    SEND_NOTICES = "send_notices", gettext_lazy("Sending recall notices and reminders")
    SEND_PROGRESS = "send_progress", gettext_lazy("Sending progress updates to holders")
    SEND_SURVEY = "send_survey", gettext_lazy("Sending satisfaction surveys")
    LOG_CONTACT = "log_contact", gettext_lazy("Logging a call, letter or e-mail to a holder")
    FILE_NOTE = "file_note", gettext_lazy("Filing a note on a notice")
    RECORD_REPLY = "record_reply", gettext_lazy("Recording a holder's reply")
    ACKNOWLEDGE = "acknowledge", gettext_lazy("Acknowledging a notice")
    OFFER = "offer", gettext_lazy("Proposing or deciding an offer")
    SETTLE_OFFER = "settle_offer", gettext_lazy("Fulfilling or cancelling an offer")
    CREATE_RETURN = "create_return", gettext_lazy("Authorising a return")
    HANDLE_RETURN = "handle_return", gettext_lazy("Changing, moving or receiving a return")
    DISPOSITION = "disposition", gettext_lazy("Dispositions")
    CREATE_WORK_ORDER = "create_work_order", gettext_lazy("Opening a work order")
    RECORD_FIELD_WORK = "record_field_work", gettext_lazy("Recording field work")
    SIGN_CLOSURE_EXCEPTION = "sign_closure_exception", gettext_lazy("Signing a closure exception")
    POST_COST = "post_cost", gettext_lazy("Posting a cost")


_PREPARING = frozenset(
    {
        Action.EDIT,
        Action.ADD_REGIME,
        Action.EVALUATE_HAZARD,
        Action.CLASSIFY,
        Action.EDIT_SCOPE_RULES,
        Action.FREEZE_SCOPE,
        Action.PLACE_HOLD,
        Action.RELEASE_HOLD,
        Action.MARK_DEADLINE,
    }
)
_WITH_HOLDERS = frozenset(
    {
        Action.SEND_NOTICES,
        Action.SEND_PROGRESS,
        Action.LOG_CONTACT,
        Action.FILE_NOTE,
        Action.RECORD_REPLY,
        Action.ACKNOWLEDGE,
        Action.OFFER,
        Action.SETTLE_OFFER,
        Action.HANDLE_RETURN,
        Action.DISPOSITION,
        Action.RECORD_FIELD_WORK,
    }
)
# After closure only what the records and the regulations still need: the summary report's
# deadline, notes filed on the record (e.g. a late reply received by post), surveys, holds
# released, commitments to holders settled, units still in quarantine dispositioned (a closure
# exception can close a recall with units in quarantine: they must still be destroyed or released). A terminated recall still receives, dispositions
# and corrects the units already on their way; a cancelled one only lets its holds go. Money
# spent on a case is booked whatever became of it (an invoice can arrive after closure or
# cancellation); only a draft, not yet a case, has no ledger.
ALLOWED_ACTIONS: Mapping[Status, frozenset[Action]] = {
    Status.DRAFT: _PREPARING,
    Status.ASSESSMENT: _PREPARING | {Action.POST_COST},
    Status.PENDING_APPROVAL: _PREPARING | {Action.SIGN_APPROVAL, Action.POST_COST},
    Status.IN_EXECUTION: (_PREPARING - {Action.ADD_REGIME})
    | _WITH_HOLDERS
    | {Action.CREATE_RETURN, Action.CREATE_WORK_ORDER, Action.POST_COST},
    Status.EFFECTIVENESS_CHECK: frozenset(
        {
            Action.EDIT,
            Action.EVALUATE_HAZARD,
            Action.CLASSIFY,
            Action.PLACE_HOLD,
            Action.RELEASE_HOLD,
            Action.MARK_DEADLINE,
            Action.SIGN_CLOSURE_EXCEPTION,
            Action.POST_COST,
        }
    )
    | _WITH_HOLDERS,
    Status.CLOSED: frozenset(
        {
            Action.RELEASE_HOLD,
            Action.MARK_DEADLINE,
            Action.FILE_NOTE,
            Action.SEND_SURVEY,
            Action.SETTLE_OFFER,
            Action.DISPOSITION,
            Action.POST_COST,
        }
    ),
    Status.TERMINATED: frozenset(
        {
            Action.RELEASE_HOLD,
            Action.MARK_DEADLINE,
            Action.FILE_NOTE,
            Action.SETTLE_OFFER,
            Action.SEND_PROGRESS,
            Action.HANDLE_RETURN,
            Action.DISPOSITION,
            Action.RECORD_FIELD_WORK,
            Action.POST_COST,
        }
    ),
    Status.CANCELLED: frozenset({Action.RELEASE_HOLD, Action.POST_COST}),
}


def _current_status(recall: RecallCase) -> str:
    """The status as stored now (locked for the rest of the transaction when in one), so a
    stale object or a concurrent transition cannot slip an action past its state."""
    from django.db import connection

    from .models import RecallCase as Model

    found = Model.objects.filter(pk=recall.pk)
    if connection.in_atomic_block:
        found = found.select_for_update()
    status = found.values_list("status", flat=True).first()
    if status is not None:
        recall.status = status
    return str(recall.status)


def action_blockers(recall: RecallCase, action: Action, *, fresh: bool = False) -> list[str]:
    """Why the recall's status refuses ``action`` (empty: allowed). ``fresh`` reads the stored status."""
    status = _current_status(recall) if fresh else str(recall.status)
    return state_blockers(
        allowed=ALLOWED_ACTIONS,
        statuses=Status,
        status=status,
        action=action,
        record=_("recall %(number)s") % {"number": recall.number},
    )


def require_action(recall: RecallCase, action: Action) -> None:
    """Refuse (``ActionNotAllowed``, HTTP 409) unless the recall's stored status allows ``action``.
    Services call it first, before anything is written."""
    state_require(
        allowed=ALLOWED_ACTIONS,
        statuses=Status,
        status=_current_status(recall),
        action=action,
        record=_("recall %(number)s") % {"number": recall.number},
    )
