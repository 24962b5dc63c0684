"""The EU field safety notice gate of a recall: where it stands (the FSCA report and the draft
FSN as submitted, the SRN, what still blocks the first FSN) and the urgent override, signed
with the password (MDR Art. 87(8), 89(8)). Portal users never reach it (404, like the recall);
QA/RA sign, other staff read."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from medrecall.accounts.selectors import viewer_of
from medrecall.accounts.signatures import signing_needs_user_id
from medrecall.core.errors import DomainError, NotFound
from medrecall.notices import fsn
from medrecall.recalls import selectors as recall_selectors
from medrecall.recalls.models import RecallCase

CHANGE = "filings.change_filing"


def _recall(request: HttpRequest, pk: int) -> RecallCase:
    """The recall with the EU MDR regime: another party's recall, or one without an EU
    regime (it has no FSN gate), is "not found"."""
    try:
        recall = recall_selectors.recall_get_for(viewer=viewer_of(request), pk=pk)
    except NotFound as missing:
        raise Http404(missing.message) from missing
    if not recall.regimes.filter(regime="eu_mdr").exists():
        raise Http404(_("This recall has no EU MDR regime, so it has no field safety notice gate."))
    return recall


@login_required
def fsn_gate(request: HttpRequest, pk: int) -> HttpResponse:
    recall = _recall(request, pk)
    viewer = viewer_of(request)
    if request.method == "POST":
        if not viewer.has_perm(CHANGE):
            raise PermissionDenied
        try:
            fsn.fsn_override_sign(
                recall=recall,
                actor=viewer,
                reason=request.POST.get("reason", ""),
                authority=request.POST.get("authority", ""),
                reference=request.POST.get("reference", ""),
                password=request.POST.get("password", ""),
                username=request.POST.get("username") or None,
                session=request.session,
            )
        except DomainError as refused:
            for problem in refused.details or [refused.message]:
                messages.error(request, str(problem))
        else:
            messages.success(request, _("Urgent override signed: the first FSN may go out."))
            return redirect("web:fsn-gate", pk=recall.pk)
    return render(
        request,
        "web/fsn/gate.html",
        {
            "recall": recall,
            "state": fsn.gate_state(recall),
            "can_change": viewer.has_perm(CHANGE),
            "signing_needs_user_id": signing_needs_user_id(request.session, viewer),
            "posted": request.POST if request.method == "POST" else {},
        },
    )
