"""Which importer handles which kind of file. Contexts register theirs in ``AppConfig.ready``
so the shared import runner (below them all) never imports them."""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise

_IMPORTERS: dict[str, tuple[type[Any], Promise | str, str]] = {}


def register_importer(kind: str, importer: type[Any], *, label: Promise | str, permission: str) -> None:
    """``permission``: what a user needs to run it, e.g. ``catalog.add_devicemodel``."""
    _IMPORTERS[kind] = (importer, label, permission)


def importer_for(kind: str) -> type[Any] | None:
    entry = _IMPORTERS.get(kind)
    return entry[0] if entry else None


def importer_kinds() -> dict[str, tuple[type[Any], Promise | str, str]]:
    return dict(_IMPORTERS)
