"""The cost ledger of a recall: entries in their own currency and in the company's, the exchange
rates they used, and the finance policy (company currency, approval and alert thresholds).

A posted entry is never edited: a correction is a reversing entry. An entry a source record
caused (a waybill, a disposition, a work order...) carries that record's key, and the key is
unique per source, so a task that runs twice posts once."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from medrecall.catalog.models import DeviceModel
from medrecall.execution.lifecycle import DispositionKind
from medrecall.execution.models import ServiceProvider
from medrecall.notices.models import Offer
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase

USER = settings.AUTH_USER_MODEL


class CostCategory(models.TextChoices):
    LOGISTICS = "logistics", _("Logistics")
    REPAIR = "repair", _("Repair / rework")
    DESTRUCTION = "destruction", _("Destruction")
    REPLACEMENT = "replacement", _("Replacement units")
    LABOUR = "labour", _("Labour")
    COMPENSATION = "compensation", _("Compensation / refund")
    LEGAL = "legal", _("Legal / regulatory")
    COMMUNICATION = "communication", _("Communication")
    OTHER = "other", _("Other")


class CostSource(models.TextChoices):
    """What caused an entry. Every source but ``manual`` posts at most once per source key."""

    MANUAL = "manual", _("Entered by hand")
    WAYBILL = "waybill", _("Waybill (return picked up)")
    DISPOSITION = "disposition", _("Disposition")
    WORK_ORDER = "work_order", _("Work order")
    REPLACEMENT = "replacement", _("Replacement shipment")
    OFFER = "offer", _("Offer")
    REFUND = "refund", _("Refund or compensation payment")
    NOTICE_RUN = "notice_run", _("Letters of a send run")
    REVERSAL = "reversal", _("Reversal")


class RateSource(models.TextChoices):
    ENTERED = "entered", _("Entered")
    IMPORTED = "imported", _("Imported")


class FinancePolicy(models.Model):
    """The one row of company-wide finance settings an administrator keeps (pk 1)."""

    company_currency = models.CharField(_("company currency"), max_length=3, default="CNY")
    four_eyes_threshold = models.DecimalField(
        _("second approval with e-signature from (company currency)"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("10000.00"),
    )
    alert_thresholds = models.JSONField(
        _("budget alert thresholds (% of budget)"), default=list, blank=True
    )
    postage_per_letter = models.DecimalField(
        _("postage per letter (company currency)"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0.00"),
    )
    updated_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("finance policy")
        verbose_name_plural = _("finance policy")

    def __str__(self) -> str:
        return f"{self.company_currency}"


class ExchangeRate(models.Model):
    """How many units of the company currency one unit of ``currency`` was worth on a day."""

    currency = models.CharField(_("currency"), max_length=3)
    rate_on = models.DateField(_("date"))
    rate = models.DecimalField(_("rate"), max_digits=18, decimal_places=8)
    source = models.CharField(
        _("source"), max_length=10, choices=RateSource.choices, default=RateSource.ENTERED
    )
    entered_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["-rate_on", "currency"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "rate_on"], name="finance_rate_once_a_day"),
            models.CheckConstraint(condition=Q(rate__gt=0), name="finance_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.rate_on:%Y-%m-%d} {self.rate}"


class CostEntry(models.Model):
    """One posted cost of a recall. Immutable once posted; corrected by a reversing entry."""

    number = models.CharField(_("entry number"), max_length=32, unique=True)
    recall = models.ForeignKey(
        RecallCase, on_delete=models.PROTECT, related_name="cost_entries", verbose_name=_("recall")
    )
    category = models.CharField(_("category"), max_length=16, choices=CostCategory.choices)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    rate = models.DecimalField(_("exchange rate"), max_digits=18, decimal_places=8)
    company_amount = models.DecimalField(
        _("amount in company currency"), max_digits=16, decimal_places=2
    )
    company_currency = models.CharField(_("company currency"), max_length=3)
    incurred_on = models.DateField(_("date"))
    units = models.PositiveIntegerField(_("units"), default=0)
    vendor = models.ForeignKey(
        Party,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("vendor"),
    )
    holder = models.ForeignKey(
        Party,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("holder"),
    )
    document_reference = models.CharField(_("document reference"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)
    attachment = models.FileField(
        _("attachment"), upload_to="finance/attachments/%Y/%m/", blank=True
    )
    attachment_name = models.CharField(_("attachment file name"), max_length=255, blank=True)
    source = models.CharField(
        _("source"), max_length=12, choices=CostSource.choices, default=CostSource.MANUAL
    )
    source_key = models.CharField(_("source record"), max_length=100, blank=True)
    reverses = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
        verbose_name=_("reverses"),
    )
    reason = models.TextField(_("reason"), blank=True)
    # The offer this entry pays: its fulfilment (source offer) or the refund requested from it
    # (source refund). An offer is paid by one entry (reversals aside): nothing is paid twice.
    offer = models.ForeignKey(
        Offer,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("offer"),
    )
    posted_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    posted_at = models.DateTimeField(_("posted at"), default=timezone.now)

    class Meta:
        verbose_name = _("cost entry")
        verbose_name_plural = _("cost entries")
        ordering = ["-incurred_on", "-number"]
        indexes = [
            models.Index(fields=["recall", "category"], name="finance_entry_recall_cat"),
            # The ledger page: a recall's entries newest first, a page at a time (read backwards).
            models.Index(
                fields=["recall", "incurred_on", "number"], name="finance_entry_recall_day"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_key"],
                condition=~Q(source="manual"),
                name="finance_entry_posted_once_per_source",
            ),
            models.UniqueConstraint(
                fields=["offer"],
                condition=Q(offer__isnull=False, reverses__isnull=True),
                name="finance_entry_offer_paid_once",
            ),
            models.CheckConstraint(condition=~Q(amount=0), name="finance_entry_not_zero"),
            models.CheckConstraint(
                condition=Q(amount__gt=0) | Q(reverses__isnull=False),
                name="finance_entry_negative_only_as_reversal",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.amount} {self.currency}"


class DispositionCost(models.Model):
    """What one unit costs on a disposition path (repair, destruction, replacement...), for one
    device model or, with no model, for any: what a done disposition posts and what the
    forecast multiplies by the units still to go that way."""

    kind = models.CharField(_("disposition"), max_length=20, choices=DispositionKind.choices)
    device_model = models.ForeignKey(
        DeviceModel,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("device model"),
        help_text=_("Empty: every model without a cost of its own."),
    )
    unit_cost = models.DecimalField(_("cost per unit"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")

    class Meta:
        verbose_name = _("disposition cost")
        verbose_name_plural = _("disposition costs")
        ordering = ["kind", "device_model"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "device_model"],
                condition=Q(device_model__isnull=False),
                name="finance_disposition_cost_once_per_model",
            ),
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(device_model__isnull=True),
                name="finance_disposition_cost_once_for_any_model",
            ),
            models.CheckConstraint(
                condition=Q(unit_cost__gte=0), name="finance_disposition_cost_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.unit_cost} {self.currency}"


class ProviderRate(models.Model):
    """A service provider's rates: labour per work order (hours × hourly rate) and travel per
    kilometre (the work order's distance, there and back)."""

    provider = models.OneToOneField(
        ServiceProvider,
        on_delete=models.CASCADE,
        related_name="rate",
        verbose_name=_("service provider"),
    )
    hourly_rate = models.DecimalField(_("hourly rate"), max_digits=10, decimal_places=2)
    hours_per_work_order = models.DecimalField(
        _("hours per work order"), max_digits=6, decimal_places=2, default=Decimal("2.00")
    )
    per_km = models.DecimalField(
        _("travel per km"), max_digits=8, decimal_places=2, default=Decimal("0.00")
    )
    currency = models.CharField(_("currency"), max_length=3, default="CNY")

    class Meta:
        verbose_name = _("service provider rate")
        verbose_name_plural = _("service provider rates")
        constraints = [
            models.CheckConstraint(
                condition=Q(hourly_rate__gte=0) & Q(hours_per_work_order__gte=0) & Q(per_km__gte=0),
                name="finance_provider_rate_not_negative",
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider_id}: {self.hourly_rate} {self.currency}/h"


# Each part of the context keeps its models in a module of its own (Django finds them here).
from .models_budget import *  # noqa: E402, F403
from .models_payables import *  # noqa: E402, F403
from .models_postings import *  # noqa: E402, F403
from .models_rollup import *  # noqa: E402, F403
