"""Shared types."""

from __future__ import annotations

from typing import Any, Protocol


class Viewer(Protocol):
    """Who is looking: lower contexts scope their reads by this without importing accounts."""

    @property
    def pk(self) -> Any: ...

    @property
    def party_id(self) -> int | None: ...

    def has_perm(self, perm: str, obj: Any = None) -> bool: ...
