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
