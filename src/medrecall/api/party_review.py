"""Review of parties that holders reported as sub-consignees on a reply form: the list, one
reported party with the units reported to have reached it, verify, and merge into an existing
party. Staff only (a portal user is refused, as on the web pages); deciding needs
``parties.change_party``."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from medrecall.accounts.models import User
from medrecall.accounts.selectors import viewer_of
from medrecall.core.errors import ValidationFailed
from medrecall.notices.models import SubConsignee
from medrecall.notices.relations import reported_units
from medrecall.parties import selectors, services
from medrecall.parties.models import Contact, Party

from .pagination import PAGE_PARAMETERS, page_of, paginated

REFUSED = {
    404: OpenApiResponse(description="No such reported party (or not visible to you)"),
    409: OpenApiResponse(description="Refused, with every reason in `details`"),
}


def _staff(request: Request, perm: str = "parties.view_party") -> User:
    viewer = viewer_of(request)
    if viewer.party_id is not None or not viewer.has_perm(perm):
        raise PermissionDenied
    return viewer


class ReportedPartySerializer(serializers.ModelSerializer[Party]):
    reported_by = serializers.CharField(source="reported_by.code", read_only=True, allow_null=True)
    reported_by_name = serializers.CharField(
        source="reported_by.name", read_only=True, allow_null=True
    )
    merged_into = serializers.CharField(
        source="merged_into.code", read_only=True, allow_null=True, default=None
    )
    reviewed_by = serializers.CharField(
        source="reviewed_by.username", read_only=True, allow_null=True, default=None
    )
    location_count = serializers.IntegerField(read_only=True)
    contact_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Party
        fields = [
            "id",
            "code",
            "name",
            "party_type",
            "country",
            "province",
            "city",
            "address",
            "review",
            "reported_by",
            "reported_by_name",
            "reviewed_at",
            "reviewed_by",
            "merged_into",
            "is_active",
            "location_count",
            "contact_count",
            "created_at",
        ]
        read_only_fields = fields


class ReportedUnitSerializer(serializers.ModelSerializer[SubConsignee]):
    recall = serializers.CharField(source="recall.number")
    reported_by = serializers.CharField(source="reported_by.code")
    lot = serializers.CharField(source="lot.number")
    serial = serializers.CharField(source="serial.serial", allow_null=True, default=None)
    location = serializers.CharField(source="location.code")
    signed_by = serializers.CharField(source="reply.respondent_name")

    class Meta:
        model = SubConsignee
        fields = ["recall", "reported_by", "lot", "serial", "quantity", "location", "signed_by"]
        read_only_fields = fields


class ContactTypedSerializer(serializers.ModelSerializer[Contact]):
    class Meta:
        model = Contact
        fields = ["name", "email", "phone"]
        read_only_fields = fields


class ReportedPartyDetailSerializer(ReportedPartySerializer):
    units = serializers.SerializerMethodField()
    contacts = serializers.SerializerMethodField()

    class Meta(ReportedPartySerializer.Meta):
        fields = [*ReportedPartySerializer.Meta.fields, "units", "contacts"]
        read_only_fields = fields

    @extend_schema_field(ReportedUnitSerializer(many=True))
    def get_units(self, party: Party) -> list[dict[str, Any]]:
        return list(ReportedUnitSerializer(reported_units(party.pk), many=True).data)

    @extend_schema_field(ContactTypedSerializer(many=True))
    def get_contacts(self, party: Party) -> list[dict[str, Any]]:
        return list(ContactTypedSerializer(party.contacts.order_by("name"), many=True).data)


class ReviewSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class MergeSerializer(ReviewSerializer):
    target = serializers.CharField(
        max_length=64, help_text="The code of the existing party to merge into"
    )


class ReportedListView(APIView):
    """Reported parties for review (by default the unverified ones)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["parties"],
        responses=page_of(ReportedPartySerializer),
        parameters=[
            OpenApiParameter(
                "review",
                str,
                enum=list(selectors.REVIEW_FILTERS),
                description="unverified (default), verified, merged or all",
            ),
            OpenApiParameter("reported_by", str, description="The reporting holder's party code"),
            OpenApiParameter("search", str),
            *PAGE_PARAMETERS,
        ],
    )
    def get(self, request: Request) -> Response:
        viewer = _staff(request)
        params = request.query_params
        review = params.get("review", "unverified")
        if review not in selectors.REVIEW_FILTERS:
            raise ValidationFailed(
                _("The review filter must be one of %(allowed)s.")
                % {"allowed": ", ".join(selectors.REVIEW_FILTERS)},
                where="review",
            )
        rows = selectors.reported_party_list_for(
            viewer=viewer,
            review=review,
            search=params.get("search", ""),
            reported_by=params.get("reported_by", ""),
        )
        return paginated(self, request, rows, ReportedPartySerializer)


class ReportedDetailView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["parties"], responses={200: ReportedPartyDetailSerializer, 404: REFUSED[404]}
    )
    def get(self, request: Request, pk: int) -> Response:
        viewer = _staff(request)
        return Response(
            ReportedPartyDetailSerializer(
                selectors.reported_party_get_for(viewer=viewer, pk=pk)
            ).data
        )


class ReportedVerifyView(APIView):
    """Verify a reported party as a party of its own."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["parties"],
        request=ReviewSerializer,
        responses={200: ReportedPartySerializer, **REFUSED},
    )
    def post(self, request: Request, pk: int) -> Response:
        viewer = _staff(request, "parties.change_party")
        payload = ReviewSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        party = selectors.reported_party_get_for(viewer=viewer, pk=pk)
        services.party_verify(party=party, actor=viewer, reason=payload.validated_data["reason"])
        return Response(
            ReportedPartySerializer(selectors.reported_party_get_for(viewer=viewer, pk=pk)).data
        )


class ReportedMergeView(APIView):
    """Merge a reported party into an existing party (named by its code). Its locations and
    the units reported to it move; its typed contacts stay with it; the reply links issued to
    it are revoked; the existing party is told through its own contacts. Audited."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=["parties"],
        request=MergeSerializer,
        responses={200: ReportedPartySerializer, **REFUSED},
    )
    def post(self, request: Request, pk: int) -> Response:
        viewer = _staff(request, "parties.change_party")
        payload = MergeSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        party = selectors.reported_party_get_for(viewer=viewer, pk=pk)
        target = selectors.merge_target_for(viewer=viewer, code=payload.validated_data["target"])
        services.party_merge(
            source=party, target=target, actor=viewer, reason=payload.validated_data["reason"]
        )
        return Response(
            ReportedPartySerializer(selectors.reported_party_get_for(viewer=viewer, pk=pk)).data
        )
