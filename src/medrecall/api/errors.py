"""One exception handler: every API error is JSON ``{"code", "message", ...}``, never a traceback.

Also the JSON the project's 400/403/404/500 handlers (``medrecall/handlers.py``) answer under
``/api/``: an unmatched URL or a non-numeric id gets the same shape as every other API error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, ProtectedError, RestrictedError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_handler

from medrecall.core.errors import DomainError, NotFound, ValidationFailed

logger = logging.getLogger(__name__)

T = TypeVar("T")


def named_in_body(lookup: Callable[[], T]) -> T:
    """A context's look-up of a record the request *body* names (a holder's code, a lot number).

    A record the URL names and cannot find answers 404 (``NotFound`` reaches the handler); a
    body that names a record which is not there is an invalid request (the URL was right): 400
    ``invalid``, with the look-up's message and ``where`` naming the field."""
    try:
        return lookup()
    except NotFound as missing:
        raise ValidationFailed(missing.message, where=missing.where) from missing


class InvalidInput(exceptions.ValidationError):
    """A serializer's refusal, with the serializer that refused: the message names each field by
    its label in the reader's language, the ``errors`` part by its key (clients read that)."""

    def __init__(self, detail: Any, *, serializer: Any) -> None:
        super().__init__(detail)
        self.serializer = serializer


def _fields_of(serializer: Any) -> Mapping[str, Any]:
    """The fields of a serializer, or none."""
    if isinstance(serializer, serializers.Serializer):
        return serializer.fields
    return {}


def _items_of(serializer: Any) -> Any:
    """What each item of a list (serializer or field) is, or ``None`` for no list."""
    if isinstance(serializer, serializers.ListSerializer | serializers.ListField):
        return serializer.child
    return None


def _first_message(detail: Any, serializer: Any = None) -> str:
    """The first error in ``detail``, prefixed by where it is: a field's label when the
    serializer that refused is known (its key otherwise), nested fields one after the other,
    a list's item by its position (from 1)."""
    if isinstance(detail, dict):
        fields, item = _fields_of(serializer), _items_of(serializer)
        for key, value in detail.items():
            if key == "non_field_errors":
                return _first_message(value, serializer)
            if item is not None and str(key).isdigit():
                label, inner = _("item %(number)s") % {"number": int(key) + 1}, item
            else:
                inner = fields.get(key)
                label = str(inner.label) if inner is not None and inner.label else str(key)
            return _("%(field)s: %(message)s") % {
                "field": label,
                "message": _first_message(value, inner),
            }
    if isinstance(detail, list) and detail:
        position, first = next(
            ((n, entry) for n, entry in enumerate(detail) if entry), (0, detail[0])
        )
        item = _items_of(serializer)
        if item is not None and isinstance(first, dict):  # a list of items: say which
            return _("%(field)s: %(message)s") % {
                "field": _("item %(number)s") % {"number": position + 1},
                "message": _first_message(first, item),
            }
        return _first_message(first, serializer)
    return str(detail)


def references(records: Iterable[Model]) -> list[dict[str, Any]]:
    """The records that still refer to a record being deleted: per kind, how many and the first three."""
    by_kind: dict[type[Model], list[Model]] = {}
    for record in records:
        by_kind.setdefault(type(record), []).append(record)
    return [
        {
            "kind": model._meta.label_lower,
            "name": str(model._meta.verbose_name_plural),
            "count": len(found),
            "examples": [str(r) for r in sorted(found, key=lambda r: r.pk)[:3]],
        }
        for model, found in sorted(by_kind.items(), key=lambda item: item[0]._meta.label_lower)
    ]


def in_use_body(exc: ProtectedError | RestrictedError) -> dict[str, Any]:
    """409 body for a delete the database refuses because other records refer to the record."""
    found = references(
        exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
    )
    listed = ", ".join(
        _("%(kind)s: %(count)d") % {"kind": ref["name"], "count": ref["count"]} for ref in found
    )
    return {
        "code": "in_use",
        "message": _(
            "The record cannot be deleted while other records refer to it (%(references)s)."
        )
        % {"references": listed},
        "details": found,
    }


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        return Response(exc.as_dict(), status=exc.status)
    if isinstance(exc, ProtectedError | RestrictedError):
        return Response(in_use_body(exc), status=status.HTTP_409_CONFLICT)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_handler(exc, context)
    if response is None:
        logger.error("Unhandled API error", exc_info=exc)
        return Response(
            {
                "code": "server_error",
                "message": _("The server could not complete the request; the error was logged."),
            },
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )
    if isinstance(exc, exceptions.ValidationError):
        response.data = {
            "code": "invalid",
            "message": _first_message(exc.detail, getattr(exc, "serializer", None)),
            "errors": exc.detail,
        }
    elif isinstance(exc, exceptions.APIException):
        response.data = {
            "code": exc.get_codes() if isinstance(exc.get_codes(), str) else "error",
            "message": _first_message(exc.detail),
        }
    return response


# --- JSON for the project's error handlers under /api/ (medrecall/handlers.py) ----------------


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def _json(code: str, message: str, status_code: int) -> JsonResponse:
    return JsonResponse(
        {"code": code, "message": message},
        status=status_code,
        json_dumps_params={"ensure_ascii": False},
    )


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _json("bad_request", _("The request could not be understood."), 400)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _json("permission_denied", _("You do not have permission to perform this action."), 403)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _json(
        "not_found", _("No API operation or record at %(path)s.") % {"path": request.path}, 404
    )


def server_error(request: HttpRequest) -> HttpResponse:
    return _json(
        "server_error", _("The server could not complete the request; the error was logged."), 500
    )
