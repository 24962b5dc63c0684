"""Read a scanned UDI (GS1 or HIBC) into the fields a recall is scoped by.

A recall is decided per device identifier, lot, serial and date, so a barcode that is only
partly understood must not be acted on: :func:`parse_udi` either returns every field it
found with ``valid=True``, or ``valid=False``, no field values and a message that says what
is wrong and where. It never raises on bad input; a scan station shows the message instead.

GS1 (element strings with or without parentheses, and Digital Link URIs) is parsed with
``biip``, which knows every Application Identifier and the GS1 date rules; we add what a
UDI needs on top (GTIN check digit, lot and serial length, clear messages). ``biip``
returns nothing for HIBC, so the HIBC Supplier Labeling Standard is parsed here.

``biip`` loads every GS1 table when it is first imported (its package imports its whole
parser, with the lzma-compressed company prefixes: most of a second's tenth), so it is
imported only when a scan needs it. The scans a UDI label carries, element strings of
AI 01, 10, 11, 17 and 21 only (raw or in parentheses), that are valid throughout, are read
by :func:`_udi_elements` with biip's own patterns and date rules for those five AIs
(``tests/traceability/test_udi_fast_path.py`` compares both with biip's table and every
answer with biip's path); anything else, and any scan the short path cannot read whole,
goes through biip, so every refusal and its message comes from the same path as before.

Input as keyboard-mode scanners send it is accepted: a trailing Enter or Tab, a symbology
identifier such as ``]C1``, ``]d2`` or ``]Q3``, and the group separator (FNC1) as ASCII 29,
``<GS>`` or ``{GS}``. A lot that really contains the text ``<GS>`` therefore cannot be
told apart from a separator, and in the parenthesised form a value may not contain "(" or
")"; both are limits of those input forms, not of the barcode.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from django.utils.translation import gettext as _

from medrecall.core.gtin import gtin_problem, normalise_gtin

if TYPE_CHECKING:
    from biip.gs1_application_identifiers import GS1ApplicationIdentifier

__all__ = ["ParsedUDI", "hibc_check_character", "parse_udi"]

GS = "\x1d"
_GS_TOKENS = re.compile(r"<GS>|\{GS\}", re.IGNORECASE)
# GS1 character set 82: the characters an alphanumeric AI (lot, serial) may hold.
_CSET_82 = re.compile(r"[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]")
_MAX_GS1_LOT_SERIAL = 20
# ISO/IEC 15424 symbology identifier: "]", code character, modifier. biip 5.2 does not know
# every code character (GS1 DotCode "]J1"), and stripping is all we need from it.
_SYMBOLOGY_IDENTIFIER = re.compile(r"\][A-Za-z][0-9A-Za-z]")
# EAN-13/UPC, EAN-8 and ITF-14 carry a bare GTIN rather than element strings.
_GTIN_SYMBOLOGIES = frozenset({"]E0", "]E4", "]I1"})
_GS1_DATE_AIS = frozenset({"11", "12", "13", "15", "16", "17"})
_UDI_AIS = frozenset({"01", "10", "11", "17", "21"})
_FIXED_PART = re.compile(r"[NX](\d+)")
_HRI_ELEMENT = re.compile(r"\((\d{2,4})\)([^()]*)")
# GS1 Digital Link 1.1 "convenience alphas" for the keys a UDI uses (biip 5.2 reads only the
# numeric keys), e.g. https://id.gs1.org/01/614141123452/lot/ABC1/ser/12345?exp=180426.
_DIGITAL_LINK_ALPHAS = {"gtin": "01", "cpv": "22", "lot": "10", "ser": "21", "exp": "17"}

_HIBC_CHARACTERS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-. $/+%"
_MAX_HIBC_LOT_SERIAL = 18
# "$$9" carries the largest quantity of the secondary data, five digits; "/Q" holds no more.
_MAX_HIBC_QUANTITY_DIGITS = 5
_HIBC_PRIMARY = re.compile(r"([A-Z][A-Z0-9]{3})([A-Z0-9]{1,18})([0-9])")
# Two symbols read as one ("+" primary, check character, "+" secondary, link, check).
_HIBC_SCAN_BREAK = re.compile(r"[\r\n\t]+(?=\*?\+)")
_HIBC_JOINED = re.compile(r"\+[A-Z][A-Z0-9]{3}[A-Z0-9]{1,18}[0-9][0-9A-Z\-. $/+%](?=\+[$0-9])")


@dataclass(frozen=True)
class ParsedUDI:
    """What one scan says; ``valid`` is ``False`` with ``error`` set when it cannot be trusted.

    ``gtin`` is the device identifier: the GTIN-14 for GS1, and for HIBC the UDI-DI
    (labeler code + product number + unit of measure). A secondary label without an
    identifier (a GS1 string without AI 01, an HIBC secondary symbol) is valid with
    ``gtin=None``; callers that need the identifier check for it.
    """

    symbology: str
    gtin: str | None
    lot: str | None
    serial: str | None
    expiry: date | None
    production_date: date | None
    valid: bool
    error: str | None
    # Added after the first release: HIBC carries a quantity ("$$8", "$$9", "/Q"); GS1 never
    # does here (AI 30/37 are not part of a UDI), so it stays None for GS1.
    quantity: int | None = None

    def as_dict(self) -> dict[str, str | int | bool | None]:
        """JSON-ready form for the API and the scan page (dates as YYYY-MM-DD)."""
        return {
            "symbology": self.symbology,
            "gtin": self.gtin,
            "lot": self.lot,
            "serial": self.serial,
            "expiry": self.expiry.isoformat() if self.expiry else None,
            "production_date": self.production_date.isoformat() if self.production_date else None,
            "valid": self.valid,
            "error": self.error,
            "quantity": self.quantity,
        }


class _Refusal(Exception):
    """Raised deep in a parser; :func:`parse_udi` turns it into an invalid result."""

    def __init__(self, symbology: str, message: str) -> None:
        super().__init__(message)
        self.symbology = symbology
        self.message = message


def parse_udi(text: str) -> ParsedUDI:
    """Parse one scan (GS1 element string, GS1 Digital Link URI or HIBC); never raises."""
    try:
        return _parse(text)
    except _Refusal as refusal:
        return ParsedUDI(
            symbology=refusal.symbology,
            gtin=None,
            lot=None,
            serial=None,
            expiry=None,
            production_date=None,
            valid=False,
            error=refusal.message,
        )


def _parse(text: str) -> ParsedUDI:
    # Keyboard-mode scanners end a scan with Enter or Tab; an HIBC check character may be a
    # space, so trailing spaces are kept until we know the symbology.
    cleaned = text.strip("\r\n\t").lstrip(" ")
    if not cleaned.strip():
        raise _Refusal("", _("The barcode is empty."))
    for position, char in enumerate(text, start=1):
        if not char.isascii():
            raise _Refusal(
                "",
                _(
                    "The barcode contains the character '%(char)s' at position %(position)s; "
                    "barcodes hold ASCII characters only."
                )
                % {"char": _printable(char), "position": position},
            )
    cleaned = _GS_TOKENS.sub(GS, cleaned)
    symbology = ""
    if cleaned.startswith("]"):
        if not _SYMBOLOGY_IDENTIFIER.match(cleaned):
            raise _Refusal(
                "",
                _("The barcode starts with '%(prefix)s', which is not a symbology identifier.")
                % {"prefix": cleaned[:3]},
            )
        symbology, cleaned = cleaned[:3], cleaned[3:]
    if cleaned.startswith(("+", "*+")):
        # A primary and its secondary symbol scanned one after the other arrive with the
        # scanner's Enter or Tab between them; the link character then ties the two together.
        return _parse_hibc(_HIBC_SCAN_BREAK.sub("", cleaned))
    payload = cleaned.strip(" " + GS)  # FNC1 in first position arrives as a leading GS
    if not payload:
        raise _Refusal("", _("The barcode holds no data after its symbology identifier."))
    if re.match(r"https?://", payload, re.IGNORECASE):
        return _parse_digital_link(payload)
    if symbology in _GTIN_SYMBOLOGIES:
        return _parse_bare_gtin(payload)
    if payload.startswith("("):
        return _gs1_result(_udi_elements(payload) or _parse_hri(payload))
    if payload[0].isdigit():
        return _gs1_result(_udi_elements(payload) or _parse_element_string(payload))
    shown = "".join(_printable(char) for char in payload)
    raise _Refusal(
        "",
        _("%(text)s is not a GS1 element string, a GS1 Digital Link or an HIBC code.")
        % {"text": shown if len(shown) <= 40 else shown[:40] + "…"},
    )


def _printable(char: str) -> str:
    """A character as it can be shown in a message (control characters as U+001D etc.)."""
    return char if char.isprintable() else f"U+{ord(char):04X}"


# --- GS1 ---------------------------------------------------------------------------------


def _gs1_refusal(message: str) -> _Refusal:
    return _Refusal("GS1", message)


class _Element(NamedTuple):
    """One element string as the result needs it: its AI, value and date (AI 11 and 17)."""

    ai: str
    value: str
    date: date | None


def _checked_element(ai: GS1ApplicationIdentifier, value: str) -> _Element:
    """One element string, checked beyond biip for what a UDI relies on."""
    from biip import ParseError
    from biip.gs1_element_strings import GS1ElementString

    code = ai.ai
    if not value:
        raise _gs1_refusal(_("AI %(ai)s has no value.") % {"ai": code})
    if code in ("10", "21"):
        _check_lot_or_serial(code, value)
    if code == "01" and (len(value) != 14 or not value.isdigit()):
        raise _gs1_refusal(
            _("AI 01: a GTIN has 14 digits here; found '%(value)s'.") % {"value": value}
        )
    try:
        element = GS1ElementString.parse(code + value)
    except (ParseError, ValueError):
        if code in _GS1_DATE_AIS:
            raise _gs1_refusal(
                _("AI %(ai)s: %(value)s is not a date (YYMMDD).") % {"ai": code, "value": value}
            ) from None
        raise _gs1_refusal(
            _("AI %(ai)s: '%(value)s' does not fit the format %(format)s.")
            % {"ai": code, "value": value, "format": ai.format}
        ) from None
    if code == "01" and (problem := gtin_problem(value)):
        raise _gs1_refusal(_("AI 01: %(problem)s") % {"problem": problem})
    return _Element(code, element.value, element.date)


def _check_lot_or_serial(code: str, value: str) -> None:
    if len(value) > _MAX_GS1_LOT_SERIAL:
        if code == "10":
            message = _("AI %(ai)s: the lot has %(length)s characters; at most 20 are allowed.")
        else:
            message = _(
                "AI %(ai)s: the serial number has %(length)s characters; at most 20 are allowed."
            )
        raise _gs1_refusal(message % {"ai": code, "length": len(value)})
    for position, char in enumerate(value, start=1):
        if not _CSET_82.fullmatch(char):
            raise _gs1_refusal(
                _(
                    "AI %(ai)s: the character '%(char)s' at position %(position)s of '%(value)s' "
                    "is not allowed in a GS1 lot or serial number."
                )
                % {"ai": code, "char": _printable(char), "position": position, "value": value}
            )


def _ai_or_none(code: str) -> GS1ApplicationIdentifier | None:
    """The AI that is exactly ``code``, if GS1 defines one."""
    from biip import ParseError
    from biip.gs1_application_identifiers import GS1ApplicationIdentifier

    try:
        ai = GS1ApplicationIdentifier.extract(code)
    except ParseError:
        return None
    return ai if ai.ai == code else None


def _known_ai(code: str) -> GS1ApplicationIdentifier:
    ai = _ai_or_none(code)
    if ai is None:
        raise _gs1_refusal(_("(%(ai)s) is not a known GS1 Application Identifier.") % {"ai": code})
    return ai


def _fixed_length(ai: GS1ApplicationIdentifier) -> int | None:
    """Length of the value of a fixed-length AI (from biip's format, e.g. N2+N14 → 14)."""
    if ai.separator_required:
        return None
    parts = [_FIXED_PART.fullmatch(part) for part in ai.format.split("+")[1:]]
    if not parts or any(match is None for match in parts):
        return None
    return sum(int(match.group(1)) for match in parts if match is not None)


# --- GS1, the short path: the five UDI AIs without biip ------------------------------------


class _UdiAI(NamedTuple):
    pattern: re.Pattern[str]  # biip 5.2's pattern of the value (its table's, without the AI)
    length: int | None  # fixed length of the value; None: runs to the next separator
    dated: bool


_GS1_DATE = re.compile(r"\d{2}(?:0\d|1[0-2])(?:[0-2]\d|3[01])")
_GS1_LOT_SERIAL = re.compile(r"[!%-?A-Z_a-z\x22]{1,20}")  # \x22: the double quote
_UDI_AI_TABLE = {
    "01": _UdiAI(re.compile(r"\d{14}"), 14, dated=False),
    "10": _UdiAI(_GS1_LOT_SERIAL, None, dated=False),
    "11": _UdiAI(_GS1_DATE, 6, dated=True),
    "17": _UdiAI(_GS1_DATE, 6, dated=True),
    "21": _UdiAI(_GS1_LOT_SERIAL, None, dated=False),
}


def _udi_elements(payload: str) -> list[_Element] | None:
    """The elements of a valid element string, raw or in parentheses, made only of AI 01, 10,
    11, 17 and 21; ``None`` for anything else, which biip's path then reads or refuses.

    Every element is read and checked as :func:`_parse_element_string` and
    :func:`_parse_hri` read it, with biip's patterns and GS1 date rule for these AIs: when
    this answers, the biip path gives the same elements (no AI of another length can start
    with these two digits: GS1's AIs are prefix-free)."""
    pairs = _hri_pairs(payload) if payload.startswith("(") else _raw_pairs(payload)
    if not pairs:
        return None
    elements: list[_Element] = []
    for code, value in pairs:
        element = _udi_element(code, value)
        if element is None:
            return None
        elements.append(element)
    return elements


def _raw_pairs(payload: str) -> list[tuple[str, str]] | None:
    pairs: list[tuple[str, str]] = []
    position = 0
    while position < len(payload):
        if payload[position] == GS:
            position += 1
            continue
        code = payload[position : position + 2]
        if code not in _UDI_AI_TABLE:
            return None
        length = _UDI_AI_TABLE[code].length
        value = payload[position + 2 :].split(GS, 1)[0]
        if length is not None:
            value = value[:length]
        pairs.append((code, value))
        position += 2 + len(value)
    return pairs


def _hri_pairs(payload: str) -> list[tuple[str, str]] | None:
    compact = re.sub(r"\s", "", payload).replace(GS, "")
    pairs: list[tuple[str, str]] = []
    position = 0
    for match in _HRI_ELEMENT.finditer(compact):
        if match.start() != position:
            return None
        pairs.append((match.group(1), match.group(2)))
        position = match.end()
    return pairs if position == len(compact) else None


def _udi_element(code: str, value: str) -> _Element | None:
    """One element of the five, if it is valid as it stands (else ``None``)."""
    ai = _UDI_AI_TABLE.get(code)
    if ai is None or not ai.pattern.fullmatch(value):
        return None
    if code == "01" and gtin_problem(value):
        return None
    if not ai.dated:
        return _Element(code, value, None)
    year = _full_year(int(value[:2]))  # the GS1 window, as biip's ``_get_century``
    month, day = int(value[2:4]), int(value[4:6])
    try:
        # Day "00" is the last day of the month (GS1 General Specifications 7.12).
        found = date(year, month, day or calendar.monthrange(year, month)[1])
    except ValueError:  # month 00, or a day the month does not have
        return None
    return _Element(code, value, found)


# --- GS1 through biip --------------------------------------------------------------------


def _parse_element_string(payload: str) -> list[_Element]:
    """Raw element strings; a variable-length value runs to the next separator, as GS1 requires."""
    from biip import ParseError
    from biip.gs1_application_identifiers import GS1ApplicationIdentifier

    elements: list[_Element] = []
    position = 0
    while position < len(payload):
        if payload[position] == GS:
            position += 1
            continue
        rest = payload[position:]
        try:
            ai = GS1ApplicationIdentifier.extract(rest)
        except ParseError:
            raise _gs1_refusal(
                _("No GS1 Application Identifier starts at character %(position)s ('%(text)s').")
                % {"position": position + 1, "text": rest[:12]}
            ) from None
        start = len(ai.ai)
        length = _fixed_length(ai)
        value = rest[start:].split(GS, 1)[0]
        if length is not None:
            value = value[:length]
            if len(value) < length:
                raise _gs1_refusal(
                    _(
                        "AI %(ai)s at character %(position)s needs %(expected)s characters; "
                        "only %(found)s follow."
                    )
                    % {
                        "ai": ai.ai,
                        "position": position + 1,
                        "expected": length,
                        "found": len(value),
                    }
                )
        elements.append(_checked_element(ai, value))
        position += start + len(value)
    return elements


def _parse_hri(payload: str) -> list[_Element]:
    """The human-readable form, "(01)…(17)…(10)…"."""
    compact = re.sub(r"\s", "", payload).replace(GS, "")
    elements: list[_Element] = []
    position = 0
    for match in _HRI_ELEMENT.finditer(compact):
        if match.start() != position:
            break
        elements.append(_checked_element(_known_ai(match.group(1)), match.group(2)))
        position = match.end()
    if position != len(compact):
        raise _gs1_refusal(
            _(
                "Unexpected text '%(text)s' at character %(position)s; each element should read (AI)value."
            )
            % {"text": compact[position : position + 12], "position": position + 1}
        )
    return elements


def _digital_link_uri(uri: str) -> tuple[str, list[tuple[str, str]]]:
    """The URI with convenience alphas made numeric, and its (key, value) pairs for diagnosis."""
    parts = urlsplit(uri)
    segments = parts.path.split("/")
    start = next((i for i, segment in enumerate(segments) if segment in ("01", "gtin")), None)
    pairs: list[tuple[str, str]] = []
    if start is not None:
        for index in range(start, len(segments), 2):
            segments[index] = _DIGITAL_LINK_ALPHAS.get(segments[index], segments[index])
            if index + 1 < len(segments):
                pairs.append((segments[index], unquote(segments[index + 1])))
    query = [(_DIGITAL_LINK_ALPHAS.get(key, key), value) for key, value in parse_qsl(parts.query)]
    pairs.extend(query)
    rewritten = urlunsplit(
        (parts.scheme, parts.netloc, "/".join(segments), urlencode(query), parts.fragment)
    )
    return rewritten, pairs


def _parse_digital_link(uri: str) -> ParsedUDI:
    from biip import ParseError
    from biip.gs1_digital_link_uris import GS1DigitalLinkURI

    rewritten, pairs = _digital_link_uri(uri)
    try:
        link = GS1DigitalLinkURI.parse(rewritten)
    except (ParseError, ValueError) as exc:
        # biip says why in English; look for the element at fault to say it our way.
        for key, value in pairs:
            if (ai := _ai_or_none(key)) is not None:
                padded = (
                    value.zfill(14)
                    if key == "01" and value.isdigit() and len(value) in (8, 12, 13)
                    else value
                )
                _checked_element(ai, padded)
        raise _gs1_refusal(
            _("The GS1 Digital Link URI could not be read: %(reason)s") % {"reason": str(exc)}
        ) from None
    return _gs1_result(
        [_checked_element(element.ai, element.value) for element in link.element_strings]
    )


def _parse_bare_gtin(payload: str) -> ParsedUDI:
    """EAN-13, EAN-8 or ITF-14 (by symbology identifier): the symbol is the GTIN itself."""
    if problem := gtin_problem(payload):
        raise _gs1_refusal(problem)
    return ParsedUDI(
        symbology="GS1",
        gtin=normalise_gtin(payload),
        lot=None,
        serial=None,
        expiry=None,
        production_date=None,
        valid=True,
        error=None,
    )


def _gs1_result(elements: list[_Element]) -> ParsedUDI:
    found: dict[str, _Element] = {}
    for element in elements:
        earlier = found.setdefault(element.ai, element)
        if earlier.value != element.value:
            raise _gs1_refusal(
                _("AI %(ai)s appears twice with different values ('%(first)s' and '%(second)s').")
                % {"ai": element.ai, "first": earlier.value, "second": element.value}
            )
    if not _UDI_AIS.intersection(found):
        raise _gs1_refusal(
            _("The GS1 barcode holds none of the UDI elements (AI 01, 10, 11, 17 or 21).")
        )

    def value(code: str) -> str | None:
        element = found.get(code)
        return element.value if element else None

    def day(code: str) -> date | None:
        element = found.get(code)
        return element.date if element else None

    gtin = value("01")
    return ParsedUDI(
        symbology="GS1",
        gtin=normalise_gtin(gtin) if gtin else None,
        lot=value("10"),
        serial=value("21"),
        expiry=day("17"),
        production_date=day("11"),
        valid=True,
        error=None,
    )


# --- HIBC --------------------------------------------------------------------------------


def hibc_check_character(body: str) -> str:
    """The modulo-43 check character of ``body`` (characters outside the HIBC set count 0)."""
    total = sum(max(_HIBC_CHARACTERS.find(char), 0) for char in body)
    return _HIBC_CHARACTERS[total % 43]


def _hibc_refusal(message: str) -> _Refusal:
    return _Refusal("HIBC", message)


@dataclass
class _HibcFields:
    """Secondary values as they are found; the same field twice must agree."""

    lot: str | None = None
    serial: str | None = None
    expiry: date | None = None
    production_date: date | None = None
    quantity: int | None = None

    def put(self, name: str, found: str | date | int | None) -> None:
        if found is None or found == "":
            return
        earlier = getattr(self, name)
        if earlier is not None and earlier != found:
            labels = {
                "lot": _("lot"),
                "serial": _("serial number"),
                "expiry": _("expiry date"),
                "production_date": _("production date"),
                "quantity": _("quantity"),
            }
            raise _hibc_refusal(
                _(
                    "HIBC: the barcode gives two different values for the %(field)s ('%(first)s' and '%(second)s')."
                )
                % {"field": labels[name], "first": earlier, "second": found}
            )
        setattr(self, name, found)


def _parse_hibc(text: str) -> ParsedUDI:
    """HIBC LIC (ANSI/HIBC 2.6 Supplier Labeling Standard), as far as a recall needs it.

    Structure:

    * primary: "+" LIC (4 characters, the first a letter), product or catalogue number
      (1 to 18 letters or digits), unit of measure (1 digit), check character;
    * secondary symbol: "+" data, link character (the check character of its primary),
      check character; concatenated: "+" primary "/" data check character; two symbols
      read as one: primary symbol immediately followed by the secondary symbol.

    Supported flags of the secondary data:

    * "$" lot; "$+" serial; "$$" expiry + lot; "$$+" expiry + serial;
    * after "$$" and "$$+" the date format flag: "0" or "1" MMYY (the flag is the month's
      first digit), "2" MMDDYY, "3" YYMMDD, "4" YYMMDDHH, "5" YYJJJ, "6" YYJJJHH, "7" no date;
    * "8" + 2-digit and "9" + 5-digit quantity after "$$" or "$$+", then the same date
      flags (or none) and the lot or serial number;
    * a leading digit: the old form of 1D labels, YYJJJ + lot;
    * supplemental fields after "/": "S" serial, "Q" quantity (1 to 5 digits), "14D" expiry
      YYYYMMDD, "16D" manufacture date YYYYMMDD (a leading "14D"/"16D" is never read as YYJJJ).

    A primary and a secondary symbol scanned one after the other (Enter or Tab between them,
    or nothing) are read together when the secondary's link character is the primary's
    check character, and refused otherwise.

    Any other flag is refused by name. Lots and serials hold at most 18 characters. An
    MMYY expiry means the end of that month, as the GS1 day "00" does; two-digit years
    follow the GS1 window. Check characters are modulo 43 over every preceding character,
    "+" included; the Code 39 caption's "*" delimiters are dropped and its "_" stands for
    a space check character (HIBCC, hibcc.org/m43/terms.htm). The structure was cross-checked
    against the test suites of DacoTaco/BarcodeParserBuilder and chriswjones/HibcBarcodeParsing.
    """
    code = text
    if len(code) > 2 and code.startswith("*") and code.endswith("*"):
        code = code[1:-1]  # Code 39 caption asterisks are not barcode data
    if code.endswith("_"):
        code = code[:-1] + " "  # the caption shows a space check character as "_"
    for position, char in enumerate(code, start=1):
        if char not in _HIBC_CHARACTERS:
            raise _hibc_refusal(
                _(
                    "HIBC: the character '%(char)s' at position %(position)s is not in the HIBC "
                    "character set (0-9, A-Z, - . space $ / + %%)."
                )
                % {"char": _printable(char), "position": position}
            )
    if len(code) < 3:
        raise _hibc_refusal(_("HIBC: '%(code)s' is too short to be an HIBC code.") % {"code": code})

    joined = _HIBC_JOINED.match(code)
    if joined:
        primary = code[: joined.end()]
        _verify_check_character(primary, "primary")
        udi_di = _hibc_primary(primary[1:-1])
        fields, link = _hibc_secondary_symbol(code[joined.end() :])
        if link != primary[-1]:
            raise _hibc_refusal(
                _(
                    "HIBC: the secondary data has link character %(link)s, but the primary data's check "
                    "character is %(check)s; they are not from the same label."
                )
                % {"link": _shown(link), "check": _shown(primary[-1])}
            )
        return _hibc_result(udi_di, fields)

    if code[1].isalpha():
        _verify_check_character(code, "whole")
        primary_text, *segments = code[1:-1].split("/")
        udi_di = _hibc_primary(primary_text)
        fields = _HibcFields()
        for number, segment in enumerate(segments):
            _hibc_segment(segment, fields, first=number == 0)
        return _hibc_result(udi_di, fields)
    fields, _link = _hibc_secondary_symbol(code)
    return _hibc_result(None, fields)


def _verify_check_character(code: str, part: str) -> None:
    """The last character of ``code`` must be the check character of the rest."""
    expected = hibc_check_character(code[:-1])
    if code[-1] != expected:
        if part == "primary":
            message = _(
                "HIBC: check character %(found)s of the primary data is wrong; it should be %(expected)s."
            )
        elif part == "secondary":
            message = _(
                "HIBC: check character %(found)s of the secondary data is wrong; it should be %(expected)s."
            )
        else:
            message = _("HIBC: check character %(found)s is wrong; it should be %(expected)s.")
        raise _hibc_refusal(message % {"found": _shown(code[-1]), "expected": _shown(expected)})


def _shown(char: str) -> str:
    """A check character as a reader can see it (a space would vanish in the message)."""
    return _("space") if char == " " else char


def _hibc_primary(primary: str) -> str:
    """The UDI-DI (LIC + product number + unit of measure) of "LIC PCN U"."""
    if not _HIBC_PRIMARY.fullmatch(primary):
        raise _hibc_refusal(
            _(
                "HIBC: the primary data '%(primary)s' is not a labeler code (4 characters), a product "
                "number (1 to 18 letters or digits) and a unit of measure (1 digit)."
            )
            % {"primary": primary}
        )
    return primary


def _hibc_secondary_symbol(code: str) -> tuple[_HibcFields, str]:
    """A stand-alone secondary symbol: "+" data, link character, check character."""
    if len(code) < 4 or code[1] not in "$0123456789":
        raise _hibc_refusal(
            _(
                "HIBC: '%(code)s' is neither primary data (a labeler code after '+') nor secondary "
                "data ('$' or a date after '+')."
            )
            % {"code": code}
        )
    _verify_check_character(code, "secondary")
    fields = _HibcFields()
    for number, segment in enumerate(code[1:-2].split("/")):
        _hibc_segment(segment, fields, first=number == 0)
    return fields, code[-2]


def _hibc_segment(segment: str, fields: _HibcFields, *, first: bool) -> None:
    """One "/"-separated field of secondary or supplemental data."""
    if segment.startswith("$$"):
        name = "serial" if segment.startswith("$$+") else "lot"
        prefix = "$$+" if name == "serial" else "$$"
        rest = segment[len(prefix) :]
        if rest[:1] in ("8", "9"):
            digits = 2 if rest[0] == "8" else 5
            quantity = rest[1 : 1 + digits]
            if len(quantity) != digits or not quantity.isdigit():
                raise _hibc_refusal(
                    _(
                        "HIBC: the flag %(flag)s must be followed by a %(digits)s-digit quantity in '%(segment)s'."
                    )
                    % {"flag": prefix + rest[0], "digits": digits, "segment": segment}
                )
            fields.put("quantity", int(quantity))
            rest = rest[1 + digits :]
            if rest[:1] in ("8", "9"):
                raise _hibc_refusal(
                    _(
                        "HIBC: '%(segment)s' gives a quantity flag (8 or 9) twice; after the quantity "
                        "comes a date format flag (0 to 7) or the lot or serial number."
                    )
                    % {"segment": segment}
                )
        expiry, value = _hibc_dated(rest, segment)
        fields.put("expiry", expiry)
        fields.put(name, _hibc_lot_or_serial(value, name))
    elif segment.startswith("$+"):
        fields.put("serial", _hibc_lot_or_serial(segment[2:], "serial"))
    elif segment.startswith("$"):
        fields.put("lot", _hibc_lot_or_serial(segment[1:], "lot"))
    elif segment.startswith(("14D", "16D")):
        found = _hibc_date(segment[3:], "YYYYMMDD", segment)
        fields.put("expiry" if segment.startswith("14D") else "production_date", found)
    elif segment.startswith("S"):
        fields.put("serial", _hibc_lot_or_serial(segment[1:], "serial"))
    elif segment.startswith("Q"):
        if not segment[1:].isdigit() or len(segment) - 1 > _MAX_HIBC_QUANTITY_DIGITS:
            raise _hibc_refusal(
                _("HIBC: the quantity field '%(segment)s' must be 'Q' followed by 1 to 5 digits.")
                % {"segment": segment}
            )
        fields.put("quantity", int(segment[1:]))
    elif segment[:1].isdigit() and first:
        fields.put("expiry", _hibc_date(segment[:5], "YYJJJ", segment))
        fields.put("lot", _hibc_lot_or_serial(segment[5:], "lot"))
    else:
        raise _hibc_refusal(
            _(
                "HIBC: the data field '%(segment)s' does not start with a known flag "
                "($, $+, $$, $$+, a YYJJJ date first; then S, Q, 14D or 16D)."
            )
            % {"segment": segment}
        )


# Date format flag after "$$" / "$$+" → (format, length of the date).
_HIBC_DATE_FLAGS = {
    "2": ("MMDDYY", 6),
    "3": ("YYMMDD", 6),
    "4": ("YYMMDDHH", 8),
    "5": ("YYJJJ", 5),
    "6": ("YYJJJHH", 7),
}


def _hibc_dated(rest: str, segment: str) -> tuple[date | None, str]:
    """Split "flag date lot" into the expiry and what follows it."""
    flag = rest[:1]
    if flag == "":
        return None, ""
    if flag in ("0", "1"):
        return _hibc_date(rest[:4], "MMYY", segment), rest[4:]
    if flag == "7":
        return None, rest[1:]
    if flag in _HIBC_DATE_FLAGS:
        shape, length = _HIBC_DATE_FLAGS[flag]
        return _hibc_date(rest[1 : 1 + length], shape, segment), rest[1 + length :]
    raise _hibc_refusal(
        _("HIBC: '%(flag)s' in '%(segment)s' is not a date format flag (0 to 7).")
        % {"flag": flag, "segment": segment}
    )


def _full_year(two_digits: int) -> int:
    """GS1 General Specifications 7.12: within 49 years back and 50 forward from today."""
    this_year = datetime.now(tz=UTC).year
    year = this_year - this_year % 100 + two_digits
    if year - this_year > 50:
        return year - 100
    if year - this_year < -49:
        return year + 100
    return year


def _hibc_date(digits: str, shape: str, segment: str) -> date:
    """The date in ``digits`` laid out as ``shape``; hours are checked and dropped."""
    found: date | None = None
    if digits.isdigit() and len(digits) == len(shape):
        parts = {
            letter: int(digits[shape.index(letter * 2) :][: shape.count(letter)])
            for letter in "YMDJH"
            if letter in shape
        }
        year = parts["Y"] if shape.startswith("YYYY") else _full_year(parts["Y"])
        try:
            if "J" in shape:
                days = 366 if calendar.isleap(year) else 365
                if 1 <= parts["J"] <= days:
                    found = date(year, 1, 1) + timedelta(days=parts["J"] - 1)
            elif "D" in shape:
                found = date(year, parts["M"], parts["D"])
            else:
                found = date(year, parts["M"], calendar.monthrange(year, parts["M"])[1])
        except ValueError:  # month or day out of range
            found = None
        if parts.get("H", 0) > 23:
            found = None
    if found is None:
        raise _hibc_refusal(
            _("HIBC: '%(value)s' in '%(segment)s' is not a valid date in the form %(format)s.")
            % {"value": digits, "segment": segment, "format": shape}
        )
    return found


def _hibc_lot_or_serial(value: str, name: str) -> str | None:
    if len(value) > _MAX_HIBC_LOT_SERIAL:
        if name == "lot":
            message = _(
                "HIBC: the lot '%(value)s' has %(length)s characters; at most 18 are allowed."
            )
        else:
            message = _(
                "HIBC: the serial number '%(value)s' has %(length)s characters; at most 18 are allowed."
            )
        raise _hibc_refusal(message % {"value": value, "length": len(value)})
    return value or None


def _hibc_result(udi_di: str | None, fields: _HibcFields) -> ParsedUDI:
    if udi_di is None and fields == _HibcFields():
        raise _hibc_refusal(
            _("HIBC: the secondary data holds no lot, serial number, date or quantity.")
        )
    return ParsedUDI(
        symbology="HIBC",
        gtin=udi_di,
        lot=fields.lot,
        serial=fields.serial,
        expiry=fields.expiry,
        production_date=fields.production_date,
        valid=True,
        error=None,
        quantity=fields.quantity,
    )
