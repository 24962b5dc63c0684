"""Shared types."""

from __future__ import annotations

from typing import Any, Protocol


class Viewer(Protocol):
    """Who is looking: lower contexts scope their reads by this without importing accounts."""

    pk: Any
    party_id: int | None
    is_authenticated: bool

    def has_perm(self, perm: str, obj: Any = None) -> bool: ...


ProgressCallback = Any  # Callable[[int, int], None]: (done, total)
