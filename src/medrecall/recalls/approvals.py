"""Approval steps per regime and class, and whether a recall has every signature it needs.

The content signed is the recall's decision record (``approval_content``): if any of it
changes after signing, the signature no longer matches and the step counts as unsigned."""

from __future__ import annotations

from typing import Any

from medrecall.accounts.signatures import signature_status, signatures_for

from .models import ApprovalStep, RecallCase

DEFAULT_STEPS: tuple[tuple[str, str, str, str, str], ...] = (
    # regime, class, step, label, group
    ("nmpa", "I", "qa_head", "QA head", "qa_ra_manager"),
    ("nmpa", "I", "ra_head", "RA head", "qa_ra_manager"),
    ("nmpa", "II", "qa_head", "QA head", "qa_ra_manager"),
    ("nmpa", "III", "qa_head", "QA head", "qa_ra_manager"),
    ("fda", "I", "qa_head", "QA head", "qa_ra_manager"),
    ("fda", "I", "ra_head", "RA head", "qa_ra_manager"),
    ("fda", "II", "qa_head", "QA head", "qa_ra_manager"),
    ("fda", "III", "qa_head", "QA head", "qa_ra_manager"),
    ("eu_mdr", "fsca", "qa_head", "QA head", "qa_ra_manager"),
    ("eu_mdr", "fsca", "ra_head", "RA head", "qa_ra_manager"),
)


def approval_content(recall: RecallCase) -> dict[str, Any]:
    """What an approver signs: the decision record, scope baseline included."""
    snapshot = recall.current_snapshot
    return {
        "recall": recall.number, "title": recall.title, "reason": recall.reason,
        "defect": recall.defect_description, "hazard": recall.hazard_description,
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
