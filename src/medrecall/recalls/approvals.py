"""Approval steps per regime and class, and whether a recall has every signature it needs.

The content signed is the recall's decision record (``approval_content``): if any of it
changes after signing, the signature no longer matches and the step counts as unsigned.
Signatures superseded by a re-approval (``approval_restart``) no longer count at all.

Different signers: a step configured with ``distinct_signer`` (the default) may not be signed
by someone who signed another step of the same recall's current approval, nor may its signer
sign another step (21 CFR 11 and ISO 13485 4.2.4: the review is independent)."""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from medrecall.accounts.models import Signature, User
from medrecall.accounts.signatures import signature_status, signatures_for
from medrecall.core.errors import ValidationFailed

from .errors import (
    SameSignerRefused,
    SignerRoleRefused,
    StepNotRequired,
    StepSignedAlready,
)
from .models import ApprovalStep, RecallCase
from .selectors import scope_baseline


def _approvals_in_force(recall: RecallCase, content: dict[str, Any]) -> list[Signature]:
    return [
        s
        for s in signatures_for(recall)
        if s.meaning == "approved" and signature_status(s, content) == "valid"
    ]


def _both(recall: RecallCase, field: str) -> str:
    """The text in both languages (Chinese / English), each once: a signature binds both, and
    one written in a single language reads as it did before the English fields existed."""
    return " / ".join(
        dict.fromkeys(
            t for t in (getattr(recall, field), getattr(recall, f"{field}_en")) if t.strip()
        )
    )


def approval_content(recall: RecallCase) -> dict[str, Any]:
    """What an approver signs: the decision record, scope baseline included."""
    return {
        "recall": recall.number,
        "title": _both(recall, "title"),
        "reason": _both(recall, "reason"),
        "defect": _both(recall, "defect_description"),
        "hazard": _both(recall, "hazard_description"),
        "action_type": recall.action_type,
        "initiation": recall.initiation,
        "depth": recall.depth,
        "products": sorted(recall.products.values_list("udi_di", flat=True)),
        "regimes": sorted([r.regime, r.recall_class] for r in recall.regimes.all()),
        "decision_at": recall.decision_at.isoformat() if recall.decision_at else None,
        "scope": scope_baseline(recall.current_snapshot),
    }


def required_steps(recall: RecallCase) -> list[ApprovalStep]:
    """The union of the steps every regime/class of the recall needs (one per step name)."""
    steps: dict[str, ApprovalStep] = {}
    for regime in recall.regimes.all():
        for step in ApprovalStep.objects.filter(
            regime=regime.regime, recall_class=regime.recall_class
        ):
            steps.setdefault(step.step, step)
    return list(steps.values())


# The seeded steps' words in the reader's language; a step an administrator adds shows the
# label stored with it.
STEP_LABELS: dict[str, Promise] = {
    "qa_head": gettext_lazy("Head of quality (QA)"),
    "ra_head": gettext_lazy("Head of regulatory affairs (RA)"),
    "closure_exception": gettext_lazy("Closure exception"),
}


def step_label(step: ApprovalStep | str) -> str:
    """A step's name in the active language (the stored label for steps added by an administrator)."""
    code = step if isinstance(step, str) else step.step
    if code in STEP_LABELS:
        return str(STEP_LABELS[code])
    return code if isinstance(step, str) else (step.label or code)


def missing_approvals(recall: RecallCase) -> list[str]:
    """The steps still to sign, as stored (``step.label``): the keys the pages and the API match on."""
    signed = {s.step for s in _approvals_in_force(recall, approval_content(recall))}
    return [step.label for step in required_steps(recall) if step.step not in signed]


def missing_steps(recall: RecallCase) -> list[str]:
    """The steps still to sign, in the reader's language."""
    signed = {s.step for s in _approvals_in_force(recall, approval_content(recall))}
    return [step_label(step) for step in required_steps(recall) if step.step not in signed]


def approval_sign(
    *,
    recall: RecallCase,
    step: str,
    actor: User,
    password: str,
    username: str | None = None,
    session: Any = None,
    reason: str = "",
) -> Any:
    """Sign one approval step of a recall pending approval (meaning: approved).

    The signer must hold the step's role; a step already validly signed is not signed twice."""
    from medrecall.accounts.signatures import signature_apply

    from .lifecycle import Action, Status, require_action

    require_action(recall, Action.SIGN_APPROVAL)
    if recall.status != Status.PENDING_APPROVAL:
        raise ValidationFailed(
            _("Only a recall pending approval can be approved; this one is %(status)s.")
            % {"status": recall.get_status_display()},
            where="status",
        )
    steps = {s.step: s for s in required_steps(recall)}
    if step not in steps:
        raise StepNotRequired(
            _("This recall needs no approval step %(step)s.") % {"step": step}, where="step"
        )
    if not actor.groups.filter(name=steps[step].group).exists() and not actor.is_superuser:
        raise SignerRoleRefused(
            _("Your role may not sign the step %(step)s.") % {"step": step_label(steps[step])},
            where="step",
        )
    content = approval_content(recall)
    in_force = _approvals_in_force(recall, content)
    if any(s.step == step for s in in_force):
        raise StepSignedAlready(
            _("The step %(step)s is signed already.") % {"step": step_label(steps[step])},
            where="step",
        )
    for other in in_force:
        other_step = steps.get(other.step)
        needs_own = steps[step].distinct_signer or (
            other_step is not None and other_step.distinct_signer
        )
        if other.signer_id == actor.pk and needs_own:
            raise SameSignerRefused(
                _(
                    "You signed the step %(other)s of this recall already; the step %(step)s needs another "
                    "signer."
                )
                % {"other": step_label(other_step or other.step), "step": step_label(steps[step])},
                where="step",
            )
    return signature_apply(
        actor=actor,
        target=recall,
        content=content,
        meaning="approved",
        password=password,
        username=username,
        session=session,
        step=step,
        reason=reason,
    )
