"""Finance endpoints for budgets and reports: a recall's budget (get, set), forecast, cost
report and budget alerts; the cross-recall report and the ledger summed by category, region or
vendor. Finance sets budgets (``finance.change_recallbudget``); roles that read the ledger read
the rest; portal users are refused (403). One small view per operation."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from medrecall.accounts.selectors import viewer_of
from medrecall.api.bounds import BoundedSerializer
from medrecall.core.errors import NotFound, ValidationFailed
from medrecall.execution.lifecycle import DispositionKind
from medrecall.execution.models import ServiceProvider
from medrecall.finance import alerts, budgets, reports
from medrecall.finance.forecast import recall_forecast
from medrecall.finance.models import CostCategory
from medrecall.finance.models_budget import BudgetAlert
from medrecall.recalls.lifecycle import Status
from medrecall.recalls.models import RecallCase
from medrecall.recalls.selectors import recall_get_for

from .errors import named_in_body
from .pagination import PAGE_PARAMETERS, page_of, paginated

VIEW_BUDGET = "finance.view_recallbudget"
VIEW_COSTS = "finance.view_costentry"
TAGS = ["finance"]


def _recall(request: Request, pk: int, perm: str) -> RecallCase:
    viewer = viewer_of(request)
    if viewer.party_id is not None or not viewer.has_perm(perm):
        raise PermissionDenied
    return recall_get_for(viewer=viewer, pk=pk)


def _viewer(request: Request, perm: str) -> Any:
    viewer = viewer_of(request)
    if viewer.party_id is not None or not viewer.has_perm(perm):
        raise PermissionDenied
    return viewer


class BudgetInSerializer(BoundedSerializer):
    total = serializers.CharField(help_text="Company currency, e.g. 50000.00")
    lines = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        required=False,
        default=dict,
        help_text=f"Amount per cost category ({', '.join(CostCategory.values)})",
    )
    planned_disposition = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text=f"For units without a disposition: {', '.join(DispositionKind.values)} or blank",
    )
    planned_provider = serializers.IntegerField(required=False, allow_null=True, default=None)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class BudgetView(APIView):
    """The recall's budget with its actual cost and forecast (GET); set or change it (PUT)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, pk: int) -> Response:
        recall = _recall(request, pk, VIEW_BUDGET)
        return Response(budgets.budget_summary(recall))

    @extend_schema(tags=TAGS, request=BudgetInSerializer, responses=OpenApiTypes.OBJECT)
    def put(self, request: Request, pk: int) -> Response:
        recall = _recall(request, pk, VIEW_BUDGET)
        if not budgets.may_set_budget(viewer_of(request), recall):
            raise PermissionDenied
        payload = BudgetInSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        provider = None
        if data["planned_provider"] is not None:
            provider = named_in_body(lambda: _provider(data["planned_provider"]))
        budgets.budget_set(
            actor=viewer_of(request),
            recall=recall,
            total=data["total"],
            lines=data["lines"],
            planned_disposition=data["planned_disposition"],
            planned_provider=provider,
            reason=data["reason"],
        )
        return Response(budgets.budget_summary(recall))


def _provider(pk: int) -> ServiceProvider:
    found = ServiceProvider.objects.filter(pk=pk).first()
    if found is None:
        raise NotFound(
            _("There is no service provider %(id)s.") % {"id": pk}, where="planned_provider"
        )
    return found


class ForecastView(APIView):
    """What the recall has cost and what remains, each term priced or named as unknown."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, pk: int) -> Response:
        return Response(recall_forecast(_recall(request, pk, VIEW_BUDGET)).as_dict())


class RecallReportView(APIView):
    """The recall's costs per category (budget, actual, forecast), region and vendor, per unit."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, pk: int) -> Response:
        return Response(reports.recall_report(_recall(request, pk, VIEW_COSTS)).as_dict())


class AlertSerializer(serializers.ModelSerializer[BudgetAlert]):
    class Meta:
        model = BudgetAlert
        fields = [
            "kind",
            "threshold",
            "budget_version",
            "budget",
            "amount",
            "currency",
            "raised_at",
            "mailed_at",
        ]


class AlertsView(APIView):
    """The recall's budget alerts, newest first."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, responses=page_of(AlertSerializer), parameters=PAGE_PARAMETERS)
    def get(self, request: Request, pk: int) -> Response:
        recall = _recall(request, pk, VIEW_BUDGET)
        return paginated(self, request, alerts.alerts_of(recall), AlertSerializer)


class RecallCostSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    recall = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    units = serializers.IntegerField()
    budget = serializers.CharField(allow_null=True)
    actual = serializers.CharField()
    actual_per_unit = serializers.CharField(allow_null=True)
    actual_percent = serializers.CharField(allow_null=True)

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return super().to_representation(reports.recall_row(instance))


class RecallCostsView(APIView):
    """Every visible recall's budget, actual cost and units (``?status=`` filters)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        responses=page_of(RecallCostSerializer),
        parameters=[
            *PAGE_PARAMETERS,
            OpenApiParameter("status", str, enum=Status.values, required=False),
        ],
    )
    def get(self, request: Request) -> Response:
        viewer = _viewer(request, VIEW_COSTS)
        status = request.query_params.get("status", "")
        rows = reports.recalls_costs_for(
            viewer=viewer, status=status if status in Status.values else ""
        )
        return paginated(self, request, rows, RecallCostSerializer)


class CostsByView(APIView):
    """Every visible recall's ledger summed by category, region or vendor."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        responses=OpenApiTypes.OBJECT,
        parameters=[OpenApiParameter("by", str, OpenApiParameter.PATH, enum=list(reports.BY))],
    )
    def get(self, request: Request, by: str) -> Response:
        viewer = _viewer(request, VIEW_COSTS)
        if by not in reports.BY:
            raise ValidationFailed(
                _("Choose one of %(choices)s.") % {"choices": ", ".join(reports.BY)}, where="by"
            )
        return Response(
            {
                "by": by,
                "currency": reports.company_currency(),
                "groups": [g.as_dict() for g in reports.costs_by(viewer=viewer).by(by)],
            }
        )
