"""Refusals of the accounts context: unlocking, and electronic signatures (21 CFR Part 11)."""

from __future__ import annotations

from medrecall.core.errors import DomainError


class NotLocked(DomainError):
    """Unlocking a user name that is not locked (from the address given)."""

    code = "not_locked"
    status = 404


class SignatureRefused(DomainError):
    """The record was not signed: a component is missing or wrong."""

    code = "signature_refused"


class SignatureLocked(SignatureRefused):
    """Too many wrong attempts in a row: signing is paused for this user (21 CFR 11.300)."""

    code = "signature_locked"
    status = 429
