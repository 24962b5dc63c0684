"""The home page (across recalls for the recall roles, the master-data counts for those who keep
the data), the portfolio page and the work queue of each role."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.accounts.selectors import viewer_of
from medrecall.core.errors import DomainError, NotFound
from medrecall.execution.lifecycle import ReturnStatus
from medrecall.execution.selectors import return_list_for, work_order_list_for
from medrecall.notices import relations
from medrecall.notices.models import Kind
from medrecall.notices.selectors import notice_list_for, offer_get_for, overdue_queue
from medrecall.quality.selectors import complaint_list_for
from medrecall.reporting import portfolio as reports
from medrecall.reporting.errors import QueueNotYours
from medrecall.reporting.kept import keep_seconds, kept, noting_stale, recall_stamps
from medrecall.reporting.queues import (
    OPEN_TASKS,
    QueueItem,
    Section,
    kept_queue_counts,
    queue_for,
    queue_label,
)

from .masterdata import ENTITIES
from .paging import Paged, paged

VIEW_RECALL = "recalls.view_recallcase"
# The roles that keep the master data see its counts on the home page.
MASTER_DATA_ROLES = (Role.TRACEABILITY_ANALYST, Role.ADMINISTRATOR)
HOME_PAGE_SIZE = 20


def _recall_roles(user: User) -> bool:
    """Staff who may see recalls: the home page shows them where every recall stands."""
    return user.party_id is None and user.has_perm(VIEW_RECALL)


def _counts_shown(user: User) -> bool:
    if user.party_id is not None:
        return False  # a portal user keeps no master data: their own party's work instead
    if not _recall_roles(user) or user.is_superuser:
        return True
    return user.groups.filter(name__in=MASTER_DATA_ROLES).exists()


def _master_data_counts(user: User, stamp: int) -> list[dict[str, Any]]:
    """Each master-data list the user may see with its number of records (kept until something
    is audited, like the cockpit's figures: ``reporting.kept``)."""
    shown = [entity for entity in ENTITIES.values() if user.has_perm(entity.perm("view"))]

    def counted() -> list[int]:
        return [entity.list_selector(viewer=user).count() for entity in shown]

    slugs = ",".join(entity.slug for entity in shown)
    counts = kept(f"home:master-data:{user.pk}:{slugs}", counted, stamp=stamp)
    return [{"entity": entity, "count": count} for entity, count in zip(shown, counts, strict=True)]


def queue_summaries(user: User, stamp: int) -> list[dict[str, Any]]:
    """Each of the user's queues with the number of items in each section (one count each,
    kept until something is audited: ``reporting.queues.kept_queue_counts``)."""
    summaries = []
    for role, sections in kept_queue_counts(user, stamp=stamp).items():
        summaries.append(
            {
                "role": role,
                "label": queue_label(role),
                "url": reverse("web:queue", kwargs={"role": role}),
                "sections": [(section, section.count) for section in sections],
                "total": sum(section.count for section in sections),
            }
        )
    return summaries


def _overdue_elsewhere(user: User, stamp: int) -> dict[str, int | None]:
    """``_overdue_now`` kept until something is audited (``reporting.kept``)."""
    sees = "".join(
        str(int(user.has_perm(perm)))
        for perm in ("notices.view_notice", "execution.view_workorder")
    )
    return kept(f"home:overdue:{user.pk}:{sees}", lambda: _overdue_now(user), stamp=stamp)


def _overdue_now(user: User) -> dict[str, int | None]:
    """How many notices wait in the customer-service overdue queue and how many work orders are
    past due: the parts of "overdue" that are not deadlines (None: not the user's to see)."""
    now = timezone.now()
    return {
        "notices": overdue_queue(viewer=user, now=now).count()
        if user.has_perm("notices.view_notice")
        else None,
        "work_orders": work_order_list_for(viewer=user)
        .filter(Q(status__in=OPEN_TASKS), due_at__lt=now)
        .count()
        if user.has_perm("execution.view_workorder")
        else None,
    }


def _across_recalls(
    request: HttpRequest, user: User, stamp: int, recall_stamp: Callable[[int], int] | None
) -> dict[str, Any]:
    recalls = paged(
        request, reports.open_recalls_for(viewer=user), param="recalls", per_page=HOME_PAGE_SIZE
    )
    due = reports.deadlines_due_for(viewer=user, stamp=stamp if stamp else None)
    return {
        "recalls": recalls,
        "recall_rows": reports.open_recall_rows(list(recalls), stamp=recall_stamp),
        "due": paged(request, due.due, param="due", per_page=HOME_PAGE_SIZE),
        "overdue": paged(request, due.overdue, param="overdue", per_page=HOME_PAGE_SIZE),
        "clock_problems": due.problems,
        "overdue_elsewhere": _overdue_elsewhere(user, stamp),
        "queues": queue_summaries(user, stamp),
    }


PORTAL_SHOWN = 10  # rows of each portal list on the home page (each links to its full list)


def _portal_home(user: User) -> dict[str, Any]:
    """A portal user's day: their party's notices still to answer, their complaints and their
    returns (the selectors scope every list to the user's party), the first rows of each with
    its count."""
    to_answer = notice_list_for(viewer=user).filter(
        kind__in=(Kind.INITIAL, Kind.REMINDER), sequence=1, replied_at__isnull=True
    )
    complaints = (
        complaint_list_for(viewer=user).select_related(None).only("number", "status", "aware_at")
        if user.has_perm("quality.view_complaint")
        else None
    )
    returns = (
        return_list_for(viewer=user)
        .select_related("recall")
        .prefetch_related(None)
        .exclude(status__in=(ReturnStatus.CANCELLED,))
        .order_by("-created_at", "-pk")
    )
    return {
        "portal_notices": list(to_answer.order_by("reply_due_at", "pk")[:PORTAL_SHOWN]),
        "portal_notices_count": to_answer.count(),
        "portal_complaints": None if complaints is None else list(complaints[:PORTAL_SHOWN]),
        "portal_complaints_count": None if complaints is None else complaints.count(),
        "portal_returns": list(returns[:PORTAL_SHOWN]),
        "portal_returns_count": returns.count(),
    }


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """What a person starts the day with: for the recall roles, every open recall at a glance,
    what falls due this week, what is overdue and their work queues; for the traceability
    analyst and the administrator the master data they keep; for a portal user their own
    party's notices to answer, complaints and returns."""
    from medrecall.recalls.deadlines import alerts_for

    user = viewer_of(request)
    # The figures kept on this page are read under one audit stamp, each recall's under its own
    # (``reporting.kept.recall_stamps``; none when nothing is kept). While another request
    # counts them afresh, the previous figures are shown, as of the time they were counted.
    stamps = recall_stamps() if keep_seconds() > 0 else None
    stamp = stamps.latest if stamps else 0
    with noting_stale() as stale:
        context: dict[str, Any] = {
            "counts": _master_data_counts(user, stamp) if _counts_shown(user) else [],
            "alerts": alerts_for(user) if user.party_id is None else [],
        }
        if _recall_roles(user):
            context.update(_across_recalls(request, user, stamp, stamps.of if stamps else None))
        if user.party_id is not None:
            context.update(_portal_home(user))
    context["figures_as_of"] = stale.as_of
    return render(request, "web/home/index.html", context)


def _staff_with(request: HttpRequest, permission: str) -> User:
    user = viewer_of(request)
    if user.party_id is not None:
        raise Http404
    if not user.has_perm(permission):
        raise PermissionDenied
    return user


@login_required
def portfolio(request: HttpRequest) -> HttpResponse:
    user = _staff_with(request, VIEW_RECALL)
    figures = reports.portfolio_for(viewer=user)
    chart = {
        "months": [m.month for m in figures.per_month],
        "opened": [m.opened for m in figures.per_month],
        "completed": [m.completed for m in figures.per_month],
        "days_months": [month for month, _days in figures.days_per_month],
        "days": [days for _month, days in figures.days_per_month],
        "labels": {
            "opened": _("Recalls opened"),
            "completed": _("Recalls completed"),
            "days": _("Mean days"),
        },
    }
    products = paged(request, reports.products_for(viewer=user), param="products")
    return render(
        request,
        "web/home/portfolio.html",
        {
            "figures": figures,
            "summary": figures.days_summary,
            "months": paged(request, figures.per_month[::-1], param="months"),
            "products": products,
            "product_chart": {
                "names": [str(model) for model in products],
                "recalls": [model.recalls_count for model in products],
                "open": [model.open_recalls for model in products],
                "labels": {"recalls": _("Recalls"), "open": _("Open recalls")},
            },
            "completions": paged(request, figures.completions, param="completed"),
            "chart": chart,
        },
    )


def _section_page(request: HttpRequest, section: Section) -> dict[str, Any]:
    rows: Paged = paged(request, section.rows, param=section.key)
    items: list[QueueItem] = section.to_items(list(rows))
    return {"section": section, "paged": rows, "items": items}


@login_required
def queue(request: HttpRequest, role: str) -> HttpResponse:
    """One role's work queue: each section paged on its own, each item a link to its action."""
    user = viewer_of(request)
    if user.party_id is not None:
        raise Http404
    try:
        sections = queue_for(viewer=user, role=role)
    except QueueNotYours as refused:
        raise PermissionDenied(refused.message) from refused
    except NotFound as missing:
        raise Http404(missing.message) from missing
    return render(
        request,
        "web/home/queue.html",
        {
            "role": role,
            "label": queue_label(role),
            "sections": [_section_page(request, section) for section in sections],
        },
    )


@login_required
@require_POST
def queue_offer_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve or reject an offer from the finance queue, and come back to the queue."""
    user = _staff_with(request, "notices.approve_offer")
    try:
        offer = offer_get_for(viewer=user, pk=pk)
    except NotFound as missing:
        raise Http404(missing.message) from missing
    try:
        decided = relations.offer_decide(
            offer=offer,
            approve=request.POST.get("decision") == "approve",
            actor=user,
            note=request.POST.get("note", ""),
        )
    except DomainError as refused:
        messages.error(request, refused.message)
    else:
        messages.success(
            request,
            _("Offer to %(holder)s (%(recall)s) is now: %(status)s.")
            % {
                "holder": offer.party.name,
                "recall": offer.recall.number,
                "status": decided.get_status_display(),
            },
        )
    return redirect("web:queue", role=Role.FINANCE)
