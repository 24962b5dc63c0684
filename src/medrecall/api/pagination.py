"""One way to page every list of the API: ``?limit=&offset=``, answered as
``{"count", "next", "previous", "results"}``.

The router's model lists use it as DRF's default pagination class; the hand-written list
views (recalls, notices, returns…) call ``paginated`` and declare ``page_of(Serializer)`` in
their schema. No list is cut at a fixed number of rows: a client follows ``next``."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

DEFAULT_LIMIT = 50
MAX_LIMIT = 1000


PAGE_PARAMETERS = [
    OpenApiParameter("limit", int, description="Rows per page (default 50, at most 1,000)"),
    OpenApiParameter("offset", int, description="Rows to skip"),
]


class RowPage(LimitOffsetPagination):
    """``limit`` rows from ``offset`` (default 50, at most 1,000 a page)."""

    default_limit = DEFAULT_LIMIT
    max_limit = MAX_LIMIT


def paginated(
    view: APIView,
    request: Request,
    rows: QuerySet[Any] | Sequence[Any],
    serializer: type[serializers.BaseSerializer[Any]],
    **context: Any,
) -> Response:
    """One page of ``rows`` serialised, with the count and the links to the pages around it."""
    pager = RowPage()
    page = pager.paginate_queryset(rows, request, view=view)
    return pager.get_paginated_response(
        serializer(page, many=True, context={"request": request, **context}).data
    )


@cache
def page_of(serializer: type[serializers.BaseSerializer[Any]]) -> type[serializers.Serializer[Any]]:
    """The schema of one page of ``serializer`` rows (named like DRF's own paginated lists)."""
    name = serializer.__name__.removesuffix("Serializer")
    return type(
        f"Paginated{name}ListSerializer",
        (serializers.Serializer,),
        {
            "__module__": __name__,
            "count": serializers.IntegerField(help_text="Rows in the whole list"),
            "next": serializers.URLField(
                allow_null=True, help_text="The next page, or null on the last"
            ),
            "previous": serializers.URLField(
                allow_null=True, help_text="The previous page, or null on the first"
            ),
            "results": serializer(many=True),
        },
    )
