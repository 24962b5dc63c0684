"""Early-warning pages: the signals (filters, pages, the thresholds in force) and a signal with
its explanation, the complaints behind it and its status changes. Staff read; the QA/RA role
acts; a portal user gets "not found"."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from medrecall.accounts.selectors import viewer_of
from medrecall.core.errors import NotFound, ValidationFailed
from medrecall.quality import selectors, signal_services, signals
from medrecall.quality.errors import SignalInvalid
from medrecall.quality.models import Signal, SignalKind, SignalPolicy, SignalStatus
from medrecall.recalls.selectors import recall_numbered

from .notice_views import staff

if TYPE_CHECKING:
    from django.db.models import Field
from .paging import paged
from .quality_views import _run

VIEW, ACT = "quality.view_signal", "quality.review_signal"
CHANGE_POLICY = "quality.change_signalpolicy"


@staff(VIEW)
def signal_list(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    status = request.GET.get("status", "")
    kind = request.GET.get("kind", "")
    shown = request.GET.get("shown", "active")
    rows = signals.signal_list_for(
        viewer=viewer,
        status=status if status in SignalStatus.values else "",
        kind=kind if kind in SignalKind.values else "",
        open_only=shown != "all",
    )
    page = paged(request, rows)
    for signal in page.page:
        signal.explanation = signals.explain(signal)
        signal.q_text = signals.p_text(signal.q_value)
    limits = signals.Thresholds.of(signals.policy())
    return render(
        request,
        "web/quality/signal_list.html",
        {
            "signals": page,
            "statuses": SignalStatus.choices,
            "kinds": SignalKind.choices,
            "status": status,
            "kind": kind,
            "shown": shown,
            "thresholds": signals.thresholds_text(limits),
            "limits": limits,
        },
    )


def _signal(request: HttpRequest, pk: int) -> Signal:
    """The signal, or a 404 page: one the viewer may not see answers as one that is not there."""
    try:
        return signals.signal_get_for(viewer=viewer_of(request), pk=pk)
    except NotFound as missing:
        raise Http404(missing.message) from missing


@staff(VIEW)
def signal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = viewer_of(request)
    signal = _signal(request, pk)
    return render(
        request,
        "web/quality/signal_detail.html",
        {
            "signal": signal,
            "explanation": signals.explain(signal),
            "p_text": signals.p_text(signal.p_value),
            "q_text": signals.p_text(signal.q_value),
            "exposure": signals.exposure_text(signal),
            "under_recall": signals.recalls_of_signal(viewer=viewer, signal=signal),
            "history": signals.history(signal),
            "complaints": signal.complaints.select_related("lot", "holder").order_by(
                "aware_at", "pk"
            ),
            "actions": signal_services.allowed_actions(signal),
        },
    )


def _link(request: HttpRequest, signal: Signal) -> Signal:
    viewer = viewer_of(request)
    capa_number = request.POST.get("capa", "").strip()
    recall_number = request.POST.get("recall", "").strip()
    try:
        capa = (
            selectors.capa_numbered_for(viewer=viewer, number=capa_number) if capa_number else None
        )
        recall = recall_numbered(number=recall_number) if recall_number else None
    except NotFound as missing:
        raise ValidationFailed(missing.message, where=missing.where) from missing
    return signal_services.signal_link(signal=signal, actor=viewer, capa=capa, recall=recall)


@require_POST
@staff(ACT)
def signal_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    viewer = viewer_of(request)
    signal = _signal(request, pk)
    reason = request.POST.get("reason", "")
    calls: dict[str, tuple[Any, str]] = {
        "review": (
            lambda: signal_services.signal_review(signal=signal, actor=viewer),
            _("Signal taken under review."),
        ),
        "dismiss": (
            lambda: signal_services.signal_dismiss(signal=signal, actor=viewer, reason=reason),
            _("Signal dismissed."),
        ),
        "reopen": (
            lambda: signal_services.signal_reopen(signal=signal, actor=viewer, reason=reason),
            _("Signal reopened for review."),
        ),
        "link": (lambda: _link(request, signal), _("Signal linked.")),
    }
    if action not in calls:
        raise Http404
    call, success = calls[action]
    _run(request, call, success)
    return redirect("web:quality-signal", pk=signal.pk)


@require_POST
@staff(ACT)
def signal_detect(request: HttpRequest) -> HttpResponse:
    viewer = viewer_of(request)
    run = _run(
        request,
        lambda: signal_services.signals_detect(actor=viewer),
        _("Detection run over every lot and device model."),
    )
    if run and run is not True:
        messages.info(
            request,
            _("%(active)s signals, %(raised)s new, %(quiet)s gone quiet.")
            % {"active": run.active, "raised": run.raised, "quiet": run.quietened},
        )
    return redirect("web:quality-signals")


@staff(CHANGE_POLICY)
def signal_policy_edit(request: HttpRequest) -> HttpResponse:
    """The early-warning thresholds as a form (the QA/RA manager; the API and ``medrecall
    quality signals --set`` change the same through ``signal_policy_update``). A refused change
    shows the form again (400) with what was typed and the problem at its field."""
    current = signals.policy()
    values = {name: getattr(current, name) for name in signal_services.POLICY_FIELDS}
    problem: SignalInvalid | None = None
    if request.method == "POST":
        given = {
            name: request.POST[name].strip()
            for name in signal_services.POLICY_FIELDS
            if name in request.POST
        }
        try:
            signal_services.signal_policy_update(actor=viewer_of(request), **given)
        except SignalInvalid as refused:
            problem, values = refused, {**values, **given}
        else:
            messages.success(request, _("The early-warning thresholds were changed."))
            return redirect("web:quality-signals")
    fields = [
        (
            name,
            cast("Field[Any, Any]", SignalPolicy._meta.get_field(name)),
            values[name],
            problem.message if problem is not None and problem.where == name else "",
        )
        for name in signal_services.POLICY_FIELDS
    ]
    return render(
        request,
        "web/quality/signal_policy.html",
        {
            "fields": [
                {
                    "name": name,
                    "label": field.verbose_name,
                    "help": field.help_text,
                    "value": value,
                    "decimal": name in signal_services.DECIMAL_FIELDS,
                    "error": error,
                }
                for name, field, value, error in fields
            ],
            "problem": problem.message if problem is not None else "",
        },
        status=400 if problem is not None else 200,
    )
