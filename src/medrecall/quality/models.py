"""Complaints and adverse events, their reportability decisions and clock alerts; CAPAs with
root causes, actions and verifications of effectiveness."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from medrecall.catalog.models import DeviceModel, Lot, Serial
from medrecall.core.models import TimeStampedModel
from medrecall.intelligence.vocabulary import FdaRootCause
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase, Regime

from .lifecycle import CapaStatus, ComplaintStatus

# A root cause's category is FDA's root-cause vocabulary, kept once in the lower layer
# (intelligence), so that our CAPAs and the public recall history count alike.
RootCauseCategory = FdaRootCause


class Channel(models.TextChoices):
    """How a complaint reached us."""

    PORTAL = "portal", _("Customer portal")
    REPLY = "reply", _("Recall reply form")
    EMAIL = "email", _("E-mail")
    PHONE = "phone", _("Telephone")
    IMPORT = "import", _("File import")
    STAFF = "staff", _("Entered by staff")


class Resolution(models.TextChoices):
    """Whether the complaint's device, lot and serial are known records."""

    RESOLVED = "resolved", _("Resolved")
    UNKNOWN_MODEL = "unknown_model", _("Device model not known")
    UNKNOWN_LOT = "unknown_lot", _("Lot not known")
    UNKNOWN_SERIAL = "unknown_serial", _("Serial not known")
    NOT_GIVEN = "not_given", _("No device identified")


class Complaint(TimeStampedModel):
    """A complaint or adverse event as received (ISO 13485 8.2.2): what happened, to which
    unit, who told us and when we became aware. The unit given is kept as typed (``gtin_text``,
    ``lot_text``, ``serial_text``, ``barcode``) beside the records it resolved to, so an
    unknown lot or serial is never lost: ``resolution`` says what is still to be found."""

    number = models.CharField(_("complaint number"), max_length=40, unique=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=ComplaintStatus.choices,
        default=ComplaintStatus.RECEIVED,
    )
    channel = models.CharField(_("received through"), max_length=10, choices=Channel.choices)
    holder = models.ForeignKey(
        Party,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
        verbose_name=_("holder"),
    )
    reference = models.CharField(
        _("holder's reference"),
        max_length=100,
        blank=True,
        help_text=_("The holder's own number for this complaint, if it has one."),
    )
    reporter_name = models.CharField(_("reported by"), max_length=150, blank=True)
    reporter_contact = models.CharField(_("reporter's contact"), max_length=255, blank=True)
    barcode = models.CharField(_("scanned UDI"), max_length=255, blank=True)
    gtin_text = models.CharField(_("GTIN as given"), max_length=64, blank=True)
    lot_text = models.CharField(_("lot as given"), max_length=40, blank=True)
    serial_text = models.CharField(_("serial as given"), max_length=40, blank=True)
    device_model = models.ForeignKey(
        DeviceModel,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
        verbose_name=_("device model"),
    )
    lot = models.ForeignKey(
        Lot,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
        verbose_name=_("lot"),
    )
    serial = models.ForeignKey(
        Serial,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
        verbose_name=_("serial number"),
    )
    resolution = models.CharField(
        _("device identification"),
        max_length=16,
        choices=Resolution.choices,
        default=Resolution.NOT_GIVEN,
    )
    event_date = models.DateField(_("event date"), null=True, blank=True)
    aware_at = models.DateTimeField(
        _("awareness date"),
        help_text=_(
            "When anyone in the company first learned of it: the reporting clocks start here."
        ),
    )
    description = models.TextField(_("description"))
    patient_involved = models.BooleanField(_("patient involved"), default=False)
    injury = models.BooleanField(_("serious injury"), default=False)
    death = models.BooleanField(_("death"), default=False)
    malfunction = models.BooleanField(_("device malfunction"), default=False)
    findings = models.TextField(_("investigation findings"), blank=True)
    # The holder's records show the lot went elsewhere, never to this holder: kept, to resolve.
    holder_not_shipped = models.BooleanField(_("lot not shipped to this holder"), default=False)
    recall = models.ForeignKey(
        RecallCase,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="complaints",
        verbose_name=_("recall"),
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("entered by"),
    )
    triaged_at = models.DateTimeField(_("triaged at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-aware_at", "-pk"]
        permissions = [("triage_complaint", "Can triage complaints and record reports")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ComplaintStatus.values), name="complaint_status_known"
            ),
            models.CheckConstraint(
                condition=models.Q(resolution__in=Resolution.values),
                name="complaint_resolution_known",
            ),
            # A holder's own reference names one complaint: imports are idempotent by it.
            models.UniqueConstraint(
                fields=["holder", "reference"],
                condition=~models.Q(reference=""),
                name="complaint_holder_reference_once",
            ),
        ]
        indexes = [
            models.Index(fields=["status"], name="complaint_status"),
            models.Index(fields=["resolution"], name="complaint_resolution"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def needs_resolution(self) -> bool:
        return self.resolution != Resolution.RESOLVED or self.holder_not_shipped


class ReportCategory(models.TextChoices):
    """What makes a complaint reportable, per regime; each has its clock (``quality/clock.py``)."""

    NMPA_DEATH = "nmpa_death", _("NMPA: death")
    NMPA_SERIOUS_INJURY = (
        "nmpa_serious_injury",
        _("NMPA: serious injury, or could cause serious injury or death"),
    )
    NMPA_GROUP = "nmpa_group", _("NMPA: group adverse event")
    FDA_30_DAY = "fda_30_day", _("FDA MDR: death, serious injury or reportable malfunction")
    FDA_5_DAY = "fda_5_day", _("FDA MDR: remedial action needed (or FDA asked for 5-day reports)")
    EU_PUBLIC_HEALTH_THREAT = "eu_public_health_threat", _("EU MDR: serious public health threat")
    EU_DEATH_OR_SERIOUS_DETERIORATION = (
        "eu_death_or_serious_deterioration",
        _("EU MDR: death or unanticipated serious deterioration of health"),
    )
    EU_OTHER = "eu_other", _("EU MDR: other serious incident")


class ReportDecision(models.Model):
    """Triage of a complaint for one regime: reportable or not, in which category (which sets
    the clock), why; and, once filed, when and under which reference."""

    complaint = models.ForeignKey(
        Complaint, on_delete=models.CASCADE, related_name="decisions", verbose_name=_("complaint")
    )
    regime = models.CharField(_("regime"), max_length=8, choices=Regime.choices)
    reportable = models.BooleanField(_("reportable"))
    category = models.CharField(
        _("category"), max_length=40, choices=ReportCategory.choices, blank=True
    )
    rationale = models.TextField(_("rationale"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"))
    submitted_at = models.DateTimeField(_("report submitted at"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submission_reference = models.CharField(_("report reference"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("reportability decision")
        verbose_name_plural = _("reportability decisions")
        ordering = ["complaint", "regime"]
        constraints = [
            models.UniqueConstraint(fields=["complaint", "regime"], name="report_decision_once"),
            models.CheckConstraint(
                condition=(models.Q(reportable=True) & ~models.Q(category=""))
                | (models.Q(reportable=False) & models.Q(category="")),
                name="report_decision_category_iff_reportable",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.regime} {self.category or '-'}"


class ReportingAlert(models.Model):
    """An alert sent about a complaint's reporting clock (due soon, or breached): once each."""

    class Kind(models.TextChoices):
        DUE_SOON = "due_soon", _("Due soon")
        BREACHED = "breached", _("Breached")

    complaint = models.ForeignKey(
        Complaint, on_delete=models.CASCADE, related_name="reporting_alerts"
    )
    key = models.CharField(max_length=60)
    due_at = models.DateTimeField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    title = models.CharField(max_length=255)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["complaint", "key", "due_at", "kind"], name="reporting_alert_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.complaint_id} {self.key} {self.kind}"


class Capa(TimeStampedModel):
    """A corrective and preventive action (ISO 13485 8.5.2, 21 CFR 820 / QMSR): the problem,
    its root causes, the actions with owners and due dates, and the verification of
    effectiveness without which it cannot close. Linked to the recalls and complaints that
    raised it, the lots affected and the suppliers of their component lots."""

    number = models.CharField(_("CAPA number"), max_length=40, unique=True)
    title = models.CharField(_("title"), max_length=255)
    problem = models.TextField(_("problem statement"))
    status = models.CharField(
        _("status"), max_length=12, choices=CapaStatus.choices, default=CapaStatus.OPEN
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_capas",
        verbose_name=_("owner"),
    )
    due_on = models.DateField(_("due date"))
    recalls = models.ManyToManyField(
        RecallCase, related_name="capas", blank=True, verbose_name=_("recalls")
    )
    complaints = models.ManyToManyField(
        Complaint, related_name="capas", blank=True, verbose_name=_("complaints")
    )
    lots = models.ManyToManyField(
        Lot, related_name="capas", blank=True, verbose_name=_("lots affected")
    )
    suppliers = models.ManyToManyField(
        Party, related_name="capas", blank=True, verbose_name=_("suppliers")
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("CAPA")
        verbose_name_plural = _("CAPAs")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=CapaStatus.values), name="capa_status_known"
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def is_overdue(self) -> bool:
        """Not closed and its due date is past (today in the configured time zone)."""
        return self.status != CapaStatus.CLOSED and self.due_on < timezone.localdate()


class Fishbone(models.TextChoices):
    """The six Ms of an Ishikawa (fishbone) diagram."""

    MAN = "man", _("Man (people)")
    MACHINE = "machine", _("Machine (equipment)")
    METHOD = "method", _("Method (process)")
    MATERIAL = "material", _("Material")
    MEASUREMENT = "measurement", _("Measurement")
    MOTHER_NATURE = "environment", _("Mother nature (environment)")


class RootCause(TimeStampedModel):
    """One root cause of a CAPA's problem: its FDA category, the statement, the 5-why chain
    that led to it (``whys``: up to five answers, in order) and fishbone entries
    (``fishbone``: 6M category → contributing causes)."""

    capa = models.ForeignKey(
        Capa, on_delete=models.CASCADE, related_name="root_causes", verbose_name=_("CAPA")
    )
    category = models.CharField(
        _("root-cause category"), max_length=80, choices=RootCauseCategory.choices
    )
    statement = models.TextField(_("root cause"))
    whys = models.JSONField(_("5 whys"), default=list, blank=True)
    fishbone = models.JSONField(_("fishbone (6M)"), default=dict, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("root cause")
        verbose_name_plural = _("root causes")
        ordering = ["capa", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(category__in=RootCauseCategory.values),
                name="root_cause_category_known",
            )
        ]

    def __str__(self) -> str:
        return f"{self.capa_id} {self.category}"


class ActionKind(models.TextChoices):
    CORRECTION = "correction", _("Correction")
    CORRECTIVE = "corrective", _("Corrective action")
    PREVENTIVE = "preventive", _("Preventive action")


class ActionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class CapaTask(TimeStampedModel):
    """One action of a CAPA: what, who owns it, by when, where it stands."""

    capa = models.ForeignKey(
        Capa, on_delete=models.CASCADE, related_name="actions", verbose_name=_("CAPA")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=ActionKind.choices)
    description = models.TextField(_("action"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="capa_actions",
        verbose_name=_("owner"),
    )
    due_on = models.DateField(_("due date"))
    status = models.CharField(
        _("status"), max_length=12, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("CAPA action")
        verbose_name_plural = _("CAPA actions")
        ordering = ["capa", "due_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=ActionStatus.values), name="capa_action_status_known"
            )
        ]

    def __str__(self) -> str:
        return f"{self.capa_id} {self.kind} {self.status}"


class Verification(models.Model):
    """A verification of effectiveness: how it was checked, what was found, whether the
    actions worked. Only an effective one lets the CAPA close; an ineffective one is kept."""

    capa = models.ForeignKey(
        Capa, on_delete=models.CASCADE, related_name="verifications", verbose_name=_("CAPA")
    )
    method = models.TextField(_("method"))
    result = models.TextField(_("result"))
    effective = models.BooleanField(_("effective"))
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(_("verified at"))

    class Meta:
        verbose_name = _("verification of effectiveness")
        verbose_name_plural = _("verifications of effectiveness")
        ordering = ["capa", "verified_at", "pk"]

    def __str__(self) -> str:
        return f"{self.capa_id} {'effective' if self.effective else 'not effective'}"


# Early-warning signals and their thresholds (quality/signals.py), kept in their own module.
from .models_signals import Signal as Signal  # noqa: E402
from .models_signals import SignalKind as SignalKind  # noqa: E402
from .models_signals import SignalPolicy as SignalPolicy  # noqa: E402
from .models_signals import SignalStatus as SignalStatus  # noqa: E402
