"""The ``medrecall`` command: Django's management commands plus the product's own
(``import``, ``demo``, ``serve``, ``audit verify``, and per context ``trace``, ``udi``…).

It defaults to the production settings module so that ``DATABASE_URL`` and friends apply.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "medrecall.settings.base")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:  # a setting that refuses to start (e.g. the built-in SECRET_KEY): its message, no traceback
        settings.SECRET_KEY  # noqa: B018 - reading it loads the settings module
    except ImproperlyConfigured as refused:
        sys.stderr.write(f"MedRecall cannot start: {refused}\n")
        raise SystemExit(2) from None

    execute_from_command_line(["medrecall", *(sys.argv[1:] if argv is None else argv)])
