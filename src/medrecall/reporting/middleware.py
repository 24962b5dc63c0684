"""Kept figures recounted after the response (``reporting.kept``): a request that finds a
figure whose time slot only expired answers it as it was and counts it afresh once its response
is sent, so no request waits for a recount that nothing audited asked for."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, cast

from django.http import HttpRequest, HttpResponseBase

from .kept import recount_pending, recounting_after_response


class RecountAfterResponse:
    """The recounts a request noted run when the server closes its response (after the last
    byte is written, before the worker takes the next request; the database connection is
    still open then: Django closes it on ``request_finished``, which comes after)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        with recounting_after_response() as pending:
            response = self.get_response(request)
        if pending:
            # Django's own list of what ``close()`` runs (a file response's file): not in the
            # type stubs.
            closers = cast(Any, response)._resource_closers
            closers.append(functools.partial(recount_pending, dict(pending)))
        return response
