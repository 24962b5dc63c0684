"""Reading openFDA files record by record, whatever their size: the JSON the openFDA download
gives (``{"meta": …, "results": [ … ]}``, also zipped as downloaded), a bare JSON array, JSON
lines (one record per line, as the weekly enforcement reports were published), or a CSV/Excel
extract (through ``core.tabular``).

The standard library has no streaming JSON parser, so ``JsonRecords`` walks the document's
outer structure itself and hands each record to ``json.JSONDecoder.raw_decode`` (the C decoder)
from a buffer refilled in chunks: memory holds one chunk and one record, never the file.
"""

from __future__ import annotations

import io
import json
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext as _

from medrecall.core.errors import ImportRejected, RowError
from medrecall.core.importing import check_file_size

CHUNK_CHARS = 1 << 20
# A record larger than this is refused rather than buffered (real records are a few kB).
MAX_RECORD_CHARS = 16 << 20
_SPACE = " \t\r\n"


JSON_SUFFIXES = (".json", ".jsonl", ".ndjson", ".json.zip", ".zip")
JSON_MEMBER_SUFFIXES = (".json", ".jsonl", ".ndjson")
# JSON packs 5-20 times; far more is a zip bomb (a file of one repeated character).
MAX_ZIP_RATIO = 200


def is_json(path: Path, file_name: str = "") -> bool:
    """Whether the file is read as JSON (or a zip, as openFDA downloads come) rather than a
    table: by its name's suffix, else by its first character."""
    if file_name.lower().endswith(JSON_SUFFIXES):
        return True
    with path.open("rb") as handle:
        head = handle.read(4096)
    if head.startswith(b"PK\x03\x04"):
        return zipfile.is_zipfile(path) and not _is_workbook(path)
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return text[:1] in (b"{", b"[")


def _is_workbook(path: Path) -> bool:
    with zipfile.ZipFile(path) as archive:
        return "[Content_Types].xml" in archive.namelist()


class JsonRecords:
    """The records of one openFDA JSON file, in order, each with its 1-based position."""

    def __init__(self, path: Path, *, file_name: str) -> None:
        check_file_size(path, file_name)
        self.path = path
        self.file_name = file_name
        self.size = max(path.stat().st_size, 1)
        self._buffer = ""
        self._pos = 0
        self._read = 0
        self._eof = False
        self._lines = 0  # newlines before the buffer's start
        self._decoder = json.JSONDecoder()
        self._position = 0
        self._stream: IO[str] | None = None

    @property
    def fraction_read(self) -> float:
        return min(self._read / self.size, 1.0)

    def _open(self) -> IO[str]:
        if zipfile.is_zipfile(self.path):
            return self._open_zip()
        return self.path.open(encoding="utf-8-sig")

    def _open_zip(self) -> IO[str]:
        """The one JSON file of a zip (as openFDA downloads come), read as a stream. Refused
        before any of it is unpacked: no JSON file or several, a JSON file larger unpacked than
        this import takes, or one packed so tightly that it can only be a zip bomb."""
        try:
            archive = zipfile.ZipFile(self.path)
            members = [
                i
                for i in archive.infolist()
                if not i.is_dir() and i.filename.lower().endswith(JSON_MEMBER_SUFFIXES)
            ]
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
            raise self._unreadable_zip(error) from error
        if len(members) != 1:
            raise self._reject(
                _("The zip file %(file)s must hold exactly one JSON file.")
                % {"file": self.file_name}
            )
        member, limit = members[0], settings.MEDRECALL_IMPORT_MAX_FILE_BYTES
        if member.file_size > limit or member.file_size > MAX_ZIP_RATIO * max(
            member.compress_size, 1
        ):
            raise self._reject(
                _(
                    "The zip file %(file)s is refused: %(member)s would unpack to %(size)s MB "
                    "from %(packed)s MB (this import takes at most %(limit)s MB, packed at most "
                    "%(ratio)s times)."
                )
                % {
                    "file": self.file_name,
                    "member": member.filename[:100],
                    "size": round(member.file_size / 1024**2, 1),
                    "packed": round(member.compress_size / 1024**2, 1),
                    "limit": limit // 1024**2,
                    "ratio": MAX_ZIP_RATIO,
                }
            )
        self.size = max(member.file_size, 1)
        return io.TextIOWrapper(archive.open(member), encoding="utf-8-sig")

    def _unreadable_zip(self, error: Exception) -> ImportRejected:
        return self._reject(
            _("The zip file %(file)s cannot be read (%(reason)s).")
            % {"file": self.file_name, "reason": str(error)[:200]}
        )

    def records(self) -> Iterator[tuple[int, Any]]:
        with self._open() as stream:
            self._stream = stream
            yield from self._document()

    # -- the document's outer structure ---------------------------------------------------

    def _document(self) -> Iterator[tuple[int, Any]]:
        first = self._peek()
        if first == "[":
            self._pos += 1
            yield from self._array()
        elif first == "{":
            yield from self._object_or_lines()
        else:
            raise self._reject(
                _(
                    "%(file)s is not an openFDA JSON file: it must start with { (a download or "
                    "one record per line) or [ (a list of records)."
                )
                % {"file": self.file_name}
            )
        if self._peek() != "":
            raise self._reject(self._where(_("unexpected text after the records")))

    def _object_or_lines(self) -> Iterator[tuple[int, Any]]:
        """``{"meta": …, "results": [ … ]}``; an object without ``results`` is the first of
        one or more records (JSON lines)."""
        self._pos += 1
        outer: dict[str, Any] = {}
        has_results = False
        while True:
            if self._peek() == "}":
                self._pos += 1
                break
            key = self._value()
            if not isinstance(key, str):
                raise self._reject(self._where(_("a field name was expected")))
            self._expect(":")
            if key == "results" and self._peek() == "[":
                self._pos += 1
                has_results = True
                yield from self._array()
            else:
                outer[key] = self._value()
            following = self._peek()
            if following == ",":
                self._pos += 1
            elif following != "}":
                raise self._reject(self._where(_("a comma or } was expected")))
        if has_results:
            return
        self._position = 1
        yield 1, outer
        while self._peek() == "{":
            self._position += 1
            yield self._position, self._value()

    def _array(self) -> Iterator[tuple[int, Any]]:
        if self._peek() == "]":
            self._pos += 1
            return
        while True:
            self._position += 1
            yield self._position, self._value()
            following = self._peek()
            if following == ",":
                self._pos += 1
            elif following == "]":
                self._pos += 1
                return
            else:
                raise self._reject(self._where(_("a comma or ] was expected")))

    # -- the buffer ---------------------------------------------------------------------------

    def _fill(self) -> bool:
        if self._eof or self._stream is None:
            return False
        try:
            chunk = self._stream.read(CHUNK_CHARS)
        except (zipfile.BadZipFile, zlib.error, EOFError) as error:  # a damaged zip
            raise self._unreadable_zip(error) from error
        if not chunk:
            self._eof = True
            return False
        self._read += len(chunk)
        self._lines += self._buffer.count("\n", 0, self._pos)
        self._buffer = self._buffer[self._pos :] + chunk
        self._pos = 0
        return True

    def _peek(self) -> str:
        while True:
            buffer, pos = self._buffer, self._pos
            while pos < len(buffer) and buffer[pos] in _SPACE:
                pos += 1
            self._pos = pos
            if pos < len(buffer):
                return buffer[pos]
            if not self._fill():
                return ""

    def _expect(self, char: str) -> None:
        if self._peek() != char:
            raise self._reject(self._where(_("%(char)s was expected") % {"char": char}))
        self._pos += 1

    def _value(self) -> Any:
        self._peek()
        while True:
            try:
                value, end = self._decoder.raw_decode(self._buffer, self._pos)
            except json.JSONDecodeError as error:
                if len(self._buffer) - self._pos > MAX_RECORD_CHARS or not self._fill():
                    raise self._reject(
                        self._where(_("not valid JSON (%(reason)s)") % {"reason": error.msg})
                    ) from error
                continue
            # A number ending at the buffer's end may go on in the next chunk.
            if end == len(self._buffer) and self._fill():
                continue
            self._pos = end
            return value

    def _where(self, problem: str) -> str:
        line = self._lines + self._buffer.count("\n", 0, self._pos) + 1
        return _("%(file)s, line %(line)s: %(problem)s.") % {
            "file": self.file_name,
            "line": line,
            "problem": problem,
        }

    def _reject(self, message: str) -> ImportRejected:
        return ImportRejected(
            message, [RowError(self.file_name, max(self._position, 1), "", "json", message)]
        )
