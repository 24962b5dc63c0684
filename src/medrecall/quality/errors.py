"""Refusals of the quality context (complaints, triage, CAPA)."""

from __future__ import annotations

from typing import Any

from medrecall.core.errors import ActionNotAllowed, DomainError, ValidationFailed


class ComplaintInvalid(ValidationFailed):
    """A complaint's input that cannot be kept as given (no description, awareness in the
    future, a barcode that does not read)."""

    code = "complaint_invalid"


class TriageInvalid(ValidationFailed):
    """A reportability decision that does not hold together (a category of another regime,
    reportable without a category, no rationale)."""

    code = "triage_invalid"


class TriageHarmConflict(TriageInvalid):
    """A reporting category that contradicts the complaint's recorded death/injury flags,
    neither corrected nor confirmed with a reason."""

    code = "triage_harm_conflict"


class ReportAlreadySubmitted(ActionNotAllowed):
    """Changing a decision whose report was filed, or filing it twice."""

    code = "report_already_submitted"


class ComplaintCloseRefused(ActionNotAllowed):
    """Closing a complaint with reports still to file or no findings recorded."""

    code = "complaint_close_refused"


class RecallFromComplaintRefused(ValidationFailed):
    """Starting a recall from a complaint whose device model is not known."""

    code = "recall_from_complaint_refused"


class ComplaintRecallAlreadyLinked(ActionNotAllowed):
    """Starting or linking a recall from a complaint that is already linked to one: the existing
    link is never replaced silently."""

    code = "complaint_recall_already_linked"


class CapaInvalid(ValidationFailed):
    """A CAPA, root cause or action input that cannot be kept (unknown category, a 6th why)."""

    code = "capa_invalid"


class CapaNotVerified(ActionNotAllowed):
    """Closing a CAPA without a recorded effective verification."""

    code = "capa_not_verified"


class VerificationRefused(ActionNotAllowed):
    """Verifying effectiveness before the root cause and the actions are in place and done."""

    code = "verification_refused"


class SignalActionRefused(ActionNotAllowed):
    """A status change an early-warning signal's status does not allow (dismissing one twice)."""

    code = "signal_action_refused"


class SignalInvalid(ValidationFailed):
    """A signal's status change without what it needs (a dismissal without a reason, a link to
    nothing), or thresholds out of range."""

    code = "signal_invalid"


class AlertMailFailed(DomainError):
    """A reporting alert whose mail could not be sent: it is not recorded, so the next run
    sends it again."""

    code = "alert_mail_failed"
    status = 503


class RecallOverlapUnconfirmed(ActionNotAllowed):
    """A recall from a complaint whose lot another recall already covers, not confirmed."""

    code = "recall_overlap_unconfirmed"


class CapaPastDueUnconfirmed(ActionNotAllowed):
    """A CAPA opened with a due date already past, not confirmed (it would start overdue)."""

    code = "capa_past_due_unconfirmed"


class ComplaintAlreadyReceived(ActionNotAllowed):
    """The same report sent again (the form sent twice): the complaint received the first time
    is ``complaint``."""

    code = "complaint_already_received"

    def __init__(self, message: str, *, complaint: Any, where: str = "") -> None:
        super().__init__(message, where=where, details={"complaint": complaint.number})
        self.complaint = complaint
