"""What execution says about closing a recall (registered in ``recalls.hooks.CLOSURE_CHECKS``).

From the unit accounting of the frozen scope (``selectors.recall_accounting``): a recall may
close when every affected unit is returned and dispositioned, corrected in the field (a work
order result "corrected"), or used up as reported, and nothing is unexplained. Blocking:

* units still at holders and not corrected in the field nor excused by a context above
  (``recalls.hooks.AT_HOLDERS_EXCUSED``: effectiveness's signed unit exceptions);
* units in transit, in quarantine, or in our own stock (held) without a disposition done;
* units the accounting cannot explain;
* returns still open (authorised, picked up, in transit), dispositions and work orders not done.
"""

from __future__ import annotations

from django.db.models import Sum
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from medrecall.recalls.hooks import AT_HOLDERS_EXCUSED, Finding
from medrecall.recalls.models import RecallCase

from .lifecycle import ReturnStatus, TaskStatus, UnitResult
from .models import Disposition, ReturnAuthorisation, WorkOrder, WorkOrderUnit
from .selectors import recall_accounting

OPEN_RETURNS = (ReturnStatus.AUTHORISED, ReturnStatus.PICKED_UP, ReturnStatus.IN_TRANSIT)
OPEN_TASKS = (TaskStatus.OPEN, TaskStatus.IN_PROGRESS)


def excused_units(recall: RecallCase) -> int:
    """Units at holders the registered contexts excuse (signed, reasoned exceptions)."""
    return sum(source(recall) for source in AT_HOLDERS_EXCUSED)


def corrected_units(recall: RecallCase) -> int:
    """Units at holders that a work order recorded as corrected on site."""
    return int(
        WorkOrderUnit.objects.filter(
            work_order__recall=recall, result=UnitResult.CORRECTED
        ).aggregate(total=Sum("quantity"))["total"]
        or 0
    )


def closure_findings(recall: RecallCase) -> list[Finding]:
    accounting = recall_accounting(recall)
    if accounting.snapshot is None:
        return [Finding("execution", _("The recall has no frozen scope to account for."))]
    total = accounting.total
    found: list[Finding] = []
    at_holders = max(total.at_holders - corrected_units(recall) - excused_units(recall), 0)
    if at_holders:
        found.append(
            Finding(
                "execution",
                _(
                    "%(units)s of %(affected)s units are still at holders (not returned, "
                    "corrected or reported used)."
                )
                % {"units": at_holders, "affected": total.affected},
            )
        )
    parts = (
        (total.in_transit, _("%(units)s of %(affected)s units are in transit.")),
        (
            total.in_quarantine,
            ngettext(
                "%(units)s unit in quarantine waits for a disposition.",
                "%(units)s units in quarantine wait for a disposition.",
                total.in_quarantine,
            ),
        ),
        (
            total.own_stock,
            ngettext(
                "%(units)s unit in our own stock is on hold without a disposition.",
                "%(units)s units in our own stock are on hold without a disposition.",
                total.own_stock,
            ),
        ),
    )
    found += [
        Finding("execution", text % {"units": units, "affected": total.affected})
        for units, text in parts
        if units > 0
    ]
    found += [
        Finding(
            "execution",
            _("Lot %(lot)s: %(units)s units cannot be explained by the unit accounting.")
            % {"lot": row.lot, "units": row.unexplained},
        )
        for row in accounting.lots
        if row.unexplained
    ]
    returns = ReturnAuthorisation.objects.filter(recall=recall, status__in=OPEN_RETURNS).count()
    dispositions = Disposition.objects.filter(recall=recall, status__in=OPEN_TASKS).count()
    work_orders = WorkOrder.objects.filter(recall=recall, status__in=OPEN_TASKS).count()
    open_tasks = (
        (
            returns,
            ngettext(
                "%(count)s return is still open.", "%(count)s returns are still open.", returns
            ),
        ),
        (
            dispositions,
            ngettext(
                "%(count)s disposition is not done.",
                "%(count)s dispositions are not done.",
                dispositions,
            ),
        ),
        (
            work_orders,
            ngettext(
                "%(count)s work order is not done.",
                "%(count)s work orders are not done.",
                work_orders,
            ),
        ),
    )
    found += [Finding("execution", text % {"count": count}) for count, text in open_tasks if count]
    return found
