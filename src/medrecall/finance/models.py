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
    posted_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    posted_at = models.DateTimeField(_("posted at"), default=timezone.now)

    class Meta:
        verbose_name = _("cost entry")
        verbose_name_plural = _("cost entries")
        ordering = ["-incurred_on", "-number"]
        indexes = [models.Index(fields=["recall", "category"], name="finance_entry_recall_cat")]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_key"],
                condition=~Q(source="manual"),
                name="finance_entry_posted_once_per_source",
            ),
            models.CheckConstraint(condition=~Q(amount=0), name="finance_entry_not_zero"),
            models.CheckConstraint(
                condition=Q(amount__gt=0) | Q(reverses__isnull=False),
                name="finance_entry_negative_only_as_reversal",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.amount} {self.currency}"
