"""Public recall history endpoints: similar recalls by criteria or for a recall case,
statistics, one record. Staff with ``intelligence.view_publicrecall``; portal users never.
Imports go through ``POST /api/imports/start/`` (kinds ``fda-recalls``, ``fda-enforcement``)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from medrecall.accounts.selectors import viewer_of
from medrecall.api.bounds import BoundedModelSerializer, BoundedSerializer, query_int
from medrecall.intelligence import selectors
from medrecall.intelligence.glossary import root_cause_label
from medrecall.intelligence.models import PublicRecall
from medrecall.recalls import selectors as recall_selectors


class PublicRecallSerializer(BoundedModelSerializer[PublicRecall]):
    root_cause_label = serializers.SerializerMethodField()

    class Meta:
        model = PublicRecall
        fields = [
            "id", "source", "key", "recall_number", "event_number", "status", "recall_class",
            "device_class", "firm", "city", "state", "postal_code", "country", "product_code",
            "device_name", "product_description", "reason", "root_cause", "root_cause_label",
            "action", "initiated_on", "posted_on", "classified_on", "terminated_on",
            "days_open", "quantity_text", "quantity", "quantity_unit", "code_info", "codes",
            "code_info_parsed", "distribution_text", "nationwide", "worldwide", "states",
            "countries", "k_numbers",
        ]  # fmt: skip
        read_only_fields = fields

    def get_root_cause_label(self, record: PublicRecall) -> str:
        return root_cause_label(record.root_cause)


class SimilarRecallSerializer(BoundedSerializer):
    score = serializers.FloatField()
    matched = serializers.ListField(
        child=serializers.CharField(),
        help_text="What the record shares: text, product_code, root_cause, firm, k_number, model",
    )
    record = PublicRecallSerializer()


class SimilarResultSerializer(BoundedSerializer):
    words = serializers.ListField(child=serializers.CharField(), help_text="English words searched")
    root_causes = serializers.ListField(child=serializers.CharField())
    unknown = serializers.ListField(
        child=serializers.CharField(), help_text="Chinese words the glossary does not know"
    )
    results = SimilarRecallSerializer(many=True)


class CountSerializer(BoundedSerializer):
    value = serializers.CharField()
    count = serializers.IntegerField()


class BucketSerializer(BoundedSerializer):
    to = serializers.IntegerField(allow_null=True)
    count = serializers.IntegerField()

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields["from"] = serializers.IntegerField()
        return fields


class DurationSerializer(BoundedSerializer):
    terminated = serializers.IntegerField()
    average_days = serializers.FloatField(allow_null=True)
    median_days = serializers.IntegerField(allow_null=True)
    buckets = BucketSerializer(many=True)


class QuantitySerializer(BoundedSerializer):
    with_quantity = serializers.IntegerField()
    total = serializers.IntegerField(min_value=0, max_value=2**63 - 1)
    median = serializers.IntegerField(allow_null=True, min_value=0, max_value=2**63 - 1)
    buckets = BucketSerializer(many=True)


class YearDatesSerializer(BoundedSerializer):
    initiated = serializers.IntegerField(help_text="records counted by their initiation date")
    classified = serializers.IntegerField(
        help_text="without one: by the center classification (enforcement) or creation "
        "(recall) date"
    )
    posted = serializers.IntegerField(help_text="without either: by the report or posting date")
    undated = serializers.IntegerField(help_text="records with no date: not in by_year")


class StatisticsSerializer(BoundedSerializer):
    records = serializers.IntegerField()
    by_root_cause = CountSerializer(many=True)
    by_recall_class = CountSerializer(many=True)
    by_device_class = CountSerializer(many=True)
    by_year = CountSerializer(many=True)
    year_dates = YearDatesSerializer()
    duration = DurationSerializer()
    quantity = QuantitySerializer()
    code_info_unread = serializers.IntegerField()


def _viewer(request: Request) -> Any:
    viewer = viewer_of(request)
    if not selectors.can_view(viewer):
        raise PermissionDenied
    return viewer


def _result(found: selectors.SimilarResult) -> dict[str, Any]:
    return {
        "words": found.read.words,
        "root_causes": list(found.criteria.root_causes),
        "unknown": found.read.unknown,
        "results": [
            {"score": item.score, "matched": list(item.matched), "record": item.record}
            for item in found.results
        ],
    }


CRITERIA = [
    OpenApiParameter("q", str, description="Words of the reason, English or Chinese"),
    OpenApiParameter("product_code", str, description="FDA product codes, comma-separated"),
    OpenApiParameter("root_cause", str, description="FDA root cause, as openFDA writes it"),
    OpenApiParameter("firm", str, description="Recalling firm"),
]
LIMIT = OpenApiParameter("limit", int, description="At most this many results (1-100, 20)")
FILTERS = [
    OpenApiParameter("product_code", str, description="FDA product codes, comma-separated"),
    OpenApiParameter("root_cause", str, description="FDA root cause, as openFDA writes it"),
    OpenApiParameter("firm", str, description="Recalling firm"),
    OpenApiParameter("source", str, enum=["recall", "enforcement"]),
    OpenApiParameter("year_from", int, description="Initiated in this year or later"),
    OpenApiParameter("year_to", int, description="Initiated in this year or earlier"),
]


def _limit(request: Request) -> int:
    return query_int(request, "limit", (1, selectors.MAX_RESULTS)) or 20


class SimilarRecallsView(APIView):
    """Public recalls similar to the criteria (at least one), best first."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["intelligence"], parameters=[*CRITERIA, LIMIT], responses=SimilarResultSerializer
    )
    def get(self, request: Request) -> Response:
        _viewer(request)
        params = request.query_params
        criteria = selectors.criteria_from(
            text=params.get("q", ""),
            product_code=params.get("product_code", ""),
            root_cause=params.get("root_cause", ""),
            firm=params.get("firm", ""),
        )
        found = selectors.similar_recalls(criteria, limit=_limit(request))
        return Response(SimilarResultSerializer(_result(found)).data)


class StatisticsView(APIView):
    """Counts by root cause, class and year; days to termination and quantities in buckets."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["intelligence"], parameters=FILTERS, responses=StatisticsSerializer)
    def get(self, request: Request) -> Response:
        _viewer(request)
        params = request.query_params
        filters = selectors.Filters(
            product_codes=selectors.criteria_from(
                product_code=params.get("product_code", "")
            ).product_codes,
            root_cause=params.get("root_cause", "").strip(),
            firm=params.get("firm", "").strip(),
            source=params.get("source", "").strip(),
            year_from=query_int(request, "year_from", (1900, 2100)),
            year_to=query_int(request, "year_to", (1900, 2100)),
        )
        stats = selectors.recall_statistics(filters)
        return Response(StatisticsSerializer(stats).data)


class PublicRecallDetailView(APIView):
    """One public recall record with everything parsed from its free text."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["intelligence"], responses=PublicRecallSerializer)
    def get(self, request: Request, pk: int) -> Response:
        _viewer(request)
        return Response(PublicRecallSerializer(selectors.public_recall_get(pk=pk)).data)


class RecallSimilarView(APIView):
    """Public recalls like one of our recall cases: what they covered and how long they took."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["intelligence"], parameters=[LIMIT], responses=SimilarResultSerializer)
    def get(self, request: Request, pk: int) -> Response:
        viewer = _viewer(request)
        recall = recall_selectors.recall_get_for(viewer=viewer, pk=pk)
        found = selectors.similar_to_case(recall, limit=_limit(request))
        return Response(SimilarResultSerializer(_result(found)).data)
