"""Refusals of the parties context: what a caller (API status, page message, command's exit
status) tells apart. Look-ups that miss raise ``core.errors.NotFound``."""

from __future__ import annotations

from medrecall.core.errors import DomainError


class MergeRefused(DomainError):
    """A reported party cannot be merged into the party named (itself, a party of a kind that
    holds no units, one merged or retired already)."""

    code = "merge_refused"
    status = 409


class ReviewRefused(DomainError):
    """A party's review cannot be recorded (not a reported party, already reviewed)."""

    code = "review_refused"
    status = 409
