"""Requests for quotes and quotes; refund and compensation requests, approvals and payments.

The database says what it can: a request is awarded one of its own quotes, a vendor quotes a
request once, a refund request never asks for more than quantity × unit price, nobody approves
their own request or approves it twice, a request is paid once (one payment row per request),
and a credit note carries its number."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from medrecall.accounts.models import Signature
from medrecall.core.presentation import party_name
from medrecall.notices.models import Offer, Reply
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase

USER = settings.AUTH_USER_MODEL

__all__ = [
    "ApExportBatch",
    "PaymentMethod",
    "Quote",
    "QuoteKind",
    "QuoteRequest",
    "QuoteRequestStatus",
    "RefundPayment",
    "RefundRequest",
    "RefundSource",
    "RefundStatus",
]


class QuoteKind(models.TextChoices):
    LOGISTICS = "logistics", _("Logistics")
    REPAIR = "repair", _("Repair / rework")
    DESTRUCTION = "destruction", _("Destruction")


class QuoteRequestStatus(models.TextChoices):
    OPEN = "open", _("Open for quotes")
    AWARDED = "awarded", _("Awarded")
    CANCELLED = "cancelled", _("Cancelled")


class QuoteRequest(models.Model):
    """A request for quotes (RFQ-YYYY-NNNNN) for one recall: what, how many, where, by when."""

    number = models.CharField(_("request number"), max_length=32, unique=True)
    recall = models.ForeignKey(
        RecallCase,
        on_delete=models.PROTECT,
        related_name="quote_requests",
        verbose_name=_("recall"),
    )
    kind = models.CharField(_("service"), max_length=12, choices=QuoteKind.choices)
    description = models.TextField(_("what is to be done"))
    quantity = models.PositiveIntegerField(_("quantity (units)"))
    region = models.CharField(_("region / coverage needed"), max_length=255)
    due_on = models.DateField(_("quotes due by"))
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=QuoteRequestStatus.choices,
        default=QuoteRequestStatus.OPEN,
    )
    awarded_quote = models.OneToOneField(
        "finance.Quote",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="award_of",
        verbose_name=_("chosen quote"),
    )
    award_reason = models.TextField(_("why this quote"), blank=True)
    award_expired = models.BooleanField(_("awarded after the quote's validity"), default=False)
    award_rate = models.DecimalField(
        _("exchange rate on the award day"), max_digits=18, decimal_places=8, null=True, blank=True
    )
    award_company_price = models.DecimalField(
        _("chosen price in company currency"),
        max_digits=16,
        decimal_places=2,
        null=True,
        blank=True,
    )
    awarded_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    awarded_at = models.DateTimeField(_("awarded at"), null=True, blank=True)
    cancel_reason = models.TextField(_("why cancelled"), blank=True)
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("request for quotes")
        verbose_name_plural = _("requests for quotes")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="finance_rfq_quantity"),
            models.CheckConstraint(
                condition=Q(status__in=QuoteRequestStatus.values), name="finance_rfq_status_known"
            ),
            models.CheckConstraint(
                condition=~Q(status="awarded")
                | (Q(awarded_quote__isnull=False) & ~Q(award_reason="")),
                name="finance_rfq_award_has_quote_and_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def region_label(self) -> str:
        """The regions by name in the active language (stored as ISO codes)."""
        from .regions import regions_label

        return regions_label(self.region)

    @property
    def awarded_vendor_label(self) -> str:
        """The chosen vendor by name in the active language (the code if it has no name)."""
        if self.awarded_quote is None:
            return ""
        return party_name(self.awarded_quote.vendor)


class Quote(models.Model):
    """One vendor's answer to a request for quotes."""

    request = models.ForeignKey(
        QuoteRequest, on_delete=models.PROTECT, related_name="quotes", verbose_name=_("request")
    )
    vendor = models.ForeignKey(
        Party, on_delete=models.PROTECT, related_name="+", verbose_name=_("vendor")
    )
    price = models.DecimalField(_("price"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    lead_time_days = models.PositiveIntegerField(_("lead time (days)"))
    coverage = models.CharField(_("coverage"), max_length=255, blank=True)
    quoted_on = models.DateField(_("quoted on"))
    valid_until = models.DateField(_("valid until"))
    notes = models.TextField(_("notes"), blank=True)
    attachment = models.FileField(_("attachment"), upload_to="finance/quotes/%Y/%m/", blank=True)
    attachment_name = models.CharField(_("attachment file name"), max_length=255, blank=True)
    entered_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        ordering = ["request", "price", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "vendor"], name="finance_quote_once_a_vendor"
            ),
            models.CheckConstraint(condition=Q(price__gt=0), name="finance_quote_price_positive"),
            models.CheckConstraint(
                condition=Q(valid_until__gte=F("quoted_on")),
                name="finance_quote_valid_after_quoted",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.request_id} {self.vendor_id} {self.price} {self.currency}"


class RefundSource(models.TextChoices):
    REPLY = "reply", _("From the holder's reply")
    OFFER = "offer", _("From an offer")
    ENTERED = "entered", _("Entered by staff")


class RefundStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    AWAITING_SECOND = "awaiting_second", _("Awaiting second approval")
    APPROVED = "approved", pgettext_lazy("status", "Approved")
    REJECTED = "rejected", _("Rejected")
    PAID = "paid", _("Paid")


class RefundRequest(models.Model):
    """A refund or compensation a holder is to receive (RF-YYYY-NNNNN), approved by amount."""

    number = models.CharField(_("request number"), max_length=32, unique=True)
    recall = models.ForeignKey(
        RecallCase,
        on_delete=models.PROTECT,
        related_name="refund_requests",
        verbose_name=_("recall"),
    )
    holder = models.ForeignKey(
        Party, on_delete=models.PROTECT, related_name="+", verbose_name=_("holder")
    )
    source = models.CharField(_("source"), max_length=8, choices=RefundSource.choices)
    reply = models.ForeignKey(
        Reply, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    offer = models.ForeignKey(
        Offer, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveIntegerField(_("quantity (units)"))
    unit_price = models.DecimalField(
        _("unit price on the holder's invoice"), max_digits=14, decimal_places=2
    )
    invoice_reference = models.CharField(_("invoice (document reference)"), max_length=100)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    rate = models.DecimalField(_("exchange rate"), max_digits=18, decimal_places=8)
    company_amount = models.DecimalField(
        _("amount in company currency"), max_digits=16, decimal_places=2
    )
    company_currency = models.CharField(_("company currency"), max_length=3)
    reason = models.TextField(_("reason"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=RefundStatus.choices, default=RefundStatus.REQUESTED
    )
    requested_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(_("requested at"))
    first_approver = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    first_approved_at = models.DateTimeField(_("first approval at"), null=True, blank=True)
    second_approver = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    second_approved_at = models.DateTimeField(_("second approval at"), null=True, blank=True)
    second_signature = models.ForeignKey(
        Signature, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rejected_by = models.ForeignKey(
        USER, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rejected_at = models.DateTimeField(_("rejected at"), null=True, blank=True)
    rejection_reason = models.TextField(_("why rejected"), blank=True)

    class Meta:
        verbose_name = _("refund request")
        verbose_name_plural = _("refund requests")
        ordering = ["-requested_at", "-pk"]
        permissions = [
            ("approve_refundrequest", "Can approve refund and compensation requests"),
            ("request_refund_from_reply", "Can enter a refund request from a holder's reply"),
        ]
        indexes = [models.Index(fields=["recall", "holder"], name="finance_refund_holder")]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gt=0) & Q(unit_price__gt=0) & Q(amount__gt=0),
                name="finance_refund_positive",
            ),
            models.CheckConstraint(
                condition=Q(amount__lte=F("quantity") * F("unit_price")),
                name="finance_refund_within_invoice",
            ),
            models.CheckConstraint(
                condition=~Q(first_approver=F("requested_by"))
                & ~Q(second_approver=F("requested_by"))
                & ~Q(second_approver=F("first_approver")),
                name="finance_refund_four_eyes",
            ),
            models.CheckConstraint(
                condition=Q(status__in=RefundStatus.values), name="finance_refund_status_known"
            ),
            models.UniqueConstraint(
                fields=["offer"],
                condition=Q(offer__isnull=False) & ~Q(status="rejected"),
                name="finance_refund_once_per_offer",
            ),
        ]

    def __str__(self) -> str:
        return self.number


class PaymentMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", _("Bank transfer")
    CREDIT_NOTE = "credit_note", _("Credit note")


class ApExportBatch(models.Model):
    """One export of approved payments to the ERP's accounts payable (AP-YYYY-NNNNN)."""

    number = models.CharField(_("batch number"), max_length=32, unique=True)
    payment_count = models.PositiveIntegerField(_("payments"))
    created_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("exported at"), auto_now_add=True)

    class Meta:
        verbose_name = _("AP export batch")
        verbose_name_plural = _("AP export batches")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.number


class RefundPayment(models.Model):
    """The payment of one approved request (PY-YYYY-NNNNN): one per request, never more than
    approved; it posts the request's cost to the ledger."""

    number = models.CharField(_("payment number"), max_length=32, unique=True)
    request = models.OneToOneField(
        RefundRequest, on_delete=models.PROTECT, related_name="payment", verbose_name=_("request")
    )
    paid_on = models.DateField(_("paid on"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    method = models.CharField(_("method"), max_length=14, choices=PaymentMethod.choices)
    credit_note_number = models.CharField(_("credit note number"), max_length=64, blank=True)
    reference = models.CharField(_("payment reference"), max_length=100, blank=True)
    cost_entry = models.OneToOneField(
        "finance.CostEntry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("cost entry"),
    )
    batch = models.ForeignKey(
        ApExportBatch,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
        verbose_name=_("AP export batch"),
    )
    paid_by = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("refund payment")
        verbose_name_plural = _("refund payments")
        ordering = ["-paid_on", "-number"]
        permissions = [("export_refundpayment", "Can export payments to accounts payable")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="finance_payment_positive"),
            models.CheckConstraint(
                condition=Q(method__in=PaymentMethod.values), name="finance_payment_method_known"
            ),
            models.CheckConstraint(
                condition=~Q(method="credit_note") | ~Q(credit_note_number=""),
                name="finance_payment_credit_note_numbered",
            ),
        ]

    def __str__(self) -> str:
        return self.number
