"""Integer bounds in the API (``medrecall.core.bounds`` explains why): the serializer bases every
API serializer derives from, the filter backend, and ``query_int`` for hand-read query parameters.

Each writable integer field gets the portable range of its column (a ModelSerializer's model
field) or, declared by hand, its own bounds within 32 bits; the range is in the published schema
(``minimum``/``maximum``) and in the 400 message. The bases also name a refused field by its
label in the reader's language (``labels_from``), never by its key alone.
"""

from __future__ import annotations

import contextlib
from typing import Any, TypeVar

from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model
from django.utils.text import capfirst
from django_filters import fields as filter_fields  # type: ignore[import-untyped]
from django_filters import rest_framework as filters
from rest_framework import serializers
from rest_framework.fields import Field
from rest_framework.request import Request

from medrecall.core import bounds

from .errors import InvalidInput

_M = TypeVar("_M", bound=Model)


def bound_field(field: serializers.IntegerField, column: tuple[int, int]) -> None:
    low, high = bounds.narrowed(field.min_value, field.max_value, column)
    field.min_value, field.max_value = low, high
    field.validators = [
        *bounds.without_range_validators(field.validators),
        *bounds.range_validators(low, high),
    ]


def bound_relation(field: serializers.PrimaryKeyRelatedField[Any]) -> None:
    """A record chosen by id: the id is checked against its column before the look-up."""
    queryset: Any = getattr(field, "queryset", None)
    column = bounds.column_range(queryset.model._meta.pk) if queryset is not None else None
    if column is not None and field.pk_field is None:
        pk_field = serializers.IntegerField()
        bound_field(pk_field, (bounds.ID[0], column[1]))
        field.pk_field = pk_field


def bound_fields(
    fields: dict[str, Field[Any, Any, Any, Any]], model: type[Model] | None
) -> dict[str, Any]:
    for name, field in fields.items():
        relation: Any = (
            field.child_relation if isinstance(field, serializers.ManyRelatedField) else field
        )
        if isinstance(relation, serializers.PrimaryKeyRelatedField) and not field.read_only:
            bound_relation(relation)
            continue
        target: Any = field.child if isinstance(field, serializers.ListField) else field
        if not isinstance(target, serializers.IntegerField) or field.read_only:
            continue
        # Declared by hand: its own bounds when it names both (an id: 64 bits), else 32 bits.
        column = (
            bounds.INT64
            if target.min_value is not None and target.max_value is not None
            else bounds.INT32
        )
        if model is not None and field is target:
            source = field.source if field.source and "." not in field.source else name
            with contextlib.suppress(FieldDoesNotExist):  # else a declared field
                column = bounds.column_range(model._meta.get_field(source)) or column
        bound_field(target, column)
    return fields


def labelled_fields(fields: dict[str, Any], model: type[Model] | None) -> dict[str, Any]:
    """Fields declared without a label take the verbose name of ``model``'s field of the same
    name (or source), in the reader's language: a 400 names the field as the pages do."""
    if model is None:
        return fields
    for name, field in fields.items():
        if field.label is not None:
            continue
        source = field.source if field.source and "." not in field.source else name
        with contextlib.suppress(FieldDoesNotExist):
            verbose: Any = getattr(model._meta.get_field(source), "verbose_name", None)
            if verbose:
                field.label = capfirst(verbose)
    return fields


def validated(serializer: Any, valid: bool, raise_exception: bool) -> bool:
    """``is_valid``'s answer; a refusal raised carries the serializer, so the API's message names
    each field by its label (``errors.exception_handler``)."""
    if not valid and raise_exception:
        raise InvalidInput(serializer.errors, serializer=serializer)
    return valid


class BoundedSerializer(serializers.Serializer[Any]):
    # A serializer whose integer inputs are bounded (32 bits unless declared narrower) and whose
    # refusals name fields by label; ``labels_from``: the model whose verbose names label the
    # fields declared without one. No docstring: drf-spectacular would show it as the
    # description of every subclass without one.

    labels_from: type[Model] | None = None

    def get_fields(self) -> dict[str, Any]:
        return labelled_fields(bound_fields(super().get_fields(), None), self.labels_from)

    def is_valid(self, *, raise_exception: bool = False) -> bool:
        return validated(self, super().is_valid(), raise_exception)


class BoundedModelSerializer(serializers.ModelSerializer[_M]):
    # A model serializer whose integer inputs are bounded by their columns' portable ranges.
    # Read-only text fields of a column that may be blank also say so (DRF drops ``allow_blank``
    # from read-only fields), so the schema admits the "" such a field answers: an e-mail that
    # may be blank, a choice not made yet. (No docstring, as above.)

    def get_fields(self) -> dict[str, Any]:
        model: Any = self.Meta.model
        fields = bound_fields(super().get_fields(), model)
        for name, field in fields.items():
            if field.read_only and isinstance(
                field, serializers.CharField | serializers.ChoiceField
            ):
                source = field.source if field.source and "." not in field.source else name
                with contextlib.suppress(FieldDoesNotExist):
                    if getattr(model._meta.get_field(source), "blank", False):
                        field.allow_blank = True
        return labelled_fields(fields, model)

    def is_valid(self, *, raise_exception: bool = False) -> bool:
        return validated(self, super().is_valid(), raise_exception)


def query_int(request: Request, name: str, column: tuple[int, int] = bounds.ID) -> int | None:
    """An optional integer query parameter (an id unless told), or 400 naming it and the range."""
    raw = request.query_params.get(name, "")
    if raw == "":
        return None
    low, high = column
    try:
        value = int(raw) if raw.isascii() else None
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise serializers.ValidationError({name: [bounds.range_message(low, high)]})
    return value


class BoundedModelChoiceField(filter_fields.ModelChoiceField):  # type: ignore[misc]
    """A record chosen by id in a filter: an id beyond its column is refused with the range."""

    def to_python(self, value: Any) -> Any:
        if value not in self.empty_values:
            column = bounds.column_range(self.queryset.model._meta.pk) or bounds.INT64
            low, high = bounds.ID[0], column[1]
            try:
                number = int(str(value)) if str(value).isascii() else None
            except ValueError:
                number = None
            if number is None or not low <= number <= high:
                raise forms.ValidationError(bounds.range_message(low, high), code="invalid_choice")
        return super().to_python(value)


class BoundedModelChoiceFilter(filters.ModelChoiceFilter):  # type: ignore[misc]
    field_class = BoundedModelChoiceField


class BoundedFilterSet(filters.FilterSet):  # type: ignore[misc]
    """``filterset_fields`` with bounded ids (foreign keys) and numbers bounded by their columns."""

    FILTER_DEFAULTS = {
        **filters.FilterSet.FILTER_DEFAULTS,
        **{
            kind: {**spec, "filter_class": BoundedModelChoiceFilter}
            for kind, spec in filters.FilterSet.FILTER_DEFAULTS.items()
            if spec.get("filter_class") is filters.ModelChoiceFilter
        },
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model = self._meta.model
        for flt in self.filters.values():
            if not isinstance(flt, filters.NumberFilter) or model is None:
                continue
            column = None
            with contextlib.suppress(FieldDoesNotExist):
                column = bounds.column_range(model._meta.get_field(flt.field_name))
            if column is not None:
                low, high = column
                flt.extra.update(
                    min_value=low, max_value=high, validators=bounds.range_validators(low, high)
                )


class BoundedFilterBackend(filters.DjangoFilterBackend):  # type: ignore[misc]
    """The default filter backend, with ``BoundedFilterSet`` for views declaring ``filterset_fields``."""

    filterset_base = BoundedFilterSet
