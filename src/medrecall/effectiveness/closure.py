"""What effectiveness says about closing a recall (registered in ``recalls.hooks.CLOSURE_CHECKS``)
and what it does when a recall moves (``recalls.hooks.TRANSITION_HOOKS``).

Blocking, each listed: a regime of the recall without an effectiveness-check level; a level
other than E without a sample; sampled consignees not checked yet; consignees whose latest check
failed, or failed checks not resolved; no closing signature. Unit accounting is execution's own
finding (``execution.closure``); completion with unit exceptions is shown beside it."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from medrecall.accounts.models import User
from medrecall.recalls.hooks import Finding
from medrecall.recalls.lifecycle import Status
from medrecall.recalls.models import RecallCase

from .selectors import (
    check_disagreements,
    closing_signature_in_force,
    consignees,
    plans_of,
    results_of,
)


def closure_findings(recall: RecallCase) -> list[Finding]:
    plans = {plan.regime: plan for plan in plans_of(recall)}
    found: list[Finding] = []
    for regime in recall.regimes.all():
        name = regime.get_regime_display()
        plan = plans.get(regime.regime)
        if not consignees(recall, regime.regime):
            # Nobody to check: no consignee of the frozen scope is under this regime (e.g. FDA
            # on a recall whose holders are all in China). No sample is owed; said, not blocking.
            found.append(
                Finding(
                    "effectiveness",
                    _(
                        "%(regime)s: no consignee of the frozen scope falls under this regime, so "
                        "there is nobody to sample and no effectiveness check is needed."
                    )
                    % {"regime": name},
                    blocking=False,
                )
            )
            continue
        if plan is None:
            found.append(
                Finding(
                    "effectiveness",
                    _("Choose the effectiveness-check level for %(regime)s.") % {"regime": name},
                )
            )
            continue
        result = results_of(plan)
        if plan.level == "E":
            continue
        if result.seed is None:
            found.append(
                Finding(
                    "effectiveness",
                    _("Draw the effectiveness-check sample for %(regime)s.") % {"regime": name},
                )
            )
            continue
        if result.pending:
            found.append(
                Finding(
                    "effectiveness",
                    ngettext(
                        "%(regime)s: %(count)s of %(size)s sampled consignees is not checked yet.",
                        "%(regime)s: %(count)s of %(size)s sampled consignees are not checked yet.",
                        result.pending,
                    )
                    % {"regime": name, "count": result.pending, "size": result.size},
                )
            )
        if result.failed or result.unresolved:
            found.append(
                Finding(
                    "effectiveness",
                    ngettext(
                        "%(regime)s: %(count)s failed effectiveness check is not resolved "
                        "(re-check the consignee or resolve the escalation with a reason).",
                        "%(regime)s: %(count)s failed effectiveness checks are not resolved "
                        "(re-check the consignee or resolve the escalation with a reason).",
                        max(result.failed, result.unresolved),
                    )
                    % {"regime": name, "count": max(result.failed, result.unresolved)},
                )
            )
    found.extend(
        Finding("effectiveness", d.message, blocking=False) for d in check_disagreements(recall)
    )
    if closing_signature_in_force(recall) is None:
        from .services import closing_finding_text

        found.append(Finding("effectiveness", closing_finding_text()))
    return found


def on_recall_transition(recall: RecallCase, source: str, target: str, actor: User) -> None:
    """Entering effectiveness check records the completion date if the recall is complete;
    closing or termination releases the holds of lots with nothing left in our custody and
    keeps those whose units still wait in quarantine or our stock for a disposition."""
    if target == Status.EFFECTIVENESS_CHECK:
        from .completion import completion_refresh

        completion_refresh(recall=recall)
    elif target in (Status.CLOSED, Status.TERMINATED):
        holds_settle(recall=recall, actor=actor)


def holds_settle(*, recall: RecallCase, actor: User) -> int:
    from medrecall.execution.holds import hold_release
    from medrecall.execution.models import Hold
    from medrecall.execution.selectors import quarantine_units, recall_accounting

    waiting = {unit["lot"].pk for unit in quarantine_units(recall=recall)}
    by_number = {row.lot: row for row in recall_accounting(recall).lots}
    released = 0
    for lot_id, number in (
        Hold.objects.filter(recall=recall, released_at__isnull=True)
        .values_list("lot_id", "lot__number")
        .distinct()
    ):
        row = by_number.get(number)
        if lot_id in waiting or (row is not None and (row.own_stock or row.in_quarantine)):
            continue  # kept: units in our custody still wait for a disposition
        released += hold_release(
            recall=recall,
            actor=actor,
            reason=_("Recall %(status)s: nothing of the lot waits for a disposition.")
            % {"status": Status(recall.status).label},
            lot_id=lot_id,
        )
    return released
