"""Where a recall stands (``GET /api/recalls/{id}/progress/``): the cockpit's figures from
``reporting.progress``, the same numbers as the page, its exports and ``medrecall recall
progress``. Staff only: a portal user is refused (403)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from medrecall.accounts.selectors import viewer_of
from medrecall.api.bounds import BoundedSerializer
from medrecall.recalls import selectors
from medrecall.reporting.cost import cost_for
from medrecall.reporting.kept import keep_seconds, recall_stamp
from medrecall.reporting.progress import page_progress

from .recalls import DeadlineProgressSerializer


class MissingSerializer(BoundedSerializer):
    code = serializers.CharField()
    message = serializers.CharField()


class ScopeSerializer(BoundedSerializer):
    snapshot = serializers.IntegerField()
    frozen_at = serializers.DateTimeField(allow_null=True)
    units = serializers.IntegerField()
    holders = serializers.IntegerField()


class StageSerializer(BoundedSerializer):
    stage = serializers.ChoiceField(
        choices=[
            "affected",
            "sent",
            "notified",
            "delivered",
            "acknowledged",
            "recovered",
            "dispositioned",
        ],
        help_text="sent: a notice at least sent (or notified); notified: the holder has the "
        "notice (a notice delivered, opened, acknowledged or replied to, its reply, or a call "
        "logged); delivered and acknowledged count among the notified.",
    )
    units = serializers.IntegerField()
    holders = serializers.IntegerField(allow_null=True)
    units_percent = serializers.FloatField()
    holders_percent = serializers.FloatField(allow_null=True)


class GroupSerializer(BoundedSerializer):
    key = serializers.CharField(help_text="ISO country or province code, holder type, echelon")
    units = serializers.IntegerField(help_text="units at holders at the freeze (frozen scope)")
    still_at_holders = serializers.IntegerField(
        allow_null=True,
        help_text="units still at holders now (on hand, not corrected on site), as "
        "still_at_holders counts them; null for an echelon (a line's, at the freeze)",
    )
    holders = serializers.IntegerField()
    acknowledged = serializers.IntegerField(help_text="holders acknowledged or replied")


class DaySerializer(BoundedSerializer):
    day = serializers.DateField()
    units = serializers.IntegerField()


class ProgressDeadlineSerializer(DeadlineProgressSerializer):
    key = serializers.CharField()
    title = serializers.CharField()
    due_at = serializers.DateTimeField()
    status = serializers.CharField()


class DeadlinesSerializer(BoundedSerializer):
    overdue = ProgressDeadlineSerializer(many=True)
    next = ProgressDeadlineSerializer(
        many=True, help_text="the next deadlines not done (five at most)"
    )
    clock_missing = serializers.ListField(child=serializers.CharField())
    suggested_progress_interval_days = serializers.IntegerField(
        allow_null=True,
        help_text="the NMPA progress-report cadence (days) the deadlines are listed with while "
        "the case stores none: the suggestion for its level (company policy); null otherwise",
    )


class CostMissingSerializer(BoundedSerializer):
    code = serializers.ChoiceField(choices=["no_budget"])
    message = serializers.CharField()


class CostSerializer(BoundedSerializer):
    currency = serializers.CharField(help_text="the company currency (ISO 4217)")
    actual = serializers.DecimalField(
        max_digits=20, decimal_places=2, help_text="posted in the recall's ledger"
    )
    forecast = serializers.DecimalField(
        max_digits=20, decimal_places=2, help_text="actual plus what remains, priced"
    )
    forecast_complete = serializers.BooleanField(
        help_text="false when some remaining costs have no price yet"
    )
    budget = serializers.DecimalField(max_digits=20, decimal_places=2, allow_null=True)
    percent_used = serializers.DecimalField(
        max_digits=12,
        decimal_places=1,
        allow_null=True,
        help_text="actual as a percentage of the budget; null without a budget",
    )
    forecast_percent = serializers.DecimalField(max_digits=12, decimal_places=1, allow_null=True)
    forecast_over_budget = serializers.BooleanField(
        allow_null=True, help_text="the forecast exceeds the budget; null without a budget"
    )
    missing = CostMissingSerializer(
        allow_null=True, help_text="what is missing to measure the cost (no budget yet)"
    )


class ProgressSerializer(BoundedSerializer):
    recall = serializers.CharField()
    status = serializers.CharField()
    computed_at = serializers.DateTimeField()
    missing = MissingSerializer(many=True)
    scope = ScopeSerializer(allow_null=True)
    funnel = StageSerializer(many=True)
    accounting = serializers.DictField(child=serializers.IntegerField())
    still_at_holders = serializers.IntegerField()
    by_country = GroupSerializer(many=True)
    by_province = GroupSerializer(many=True)
    by_party_type = GroupSerializer(many=True)
    by_echelon = GroupSerializer(many=True)
    approved_on = serializers.DateField(allow_null=True)
    burn_down = DaySerializer(many=True)
    silent_holders = serializers.IntegerField()
    open_returns = serializers.IntegerField()
    open_work_orders = serializers.IntegerField()
    overdue_work_orders = serializers.IntegerField()
    deadlines = DeadlinesSerializer()
    cost = CostSerializer(
        allow_null=True,
        help_text="cost against budget (finance's figures); null for a reader who may not "
        "read finance (finance.view_costentry and finance.view_recallbudget)",
    )


class ProgressView(APIView):
    """The recall's funnel (units and holders, as shares of the frozen scope), its figures by
    region, holder type and echelon, the burn-down since approval and its open work."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["recalls"], responses=ProgressSerializer)
    def get(self, request: Request, pk: int) -> Response:
        viewer = viewer_of(request)
        if viewer.party_id is not None or not viewer.has_perm("recalls.view_recallcase"):
            raise PermissionDenied
        recall = selectors.recall_get_for(viewer=viewer, pk=pk)
        # The figures, deadlines and cost kept are read under the recall's own audit stamp.
        stamp = recall_stamp(recall.pk) if keep_seconds() > 0 else None
        body: dict[str, Any] = page_progress(recall, stamp=stamp).as_dict()
        cost = cost_for(recall, viewer, stamp=stamp)
        body["cost"] = None if cost is None else cost.as_dict()
        return Response(body)
