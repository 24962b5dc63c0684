"""Device models from an FDA AccessGUDID XML file (one ``<device>`` element per device).

The file is streamed with ``iterparse`` and each device element is dropped once read, so a
full GUDID release part fits in memory. Mapping, with the element names of the 2016 schema:

- primary identifier (``deviceIdType`` = Primary) → ``udi_di`` (GS1: check digit verified,
  stored as GTIN-14) and its ``deviceIdIssuingAgency`` → ``issuing_agency``;
- ``versionModelNumber`` → ``model_code``; when it is empty, shared with another device of
  the file or held by another DI in the database, ``catalogNumber`` is used instead, then
  the DI itself, so model codes stay unique and a re-import picks the same code again;
- ``brandName`` → ``name``, ``name_en`` and ``brand``; ``catalogNumber`` →
  ``catalog_number``; ``companyName`` → ``manufacturer``; ``deviceDescription`` →
  ``description``; the first ``premarketSubmission/submissionNumber`` (K, P, DEN … number)
  → ``clearance_no``;
- UDI production-identifier flag ``serialNumber`` true → serial tracking, otherwise lot.

Not written, because a GUDID record does not carry them: ``implantable`` (the 2016 schema
has no implantable flag; GMDN definitions are prose), ``risk_class_fda`` (GUDID gives FDA
product codes, not the device class) and the NMPA/EU fields. They are left out of the
update, so values entered by other imports survive a GUDID import.

Policies are those of the table imports: ``reject`` writes nothing when any device is bad,
``keep_good`` writes the good devices. A row number is the 1-based position of the device
element in the file. A file that is not well-formed XML is refused whole with the parser's
line number; a DOCTYPE is refused before parsing, so no entity can be declared or expanded.
"""

from __future__ import annotations

import codecs
import itertools
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, cast
from xml.parsers import expat

from django.db import transaction
from django.utils.translation import gettext as _

from medrecall.core.errors import ImportRejected, RowError
from medrecall.core.gtin import gtin_problem, normalise_gtin
from medrecall.core.importing import Applied, ImportOutcome, Policy, Progress, check_file_size
from medrecall.core.tabular import Columns, SourceRow
from medrecall.core.types import ActorOrSystem

from .importers import upsert_device_models
from .models import DeviceModel, IssuingAgency, TrackingLevel

PROGRESS_EVERY = 100
WRITE_BATCH = 5000  # devices per upsert: keeps each IN (...) list well inside database limits
LOOKUP_BATCH = 1000
PROLOG_CHUNK = 64 * 1024

# Field lengths of DeviceModel, checked here so a long value is a row error, not a failed write.
MAX_LENGTHS = {"brandName": 255, "catalogNumber": 100, "companyName": 255}
UDI_DI_MAX = 64
MODEL_CODE_MAX = 100
CLEARANCE_MAX = 100

Problem = tuple[str, str, str]  # (column, code, message)


@dataclass(frozen=True, slots=True)
class GudidDevice:
    """One device element as read; ``model_code`` is chosen later, across the whole file."""

    position: int
    primary_di: str
    udi_di: str
    issuing_agency: str
    version_model_number: str
    catalog_number: str
    brand_name: str
    company_name: str
    description: str
    clearance_no: str
    tracking: str

    def model_fields(self, model_code: str) -> dict[str, Any]:
        return {
            "udi_di": self.udi_di,
            "issuing_agency": self.issuing_agency,
            "model_code": model_code,
            "name": self.brand_name,
            "tracking": self.tracking,
            "name_en": self.brand_name,
            "brand": self.brand_name,
            "catalog_number": self.catalog_number,
            "manufacturer": self.company_name,
            "description": self.description,
            "clearance_no": self.clearance_no,
        }

    def source_row(self) -> SourceRow:
        """The device as the rejected-rows CSV shows it: the values as they stand in the file."""
        values = self.model_fields(self.version_model_number)
        values["udi_di"] = self.primary_di
        return SourceRow(
            self.position, {column: str(values[column]) for column in GudidImporter.columns.all}
        )


class GudidImporter:
    """Import device models from AccessGUDID XML; same contract as the table importers."""

    kind: ClassVar[str] = "gudid"
    offers_keep_good: ClassVar[bool] = True  # the good devices are written, the bad ones come back
    columns: ClassVar[Columns] = Columns(
        required=("udi_di", "issuing_agency", "model_code", "name", "tracking"),
        optional=(
            "name_en",
            "brand",
            "catalog_number",
            "manufacturer",
            "description",
            "clearance_no",
        ),
    )

    def run(
        self,
        path: Path,
        *,
        file_name: str,
        policy: Policy = Policy.REJECT,
        actor: ActorOrSystem = None,
        progress: Progress | None = None,
    ) -> ImportOutcome:
        outcome = ImportOutcome(kind=self.kind, file_name=file_name)
        if path.stat().st_size == 0:
            raise _rejected(
                file_name, 1, "empty", _("The file %(file)s is empty.") % {"file": file_name}
            )
        check_file_size(path, file_name)
        refuse_doctype(path, file_name)
        devices: list[GudidDevice] = []
        for device, problems in read_devices(path, file_name, progress):
            outcome.rows += 1
            devices.append(device)
            outcome.errors.extend(
                RowError(file_name, device.position, column, code, message)
                for column, code, message in problems
            )
        if outcome.rows == 0:
            raise _rejected(
                file_name,
                1,
                "empty",
                _("The file %(file)s contains no GUDID device records.") % {"file": file_name},
            )
        outcome.errors.extend(
            RowError(file_name, position, column, code, message)
            for position, column, code, message in duplicate_dis(devices)
        )
        model_codes, conflicts = choose_model_codes(
            devices, skip={error.row for error in outcome.errors}
        )
        outcome.errors.extend(
            RowError(file_name, position, column, code, message)
            for position, column, code, message in conflicts
        )
        bad = {error.row for error in outcome.errors}
        outcome.rejected_rows = [
            device.source_row() for device in devices if device.position in bad
        ]
        if bad and policy == Policy.REJECT:
            outcome.accepted = False
            return outcome
        if progress:
            progress(60, 100)
        rows = [
            device.model_fields(model_codes[device.position])
            for device in devices
            if device.position not in bad
        ]
        applied = Applied()
        with transaction.atomic():
            for start in range(0, len(rows), WRITE_BATCH):
                batch = upsert_device_models(
                    rows[start : start + WRITE_BATCH], actor=actor, source=self.kind
                )
                applied.created += batch.created
                applied.updated += batch.updated
                applied.unchanged += batch.unchanged
        outcome.created, outcome.updated, outcome.unchanged = (
            applied.created,
            applied.updated,
            applied.unchanged,
        )
        if progress:
            progress(100, 100)
        return outcome


def _rejected(file_name: str, row: int, code: str, message: str) -> ImportRejected:
    return ImportRejected(message, [RowError(file_name, row, "", code, message)])


class _RootStartedError(Exception):
    """The root element started: the prolog had no DOCTYPE."""


class _DoctypeDeclaredError(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


# Encodings expat reads itself; any other declared encoding is decoded here (expat refuses
# multi-byte ones such as GB18030 with a ValueError) and handed to it as text.
EXPAT_ENCODINGS = frozenset({"utf-8", "utf-16", "utf-16-le", "utf-16-be", "latin-1", "ascii"})
_DECLARATION = re.compile(rb"""^<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']""")


def xml_chunks(
    path: Path, file_name: str, counter: list[int] | None = None
) -> Iterator[bytes | str]:
    """The file for expat, chunk by chunk: as bytes when expat knows its encoding, else decoded
    with Python's codec for the encoding the XML declaration names (GB18030, Shift_JIS, …).
    An unknown encoding, or bytes that are not in the declared one, refuse the file.
    ``counter[0]`` follows the bytes read (progress)."""
    with path.open("rb") as stream:
        head = stream.read(PROLOG_CHUNK)
        declared = _DECLARATION.match(head.removeprefix(b"\xef\xbb\xbf"))
        name = (
            declared[1].decode("ascii")
            if declared and not head.startswith((b"\xff\xfe", b"\xfe\xff"))
            else "utf-8"
        )
        try:
            info = codecs.lookup(name)
            if not getattr(
                info, "_is_text_encoding", True
            ):  # rot13, base64 …: codecs, not encodings
                raise LookupError(name)
            codec = info.name
        except LookupError:
            raise _rejected(
                file_name,
                1,
                "encoding",
                _(
                    "The file %(file)s declares the encoding %(encoding)s, which is not known; save it as UTF-8."
                )
                % {"file": file_name, "encoding": name},
            ) from None
        decoder = None if codec in EXPAT_ENCODINGS else codecs.getincrementaldecoder(codec)()
        done = 0
        chunk = head
        while chunk:
            done += len(chunk)
            if counter is not None:
                counter[0] = done
            if decoder is None:
                yield chunk
            else:
                try:
                    yield decoder.decode(chunk)
                except UnicodeDecodeError as error:
                    offset = done - len(chunk) + error.start
                    line = (
                        head.count(b"\n", 0, offset) + 1
                        if offset < len(head)
                        else _line_of(path, offset)
                    )
                    raise _rejected(
                        file_name,
                        line,
                        "encoding",
                        _(
                            "The file %(file)s is not valid %(encoding)s text (line %(line)s), the encoding its XML "
                            "declaration names."
                        )
                        % {"file": file_name, "encoding": name, "line": line},
                    ) from None
            chunk = stream.read(PROLOG_CHUNK)
        if decoder is not None:
            try:
                yield decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                raise _rejected(
                    file_name,
                    1,
                    "encoding",
                    _("The file %(file)s ends in the middle of a %(encoding)s character.")
                    % {"file": file_name, "encoding": name},
                ) from None


def _line_of(path: Path, offset: int) -> int:
    with path.open("rb") as stream:
        return stream.read(offset).count(b"\n") + 1


def refuse_doctype(path: Path, file_name: str) -> None:
    """Refuse a DOCTYPE: it is the only place entities are declared (billion laughs, XXE).

    Only the prolog is parsed; syntax errors are left to the main parse, which reports them.
    """
    parser = expat.ParserCreate()

    def on_doctype(
        _name: str, _system_id: str | None, _public_id: str | None, _has_subset: bool
    ) -> None:
        raise _DoctypeDeclaredError(parser.CurrentLineNumber)

    def on_root(_name: str, _attributes: Any) -> None:
        raise _RootStartedError

    parser.StartDoctypeDeclHandler = on_doctype
    parser.StartElementHandler = on_root
    try:
        for chunk in xml_chunks(path, file_name):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except _DoctypeDeclaredError as found:
        raise _rejected(
            file_name,
            found.line,
            "doctype",
            _(
                "The file %(file)s declares a DOCTYPE (line %(line)s); GUDID files have none, and it is refused "
                "so that no entity can be expanded."
            )
            % {"file": file_name, "line": found.line},
        ) from None
    except (_RootStartedError, expat.ExpatError):
        return


def read_devices(
    path: Path, file_name: str, progress: Progress | None
) -> Iterator[tuple[GudidDevice, list[Problem]]]:
    """Each device element in file order, parsed; malformed XML rejects the whole file."""
    size = path.stat().st_size
    read = [0]
    open_elements: list[ET.Element] = []
    position = 0
    # refuse_doctype() ran first, so no entity can be declared; the pull parser takes text
    # decoded from an encoding expat does not know (xml_chunks).
    parser: ET.XMLPullParser[Any] = ET.XMLPullParser(events=("start", "end"))
    try:
        for chunk in itertools.chain(xml_chunks(path, file_name, read), [None]):
            if chunk is None:
                parser.close()
            else:
                parser.feed(chunk)
            for item in parser.read_events():
                event, element = cast(tuple[str, ET.Element], item)
                if event == "start":
                    open_elements.append(element)
                    continue
                open_elements.pop()
                if local_name(element.tag) != "device":
                    continue
                position += 1
                yield parse_device(element, position)
                element.clear()
                if open_elements:  # drop finished devices (and anything before them) from the tree
                    del open_elements[-1][:]
                if progress and position % PROGRESS_EVERY == 0:
                    progress(int(50 * min(1.0, read[0] / size)) if size else 50, 100)
    except ET.ParseError as error:
        line, column = error.position
        message = _(
            "The file %(file)s is not well-formed XML: %(problem)s at line %(line)s, column %(column)s."
        ) % {
            "file": file_name,
            "problem": expat.ErrorString(error.code),
            "line": line,
            "column": column,
        }
        raise _rejected(file_name, line, "xml", message) from None


def local_name(tag: str) -> str:
    """``{http://www.fda.gov/cdrh/gudid}brandName`` → ``brandName``.

    GUDID files mix namespaces (``premarketSubmissions`` carries ``xmlns=""``), so elements
    are matched by local name only.
    """
    return tag.rpartition("}")[2]


def _children(element: ET.Element) -> dict[str, ET.Element]:
    found: dict[str, ET.Element] = {}
    for child in element:
        found.setdefault(local_name(child.tag), child)
    return found


def _text(element: ET.Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _descendants(element: ET.Element | None, name: str) -> Iterable[ET.Element]:
    if element is None:
        return ()
    return (node for node in element.iter() if local_name(node.tag) == name)


def _primary_identifier(fields: dict[str, ET.Element]) -> tuple[str, str]:
    """(device id, issuing agency as written) of the device's primary identifier, or blanks."""
    for identifier in _descendants(fields.get("identifiers"), "identifier"):
        parts = _children(identifier)
        if _text(parts.get("deviceIdType")).lower() == "primary":
            return _text(parts.get("deviceId")), _text(parts.get("deviceIdIssuingAgency"))
    return "", ""


def _checked_di(
    primary_di: str, agency_text: str, position: int, problems: list[Problem]
) -> tuple[str, str]:
    """(UDI-DI as stored, issuing agency) of a primary DI: a GS1 DI as its 14-digit GTIN; what
    is wrong with it goes to ``problems``."""
    agencies = {value.lower(): value for value in IssuingAgency.values}
    agency = agencies.get(agency_text.lower(), "")
    if not primary_di:
        problems.append(
            (
                "primaryDI",
                "required",
                _("Device %(position)s has no primary DI.") % {"position": position},
            )
        )
    elif not agency:
        problems.append(
            (
                "deviceIdIssuingAgency",
                "choice",
                _("Issuing agency %(agency)s of DI %(di)s is not one of: %(allowed)s.")
                % {
                    "agency": agency_text or "—",
                    "di": primary_di,
                    "allowed": ", ".join(IssuingAgency.values),
                },
            )
        )
    elif agency == IssuingAgency.GS1:
        if problem := gtin_problem(primary_di):
            problems.append(("primaryDI", "gtin", problem))
        else:
            return normalise_gtin(primary_di), agency
    elif len(primary_di) > UDI_DI_MAX:
        problems.append(
            (
                "primaryDI",
                "length",
                _("The DI %(di)s is longer than %(limit)s characters.")
                % {"di": primary_di, "limit": UDI_DI_MAX},
            )
        )
    return primary_di, agency


def _text_problems(fields: dict[str, ET.Element], position: int) -> list[Problem]:
    """A brand name is required; no text longer than its column."""
    problems: list[Problem] = []
    if not _text(fields.get("brandName")):
        problems.append(
            (
                "brandName",
                "required",
                _("Device %(position)s has no brand name.") % {"position": position},
            )
        )
    for name, limit in MAX_LENGTHS.items():
        if len(_text(fields.get(name))) > limit:
            problems.append(
                (
                    name,
                    "length",
                    _("%(column)s is longer than %(limit)s characters.")
                    % {"column": name, "limit": limit},
                )
            )
    return problems


def parse_device(element: ET.Element, position: int) -> tuple[GudidDevice, list[Problem]]:
    """One device element → a device and its problems; no database access."""
    problems: list[Problem] = []
    fields = _children(element)
    primary_di, agency_text = _primary_identifier(fields)
    udi_di, agency = _checked_di(primary_di, agency_text, position, problems)
    problems += _text_problems(fields, position)
    submissions = (
        _text(node) for node in _descendants(fields.get("premarketSubmissions"), "submissionNumber")
    )
    clearance_no = next((number for number in submissions if number), "")[:CLEARANCE_MAX]
    serialised = _text(fields.get("serialNumber")).lower() == "true"
    device = GudidDevice(
        position=position,
        primary_di=primary_di,
        udi_di=udi_di,
        issuing_agency=agency,
        version_model_number=_text(fields.get("versionModelNumber")),
        catalog_number=_text(fields.get("catalogNumber")),
        brand_name=_text(fields.get("brandName")),
        company_name=_text(fields.get("companyName")),
        description=_text(fields.get("deviceDescription")),
        clearance_no=clearance_no,
        tracking=(TrackingLevel.SERIAL if serialised else TrackingLevel.LOT).value,
    )
    return device, problems


def duplicate_dis(devices: list[GudidDevice]) -> list[tuple[int, str, str, str]]:
    """Every device whose DI another device of the file also has: one DI is one device model."""
    by_di = Counter(device.udi_di for device in devices if device.udi_di)
    return [
        (
            device.position,
            "primaryDI",
            "duplicate",
            _("DI %(di)s appears more than once in the file.") % {"di": device.primary_di},
        )
        for device in devices
        if device.udi_di and by_di[device.udi_di] > 1
    ]


def choose_model_codes(
    devices: list[GudidDevice], *, skip: set[int]
) -> tuple[dict[int, str], list[tuple[int, str, str, str]]]:
    """A unique model code per good device (by position), and the devices that cannot get one.

    Sharing is counted over every device, bad ones too (``skip``), so fixing a bad device and
    importing again does not move the codes of the others. A code held in the database by
    another DI is never taken, even if this file moves that DI to a new code: the write
    cannot collide, and a re-import chooses the same codes.
    """
    by_version = Counter(device.version_model_number for device in devices)
    by_catalog = Counter(device.catalog_number for device in devices)
    candidates = {
        device.position: [
            code
            for code, unique in (
                (device.version_model_number, by_version[device.version_model_number] == 1),
                (device.catalog_number, by_catalog[device.catalog_number] == 1),
                (device.udi_di, True),
            )
            if code and unique and len(code) <= MODEL_CODE_MAX
        ]
        for device in devices
        if device.position not in skip
    }
    owners = _model_code_owners({code for codes in candidates.values() for code in codes})
    chosen: dict[int, str] = {}
    problems: list[tuple[int, str, str, str]] = []
    taken: set[str] = set()
    for device in devices:
        if device.position in skip:
            continue
        code = next(
            (
                code
                for code in candidates[device.position]
                if code not in taken and owners.get(code, device.udi_di) == device.udi_di
            ),
            None,
        )
        if code is None:
            problems.append(
                (
                    device.position,
                    "versionModelNumber",
                    "conflict",
                    _(
                        "DI %(di)s gets no unique model code: its version/model number %(model)s, catalogue number "
                        "%(catalog)s and the DI itself are empty, shared in the file or held by other device models."
                    )
                    % {
                        "di": device.primary_di,
                        "model": device.version_model_number or "—",
                        "catalog": device.catalog_number or "—",
                    },
                )
            )
            continue
        chosen[device.position] = code
        taken.add(code)
    return chosen, problems


def _model_code_owners(codes: set[str]) -> dict[str, str]:
    """Model code → the UDI-DI that holds it in the database, looked up in batches."""
    ordered = sorted(codes)
    owners: dict[str, str] = {}
    for start in range(0, len(ordered), LOOKUP_BATCH):
        owners.update(
            DeviceModel.objects.filter(
                model_code__in=ordered[start : start + LOOKUP_BATCH]
            ).values_list("model_code", "udi_di")
        )
    return owners
