"""The ``medrecall`` command: Django's management commands plus the product's own
(``import``, ``demo``, ``serve``, ``audit verify``, and per context ``trace``, ``udi``…).

It defaults to the production settings module so that ``DATABASE_URL`` and friends apply.
``medrecall version`` answers before Django is set up (it is the probe scripts call first).
Django is set up with the cyclic garbage collector paused (``_set_up_django``): set-up
allocates some 100,000 objects that all stay alive, and the collector, left on, walks them
again and again (a sixth to a third of every command's start-up, bench/README.md).
"""

from __future__ import annotations

import os
import sys


def product_versions() -> dict[str, str]:
    """The versions of the product, Django and Python, read from the installed metadata."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    try:
        medrecall = version("medrecall")
    except PackageNotFoundError:  # a source tree that was never installed
        medrecall = "unknown"
    return {
        "medrecall": medrecall,
        "django": version("django"),
        "python": platform.python_version(),
    }


def _print_version(arguments: list[str]) -> None:
    import json

    versions = product_versions()
    if "--json" in arguments:
        sys.stdout.write(json.dumps(versions) + "\n")
    else:
        sys.stdout.write(
            f"MedRecall {versions['medrecall']} (Django {versions['django']}, "
            f"Python {versions['python']})\n"
        )


def _refuse_database_error(error: Exception) -> None:
    """A database that is missing, not migrated or unreachable: one clear line, not a traceback."""
    from django.conf import settings
    from django.utils.translation import gettext as _

    database = settings.DATABASES["default"]
    sys.stderr.write(
        _(
            "Database error (%(engine)s %(name)s): %(error)s\nIf this data directory is new, "
            'set the database up with "medrecall migrate" (or scripts/bootstrap.py setup); '
            "add --traceback to see where it failed.\n"
        )
        % {
            "engine": database["ENGINE"].rsplit(".", 1)[-1],
            "name": database.get("NAME"),
            "error": error,
        }
    )
    sys.exit(1)


def _set_up_django(arguments: list[str]) -> None:
    """``django.setup()`` before Django's command runner calls it (a second call does nothing),
    with the cyclic garbage collector paused.

    Setting Django up creates the models, modules and classes of every installed app: objects
    that live as long as the process and that are never garbage. With the collector on, each
    collection walks all of them again (some 170 collections, a sixth to a third of set-up's
    time). Paused, and the survivors then frozen (``gc.freeze``: moved to the permanent
    generation, which later collections do not walk), the command starts that much sooner
    and collects its own garbage as before. Left to Django where set-up must stay within its
    runner: ``runserver``'s reloader watches a failing set-up, ``--pythonpath`` comes first,
    and a process that set Django up already (a test) changes nothing.
    """
    import gc

    from django.apps import apps

    if apps.ready or arguments[:1] == ["runserver"]:
        return
    if any(argument.startswith("--pythonpath") for argument in arguments):
        return
    import django

    collecting = gc.isenabled()
    gc.disable()
    try:
        django.setup()
    finally:
        gc.freeze()
        if collecting:
            gc.enable()


def main(argv: list[str] | None = None) -> None:
    arguments = sys.argv[1:] if argv is None else argv
    if arguments[:1] in (["version"], ["--version"]):
        _print_version(arguments[1:])
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "medrecall.settings.base")
    # polars' allocator (jemalloc) keeps freed pages for seconds by default: an events import
    # then grows by the blocks it has read (3M events: 300 MB against 164 MB when returned at
    # once, for about 5 % more CPU). Read when polars first allocates, so set before it loads.
    os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:0,muzzy_decay_ms:0")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line
    from django.db import DatabaseError

    try:  # a setting that refuses to start (e.g. the built-in SECRET_KEY): its message, no traceback
        settings.SECRET_KEY  # noqa: B018 - reading it loads the settings module
    except ImproperlyConfigured as refused:
        sys.stderr.write(f"MedRecall cannot start: {refused}\n")
        raise SystemExit(2) from None

    try:
        _set_up_django(arguments)
        execute_from_command_line(["medrecall", *arguments])
    except DatabaseError as error:
        if "--traceback" in arguments:
            raise
        _refuse_database_error(error)
    except BrokenPipeError:  # ``medrecall … | head``: the reader has what it wanted
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        sys.exit(0)
