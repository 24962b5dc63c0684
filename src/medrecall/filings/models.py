"""A filing: one version of one document a recall owes a regulator, with the values it was
generated from (frozen), what the user entered, its rendered files, its signature and its
submission."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from medrecall.accounts.models import Signature
from medrecall.core.models import TimeStampedModel
from medrecall.recalls.models import RecallCase


class FilingStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    CHECKED = "checked", _("Checked")
    SIGNED = "signed", _("Signed")
    SUBMITTED = "submitted", _("Submitted")


class Filing(TimeStampedModel):
    """One version of one document. A recurring document (progress reports) has one
    ``sequence`` per report; a change after submission is the next ``version`` with a
    ``change_note`` (Chinese) and ``change_note_en`` (English). ``content`` holds the values
    generated from the data, frozen until the filing is generated again; ``entered`` the
    sections the user wrote."""

    recall = models.ForeignKey(
        RecallCase, on_delete=models.CASCADE, related_name="filings", verbose_name=_("recall")
    )
    doc_type = models.CharField(_("document"), max_length=40)
    sequence = models.PositiveIntegerField(_("report no."), default=1)
    version = models.PositiveIntegerField(_("version"), default=1)
    status = models.CharField(
        _("status"), max_length=12, choices=FilingStatus.choices, default=FilingStatus.DRAFT
    )
    content = models.JSONField(_("generated values"), default=dict)
    entered = models.JSONField(_("entered sections"), default=dict)
    addressees = models.JSONField(_("addressed to"), default=list)
    # What changed from the version before (version 2 on), in each language its documents print:
    # the Chinese note in the Chinese PDF and Word file, the English one in the English files.
    change_note = models.TextField(_("what changed"), blank=True)
    change_note_en = models.TextField(_("what changed (English)"), blank=True)
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    generated_at = models.DateTimeField(_("generated at"))
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signature = models.ForeignKey(
        Signature, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    pdf_zh = models.FileField(upload_to="filings/%Y/%m/", blank=True)
    pdf_en = models.FileField(upload_to="filings/%Y/%m/", blank=True)
    docx_zh = models.FileField(upload_to="filings/%Y/%m/", blank=True)
    docx_en = models.FileField(upload_to="filings/%Y/%m/", blank=True)
    # The first submission (the version frozen from then on); every submission, one per
    # authority addressed, is a ``FilingSubmission``.
    authority = models.CharField(_("submitted to"), max_length=255, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    reference = models.CharField(_("reference number"), max_length=100, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledgement = models.FileField(upload_to="filings/acknowledgements/%Y/%m/", blank=True)
    acknowledgement_name = models.CharField(max_length=255, blank=True)
    acknowledgement_type = models.CharField(max_length=100, blank=True)
    # When the last authority addressed got its submission (the latest submission time): from
    # then on the document's deadline is met. Empty while some authority still waits.
    submitted_to_all_at = models.DateTimeField(
        _("submitted to every authority at"), null=True, blank=True
    )
    deadline_key = models.CharField(_("deadline fulfilled"), max_length=60, blank=True)
    deadline_due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("filing")
        verbose_name_plural = _("filings")
        ordering = ["recall", "doc_type", "sequence", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["recall", "doc_type", "sequence", "version"], name="filing_version_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=FilingStatus.values), name="filing_status_known"
            ),
            models.CheckConstraint(
                condition=models.Q(version__gte=1) & models.Q(sequence__gte=1),
                name="filing_numbers_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recall.number} {self.doc_type} #{self.sequence} v{self.version}"


class FilingSubmission(TimeStampedModel):
    """One submission of a filing's version to one authority it is addressed to (an NMPA plan
    goes to the registrant's provincial MPA and those of every recall place: one submission
    each), with the authority's reference number and acknowledgement."""

    filing = models.ForeignKey(
        Filing, on_delete=models.CASCADE, related_name="submissions", verbose_name=_("filing")
    )
    authority = models.CharField(_("submitted to"), max_length=255)
    submitted_at = models.DateTimeField(_("submitted at"))
    reference = models.CharField(_("reference number"), max_length=100)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    acknowledgement = models.FileField(upload_to="filings/acknowledgements/%Y/%m/", blank=True)
    acknowledgement_name = models.CharField(max_length=255, blank=True)
    acknowledgement_type = models.CharField(max_length=100, blank=True)

    class Meta:
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        ordering = ["filing", "submitted_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["filing", "authority"], name="filing_submission_one_per_authority"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.filing} → {self.authority}"
