"""An openFDA file read and parsed in a child process while the importing process writes.

Parsing and writing are both mostly Python, so in one process Python's global lock serialises
them (13.4 s and 13.0 s of CPU for 100,000 records, see bench/README.md). A file of at least
``MEDRECALL_FDA_IMPORT_PROCESS_BYTES`` is read in a child process started with the ``spawn``
context (never ``fork``: the web and task workers have threads). The child sets Django up with
the parent's settings module, ``MEDRECALL_*`` settings and language, re-opens the file by path,
runs the same parsing (``FdaImporter._read_all``) and never uses the database. It sends, on a
bounded queue (memory stays flat), the batches of parsed records, the progress and at the end
the outcome's counts and row errors, or the refusal (``ImportRejected``), or what failed. The
parent writes the batches in its own thread, in its transaction; a child that raises or dies
is a ``ParsingProcessFailed`` (never a wait without end), and a parent that stops ends it.
"""

from __future__ import annotations

import gc
import importlib
import logging
import multiprocessing
import os
import queue
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from medrecall.core.errors import ImportRejected
from medrecall.core.importing import Progress

if TYPE_CHECKING:
    from .importers import FdaImporter, FdaImportOutcome
    from .services import BatchWriter

logger = logging.getLogger(__name__)

QUEUE_MESSAGES = 4
"""Messages (a batch is one) the child may send ahead of the parent's writes."""
WAIT_SECONDS = 1.0
"""How long the parent waits for a message before it checks that the child still runs."""
END_SECONDS = 30.0
"""How long the parent waits for a child that has sent everything to end."""


class ParsingProcessFailed(RuntimeError):
    """The child process reading the file raised or ended without finishing."""


class _Batches:
    """The child's side of ``BatchWriter.put``: each batch goes to the parent."""

    def __init__(self, channel: Any) -> None:
        self.channel = channel

    def put(self, rows: Sequence[tuple[str, dict[str, Any]]]) -> None:
        self.channel.put(("batch", rows))


def read_in_child(
    importer: FdaImporter,
    path: Path,
    file_name: str,
    outcome: FdaImportOutcome,
    writer: BatchWriter,
    progress: Progress | None,
) -> None:
    """The file read and parsed in a child process, its batches written here by ``writer``;
    ``outcome`` gets the child's counts and errors, a refusal is raised here as it was there."""
    context = multiprocessing.get_context("spawn")
    channel: Any = context.Queue(QUEUE_MESSAGES)
    overrides = {
        name: getattr(settings, name) for name in dir(settings) if name.startswith("MEDRECALL_")
    }
    child = context.Process(
        target=child_main,
        args=(
            f"{type(importer).__module__}:{type(importer).__qualname__}",
            str(path),
            file_name,
            translation.get_language(),
            settings.SETTINGS_MODULE or os.environ.get("DJANGO_SETTINGS_MODULE"),
            overrides,
            channel,
            progress is not None,
        ),
        name="fda-import-parser",
        daemon=True,
    )
    child.start()
    try:
        while True:
            message = _next_message(child, channel, file_name)
            if message[0] == "batch":
                writer.put(message[1])
            elif message[0] == "progress":
                if progress:
                    progress(message[1], 100)
            elif message[0] == "done":
                counts, errors = message[1], message[2]
                outcome.rows = counts["rows"]
                outcome.not_devices = counts["not_devices"]
                outcome.repeated = counts["repeated"]
                outcome.code_info_unread = counts["code_info_unread"]
                outcome.errors.extend(errors)
                break
            elif message[0] == "rejected":
                raise ImportRejected(message[1], message[2])
            else:
                logger.error("The parsing process of %s failed:\n%s", file_name, message[2])
                raise ParsingProcessFailed(
                    _("Reading %(file)s in a separate process failed: %(reason)s")
                    % {"file": file_name, "reason": message[1]}
                )
        child.join(END_SECONDS)
    finally:
        if child.is_alive():
            child.terminate()
            child.join(END_SECONDS)
        channel.close()


def _next_message(child: Any, channel: Any, file_name: str) -> tuple[Any, ...]:
    """The child's next message; a child that ended without sending it is an error."""
    while True:
        try:
            return channel.get(timeout=WAIT_SECONDS)  # type: ignore[no-any-return]
        except queue.Empty:
            if child.is_alive():
                continue
        try:  # what it sent before it ended may still be on its way
            return channel.get(timeout=WAIT_SECONDS)  # type: ignore[no-any-return]
        except queue.Empty:
            raise ParsingProcessFailed(
                _(
                    "Reading %(file)s in a separate process failed: the process ended "
                    "(exit code %(code)s) before it finished."
                )
                % {"file": file_name, "code": child.exitcode}
            ) from None


def child_main(
    importer_name: str,
    path: str,
    file_name: str,
    language: str | None,
    settings_module: str | None,
    overrides: dict[str, Any],
    channel: Any,
    wants_progress: bool,
) -> None:
    """The child process: Django set up as the parent's, the file parsed, never the database.
    The cyclic garbage collector stays off for the child's one file (see
    ``cyclic_collection_paused``), and what set-up made is frozen (``gc.freeze``) should a
    collection run anyway."""
    try:
        if settings_module:
            os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
        import django

        gc.disable()
        django.setup()
        gc.freeze()
        for name, value in overrides.items():
            setattr(settings, name, value)
        if language:
            translation.activate(language)
        from .importers import FdaImportOutcome

        # By name, imported once Django is set up (the class's module defines models' users).
        module, _dot, name = importer_name.partition(":")
        importer = getattr(importlib.import_module(module), name)()
        outcome = FdaImportOutcome(kind=importer.kind, file_name=file_name)

        def report(done: int, total: int) -> None:
            channel.put(("progress", done))

        rows, reader = importer.records(Path(path), file_name)
        importer._read_all(
            rows, reader, file_name, outcome, _Batches(channel), report if wants_progress else None
        )
        counts = {
            "rows": outcome.rows,
            "not_devices": outcome.not_devices,
            "repeated": outcome.repeated,
            "code_info_unread": outcome.code_info_unread,
        }
        channel.put(("done", counts, list(outcome.errors)))
    except ImportRejected as refusal:
        channel.put(("rejected", refusal.message, list(refusal.errors)))
    except BaseException as error:  # sent to the parent, which raises it as its own error
        channel.put(("failed", f"{type(error).__name__}: {error}", traceback.format_exc()))
    channel.close()
    channel.join_thread()
