"""The EU field safety notice gate of a recall (``/api/recalls/{id}/fsn-gate/``): where it
stands (GET) and the urgent override (POST, signed with the password). One service or
selector per call; QA/RA sign (``filings.change_filing``), other staff read, portal users get
404 as for the recall itself."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from medrecall.accounts.selectors import viewer_of
from medrecall.api.bounds import BoundedSerializer
from medrecall.core.errors import NotFound
from medrecall.notices import fsn
from medrecall.recalls import selectors as recall_selectors
from medrecall.recalls.models import RecallCase

CHANGE = "filings.change_filing"


class _Record(serializers.Serializer[Any]):
    authority = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    reference = serializers.CharField()


class _Draft(serializers.Serializer[Any]):
    authority = serializers.CharField()
    sent_at = serializers.DateTimeField()


class _Override(serializers.Serializer[Any]):
    reason = serializers.CharField()
    authority = serializers.CharField()
    reference = serializers.CharField()
    signed_by = serializers.CharField()
    signed_at = serializers.DateTimeField()


class FsnGateSerializer(serializers.Serializer[Any]):
    fsca_report = _Record(allow_null=True)
    draft_fsn = _Draft(allow_null=True)
    override = _Override(allow_null=True)
    srn = serializers.CharField()
    blocked_by = serializers.ListField(child=serializers.CharField())


class FsnOverrideInSerializer(BoundedSerializer):
    reason = serializers.CharField(allow_blank=True)
    authority = serializers.CharField(allow_blank=True, max_length=255)
    reference = serializers.CharField(allow_blank=True, max_length=255)
    password = serializers.CharField(style={"input_type": "password"})
    username = serializers.CharField(required=False, allow_blank=True, default="")


def _eu_recall(request: Request, pk: int) -> RecallCase:
    """The recall, "not found" as well when it has no EU MDR regime (no FSN gate)."""
    recall = recall_selectors.recall_get_for(viewer=viewer_of(request), pk=pk)
    if not recall.regimes.filter(regime="eu_mdr").exists():
        raise NotFound(
            _("This recall has no EU MDR regime, so it has no field safety notice gate."),
            where="recall",
        )
    return recall


class FsnGateView(APIView):
    """The FSN gate (GET) and its urgent override (POST: reason, authority, reference,
    e-signature; 400 ``fsn_override`` naming what is missing)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["notices"], responses=FsnGateSerializer)
    def get(self, request: Request, pk: int) -> Response:
        recall = _eu_recall(request, pk)
        return Response(FsnGateSerializer(fsn.gate_state(recall)).data)

    @extend_schema(
        tags=["notices"], request=FsnOverrideInSerializer, responses={201: FsnGateSerializer}
    )
    def post(self, request: Request, pk: int) -> Response:
        viewer = viewer_of(request)
        recall = _eu_recall(request, pk)
        if not viewer.has_perm(CHANGE):
            raise PermissionDenied
        body = FsnOverrideInSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        fields = dict(body.validated_data)
        fsn.fsn_override_sign(
            recall=recall,
            actor=viewer,
            reason=fields["reason"],
            authority=fields["authority"],
            reference=fields["reference"],
            password=fields["password"],
            username=fields["username"] or None,
            session=getattr(request, "session", None),
        )
        return Response(
            FsnGateSerializer(fsn.gate_state(recall)).data, status=status.HTTP_201_CREATED
        )
