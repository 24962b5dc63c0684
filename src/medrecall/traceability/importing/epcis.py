"""GS1 EPCIS 2.0 documents (JSON or JSON-LD) as trace events, all or nothing.

Each EPCIS event becomes zero or more rows of the events template, which then take the same
road as a CSV import (``events.import_event_rows``): the same checks, idempotency, retraction
and position recompute, so an EPCIS feed and a spreadsheet can never disagree on a trace.

Documents
    ``EPCISDocument`` (``epcisBody.eventList``) and ``EPCISQueryDocument``
    (``epcisBody.queryResults.resultsBody.eventList``). ``@context`` is accepted and ignored;
    CBV values may be bare (``shipping``), prefixed (``cbv:BizStep-shipping``), URNs
    (``urn:epcglobal:cbv:bizstep:shipping``) or Web URIs (``https://ref.gs1.org/cbv/BizStep-shipping``).
    ``isA`` (the 2.0 drafts) is read as ``type``; a document without either is read by its body.
    A file is read whole with ``json.load``, so the parsed document (several times the file's
    size) is held in memory: a file is taken up to ``MEDRECALL_IMPORT_MAX_DOCUMENT_BYTES`` (256 MB by
    default); larger feeds are sent as several documents. Arrays and objects nested more than
    ``MAX_DEPTH`` levels, numbers of more than ``MAX_NUMBER_CHARS`` characters, NUL characters and
    lone surrogates are refused with the event and field named (``check_structure``).

Events (``bizStep`` compared as its bare CBV term)

    ====================  ==========================================  ===========  ======================================
    EPCIS event           when                                        row type     from -> to
    ====================  ==========================================  ===========  ======================================
    ObjectEvent           commissioning (action ADD)                  produced     -> bizLocation, else readPoint
    ObjectEvent           shipping                                    shipped      sourceList location, else bizLocation,
                                                                                   else readPoint -> destinationList location
    ObjectEvent           receiving                                   received     sourceList location -> bizLocation, else
                                                                                   destinationList location, else readPoint
    ObjectEvent           returning, or receiving with disposition    returned     as receiving
                          returned
    ObjectEvent           installing                                  installed    -> bizLocation, else readPoint
    ObjectEvent           retail_selling, dispensing, consuming, or   consumed     bizLocation, else readPoint ->
                          disposition dispensed / retail_sold
    ObjectEvent           destroying, decommissioning, action DELETE  destroyed    bizLocation, else readPoint ->
                          or disposition destroyed
    ObjectEvent           a CBV step that moves nothing (IDLE_STEPS)  none         counted as skipped
    ObjectEvent           any other or no bizStep                     error        RowError in column bizStep
    TransformationEvent   outputEPCList / outputQuantityList          produced     -> bizLocation, else readPoint
    TransformationEvent   inputEPCList / inputQuantityList            transformed  bizLocation, else readPoint ->;
                                                                                   into the FIRST output's GTIN and lot
    AggregationEvent      bizStep in CARRIER_STEPS: childEPCs and     as above     as the ObjectEvent with that step
                          childQuantityList move (parentID does not)
    TransactionEvent      bizStep in CARRIER_STEPS: epcList and       as above     as the ObjectEvent with that step
                          quantityList move (parentID does not)
    AggregationEvent,     any other bizStep: (dis)aggregating or      none         counted as skipped
    TransactionEvent      linking a business transaction
    AssociationEvent      always: it associates assets, moves none    none         counted as skipped
    ====================  ==========================================  ===========  ======================================

    A TransformationEvent with several output lots links every input to the first output lot
    only (``into_lot`` names one lot); pairing every input with every output would count the
    components several times.

    Skipped events come back in ``ImportOutcome.unchanged`` (added to the unchanged rows):
    nothing of them is recorded, and the outcome has no other counter for them.

Identifiers

    ===========================================================  ===========================================
    EPCIS                                                        our row
    ===========================================================  ===========================================
    ``urn:epc:id:sgtin:CompanyPrefix.IndicatorItemRef.Serial``   gtin, serial, quantity 1 (a serial row)
    ``https://id.gs1.org/01/{gtin}[/10/{lot}]/21/{serial}``      gtin, serial (and lot), quantity 1
    ``urn:epc:class:lgtin:CompanyPrefix.IndicatorItemRef.Lot``   gtin, lot, quantity from quantityList
    ``https://id.gs1.org/01/{gtin}/10/{lot}``                    gtin, lot, quantity from quantityList
    ``urn:epc:idpat:sgtin:CompanyPrefix.IndicatorItemRef.*``,    gtin; the lot from ilmd (produced rows only)
    ``https://id.gs1.org/01/{gtin}``
    ``urn:epc:id:sgln:CompanyPrefix.LocationRef.Extension``,     location code: the GLN-13 with its check
    ``https://id.gs1.org/414/{gln}[/254/{extension}]``           digit, plus ``.{extension}`` unless it is "0"
    any other location identifier                                taken as our location code as it stands
    ===========================================================  ===========================================

    An EPC URN becomes a GTIN-14 as indicator digit + company prefix + item reference + computed
    check digit. The lot of a serial comes from the Digital Link (``/10/``), else from ``ilmd``
    on a produced row, else from the serial already known (earlier in this document or in the
    catalogue). Quantities count units: ``uom`` may be absent, EA, H87 or C62.
    ``ilmd``: ``cbvmda:lotNumber`` (or ``lotNumber``), ``cbvmda:itemExpirationDate`` and
    ``cbvmda:productionDate`` give lot, expiry and manufactured on produced rows. ``eventTime``
    becomes ISO 8601 in the ``eventTimeZoneOffset`` (an ``eventTime`` without offset is read in
    it); the first ``bizTransactionList`` entry's value is the business document (100 characters).
    Of several location fields the first given in the order above is used; a malformed one is
    an error, never passed over for the next.
    Only trade items are traced: an SSCC, GRAI or GIAI where goods move is a RowError, since
    this import does not unpack containers.

Event ids
    ``eventID`` is the natural key. An event that gives one row has row id ``{eventID}``; k rows
    get ``{eventID}#1`` to ``#k`` in document order (EPC list before quantity list; for a
    TransformationEvent inputs before outputs), so importing a document again changes nothing.
    An event without ``eventID`` gets ``epcis-sha256:`` + the SHA-256 of its canonical JSON
    (sorted keys, no whitespace, UTF-8) without ``errorDeclaration``, ``recordTime`` and
    ``@context``, so the same event read back from a query, or declared erroneous later, keeps
    its id. (This is not the GS1 CBV event hash, which needs GS1's canonicalisation.)

Error declarations
    An event carrying ``errorDeclaration`` is retracted: kept, but counted nowhere. Every row
    derived from its eventID is passed in ``retract_event_ids``: rows recorded before (id equal
    to the eventID or starting with ``eventID#``) and rows of this document. A declared event
    already recorded, or given without declaration in this document, is not staged again, and
    its recorded rows are retracted before the document's rows are checked, so that the
    corrective event usually sent with the declaration is checked against the corrected
    history. A declared event first seen in this document is staged, checked like any other
    row (it takes part in the balance check) and retracted in the same transaction.

Locations and master data
    A location is found by code. When it is unknown and the header's master data
    (``epcisHeader.epcisMasterData.vocabularyList``, vocabulary type
    ``urn:epcglobal:epcis:vtype:BusinessLocation``, or ``...:vtype:Location``) describes it, a
    Party and a Location with that code are created inside the import's transaction: name from
    ``urn:epcglobal:cbv:mda#name`` (else the code), country, state, city, street and postal code
    from the mda address attributes, party type ``distributor`` unless a ``partyType`` attribute
    (any prefix) names another of ours, location type ``distributor_stock``. Only locations the
    events use are created. A location neither known nor described is a RowError.

Errors
    Not JSON, not an EPCIS document, or an empty eventList: ``ImportRejected``. Otherwise every
    problem is a RowError whose row is the event's 1-based position in eventList and whose
    column is the JSON field (``bizStep``, ``epcList``, ``quantityList``, ``bizLocation``, ...;
    ``epcList/quantityList`` when a row check cannot tell which list of the event it came from);
    a document with any error writes nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from medrecall.audit import services as audit
from medrecall.catalog.models import Serial
from medrecall.core.errors import ImportRejected, RowError
from medrecall.core.gtin import gtin_check_digit, gtin_problem, normalise_gtin
from medrecall.core.importing import (
    MAX_NUMBER_CHARS,
    ImportOutcome,
    Policy,
    Progress,
    check_file_size,
    shown,
)
from medrecall.core.tabular import Columns, SourceRow
from medrecall.core.types import ActorOrSystem
from medrecall.parties.models import Location, LocationType, Party, PartyType
from medrecall.traceability.engine import recompute_positions
from medrecall.traceability.models import EventType, TraceEvent

from .events import import_event_rows
from .rows import References, parse_event

EPCIS_COLUMNS = Columns(
    required=("eventID", "type", "eventTime"),
    optional=(
        "eventTimeZoneOffset",
        "action",
        "bizStep",
        "disposition",
        "epcList",
        "quantityList",
        "parentID",
        "childEPCs",
        "childQuantityList",
        "inputEPCList",
        "inputQuantityList",
        "outputEPCList",
        "outputQuantityList",
        "readPoint",
        "bizLocation",
        "sourceList",
        "destinationList",
        "bizTransactionList",
        "ilmd",
        "errorDeclaration",
    ),
)

DOCUMENT_TYPES = frozenset({"EPCISDocument", "EPCISQueryDocument"})
EVENT_TYPES = (
    "ObjectEvent",
    "AggregationEvent",
    "TransactionEvent",
    "TransformationEvent",
    "AssociationEvent",
)
OBJECT_STEPS = {
    "commissioning": EventType.PRODUCED,
    "shipping": EventType.SHIPPED,
    "receiving": EventType.RECEIVED,
    "returning": EventType.RETURNED,
    "installing": EventType.INSTALLED,
    "retail_selling": EventType.CONSUMED,
    "dispensing": EventType.CONSUMED,
    "consuming": EventType.CONSUMED,
    "destroying": EventType.DESTROYED,
    "decommissioning": EventType.DESTROYED,
}
# Steps by which an AggregationEvent or TransactionEvent moves its goods; with any other it only
# (dis)aggregates or links a business transaction.
CARRIER_STEPS = {
    step: OBJECT_STEPS[step]
    for step in (
        "shipping",
        "receiving",
        "returning",
        "retail_selling",
        "dispensing",
        "consuming",
        "destroying",
    )
}
# CBV steps that change neither custody nor stock: such ObjectEvents are skipped, not refused.
IDLE_STEPS = frozenset(
    {
        "inspecting",
        "storing",
        "stocking",
        "packing",
        "unpacking",
        "encoding",
        "sensor_reporting",
        "cycle_counting",
        "stock_taking",
        "holding",
        "reserving",
        "picking",
        "staging_outbound",
        "loading",
        "unloading",
        "entering_exiting",
        "repairing",
        "creating_class_instance",
    }
)
CONSUMED_DISPOSITIONS = frozenset({"dispensed", "retail_sold"})
UNIT_UOMS = frozenset({"EA", "H87", "C62"})
LOCATION_VOCABULARIES = frozenset({"businesslocation", "location"})
HASH_EXCLUDED = frozenset({"errorDeclaration", "recordTime", "@context"})
DERIVED_ID_PREFIX = "epcis-sha256:"
LOOKUP_CHUNK = 500
MAX_QUANTITY = 2_147_483_647  # the largest quantity a trace event column holds
LOCATION_CODE_MAX = 64  # parties.Location.code
MAX_DEPTH = 64  # arrays and objects within each other; EPCIS documents use fewer than ten levels
_JSON_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}\n]', re.DOTALL)
_BAD_TEXT = re.compile("[\x00\ud800-\udfff]")

# Where a row type takes its locations from, in order of preference: (from, to).
ENDPOINTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    EventType.PRODUCED: ((), ("bizLocation", "readPoint")),
    EventType.SHIPPED: (("sourceList", "bizLocation", "readPoint"), ("destinationList",)),
    EventType.RECEIVED: (("sourceList",), ("bizLocation", "destinationList", "readPoint")),
    EventType.RETURNED: (("sourceList",), ("bizLocation", "destinationList", "readPoint")),
    EventType.INSTALLED: ((), ("bizLocation", "readPoint")),
    EventType.CONSUMED: (("bizLocation", "readPoint"), ()),
    EventType.DESTROYED: (("bizLocation", "readPoint"), ()),
    EventType.TRANSFORMED: (("bizLocation", "readPoint"), ()),
}

_SEPARATORS = re.compile(r"[:/#]")
_CBV_PREFIX = re.compile(r"^(?:bizstep|disp|sdt|btt|er)-", re.IGNORECASE)
_SGTIN = re.compile(r"urn:epc:id:sgtin:([0-9]+)\.([0-9]+)\.(.+)")
_LGTIN = re.compile(r"urn:epc:class:lgtin:([0-9]+)\.([0-9]+)\.(.+)")
_GTIN_PATTERN = re.compile(r"urn:epc:idpat:sgtin:([0-9]+)\.([0-9]+)\.\*")
_SGLN = re.compile(r"urn:epc:id:sgln:([0-9]+)\.([0-9]*)\.(.+)")
_OFFSET = re.compile(r"([+-])([0-9]{2}):([0-9]{2})")
_DIGITAL_LINK_ALIASES = {"gtin": "01", "lot": "10", "ser": "21", "gln": "414", "glnx": "254"}
_DIGITAL_LINK_KEYS = frozenset({"01", "414"})


# -- identifiers and vocabulary: pure ---------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """What one EPC or EPC class names: a GTIN-14, and the lot and serial it carries ("" if none)."""

    gtin: str
    lot: str = ""
    serial: str = ""


def local_name(name: Any) -> str:
    """``lotNumber`` of ``cbvmda:lotNumber`` and ``urn:epcglobal:cbv:mda#lotNumber`` alike."""
    return _SEPARATORS.split(str(name).strip())[-1] if name is not None else ""


def cbv_value(value: Any) -> str:
    """The bare CBV term, whichever of the four spellings the sender used: ``shipping``."""
    if not isinstance(value, str):
        return ""
    return _CBV_PREFIX.sub("", local_name(value)).lower()


def gtin_from_epc(company_prefix: str, indicator_item_ref: str) -> str | None:
    """GTIN-14 of an EPC URN: indicator digit, company prefix, item reference, check digit."""
    if len(company_prefix) + len(indicator_item_ref) != 13 or not 6 <= len(company_prefix) <= 12:
        return None
    body = indicator_item_ref[0] + company_prefix + indicator_item_ref[1:]
    return body + str(gtin_check_digit(body))


def digital_link(uri: str) -> dict[str, str] | None:
    """Application identifier -> value of a GS1 Digital Link (``https://id.gs1.org/01/.../21/...``)."""
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https"):
        return None
    segments = [s for s in parts.path.split("/") if s]
    for start, segment in enumerate(segments):
        if _DIGITAL_LINK_ALIASES.get(segment, segment) in _DIGITAL_LINK_KEYS:
            tail = segments[start:]
            if len(tail) % 2:
                return None
            return {
                _DIGITAL_LINK_ALIASES.get(tail[i], tail[i]): unquote(tail[i + 1])
                for i in range(0, len(tail), 2)
            }
    return None


def _link_gtin(link: dict[str, str]) -> str | None:
    value = link.get("01", "")
    return normalise_gtin(value) if value and gtin_problem(value) is None else None


def item_of_epc(uri: str) -> Item | None:
    """An instance identifier (epcList, childEPCs, input/outputEPCList): SGTIN URN or Digital Link."""
    if match := _SGTIN.fullmatch(uri):
        gtin = gtin_from_epc(match[1], match[2])
        return Item(gtin, "", unquote(match[3])) if gtin else None
    link = digital_link(uri)
    if link and link.get("21") and (gtin := _link_gtin(link)):
        return Item(gtin, link.get("10", ""), link["21"])
    return None


def item_of_class(uri: str) -> Item | None:
    """A class identifier (epcClass of a quantity list): LGTIN, GTIN pattern or Digital Link."""
    if match := _LGTIN.fullmatch(uri):
        gtin = gtin_from_epc(match[1], match[2])
        return Item(gtin, unquote(match[3])) if gtin else None
    if match := _GTIN_PATTERN.fullmatch(uri):
        gtin = gtin_from_epc(match[1], match[2])
        return Item(gtin) if gtin else None
    link = digital_link(uri)
    if link and "21" not in link and (gtin := _link_gtin(link)):
        return Item(gtin, link.get("10", ""))
    return None


def _with_extension(gln: str, extension: str) -> str:
    return gln if extension in ("", "0") else f"{gln}.{extension}"


def location_code(uri: str) -> str | None:
    """Our location code for an EPCIS location id, or None when it is a malformed GS1 key."""
    text = uri.strip()
    if text.startswith("urn:epc:id:sgln:"):
        match = _SGLN.fullmatch(text)
        if not match or len(match[1]) + len(match[2]) != 12:
            return None
        body = match[1] + match[2]
        return _with_extension(body + str(gtin_check_digit(body)), unquote(match[3]))
    link = digital_link(text)
    if link is not None and "414" in link:
        gln = link["414"]
        if len(gln) != 13 or gtin_problem(gln) is not None:
            return None
        return _with_extension(gln, link.get("254", "0"))
    return text or None


def object_event_kind(step: str, action: str, disposition: str) -> str | None:
    """Row type of an ObjectEvent: a movement, "" for a step that moves nothing, None if unknown."""
    kind = OBJECT_STEPS.get(step)
    if kind == EventType.RECEIVED and disposition == "returned":
        return EventType.RETURNED
    if kind:
        return kind
    if disposition in CONSUMED_DISPOSITIONS:
        return EventType.CONSUMED
    if action == "DELETE" or disposition == "destroyed":
        return EventType.DESTROYED
    if step in IDLE_STEPS:
        return ""
    return None


def event_key(event: dict[str, Any]) -> str:
    """The event's natural key: its eventID, else a digest of its content (module docstring)."""
    given = event.get("eventID")
    if isinstance(given, str) and given.strip():
        return given.strip()
    content = {k: v for k, v in event.items() if k not in HASH_EXCLUDED}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return DERIVED_ID_PREFIX + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _text(value: Any, limit: int) -> str:
    """Plain text of a JSON value; a language-tagged ``{"@value": ...}`` or a list gives its first text."""
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, str | int | float):
        return str(value).strip()[:limit]
    if isinstance(value, dict):
        return _text(value.get("@value", value.get("value")), limit)
    if isinstance(value, list):
        return next((text for v in value if (text := _text(v, limit))), "")
    return ""


def _whole(value: Any) -> int | None:
    """A JSON number that is a whole number (``10`` or ``10.0``), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    return int(value) if isinstance(value, float) and value.is_integer() else None


def _zone(value: Any) -> timezone | None:
    match = _OFFSET.fullmatch(value.strip()) if isinstance(value, str) else None
    if not match:
        return None
    sign = -1 if match[1] == "-" else 1
    return timezone(sign * timedelta(hours=int(match[2]), minutes=int(match[3])))


def event_time(event: dict[str, Any]) -> str:
    """``eventTime`` shown in the event's ``eventTimeZoneOffset``; unreadable text is passed on
    unchanged so that the row check reports it."""
    text = event.get("eventTime")
    if not isinstance(text, str):
        return ""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return text
    zone = _zone(event.get("eventTimeZoneOffset"))
    if moment.tzinfo is None:
        return moment.replace(tzinfo=zone).isoformat() if zone else text
    try:
        return (moment.astimezone(zone) if zone else moment).isoformat()
    except (
        OverflowError
    ):  # shifted before year 1 or past 9999: the row check refuses the text as given
        return text


def _document_ref(event: dict[str, Any]) -> str:
    entries = event.get("bizTransactionList")
    if isinstance(entries, list) and entries and isinstance(entries[0], dict):
        return _text(entries[0].get("bizTransaction"), 100)
    return ""


def _location_id(value: Any) -> Any:
    return value.get("id") if isinstance(value, dict) else value


def _listed_location(event: dict[str, Any], list_field: str, key: str) -> Any:
    entries = event.get(list_field)
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and cbv_value(entry.get("type")) == "location":
            return entry.get(key)
    return None


def _ilmd(event: dict[str, Any]) -> dict[str, str]:
    raw = event.get("ilmd")
    return {local_name(k): _text(v, 100) for k, v in raw.items()} if isinstance(raw, dict) else {}


# -- reading the document ---------------------------------------------------------------------


def _reject(file_name: str, message: str, code: str, row: int = 1) -> ImportRejected:
    return ImportRejected(message, [RowError(file_name, row, "", code, message)])


class _LongNumber(str):
    """A JSON number of more than ``MAX_NUMBER_CHARS`` characters, kept as its text: converting
    it would raise (Python refuses ints of more than 4300 digits) or take quadratic time. No
    field takes it, so the mapper reports it where it stands (a quantity: "must be a whole
    number from 1 to …")."""

    __slots__ = ()


def _json_int(text: str) -> int | str:
    return int(text) if len(text) <= MAX_NUMBER_CHARS else _LongNumber(text)


def _json_float(text: str) -> float | str:
    return float(text) if len(text) <= MAX_NUMBER_CHARS else _LongNumber(text)


def _deep_line(path: Path) -> int:
    """The line on which the file first nests deeper than ``MAX_DEPTH`` (or 1): read again only
    when the parser gave up on the nesting, to say where."""
    depth, line = 0, 1
    for token in _JSON_TOKENS.finditer(path.read_bytes()):
        mark = token[0]
        if mark == b"\n":
            line += 1
        elif mark in (b"[", b"{"):
            depth += 1
            if depth > MAX_DEPTH:
                return line
        elif mark in (b"]", b"}"):
            depth -= 1
        else:
            line += mark.count(b"\n")
    return line


def read_document(path: Path, file_name: str) -> Any:
    """Parse the file as JSON (UTF-8/16/32, BOM allowed), or reject it saying where it breaks."""
    check_file_size(path, file_name, settings.MEDRECALL_IMPORT_MAX_DOCUMENT_BYTES)
    try:
        with path.open("rb") as handle:
            document = json.load(handle, parse_int=_json_int, parse_float=_json_float)
    except RecursionError:
        line = _deep_line(path)
        message = _(
            "%(file)s nests arrays or objects more than %(limit)s levels deep (line %(line)s); an EPCIS "
            "document is a few levels deep."
        ) % {"file": file_name, "limit": MAX_DEPTH, "line": line}
        raise _reject(file_name, message, "depth", line) from None
    except json.JSONDecodeError as error:
        message = _("%(file)s is not JSON: %(problem)s at line %(line)s, column %(column)s.") % {
            "file": file_name,
            "problem": error.msg,
            "line": error.lineno,
            "column": error.colno,
        }
        raise _reject(file_name, message, "json", error.lineno) from None
    except UnicodeDecodeError:
        message = _(
            "%(file)s is not a text file in UTF-8, so it is not an EPCIS JSON document."
        ) % {"file": file_name}
        raise _reject(file_name, message, "encoding") from None
    return document


def check_structure(document: Any, file_name: str) -> None:
    """Refuse, saying which event and field, a document nested more than ``MAX_DEPTH`` levels
    (every reader after this one recurses) or holding text that no database column takes (a NUL
    character, a lone UTF-16 surrogate from a ``\\ud800`` escape). Walks the document once,
    without recursion."""
    # (value, depth, event number or 0, the event's field, whether value is an event)
    stack: list[tuple[Any, int, int, str, bool]] = [(document, 0, 0, "", False)]
    while stack:
        value, depth, row, column, is_event = stack.pop()
        if isinstance(value, str):
            if _BAD_TEXT.search(value):
                message = _(
                    "%(file)s, event %(row)s, field %(field)s: the text contains a NUL character or a lone "
                    "surrogate (\\u0000, \\ud800…\\udfff escapes), which no record can hold; send plain "
                    "text."
                ) % {"file": file_name, "row": row or "—", "field": column or "—"}
                raise ImportRejected(
                    message, [RowError(file_name, row or 1, column, "text", message)]
                )
            continue
        if not isinstance(value, dict | list):
            continue
        if depth >= MAX_DEPTH:
            message = _(
                "%(file)s, event %(row)s, field %(field)s: arrays or objects are nested more than %(limit)s "
                "levels deep; an EPCIS document is a few levels deep."
            ) % {"file": file_name, "row": row or "—", "field": column or "—", "limit": MAX_DEPTH}
            raise ImportRejected(message, [RowError(file_name, row or 1, column, "depth", message)])
        if isinstance(value, list):
            stack.extend((item, depth + 1, row, column, False) for item in value)
            continue
        for key, item in value.items():
            stack.append((key, depth, row, column, False))
            if key == "eventList" and isinstance(item, list) and not row:
                stack.extend(
                    (event, depth + 2, number, "", True)
                    for number, event in enumerate(item, start=1)
                )
            else:
                stack.append((item, depth + 1, row, str(key) if is_event else column, False))


def event_list(document: Any, file_name: str) -> list[Any]:
    """The events of an EPCISDocument or EPCISQueryDocument; anything else is rejected whole."""
    events: Any = None
    declared_type = ""
    if isinstance(document, dict):
        declared_type = local_name(document.get("type") or document.get("isA") or "")
        body = document.get("epcisBody")
        if isinstance(body, dict):
            events = body.get("eventList")
            results = body.get("queryResults")
            if (
                events is None
                and isinstance(results, dict)
                and isinstance(results.get("resultsBody"), dict)
            ):
                events = results["resultsBody"].get("eventList")
    if not isinstance(events, list) or (declared_type and declared_type not in DOCUMENT_TYPES):
        message = _(
            "%(file)s is not a GS1 EPCIS 2.0 document: expected an EPCISDocument with epcisBody.eventList "
            "or an EPCISQueryDocument with epcisBody.queryResults.resultsBody.eventList."
        ) % {"file": file_name}
        raise _reject(file_name, message, "not_epcis")
    if not events:
        message = _("%(file)s contains no events: its eventList is empty.") % {"file": file_name}
        raise _reject(file_name, message, "empty")
    return events


def described_locations(document: Any) -> dict[str, dict[str, Any]]:
    """Location code -> master-data attributes (by local name) from the document header."""
    header = document.get("epcisHeader") if isinstance(document, dict) else None
    master = header.get("epcisMasterData") if isinstance(header, dict) else None
    vocabularies = master.get("vocabularyList") if isinstance(master, dict) else None
    described: dict[str, dict[str, Any]] = {}
    for vocabulary in vocabularies if isinstance(vocabularies, list) else []:
        if (
            not isinstance(vocabulary, dict)
            or local_name(vocabulary.get("type", "")).lower() not in LOCATION_VOCABULARIES
        ):
            continue
        elements = vocabulary.get("vocabularyElementList")
        for element in elements if isinstance(elements, list) else []:
            ident = element.get("id") if isinstance(element, dict) else None
            code = location_code(ident) if isinstance(ident, str) else None
            if code is None:
                continue
            attributes: dict[str, Any] = {}
            listed = element.get("attributes")
            for attribute in listed if isinstance(listed, list) else []:
                if isinstance(attribute, dict):
                    attributes.setdefault(
                        local_name(attribute.get("id")), attribute.get("attribute")
                    )
            for key, value in element.items():
                if key not in ("id", "attributes", "children", "isA", "type"):
                    attributes.setdefault(local_name(key), value)
            for value in list(
                attributes.values()
            ):  # a structured address: its parts count as attributes
                if isinstance(value, dict):
                    for key, part in value.items():
                        attributes.setdefault(local_name(key), part)
            described[code] = attributes
    return described


# -- mapping events to rows -------------------------------------------------------------------


@dataclass(frozen=True)
class _Place:
    code: str
    column: str
    uri: str


@dataclass
class _Goods:
    item: Item
    quantity: int
    column: str


@dataclass
class _Row:
    """One trace-event row before serial lots, location ids and row ids are settled."""

    number: int
    base_id: str
    kind: str
    time: str
    goods: _Goods
    lot: str
    lot_column: str
    origin: _Place | None
    target: _Place | None
    origin_column: str
    target_column: str
    document_ref: str
    manufactured: str = ""
    expiry: str = ""
    into: _Row | None = None
    event_id: str = ""


@dataclass
class _Mapper:
    """Turns the events of one document into rows, collecting every problem on the way."""

    file_name: str
    recorded: dict[str, list[str]]
    rows: list[_Row] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    skipped: int = 0
    declared: set[str] = field(default_factory=set)

    def error(self, number: int, column: str, code: str, message: str) -> None:
        self.errors.append(RowError(self.file_name, number, column, code, message))

    def map_events(self, events: Sequence[Any], keys: Sequence[str]) -> None:
        declared = [
            isinstance(e, dict) and isinstance(e.get("errorDeclaration"), dict) for e in events
        ]
        plain = {
            key
            for key, is_declared, e in zip(keys, declared, events, strict=True)
            if isinstance(e, dict) and not is_declared
        }
        first: dict[str, int] = {}
        for number, (event, key, is_declared) in enumerate(
            zip(events, keys, declared, strict=True), start=1
        ):
            if not isinstance(event, dict):
                self.error(
                    number,
                    "",
                    "event",
                    _("Event %(position)s of eventList is not a JSON object.")
                    % {"position": number},
                )
                continue
            if is_declared:
                self.declared.add(key)
                if key in plain or key in first or self.recorded.get(key):
                    continue  # its rows are recorded, or given in this document: only retract them
            elif key in first:
                self.error(
                    number,
                    "eventID",
                    "duplicate",
                    _("Event %(event)s appears again; it was first given at position %(row)s.")
                    % {"event": key, "row": first[key]},
                )
                continue
            first[key] = number
            self._map_event(number, key, event)

    def _map_event(self, number: int, key: str, event: dict[str, Any]) -> None:
        event_type = local_name(event.get("type") or event.get("isA") or "")
        step = cbv_value(event.get("bizStep"))
        disposition = cbv_value(event.get("disposition"))
        before = len(self.rows)
        if event_type == "ObjectEvent":
            kind = object_event_kind(
                step, str(event.get("action", "")).strip().upper(), disposition
            )
            if kind is None:
                self._unknown_step(number, key, event)
            elif kind:
                self._moves(number, key, event, kind, "epcList", "quantityList")
            else:
                self.skipped += 1
        elif event_type == "TransformationEvent":
            self._transformation(number, key, event)
        elif event_type in ("AggregationEvent", "TransactionEvent") and step in CARRIER_STEPS:
            kind = (
                EventType.RETURNED
                if step == "receiving" and disposition == "returned"
                else CARRIER_STEPS[step]
            )
            if event_type == "AggregationEvent":
                self._moves(number, key, event, kind, "childEPCs", "childQuantityList")
            else:
                self._moves(number, key, event, kind, "epcList", "quantityList")
        elif event_type in EVENT_TYPES:
            self.skipped += (
                1  # (dis)aggregation, association or a business-transaction link: nothing moves
            )
        else:
            self.error(
                number,
                "type",
                "event_type",
                _("Event %(event)s has type %(type)s; expected one of: %(allowed)s.")
                % {
                    "event": key,
                    "type": event.get("type") or event.get("isA") or "",
                    "allowed": ", ".join(EVENT_TYPES),
                },
            )
        mapped = self.rows[before:]
        for n, row in enumerate(mapped, start=1):
            row.event_id = key if len(mapped) == 1 else f"{key}#{n}"

    def _unknown_step(self, number: int, key: str, event: dict[str, Any]) -> None:
        given = event.get("bizStep")
        if not given:
            message = _(
                "ObjectEvent %(event)s has no bizStep, so what happened to its goods is unknown."
            ) % {"event": key}
        else:
            message = _(
                "ObjectEvent %(event)s has bizStep %(step)s, which this import does not map to a movement; "
                "use one of: %(allowed)s."
            ) % {"event": key, "step": given, "allowed": ", ".join(OBJECT_STEPS)}
        self.error(number, "bizStep", "biz_step", message)

    def _goods(
        self, number: int, event: dict[str, Any], epc_column: str, quantity_column: str
    ) -> list[_Goods]:
        goods: list[_Goods] = []
        epcs = event.get(epc_column)
        seen: set[str] = set()
        for epc in epcs if isinstance(epcs, list) else []:
            item = item_of_epc(epc) if isinstance(epc, str) else None
            if item is None:
                self.error(
                    number,
                    epc_column,
                    "epc",
                    _(
                        "%(value)s in %(column)s is not a serialised trade item (an SGTIN "
                        "urn:epc:id:sgtin:... or a GS1 Digital Link with /01/.../21/...); containers are not unpacked, "
                        "so list the items they hold."
                    )
                    % {"value": epc, "column": epc_column},
                )
            elif epc not in seen:
                seen.add(epc)
                goods.append(_Goods(item, 1, epc_column))
        elements = event.get(quantity_column)
        for element in elements if isinstance(elements, list) else []:
            epc_class = element.get("epcClass") if isinstance(element, dict) else None
            item = item_of_class(epc_class) if isinstance(epc_class, str) else None
            if item is None or not isinstance(element, dict):
                self.error(
                    number,
                    quantity_column,
                    "epc_class",
                    _(
                        "%(value)s in %(column)s is not a trade item class (an "
                        "LGTIN urn:epc:class:lgtin:... or a GS1 Digital Link with /01/ and /10/)."
                    )
                    % {
                        "value": epc_class if epc_class is not None else element,
                        "column": quantity_column,
                    },
                )
                continue
            quantity = self._quantity(number, quantity_column, epc_class or "", element)
            if quantity is not None:
                goods.append(_Goods(item, quantity, quantity_column))
        return goods

    def _quantity(
        self, number: int, column: str, epc_class: str, element: dict[str, Any]
    ) -> int | None:
        value = element.get("quantity")
        uom = element.get("uom")
        if uom is not None and str(uom).strip().upper() not in UNIT_UOMS:
            self.error(
                number,
                column,
                "uom",
                _(
                    "%(value)s is counted in %(uom)s; devices are counted in units (no uom, "
                    "EA, H87 or C62)."
                )
                % {"value": epc_class, "uom": uom},
            )
            return None
        quantity = _whole(value)
        if quantity is None or not 0 < quantity <= MAX_QUANTITY:
            self.error(
                number,
                column,
                "quantity",
                _(
                    "The quantity of %(value)s must be a whole number from 1 to "
                    "%(maximum)s; it is %(quantity)s."
                )
                % {"value": epc_class, "maximum": MAX_QUANTITY, "quantity": shown(str(value))},
            )
            return None
        return quantity

    def _place(self, number: int, event: dict[str, Any], columns: Iterable[str]) -> _Place | None:
        """The first of ``columns`` the event gives, as a location; a malformed one is reported."""
        for column in columns:
            if column == "sourceList":
                uri = _listed_location(event, "sourceList", "source")
            elif column == "destinationList":
                uri = _listed_location(event, "destinationList", "destination")
            else:
                uri = _location_id(event.get(column))
            if uri is None or uri == "":
                continue
            code = location_code(uri) if isinstance(uri, str) else None
            if code is None:
                self.error(
                    number,
                    column,
                    "location",
                    _(
                        "%(value)s in %(column)s is not a location identifier "
                        "(urn:epc:id:sgln:... or a GS1 Digital Link with /414/)."
                    )
                    % {"value": uri, "column": column},
                )
                return None
            return _Place(code, column, uri)
        return None

    def _rows(
        self, number: int, key: str, event: dict[str, Any], kind: str, goods: list[_Goods]
    ) -> list[_Row]:
        sources, targets = ENDPOINTS[kind]
        origin, target = self._place(number, event, sources), self._place(number, event, targets)
        ilmd = _ilmd(event) if kind == EventType.PRODUCED else {}
        rows = []
        for item in goods:
            lot, lot_column = item.item.lot, item.column
            if not lot and ilmd.get("lotNumber"):
                lot, lot_column = ilmd["lotNumber"], "ilmd"
            if not lot and not item.item.serial:
                self.error(
                    number,
                    item.column,
                    "no_lot",
                    _(
                        "%(gtin)s in %(column)s names no lot; lot-level quantities "
                        "need an LGTIN (urn:epc:class:lgtin:...), a Digital Link with /10/ or, when produced, ilmd "
                        "lotNumber."
                    )
                    % {"gtin": item.item.gtin, "column": item.column},
                )
                continue
            rows.append(
                _Row(
                    number=number,
                    base_id=key,
                    kind=kind,
                    time=event_time(event),
                    goods=item,
                    lot=lot,
                    lot_column=lot_column,
                    origin=origin,
                    target=target,
                    origin_column=sources[0] if sources else "",
                    target_column=targets[0] if targets else "",
                    document_ref=_document_ref(event),
                    manufactured=ilmd.get("productionDate", ""),
                    expiry=ilmd.get("itemExpirationDate", ""),
                )
            )
        return rows

    def _moves(
        self,
        number: int,
        key: str,
        event: dict[str, Any],
        kind: str,
        epc_column: str,
        quantity_column: str,
    ) -> None:
        errors_before = len(self.errors)
        goods = self._goods(number, event, epc_column, quantity_column)
        if not goods and len(self.errors) == errors_before:
            self.error(
                number,
                epc_column,
                "no_goods",
                _("Event %(event)s names no goods in %(epcs)s or %(quantities)s.")
                % {"event": key, "epcs": epc_column, "quantities": quantity_column},
            )
        self.rows.extend(self._rows(number, key, event, kind, goods))

    def _transformation(self, number: int, key: str, event: dict[str, Any]) -> None:
        errors_before = len(self.errors)
        inputs = self._goods(number, event, "inputEPCList", "inputQuantityList")
        outputs = self._goods(number, event, "outputEPCList", "outputQuantityList")
        if len(self.errors) > errors_before:
            return
        if not outputs:
            message = (
                _(
                    "TransformationEvent %(event)s names no outputs, so its inputs go into no known lot."
                )
                if inputs
                else _("TransformationEvent %(event)s names neither inputs nor outputs.")
            )
            self.error(number, "outputEPCList", "no_output", message % {"event": key})
            return
        consumed = self._rows(number, key, event, EventType.TRANSFORMED, inputs)
        produced = self._rows(number, key, event, EventType.PRODUCED, outputs)
        if not produced:
            return
        for row in consumed:
            row.into = produced[0]
        self.rows.extend(consumed + produced)

    # -- settling what needs the database ----------------------------------------------------
    def settle_serial_lots(self) -> None:
        """Give serial rows without a lot the lot their serial has in this document or the catalogue."""
        known = {
            (r.goods.item.gtin, r.goods.item.serial): r.lot
            for r in self.rows
            if r.goods.item.serial and r.lot
        }
        missing = {
            (r.goods.item.gtin, r.goods.item.serial)
            for r in self.rows
            if r.goods.item.serial and not r.lot
        } - known.keys()
        serials = sorted({serial for _gtin, serial in missing})
        for chunk in _chunks(serials, LOOKUP_CHUNK):
            found = Serial.objects.filter(
                serial__in=chunk, device_model__udi_di__in={g for g, _s in missing}
            )
            for gtin, serial, lot in found.values_list(
                "device_model__udi_di", "serial", "lot__number"
            ):
                known.setdefault((gtin, serial), lot)
        unresolved: list[_Row] = []
        for row in self.rows:
            if row.goods.item.serial and not row.lot:
                recorded_lot = known.get((row.goods.item.gtin, row.goods.item.serial))
                if recorded_lot:
                    row.lot = recorded_lot
                else:
                    unresolved.append(row)
                    self.error(
                        row.number,
                        row.goods.column,
                        "unknown_serial",
                        _(
                            "Serial %(serial)s of GTIN %(gtin)s has "
                            "no known lot: give ilmd lotNumber when commissioning it, a Digital Link with /10/, or "
                            "import the serial first."
                        )
                        % {"serial": row.goods.item.serial, "gtin": row.goods.item.gtin},
                    )
        if unresolved:  # reported; the document is refused, and these rows would only repeat it
            self.rows = [row for row in self.rows if row not in unresolved]

    def settle_locations(self, described: dict[str, dict[str, Any]]) -> set[str]:
        """Report locations neither known nor described; return the described ones to create."""
        places = [p for r in self.rows for p in (r.origin, r.target) if p is not None]
        referenced = sorted({p.code for p in places})
        known: set[str] = set()
        for chunk in _chunks(referenced, LOOKUP_CHUNK):
            known.update(Location.objects.filter(code__in=chunk).values_list("code", flat=True))
        missing = set(referenced) - known
        too_long = {
            code for code in missing if len(code) > LOCATION_CODE_MAX
        }  # no location can have it
        for row in self.rows:
            for place in (row.origin, row.target):
                if place is not None and place.code in too_long:
                    self.error(
                        row.number,
                        place.column,
                        "length",
                        _("%(column)s is longer than %(limit)s characters.")
                        % {"column": place.column, "limit": LOCATION_CODE_MAX},
                    )
                elif place is not None and place.code in missing and place.code not in described:
                    self.error(
                        row.number,
                        place.column,
                        "unknown_location",
                        _(
                            "No location has code %(code)s (from "
                            "%(value)s), and the document's master data does not describe it; import the location "
                            "first."
                        )
                        % {"code": place.code, "value": place.uri},
                    )
        return {code for code in missing - too_long if code in described}

    def values(self) -> tuple[list[tuple[int, dict[str, str]]], dict[tuple[int, str], list[str]]]:
        """The rows as ``parse_event`` reads them, and (row, template column) -> the JSON fields."""
        rows: list[tuple[int, dict[str, str]]] = []
        columns: dict[tuple[int, str], list[str]] = {}
        for row in self.rows:
            into = row.into
            rows.append(
                (
                    row.number,
                    {
                        "event_id": row.event_id,
                        "event_type": str(row.kind),
                        "event_time": row.time,
                        "gtin": row.goods.item.gtin,
                        "lot": row.lot,
                        "serial": row.goods.item.serial,
                        "quantity": str(row.goods.quantity),
                        "from_location": row.origin.code if row.origin else "",
                        "to_location": row.target.code if row.target else "",
                        "document_ref": row.document_ref,
                        "manufactured": row.manufactured,
                        "expiry": row.expiry,
                        "into_gtin": into.goods.item.gtin if into else "",
                        "into_lot": into.lot if into else "",
                    },
                )
            )
            fields = {
                "event_id": "eventID",
                "event_type": "bizStep",
                "event_time": "eventTime",
                "gtin": row.goods.column,
                "serial": row.goods.column,
                "quantity": row.goods.column,
                "lot": row.lot_column,
                "from_location": row.origin.column if row.origin else row.origin_column,
                "to_location": row.target.column if row.target else row.target_column,
                "document_ref": "bizTransactionList",
                "manufactured": "ilmd",
                "expiry": "ilmd",
                "into_gtin": into.goods.column if into else "outputEPCList",
                "into_lot": into.lot_column if into else "outputEPCList",
            }
            for column, json_field in fields.items():
                known = columns.setdefault((row.number, column), [])
                if json_field and json_field not in known:
                    known.append(json_field)
        return rows, columns

    def recorded_retractions(self) -> list[str]:
        """Ids of the rows recorded before that derive from an event declared erroneous."""
        return sorted(
            {event_id for key in self.declared for event_id in self.recorded.get(key, [])}
        )

    def retractions(self) -> list[str]:
        """Ids of every row, recorded or in this document, derived from an event declared erroneous."""
        ids = set(self.recorded_retractions())
        ids.update(row.event_id for row in self.rows if row.base_id in self.declared)
        return sorted(ids)


def _chunks(values: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _recorded_ids(keys: set[str]) -> dict[str, list[str]]:
    """Event key -> ids of the rows already recorded for it (``key`` itself or ``key#n``)."""
    recorded: dict[str, list[str]] = {}
    ordered = sorted(keys)
    for chunk in _chunks(ordered, LOOKUP_CHUNK // 2):
        condition = Q()
        for key in chunk:
            condition |= Q(event_id=key) | Q(event_id__startswith=f"{key}#")
        for event_id in TraceEvent.objects.filter(condition).values_list("event_id", flat=True):
            key = event_id if event_id in keys else event_id.rsplit("#", 1)[0]
            recorded.setdefault(key, []).append(event_id)
    return recorded


def _withdraw(event_ids: list[str], *, actor: ActorOrSystem, file_name: str) -> list[int]:
    """Retract recorded events before the new rows are checked; returns the lots to recompute."""
    lot_ids: set[int] = set()
    withdrawn = 0
    for chunk in _chunks(event_ids, LOOKUP_CHUNK):
        live = TraceEvent.objects.filter(event_id__in=chunk, retracted=False)
        lot_ids.update(live.values_list("lot_id", flat=True))
        withdrawn += live.update(retracted=True)
    if withdrawn:
        audit.record(
            actor=actor,
            action="traceability.events_retracted",
            target_type="traceability.traceevent",
            target_id="*",
            target_label=file_name,
            changes={
                "event_ids": event_ids[:500],
                "retracted": withdrawn,
                "reason": "epcis errorDeclaration",
            },
        )
    return sorted(lot_ids)


def _create_locations(
    codes: set[str], described: dict[str, dict[str, Any]], *, actor: ActorOrSystem, file_name: str
) -> None:
    """A Party and a Location for each location the document describes and we do not know yet."""
    if not codes:
        return
    parties = {p.code: p for p in Party.objects.filter(code__in=codes)}
    new_parties: list[str] = []
    for code in sorted(codes):
        attributes = described[code]
        name = _text(attributes.get("name"), 255) or code
        party_type = _text(attributes.get("partyType"), 20).lower()
        country = _text(attributes.get("countryCode"), 3).upper()
        street = " ".join(
            filter(
                None,
                (
                    _text(attributes.get("streetAddressOne") or attributes.get("street"), 255),
                    _text(attributes.get("streetAddressTwo"), 255),
                ),
            )
        )
        place = {
            "country": country
            if len(country) == 2 and country.isalpha() and country.isascii()
            else "",
            "province": _text(attributes.get("state"), 100),
            "city": _text(attributes.get("city"), 100),
            "address": street[:255],
            "postal_code": _text(attributes.get("postalCode") or attributes.get("zip"), 20),
        }
        party = parties.get(code)
        if party is None:
            party = Party.objects.create(
                code=code,
                name=name,
                party_type=party_type if party_type in PartyType.values else PartyType.DISTRIBUTOR,
                **place,
            )
            new_parties.append(code)
        Location.objects.create(
            code=code, name=name, location_type=LocationType.DISTRIBUTOR_STOCK, party=party, **place
        )
    audit.record(
        actor=actor,
        action="parties.locations_imported",
        target_type="parties.location",
        target_id="*",
        target_label=file_name,
        changes={
            "created": sorted(codes),
            "parties_created": new_parties,
            "source": "epcis master data",
        },
    )


# -- the import -------------------------------------------------------------------------------


def _rejected_row(number: int, event: Any, key: str) -> SourceRow:
    """The event as it came, one JSON field per column of the rejected-rows file (a derived
    eventID included, so the user can find the event again)."""
    values: dict[str, str] = {"eventID": key} if key else {}
    if isinstance(event, dict):
        for column in EPCIS_COLUMNS.all:
            value = event.get(column)
            if value is not None:
                values[column] = (
                    value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                )
    return SourceRow(number, values)


def _problems(
    rows: list[tuple[int, dict[str, str]]], creatable: set[str], file_name: str
) -> list[RowError]:
    """Row-by-row problems of rows that will not be staged (the document is refused anyway)."""
    refs = References.load()
    refs.locations.update(dict.fromkeys(creatable, 0))
    errors: list[RowError] = []
    for number, values in rows:
        problems: list[tuple[str, str, str]] = []
        parse_event(number, values, refs, problems)
        errors.extend(
            RowError(file_name, number, column, code, message) for column, code, message in problems
        )
    return errors


def import_document(
    document: Any,
    *,
    file_name: str,
    kind: str = "epcis",
    actor: ActorOrSystem = None,
    progress: Progress | None = None,
    import_run_id: int | None = None,
) -> ImportOutcome:
    """Map a parsed EPCIS document to event rows and import them, all or nothing."""
    check_structure(document, file_name)
    events = event_list(document, file_name)
    described = described_locations(document)
    keys = [event_key(e) if isinstance(e, dict) else "" for e in events]
    declared = {
        k
        for k, e in zip(keys, events, strict=True)
        if isinstance(e, dict) and isinstance(e.get("errorDeclaration"), dict)
    }
    with transaction.atomic():
        mapper = _Mapper(file_name, _recorded_ids(declared))
        mapper.map_events(events, keys)
        mapper.settle_serial_lots()
        creatable = mapper.settle_locations(described)
        rows, columns = mapper.values()
        retract = mapper.retractions()
        if mapper.errors:
            outcome = ImportOutcome(
                kind=kind,
                file_name=file_name,
                rows=len(rows),
                accepted=False,
                errors=mapper.errors + _problems(rows, creatable, file_name),
            )
        elif not rows and not retract:
            outcome = ImportOutcome(kind=kind, file_name=file_name)
        else:
            _create_locations(creatable, described, actor=actor, file_name=file_name)
            withdrawn_lots = _withdraw(
                mapper.recorded_retractions(), actor=actor, file_name=file_name
            )
            outcome = import_event_rows(
                rows,
                file_name=file_name,
                kind=kind,
                actor=actor,
                progress=progress,
                fraction_read=lambda: 1.0,
                import_run_id=import_run_id,
                retract_event_ids=retract,
            )
            if outcome.accepted:
                recompute_positions(withdrawn_lots)
            else:
                transaction.set_rollback(True)
    return _finish(outcome, mapper, columns, events, keys)


def _finish(
    outcome: ImportOutcome,
    mapper: _Mapper,
    columns: dict[tuple[int, str], list[str]],
    events: Sequence[Any],
    keys: Sequence[str],
) -> ImportOutcome:
    """Errors named by JSON field, once each, with the refused events; skipped events counted.

    The mapper's errors come first; a later error on a field the mapper already reported for
    the same event (a row check echoing it) is left out."""
    mapped_errors = len(mapper.errors)
    unique: dict[tuple[int, str, str, str], RowError] = {}
    reported: set[tuple[int, str]] = set()
    for index, error in enumerate(outcome.errors):
        json_fields = columns.get((error.row, error.column)) if index >= mapped_errors else None
        named = replace(error, column="/".join(json_fields)) if json_fields else error
        fields = {(named.row, name) for name in named.column.split("/")}
        if index >= mapped_errors and fields & reported:
            continue
        unique.setdefault((named.row, named.column, named.code, named.message), named)
        if index < mapped_errors:
            reported.update(fields)
    outcome.errors = sorted(unique.values(), key=lambda e: (e.row, e.column))
    if outcome.errors:
        outcome.accepted = False
        outcome.rejected_rows = [
            _rejected_row(n, events[n - 1], keys[n - 1])
            for n in sorted({e.row for e in outcome.errors})
            if 0 < n <= len(events)
        ]
    else:
        outcome.unchanged += mapper.skipped
    return outcome


def capture_epcis_document(
    document: dict[str, Any],
    *,
    source_name: str,
    actor: ActorOrSystem,
    import_run_id: int | None = None,
) -> ImportOutcome:
    """Import an EPCIS document already parsed from a request body (the REST capture endpoint)."""
    return import_document(
        document, file_name=source_name, actor=actor, import_run_id=import_run_id
    )


class EpcisImporter:
    """GS1 EPCIS 2.0 JSON / JSON-LD files. Always all-or-nothing, like the events template: a
    trace with holes is worse than no trace, so ``keep_good`` is refused before the run starts
    (``core.registry.keeps_good_rows``); ``policy`` is part of the importers' contract only."""

    kind = "epcis"
    columns = EPCIS_COLUMNS
    offers_keep_good = False  # all-or-nothing, like the events template
    accepts_import_run = True
    offers_template = False

    def run(
        self,
        path: Path,
        *,
        file_name: str,
        policy: Policy = Policy.REJECT,
        actor: ActorOrSystem = None,
        progress: Progress | None = None,
        import_run_id: int | None = None,
    ) -> ImportOutcome:
        document = read_document(path, file_name)
        if progress:
            progress(10, 100)
        return import_document(
            document,
            file_name=file_name,
            kind=self.kind,
            actor=actor,
            progress=progress,
            import_run_id=import_run_id,
        )
