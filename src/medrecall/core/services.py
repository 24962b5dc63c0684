"""Import runs: start one (store the file, queue the work) and carry it out (the worker)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from medrecall.core.types import ActorOrSystem

from . import files
from .errors import (
    DomainError,
    ImportRejected,
    KeepGoodNotOffered,
    UploadTooLarge,
    ValidationFailed,
)
from .importing import ImportOutcome, Policy
from .models import ImportRun, ImportStatus
from .registry import importer_for, keep_good_refusal, keeps_good_rows


@transaction.atomic
def import_run_start(
    *, kind: str, upload: File[Any], file_name: str, policy: str, actor: ActorOrSystem
) -> ImportRun:
    """Keep the uploaded file and queue its import; the worker picks it up after commit."""
    from .tasks import import_run_execute

    importer = importer_for(kind)
    if importer is None:
        raise ValidationFailed(
            _("There is no import of kind %(kind)s.") % {"kind": kind}, where="kind"
        )
    if policy not in Policy._value2member_map_:
        raise ValidationFailed(_("Unknown policy %(policy)s.") % {"policy": policy}, where="policy")
    if policy == Policy.KEEP_GOOD and not keeps_good_rows(kind):
        raise KeepGoodNotOffered(keep_good_refusal(kind), where="policy")
    if upload.size and upload.size > settings.MEDRECALL_MAX_UPLOAD_BYTES:
        raise UploadTooLarge(
            _("The file is larger than %(limit)s MB; import it with the medrecall command.")
            % {"limit": settings.MEDRECALL_MAX_UPLOAD_BYTES // (1024 * 1024)},
            where="file",
        )
    if not upload.size:  # said as such, not as a type we do not accept
        raise ValidationFailed(
            _("The file %(file)s is empty.") % {"file": Path(file_name).name or file_name},
            code="empty_file",
            where="file",
        )
    detected = files.check_type(
        upload,
        name=Path(file_name).name or file_name,
        allowed=getattr(importer, "upload_types", files.IMPORT_TYPES),
    )
    run = ImportRun(
        kind=kind,
        file_name=file_name[:255],
        policy=policy,
        created_by_id=getattr(actor, "pk", None),
    )
    # Kept under a generated name with the detected type's extension; the importer goes by
    # ``file_name`` (the client's), which is shown and used in messages, never on disk.
    run.source.save(files.stored_name(detected), upload, save=False)
    run.save()
    # The worker has no request: it writes the row errors and the message in the language the
    # import was started in (the user's choice, or the browser's), as the user would read them.
    language = translation.get_language() or ""
    transaction.on_commit(lambda: import_run_execute.enqueue(run_id=run.pk, language=language))
    return run


def _summary(rejected: int, outcome: ImportOutcome) -> str:
    """The run's one-line result in the active language, each count with its plural."""
    if not outcome.accepted:
        return ngettext(
            "%(count)s row has a problem; nothing was imported.",
            "%(count)s rows have problems; nothing was imported.",
            rejected,
        ) % {"count": rejected}
    if outcome.errors:
        good = outcome.rows - rejected
        return _("%(imported)s; %(rejected)s (download them, correct and import again).") % {
            "imported": ngettext("%(count)s row imported", "%(count)s rows imported", good)
            % {"count": good},
            "rejected": ngettext("%(count)s row rejected", "%(count)s rows rejected", rejected)
            % {"count": rejected},
        }
    message = ngettext(
        "%(rows)s row: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.",
        "%(rows)s rows: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.",
        outcome.rows,
    ) % {
        "rows": outcome.rows,
        "created": outcome.created,
        "updated": outcome.updated,
        "unchanged": outcome.unchanged,
    }
    if notes := getattr(outcome, "notes", ""):
        message = f"{message} {notes}"  # what an importer adds (fda-recalls)
    return message


def _progress_writer(run: ImportRun) -> Any:
    """How far the run got, written to ``run.progress_path`` (see ``ImportRun``): outside the
    import's transaction, so the page and the API see it while the import runs. Replaced
    whole, so a reader never sees half a figure."""
    last = [-1]
    path = run.progress_path
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")

    def progress(done: int, total: int) -> None:
        if done != last[0]:
            last[0] = done
            partial.write_text(f"{done} {total or 1}")
            partial.replace(path)

    return progress


def import_run_execute(*, run_id: int, language: str = "") -> ImportRun:
    """Run a queued import. Safe to run twice: a finished run is left as it is.

    Messages are written in ``language``; without one, in the language of the user who
    started the import, else the site's default."""
    claimed = ImportRun.objects.filter(pk=run_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, started_at=timezone.now()
    )
    run = ImportRun.objects.select_related("created_by").get(pk=run_id)
    if not claimed:
        return run
    chosen = language or getattr(run.created_by, "language", "") or settings.LANGUAGE_CODE
    try:
        with translation.override(chosen):
            return _execute(run)
    finally:  # after the run's end is saved: until then, a reader of a running run reads the file
        run.progress_path.unlink(missing_ok=True)


def _run_importer(run: ImportRun, progress: Any = None) -> ImportOutcome:
    importer_class = importer_for(run.kind)
    assert importer_class is not None  # noqa: S101 - checked when the run was started
    extra = (
        {"import_run_id": run.pk} if getattr(importer_class, "accepts_import_run", False) else {}
    )
    outcome: ImportOutcome = importer_class().run(
        Path(run.source.path),
        file_name=run.file_name,
        policy=Policy(run.policy),
        actor=run.created_by,
        progress=progress or (lambda done, total: None),
        **extra,
    )
    return outcome


RECHECK_BYTES = 5_000_000
"""Largest file whose problems are checked again in each other language (``_in_other_languages``):
a larger refused file is not read a second time (a 200 MB openFDA download would keep its user
waiting twice as long); its row problems stay in the language they were written in, its summary
line is in every language all the same."""


def _in_other_languages(run: ImportRun) -> None:
    """A refused or partial run's message and row errors in each other language of the site,
    so that a reader sees them in theirs: a file of at most ``RECHECK_BYTES`` is checked again
    in that language inside a transaction that is rolled back (nothing a second pass writes is
    kept; a run with problems costs one more pass per language)."""
    current = translation.get_language() or settings.LANGUAGE_CODE
    run.messages = run.messages or {current: run.message}
    try:
        size = Path(run.source.path).stat().st_size
    except (OSError, ValueError):
        return
    if size > RECHECK_BYTES:
        return
    by_language: dict[str, list[str]] = {current: [e["message"] for e in run.errors]}
    for language, _name in settings.LANGUAGES:
        if language == current:
            continue
        with translation.override(language):
            message, errors = _check_again(run)
        if len(errors) != len(run.errors):
            continue  # not refused the same way: keep the language it was written in
        run.messages.setdefault(language, message or run.message)
        by_language[language] = [e["message"] for e in errors]
    run.errors = [
        {**error, "messages": {lang: texts[i] for lang, texts in by_language.items()}}
        for i, error in enumerate(run.errors)
    ]


def _check_again(run: ImportRun) -> tuple[str | None, list[dict[str, Any]]]:
    """Import the file again in the active language and roll it back: the refusal's message
    (``None`` when the importer answered with an outcome) and the row errors."""
    try:
        with transaction.atomic():
            outcome = _run_importer(run)
            transaction.set_rollback(True)  # never keep what a second pass writes
    except ImportRejected as rejected:
        return rejected.message, rejected.details or []
    except DomainError as refused:
        return refused.message, []
    return None, [e.as_dict() for e in outcome.errors[:1000]]


def _execute(run: ImportRun) -> ImportRun:
    importer_class = importer_for(run.kind)
    assert importer_class is not None  # noqa: S101 - checked when the run was started
    try:
        outcome = _run_importer(run, _progress_writer(run))
    except ImportRejected as rejected:
        run.status, run.message, run.errors = (
            ImportStatus.REJECTED,
            rejected.message,
            rejected.details or [],
        )
        run.rejected_count = len({e.row for e in rejected.errors})
        _in_other_languages(run)
    except DomainError as refused:
        run.status, run.message = ImportStatus.REJECTED, refused.message
        _in_other_languages(run)
    except Exception as error:  # the worker must record every failure for the user
        run.status, run.message = (
            ImportStatus.FAILED,
            _("The import failed unexpectedly: %(error)s") % {"error": type(error).__name__},
        )
        run.finished_at = timezone.now()
        run.save()
        raise
    else:
        record_outcome(run, outcome, importer_class.columns.all)
    run.progress_done, run.progress_total = 100, 100
    run.finished_at = timezone.now()
    run.save()
    return run


def record_outcome(run: ImportRun, outcome: ImportOutcome, columns: tuple[str, ...]) -> None:
    run.rows, run.created_count, run.updated_count = outcome.rows, outcome.created, outcome.updated
    run.unchanged_count = outcome.unchanged
    run.errors = [e.as_dict() for e in outcome.errors[:1000]]
    run.rejected_count = len({e.row for e in outcome.errors})
    if not outcome.accepted:
        run.status = ImportStatus.REJECTED
    elif outcome.errors:
        run.status = ImportStatus.PARTIAL
    else:
        run.status = ImportStatus.ACCEPTED
    run.message = _summary(run.rejected_count, outcome)
    run.messages = {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            run.messages[language] = _summary(run.rejected_count, outcome)
    if outcome.errors:  # the rows' problems too, in each language
        _in_other_languages(run)
    if outcome.errors:
        run.rejected_rows.save(
            f"rejected-{run.pk}.csv",
            ContentFile(outcome.rejected_csv(columns).encode("utf-8-sig")),
            save=False,
        )
