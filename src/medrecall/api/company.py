"""``/api/company/``: the company's identifiers the filings and notices print. Staff with
``accounts.view_companyidentity`` read them; QA/RA managers and administrators change them
(``PATCH``, audited)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from medrecall.accounts.company import CHANGE, FIELDS, company_identity, company_identity_set
from medrecall.accounts.models import CompanyIdentity
from medrecall.accounts.selectors import viewer_of
from medrecall.api.bounds import BoundedSerializer

VIEW = "accounts.view_companyidentity"


class CompanySerializer(BoundedSerializer):
    labels_from = CompanyIdentity

    fda_registration = serializers.CharField(max_length=10, allow_blank=True, required=False)
    srn = serializers.CharField(max_length=40, allow_blank=True, required=False)
    name_zh = serializers.CharField(max_length=255, allow_blank=True, required=False)
    address_zh = serializers.CharField(max_length=255, allow_blank=True, required=False)


def _shown(company: dict[str, Any]) -> dict[str, str]:
    return {key: str(company.get(key, "")) for key in FIELDS}


class CompanyView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=["company"], responses={200: CompanySerializer})
    def get(self, request: Request) -> Response:
        if not viewer_of(request).has_perm(VIEW):
            raise PermissionDenied
        return Response(_shown(company_identity()))

    @extend_schema(tags=["company"], request=CompanySerializer, responses={200: CompanySerializer})
    def patch(self, request: Request) -> Response:
        viewer = viewer_of(request)
        if not viewer.has_perm(CHANGE):
            raise PermissionDenied
        body = CompanySerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        return Response(_shown(company_identity_set(actor=viewer, values=body.validated_data)))
