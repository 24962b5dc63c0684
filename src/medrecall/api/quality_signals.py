"""Early-warning endpoints: the signals (list, detail with the complaints behind each), their
status changes (review, dismiss with a reason, link to a CAPA or recall, reopen), a detection
run on demand and the thresholds in force. Staff roles read; the QA/RA role acts; a portal user
gets 403 (signals are the company's own analysis)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _l
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from medrecall.accounts.models import User
from medrecall.accounts.selectors import viewer_of
from medrecall.core.errors import ValidationFailed
from medrecall.quality import selectors, signal_services, signals
from medrecall.quality.models import Signal, SignalKind, SignalPolicy, SignalStatus
from medrecall.recalls.selectors import recall_numbered

from .bounds import BoundedSerializer
from .errors import named_in_body
from .pagination import PAGE_PARAMETERS, page_of, paginated

TAGS = ["quality"]
VIEW, ACT = "quality.view_signal", "quality.review_signal"


def _staff(request: Request, perm: str) -> User:
    """The staff viewer holding ``perm`` (``"a|b"``: either permission), or 403."""
    viewer = viewer_of(request)
    if viewer.party_id is not None or not any(viewer.has_perm(p) for p in perm.split("|")):
        raise PermissionDenied
    return viewer


class SignalSerializer(BoundedSerializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=SignalKind.values)
    status = serializers.ChoiceField(choices=SignalStatus.values)
    active = serializers.BooleanField()
    device_model = serializers.CharField(source="device_model.model_code")
    gtin = serializers.CharField(source="device_model.udi_di")
    lot = serializers.CharField(source="lot.number", allow_null=True, default=None)
    complaints_count = serializers.IntegerField()
    units = serializers.IntegerField()
    expected = serializers.FloatField()
    rate_per_1000 = serializers.FloatField()
    baseline_per_1000 = serializers.FloatField()
    ratio = serializers.FloatField(allow_null=True, help_text="null: no complaint on the baseline")
    p_value = serializers.FloatField()
    q_value = serializers.FloatField(help_text="Benjamini–Hochberg adjusted over the run's tests")
    since = serializers.DateField()
    window_start = serializers.DateField()
    window_end = serializers.DateField()
    first_detected_at = serializers.DateTimeField()
    last_detected_at = serializers.DateTimeField()
    dismissed_reason = serializers.CharField()
    capa = serializers.CharField(source="capa.number", allow_null=True, default=None)
    recall = serializers.CharField(source="recall.number", allow_null=True, default=None)
    explanation = serializers.SerializerMethodField()

    def get_explanation(self, signal: Signal) -> str:
        return signals.explain(signal)


class SignalComplaintSerializer(BoundedSerializer):
    id = serializers.IntegerField()
    number = serializers.CharField()
    aware_at = serializers.DateTimeField()
    lot = serializers.CharField(source="lot.number", allow_null=True, default=None)
    holder = serializers.CharField(source="holder.name", allow_null=True, default=None)
    holder_code = serializers.CharField(source="holder.code", allow_null=True, default=None)
    description = serializers.CharField()
    status = serializers.CharField()


class SignalHistorySerializer(BoundedSerializer):
    at = serializers.DateTimeField()
    by = serializers.CharField()
    code = serializers.CharField(help_text="the audit action, e.g. quality.signal_dismissed")
    action = serializers.CharField()
    status_from = serializers.CharField(source="from", allow_blank=True)
    status_to = serializers.CharField(source="to", allow_blank=True)
    reason = serializers.CharField(allow_blank=True)
    capa = serializers.CharField(allow_null=True)
    recall = serializers.CharField(allow_null=True)


class SignalDetailSerializer(SignalSerializer):
    complaints = SignalComplaintSerializer(many=True)
    actions = serializers.ListField(child=serializers.CharField())
    under_recall = serializers.ListField(
        child=serializers.CharField(),
        help_text="numbers of the recalls whose frozen scope already holds the lot",
    )
    exposure = serializers.CharField(help_text="what the units and the rate count, in words")
    history = SignalHistorySerializer(many=True)


def _detail(signal: Signal, viewer: User) -> dict[str, Any]:
    data = dict(SignalSerializer(signal).data)
    data["complaints"] = SignalComplaintSerializer(
        signal.complaints.select_related("lot", "holder").order_by("aware_at", "pk"), many=True
    ).data
    data["actions"] = signal_services.allowed_actions(signal)
    data["under_recall"] = [
        r.number for r in signals.recalls_of_signal(viewer=viewer, signal=signal)
    ]
    data["exposure"] = signals.exposure_text(signal)
    data["history"] = SignalHistorySerializer(signals.history(signal), many=True).data
    return data


def _active(text: str) -> bool | None:
    if text in ("", None):
        return None
    if text not in ("true", "false"):
        raise ValidationFailed("active: true or false.", where="active")
    return text == "true"


class SignalListView(APIView):
    """Signals, active first and most significant first (``?status=``, ``?kind=``, ``?active=``,
    ``?open=true``: active and still new or under review)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        responses=page_of(SignalSerializer),
        parameters=[
            *PAGE_PARAMETERS,
            OpenApiParameter("status", str, enum=SignalStatus.values),
            OpenApiParameter("kind", str, enum=SignalKind.values),
            OpenApiParameter(
                "active",
                str,
                enum=["true", "false"],
                description="the record's flag: the last detection run found it",
            ),
            OpenApiParameter(
                "open",
                str,
                enum=["true", "false"],
                description="true: active and still new or under review (what the signals "
                "page lists as active)",
            ),
        ],
    )
    def get(self, request: Request) -> Response:
        viewer = _staff(request, VIEW)
        status = request.query_params.get("status", "")
        kind = request.query_params.get("kind", "")
        if status and status not in SignalStatus.values:
            raise ValidationFailed(f"status: {status}?", where="status")
        if kind and kind not in SignalKind.values:
            raise ValidationFailed(f"kind: {kind}?", where="kind")
        rows = signals.signal_list_for(
            viewer=viewer,
            status=status,
            kind=kind,
            active=_active(request.query_params.get("active", "")),
            open_only=request.query_params.get("open", "") == "true",
        )
        return paginated(self, request, rows, SignalSerializer)


class SignalDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS, responses=SignalDetailSerializer, operation_id="quality_signal_retrieve"
    )
    def get(self, request: Request, pk: int) -> Response:
        viewer = _staff(request, VIEW)
        return Response(_detail(signals.signal_get_for(viewer=viewer, pk=pk), viewer))


class SignalActionInput(BoundedSerializer):
    labels_from = Signal

    reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=2000, label=_l("Reason")
    )
    capa = serializers.CharField(required=False, allow_blank=True, default="", max_length=40)
    recall = serializers.CharField(required=False, allow_blank=True, default="", max_length=40)


class SignalActionView(APIView):
    """A status change: ``review``, ``dismiss`` (``reason``), ``link`` (``capa`` and/or
    ``recall`` by number), ``reopen`` (``reason``). Refused (409) when the status does not
    allow it; nothing changes."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, request=SignalActionInput, responses=SignalDetailSerializer)
    def post(self, request: Request, pk: int, action: str) -> Response:
        viewer = _staff(request, ACT)
        signal = signals.signal_get_for(viewer=viewer, pk=pk)
        payload = SignalActionInput(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        if action == "review":
            signal = signal_services.signal_review(signal=signal, actor=viewer)
        elif action == "dismiss":
            signal = signal_services.signal_dismiss(
                signal=signal, actor=viewer, reason=data["reason"]
            )
        elif action == "reopen":
            signal = signal_services.signal_reopen(
                signal=signal, actor=viewer, reason=data["reason"]
            )
        else:  # link: the URL only admits the four actions
            capa = data["capa"] and named_in_body(
                lambda: selectors.capa_numbered_for(viewer=viewer, number=data["capa"])
            )
            recall = data["recall"] and named_in_body(
                lambda: recall_numbered(number=data["recall"])
            )
            signal = signal_services.signal_link(
                signal=signal, actor=viewer, capa=capa or None, recall=recall or None
            )
        return Response(_detail(signal, viewer))


class DetectionSerializer(BoundedSerializer):
    as_of = serializers.DateField()
    raised = serializers.IntegerField()
    active = serializers.IntegerField()
    quietened = serializers.IntegerField()
    lots = serializers.IntegerField()


class SignalDetectView(APIView):
    """Run the detection now over every lot and device model (also run on a schedule)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, request=None, responses=DetectionSerializer)
    def post(self, request: Request) -> Response:
        viewer = _staff(request, ACT)
        return Response(signal_services.signals_detect(actor=viewer).as_dict())


class PolicySerializer(BoundedSerializer):
    min_complaints = serializers.IntegerField()
    significance = serializers.DecimalField(max_digits=5, decimal_places=4)
    min_units = serializers.IntegerField()
    min_ratio = serializers.DecimalField(max_digits=6, decimal_places=2)
    window_weeks = serializers.IntegerField()
    recent_weeks = serializers.IntegerField()
    cluster_days = serializers.IntegerField()
    min_holders = serializers.IntegerField()
    prior_complaints = serializers.DecimalField(max_digits=5, decimal_places=2)
    description = serializers.CharField()


class PolicyChangeSerializer(BoundedSerializer):
    """The thresholds to change (any of them); the ranges are the policy's own (400
    ``signal_invalid`` naming the field)."""

    labels_from = SignalPolicy

    min_complaints = serializers.IntegerField(required=False)
    significance = serializers.DecimalField(max_digits=5, decimal_places=4, required=False)
    min_units = serializers.IntegerField(required=False)
    min_ratio = serializers.DecimalField(max_digits=6, decimal_places=2, required=False)
    window_weeks = serializers.IntegerField(required=False)
    recent_weeks = serializers.IntegerField(required=False)
    cluster_days = serializers.IntegerField(required=False)
    min_holders = serializers.IntegerField(required=False)
    prior_complaints = serializers.DecimalField(max_digits=5, decimal_places=2, required=False)


def _policy_answer() -> dict[str, Any]:
    policy = signals.policy()
    data: dict[str, Any] = {name: getattr(policy, name) for name in signal_services.POLICY_FIELDS}
    data["description"] = signals.thresholds_text(signals.Thresholds.of(policy))
    return dict(PolicySerializer(data).data)


class SignalPolicyView(APIView):
    """The thresholds in force: staff who read signals, and the administrators who change the
    thresholds (here or in the admin)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, responses=PolicySerializer)
    def get(self, request: Request) -> Response:
        _staff(request, f"{VIEW}|quality.view_signalpolicy")
        return Response(_policy_answer())

    @extend_schema(tags=TAGS, request=PolicyChangeSerializer, responses=PolicySerializer)
    def patch(self, request: Request) -> Response:
        viewer = _staff(request, "quality.change_signalpolicy")
        payload = PolicyChangeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        signal_services.signal_policy_update(actor=viewer, **payload.validated_data)
        return Response(_policy_answer())
