"""The refusals of filings, each named (HTTP 400 unless said otherwise)."""

from __future__ import annotations

from medrecall.core.errors import DomainError, ValidationFailed


class DocumentTypeUnknown(ValidationFailed):
    """A document type no regime of the recall has (or none at all)."""

    code = "document_type_unknown"


class FilingIncomplete(ValidationFailed):
    """The check found required content missing: ``details`` names each item."""

    code = "filing_incomplete"


class FilingNotSigned(ValidationFailed):
    """Submitting a filing that is not signed, or whose signature no longer matches."""

    code = "filing_not_signed"


class FilingAlreadySubmitted(DomainError):
    """Submitting twice, or changing a submitted version (make a new version instead)."""

    code = "filing_already_submitted"
    status = 409


class FilingNotCurrent(DomainError):
    """Acting on a version that a later version replaced."""

    code = "filing_not_current"
    status = 409


class SubmissionIncomplete(ValidationFailed):
    """Authority, date, reference number or the acknowledgement missing or unusable."""

    code = "submission_incomplete"


class ChangeNoteRefused(ValidationFailed):
    """A change note written on the first version (what changed belongs to a new version)."""

    code = "change_note_refused"
