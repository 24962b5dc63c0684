"""Generated and uploaded files, served through the record they belong to.

Nothing under ``MEDIA_ROOT`` is public: ``/media/`` is not served at all. A file is reached as
``/files/<kind>/<id>/``; the kind names the record (a destruction certificate, a work order's
evidence, a notice, an import run's uploaded file or rejected rows), and the record is read
through the same viewer-scoped selector as its page and the API, with the role's view
permission. A record the user may not see answers 404, exactly as one that does not exist.

PDFs we generate (notices, destruction certificates) open in the browser (inline); everything
uploaded from outside (evidence, imported sheets) and every other file is an attachment. All
carry ``X-Content-Type-Options: nosniff`` and the content type we stored or chose."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest

from medrecall.accounts.selectors import viewer_of
from medrecall.core import selectors as core_selectors
from medrecall.core.errors import NotFound
from medrecall.core.files import extension_for, file_response, type_of_stored
from medrecall.execution import selectors as execution_selectors
from medrecall.notices import selectors as notice_selectors

PDF = "application/pdf"


@dataclass(frozen=True)
class Served:
    file: FieldFile
    filename: str
    content_type: str
    inline: bool = False


def _certificate(viewer: Any, pk: int) -> Served:
    certificate = execution_selectors.certificate_get_for(viewer=viewer, pk=pk)
    return Served(certificate.pdf, f"{certificate.number}.pdf", PDF, inline=True)


def _evidence(viewer: Any, pk: int) -> Served:
    evidence = execution_selectors.evidence_get_for(viewer=viewer, pk=pk)
    stem = PurePath(evidence.original_name).stem or "evidence"
    return Served(
        evidence.file, f"{stem}{extension_for(evidence.content_type)}", evidence.content_type
    )


def _notice(viewer: Any, pk: int) -> Served:
    if not viewer.has_perm("notices.view_notice"):
        raise NotFound("")
    notice = notice_selectors.notice_get_for(viewer=viewer, pk=pk)
    return Served(
        notice.pdf,
        f"{notice.recall.number}-{notice.pk}-{notice.kind}-{notice.sequence}.pdf",
        PDF,
        inline=True,
    )


def _import_source(viewer: Any, pk: int) -> Served:
    run = core_selectors.import_run_get_for(viewer=viewer, pk=pk)
    # The stored name's extension is the detected type (core/files.py); the client's name gives the stem.
    kind = type_of_stored(run.source.name or "")
    stem = PurePath(run.file_name).stem or f"import-{run.pk}"
    if (
        kind is None
    ):  # kept before names were generated: the type the name implies, never run in the browser
        return Served(
            run.source,
            PurePath(run.source.name or "").name or f"import-{run.pk}",
            "application/octet-stream",
        )
    return Served(run.source, f"{stem}{kind.extension}", kind.content_type)


def _import_rejected(viewer: Any, pk: int) -> Served:
    run = core_selectors.import_run_get_for(viewer=viewer, pk=pk)
    return Served(run.rejected_rows, f"rejected-{run.kind}-{run.pk}.csv", "text/csv; charset=utf-8")


# kind -> how to find the record and its file for a viewer (raises NotFound for missing or forbidden)
FILE_KINDS: dict[str, Callable[[Any, int], Served]] = {
    "certificate": _certificate,
    "evidence": _evidence,
    "notice": _notice,
    "import-source": _import_source,
    "import-rejected": _import_rejected,
}


@login_required
def download(request: HttpRequest, kind: str, pk: int) -> FileResponse:
    """One stored file, if the user may see the record it belongs to."""
    finder = FILE_KINDS.get(kind)
    if finder is None:
        raise Http404
    try:
        served = finder(viewer_of(request), pk)
    except NotFound as missing:
        raise Http404(missing.message) from missing
    if not served.file:
        raise Http404
    try:
        content = served.file.open("rb")
    except FileNotFoundError as gone:
        raise Http404 from gone
    return file_response(
        content, filename=served.filename, content_type=served.content_type, inline=served.inline
    )
