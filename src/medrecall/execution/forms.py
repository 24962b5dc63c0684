"""Input shapes for the execution set-up data: carriers, their rates and service providers."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from medrecall.catalog.models import DeviceModel
from medrecall.core.bounds import BoundedIntegersMixin
from medrecall.parties.forms import clean_country

from .lifecycle import FieldAction
from .models import Carrier, CarrierRate, ServiceProvider


def clean_province(country: str, text: str) -> str:
    """An ISO 3166-2 code of the rate's country (``CN-XZ``), or empty for the whole country."""
    code = text.strip().upper()
    if code and country and not code.startswith(f"{country}-"):
        raise forms.ValidationError(
            _("%(value)s is not a province or state code of %(country)s (e.g. %(example)s).")
            % {"value": text, "country": country, "example": f"{country}-XX"}
        )
    return code


def clean_currency(text: str) -> str:
    """An ISO 4217 code (three letters, upper case) from what was typed (``usd`` → ``USD``)."""
    currency = text.strip().upper()
    if len(currency) != 3 or not currency.isalpha():
        raise forms.ValidationError(
            _("Give the currency as a three-letter ISO code, e.g. CNY, USD, EUR.")
        )
    return currency


class CarrierForm(forms.ModelForm[Carrier]):
    class Meta:
        model = Carrier
        fields = ["code", "name", "party", "max_weight_kg", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["party"].queryset = self.fields["party"].queryset.filter(party_type="carrier")  # type: ignore[attr-defined]


class CarrierRateForm(BoundedIntegersMixin, forms.ModelForm[CarrierRate]):
    country = forms.CharField(
        max_length=60,
        label=gettext_lazy("Country"),
        help_text=gettext_lazy("ISO code or name, e.g. CN, US, Deutschland"),
    )

    class Meta:
        model = CarrierRate
        fields = [
            "carrier",
            "country",
            "province_code",
            "base_fee",
            "per_kg",
            "currency",
            "transit_days",
        ]

    def clean_country(self) -> str:
        return clean_country(self.cleaned_data.get("country", ""))

    def clean_currency(self) -> str:
        return clean_currency(self.cleaned_data.get("currency", ""))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        try:
            cleaned["province_code"] = clean_province(
                cleaned.get("country", ""), cleaned.get("province_code", "")
            )
        except forms.ValidationError as problem:
            self.add_error("province_code", problem)
        return cleaned


class ServiceProviderForm(BoundedIntegersMixin, forms.ModelForm[ServiceProvider]):
    skills = forms.MultipleChoiceField(
        choices=FieldAction.choices,
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("field actions"),
    )
    device_models = forms.ModelMultipleChoiceField(
        queryset=DeviceModel.objects.order_by("model_code"),
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("qualified for"),
    )

    class Meta:
        model = ServiceProvider
        fields = [
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
