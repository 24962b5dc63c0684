"""Refusals of the finance context."""

from __future__ import annotations

from medrecall.core.errors import ActionNotAllowed, ValidationFailed


class CostRefused(ValidationFailed):
    """An entry that cannot be posted as given (amount, currency, source, recall)."""

    code = "cost_refused"


class RateMissing(ValidationFailed):
    """No exchange rate for a currency on the entry's day: an administrator enters it first."""

    code = "rate_missing"


class EntryPosted(ActionNotAllowed):
    """A posted entry is not edited; it is reversed."""

    code = "entry_posted"


class QuoteRefused(ValidationFailed):
    """A request for quotes or a quote that cannot be entered as given."""

    code = "quote_refused"


class AwardRefused(ActionNotAllowed):
    """A request for quotes that cannot take this quote, award or cancellation in its state."""

    code = "award_refused"


class RefundRefused(ValidationFailed):
    """A refund or compensation request that cannot be entered as given."""

    code = "refund_refused"


class RefundAboveBought(ValidationFailed):
    """A refund for more units, or more money, than the holder bought."""

    code = "refund_above_bought"


class ApprovalRefused(ActionNotAllowed):
    """An approval or rejection the request's state or the four-eyes rule does not allow."""

    code = "approval_refused"


class PaymentRefused(ActionNotAllowed):
    """A payment of a request that is not approved, already paid, or above what was approved."""

    code = "payment_refused"
