"""Notices: templates (versioned, approved), notices per recipient with their frozen lines
and delivery status, the communication log, replies with sub-consignees, surveys and
compensation offers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from medrecall.catalog.models import Lot, Serial
from medrecall.core.models import TimeStampedModel
from medrecall.parties.models import Channel, Contact, Language, Location, Party
from medrecall.recalls.lifecycle import Status as RecallStatus
from medrecall.recalls.models import RecallCase, Regime

# Notices go out, and replies come in, while the recall is approved and not yet closed.
OPEN_FOR_NOTICES = (RecallStatus.IN_EXECUTION, RecallStatus.EFFECTIVENESS_CHECK)


class Kind(models.TextChoices):
    INITIAL = "initial", _("Recall notice")
    REMINDER = "reminder", _("Reminder")
    PROGRESS = "progress", _("Progress update")
    SURVEY = "survey", _("Satisfaction survey")
    UPDATE = "update", _("Updated recall notice")


class TemplateStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", pgettext_lazy("status", "Approved")
    RETIRED = "retired", _("Retired")


class NoticeTemplate(TimeStampedModel):
    """The words of one kind of notice for one regime and language. Editing makes a new
    draft version; approving it retires the version before."""

    regime = models.CharField(_("regime"), max_length=8, choices=Regime.choices)
    language = models.CharField(_("language"), max_length=10, choices=Language.choices)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    version = models.PositiveIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=10, choices=TemplateStatus.choices, default=TemplateStatus.DRAFT
    )
    title = models.CharField(_("document title"), max_length=200)
    subject = models.CharField(_("e-mail subject"), max_length=255)
    sections = models.JSONField(
        _("sections"),
        default=list,
        help_text=_("A list of {key, heading, body}; bodies may use placeholders."),
    )
    change_note = models.TextField(_("what changed"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notice template")
        verbose_name_plural = _("notice templates")
        ordering = ["regime", "kind", "language", "-version"]
        permissions = [("approve_noticetemplate", "Can approve notice templates")]
        constraints = [
            models.UniqueConstraint(
                fields=["regime", "language", "kind", "version"], name="template_version_once"
            ),
            models.UniqueConstraint(
                fields=["regime", "language", "kind"],
                condition=Q(status="approved"),
                name="template_one_approved",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_regime_display()} {self.get_kind_display()} ({self.language}) v{self.version}"


class NoticeRun(TimeStampedModel):
    """One bulk generation and sending of notices for a recall, with its progress."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        GENERATING = "generating", _("Generating")
        SENDING = "sending", _("Sending")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    recall = models.ForeignKey(RecallCase, on_delete=models.CASCADE, related_name="notice_runs")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.INITIAL)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.QUEUED
    )
    parties = models.JSONField(_("only these holders"), default=list, blank=True)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    total = models.PositiveIntegerField(_("notices"), default=0)
    rendered = models.PositiveIntegerField(_("rendered"), default=0)
    error = models.TextField(_("error"), blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty when the system started it (sub-consignees, reminders)."),
    )
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("send run")
        verbose_name_plural = _("send runs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.recall.number} run {self.pk}"


class NoticeStatus(models.TextChoices):
    GENERATED = "generated", _("Generated")
    QUEUED = "queued", _("Queued")
    SENDING = "sending", _("Sending")
    FAILED = "failed", _("Failed, will retry")
    BOUNCED = "bounced", _("Bounced / undeliverable")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    OPENED = "opened", _("Opened")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    REPLIED = "replied", _("Replied")


# A notice only moves forward along this order (an "opened" after a reply changes nothing).
STATUS_RANK = {status: rank for rank, status in enumerate(NoticeStatus.values)}


class Notice(models.Model):
    """One communication to one recipient of one holder, with the lines it lists frozen
    at generation, its rendered content and where it stands."""

    recall = models.ForeignKey(RecallCase, on_delete=models.CASCADE, related_name="notices")
    run = models.ForeignKey(
        NoticeRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="notices"
    )
    party = models.ForeignKey(
        Party, on_delete=models.PROTECT, related_name="notices", verbose_name=_("holder")
    )
    contact = models.ForeignKey(
        Contact,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notices",
        verbose_name=_("contact"),
    )
    recipient_key = models.CharField(max_length=40)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    sequence = models.PositiveSmallIntegerField(
        _("sequence"), default=1, help_text=_("1 = first notice, 2 = second notice, …")
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="follow_ups"
    )
    template = models.ForeignKey(
        NoticeTemplate, null=True, on_delete=models.PROTECT, related_name="+"
    )
    regime = models.CharField(_("regime"), max_length=8, choices=Regime.choices)
    language = models.CharField(_("language"), max_length=10, choices=Language.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    email = models.EmailField(_("e-mail"), blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body_html = models.TextField(blank=True)
    body_text = models.TextField(blank=True)
    pdf = models.FileField(_("PDF"), upload_to="notices/", blank=True)
    lines = models.JSONField(_("affected units"), default=list)
    total_units = models.PositiveIntegerField(_("units"), default=0)
    status = models.CharField(
        _("status"), max_length=12, choices=NoticeStatus.choices, default=NoticeStatus.GENERATED
    )
    attempts = models.PositiveSmallIntegerField(_("send attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    claim = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    message_id = models.CharField(_("message id"), max_length=200, blank=True, db_index=True)
    token_nonce = models.CharField(max_length=32)
    reply_due_at = models.DateTimeField(_("reply due"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("assigned to"),
    )

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recall", "recipient_key", "kind", "sequence"], name="notice_once"
            ),
            models.CheckConstraint(
                condition=Q(status__in=NoticeStatus.values), name="notice_status_known"
            ),
        ]
        indexes = [
            models.Index(fields=["recall", "status"]),
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["party", "recall"]),
        ]

    def __str__(self) -> str:
        return f"{self.recall.number} → {self.party} #{self.sequence} ({self.kind})"

    @property
    def root(self) -> Notice:
        return self.parent or self


class NoticeEvent(models.Model):
    """The communication log: what happened to a notice, through which channel, by whom."""

    class Type(models.TextChoices):
        GENERATED = "generated", _("Generated")
        QUEUED = "queued", _("Queued for sending")
        SENT = "sent", _("Sent by e-mail")
        FAILED = "failed", _("Sending failed")
        BOUNCED = "bounced", _("Bounced")
        DELIVERED = "delivered", _("Delivered")
        OPENED = "opened", _("Opened")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        REPLIED = "replied", _("Replied")
        LETTER = "letter", _("Letter posted")
        CALL = "call", _("Phone call")
        ESCALATED = "escalated", _("Escalated to customer service")
        NOTE = "note", _("Note")

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="events")
    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="+")
    recall = models.ForeignKey(RecallCase, on_delete=models.CASCADE, related_name="+")
    type = models.CharField(_("what"), max_length=14, choices=Type.choices)
    at = models.DateTimeField(_("when"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("who"),
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("communication")
        verbose_name_plural = _("communications")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["party", "at"])]

    def __str__(self) -> str:
        return f"{self.notice_id} {self.type} {self.at:%Y-%m-%d %H:%M}"


class Reply(models.Model):
    """A holder's answer to a recall: one per holder and recall, signed by name."""

    class Via(models.TextChoices):
        LINK = "link", _("Reply link")
        PORTAL = "portal", _("Portal")
        STAFF = "staff", _("Entered by staff")

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="replies")
    recall = models.ForeignKey(RecallCase, on_delete=models.CASCADE, related_name="replies")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="replies")
    respondent_name = models.CharField(_("your name (signature)"), max_length=150)
    respondent_title = models.CharField(_("job title"), max_length=150, blank=True)
    respondent_email = models.EmailField(_("e-mail"), blank=True)
    respondent_phone = models.CharField(_("phone"), max_length=50, blank=True)
    read_and_understood = models.BooleanField(
        _("we have read and understood the notice"), default=False
    )
    users_informed = models.BooleanField(
        _("all users of the devices have been informed"), default=False
    )
    comment = models.TextField(_("comments or questions"), blank=True)
    via = models.CharField(_("via"), max_length=8, choices=Via.choices)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("reply")
        verbose_name_plural = _("replies")
        ordering = ["-submitted_at"]
        constraints = [
            models.UniqueConstraint(fields=["recall", "party"], name="reply_once_per_holder")
        ]

    def __str__(self) -> str:
        return f"{self.recall.number} ← {self.party}"


class ReplyLine(models.Model):
    """What the holder reports for one affected line (lot, or serial)."""

    reply = models.ForeignKey(Reply, on_delete=models.CASCADE, related_name="lines")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="+")
    serial = models.ForeignKey(
        Serial, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    expected = models.PositiveIntegerField(_("we have on record"))
    on_hand = models.PositiveIntegerField(_("on hand"), default=0)
    to_return = models.PositiveIntegerField(_("returned / to return"), default=0)
    destroyed = models.PositiveIntegerField(_("destroyed"), default=0)
    used = models.PositiveIntegerField(_("used / implanted"), default=0)
    distributed = models.PositiveIntegerField(_("further distributed"), default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(to_return__lte=models.F("on_hand")), name="reply_return_within_on_hand"
            )
        ]

    def __str__(self) -> str:
        return f"{self.reply_id}: lot {self.lot_id} on hand {self.on_hand}"


class SubConsignee(models.Model):
    """A party the holder passed affected units on to: a scope addition of the recall."""

    reply = models.ForeignKey(Reply, on_delete=models.CASCADE, related_name="sub_consignees")
    recall = models.ForeignKey(RecallCase, on_delete=models.CASCADE, related_name="sub_consignees")
    reported_by = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="+")
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="sub_consignee_of")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="+")
    serial = models.ForeignKey(
        Serial, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("sub-consignee")
        verbose_name_plural = _("sub-consignees")
        indexes = [models.Index(fields=["recall", "party"])]

    def __str__(self) -> str:
        return f"{self.recall.number}: {self.reported_by} → {self.party} ({self.quantity})"


class SurveyResponse(models.Model):
    """The short satisfaction survey a holder answers after the recall is closed."""

    notice = models.OneToOneField(Notice, on_delete=models.CASCADE, related_name="survey_response")
    rating = models.PositiveSmallIntegerField(_("overall, how well was the recall handled? (1–5)"))
    clarity = models.PositiveSmallIntegerField(_("how clear was the notice? (1–5)"))
    comment = models.TextField(_("comments"), blank=True)
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1, rating__lte=5, clarity__gte=1, clarity__lte=5),
                name="survey_scale",
            )
        ]

    def __str__(self) -> str:
        return f"{self.notice_id}: {self.rating}/{self.clarity}"


class Offer(TimeStampedModel):
    """Compensation or goodwill offered to a holder, approved and fulfilled."""

    class OfferKind(models.TextChoices):
        REPAIR = "repair", _("Free repair")
        REPLACEMENT = "replacement", _("Replacement")
        CONSUMABLES = "consumables", _("Consumables")
        CREDIT = "credit", _("Credit")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        APPROVED = "approved", pgettext_lazy("status", "Approved")
        REJECTED = "rejected", _("Rejected")
        FULFILLED = "fulfilled", _("Fulfilled")
        CANCELLED = "cancelled", _("Cancelled")

    recall = models.ForeignKey(RecallCase, on_delete=models.CASCADE, related_name="offers")
    party = models.ForeignKey(
        Party, on_delete=models.PROTECT, related_name="offers", verbose_name=_("holder")
    )
    kind = models.CharField(_("offer"), max_length=12, choices=OfferKind.choices)
    description = models.TextField(_("description"))
    quantity = models.PositiveIntegerField(_("quantity"), default=0)
    amount = models.DecimalField(_("value"), max_digits=12, decimal_places=2, default=0)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    fulfilled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    fulfilled_at = models.DateTimeField(_("fulfilled at"), null=True, blank=True)
    fulfilment_note = models.TextField(_("fulfilment note"), blank=True)

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        ordering = ["-created_at"]
        permissions = [("approve_offer", "Can approve compensation offers")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="offer_amount_not_negative")
        ]

    def __str__(self) -> str:
        return f"{self.recall.number} {self.get_kind_display()} → {self.party}"


class FsnOverride(models.Model):
    """An urgent override of the field safety notice gate (MDR Art. 87(8), 89(8): where the
    urgency requires it, the FSN may go out before the FSCA report is filed and before the
    competent authority commented on the draft). Signed by the person responsible, with the
    reason, the authority told at the same time and how; audited (``notices.fsn_override``)."""

    recall = models.OneToOneField(
        RecallCase, on_delete=models.CASCADE, related_name="fsn_override", verbose_name=_("recall")
    )
    reason = models.TextField(_("why the field safety notice cannot wait"))
    authority = models.CharField(_("competent authority informed"), max_length=255)
    reference = models.CharField(
        _("how and when it was informed (reference)"),
        max_length=255,
        help_text=_("Printed in the notice's sentence that the authority was informed."),
    )
    signature = models.ForeignKey(
        "accounts.Signature", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("signed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("urgent FSN override")
        verbose_name_plural = _("urgent FSN overrides")

    def __str__(self) -> str:
        return f"{self.recall.number} FSN override"
