"""How every interface hands out a stored or generated file: streamed, with a content type we
chose (never guessed by the browser), and as a download unless the caller says it is a PDF we
generated ourselves and meant to be read in the browser.

Uploaded files (work-order evidence, imported sheets) always go out as attachments: their
content came from outside, and an attachment never runs in our origin. They are stored under a
generated name whose extension comes from the detected content (``detect``, ``check_type``,
``stored_name`` below), never from the client's file name."""

from __future__ import annotations

import re
import uuid
import zipfile
from dataclasses import dataclass
from typing import IO, Any

from django.http import FileResponse, HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

# re-exported: callers catch it here too
from .errors import UploadRefused as UploadRefused


def file_response(
    content: IO[Any], *, filename: str, content_type: str, inline: bool = False
) -> FileResponse:
    """A ``FileResponse`` with ``Content-Disposition`` (attachment, or inline for our own PDFs),
    the content type given and ``X-Content-Type-Options: nosniff``."""
    response = FileResponse(
        content, as_attachment=not inline, filename=filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def document_response(
    content: bytes, *, filename: str, content_type: str, inline: bool = False
) -> HttpResponse:
    """The same headers for a document generated in memory per request (a waybill): nothing to stream."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = (
        content_disposition_header(not inline, filename) or "attachment"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- storing uploads --------------------------------------------------------------------
#
# An uploaded file is kept under a name we generate, with the extension of the type its
# content shows (magic bytes; the client's name and the browser's type are not trusted), so
# nothing stored ever ends in .html or .svg because a client said so. The client's name is
# kept on the record, for display only.


@dataclass(frozen=True)
class FileType:
    """A kind of file we accept: how we name it on disk and the type we serve it with."""

    code: str
    extension: str
    content_type: str
    label: Any  # a lazy translation


PDF = FileType("pdf", ".pdf", "application/pdf", gettext_lazy("PDF"))
JPEG = FileType("jpeg", ".jpg", "image/jpeg", gettext_lazy("JPEG photo"))
PNG = FileType("png", ".png", "image/png", gettext_lazy("PNG picture"))
TIFF = FileType("tiff", ".tif", "image/tiff", gettext_lazy("TIFF scan"))
XLSX = FileType(
    "xlsx",
    ".xlsx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    gettext_lazy("Excel workbook (.xlsx)"),
)
XLSM = FileType(
    "xlsm",
    ".xlsm",
    "application/vnd.ms-excel.sheet.macroEnabled.12",
    gettext_lazy("Excel workbook with macros"),
)
DOCX = FileType(
    "docx",
    ".docx",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    gettext_lazy("Word document (.docx)"),
)
XML = FileType("xml", ".xml", "application/xml", gettext_lazy("XML file"))
JSON = FileType("json", ".json", "application/json", gettext_lazy("JSON file"))
CSV = FileType("csv", ".csv", "text/csv", gettext_lazy("CSV or text file"))
# A plain zip archive: only the openFDA imports take one (their download is a zipped JSON).
ZIP = FileType("zip", ".zip", "application/zip", gettext_lazy("zip archive"))

# What each kind of upload may be. Evidence: photos, scans and documents of work on a unit.
# Imports: what the importers read (CSV/text, Excel, GUDID and EPCIS XML, EPCIS JSON).
EVIDENCE_TYPES: tuple[FileType, ...] = (PDF, JPEG, PNG, TIFF, XLSX, DOCX)
IMPORT_TYPES: tuple[FileType, ...] = (CSV, XLSX, XLSM, XML, JSON)

_MAGIC = (
    (b"%PDF-", PDF),
    (b"\xff\xd8\xff", JPEG),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"II*\x00", TIFF),
    (b"MM\x00*", TIFF),
)
_EXECUTABLE = (
    b"MZ",
    b"\x7fELF",
    b"\xca\xfe\xba\xbe",
    b"\xcf\xfa\xed\xfe",
    b"\xce\xfa\xed\xfe",
    b"\xfe\xed\xfa",
)
_MARKUP_ROOTS = re.compile(
    rb"^\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*)*<\s*(?:!doctype\s+html|html|head|body|"
    rb"script|svg|iframe|object|embed|meta|a\s|img|div|style)",
    re.IGNORECASE | re.DOTALL,
)
_ACTIVE_NAMESPACES = (b"http://www.w3.org/1999/xhtml", b"http://www.w3.org/2000/svg")
HEAD_BYTES = 64 * 1024


def _zip_type(upload: IO[bytes]) -> FileType | None:
    """An Office Open XML document by what its zip holds, ``ZIP`` for another zip (accepted
    only where a caller allows it: the openFDA imports), None for an Office file we do not take."""
    upload.seek(0)
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None
    finally:
        upload.seek(0)
    if "[Content_Types].xml" not in names:
        return ZIP
    if "xl/workbook.xml" in names:
        return XLSM if "xl/vbaProject.bin" in names else XLSX
    if "word/document.xml" in names and "word/vbaProject.bin" not in names:
        return DOCX
    return None


def _text_type(head: bytes) -> FileType | None:
    """CSV, XML or JSON for text (UTF-8/16, GB18030 or any ASCII-compatible encoding); None for
    binary content and for markup a browser would run (HTML, SVG, XHTML)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = head.decode("utf-16", errors="ignore").encode("utf-8", errors="ignore")
    elif b"\x00" in head:
        return None
    head = head.removeprefix(b"\xef\xbb\xbf")
    if _MARKUP_ROOTS.match(head) or any(namespace in head for namespace in _ACTIVE_NAMESPACES):
        return None
    start = head.lstrip()[:1]
    if start == b"<":
        return XML
    if start in (b"{", b"["):
        return JSON
    return CSV


def detect(upload: IO[bytes]) -> FileType | None:
    """The type the content shows (the stream is read from its start and rewound), or None."""
    upload.seek(0)
    head = upload.read(HEAD_BYTES)
    upload.seek(0)
    if not head or head.startswith(_EXECUTABLE):
        return None
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head.startswith(b"PK\x03\x04"):
        return _zip_type(upload)
    return _text_type(head)


def check_type(upload: IO[bytes], *, name: str, allowed: tuple[FileType, ...]) -> FileType:
    """The detected type when it is one of ``allowed``; else a refusal that names what is."""
    kind = detect(upload)
    if kind is None or kind not in allowed:
        raise UploadRefused(
            _(
                "%(name)s is not a file we accept here (its content is not one of: %(types)s). "
                "Web pages, pictures with scripts (SVG) and programs are never accepted."
            )
            % {
                "name": name,
                "types": pgettext("list separator", ", ").join(str(t.label) for t in allowed),
            },
            where="file",
        )
    return kind


def stored_name(kind: FileType) -> str:
    """A name for storage that says nothing the client chose: random, with the type's extension."""
    return f"{uuid.uuid4().hex}{kind.extension}"


KNOWN_TYPES: tuple[FileType, ...] = (PDF, JPEG, PNG, TIFF, XLSX, XLSM, DOCX, XML, JSON, CSV)


def extension_for(content_type: str) -> str:
    """The extension we give files of ``content_type`` (for a download's name), or ``""``."""
    return next((t.extension for t in KNOWN_TYPES if t.content_type == content_type), "")


def type_of_stored(name: str) -> FileType | None:
    """The type of a file stored under a generated name (by its extension), or None."""
    return next((t for t in KNOWN_TYPES if name.endswith(t.extension)), None)
