"""Approval steps per regime and class, and whether a recall has every signature it needs.

The content signed is the recall's decision record (``approval_content``): if any of it
changes after signing, the signature no longer matches and the step counts as unsigned."""

from __future__ import annotations

from typing import Any

from medrecall.accounts.signatures import signature_status, signatures_for

from .models import ApprovalStep, RecallCase


def _both(recall: RecallCase, field: str) -> str:
    """The text in both languages (Chinese / English), each once: a signature binds both, and
    one written in a single language reads as it did before the English fields existed."""
    return " / ".join(dict.fromkeys(t for t in (getattr(recall, field), getattr(recall, f"{field}_en")) if t.strip()))


def approval_content(recall: RecallCase) -> dict[str, Any]:
    """What an approver signs: the decision record, scope baseline included."""
    snapshot = recall.current_snapshot
    return {
        "recall": recall.number, "title": _both(recall, "title"), "reason": _both(recall, "reason"),
        "defect": _both(recall, "defect_description"), "hazard": _both(recall, "hazard_description"),
        "action_type": recall.action_type, "initiation": recall.initiation, "depth": recall.depth,
        "products": sorted(recall.products.values_list("udi_di", flat=True)),
        "regimes": sorted([r.regime, r.recall_class] for r in recall.regimes.all()),
        "decision_at": recall.decision_at.isoformat() if recall.decision_at else None,
        "scope": {"snapshot": snapshot.sequence, "units": snapshot.total_units, "holders": snapshot.total_holders}
        if snapshot else None,
    }


def required_steps(recall: RecallCase) -> list[ApprovalStep]:
    """The union of the steps every regime/class of the recall needs (one per step name)."""
    steps: dict[str, ApprovalStep] = {}
    for regime in recall.regimes.all():
        for step in ApprovalStep.objects.filter(regime=regime.regime, recall_class=regime.recall_class):
            steps.setdefault(step.step, step)
    return list(steps.values())


def missing_approvals(recall: RecallCase) -> list[str]:
    content = approval_content(recall)
    signed = {s.step for s in signatures_for(recall) if s.meaning == "approved"
              and signature_status(s, content) == "valid"}
    return [step.label for step in required_steps(recall) if step.step not in signed]


def approval_sign(*, recall: RecallCase, step: str, actor: Any, password: str, username: str | None = None,
                  session: Any = None, reason: str = "") -> Any:
    """Sign one approval step of a recall pending approval (meaning: approved).

    The signer must hold the step's role; a step already validly signed is not signed twice."""
    from django.utils.translation import gettext as _

    from medrecall.accounts.signatures import signature_apply
    from medrecall.core.errors import ValidationFailed

    from .lifecycle import Status

    if recall.status != Status.PENDING_APPROVAL:
        raise ValidationFailed(_("Only a recall pending approval can be approved; this one is %(status)s.") % {
            "status": recall.get_status_display()}, where="status")
    steps = {s.step: s for s in required_steps(recall)}
    if step not in steps:
        raise ValidationFailed(_("This recall needs no approval step %(step)s.") % {"step": step}, where="step")
    if not actor.groups.filter(name=steps[step].group).exists() and not actor.is_superuser:
        raise ValidationFailed(_("Your role may not sign the step %(step)s.") % {"step": steps[step].label},
                               where="step", code="not_allowed")
    content = approval_content(recall)
    if any(s.step == step and s.meaning == "approved" and signature_status(s, content) == "valid"
           for s in signatures_for(recall)):
        raise ValidationFailed(_("The step %(step)s is signed already.") % {"step": steps[step].label}, where="step")
    return signature_apply(actor=actor, target=recall, content=content, meaning="approved", password=password,
                           username=username, session=session, step=step, reason=reason)
