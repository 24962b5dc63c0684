"""Recall intelligence: named refusals."""

from __future__ import annotations

from medrecall.core.errors import ValidationFailed


class SearchInvalid(ValidationFailed):
    """A search or statistics filter the selector cannot use (an unknown class, a bad year)."""

    code = "search_invalid"
