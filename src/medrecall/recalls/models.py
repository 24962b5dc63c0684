"""The recall case, its regimes and classes, scope rules, frozen scope snapshots and the
approval steps each class needs."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from medrecall.catalog.models import DeviceModel, Lot, Serial
from medrecall.core.models import TimeStampedModel
from medrecall.parties.models import Location, Party

from .lifecycle import Status


class ActionType(models.TextChoices):
    REMOVAL = "removal", _("Removal")
    CORRECTION = "correction", _("Correction (in the field)")


class Initiation(models.TextChoices):
    VOLUNTARY = "voluntary", _("Voluntary (our decision)")
    ORDERED = "ordered", _("Ordered by a regulator")


class Depth(models.TextChoices):
    WHOLESALE = "wholesale", _("Wholesale")
    RETAIL = "retail", _("Retail")
    USER = "user", _("User")
    PATIENT = "patient", _("Patient")


class EffectivenessLevel(models.TextChoices):
    """The effectiveness-check levels A (every consignee) to E (none), as the FDA's guidance
    names them."""

    A = "A"
    B = "B"
    C = "C"
    D = "D"
    E = "E"


class IncidentCategory(models.TextChoices):
    """The MDR Art. 87 serious-incident categories and their report deadlines (2/10/15 days)."""

    PUBLIC_HEALTH_THREAT = "public_health_threat", _("Serious public health threat (2 days)")
    DEATH_OR_SERIOUS_DETERIORATION = (
        "death_or_serious_deterioration",
        _("Death or unanticipated serious deterioration of health (10 days)"),
    )
    OTHER = "other", _("Other serious incident (15 days)")


class Regime(models.TextChoices):
    NMPA = "nmpa", _("China NMPA")
    FDA = "fda", _("US FDA")
    EU_MDR = "eu_mdr", _("EU MDR")


REGIME_CLASSES: dict[str, tuple[tuple[str, str], ...]] = {
    Regime.NMPA: (
        ("I", "一级召回 / Level I"),
        ("II", "二级召回 / Level II"),
        ("III", "三级召回 / Level III"),
    ),
    Regime.FDA: (("I", "Class I"), ("II", "Class II"), ("III", "Class III")),
    Regime.EU_MDR: (("fsca", "FSCA"),),
}


# Free text of a recall kept in Chinese (the plain field) and English (``<field>_en``).
BILINGUAL_FIELDS = ("title", "reason", "defect_description", "hazard_description")

# The case fields a user edits (``recall_update``): the edit form, the API and the service
# read this one list.
EDITABLE = (
    "title",
    "title_en",
    "reason",
    "reason_en",
    "defect_description",
    "defect_description_en",
    "hazard_description",
    "hazard_description_en",
    "action_type",
    "initiation",
    "ordering_authority",
    "depth",
    "public_warning",
    "effectiveness_level",
    "effectiveness_percent",
    "strategy",
    "progress_interval_days",
    "fda_status_interval_days",
    "decision_at",
    "initiated_at",
    "completed_at",
    "aware_at",
    "eu_incident",
)


class RecallCase(TimeStampedModel):
    """One recall, from the first draft to closure."""

    # The records a recall's audit entries also speak of: their fields label the history's keys
    # (``audit.presentation``).
    audit_related: ClassVar[tuple[str, ...]] = (
        "recalls.RecallRegime",
        "recalls.HazardEvaluation",
        "recalls.ScopeRule",
        "recalls.ApprovalStep",
        "notices.NoticeRun",
    )

    number = models.CharField(_("recall number"), max_length=40, unique=True)
    # The recall's own words in both languages: the plain field is the Chinese text, ``_en``
    # the English one. A notice takes the text of its reader's language only (never the other).
    title = models.CharField(_("title (Chinese)"), max_length=255)
    title_en = models.CharField(_("title (English)"), max_length=255, blank=True)
    status = models.CharField(
        _("status"), max_length=24, choices=Status.choices, default=Status.DRAFT
    )
    products = models.ManyToManyField(
        DeviceModel, related_name="recalls", verbose_name=_("device models"), blank=True
    )
    reason = models.TextField(_("reason for the recall (Chinese)"), blank=True)
    reason_en = models.TextField(_("reason for the recall (English)"), blank=True)
    defect_description = models.TextField(_("defect (Chinese)"), blank=True)
    defect_description_en = models.TextField(_("defect (English)"), blank=True)
    hazard_description = models.TextField(_("possible harm (Chinese)"), blank=True)
    hazard_description_en = models.TextField(_("possible harm (English)"), blank=True)
    action_type = models.CharField(
        _("type of action"), max_length=12, choices=ActionType.choices, default=ActionType.REMOVAL
    )
    initiation = models.CharField(
        _("initiated"), max_length=12, choices=Initiation.choices, default=Initiation.VOLUNTARY
    )
    ordering_authority = models.CharField(_("ordering authority"), max_length=255, blank=True)
    depth = models.CharField(_("depth"), max_length=12, choices=Depth.choices, default=Depth.USER)
    public_warning = models.BooleanField(_("public warning"), default=False)
    effectiveness_level = models.CharField(
        _("effectiveness-check level"),
        max_length=1,
        blank=True,
        choices=EffectivenessLevel.choices,
    )
    effectiveness_percent = models.PositiveSmallIntegerField(
        _("effectiveness-check sample (%) for level B"), null=True, blank=True
    )
    strategy = models.TextField(_("strategy"), blank=True)
    progress_interval_days = models.PositiveSmallIntegerField(
        _("progress report every (days)"), null=True, blank=True
    )
    # 21 CFR 7.53: FDA sets how often status reports are due (typically every 2 to 4 weeks).
    fda_status_interval_days = models.PositiveSmallIntegerField(
        _("FDA status report every (days)"),
        default=14,
        validators=[MinValueValidator(1)],
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="owned_recalls",
        verbose_name=_("owner"),
    )
    team = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="recall_teams", blank=True, verbose_name=_("team")
    )
    decision_at = models.DateTimeField(_("decision (or order received) at"), null=True, blank=True)
    initiated_at = models.DateTimeField(_("first holder notified at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    # EU MDR Art. 87: the manufacturer's awareness of the serious incident and its category
    # start the 2/10/15-day incident report deadline (recalls.clock._eu).
    aware_at = models.DateTimeField(_("aware of the serious incident at"), null=True, blank=True)
    eu_incident = models.CharField(
        _("serious-incident category (EU MDR)"),
        max_length=40,
        blank=True,
        choices=IncidentCategory.choices,
    )
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        verbose_name = _("recall")
        verbose_name_plural = _("recalls")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=Status.values), name="recall_status_known"
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def clean(self) -> None:
        """The awareness date and the incident category go together: the MDR Art. 87 clock
        needs both (a category without a date, or a date without one, is refused)."""
        super().clean()
        if self.aware_at and not self.eu_incident:
            raise ValidationError(
                {"eu_incident": _("Choose the serious-incident category for the awareness date.")}
            )
        if self.eu_incident and not self.aware_at:
            raise ValidationError(
                {"aware_at": _("Give the date the serious incident became known.")}
            )

    def text_for(self, field: str, language: str) -> str:
        """``field`` (title, reason, defect_description, hazard_description) in ``language``
        only, without falling back to the other language: what a notice may print."""
        if field not in BILINGUAL_FIELDS:
            raise ValueError(field)
        return str(
            getattr(self, f"{field}_en" if language.lower().startswith("en") else field) or ""
        ).strip()

    def title_for(self, language: str | None = None) -> str:
        """The title for a page in ``language`` (default: the active one), falling back to the
        other language: for display, never for a notice."""
        from django.utils.translation import get_language

        language = language or get_language() or settings.LANGUAGE_CODE
        other = "zh-hans" if language.lower().startswith("en") else "en"
        return self.text_for("title", language) or self.text_for("title", other)

    @property
    def display_title(self) -> str:
        return self.title_for()

    def shown(self, field: str) -> str:
        """A bilingual text (``reason``, ``defect_description``, ``hazard_description``) for a page
        in the active language, falling back to the other: for display, never for a notice."""
        from django.utils.translation import get_language

        language = get_language() or settings.LANGUAGE_CODE
        other = "zh-hans" if language.lower().startswith("en") else "en"
        return self.text_for(field, language) or self.text_for(field, other)

    @property
    def display_reason(self) -> str:
        return self.shown("reason")

    @property
    def current_snapshot(self) -> ScopeSnapshot | None:
        return self.snapshots.order_by("-sequence").first()


class RecallRegime(models.Model):
    """A regime that applies to the recall, with the class proposed by the hazard evaluation
    and the class decided (an override needs a reason)."""

    recall = models.ForeignKey(RecallCase, on_delete=models.CASCADE, related_name="regimes")
    regime = models.CharField(_("regime"), max_length=8, choices=Regime.choices)
    proposed_class = models.CharField(_("proposed class"), max_length=8, blank=True)
    recall_class = models.CharField(_("class / level"), max_length=8, blank=True)
    override_reason = models.TextField(_("reason for overriding the proposal"), blank=True)
    # What FDA sends back (regime fda only, ``recalls.fda.fda_record``): its own classification
    # (21 CFR 7.41, FDA assigns the class), the recall event id and a Z-number per product.
    fda_class = models.CharField(
        _("FDA classification"),
        max_length=3,
        blank=True,
        # FDA's recall classes as its RA staff write them (I 类 in Chinese, as the filings).
        choices=[
            ("I", pgettext_lazy("FDA recall class", "Class I")),
            ("II", pgettext_lazy("FDA recall class", "Class II")),
            ("III", pgettext_lazy("FDA recall class", "Class III")),
        ],
    )
    fda_event_id = models.CharField(_("FDA recall event id"), max_length=20, blank=True)
    fda_z_numbers = models.JSONField(_("FDA Z-numbers per product"), default=list, blank=True)
    fda_classified_on = models.DateField(_("FDA classified on"), null=True, blank=True)
    # Why the case keeps its own class where FDA's differs (cleared when FDA's class changes).
    fda_class_kept_reason = models.TextField(
        _("why the case keeps its class (FDA's differs)"), blank=True
    )

    class Meta:
        verbose_name = _("regime of a recall")
        verbose_name_plural = _("regimes of a recall")
        constraints = [
            models.UniqueConstraint(fields=["recall", "regime"], name="recall_regime_once")
        ]

    def __str__(self) -> str:
        return f"{self.recall.number} {self.regime} {self.recall_class or '?'}"


class Transition(models.Model):
    """One move along the lifecycle: who, when, from, to, why."""

    recall = models.ForeignKey(RecallCase, on_delete=models.CASCADE, related_name="transitions")
    source = models.CharField(max_length=24, choices=Status.choices)
    target = models.CharField(max_length=24, choices=Status.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.recall_id}: {self.source} → {self.target}"


class HazardEvaluation(TimeStampedModel):
    """Health hazard evaluation (FDA 21 CFR 7.41) / 调查评估 (NMPA Art. 12)."""

    class Severity(models.TextChoices):
        DEATH = "death", _("Death or permanent impairment")
        SERIOUS = "serious", _("Serious injury needing medical intervention")
        REVERSIBLE = "reversible", _("Temporary or medically reversible harm")
        NONE = "none", _("Not likely to cause harm")

    class Likelihood(models.TextChoices):
        FREQUENT = "frequent", _("Frequent")
        PROBABLE = "probable", _("Probable")
        OCCASIONAL = "occasional", _("Occasional")
        REMOTE = "remote", _("Remote")
        IMPROBABLE = "improbable", _("Improbable")

    recall = models.OneToOneField(
        RecallCase, on_delete=models.CASCADE, related_name="hazard_evaluation"
    )
    injuries_reported = models.PositiveIntegerField(_("injuries reported so far"), default=0)
    deaths_reported = models.PositiveIntegerField(_("deaths reported so far"), default=0)
    populations_at_risk = models.TextField(
        _("populations at risk (e.g. children, implanted patients)"), blank=True
    )
    severity = models.CharField(_("worst credible harm"), max_length=12, choices=Severity.choices)
    likelihood = models.CharField(
        _("likelihood of that harm"), max_length=12, choices=Likelihood.choices
    )
    consequences = models.TextField(_("short- and long-term consequences"), blank=True)
    evaluated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    def __str__(self) -> str:
        return f"HHE {self.recall_id}: {self.severity}/{self.likelihood}"


class ScopeRule(models.Model):
    """One rule of what the recall covers; the rules together are resolved into a snapshot."""

    class Kind(models.TextChoices):
        DEVICE_MODEL = "device_model", _("Every lot of a device model")
        LOTS = "lots", _("Lot list")
        LOT_RANGE = "lot_range", _("Lot range (from, to)")
        SERIALS = "serials", _("Serial list")
        SERIAL_RANGE = "serial_range", _("Serial range (from, to)")
        MANUFACTURED = "manufactured", _("Manufactured between")
        EXPIRY = "expiry", _("Expiring between")
        SHIPPED = "shipped", _("Shipped between")
        COMPONENT_LOTS = (
            "component_lots",
            _("Component lots (and every finished lot that used them)"),
        )

    recall = models.ForeignKey(RecallCase, on_delete=models.CASCADE, related_name="scope_rules")
    kind = models.CharField(_("rule"), max_length=16, choices=Kind.choices)
    device_model = models.ForeignKey(
        DeviceModel, on_delete=models.PROTECT, related_name="+", verbose_name=_("device model")
    )
    values = models.JSONField(
        _("values"), default=list, blank=True, help_text=_("Lot or serial numbers")
    )
    range_from = models.CharField(_("from"), max_length=40, blank=True)
    range_to = models.CharField(_("to"), max_length=40, blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.device_model_id} {self.values or ''} {self.range_from}..{self.range_to}"


class ScopeSnapshot(models.Model):
    """The frozen list of affected units and holders: the baseline every later count uses."""

    recall = models.ForeignKey(RecallCase, on_delete=models.CASCADE, related_name="snapshots")
    sequence = models.PositiveIntegerField(_("snapshot"))
    rules = models.JSONField(_("rules as resolved"), default=list)
    total_units = models.PositiveIntegerField(_("affected units"), default=0)
    total_holders = models.PositiveIntegerField(_("holders"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["recall", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["recall", "sequence"], name="snapshot_sequence_once")
        ]

    def __str__(self) -> str:
        return f"{self.recall.number} scope #{self.sequence}"


class Category(models.TextChoices):
    OWN_STOCK = "own_stock", _("Own stock")
    QUARANTINE = "quarantine", _("Quarantine")
    IN_TRANSIT = "in_transit", _("In transit")
    AT_DISTRIBUTORS = "at_distributors", _("At distributors")
    AT_CUSTOMERS = "at_customers", _("At customers")
    DISPOSITIONED = "dispositioned", _("Dealt with (dispositioned)")


class AffectedLine(models.Model):
    """Affected units of one lot (and serial) at one location, as frozen."""

    snapshot = models.ForeignKey(ScopeSnapshot, on_delete=models.CASCADE, related_name="lines")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="+")
    serial = models.ForeignKey(
        Serial, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    on_hand = models.IntegerField(_("on hand"), default=0)
    in_transit = models.IntegerField(_("in transit"), default=0)
    received = models.IntegerField(_("received"), default=0)
    category = models.CharField(_("where"), max_length=16, choices=Category.choices)
    echelon = models.PositiveSmallIntegerField(_("echelon"), default=0)

    class Meta:
        indexes = [
            models.Index(fields=["snapshot", "party"]),
            models.Index(fields=["snapshot", "location"]),
        ]

    def __str__(self) -> str:
        return f"{self.snapshot_id}: lot {self.lot_id} @ {self.location_id} = {self.on_hand}"


class ApprovalStep(models.Model):
    """Who must sign before a recall of a given regime and class is approved (configurable)."""

    regime = models.CharField(_("regime"), max_length=8, choices=Regime.choices)
    recall_class = models.CharField(_("class / level"), max_length=8)
    step = models.CharField(_("step"), max_length=40, help_text=_("e.g. qa_head, ra_head"))
    label = models.CharField(_("label"), max_length=100)
    group = models.CharField(_("role that may sign"), max_length=40, default="qa_ra_manager")
    distinct_signer = models.BooleanField(
        _("needs its own signer"),
        default=True,
        help_text=_(
            "Whoever signs this step may sign no other step of the same recall's approval."
        ),
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["regime", "recall_class", "step"], name="approval_step_once"
            )
        ]
        ordering = ["regime", "recall_class", "step"]
        verbose_name = _("approval step")
        verbose_name_plural = _("approval steps")

    def __str__(self) -> str:
        return f"{self.regime} {self.recall_class}: {self.label}"


class DeadlineDone(models.Model):
    """A regulatory deadline met: which one (key and due time, recurring ones per period), when, by whom."""

    recall = models.ForeignKey(RecallCase, on_delete=models.CASCADE, related_name="deadlines_done")
    key = models.CharField(_("deadline"), max_length=60)
    due_at = models.DateTimeField(_("due at"))
    done_at = models.DateTimeField(_("done at"))
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["recall", "key", "due_at"], name="deadline_done_once")
        ]

    def __str__(self) -> str:
        return f"{self.recall_id} {self.key} {self.due_at:%Y-%m-%d}"


class DeadlineAlert(models.Model):
    """An alert sent about a deadline (before it, or at breach): sent once, never twice."""

    class Kind(models.TextChoices):
        DUE_SOON = "due_soon", _("Due soon")
        BREACHED = "breached", _("Breached")

    recall = models.ForeignKey(RecallCase, on_delete=models.CASCADE, related_name="deadline_alerts")
    key = models.CharField(max_length=60)
    due_at = models.DateTimeField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    title = models.CharField(max_length=255)
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["recall", "key", "due_at", "kind"], name="deadline_alert_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.recall_id} {self.key} {self.kind}"


class ClosureException(models.Model):
    """A signed, reasoned decision to close a recall although the data do not show every
    affected unit dealt with: what was outstanding when it was signed, why, and the
    e-signature (meaning "responsible", step ``closure_exception``) that binds them."""

    recall = models.ForeignKey(
        RecallCase,
        on_delete=models.CASCADE,
        related_name="closure_exceptions",
        verbose_name=_("recall"),
    )
    signature = models.OneToOneField(
        "accounts.Signature",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("signature"),
    )
    reason = models.TextField(_("reason for closing with units outstanding"))
    findings = models.JSONField(_("outstanding when signed"), default=list)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("signed by"),
    )
    signed_at = models.DateTimeField(_("signed at"))

    class Meta:
        verbose_name = _("closure exception")
        verbose_name_plural = _("closure exceptions")
        ordering = ["signed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.recall_id} closure exception {self.signed_at:%Y-%m-%d}"
