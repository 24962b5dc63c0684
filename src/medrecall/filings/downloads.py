"""A filing's files as a response, for the pages and the API alike: our own PDFs open in the
browser, the Word files and the uploaded acknowledgement are attachments (core/files.py)."""

from __future__ import annotations

import re

from django.http import FileResponse
from django.utils import translation

from medrecall.core.files import extension_for, file_response

from .models import Filing

FILE_NAMES = ("pdf_zh", "pdf_en", "docx_zh", "docx_en", "acknowledgement")
# Letters, digits (any script: the Chinese name stays), and . - _ ( ); anything else a dash.
UNSAFE = re.compile(r"[^\w.()\-]+")
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def served_file(filing: Filing, name: str) -> FileResponse | None:
    """A filing's file as a response (None when it has no such file); shared with the pages.
    ``acknowledgement-<id>``: the acknowledgement of one submission (one per authority)."""
    prefix, _dash, number = name.partition("-")
    if prefix == "acknowledgement" and number.isdigit() and len(number) < 19:
        submission = filing.submissions.filter(pk=int(number)).first()
        if submission is None or not submission.acknowledgement:
            return None
        stem = file_stem(filing, translation.get_language() or "en")
        filename = (
            f"{stem}-acknowledgement-{UNSAFE.sub('-', submission.authority).strip('-')}"
            f"{extension_for(submission.acknowledgement_type)}"
        )
        return file_response(
            submission.acknowledgement.open("rb"),
            filename=filename,
            content_type=submission.acknowledgement_type,
        )
    if name not in FILE_NAMES or not getattr(filing, name):
        return None
    stored = getattr(filing, name)
    if name == "acknowledgement":
        stem = file_stem(filing, translation.get_language() or "en")
        filename = f"{stem}-acknowledgement{extension_for(filing.acknowledgement_type)}"
        return file_response(
            stored.open("rb"), filename=filename, content_type=filing.acknowledgement_type
        )
    stem = file_stem(filing, "en" if name.endswith("en") else "zh-hans")
    if name.startswith("pdf"):
        return file_response(
            stored.open("rb"),
            filename=f"{stem}.pdf",
            content_type="application/pdf",
            inline=True,
        )
    return file_response(stored.open("rb"), filename=f"{stem}.docx", content_type=DOCX)


def file_stem(filing: Filing, language: str) -> str:
    """The file's name without extension: the recall number, the document's name in the
    file's language, the report number (recurring reports) and the version, in safe characters.
    Unique per file: a recall has one filing per type, sequence and version."""
    from .documents import DOCUMENT_TYPES

    kind = DOCUMENT_TYPES.get(filing.doc_type)
    if language.startswith("zh"):
        title = kind.title_zh
    else:
        with translation.override("en"):
            title = str(kind.label)
    parts = [filing.recall.number, title]
    if kind.recurring or filing.sequence > 1:
        parts.append(f"No{filing.sequence}")
    parts += [f"v{filing.version}", "zh" if language.startswith("zh") else "en"]
    return "_".join(UNSAFE.sub("-", part).strip("-") for part in parts)
