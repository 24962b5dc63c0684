"""A filing's files as a response, for the pages and the API alike: our own PDFs open in the
browser, the Word files and the uploaded acknowledgement are attachments (core/files.py)."""

from __future__ import annotations

from django.http import FileResponse

from medrecall.core.files import extension_for, file_response

from .models import Filing

FILE_NAMES = ("pdf_zh", "pdf_en", "docx_zh", "docx_en", "acknowledgement")
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def served_file(filing: Filing, name: str) -> FileResponse | None:
    """A filing's file as a response (None when it has no such file); shared with the pages."""
    if name not in FILE_NAMES or not getattr(filing, name):
        return None
    stored = getattr(filing, name)
    stem = f"{filing.recall.number}-{filing.doc_type}-{filing.sequence}-v{filing.version}"
    if name == "acknowledgement":
        filename = f"{stem}-acknowledgement{extension_for(filing.acknowledgement_type)}"
        return file_response(
            stored.open("rb"), filename=filename, content_type=filing.acknowledgement_type
        )
    if name.startswith("pdf"):
        return file_response(
            stored.open("rb"),
            filename=f"{stem}-{name[-2:]}.pdf",
            content_type="application/pdf",
            inline=True,
        )
    return file_response(stored.open("rb"), filename=f"{stem}-{name[-2:]}.docx", content_type=DOCX)
