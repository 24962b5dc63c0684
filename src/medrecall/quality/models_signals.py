"""Early-warning signals (ISO 13485 8.4 analysis of data, 8.2.2 complaint trends): a lot or a
device model whose complaint rate per unit in the field stands out, the thresholds an
administrator sets, and what quality did about each signal."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from medrecall.catalog.models import DeviceModel, Lot
from medrecall.recalls.models import RecallCase


class SignalPolicy(models.Model):
    """The one row of early-warning thresholds (pk 1), kept by an administrator. A lot or device
    model raises a signal only when every threshold is met."""

    min_complaints = models.PositiveIntegerField(
        _("minimum complaints"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text=_("Fewer complaints than this in the window never raise a signal."),
    )
    significance = models.DecimalField(
        _("significance level"),
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.0100"),
        validators=[MinValueValidator(Decimal("0.0001")), MaxValueValidator(Decimal("0.2000"))],
        help_text=_(
            "Largest false-discovery-adjusted p-value (Benjamini–Hochberg over all lots tested) "
            "that raises a signal."
        ),
    )
    min_units = models.PositiveIntegerField(
        _("minimum exposure (units shipped)"),
        default=50,
        validators=[MinValueValidator(1), MaxValueValidator(100_000_000)],
        help_text=_("A lot or device model with fewer units in the field is not tested."),
    )
    min_ratio = models.DecimalField(
        _("minimum rate ratio"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("2.00"),
        validators=[MinValueValidator(Decimal("1.00")), MaxValueValidator(Decimal("1000.00"))],
        help_text=_("The complaint rate must be at least this multiple of the baseline."),
    )
    window_weeks = models.PositiveIntegerField(
        _("window (weeks)"),
        default=52,
        validators=[MinValueValidator(4), MaxValueValidator(520)],
        help_text=_("Complaints and exposure of the last so many weeks are compared."),
    )
    recent_weeks = models.PositiveIntegerField(
        _("recent period for device models (weeks)"),
        default=13,
        validators=[MinValueValidator(1), MaxValueValidator(260)],
        help_text=_(
            "A device model's rate in the last so many weeks is compared with its rate in the "
            "rest of the window."
        ),
    )
    cluster_days = models.PositiveIntegerField(
        _("grouping period (days)"),
        default=3,
        validators=[MinValueValidator(0), MaxValueValidator(365)],
        help_text=_(
            "Complaints about a lot from one holder within so many days of the first count as "
            "one event (0: each complaint counts)."
        ),
    )
    min_holders = models.PositiveIntegerField(
        _("minimum holders"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text=_("A lot signal needs complaints from at least so many different holders."),
    )
    prior_complaints = models.DecimalField(
        _("baseline prior (complaints)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("1.00"),
        validators=[MinValueValidator(Decimal("0.00")), MaxValueValidator(Decimal("100.00"))],
        help_text=_(
            "Weight, in complaints, of the company-wide rate in a device model's baseline "
            "(0: none)."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("early-warning policy")
        verbose_name_plural = _("early-warning policy")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(recent_weeks__lt=models.F("window_weeks")),
                name="signal_policy_recent_within_window",
            )
        ]

    def __str__(self) -> str:
        return str(_("Early-warning policy"))


class SignalKind(models.TextChoices):
    LOT = "lot", _("Lot against the device model's other lots")
    MODEL = "model", _("Device model: recent weeks against the rest of the window")


class SignalStatus(models.TextChoices):
    NEW = "new", _("New")
    UNDER_REVIEW = "under_review", _("Under review")
    DISMISSED = "dismissed", _("Dismissed")
    LINKED = "linked", _("Linked to a CAPA or recall")


class Signal(models.Model):
    """A lot or device model whose complaint rate stood out. One row per lot (kind ``lot``) or
    device model (kind ``model``), updated by each detection run: its figures are the last run's;
    ``active`` says whether the last run still found it (a fixed problem goes quiet, its record
    and review stay)."""

    kind = models.CharField(_("kind"), max_length=8, choices=SignalKind.choices)
    device_model = models.ForeignKey(
        DeviceModel,
        on_delete=models.PROTECT,
        related_name="signals",
        verbose_name=_("device model"),
    )
    lot = models.ForeignKey(
        Lot,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signals",
        verbose_name=_("lot"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=SignalStatus.choices, default=SignalStatus.NEW
    )
    active = models.BooleanField(_("active"), default=True)
    complaints_count = models.PositiveIntegerField(_("complaints"))
    units = models.PositiveIntegerField(_("units shipped"))
    expected = models.FloatField(_("expected complaints"))
    rate_per_1000 = models.FloatField(_("rate per 1,000 units"))
    baseline_per_1000 = models.FloatField(_("baseline per 1,000 units"))
    ratio = models.FloatField(_("rate ratio"), null=True, blank=True)
    p_value = models.FloatField(_("p-value"))
    q_value = models.FloatField(_("adjusted p-value"))
    since = models.DateField(_("since"))
    window_start = models.DateField(_("window start"))
    window_end = models.DateField(_("window end"))
    first_detected_at = models.DateTimeField(_("first detected"))
    last_detected_at = models.DateTimeField(_("last detected"))
    complaints = models.ManyToManyField(
        "quality.Complaint", related_name="signals", blank=True, verbose_name=_("complaints")
    )
    dismissed_reason = models.TextField(_("reason for dismissal"), blank=True)
    capa = models.ForeignKey(
        "quality.Capa",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signals",
        verbose_name=_("CAPA"),
    )
    recall = models.ForeignKey(
        RecallCase,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signals",
        verbose_name=_("recall"),
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("early-warning signal")
        verbose_name_plural = _("early-warning signals")
        ordering = ["-active", "q_value", "-pk"]
        permissions = [("review_signal", "Can review, dismiss and link early-warning signals")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=SignalStatus.values), name="signal_status_known"
            ),
            models.CheckConstraint(
                condition=(models.Q(kind="lot") & models.Q(lot__isnull=False))
                | (models.Q(kind="model") & models.Q(lot__isnull=True)),
                name="signal_lot_iff_lot_kind",
            ),
            models.UniqueConstraint(
                fields=["lot"], condition=models.Q(kind="lot"), name="signal_once_per_lot"
            ),
            models.UniqueConstraint(
                fields=["device_model"],
                condition=models.Q(kind="model"),
                name="signal_once_per_model",
            ),
        ]
        indexes = [models.Index(fields=["active", "status"], name="signal_active_status")]

    def __str__(self) -> str:
        if self.kind == SignalKind.LOT and self.lot is not None:
            return f"{self.device_model} {self.lot.number}"
        return str(self.device_model)
