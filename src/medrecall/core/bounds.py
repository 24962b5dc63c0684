"""Integer bounds: every integer a user sends fits the column it is stored in or compared with.

SQLite stores 64-bit integers, PostgreSQL's ``integer`` columns 32 bits: a number beyond the
column made the database raise (a 500 on both). Every interface bounds its integers here, by
the *portable* range of the column type (PostgreSQL's sizes, which SQLite's 64 bits contain),
so a value is refused the same way on both databases, with the field and the range in the
message. The API serializers and filters (``medrecall.api.bounds``) and the web forms
(``BoundedIntegersMixin``) use the same ranges and the same message.
"""

from __future__ import annotations

import contextlib
from typing import Any

from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.backends.base.operations import BaseDatabaseOperations
from django.utils.translation import gettext_lazy as _

RANGES: dict[str, tuple[int, int]] = dict(BaseDatabaseOperations.integer_field_ranges)
INT32 = RANGES["IntegerField"]
INT64 = RANGES["BigIntegerField"]
ID = (1, INT64[1])  # a record id (BigAutoField): positive, 64 bits


def column_range(field: Any) -> tuple[int, int] | None:
    """The portable range of an integer column (a foreign key: its target's), else ``None``."""
    if getattr(field, "is_relation", False) and getattr(field, "target_field", None) is not None:
        field = field.target_field
    if not isinstance(field, models.Field):
        return None
    return RANGES.get(field.get_internal_type())


def range_message(low: int, high: int) -> str:
    return str(_("Enter a whole number from %(min)s to %(max)s.") % {"min": low, "max": high})


def narrowed(low: int | None, high: int | None, column: tuple[int, int]) -> tuple[int, int]:
    """A field's own bounds (if any) within the column's range."""
    return (
        column[0] if low is None else max(low, column[0]),
        column[1] if high is None else min(high, column[1]),
    )


def range_validators(low: int, high: int) -> list[MinValueValidator | MaxValueValidator]:
    message = range_message(low, high)
    return [MinValueValidator(low, message=message), MaxValueValidator(high, message=message)]


def without_range_validators(validators: list[Any]) -> list[Any]:
    return [v for v in validators if not isinstance(v, MinValueValidator | MaxValueValidator)]


class BoundedIntegersMixin:
    """A form whose integer fields refuse values beyond their column (or 32 bits), with the range.

    On a ModelForm the range is the model field's column type's; a plain form's integer fields
    get the 32-bit range unless they declare narrower bounds.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: dict[str, forms.Field] = self.fields  # type: ignore[attr-defined]
        meta = getattr(self, "_meta", None)
        model = getattr(meta, "model", None)
        for name, field in fields.items():
            if not isinstance(field, forms.IntegerField):
                continue
            column = INT32
            if model is not None:
                with contextlib.suppress(FieldDoesNotExist):  # a form-only field keeps 32 bits
                    column = column_range(model._meta.get_field(name)) or INT32
            own_low, own_high = field.min_value, field.max_value
            low, high = narrowed(
                own_low if isinstance(own_low, int) else None,
                own_high if isinstance(own_high, int) else None,
                column,
            )
            field.min_value, field.max_value = low, high
            field.validators = [
                *without_range_validators(field.validators),
                *range_validators(low, high),
            ]
            field.widget.attrs.update(min=low, max=high)
