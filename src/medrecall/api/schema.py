"""OpenAPI generation: every operation also documents the JSON error shape for 400/401/403/404,
and every write 409 (the record's state refuses the action, or a concurrent edit)."""

from __future__ import annotations

from typing import Any

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
        codes = {"GET": ["401", "403", "404"], "DELETE": ["401", "403", "404", "409"]}.get(
            self.method, ["400", "401", "403", "404", "409"])
        for code in codes:
            responses.setdefault(code, self._get_response_for_code(ErrorSerializer, code, direction=direction))  # type: ignore[no-untyped-call]
        return responses
