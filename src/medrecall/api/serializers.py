"""Input/output shapes of the master-data API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from rest_framework import serializers

from medrecall.api.bounds import BoundedModelSerializer, BoundedSerializer
from medrecall.catalog.models import DeviceModel, Lot, Serial
from medrecall.core.gtin import gtin_problem, normalise_gtin
from medrecall.core.importing import Policy
from medrecall.core.models import ImportRun
from medrecall.core.regions import subdivision_code
from medrecall.parties.forms import clean_country
from medrecall.parties.models import Contact, Location, Party


class DeviceModelSerializer(BoundedModelSerializer[DeviceModel]):
    display_name = serializers.CharField(
        read_only=True,
        help_text="The name in the request's language "
        "(Accept-Language), falling back to the other language.",
    )

    class Meta:
        model = DeviceModel
        fields = [
            "id",
            "udi_di",
            "issuing_agency",
            "model_code",
            "name",
            "name_en",
            "display_name",
            "brand",
            "manufacturer",
            "catalog_number",
            "description",
            "risk_class_nmpa",
            "risk_class_fda",
            "risk_class_eu",
            "registration_no",
            "clearance_no",
            "implantable",
            "tracking",
            "unit",
            "expected_lifetime_years",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        agency = attrs.get("issuing_agency", getattr(self.instance, "issuing_agency", "GS1"))
        if "udi_di" in attrs and agency == "GS1":
            if problem := gtin_problem(attrs["udi_di"]):
                raise serializers.ValidationError({"udi_di": problem})
            attrs["udi_di"] = normalise_gtin(attrs["udi_di"])
        return attrs


class LotSerializer(BoundedModelSerializer[Lot]):
    class Meta:
        model = Lot
        fields = [
            "id",
            "device_model",
            "number",
            "manufactured_on",
            "expires_on",
            "quantity_produced",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


class SerialSerializer(BoundedModelSerializer[Serial]):
    class Meta:
        model = Serial
        fields = [
            "id",
            "device_model",
            "lot",
            "serial",
            "manufactured_on",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


def form_checked(clean: Callable[[str], str], value: str) -> str:
    """One value through the check its web form makes (so the page and the API say the same);
    the form's refusal becomes the field's error."""
    try:
        return clean(value)
    except forms.ValidationError as problem:
        raise serializers.ValidationError(problem.messages) from problem


# Where a party or location is, in the order both answer it; ``province_code`` is derived.
ADDRESS_FIELDS = [
    "country",
    "province",
    "province_code",
    "city",
    "address",
    "postal_code",
    "latitude",
    "longitude",
]


class AddressMixin(BoundedModelSerializer):  # type: ignore[type-arg]
    country = serializers.CharField(max_length=60, required=False, allow_blank=True)

    def validate_country(self, value: str) -> str:
        return form_checked(clean_country, value) if value else ""

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        country = attrs.get("country", getattr(self.instance, "country", ""))
        province = attrs.get("province", getattr(self.instance, "province", ""))
        attrs["province_code"] = subdivision_code(country, province)
        return attrs


class PartySerializer(AddressMixin):
    # A sub-consignee a holder reported on a reply form: by whom, and the staff review.
    # A related field (not ``source="reported_by.code"``): a partial update would otherwise skip
    # the field for a party nobody reported, and the answer would break its schema.
    reported_by: serializers.SlugRelatedField[Party] = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True
    )

    class Meta:
        model = Party
        fields = [
            "id",
            "code",
            "name",
            "name_en",
            "party_type",
            "language",
            "preferred_channel",
            *ADDRESS_FIELDS,
            "address_en",
            "is_active",
            "notes",
            "review",
            "reported_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["province_code", "review", "created_at", "updated_at"]


class LocationSerializer(AddressMixin):
    party_code = serializers.CharField(source="party.code", read_only=True)

    class Meta:
        model = Location
        fields = [
            "id",
            "code",
            "name",
            "location_type",
            "party",
            "party_code",
            *ADDRESS_FIELDS,
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["province_code", "created_at", "updated_at"]


class ContactSerializer(BoundedModelSerializer[Contact]):
    class Meta:
        model = Contact
        fields = [
            "id",
            "party",
            "name",
            "title",
            "email",
            "phone",
            "preferred_channel",
            "language",
            "is_primary",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


class ImportRunSerializer(BoundedModelSerializer[ImportRun]):
    percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = ImportRun
        fields = [
            "id",
            "kind",
            "file_name",
            "policy",
            "status",
            "percent",
            "rows",
            "created_count",
            "updated_count",
            "unchanged_count",
            "rejected_count",
            "message",
            "errors",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def to_representation(self, instance: ImportRun) -> dict[str, Any]:
        """The message and row errors in the reader's language (the request's), not the one
        the import was started in."""
        body = dict(super().to_representation(instance))
        body["message"], body["errors"] = instance.shown_message, instance.shown_errors
        return body


class ImportStartSerializer(BoundedSerializer):
    kind = serializers.CharField()
    # An empty file reaches the service, which says so as the page does ("empty_file").
    file = serializers.FileField(allow_empty_file=True)
    policy = serializers.ChoiceField(
        choices=[policy.value for policy in Policy],
        default=Policy.REJECT.value,
        help_text=(
            "keep_good: write the good rows and return the bad ones; refused (400) for the all-or-nothing kinds "
            "events and epcis"
        ),
    )
