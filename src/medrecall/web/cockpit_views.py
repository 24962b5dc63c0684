"""The recall cockpit: where one recall stands, at a glance (``reporting.progress``), every
figure a link to the records behind it, exports to Excel and PDF, and a partial that htmx
polls while a send run or receiving is going on. Staff only: a portal user is refused."""

from __future__ import annotations

import functools
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from medrecall.accounts.selectors import viewer_of
from medrecall.core.errors import NotFound
from medrecall.recalls import selectors
from medrecall.recalls.models import RecallCase
from medrecall.reporting import exports, progress
from medrecall.reporting.cost import cost_for
from medrecall.reporting.kept import keep_seconds, recall_stamp
from medrecall.reporting.labels import drill_label, group_label, stage_help, stage_label

from . import maps
from .paging import paged

VIEW = "recalls.view_recallcase"
POLL_SECONDS = 5
V = TypeVar("V", bound=Callable[..., HttpResponse])


def staff_only(view: V) -> V:
    """Signed in, staff (a portal user is refused: 403), allowed to see recalls."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        viewer = viewer_of(request)
        if viewer.party_id is not None or not viewer.has_perm(VIEW):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return cast(V, login_required(require_GET(wrapper)))


def _recall(request: HttpRequest, pk: int) -> RecallCase:
    try:
        return selectors.recall_get_for(viewer=viewer_of(request), pk=pk)
    except NotFound as missing:
        raise Http404(missing.message) from missing


def _context(request: HttpRequest, recall: RecallCase) -> dict[str, Any]:
    # The figures, deadlines and cost kept are read under the recall's own audit stamp (none
    # when not kept: ``reporting.kept.recall_stamps``).
    stamp = recall_stamp(recall.pk) if keep_seconds() > 0 else None
    figures = progress.page_progress(recall, stamp=stamp)
    moving = progress.activity(recall)
    language = get_language() or "zh-hans"
    return {
        "recall": recall,
        "p": figures,
        # Read only inside the kept sections: drawn when the sections are (a template calls a
        # callable), not on every request that finds them kept.
        "charts": functools.cache(lambda: cockpit_charts(figures, language)),
        "funnel": functools.cache(
            lambda: [
                {"stage": s, "label": stage_label(s.key), "help": stage_help(s.key)}
                for s in figures.funnel
            ]
        ),
        "groups": functools.cache(lambda: exports.labelled_groups(figures, language)),
        "moving": moving,
        "polling": moving["sending"] or moving["receiving"],
        "poll_seconds": POLL_SECONDS,
        "holders_url": reverse("web:recall-cockpit-holders", args=[recall.pk]),
        # The sections drawn from the kept figures alone are kept rendered as long as the
        # figures (a new count has a new time; 0 seconds: rendered every time).
        "figures_key": f"{recall.pk}:{figures.computed_at.isoformat()}",
        "keep_seconds": keep_seconds(),
        # Cost against budget: only for those who may read finance (None hides the section).
        "cost": cost_for(recall, viewer_of(request), stamp=stamp),
    }


def cockpit_charts(figures: progress.Progress, language: str) -> dict[str, Any]:
    """What the page's ECharts draw (``reporting.exports.chart_data``), and the countries the
    world map shows as a point (``country_points``: too small to see as a shape, or none)."""
    charts = exports.chart_data(figures, language)
    charts["country_points"] = maps.country_points(charts["countries"])
    return charts


@staff_only
def cockpit(request: HttpRequest, pk: int) -> HttpResponse:
    recall = _recall(request, pk)
    return render(request, "web/cockpit/page.html", _context(request, recall))


@staff_only
def cockpit_figures(request: HttpRequest, pk: int) -> HttpResponse:
    """The figures alone, for htmx to swap in while something is moving them."""
    recall = _recall(request, pk)
    return render(request, "web/cockpit/page.html#figures", _context(request, recall))


# --- drill-downs: the records behind a figure, paged ------------------------------------

HOLDER_FILTERS = ("country", "province", "party_type", "echelon")


def _holder_filter(request: HttpRequest) -> tuple[Q | None, dict[str, str]]:
    """The lines a region, holder type or echelon figure counted (``?country=CN``,
    ``?province=CN-GD``, ``?party_type=hospital``, ``?echelon=2``)."""
    chosen = {k: request.GET.get(k, "").strip() for k in HOLDER_FILTERS}
    chosen = {k: v for k, v in chosen.items() if v}
    where = Q()
    recorded = {k: "" if v == progress.UNKNOWN else v for k, v in chosen.items()}
    if "country" in chosen:
        where &= Q(location__country=recorded["country"])
    if "province" in chosen:
        where &= Q(location__province_code=recorded["province"])
    if "party_type" in chosen:
        where &= Q(party__party_type=chosen["party_type"])
    if "echelon" in chosen:
        if not chosen["echelon"].isdigit() or len(chosen["echelon"]) > 4:
            raise Http404(_("An echelon is a whole number."))
        where &= Q(echelon=int(chosen["echelon"]))
    return (where if chosen else None), chosen


@staff_only
def cockpit_holders(request: HttpRequest, pk: int) -> HttpResponse:
    recall = _recall(request, pk)
    snapshot = progress.current_scope(recall)
    stage = request.GET.get("stage", "affected")
    if stage not in progress.HOLDER_STAGES:
        raise Http404(_("There is no stage %(stage)s.") % {"stage": stage})
    where, chosen = _holder_filter(request)
    own_sites = stage == "affected" and request.GET.get("own") == "1"
    holders = (
        progress.scope_holders(recall, snapshot, where, own_sites=own_sites).filter(
            progress.HOLDER_STAGES[stage]
        )
        if snapshot
        else None
    )
    language = get_language() or "zh-hans"
    return render(
        request,
        "web/cockpit/holders.html",
        {
            "recall": recall,
            "snapshot": snapshot,
            "stage": stage,
            "stage_label": stage_label(stage),
            "own_sites": own_sites,
            "filters": [
                (k, drill_label(k), group_label(k, v, language)) for k, v in chosen.items()
            ],
            "rows": paged(request, holders) if holders is not None else None,
        },
    )


RECORDS: dict[str, Callable[[RecallCase], Any]] = {
    "returns": progress.open_returns,
    "work-orders": progress.open_work_orders,
    "dispositions": progress.done_dispositions,
    "corrected": progress.corrected_units,
}


@staff_only
def cockpit_records(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """Open returns, open (or overdue) work orders, done dispositions, corrected units."""
    recall = _recall(request, pk)
    if kind not in RECORDS:
        raise Http404
    rows = RECORDS[kind](recall)
    overdue = kind == "work-orders" and request.GET.get("overdue") == "1"
    if overdue:
        rows = rows.filter(due_at__lt=timezone.now())
    context: dict[str, Any] = {
        "recall": recall,
        "kind": kind,
        "overdue": overdue,
        "rows": paged(request, rows),
    }
    if kind == "corrected":
        context["accounting"] = progress.recovered_lots(recall)
    return render(request, "web/cockpit/records.html", context)


# --- exports -------------------------------------------------------------------------------


@staff_only
def cockpit_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    recall = _recall(request, pk)
    figures = progress.recall_progress(recall)
    cost = cost_for(recall, viewer_of(request))
    return HttpResponse(
        exports.progress_xlsx(recall, figures, get_language() or "zh-hans", cost=cost),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="progress-{recall.number}.xlsx"'},
    )


@staff_only
def cockpit_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    recall = _recall(request, pk)
    figures = progress.recall_progress(recall)
    cost = cost_for(recall, viewer_of(request))
    return HttpResponse(
        exports.progress_pdf(recall, figures, get_language() or "zh-hans", cost=cost),
        content_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="progress-{recall.number}.pdf"'},
    )
