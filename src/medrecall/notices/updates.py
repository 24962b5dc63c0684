"""Notices after a re-scope: a scope frozen again while notices are going out tells every
holder already notified whose affected units grew (an *updated notice* listing only the added
lines, through the normal send path) and gives holders new to the scope their first notice.

Registered in ``recalls.hooks.SCOPE_HOOKS``; runs inside the freeze's transaction, the
runs are enqueued on commit."""

from __future__ import annotations

from django.utils.translation import gettext as _

from medrecall.accounts.models import User
from medrecall.recalls.models import RecallCase

from .issuing import update_plan
from .models import OPEN_FOR_NOTICES, Kind, Notice
from .recipients import holder_lines
from .send_runs import notice_run_start


def on_scope_frozen(recall: RecallCase, actor: User) -> None:
    if recall.status not in OPEN_FOR_NOTICES:
        return
    notified = set(
        Notice.objects.filter(recall=recall, kind=Kind.INITIAL).values_list("party_id", flat=True)
    )
    if not notified:
        return  # nothing sent yet: the first run covers every holder of the current scope
    lines = holder_lines(recall)
    snapshot = recall.current_snapshot
    reason = _("Scope re-frozen (snapshot %(sequence)s)") % {
        "sequence": snapshot.sequence if snapshot else "-"
    }
    grown, _parents, _sequence = update_plan(
        recall, {party: lines[party] for party in lines if party in notified}
    )
    if grown:
        notice_run_start(
            recall=recall, actor=actor, kind=Kind.UPDATE, parties=sorted(grown), reason=reason
        )
    if new := sorted(set(lines) - notified):
        notice_run_start(recall=recall, actor=actor, kind=Kind.INITIAL, parties=new, reason=reason)
