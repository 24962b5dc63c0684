"""The user: staff in a role, or a portal user who belongs to exactly one party."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from medrecall.core.presentation import person_name
from medrecall.parties.models import Party


class User(AbstractUser):
    language = models.CharField(
        _("language"),
        max_length=10,
        blank=True,
        choices=[("en", _("English")), ("zh-hans", _("Simplified Chinese"))],
        help_text=_("Empty: follow the browser."),
    )
    party = models.ForeignKey(
        Party,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="portal_users",
        verbose_name=_("portal party"),
        help_text=_("Set for portal users: they see only this party's records."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def is_portal(self) -> bool:
        return self.party_id is not None

    def get_full_name(self) -> str:
        """The name in its own order, whatever the reader's language: 王芳 for a name written in
        Chinese characters, "Emily Chen" for a Latin one (Django's default puts the given name
        first always, which prints 芳 王). Pages use ``core.presentation.user_display_name``."""
        return person_name(self.first_name, self.last_name, language="en")


class SignatureMeaning(models.TextChoices):
    """What a signer declares by signing (21 CFR 11.50(a)(3)); printed with every signature."""

    AUTHORED = "authored", _("Authored")
    REVIEWED = "reviewed", _("Reviewed")
    APPROVED = "approved", _("Approved")
    RESPONSIBLE = "responsible", _("Responsible")


class Signature(models.Model):
    """An electronic signature on any record (21 CFR 11.50, 11.70).

    The signature holds the canonical content it was applied to and its SHA-256, so a later
    change to the record shows as a mismatch instead of silently carrying the signature over.
    Rows are written once by ``signatures.signature_apply``; the only later change is marking
    them superseded (``signatures.signatures_supersede``, audited) when the record goes back
    for signing.
    """

    signer = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        related_name="signatures",
        verbose_name=_("signer"),
    )
    signer_name = models.CharField(
        _("printed name"),
        max_length=301,
        help_text=_("The signer's full name at the time of signing."),
    )
    signed_at = models.DateTimeField(_("signed at"))
    meaning = models.CharField(_("meaning"), max_length=20, choices=SignatureMeaning.choices)
    target_type = models.CharField(_("record type"), max_length=100)
    target_id = models.CharField(_("record id"), max_length=64)
    content_hash = models.CharField(
        _("content hash"),
        max_length=64,
        help_text=_("SHA-256 of the canonical JSON of the signed content."),
    )
    content = models.JSONField(_("signed content"))
    reason = models.TextField(_("reason"), blank=True)
    step = models.CharField(
        _("step"),
        max_length=50,
        blank=True,
        help_text=_("Which signature of a procedure this is, e.g. qa_head."),
    )
    superseded_at = models.DateTimeField(
        _("superseded at"),
        null=True,
        blank=True,
        help_text=_(
            "Set when the record was sent back for signing again: the signature no longer counts."
        ),
    )
    superseded_reason = models.TextField(_("why superseded"), blank=True)

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        ordering = ["signed_at", "pk"]
        indexes = [
            models.Index(fields=["target_type", "target_id"], name="accounts_signature_target")
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(meaning__in=SignatureMeaning.values),
                name="accounts_signature_meaning_known",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.signer_name} · {self.get_meaning_display()} · {self.target_type}:{self.target_id}"


class CompanyIdentity(models.Model):
    """The company's own identifiers the filings and notices print, kept in the database so an
    administrator or the QA/RA manager sets them from the product (Administration → Company). One
    row (pk 1), made on the first change from the environment's ``MEDRECALL_COMPANY_*``
    values, which apply while it does not exist."""

    fda_registration = models.CharField(
        _("FDA establishment registration number"), max_length=10, blank=True
    )
    srn = models.CharField(_("EU single registration number (SRN)"), max_length=40, blank=True)
    name_zh = models.CharField(
        _("registrant name (Chinese, as registered with NMPA)"), max_length=255, blank=True
    )
    address_zh = models.CharField(
        _("registrant address (Chinese, as registered with NMPA)"), max_length=255, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("company identity")
        verbose_name_plural = _("company identity")

    def __str__(self) -> str:
        return str(_("company identity"))
