"""An audit entry's changes in words, for any history list: each field by its label (the model
field's ``verbose_name``) and each code by its choice label, in the reader's language, flags as
yes/no. Read from the model's ``_meta`` alone: no query, whatever the number of entries. The
audit log keeps what it recorded (field names, codes); this only says it.

A key that is no field of the model is looked up in the models the entry is also about (the
model's ``audit_related``: app labels such as ``"recalls.RecallRegime"``, resolved from the app
registry, no query), then in ``KEY_LABELS`` (the values actions record beside their fields). Keys
inside a recorded mapping are read the same way, and a key that is a regime code by its label.
A key found nowhere keeps its name, and a value that is no choice keeps its value: nothing
recorded is hidden."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

EMPTY = "—"

# Values actions record beside the fields of their record (``recalls.services``,
# ``recalls.fda``, ``quality.complaints``' triage): what each one is, in words.
KEY_LABELS: dict[str, Promise] = {
    "snapshot": gettext_lazy("scope snapshot"),
    "holds": gettext_lazy("holds"),
    "proposed": gettext_lazy("proposed class"),
    "rule": gettext_lazy("scope rule"),
    "conflicts": gettext_lazy("conflicts"),
    "reason": gettext_lazy("reason"),
    "harm_conflict_confirmed": gettext_lazy("harm conflict confirmed"),
    "regimes": gettext_lazy("regulatory regimes"),
    "units": gettext_lazy("units"),
    "holders": gettext_lazy("holders"),
    "injuries": gettext_lazy("injuries reported"),
    "deaths": gettext_lazy("deaths reported"),
    "signatures_superseded": gettext_lazy("signatures superseded"),
    "lot": gettext_lazy("lot"),
    "gtin": gettext_lazy("GTIN"),
}

# A mapping's key that is one of these fields' codes is shown by that code's label.
_CODE_KEYS = ("regime",)


def value_text(value: object) -> str:
    """A recorded value as a reader sees it: lists one after the other, mappings as key: value."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, list | tuple):
        return "; ".join(value_text(item) for item in value) or EMPTY
    if isinstance(value, dict):
        return "; ".join(f"{key}: {value_text(item)}" for key, item in value.items()) or EMPTY
    return str(value)


def _field(model: type[models.Model] | None, name: str) -> models.Field[Any, Any] | None:
    if model is None:
        return None
    try:
        found = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return found if isinstance(found, models.Field) else None


def _related(model: type[models.Model] | None) -> list[type[models.Model]]:
    """The model and the models its entries are also about (``audit_related``)."""
    if model is None:
        return []
    found: list[type[models.Model]] = [model]
    for label in getattr(model, "audit_related", ()):
        try:
            found.append(apps.get_model(label))
        except (LookupError, ValueError):
            continue
    return found


def _field_in(related: list[type[models.Model]], name: str) -> models.Field[Any, Any] | None:
    for model in related:
        if (found := _field(model, name)) is not None:
            return found
    return None


def _field_for(
    related: list[type[models.Model]], name: str, value: object
) -> models.Field[Any, Any] | None:
    """The field named ``name`` whose choices hold the recorded value (a recall's ``kind`` is a
    scope rule's or a notice run's), else the first field of that name."""
    fields = [found for model in related if (found := _field(model, name)) is not None]
    values = value if isinstance(value, list | tuple) else [value]
    codes = {str(item) for item in values if isinstance(item, str | int) and item != ""}
    for found in fields:
        if found.choices and codes & {str(code) for code, _label in found.flatchoices}:
            return found
    return fields[0] if fields else None


def _code_label(related: list[type[models.Model]], code: str) -> str | None:
    for name in _CODE_KEYS:
        found = _field_in(related, name)
        if found is not None and found.choices:
            labels = {str(value): label for value, label in found.flatchoices}
            if code in labels:
                return str(labels[code])
    return None


def _key_label(related: list[type[models.Model]], name: str) -> str | None:
    found = _field_in(related, name)
    if found is not None:
        return str(capfirst(found.verbose_name))
    if name in KEY_LABELS:
        return str(capfirst(str(KEY_LABELS[name])))
    return _code_label(related, name)


def field_label(model: type[models.Model] | None, name: str) -> str:
    """The field's label in the reader's language, or the recorded name when it is none."""
    return _key_label(_related(model), name) or name


def key_label(name: str, model: type[models.Model] | None = None) -> str | None:
    """A recorded key's label (a field of ``model`` or of a model it names in
    ``audit_related``, a value in ``KEY_LABELS``, a regime code), or None when it has none."""
    return _key_label(_related(model), name)


def _mapping_in_words(related: list[type[models.Model]], value: dict[Any, Any]) -> str:
    parts = []
    for key, item in value.items():
        found = _field_for(related, str(key), item)
        label = str(capfirst(found.verbose_name)) if found is not None else None
        label = label or _key_label(related, str(key)) or str(key)
        parts.append(f"{label}: {_in_words(found, item, related)}")
    return "; ".join(parts) or EMPTY


def _in_words(
    found: models.Field[Any, Any] | None,
    value: object,
    related: list[type[models.Model]] | None = None,
) -> str:
    if isinstance(value, dict):
        return _mapping_in_words(related or [], value)
    if found is None:
        if isinstance(value, list | tuple):
            return "; ".join(_in_words(None, item, related) for item in value) or EMPTY
        return value_text(value)
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if found.choices and not isinstance(value, list | tuple | dict):
        labels = {str(code): label for code, label in found.flatchoices}
        if value is not None and str(value) in labels:
            return str(labels[str(value)])
    if isinstance(value, list | tuple):
        return "; ".join(_in_words(found, item, related) for item in value) or EMPTY
    return value_text(value)


def changes_in_words(
    changes: object, model: type[models.Model] | None = None
) -> list[dict[str, object]]:
    """An entry's changes as rows: ``[old, new]`` pairs as a change (``pair``, ``old``,
    ``new``), any other value (a signature's meaning, step and hash, recorded as they are) as
    that ``value``, never cut into characters; ``field`` is the label when ``model`` has it
    (``known``; a key that is no field is shown as recorded, as code)."""
    if not isinstance(changes, dict):
        return []
    rows: list[dict[str, object]] = []
    related = _related(model)
    for name, change in changes.items():
        found = _field_for(related, name, change)
        shown = (
            str(capfirst(found.verbose_name)) if found is not None else _key_label(related, name)
        )
        label = shown or name
        if isinstance(change, list | tuple) and len(change) == 2:
            rows.append(
                {
                    "field": label,
                    "code": name,
                    "known": shown is not None,
                    "pair": True,
                    "old": _in_words(found, change[0], related),
                    "new": _in_words(found, change[1], related),
                }
            )
        else:
            rows.append(
                {
                    "field": label,
                    "code": name,
                    "known": shown is not None,
                    "pair": False,
                    "value": _in_words(found, change, related),
                }
            )
    return rows
