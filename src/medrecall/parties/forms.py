"""Input shapes for editing parties, contacts and locations."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _

from medrecall.core.regions import country_code, subdivision_code

from .models import Contact, Location, Party

ADDRESS_FIELDS = ["country", "province", "city", "address", "postal_code", "latitude", "longitude"]


def clean_country(text: str) -> str:
    """An ISO 3166-1 alpha-2 code from a code or a country name (English or Chinese); the
    check every address input (pages, API, carrier rates) makes."""
    code = country_code(text)
    if code is None:
        raise forms.ValidationError(
            _("%(value)s is not a known country (use an ISO code such as CN or US).")
            % {"value": text}
        )
    return code


class AddressFormMixin(forms.ModelForm):  # type: ignore[type-arg]
    def clean_country(self) -> str:
        text: str = self.cleaned_data.get("country", "")
        return clean_country(text) if text else ""

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]
        self.instance.province_code = subdivision_code(
            self.instance.country, self.instance.province
        )


class PartyForm(AddressFormMixin):
    country = forms.CharField(max_length=60, required=False, label=_("Country"))

    class Meta:
        model = Party
        fields = [
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
        ]


class LocationForm(AddressFormMixin):
    country = forms.CharField(max_length=60, required=False, label=_("Country"))

    class Meta:
        model = Location
        fields = ["code", "name", "location_type", "party", *ADDRESS_FIELDS, "is_active"]


class ContactForm(forms.ModelForm[Contact]):
    class Meta:
        model = Contact
        fields = [
            "party",
            "name",
            "title",
            "email",
            "phone",
            "preferred_channel",
            "language",
            "is_primary",
        ]
