"""What notices say about closing a recall (registered in ``recalls.hooks.CLOSURE_CHECKS``):
information only — holders never notified and holders that never replied are listed beside
execution's blocking findings, and kept in a closure exception, but do not block on their
own (a holder may have returned everything without replying). Notified as everywhere: the
holder has the notice (``notify_by.notified_q``), a notice only sent does not count."""

from __future__ import annotations

from django.utils.translation import gettext as _

from medrecall.parties.models import PartyType
from medrecall.recalls.hooks import Finding
from medrecall.recalls.models import RecallCase

from .models import Kind, Notice, Reply


def closure_findings(recall: RecallCase) -> list[Finding]:
    from .notify_by import notified_times  # the clock's calendars: loaded when a recall closes

    # Notified by the one definition (``notify_by``): the holder has the notice.
    notified = {party_id for _recall, party_id in notified_times([recall.pk])}
    # Asked to reply: every holder a recall notice was issued to.
    issued = set(
        Notice.objects.filter(recall=recall, kind=Kind.INITIAL).values_list("party_id", flat=True)
    )
    snapshot = recall.current_snapshot
    in_scope = (
        set(
            snapshot.lines.exclude(party__party_type=PartyType.OWN_SITE)
            .values_list("party_id", flat=True)
            .distinct()
        )
        if snapshot
        else set()
    )
    found: list[Finding] = []
    if never := len(in_scope - notified):
        found.append(
            Finding(
                "notices",
                _("%(count)s of %(holders)s holders in scope were never notified.")
                % {"count": never, "holders": len(in_scope | notified)},
                blocking=False,
            )
        )
    if issued:
        replied = set(
            Reply.objects.filter(recall=recall, party_id__in=issued).values_list(
                "party_id", flat=True
            )
        )
        if silent := len(issued - replied):
            found.append(
                Finding(
                    "notices",
                    _("%(count)s of %(holders)s holders have not replied.")
                    % {"count": silent, "holders": len(issued)},
                    blocking=False,
                )
            )
    return found
