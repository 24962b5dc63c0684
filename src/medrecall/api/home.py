"""The home page, the portfolio and the work queues through the API: the same selectors as the
pages (``reporting.portfolio``, ``reporting.queues``), paged with ``limit``/``offset``."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from medrecall.accounts.models import User
from medrecall.accounts.selectors import viewer_of
from medrecall.api.bounds import BoundedSerializer
from medrecall.core.errors import ValidationFailed
from medrecall.execution.selectors import work_order_list_for
from medrecall.notices.selectors import overdue_queue
from medrecall.reporting import portfolio as reports
from medrecall.reporting.queues import (
    OPEN_TASKS,
    QueueItems,
    Section,
    queue_for,
    queue_label,
    roles_with_queues,
)

from .pagination import PAGE_PARAMETERS, RowPage, page_of, paginated
from .recalls import DeadlineProgressSerializer

VIEW_RECALL = "recalls.view_recallcase"
DEADLINE_STATES = {"due": "due", "overdue": "overdue"}


def _staff(request: Request) -> User:
    """Staff who may see recalls; a portal user or a role without recalls is refused."""
    viewer = viewer_of(request)
    if viewer.party_id is not None or not viewer.has_perm(VIEW_RECALL):
        raise PermissionDenied
    return viewer


class SectionSerializer(BoundedSerializer):
    key = serializers.CharField()
    title = serializers.CharField()
    definition = serializers.CharField()
    count = serializers.IntegerField()


class QueueSummarySerializer(BoundedSerializer):
    role = serializers.CharField()
    title = serializers.CharField()
    count = serializers.IntegerField(help_text="Items in every section")
    sections = SectionSerializer(many=True)


class HomeSerializer(BoundedSerializer):
    open_recalls = serializers.IntegerField(help_text="Recalls not closed, terminated or cancelled")
    due_this_week = serializers.IntegerField(help_text="Deadlines not met due in seven days")
    overdue = serializers.IntegerField(help_text="Deadlines not met and breached")
    overdue_notices = serializers.IntegerField(
        allow_null=True, help_text="Notices in the overdue queue (null: not the viewer's to see)"
    )
    overdue_work_orders = serializers.IntegerField(
        allow_null=True, help_text="Work orders open past their due date (null: not the viewer's)"
    )
    queues = QueueSummarySerializer(many=True)


def _sections(sections: list[Section], counts: list[int]) -> list[dict[str, Any]]:
    return [
        {"key": s.key, "title": str(s.label), "definition": str(s.definition), "count": n}
        for s, n in zip(sections, counts, strict=True)
    ]


def _summaries(viewer: User) -> list[dict[str, Any]]:
    found = []
    for role in roles_with_queues(viewer):
        sections = queue_for(viewer=viewer, role=role)
        counts = [section.count() for section in sections]
        found.append(
            {
                "role": role,
                "title": queue_label(role),
                "count": sum(counts),
                "sections": _sections(sections, counts),
            }
        )
    return found


class HomeView(APIView):
    """The home page in figures: open recalls, deadlines due this week and overdue, the other
    overdue work, and the viewer's work queues with their counts."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["home"], responses=HomeSerializer)
    def get(self, request: Request) -> Response:
        viewer = _staff(request)
        due = reports.deadlines_due_for(viewer=viewer)
        now = timezone.now()
        body = {
            "open_recalls": reports.open_recalls_for(viewer=viewer).count(),
            "due_this_week": len(due.due),
            "overdue": len(due.overdue),
            "overdue_notices": overdue_queue(viewer=viewer, now=now).count()
            if viewer.has_perm("notices.view_notice")
            else None,
            "overdue_work_orders": work_order_list_for(viewer=viewer)
            .filter(Q(status__in=OPEN_TASKS), due_at__lt=now)
            .count()
            if viewer.has_perm("execution.view_workorder")
            else None,
            "queues": _summaries(viewer),
        }
        return Response(HomeSerializer(body).data)


class LevelSerializer(BoundedSerializer):
    regime = serializers.CharField()
    recall_class = serializers.CharField(help_text="Empty while not classified")


class NextDeadlineSerializer(DeadlineProgressSerializer):
    key = serializers.CharField()
    title = serializers.CharField()
    due_at = serializers.DateTimeField()
    status = serializers.CharField(help_text="open, due_soon or breached")
    legal = serializers.BooleanField(help_text="False: a company-policy target, not law")
    provisional = serializers.BooleanField()


class OpenRecallSerializer(BoundedSerializer):
    id = serializers.IntegerField(source="recall_id")
    number = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    levels = LevelSerializer(many=True)
    scope_frozen = serializers.SerializerMethodField()
    affected = serializers.SerializerMethodField()
    recovered = serializers.SerializerMethodField()
    percent_recovered = serializers.SerializerMethodField()
    next_deadline = NextDeadlineSerializer(allow_null=True)
    clock_missing = serializers.ListField(child=serializers.CharField())

    def get_scope_frozen(self, row: reports.OpenRecallRow) -> bool:
        return row.recovery is not None

    def get_affected(self, row: reports.OpenRecallRow) -> int | None:
        return row.recovery.affected if row.recovery else None

    def get_recovered(self, row: reports.OpenRecallRow) -> int | None:
        return row.recovery.recovered if row.recovery else None

    def get_percent_recovered(self, row: reports.OpenRecallRow) -> float | None:
        return row.recovery.percent if row.recovery else None


class OpenRecallsView(APIView):
    """The open recalls with their stage, level per regime, percent recovered and next
    deadline (null figures: no frozen scope yet)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["home"], responses=page_of(OpenRecallSerializer), parameters=PAGE_PARAMETERS
    )
    def get(self, request: Request) -> Response:
        viewer = _staff(request)
        pager = RowPage()
        page = pager.paginate_queryset(reports.open_recalls_for(viewer=viewer), request, view=self)
        rows = reports.open_recall_rows(page or [])
        return pager.get_paginated_response(OpenRecallSerializer(rows, many=True).data)


class DeadlineSerializer(DeadlineProgressSerializer):
    recall = serializers.CharField(source="recall_number")
    recall_id = serializers.IntegerField()
    key = serializers.CharField()
    title = serializers.CharField()
    due_at = serializers.DateTimeField()
    status = serializers.CharField()
    legal = serializers.BooleanField(help_text="False: a company-policy target, not law")
    provisional = serializers.BooleanField()
    provisional_note = serializers.CharField()


class HomeDeadlinesView(APIView):
    """Deadlines of open recalls not met: ``state=due`` (the default) those due in the next
    seven days, ``state=overdue`` those breached; earliest first."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["home"],
        responses=page_of(DeadlineSerializer),
        parameters=[
            OpenApiParameter(
                "state", str, enum=list(DEADLINE_STATES), description="due (default) or overdue"
            ),
            *PAGE_PARAMETERS,
        ],
    )
    def get(self, request: Request) -> Response:
        viewer = _staff(request)
        state = request.query_params.get("state", "due")
        if state not in DEADLINE_STATES:
            raise ValidationFailed(
                _("state must be due or overdue, not %(value)s.") % {"value": state},
                where="state",
            )
        due = reports.deadlines_due_for(viewer=viewer)
        return paginated(
            self, request, due.due if state == "due" else due.overdue, DeadlineSerializer
        )


class MonthSerializer(BoundedSerializer):
    month = serializers.CharField(help_text="YYYY-MM in the server's time zone")
    opened = serializers.IntegerField()
    completed = serializers.IntegerField()


class CauseSerializer(BoundedSerializer):
    cause = serializers.CharField()
    recalls = serializers.IntegerField()


class DaysSerializer(BoundedSerializer):
    count = serializers.IntegerField()
    median = serializers.FloatField(allow_null=True)
    mean = serializers.FloatField(allow_null=True)
    max = serializers.FloatField(allow_null=True)


class MonthDaysSerializer(BoundedSerializer):
    month = serializers.CharField()
    mean_days = serializers.FloatField()


class PortfolioSerializer(BoundedSerializer):
    per_month = MonthSerializer(many=True)
    root_cause_field = serializers.CharField(
        allow_null=True, help_text="null: recalls carry no root-cause field yet"
    )
    by_root_cause = CauseSerializer(many=True)
    days_from_decision_to_completion = DaysSerializer()
    days_per_month = MonthDaysSerializer(many=True)


class PortfolioView(APIView):
    """Recalls opened and completed per month, by root cause (when recalls have the field),
    and days from decision to completion (every recall but the cancelled)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["home"], responses=PortfolioSerializer)
    def get(self, request: Request) -> Response:
        figures = reports.portfolio_for(viewer=_staff(request))
        body = {
            "per_month": figures.per_month,
            "root_cause_field": figures.root_cause_field,
            "by_root_cause": [{"cause": c, "recalls": n} for c, n in figures.by_root_cause],
            "days_from_decision_to_completion": figures.days_summary,
            "days_per_month": [{"month": m, "mean_days": d} for m, d in figures.days_per_month],
        }
        return Response(PortfolioSerializer(body).data)


class ProductSerializer(BoundedSerializer):
    id = serializers.IntegerField()
    udi_di = serializers.CharField()
    model_code = serializers.CharField()
    name = serializers.CharField()
    recalls = serializers.IntegerField(source="recalls_count")
    open_recalls = serializers.IntegerField()


class PortfolioProductsView(APIView):
    """Device models named by recalls, with their recalls and open recalls; most recalled first."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["home"], responses=page_of(ProductSerializer), parameters=PAGE_PARAMETERS)
    def get(self, request: Request) -> Response:
        return paginated(
            self, request, reports.products_for(viewer=_staff(request)), ProductSerializer
        )


class QueueItemSerializer(BoundedSerializer):
    section = serializers.CharField()
    target = serializers.CharField(help_text="What the action opens: notice, letters, return, …")
    target_id = serializers.IntegerField()
    reference = serializers.CharField()
    subject = serializers.CharField()
    recall = serializers.CharField()
    recall_id = serializers.IntegerField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    state = serializers.CharField()
    state_label = serializers.CharField()
    overdue = serializers.BooleanField()
    policy = serializers.BooleanField(help_text="A company-policy deadline, not law")
    detail = serializers.CharField()
    action_url = serializers.CharField(help_text="The page where the item is done")


class QueuePageSerializer(BoundedSerializer):
    role = serializers.CharField()
    title = serializers.CharField()
    sections = SectionSerializer(many=True)
    count = serializers.IntegerField(help_text="Items in every section")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = QueueItemSerializer(many=True)


class QueueView(APIView):
    """One role's work queue: its sections with their definitions and counts, and one page of
    the items of every section in turn (404 for no such queue, 403 for a role not held)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["home"], responses=QueuePageSerializer, parameters=PAGE_PARAMETERS)
    def get(self, request: Request, role: str) -> Response:
        viewer = viewer_of(request)
        if viewer.party_id is not None:
            raise PermissionDenied
        sections = queue_for(viewer=viewer, role=role)
        items = QueueItems(sections)
        pager = RowPage()
        page = pager.paginate_queryset(items, request, view=self)
        body = {
            "role": role,
            "title": queue_label(role),
            "sections": _sections(sections, items.counts),
            "count": len(items),
            "next": pager.get_next_link(),
            "previous": pager.get_previous_link(),
            "results": page or [],
        }
        return Response(QueuePageSerializer(body).data)
