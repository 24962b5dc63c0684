"""Device models, lots and serial numbers."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from medrecall.core.gtin import gtin_problem
from medrecall.core.models import TimeStampedModel


class TrackingLevel(models.TextChoices):
    LOT = "lot", _("Lot")
    SERIAL = "serial", _("Serial number")


class IssuingAgency(models.TextChoices):
    GS1 = "GS1", "GS1"
    HIBCC = "HIBCC", "HIBCC"
    ICCBBA = "ICCBBA", "ICCBBA"


class RiskClassNMPA(models.TextChoices):
    I = "I", _("Class I")  # noqa: E741
    II = "II", _("Class II")
    III = "III", _("Class III")


class RiskClassFDA(models.TextChoices):
    CLASS_1 = "1", _("Class 1")
    CLASS_2 = "2", _("Class 2")
    CLASS_3 = "3", _("Class 3")


class RiskClassEU(models.TextChoices):
    I = "I", pgettext_lazy("EU MDR class", "Class I")  # noqa: E741
    IIA = "IIa", pgettext_lazy("EU MDR class", "Class IIa")
    IIB = "IIb", pgettext_lazy("EU MDR class", "Class IIb")
    III = "III", pgettext_lazy("EU MDR class", "Class III")


def device_name(name: str, name_en: str, language: str | None = None) -> str:
    """A device model's name in ``language`` (the active one when not given): the English
    name for English readers, the Chinese one otherwise, each falling back to the other."""
    language = language or get_language() or settings.LANGUAGE_CODE
    first, second = (name_en, name) if language.lower().startswith("en") else (name, name_en)
    return (first or "").strip() or (second or "").strip()


class DeviceModel(TimeStampedModel):
    """A device model identified by its UDI-DI (a GTIN-14 when issued by GS1)."""

    udi_di = models.CharField(_("UDI-DI / GTIN"), max_length=64, unique=True)
    issuing_agency = models.CharField(
        _("issuing agency"), max_length=10, choices=IssuingAgency.choices, default=IssuingAgency.GS1
    )
    model_code = models.CharField(_("model code"), max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=255)
    name_en = models.CharField(_("English name"), max_length=255, blank=True)
    brand = models.CharField(_("brand"), max_length=255, blank=True)
    catalog_number = models.CharField(_("catalogue number"), max_length=100, blank=True)
    manufacturer = models.CharField(_("manufacturer"), max_length=255, blank=True)
    description = models.TextField(_("description"), blank=True)
    risk_class_nmpa = models.CharField(
        _("NMPA class"), max_length=3, choices=RiskClassNMPA.choices, blank=True
    )
    risk_class_fda = models.CharField(
        _("FDA class"), max_length=1, choices=RiskClassFDA.choices, blank=True
    )
    risk_class_eu = models.CharField(
        _("EU MDR class"), max_length=3, choices=RiskClassEU.choices, blank=True
    )
    registration_no = models.CharField(_("NMPA registration no."), max_length=100, blank=True)
    clearance_no = models.CharField(_("FDA clearance/approval no."), max_length=100, blank=True)
    implantable = models.BooleanField(_("implantable"), default=False)
    tracking = models.CharField(
        _("tracking level"), max_length=10, choices=TrackingLevel.choices, default=TrackingLevel.LOT
    )
    unit = models.CharField(_("unit of measure"), max_length=20, default="EA")
    expected_lifetime_years = models.PositiveSmallIntegerField(
        _("expected lifetime (years)"), null=True, blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("device model")
        verbose_name_plural = _("device models")
        ordering = ["model_code"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(tracking__in=TrackingLevel.values), name="device_tracking_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model_code} {self.name_for()}"

    def name_for(self, language: str | None = None) -> str:
        """The name a reader of ``language`` (default: the active language) sees; every output
        prints device names through this or :func:`device_name`."""
        return device_name(self.name, self.name_en, language)

    @property
    def display_name(self) -> str:
        """The name in the active language (templates, API)."""
        return self.name_for()

    def clean(self) -> None:
        if self.issuing_agency == IssuingAgency.GS1 and (problem := gtin_problem(self.udi_di)):
            raise ValidationError({"udi_di": problem})

    @property
    def is_serial_tracked(self) -> bool:
        return self.tracking == TrackingLevel.SERIAL


class Lot(TimeStampedModel):
    """A production lot (batch) of one device model."""

    device_model = models.ForeignKey(
        DeviceModel, on_delete=models.PROTECT, related_name="lots", verbose_name=_("device model")
    )
    number = models.CharField(_("lot number"), max_length=20)
    manufactured_on = models.DateField(_("manufactured on"), null=True, blank=True)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    quantity_produced = models.PositiveIntegerField(_("quantity produced"), null=True, blank=True)

    class Meta:
        verbose_name = _("lot")
        verbose_name_plural = _("lots")
        ordering = ["device_model__model_code", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["device_model", "number"], name="lot_unique_number_per_model"
            ),
            models.CheckConstraint(
                condition=models.Q(expires_on__isnull=True)
                | models.Q(manufactured_on__isnull=True)
                | models.Q(expires_on__gte=models.F("manufactured_on")),
                name="lot_expiry_after_manufacture",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.device_model.model_code} / {self.number}"

    def clean(self) -> None:
        if self.manufactured_on and self.expires_on and self.expires_on < self.manufactured_on:
            raise ValidationError(
                {"expires_on": _("The expiry date is before the manufacture date.")}
            )


class Serial(TimeStampedModel):
    """One serialised unit; unique per device model, belongs to one lot."""

    # No database-level foreign keys: every path that writes serials (master-data import, event
    # imports) resolves the model and lot first, and a deferred per-row check at commit cost
    # more than the insert itself on large event files; the ORM still refuses to delete a
    # referenced model or lot (docs/adr/0005-serials-without-database-foreign-keys.md). The
    # model's own index is the unique (model, serial) one.
    device_model = models.ForeignKey(
        DeviceModel,
        on_delete=models.PROTECT,
        related_name="serials",
        verbose_name=_("device model"),
        db_constraint=False,
        db_index=False,
    )
    lot = models.ForeignKey(
        Lot,
        on_delete=models.PROTECT,
        related_name="serials",
        verbose_name=_("lot"),
        db_constraint=False,
    )
    serial = models.CharField(_("serial number"), max_length=20)
    manufactured_on = models.DateField(_("manufactured on"), null=True, blank=True)

    class Meta:
        verbose_name = _("serial number")
        verbose_name_plural = _("serial numbers")
        ordering = ["device_model__model_code", "serial"]
        constraints = [
            models.UniqueConstraint(
                fields=["device_model", "serial"], name="serial_unique_per_model"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.device_model.model_code} / {self.serial}"

    def clean(self) -> None:
        if (
            self.lot_id
            and self.device_model_id
            and self.lot.device_model_id != self.device_model_id
        ):
            raise ValidationError({"lot": _("The lot belongs to another device model.")})
