"""Logging filters named in ``settings.LOGGING``.

A refused request (403) is an expected outcome, not a fault: Django's ``django.request`` logger
records it at warning level with the ``PermissionDenied`` attached, which the console handler
prints as a traceback for every refusal. ``OneLineForbidden`` keeps the warning and drops the
traceback, so a 403 is one line (``Forbidden (Permission denied): /path``); a 500 keeps its
traceback."""

from __future__ import annotations

import logging


class OneLineForbidden(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) == 403:
            record.exc_info = None
            record.exc_text = None
        return True
