"""The master-data pages, described as data: one entry per kind of record says which
selector lists and fetches it (scoped to the viewer), which form edits it, which columns
the list shows and which permission each action needs. The views in ``views.py`` are the
same for all of them. The related rows a detail page lists go through scoped selectors too, so a
portal user never sees, say, the lots of a device model that its party never held."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.db.models import Model, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from medrecall.catalog import selectors as catalog_selectors
from medrecall.catalog.forms import DeviceModelForm, LotForm, SerialForm
from medrecall.catalog.models import DeviceModel, Lot, Serial, TrackingLevel
from medrecall.execution import partners
from medrecall.execution.forms import CarrierForm, CarrierRateForm, ServiceProviderForm
from medrecall.execution.models import Carrier, CarrierRate, ServiceProvider
from medrecall.parties import selectors as party_selectors
from medrecall.parties.forms import ContactForm, LocationForm, PartyForm
from medrecall.parties.models import Contact, Location, Party, PartyType


@dataclass(frozen=True)
class Entity:
    slug: str
    model: type[Model]
    title: Promise
    list_selector: Callable[..., QuerySet[Any]]
    get_selector: Callable[..., Any]
    form: type[forms.ModelForm]  # type: ignore[type-arg]
    columns: tuple[str, ...]
    import_kind: str = ""
    filter_name: str = ""
    filter_choices: tuple[tuple[str, Any], ...] = ()
    # (scoped selector of the related rows: f(viewer=, parent=) -> QuerySet, title, columns)
    related: tuple[tuple[Callable[..., QuerySet[Any]], Promise, tuple[str, ...]], ...] = field(
        default_factory=tuple
    )
    save: Callable[..., Model] | None = (
        None  # a service, where one record spans more than its row (many-to-many)
    )

    @property
    def perm_prefix(self) -> str:
        return f"{self.model._meta.app_label}."

    def perm(self, action: str) -> str:
        return f"{self.model._meta.app_label}.{action}_{self.model._meta.model_name}"


ENTITIES: dict[str, Entity] = {
    e.slug: e
    for e in (
        Entity(
            "devicemodel",
            DeviceModel,
            _("Device models"),
            catalog_selectors.device_model_list_for,
            catalog_selectors.device_model_get_for,
            DeviceModelForm,
            (
                "model_code",
                "name",
                "udi_di",
                "tracking",
                "risk_class_nmpa",
                "risk_class_fda",
                "risk_class_eu",
                "implantable",
            ),
            import_kind="products",
            filter_name="tracking",
            filter_choices=tuple(TrackingLevel.choices),
            related=(
                (
                    lambda viewer, parent: catalog_selectors.lot_list_for(
                        viewer=viewer, device_model_id=parent.pk
                    ).order_by("number"),
                    _("Lots"),
                    ("number", "manufactured_on", "expires_on", "quantity_produced"),
                ),
            ),
        ),
        Entity(
            "lot",
            Lot,
            _("Lots"),
            catalog_selectors.lot_list_for,
            catalog_selectors.lot_get_for,
            LotForm,
            ("device_model", "number", "manufactured_on", "expires_on", "quantity_produced"),
            import_kind="lots",
            related=(
                (
                    lambda viewer, parent: catalog_selectors.serial_list_for(
                        viewer=viewer, lot_id=parent.pk
                    ).order_by("serial"),
                    _("Serial numbers"),
                    ("serial", "manufactured_on"),
                ),
            ),
        ),
        Entity(
            "serial",
            Serial,
            _("Serial numbers"),
            catalog_selectors.serial_list_for,
            catalog_selectors.serial_get_for,
            SerialForm,
            ("device_model", "lot", "serial", "manufactured_on"),
            import_kind="serials",
        ),
        Entity(
            "party",
            Party,
            _("Parties"),
            party_selectors.party_list_for,
            party_selectors.party_get_for,
            PartyForm,
            ("code", "name", "party_type", "country", "province", "city", "language"),
            import_kind="parties",
            filter_name="party_type",
            filter_choices=tuple(PartyType.choices),
            related=(
                (
                    lambda viewer, parent: party_selectors.location_list_for(
                        viewer=viewer, party_id=parent.pk
                    ).order_by("code"),
                    _("Locations"),
                    ("code", "name", "location_type", "city"),
                ),
                (
                    lambda viewer, parent: party_selectors.contact_list_for(
                        viewer=viewer, party_id=parent.pk
                    ).order_by("name"),
                    _("Contacts"),
                    ("name", "title", "email", "phone", "preferred_channel", "language"),
                ),
            ),
        ),
        Entity(
            "location",
            Location,
            _("Locations"),
            party_selectors.location_list_for,
            party_selectors.location_get_for,
            LocationForm,
            ("code", "name", "location_type", "party", "country", "province", "city"),
            import_kind="locations",
        ),
        Entity(
            "contact",
            Contact,
            _("Contacts"),
            party_selectors.contact_list_for,
            party_selectors.contact_get_for,
            ContactForm,
            ("party", "name", "title", "email", "phone", "preferred_channel", "language"),
            import_kind="contacts",
        ),
        Entity(
            "carrier",
            Carrier,
            _("Carriers"),
            partners.carrier_list_for,
            partners.carrier_get_for,
            CarrierForm,
            ("code", "name", "party", "max_weight_kg", "is_active"),
            related=(
                (
                    lambda viewer, parent: parent.rates.all(),
                    _("Rates"),
                    ("country", "province_code", "base_fee", "per_kg", "currency", "transit_days"),
                ),
            ),
        ),
        Entity(
            "carrierrate",
            CarrierRate,
            _("Carrier rates"),
            partners.carrier_rate_list_for,
            partners.carrier_rate_get_for,
            CarrierRateForm,
            (
                "carrier",
                "country",
                "province_code",
                "base_fee",
                "per_kg",
                "currency",
                "transit_days",
            ),
        ),
        Entity(
            "serviceprovider",
            ServiceProvider,
            _("Service providers"),
            partners.service_provider_list_for,
            partners.service_provider_get_for,
            ServiceProviderForm,
            ("name", "party", "technician", "skills", "capacity", "is_active"),
            related=(
                (
                    lambda viewer, parent: parent.device_models.all(),
                    _("Qualified for"),
                    ("model_code", "name"),
                ),
            ),
            save=lambda *, form, actor, reason: partners.service_provider_save(
                provider=form.instance,
                device_models=form.cleaned_data["device_models"],
                actor=actor,
                reason=reason,
            ),
        ),
    )
}
