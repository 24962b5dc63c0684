"""How every interface hands out a stored or generated file: streamed, with a content type we
chose (never guessed by the browser), and as a download unless the caller says it is a PDF we
generated ourselves and meant to be read in the browser.

Uploaded files (work-order evidence, imported sheets) always go out as attachments: their
content came from outside, and an attachment never runs in our origin."""

from __future__ import annotations

from typing import IO, Any

from django.http import FileResponse, HttpResponse
from django.utils.http import content_disposition_header


def file_response(content: IO[Any], *, filename: str, content_type: str, inline: bool = False) -> FileResponse:
    """A ``FileResponse`` with ``Content-Disposition`` (attachment, or inline for our own PDFs),
    the content type given and ``X-Content-Type-Options: nosniff``."""
    response = FileResponse(content, as_attachment=not inline, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def document_response(content: bytes, *, filename: str, content_type: str, inline: bool = False) -> HttpResponse:
    """The same headers for a document generated in memory per request (a waybill): nothing to stream."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(not inline, filename) or "attachment"
    response["X-Content-Type-Options"] = "nosniff"
    return response
