"""Carriers, carrier rates and service providers: the set-up data returns and work orders choose
from. Master-data CRUD like parties (``AuditedViewSet``): reads through the viewer-scoped
selectors of ``execution.partners``, writes audited; a provider's qualification is saved by
``service_provider_save`` so its change is audited too."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from medrecall.accounts.selectors import viewer_of
from medrecall.api.bounds import BoundedModelSerializer
from medrecall.catalog.models import DeviceModel
from medrecall.execution import partners
from medrecall.execution.forms import clean_currency, clean_province
from medrecall.execution.lifecycle import FieldAction
from medrecall.execution.models import Carrier, CarrierRate, ServiceProvider
from medrecall.parties.forms import clean_country

from .serializers import form_checked
from .views import AuditedViewSet


class CarrierSerializer(BoundedModelSerializer[Carrier]):
    class Meta:
        model = Carrier
        fields = ["id", "code", "name", "party", "max_weight_kg", "is_active"]


class CarrierRateSerializer(BoundedModelSerializer[CarrierRate]):
    carrier_code = serializers.CharField(source="carrier.code", read_only=True)
    country = serializers.CharField(
        max_length=60, help_text="ISO 3166-1 alpha-2 code or country name"
    )

    class Meta:
        model = CarrierRate
        fields = [
            "id",
            "carrier",
            "carrier_code",
            "country",
            "province_code",
            "base_fee",
            "per_kg",
            "currency",
            "transit_days",
        ]

    def validate_country(self, value: str) -> str:
        return form_checked(clean_country, value)

    def validate_currency(self, value: str) -> str:
        return form_checked(clean_currency, value)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        country = attrs.get("country", getattr(self.instance, "country", ""))
        try:
            attrs["province_code"] = clean_province(
                country, attrs.get("province_code", getattr(self.instance, "province_code", ""))
            )
        except forms.ValidationError as problem:
            raise serializers.ValidationError({"province_code": problem.messages}) from problem
        return attrs


class ServiceProviderSerializer(BoundedModelSerializer[ServiceProvider]):
    skills = serializers.ListField(child=serializers.ChoiceField(choices=FieldAction.choices))
    device_models = serializers.PrimaryKeyRelatedField(
        many=True, queryset=DeviceModel.objects.all()
    )

    class Meta:
        model = ServiceProvider
        fields = [
            "id",
            "name",
            "party",
            "technician",
            "skills",
            "device_models",
            "capacity",
            "latitude",
            "longitude",
            "is_active",
        ]


@extend_schema(tags=["execution"])
class CarrierViewSet(AuditedViewSet):
    """Carriers returns are booked with (their rates: ``carrier-rates``)."""

    model = Carrier
    serializer_class = CarrierSerializer
    filterset_fields = ["code", "is_active"]
    search_fields = ["code", "name"]

    def selector(self) -> QuerySet[Any]:
        return partners.carrier_list_for(viewer=viewer_of(self.request))


@extend_schema(tags=["execution"])
class CarrierRateViewSet(AuditedViewSet):
    """One line of a carrier's rate table: region (country, optional province), fees, transit days."""

    model = CarrierRate
    serializer_class = CarrierRateSerializer
    filterset_fields = ["carrier", "country", "province_code"]

    def selector(self) -> QuerySet[Any]:
        return partners.carrier_rate_list_for(viewer=viewer_of(self.request))


@extend_schema(tags=["execution"])
class ServiceProviderViewSet(AuditedViewSet):
    """Who does field work: field actions offered, device models qualified for, capacity, base."""

    model = ServiceProvider
    serializer_class = ServiceProviderSerializer
    filterset_fields = ["party", "is_active"]
    search_fields = ["name"]

    def selector(self) -> QuerySet[Any]:
        return partners.service_provider_list_for(viewer=viewer_of(self.request))

    def perform_create(self, serializer: serializers.BaseSerializer[Any]) -> None:
        data = dict(serializer.validated_data)
        models = data.pop("device_models", [])
        serializer.instance = partners.service_provider_save(
            provider=ServiceProvider(**data), device_models=models, actor=self.request.user
        )

    def perform_update(self, serializer: serializers.BaseSerializer[Any]) -> None:
        provider = serializer.instance
        assert isinstance(provider, ServiceProvider)  # noqa: S101 - DRF sets it for updates
        data = dict(serializer.validated_data)
        models = data.pop("device_models", None)
        for name, value in data.items():
            setattr(provider, name, value)
        partners.service_provider_save(
            provider=provider,
            device_models=models,
            actor=self.request.user,
            reason=self.request.headers.get("X-Change-Reason", ""),
        )
