"""An audit entry's changes in words, for any history list: each field by its label (the model
field's ``verbose_name``) and each code by its choice label, in the reader's language, flags as
yes/no. Read from the model's ``_meta`` alone: no query, whatever the number of entries. The
audit log keeps what it recorded (field names, codes); this only says it.

A key that is no field of the model (a value an action recorded beside its fields) keeps its
name, and a value that is no choice keeps its value: nothing recorded is hidden."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext as _

EMPTY = "—"


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


def field_label(model: type[models.Model] | None, name: str) -> str:
    """The field's label in the reader's language, or the recorded name when it is none."""
    found = _field(model, name)
    return str(capfirst(found.verbose_name)) if found is not None else name


def _in_words(found: models.Field[Any, Any] | None, value: object) -> str:
    if found is None:
        return value_text(value)
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if found.choices and not isinstance(value, list | tuple | dict):
        labels = {str(code): label for code, label in found.flatchoices}
        if value is not None and str(value) in labels:
            return str(labels[str(value)])
    if isinstance(value, list | tuple):
        return "; ".join(_in_words(found, item) for item in value) or EMPTY
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
    for name, change in changes.items():
        found = _field(model, name)
        label = field_label(model, name)
        if isinstance(change, list | tuple) and len(change) == 2:
            rows.append(
                {
                    "field": label,
                    "code": name,
                    "known": found is not None,
                    "pair": True,
                    "old": _in_words(found, change[0]),
                    "new": _in_words(found, change[1]),
                }
            )
        else:
            rows.append(
                {
                    "field": label,
                    "code": name,
                    "known": found is not None,
                    "pair": False,
                    "value": _in_words(found, change),
                }
            )
    return rows
