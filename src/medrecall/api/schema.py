"""OpenAPI generation: every operation also documents the JSON error shape for 400 (a query
parameter, path or body the API refuses, e.g. an integer beyond its column), 401 (no or a bad
token; ``WWW-Authenticate: Token``), 403 and 404; writes and deletes also 409 (the record's state
refuses the action, a concurrent edit, or other records still refer to the record being deleted)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    message = serializers.CharField()
    where = serializers.CharField(required=False)
    details = serializers.JSONField(required=False)
    # The metaclass pops declared fields, so ``errors`` does not shadow ``Serializer.errors``.
    errors = serializers.JSONField(required=False)  # type: ignore[assignment]


class ErrorAwareSchema(AutoSchema):
    def _get_response_bodies(self, direction: Any = "response") -> Any:
        responses = super()._get_response_bodies(direction)
        codes = {
            "GET": ["400", "401", "403", "404"],
            "DELETE": ["400", "401", "403", "404", "409"],
        }.get(self.method, ["400", "401", "403", "404", "409"])
        for code in codes:
            response = self._get_response_for_code(ErrorSerializer, code, direction=direction)  # type: ignore[no-untyped-call]
            responses.setdefault(code, response)
        return responses


class BlankableEmailExtension(OpenApiSerializerFieldExtension):
    """An e-mail field that may be blank answers ``""``, which ``format: email`` refuses: such a
    field is documented as an e-mail address or the empty string."""

    target_class = "rest_framework.fields.EmailField"

    def map_serializer_field(self, auto_schema: AutoSchema, direction: Any) -> Any:
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)  # type: ignore[no-untyped-call]
        if getattr(self.target, "allow_blank", False) and schema.pop("format", None) == "email":
            schema["anyOf"] = [{"format": "email"}, {"maxLength": 0}]
        return schema
