"""Kept figures recounted after the response (``reporting.kept``): a request that finds a
figure whose time slot only expired answers it as it was and counts it afresh once its response
is sent, so no request waits for a recount that nothing audited asked for."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase

from .kept import recount_pending, recounting_after_response

logger = logging.getLogger(__name__)


class RecountAfterResponse:
    """The recounts a request noted run when the server closes its response (after the last
    byte is written, before the worker takes the next request; the database connection is
    still open then: Django closes it on ``request_finished``, which comes after).

    Django has no public hook that runs there with the connection open (``request_finished``
    receivers run after the connection's own). Its list of what ``close()`` runs
    (``_resource_closers``, used for a file response's file) is private: should a Django
    release drop it, the recounts run before the response is returned, as they did before
    this middleware (slower for that one request, never a stale figure kept), and a warning
    says so once."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        with recounting_after_response() as pending:
            response = self.get_response(request)
        if pending:
            closers = getattr(response, "_resource_closers", None)
            if isinstance(closers, list):
                closers.append(functools.partial(recount_pending, dict(pending)))
            else:
                _warn_once()
                recount_pending(dict(pending))
        return response


@functools.cache
def _warn_once() -> None:
    logger.warning(
        "Responses have no _resource_closers list in this Django release: kept figures are "
        "recounted before the response instead of after it (reporting.middleware)."
    )
