"""Which importer handles which kind of file. Contexts register theirs in ``AppConfig.ready``
so the shared import runner (below them all) never imports them. They register a dotted
path: the importer's module (and its parsers) loads the first time a kind is asked for, not
with every ``medrecall`` command."""

from __future__ import annotations

from typing import Any

from django.utils.functional import Promise
from django.utils.module_loading import import_string

_IMPORTERS: dict[str, tuple[type[Any] | str, Promise | str, str]] = {}


def register_importer(
    kind: str, importer: type[Any] | str, *, label: Promise | str, permission: str
) -> None:
    """``importer``: the class or its dotted path; ``permission``: what a user needs to run it,
    e.g. ``catalog.add_devicemodel``."""
    _IMPORTERS[kind] = (importer, label, permission)


def _loaded(kind: str) -> tuple[type[Any], Promise | str, str]:
    importer, label, permission = _IMPORTERS[kind]
    if isinstance(importer, str):
        importer = import_string(importer)
        _IMPORTERS[kind] = (importer, label, permission)
    return importer, label, permission


def importer_for(kind: str) -> type[Any] | None:
    return _loaded(kind)[0] if kind in _IMPORTERS else None


def importer_kinds() -> dict[str, tuple[type[Any], Promise | str, str]]:
    return {kind: _loaded(kind) for kind in _IMPORTERS}


def keeps_good_rows(kind: str) -> bool:
    """Whether the importer of ``kind`` honours "keep the good rows" (its ``offers_keep_good``);
    all-or-nothing imports (trace events, EPCIS) do not, and the option is refused for them."""
    importer = importer_for(kind)
    return bool(importer is not None and getattr(importer, "offers_keep_good", False))


def keep_good_refusal(kind: str) -> str:
    """The message that refuses "keep the good rows" for an all-or-nothing kind."""
    from django.utils.translation import gettext as _

    label = _IMPORTERS[kind][1] if kind in _IMPORTERS else kind
    return _(
        "%(kind)s are imported whole or not at all (a trace with holes is worse than no trace): "
        '"keep the good rows" is not available for them. Correct the bad rows and import the file '
        "again."
    ) % {"kind": label}
