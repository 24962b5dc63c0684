"""Closing a recall follows from the data.

A recall in effectiveness check closes when the checks registered in ``hooks.CLOSURE_CHECKS``
find nothing blocking — execution's unit accounting: every affected unit of the frozen scope
returned, corrected in the field, dispositioned or used up, nothing unexplained, nothing in
transit, in quarantine or in our stock without a disposition, no return or work order still
open — or when a *closure exception* is signed: a reason and an e-signature (password
re-entered, meaning "responsible", step ``closure_exception``) over what was outstanding at
that moment. Information (holders that never replied, deadlines breached) is listed with the
blocking findings, and kept in the exception, but does not block on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from medrecall.accounts.models import User
from medrecall.audit import services as audit
from medrecall.core.errors import DomainError

from .errors import ClosureExceptionRefused, ReasonRequired
from .hooks import Finding, run_closure_checks
from .lifecycle import Action, Status, require_action
from .models import ClosureException, RecallCase

EXCEPTION_STEP = "closure_exception"


def _deadline_findings(recall: RecallCase) -> list[Finding]:
    from .deadlines import deadlines_for

    try:
        rows, _missing = deadlines_for(recall)
    except DomainError:  # a clock that cannot run is shown on the case page, never breaks closing
        return []
    return [
        Finding(
            "deadlines",
            " ".join(
                text
                for text in (
                    _("Deadline breached: %(title)s (due %(due)s).")
                    % {
                        "title": row.title,
                        "due": timezone.localtime(row.due_at).strftime("%Y-%m-%d %H:%M %Z"),
                    },
                    row.progress_note,  # partly met: "Submitted to 1 of 4 authorities"
                )
                if text
            ),
            blocking=False,
        )
        for row in rows
        if row.status == "breached"
    ]


def closure_findings(recall: RecallCase) -> list[Finding]:
    """What every registered check finds now, blocking first, then information."""
    found = run_closure_checks(recall) + _deadline_findings(recall)
    return [f for f in found if f.blocking] + [f for f in found if not f.blocking]


def latest_exception(recall: RecallCase) -> ClosureException | None:
    """The closure exception signed since the recall last entered effectiveness check (an
    exception signed before it went back to execution no longer counts)."""
    entered = (
        recall.transitions.filter(target=Status.EFFECTIVENESS_CHECK).order_by("-at", "-pk").first()
    )
    exceptions = recall.closure_exceptions.select_related("signature", "signed_by").order_by(
        "-signed_at", "-pk"
    )
    if entered is not None:
        exceptions = exceptions.filter(signed_at__gte=entered.at)
    return exceptions.first()


def signed_outstanding(exception: ClosureException) -> list[str]:
    """What was outstanding (blocking) when the exception was signed."""
    return [f["message"] for f in exception.findings if f.get("blocking")]


def current_exception(
    recall: RecallCase, findings: list[Finding] | None = None
) -> ClosureException | None:
    """The closure exception in force: the latest one, as long as what is outstanding now is what
    its signer accepted. Once the outstanding units change (more units found at holders, a return
    received), the signature no longer speaks for the recall and the exception must be signed again."""
    exception = latest_exception(recall)
    if exception is None or exception.signature.superseded_at is not None:
        return None
    signed = signed_outstanding(exception)
    found = closure_findings(recall) if findings is None else findings
    if [f.message for f in found if f.blocking] == signed:
        return exception
    # The findings are stored in the signer's language: a reader in another language compares
    # what is outstanding said in each language, never a translation against the original.
    return exception if signed in _outstanding_in_every_language(recall) else None


def _outstanding_in_every_language(recall: RecallCase) -> list[list[str]]:
    said = []
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            said.append([f.message for f in closure_findings(recall) if f.blocking])
    return said


@dataclass
class ClosureReport:
    blocking: list[str] = field(default_factory=list)
    information: list[str] = field(default_factory=list)
    exception: ClosureException | None = None

    @property
    def may_close(self) -> bool:
        return not self.blocking or self.exception is not None

    def as_dict(self) -> dict[str, Any]:
        exception = self.exception
        return {
            "blocking": self.blocking,
            "information": self.information,
            "may_close": self.may_close,
            "exception": {
                "reason": exception.reason,
                "signed_by": exception.signature.signer_name,
                "signed_at": exception.signed_at.isoformat(),
                "findings": exception.findings,
            }
            if exception
            else None,
        }


def closure_report(recall: RecallCase) -> ClosureReport:
    findings = closure_findings(recall)
    return ClosureReport(
        blocking=[f.message for f in findings if f.blocking],
        information=[f.message for f in findings if not f.blocking],
        exception=current_exception(recall, findings),
    )


def closure_blockers(recall: RecallCase) -> list[str]:
    """The closure guard: every blocking finding, then the information, unless an exception is signed."""
    return blocker_lines(closure_report(recall))


def blocker_lines(report: ClosureReport) -> list[str]:
    """A closure report as the guard's lines (what pages list under "closing is refused")."""
    if report.may_close:
        return []
    return [
        *report.blocking,
        _("Deal with these units, or sign a closure exception with a reason."),
        *information_lines(report),
    ]


def information_lines(report: ClosureReport) -> list[str]:
    """The findings that do not keep the recall from closing, as the guard lists them (pages
    show them in a neutral style, not as blocking reasons)."""
    return [_("For information: %(finding)s") % {"finding": line} for line in report.information]


def closure_exception_sign(
    *,
    recall: RecallCase,
    actor: User,
    reason: str,
    password: str,
    username: str | None = None,
    session: Any = None,
) -> ClosureException:
    """Sign that the recall may close although units are outstanding: the reason and what is
    outstanding now are bound to the signature, stored and audited.

    Like ``approvals.approval_sign`` not one transaction: a refused signature (wrong password)
    stays in the audit trail; the exception itself is written in its own transaction."""
    from medrecall.accounts.signatures import signature_apply

    require_action(recall, Action.SIGN_CLOSURE_EXCEPTION)
    if not reason.strip():
        raise ReasonRequired(
            _("Say why the recall may close with units outstanding."), where="reason"
        )
    findings = closure_findings(recall)
    if not any(f.blocking for f in findings):
        raise ClosureExceptionRefused(
            _("Every affected unit is accounted for: the recall can close without an exception."),
            where="status",
        )
    outstanding = [
        {"found_by": f.source, "message": f.message, "blocking": f.blocking} for f in findings
    ]
    content = {
        "model": "recalls.recallcase",
        "pk": recall.pk,
        "recall": recall.number,
        "decision": "close with units outstanding",
        "reason": reason.strip(),
        "outstanding": outstanding,
    }
    signature = signature_apply(
        actor=actor,
        target=recall,
        content=content,
        meaning="responsible",
        password=password,
        username=username,
        session=session,
        step=EXCEPTION_STEP,
        reason=reason.strip(),
    )
    with transaction.atomic():
        require_action(
            recall, Action.SIGN_CLOSURE_EXCEPTION
        )  # locks the recall; it may have moved meanwhile
        exception = ClosureException.objects.create(
            recall=recall,
            signature=signature,
            reason=reason.strip(),
            findings=outstanding,
            signed_by=actor,
            signed_at=signature.signed_at,
        )
        audit.record(
            actor=actor,
            action="recalls.closure_exception_signed",
            target=recall,
            reason=reason.strip(),
            changes={
                "closure_exception": [None, exception.pk],
                "signature": [None, signature.pk],
                "outstanding": [None, [f["message"] for f in outstanding if f["blocking"]]],
            },
        )
    return exception
