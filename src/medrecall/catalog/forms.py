"""Input shapes for editing catalog records."""

from __future__ import annotations

from django import forms

from medrecall.core.bounds import BoundedIntegersMixin
from medrecall.core.gtin import gtin_problem, normalise_gtin

from .models import DeviceModel, IssuingAgency, Lot, Serial


class DeviceModelForm(BoundedIntegersMixin, forms.ModelForm[DeviceModel]):
    class Meta:
        model = DeviceModel
        fields = [
            "udi_di",
            "issuing_agency",
            "model_code",
            "name",
            "name_en",
            "brand",
            "manufacturer",
            "catalog_number",
            "risk_class_nmpa",
            "risk_class_fda",
            "risk_class_eu",
            "registration_no",
            "clearance_no",
            "implantable",
            "tracking",
            "unit",
            "expected_lifetime_years",
            "description",
            "is_active",
        ]

    def clean_udi_di(self) -> str:
        value: str = self.cleaned_data["udi_di"].strip()
        if self.data.get("issuing_agency", IssuingAgency.GS1) == IssuingAgency.GS1:
            if problem := gtin_problem(value):
                raise forms.ValidationError(problem)
            return normalise_gtin(value)
        return value


class LotForm(BoundedIntegersMixin, forms.ModelForm[Lot]):
    class Meta:
        model = Lot
        fields = ["device_model", "number", "manufactured_on", "expires_on", "quantity_produced"]
        widgets = {
            "manufactured_on": forms.DateInput(attrs={"type": "date"}),
            "expires_on": forms.DateInput(attrs={"type": "date"}),
        }


class SerialForm(forms.ModelForm[Serial]):
    class Meta:
        model = Serial
        fields = ["device_model", "lot", "serial", "manufactured_on"]
        widgets = {"manufactured_on": forms.DateInput(attrs={"type": "date"})}
