"""Domain errors: refusals a user can act on, each with a code and a place.

One DRF exception handler (``medrecall.api.errors``) and the web views turn these into
JSON or form errors; no traceback reaches a user.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _


class DomainError(Exception):
    """A refused business action. ``message`` is already translated."""

    code = "domain_error"
    status = 400

    def __init__(
        self, message: str, *, code: str | None = None, where: str = "", details: Any = None
    ) -> None:
        super().__init__(message)
        self.message = str(message)
        if code:
            self.code = code
        self.where = where
        self.details = details

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.where:
            body["where"] = self.where
        if self.details is not None:
            body["details"] = self.details
        return body


class NotFound(DomainError):
    """Missing *or* not visible to this viewer: the two are never told apart."""

    code = "not_found"
    status = 404


class ValidationFailed(DomainError):
    code = "invalid"


class ConcurrentEdit(DomainError):
    code = "concurrent_edit"
    status = 409


class ActionNotAllowed(DomainError):
    """The record's state does not allow the action (HTTP 409: the request is fine, the
    record is not in a state for it)."""

    code = "action_not_allowed"
    status = 409


class UploadRefused(DomainError):
    """An uploaded file whose content is not one of the types the upload accepts."""

    code = "wrong_type"


class UploadTooLarge(ValidationFailed):
    """A file uploaded through a page or the API beyond the upload limit (the command line
    imports larger files)."""

    code = "file_too_large"


class KeepGoodNotOffered(ValidationFailed):
    """The keep-good-rows policy asked of an all-or-nothing import (events, EPCIS)."""

    code = "keep_good_not_offered"


class CalendarInputInvalid(ValidationFailed):
    """A working-day calendar entry or file that cannot be taken as it is."""

    code = "calendar_input_invalid"


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem in one row of an imported file: the same list feeds CSV, API and CLI.

    ``row`` counts lines as a spreadsheet shows them: the header is row 1.
    """

    file: str
    row: int
    column: str
    code: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "row": self.row,
            "column": self.column,
            "code": self.code,
            "message": self.message,
        }

    def __str__(self) -> str:
        if self.column:
            return _("%(file)s, row %(row)s, column %(column)s: %(message)s") % {
                "file": self.file,
                "row": self.row,
                "column": self.column,
                "message": self.message,
            }
        return _("%(file)s, row %(row)s: %(message)s") % {
            "file": self.file,
            "row": self.row,
            "message": self.message,
        }


class ImportRejected(DomainError):
    """A file refused whole; ``errors`` says where and why (first 1000 in the body)."""

    code = "import_rejected"

    def __init__(self, message: str, errors: list[RowError]) -> None:
        super().__init__(message, details=[e.as_dict() for e in errors[:1000]])
        self.errors = errors
