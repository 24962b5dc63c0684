"""Effectiveness checks, unit exceptions, the completion date and the closing signature."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from medrecall.accounts.models import Signature
from medrecall.catalog.models import Lot
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase, Regime

USER = settings.AUTH_USER_MODEL


class Level(models.TextChoices):
    """FDA's effectiveness-check levels (21 CFR 7.42(b)(3)); NMPA and EU MDR use the same scale
    as the company's own choice."""

    A = "A", _("Level A: 100 % of the consignees")
    B = "B", _("Level B: a share between 10 % and 100 %")
    C = "C", _("Level C: 10 % of the consignees")
    D = "D", _("Level D: 2 % of the consignees")
    E = "E", _("Level E: no effectiveness checks")


class Stratum(models.TextChoices):
    DISTRIBUTOR = "distributor", _("Distributors")
    END_USER = "end_user", _("End users")


class ContactMethod(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    VISIT = "visit", _("Visit")
    LETTER = "letter", _("Letter")


class CheckPlan(models.Model):
    """The effectiveness-check level of one regime of a recall."""

    recall = models.ForeignKey(
        RecallCase, on_delete=models.CASCADE, related_name="check_plans", verbose_name=_("recall")
    )
    regime = models.CharField(_("regime"), max_length=8, choices=Regime.choices)
    level = models.CharField(_("level"), max_length=1, choices=Level.choices)
    share = models.PositiveSmallIntegerField(_("share (%) for level B"), null=True, blank=True)
    set_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(_("set at"))

    class Meta:
        verbose_name = _("effectiveness-check plan")
        verbose_name_plural = _("effectiveness-check plans")
        ordering = ["recall", "regime"]
        constraints = [
            models.UniqueConstraint(fields=["recall", "regime"], name="check_plan_once"),
            models.CheckConstraint(
                condition=Q(level__in=["A", "B", "C", "D", "E"]), name="check_plan_level_known"
            ),
            models.CheckConstraint(
                condition=Q(share__isnull=True) | Q(share__gte=10, share__lte=100),
                name="check_plan_share_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recall_id} {self.regime} level {self.level}"


class Sample(models.Model):
    """A random sample of the consignees of one regime, drawn with a recorded seed: the same
    seed over the same frozen scope gives the same consignees."""

    plan = models.ForeignKey(CheckPlan, on_delete=models.CASCADE, related_name="samples")
    snapshot_sequence = models.PositiveIntegerField(_("scope snapshot"))
    seed = models.BigIntegerField(_("seed"))
    population = models.PositiveIntegerField(_("consignees"))
    size = models.PositiveIntegerField(_("sample size"))
    drawn_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    drawn_at = models.DateTimeField(_("drawn at"))

    class Meta:
        verbose_name = _("effectiveness-check sample")
        verbose_name_plural = _("effectiveness-check samples")
        ordering = ["-drawn_at", "-pk"]

    def __str__(self) -> str:
        return f"sample {self.pk} seed {self.seed}"


class SampledConsignee(models.Model):
    sample = models.ForeignKey(Sample, on_delete=models.CASCADE, related_name="consignees")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    stratum = models.CharField(_("stratum"), max_length=12, choices=Stratum.choices)
    units = models.PositiveIntegerField(_("units in scope"))

    class Meta:
        ordering = ["sample", "stratum", "party__code"]
        constraints = [
            models.UniqueConstraint(fields=["sample", "party"], name="sampled_consignee_once")
        ]

    def __str__(self) -> str:
        return f"{self.sample_id}: {self.party_id}"


class CheckRecord(models.Model):
    """One effectiveness check of a sampled consignee. Passed when the notice was received and
    the instructions were followed. A failed check is escalated until a later check of the same
    consignee passes or it is resolved with a reason."""

    consignee = models.ForeignKey(SampledConsignee, on_delete=models.CASCADE, related_name="checks")
    contacted_how = models.CharField(
        _("contacted how"), max_length=8, choices=ContactMethod.choices
    )
    notice_received = models.BooleanField(_("notice received"))
    instructions_followed = models.BooleanField(_("instructions followed"))
    units_found = models.PositiveIntegerField(_("units found"), default=0)
    note = models.TextField(_("note"), blank=True)
    passed = models.BooleanField(_("passed"))
    checked_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    checked_at = models.DateTimeField(_("checked at"))
    renotified_notices = models.JSONField(_("re-notification notices"), default=list)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolution = models.TextField(_("resolution"), blank=True)

    class Meta:
        verbose_name = _("effectiveness check")
        verbose_name_plural = _("effectiveness checks")
        ordering = ["-checked_at", "-pk"]

    def __str__(self) -> str:
        return f"check {self.pk} of {self.consignee_id}"


class UnitException(models.Model):
    """Units of one lot at one holder that the recall accepts as not recoverable: a reason and an
    e-signature (meaning "responsible") over exactly these units."""

    recall = models.ForeignKey(RecallCase, on_delete=models.PROTECT, related_name="unit_exceptions")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="+")
    units = models.PositiveIntegerField(_("units"))
    reason = models.TextField(_("reason"))
    signature = models.OneToOneField(Signature, on_delete=models.PROTECT, related_name="+")
    signed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(_("signed at"))

    class Meta:
        verbose_name = _("unit exception")
        verbose_name_plural = _("unit exceptions")
        ordering = ["recall", "party__code", "lot__number", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(units__gt=0), name="unit_exception_units")
        ]

    def __str__(self) -> str:
        return f"{self.recall_id}: {self.units} of lot {self.lot_id} at {self.party_id}"


class Completion(models.Model):
    """When the recall became complete: recorded once, the first time every unit was accounted."""

    recall = models.OneToOneField(RecallCase, on_delete=models.CASCADE, related_name="completion")
    completed_at = models.DateTimeField(_("completed at"))
    snapshot_sequence = models.PositiveIntegerField(_("scope snapshot"))

    def __str__(self) -> str:
        return f"{self.recall_id} complete {self.completed_at:%Y-%m-%d}"


class ClosingSignature(models.Model):
    """The e-signature (meaning "approved") that closes the recall once nothing blocks."""

    recall = models.ForeignKey(
        RecallCase, on_delete=models.CASCADE, related_name="closing_signatures"
    )
    signature = models.OneToOneField(Signature, on_delete=models.PROTECT, related_name="+")
    signed_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(_("signed at"))

    class Meta:
        ordering = ["-signed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.recall_id} closing signed {self.signed_at:%Y-%m-%d}"
