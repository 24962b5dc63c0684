"""Reading CSV and Excel files as a stream of rows, with the header checked first.

CSV may be UTF-8 (with or without BOM) or GB18030 (Chinese Excel exports); the delimiter is
sniffed (comma, semicolon, tab). Excel is read with openpyxl in read-only mode. Rows come out
as ``SourceRow(number, values)`` where ``number`` is the line a spreadsheet shows (header = 1)
and ``values`` maps the normalised column name to the cell text, stripped.

Large imports read ``TableReader.tuples(names)`` instead: the same rows and checks, each row a
plain tuple of the cell texts in the order of ``names`` (column positions resolved once from
the header), without a dictionary and an object per row.
"""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time
from operator import itemgetter
from pathlib import Path
from typing import IO, Any

from defusedxml import DefusedXmlException  # type: ignore[import-untyped]
from django.conf import settings
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from .errors import ImportRejected, RowError

SNIFF_BYTES = 256 * 1024
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
READ_BUFFER = 1 << 20
RATIO_FROM_BYTES = 1 << 20  # parts smaller than this may compress as well as they like
# What openpyxl raises on a broken or hostile workbook, when opening it or while streaming a
# sheet (defusedxml's refusals are ValueErrors; ElementTree's ParseError is a SyntaxError).
_EXCEL_FAILURES = (
    zipfile.BadZipFile,
    zlib.error,
    KeyError,
    OSError,
    ValueError,
    TypeError,
    AttributeError,
    IndexError,
    SyntaxError,
    EOFError,
    OverflowError,
)

# One row of ``TableReader.tuples``: (line number, cell texts in the asked-for order, and the
# reason the row is unreadable or ``None``; when there is a reason the texts are empty).
TupleRow = tuple[int, tuple[str, ...], str | None]


@dataclass(frozen=True, slots=True)
class SourceRow:
    number: int
    values: dict[str, str]


@dataclass(frozen=True)
class CsvLayout:
    """A UTF-8 CSV's checked header, its delimiter, and where the rows start (in bytes)."""

    header: tuple[str, ...]
    delimiter: str
    body_offset: int


@dataclass(frozen=True)
class Columns:
    """The contract of one import template: required names, then optional ones."""

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()

    @property
    def all(self) -> tuple[str, ...]:
        return self.required + self.optional


def normalise_header(name: Any) -> str:
    return str(name or "").strip().lstrip("\ufeff").strip().lower().replace(" ", "_")


def _detect_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the sample is still UTF-8.
        if error.start < len(head) - 4:
            return "gb18030"
    return "utf-8"


class TableReader:
    """Open ``path`` (named ``file_name`` for messages) and check its header against ``columns``."""

    def __init__(self, path: Path, *, file_name: str, columns: Columns) -> None:
        self.path = path
        self.file_name = file_name
        self.columns = columns
        self.is_excel = file_name.lower().endswith(EXCEL_SUFFIXES)
        self.size = path.stat().st_size
        self._bytes_read = 0
        self.header: list[str] = []
        check_file_size(path, file_name)

    def _reject(
        self, message: str, column: str = "", row: int = 1, code: str = "header"
    ) -> ImportRejected:
        return ImportRejected(message, [RowError(self.file_name, row, column, code, message)])

    def check_header(self, header: list[str]) -> None:
        if not any(header):
            raise self._reject(_("The file %(file)s has no header row.") % {"file": self.file_name})
        seen: set[str] = set()
        problems: list[RowError] = []
        for name in header:
            if not name:
                continue
            if name in seen:
                msg = _("Column %(column)s appears twice.") % {"column": name}
                problems.append(RowError(self.file_name, 1, name, "duplicate_column", msg))
            elif name not in self.columns.all:
                msg = _("Unknown column %(column)s; the template's columns are: %(columns)s.") % {
                    "column": name,
                    "columns": ", ".join(self.columns.all),
                }
                problems.append(RowError(self.file_name, 1, name, "unknown_column", msg))
            seen.add(name)
        for name in self.columns.required:
            if name not in seen:
                msg = _("Required column %(column)s is missing.") % {"column": name}
                problems.append(RowError(self.file_name, 1, name, "missing_column", msg))
        if problems:
            raise ImportRejected(
                _("The header of %(file)s does not match the template: %(problem)s")
                % {"file": self.file_name, "problem": problems[0].message},
                problems,
            )
        self.header = header

    @property
    def fraction_read(self) -> float:
        return min(1.0, self._bytes_read / self.size) if self.size else 1.0

    def rows(self) -> Iterator[SourceRow]:
        if self.size == 0:
            raise self._reject(
                _("The file %(file)s is empty.") % {"file": self.file_name}, code="empty"
            )
        yield from (self._excel_rows() if self.is_excel else self._csv_rows())

    # -- CSV -------------------------------------------------------------------------------
    @contextmanager
    def _csv_reader(self) -> Iterator[Any]:
        """Open the CSV and check its header; the ``csv`` reader's errors inside the block
        become the file's rejection."""
        with self.path.open("rb") as raw:
            head = raw.read(SNIFF_BYTES)
            encoding = _detect_encoding(head)
            raw.seek(0)
            text = io.TextIOWrapper(
                io.BufferedReader(_CountingReader(raw, self), READ_BUFFER),
                encoding=encoding,
                newline="",
            )
            sample = head.decode(encoding, errors="ignore")[:8192]
            reader = csv.reader(text, csv.excel, delimiter=_delimiter(sample.split("\n", 1)[0]))
            try:
                header = [normalise_header(h) for h in next(reader, [])]
                self.check_header(header)
                yield reader
            except UnicodeDecodeError as error:
                raise self._reject(
                    _("The file %(file)s is neither UTF-8 nor GB18030 text (near line %(line)s).")
                    % {"file": self.file_name, "line": reader.line_num + 1},
                    row=reader.line_num + 1,
                    code="encoding",
                ) from error
            except csv.Error as error:
                raise self._reject(
                    _("The file %(file)s is not valid CSV near line %(line)s: %(problem)s")
                    % {"file": self.file_name, "line": reader.line_num, "problem": error},
                    row=reader.line_num,
                    code="csv",
                ) from error
            except _NulFound as found:
                line = _line_of(self.path, found.offset)
                raise self._reject(
                    _(
                        "The file %(file)s has a NUL character (byte 0) on line %(line)s: it is not a text file, or it "
                        "is UTF-16; save it as CSV in UTF-8 or GB18030."
                    )
                    % {"file": self.file_name, "line": line},
                    row=line,
                    code="encoding",
                ) from None

    def csv_layout(self) -> CsvLayout | None:
        """How the body of a CSV is laid out, for readers that take it in bulk (polars), or
        ``None`` when only this reader can read it exactly: Excel, GB18030, an empty file, a
        header that is quoted or does not match the template."""
        if self.is_excel or self.size == 0:
            return None
        with self.path.open("rb") as raw:
            head = raw.read(SNIFF_BYTES)
        encoding = _detect_encoding(head)
        end = head.find(b"\n")
        if encoding == "gb18030" or end < 0 or b'"' in head[:end]:
            return None
        try:
            line = head[:end].decode(encoding).rstrip("\r")
        except (
            UnicodeDecodeError
        ):  # a bad byte the sniffer took for a character cut off: the exact reader reports it
            return None
        delimiter = _delimiter(line)
        header = [normalise_header(h) for h in line.split(delimiter)]
        try:
            self.check_header(header)
        except ImportRejected:
            return None
        return CsvLayout(header=tuple(header), delimiter=delimiter, body_offset=end + 1)

    def _width_problem(self, found: int) -> str:
        return _("The row has %(found)s values but the header has %(expected)s columns.") % {
            "found": found,
            "expected": len(self.header),
        }

    def _csv_rows(self) -> Iterator[SourceRow]:
        with self._csv_reader() as reader:
            header = self.header
            width = len(header)
            for values in reader:
                number = reader.line_num
                if not any(v.strip() for v in values):
                    continue
                if len(values) > width and any(v.strip() for v in values[width:]):
                    yield SourceRow(number, {"__error__": self._width_problem(len(values))})
                    continue
                yield SourceRow(
                    number,
                    {
                        h: (values[i].strip() if i < len(values) else "")
                        for i, h in enumerate(header)
                        if h
                    },
                )

    def tuples(self, names: tuple[str, ...]) -> Iterator[TupleRow]:
        """The rows as ``(number, texts, problem)``, ``texts`` in the order of ``names`` (a name
        the file lacks reads as ""): what ``rows()`` gives, without a dictionary per row."""
        if self.size == 0:
            raise self._reject(
                _("The file %(file)s is empty.") % {"file": self.file_name}, code="empty"
            )
        if self.is_excel:
            for row in self._excel_rows():
                yield row.number, tuple(row.values.get(name, "") for name in names), None
            return
        blank = ("",) * len(names)
        strip = str.strip
        with self._csv_reader() as reader:
            width = len(self.header)
            pick = _picker(self.header, names)
            as_is = tuple(self.header) == names  # the template's own column order: nothing to pick
            for values in reader:
                texts = tuple(map(strip, values))
                found = len(texts)
                if found == width and as_is:
                    if any(texts):
                        yield reader.line_num, texts, None
                    continue
                if not any(texts):
                    continue
                if found > width and any(texts[width:]):
                    yield reader.line_num, blank, self._width_problem(found)
                    continue
                if found <= width:  # short rows read as empty cells; one more for the missing names
                    texts += ("",) * (width + 1 - found)
                yield reader.line_num, pick(texts), None

    # -- Excel -----------------------------------------------------------------------------
    def _excel_rows(self) -> Iterator[SourceRow]:
        from openpyxl import load_workbook

        self._check_archive()
        unreadable = _("The file %(file)s is not a readable Excel workbook (.xlsx).") % {
            "file": self.file_name
        }
        try:
            workbook = load_workbook(self.path, read_only=True, data_only=True)
        except _EXCEL_FAILURES as error:
            if _declares_entities(
                error
            ):  # openpyxl wraps defusedxml's refusal in its own ValueError
                raise self._entities_refused(0) from error
            raise self._reject(unreadable, code="excel") from error
        number = 1
        try:
            sheet = workbook.worksheets[0]
            declared = sheet.max_row or 0
            if declared > settings.MEDRECALL_XLSX_MAX_ROWS:
                raise self._too_many_rows(declared)
            rows = sheet.iter_rows(values_only=True)
            header = [normalise_header(h) for h in self._checked_cells(next(rows, ()), 1)]
            while header and not header[-1]:
                header.pop()
            self.check_header(header)
            total = max(declared, 1)
            most = settings.MEDRECALL_XLSX_MAX_ROWS
            for number, cells in enumerate(rows, start=2):
                if number > most:
                    raise self._too_many_rows(number)
                self._bytes_read = int(self.size * min(number, total) / total)
                texts = self._checked_cells(cells, number)
                values = {h: texts[i] if i < len(texts) else "" for i, h in enumerate(header) if h}
                if any(values.values()):
                    yield SourceRow(number, values)
        except _EXCEL_FAILURES as error:
            if _declares_entities(error):
                raise self._entities_refused(number) from error
            # openpyxl streams the sheet: a broken or hostile part shows only when reached (an
            # entity declaration, which defusedxml refuses; malformed XML; a bad number).
            raise self._reject(
                _(
                    "The file %(file)s cannot be read past row %(row)s: the sheet's XML is malformed (%(problem)s). "
                    "Save it again from Excel as .xlsx."
                )
                % {"file": self.file_name, "row": number, "problem": type(error).__name__},
                row=number + 1,
                code="excel",
            ) from error
        finally:
            workbook.close()

    def _checked_cells(self, cells: Iterable[Any], number: int) -> list[str]:
        """The row's cell texts; a cell longer than ``MEDRECALL_IMPORT_MAX_CELL_CHARS`` (Excel's
        own limit is 32,767) or holding a NUL character refuses the file, naming the cell."""
        limit = settings.MEDRECALL_IMPORT_MAX_CELL_CHARS
        texts = [_cell_text(value) for value in cells]
        for index, text in enumerate(texts):
            if len(text) > limit or "\x00" in text:
                column = (
                    self.header[index] if index < len(self.header) else ""
                ) or get_column_letter(index + 1)
                problem = (
                    _("it has %(count)s characters; a cell holds at most %(limit)s")
                    % {"count": len(text), "limit": limit}
                    if len(text) > limit
                    else _("it holds a NUL character, which no record can store")
                )
                raise self._reject(
                    _("The file %(file)s, row %(row)s, column %(column)s: %(problem)s.")
                    % {"file": self.file_name, "row": number, "column": column, "problem": problem},
                    column=column,
                    row=number,
                    code="cell_size",
                )
        return texts

    def _entities_refused(self, number: int) -> ImportRejected:
        """defusedxml (through openpyxl) refused a DOCTYPE or entity declaration in a part."""
        return self._reject(
            _(
                "The file %(file)s is refused: its XML declares entities (a DOCTYPE), which Excel "
                "never writes and which could expand without limit or read other files. Save it "
                "again from Excel as .xlsx."
            )
            % {"file": self.file_name},
            row=number + 1,
            code="excel_entities",
        )

    def _too_many_rows(self, rows: int) -> ImportRejected:
        limit = settings.MEDRECALL_XLSX_MAX_ROWS
        return self._reject(
            _(
                "The sheet of %(file)s has %(rows)s rows or more; an Excel import takes at most "
                "%(limit)s rows. Split it into several files, or import it as CSV."
            )
            % {"file": self.file_name, "rows": rows, "limit": limit},
            row=min(rows, limit + 1),
            code="rows",
        )

    def _check_archive(self) -> None:
        """Refuse a workbook that would expand too far, from the zip directory alone, before any
        part is decompressed: the total uncompressed size, and the compression ratio of every
        part over 1 MiB (a spreadsheet's XML compresses 10-25 times; a "zip bomb" of repeated
        rows, or one huge cell, hundreds or thousands of times). Python's zip reader never
        gives more bytes than a part's declared size, so the directory cannot understate it."""
        try:
            with zipfile.ZipFile(self.path) as archive:
                parts = archive.infolist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
            raise self._reject(
                _("The file %(file)s is not a readable Excel workbook (.xlsx).")
                % {"file": self.file_name},
                code="excel",
            ) from error
        total, limit = (
            sum(part.file_size for part in parts),
            settings.MEDRECALL_XLSX_MAX_UNCOMPRESSED_BYTES,
        )
        if total > limit:
            raise self._reject(
                _(
                    "The workbook %(file)s would expand to %(size)s MB; an Excel import takes at most "
                    "%(limit)s MB once unpacked. Split it into several files, or import it as CSV."
                )
                % {"file": self.file_name, "size": _megabytes(total), "limit": _megabytes(limit)},
                code="excel_size",
            )
        ratio = settings.MEDRECALL_XLSX_MAX_RATIO
        for part in parts:
            if part.file_size > RATIO_FROM_BYTES and part.file_size > ratio * max(
                part.compress_size, 1
            ):
                raise self._reject(
                    _(
                        "The workbook %(file)s is refused: its part %(part)s would expand %(ratio)s "
                        "times (from %(packed)s KB to %(size)s MB); spreadsheets expand at most %(limit)s "
                        "times. It looks like a decompression bomb."
                    )
                    % {
                        "file": self.file_name,
                        "part": part.filename,
                        "ratio": part.file_size // max(part.compress_size, 1),
                        "packed": part.compress_size // 1024,
                        "size": _megabytes(part.file_size),
                        "limit": ratio,
                    },
                    code="excel_ratio",
                )


def _declares_entities(error: BaseException | None) -> bool:
    """Whether defusedxml's refusal of a DOCTYPE or an entity is behind ``error``."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, DefusedXmlException):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


def check_file_size(path: Path, file_name: str, limit: int | None = None) -> None:
    """Refuse a file larger than ``limit`` (default ``MEDRECALL_IMPORT_MAX_FILE_BYTES``) before
    reading any of it."""
    limit = settings.MEDRECALL_IMPORT_MAX_FILE_BYTES if limit is None else limit
    size = path.stat().st_size
    if size > limit:
        message = _(
            "The file %(file)s is %(size)s MB; this import takes files of at most %(limit)s MB. Split it "
            "into several files."
        ) % {"file": file_name, "size": _megabytes(size), "limit": _megabytes(limit)}
        raise ImportRejected(message, [RowError(file_name, 1, "", "file_size", message)])


def _delimiter(header_line: str) -> str:
    """Comma, semicolon or tab, as the header line shows. Only the delimiter is taken from the
    sniffer: sniffing one line also guesses ``doublequote=False``, which would misread the
    ``""`` that Excel and every CSV writer put for a quote inside a quoted cell."""
    try:
        return str(csv.Sniffer().sniff(header_line, delimiters=",;\t").delimiter)
    except csv.Error:
        return ","


def _picker(
    header: list[str], names: tuple[str, ...]
) -> Callable[[tuple[str, ...]], tuple[str, ...]]:
    """A function taking a row's texts (padded with one "" past the header) to the texts of
    ``names`` in that order; a name missing from the header (or a blank header) reads the pad."""
    width = len(header)
    positions = [header.index(name) if name in header else width for name in names]
    if len(positions) == 1:
        only = positions[0]
        return lambda texts: (texts[only],)
    return itemgetter(*positions)


def _cell_text(value: Any) -> str:
    """Excel cells as the text a user typed: integers without '.0', dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return (
            value.date().isoformat()
            if value.time() == time(0) and value.tzinfo is None
            else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


class _CountingReader(io.RawIOBase):
    """Passes bytes through and tells the reader how far into the file it is (progress)."""

    def __init__(self, raw: IO[bytes], owner: TableReader) -> None:
        self.raw = raw
        self.owner = owner

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        chunk = self.raw.read(len(buffer))
        if (at := chunk.find(b"\x00")) >= 0:  # no text cell holds it; PostgreSQL refuses it in text
            raise _NulFound(self.owner._bytes_read + at)
        buffer[: len(chunk)] = chunk
        self.owner._bytes_read += len(chunk)
        return len(chunk)


class _NulFound(Exception):
    def __init__(self, offset: int) -> None:
        super().__init__(offset)
        self.offset = offset


def _line_of(path: Path, offset: int) -> int:
    """The line (1-based) holding byte ``offset`` of the file."""
    line, done = 1, 0
    with path.open("rb") as raw:
        while done < offset and (chunk := raw.read(min(READ_BUFFER, offset - done))):
            line += chunk.count(b"\n")
            done += len(chunk)
    return line


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0")
