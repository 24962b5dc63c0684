"""One way to page every list on a page: ``paged(request, rows)`` gives the page of rows and
the links to its neighbours (the other query parameters kept), and ``web/pager.html`` draws
them. No list is cut at a fixed number of rows; several lists on one page each take their
own parameter (``?page=``, ``?holds=``…)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

PAGE_SIZE = 50


@dataclass(frozen=True)
class Paged:
    """One page of a list, the parameter that turns it, and the rest of the query string."""

    page: Page[Any]
    param: str
    query: str

    def __iter__(self) -> Any:
        return iter(self.page.object_list)

    def __len__(self) -> int:
        return len(self.page.object_list)


def paged(
    request: HttpRequest,
    rows: QuerySet[Any] | Sequence[Any],
    *,
    param: str = "page",
    per_page: int = PAGE_SIZE,
) -> Paged:
    """The page of ``rows`` that ``?<param>=N`` asks for (the first, or the last if N is too far)."""
    query = request.GET.copy()
    query.pop(param, None)
    return Paged(
        page=Paginator(rows, per_page).get_page(request.GET.get(param)),
        param=param,
        query=query.urlencode(),
    )
