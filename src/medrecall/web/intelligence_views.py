"""Public recall history pages: search similar recalls with statistics as charts, one record,
and "recalls like this one" from a recall case."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from medrecall.accounts.selectors import viewer_of
from medrecall.core.errors import DomainError, NotFound
from medrecall.intelligence import selectors
from medrecall.intelligence.glossary import root_cause_label
from medrecall.recalls import selectors as recall_selectors


def _viewer(request: HttpRequest) -> Any:
    viewer = viewer_of(request)
    if not selectors.can_view(viewer):
        raise PermissionDenied
    return viewer


def _year(value: str) -> int | None:
    text = value.strip()
    return int(text) if text.isdigit() and 1900 <= int(text) <= 2100 else None


def _filters(request: HttpRequest, criteria: selectors.Criteria) -> selectors.Filters:
    return selectors.Filters(
        product_codes=criteria.product_codes,
        root_cause=request.GET.get("root_cause", "").strip(),
        firm=request.GET.get("firm", "").strip(),
        source=request.GET.get("source", "").strip(),
        year_from=_year(request.GET.get("year_from", "")),
        year_to=_year(request.GET.get("year_to", "")),
    )


def _chart_data(stats: dict[str, Any]) -> dict[str, Any]:
    """The statistics with root causes in the page's language, for the charts."""
    return {
        **stats,
        "by_root_cause": [
            {"value": root_cause_label(row["value"]), "count": row["count"]}
            for row in stats["by_root_cause"]
        ],
    }


@login_required
def intelligence_search(request: HttpRequest) -> HttpResponse:
    _viewer(request)
    get = request.GET
    context: dict[str, Any] = {
        "error": "",
        "found": None,
        "stats": None,
        "history_empty": not selectors.history_recorded(),
    }
    try:
        criteria = selectors.criteria_from(
            text=get.get("q", ""),
            product_code=get.get("product_code", ""),
            root_cause=get.get("root_cause", ""),
            firm=get.get("firm", ""),
        )
        if not criteria.empty:
            context["found"] = selectors.similar_recalls(criteria, limit=50)
        stats = selectors.recall_statistics(_filters(request, criteria))
        context["stats"] = stats
        context["chart_data"] = _chart_data(stats)
    except DomainError as refused:
        context["error"] = refused.message
    context["root_causes"] = [
        (cause, root_cause_label(cause)) for cause in selectors.root_causes_recorded()
    ]
    return render(request, "web/intelligence/search.html", context)


@login_required
def intelligence_record(request: HttpRequest, pk: int) -> HttpResponse:
    _viewer(request)
    try:
        record = selectors.public_recall_get(pk=pk)
    except NotFound as missing:
        raise Http404(missing.message) from missing
    return render(
        request,
        "web/intelligence/record.html",
        {"record": record, "root_cause": root_cause_label(record.root_cause)},
    )


@login_required
def recall_similar(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request)
    try:
        recall = recall_selectors.recall_get_for(viewer=viewer, pk=pk)
    except NotFound as missing:
        raise Http404(missing.message) from missing
    found = selectors.similar_to_case(recall, limit=20)
    return render(
        request,
        "web/intelligence/similar.html",
        {"recall": recall, "found": found, "history_empty": not selectors.history_recorded()},
    )
