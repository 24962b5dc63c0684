"""Pure parsers for the free text of openFDA records: dates, quantities, code information and
distribution patterns. No database access; each returns what it could read and never raises on
free text (only dates can be wrong, and the importer refuses the file for them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from medrecall.traceability.udi import parse_udi

# -- dates -----------------------------------------------------------------------------------

_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_US = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")


@lru_cache(maxsize=8192)
def parse_fda_date(value: str) -> date | None:
    """``YYYYMMDD`` (openFDA), also ``YYYY-MM-DD`` (the recall downloads) and ``MM/DD/YYYY``
    (the weekly enforcement reports before openFDA); blank is ``None``. Raises ``ValueError``
    for anything else, or an impossible day (``20230231``). Remembered for the last 8,192
    texts (a date is immutable; a file's records share their days, and an error is not
    remembered)."""
    text = value.strip()
    if not text:
        return None
    if match := _COMPACT.fullmatch(text) or _ISO.fullmatch(text):
        year, month, day = (int(g) for g in match.groups())
    elif match := _US.fullmatch(text):
        month, day, year = (int(g) for g in match.groups())
    else:
        raise ValueError(text)
    return date(year, month, day)


# -- quantity --------------------------------------------------------------------------------

_NUMBER = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\d/])")
_UNIT = re.compile(r"\s*([A-Za-z][A-Za-z\-]*)")
_NOT_UNITS = frozenset(
    {"us", "u", "usa", "total", "ous", "in", "of", "and", "the", "domestic", "for", "all", "per"}
    | {"each", "approximately", "approx", "over", "recalled"}
)
MAX_QUANTITY = 9_223_372_036_854_775_807


@dataclass(frozen=True)
class Quantity:
    value: int | None
    unit: str


@lru_cache(maxsize=4096)
def parse_quantity(text: str) -> Quantity:
    """The first number of ``product_quantity`` is the quantity (thousands separated by commas),
    the word right after it its unit: ``"2,284 cases (137,040 Biological Indicators)"`` is 2284
    cases, ``"83 (63 USA, 20 OUS)"`` is 83, ``"US-  606"`` is 606. No number: ``None``.
    Remembered for the last 4,096 texts (the answer is immutable; the products of one recall
    event often share their quantity)."""
    match = _NUMBER.search(text)
    if not match:
        return Quantity(None, "")
    value = int(match.group(1).replace(",", ""))
    if value > MAX_QUANTITY:
        return Quantity(None, "")
    unit_match = _UNIT.match(text, match.end())
    unit = unit_match.group(1).lower() if unit_match else ""
    return Quantity(value, "" if unit in _NOT_UNITS else unit[:40])


# -- code information -------------------------------------------------------------------------

_LABEL = re.compile(
    r"""(?ix)
    (?<![\w/])
    (?=[ugblsmrcpivUGBLSMRCPIV])  # the labels' first letters: fails fast everywhere else
    (?:
        (?P<udi>udi(?:-?di)?|gtin)
      | (?P<lot>lot(?:/batch)?s?|batch(?:es)?|batch/lot)
      | (?P<serial>serial(?:\s*numbers?|\s*nos?\.?|s)?|s/n|sn)
      | (?P<model>models?|ref|cat(?:alog|\.)?(?:ue)?|part|p/n|item|catalogue)
      | (?P<version>software\s+versions?|versions?|sw\s+versions?)
    )
    (?:\s*(?:numbers?|nos?\.?|\#|codes?))?
    (?![\w])
    [\s:#.]*
    """
)
_ENUMERATION = re.compile(r"(?=[(\d])(?:^|(?<=[\s;,]))\(?\d{1,2}\)\s*")
_GS1 = re.compile(r"(?:\(\d{2,4}\)[0-9A-Za-z\-./]+)+")
_RANGE = re.compile(r"^(\S+)\s+(?:thru|through|to|-|–)\s+(\S+)$", re.IGNORECASE)
_ITEM_SPLIT = re.compile(r"(?=[\s,;&aAoO])\s*(?:[,;&]|\band\b|\bor\b)\s*", re.IGNORECASE)
_IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-./_]*")
_DATE_LIKE = re.compile(r"^\d{1,2}/\d{1,2}/\d{2,4}$|^\d{4}-\d{2}-\d{2}$")
_FILLER = frozenset({"number", "numbers", "no", "nos", "no.", "#", ":", "code", "codes"})
_KINDS = ("udi", "lot", "serial", "model", "version")
# Every label contains one of these (a text without any has no label: skip the scan).
_LABEL_WORDS: tuple[str, ...] = ("udi", "gtin", "lot", "batch", "serial", "s/n", "sn", "model")
_LABEL_WORDS += ("ref", "cat", "part", "p/n", "item", "version")


_LISTS = {"lot": "lots", "serial": "serials", "model": "models", "version": "versions"}
_DIGIT = re.compile(r"\d")


@dataclass
class Codes:
    """What the code information names, in the order found, without repeats."""

    lots: list[str] = field(default_factory=list)
    lot_ranges: list[list[str]] = field(default_factory=list)
    serials: list[str] = field(default_factory=list)
    serial_ranges: list[list[str]] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    versions: list[str] = field(default_factory=list)
    udis: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """Only the kinds found (an empty dict when nothing was read)."""
        return {name: value for name, value in self.__dict__.items() if value}

    def add(self, kind: str, value: str) -> None:
        name = _LISTS.get(kind)
        if name is not None:
            target: list[str] = getattr(self, name)
            if value not in target:
                target.append(value)

    def add_range(self, kind: str, low: str, high: str) -> None:
        target = self.serial_ranges if kind == "serial" else self.lot_ranges
        if [low, high] not in target:
            target.append([low, high])


def _identifier(word: str, kind: str) -> str | None:
    """A code as written (trailing punctuation dropped), if it looks like one: letters, digits
    and ``-./_``, with at least one digit (a version: digits and dots), and not a date."""
    word = word.strip().rstrip(".,;:)").lstrip("(")
    if not word or len(word) > 60 or not _IDENTIFIER.fullmatch(word):
        return None
    if not _DIGIT.search(word) or _DATE_LIKE.match(word):
        return None
    return word


def _udi(text: str) -> dict[str, str] | None:
    parsed = parse_udi(text if text.startswith("(") else f"(01){text}")
    if not parsed.valid or not parsed.gtin:
        return None
    found = {"gtin": parsed.gtin}
    if parsed.lot:
        found["lot"] = parsed.lot
    if parsed.serial:
        found["serial"] = parsed.serial
    if parsed.expiry:
        found["expiry"] = parsed.expiry.isoformat()
    return found


_VERSION = re.compile(r"[vV]?\d[\w.\-]*")


def _read_list(codes: Codes, kind: str, segment: str) -> None:
    """Items after a label, up to the first item that is not a code (``"40041, exp. date
    February 2015"`` gives 40041 and stops)."""
    for item in _ITEM_SPLIT.split(segment.strip()):
        item = item.strip()
        if not item or item.lower() in _FILLER:
            continue
        if (match := _RANGE.match(item)) and kind in ("lot", "serial"):
            low, high = _identifier(match.group(1), kind), _identifier(match.group(2), kind)
            if low and high:
                codes.add_range(kind, low, high)
                continue
        first = item.split(None, 1)[0]
        if kind == "udi":
            found = _udi(first.rstrip(".,;"))
            if found is None:
                return
            _add_udi(codes, found)
            continue
        value = _identifier(first, kind)
        if value is None or (kind == "version" and not _VERSION.fullmatch(value)):
            return
        codes.add(kind, value)


def _add_udi(codes: Codes, found: dict[str, str]) -> None:
    if found not in codes.udis:
        codes.udis.append(found)
    if "lot" in found:
        codes.add("lot", found["lot"])
    if "serial" in found:
        codes.add("serial", found["serial"])


def parse_code_info(text: str) -> Codes:
    """Lots, serials, models (REF, catalogue, part numbers), software versions and UDIs named in
    ``code_info``. GS1 UDIs in human-readable form (``(01)…(17)…(10)…``) anywhere in the text
    are read by the UDI parser; then each label (``Lot``, ``Lot #``, ``Lot/Batch Numbers:``,
    ``Serial``, ``S/N``, ``Model``, ``REF``, ``Cat. No.``, ``P/N``, ``Software version``,
    ``UDI-DI``) starts a list that runs to the next label: items separated by ``,``, ``;``,
    ``and``, ``or``; ``A thru B`` / ``A through B`` / ``A to B`` / ``A - B`` is a range."""
    codes = Codes()
    if not text.strip():
        return codes
    if "(0" in text:  # a GS1 UDI starts with (01); the regular expressions cost per character
        for match in _GS1.finditer(text):
            if found := _udi(match.group(0)):
                _add_udi(codes, found)
        text = _GS1.sub(" ", text)
    lower = text.lower()
    if not any(word in lower for word in _LABEL_WORDS):
        return codes
    if ")" in text:
        text = _ENUMERATION.sub(" ", text)
    labels = list(_LABEL.finditer(text))
    for index, label in enumerate(labels):
        kind = next(k for k in _KINDS if label.group(k))
        end = labels[index + 1].start() if index + 1 < len(labels) else len(text)
        _read_list(codes, kind, text[label.end() : end])
    return codes


# -- distribution pattern --------------------------------------------------------------------

US_STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "FL": "Florida", "GA": "Georgia",
    "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa",
    "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland",
    "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi",
    "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire",
    "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York", "NC": "North Carolina",
    "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania",
    "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee",
    "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington",
    "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming", "DC": "District of Columbia",
    "PR": "Puerto Rico", "GU": "Guam", "VI": "Virgin Islands",
}  # fmt: skip
# Two-letter codes that are also English words: in text written all in capitals they are read
# as words, not states ("NATIONWIDE DISTRIBUTION IN ...").
_WORD_CODES = frozenset({"IN", "OR", "ME", "OK", "HI", "DE", "LA", "MA", "PA", "ID", "OH"})
_COUNTRY_ALIASES = {
    "usa": "US", "u.s.": "US", "u.s.a.": "US", "us": "US", "america": "US",
    "united states": "US", "uk": "GB", "u.k.": "GB", "england": "GB", "scotland": "GB",
    "wales": "GB", "great britain": "GB", "britain": "GB", "korea": "KR", "south korea": "KR",
    "russia": "RU", "taiwan": "TW", "vietnam": "VN", "holland": "NL", "czech republic": "CZ",
    "turkey": "TR", "iran": "IR", "syria": "SY", "venezuela": "VE", "bolivia": "BO",
    "tanzania": "TZ", "macau": "MO", "macao": "MO", "hong kong": "HK", "laos": "LA",
    "moldova": "MD", "brunei": "BN", "uae": "AE", "ivory coast": "CI", "the netherlands": "NL",
    "puerto rico": "PR",
}  # fmt: skip
# Country names that are US state names too: in an FDA pattern they are the state.
_STATE_FIRST = frozenset({"georgia"})
_NATIONWIDE = re.compile(
    r"nation\s*-?\s*wide|all\s+(?:50\s+)?(?:us\s+|u\.s\.\s+)?states|throughout\s+the\s+(?:us|u\.s\.|united\s+states)",
    re.IGNORECASE,
)
_WORLDWIDE = re.compile(
    r"world\s*-?\s*wide|global(?:ly)?|international(?:ly)?|\bOUS\b|foreign", re.I
)
_WORDS = re.compile(r"[A-Za-z][A-Za-z.'\-]*")


@lru_cache(maxsize=1)
def _places() -> dict[str, tuple[str, str]]:
    """Lower-case name -> ("state" | "country", code), built once from pycountry and the table
    of US states."""
    import pycountry  # its tables take ~40 ms to load: when a text is first parsed

    places: dict[str, tuple[str, str]] = {}
    for country in pycountry.countries:
        for attribute in ("name", "common_name", "official_name"):
            name = getattr(country, attribute, None)
            if name and name.lower() not in _STATE_FIRST:
                places[name.lower()] = ("country", country.alpha_2)
    for alias, code in _COUNTRY_ALIASES.items():
        places[alias] = ("country", code)
    for code, name in US_STATES.items():
        places[name.lower()] = ("state", code)
    return places


@lru_cache(maxsize=1)
def _first_words() -> dict[str, tuple[int, ...]]:
    """First word of every place name of several words -> the name lengths to try, longest
    first (then 1): a word that starts no such name is looked up alone."""
    lengths: dict[str, set[int]] = {}
    for name in _places():
        parts = name.split()
        if len(parts) > 1:
            lengths.setdefault(parts[0], {1}).add(len(parts))
    return {word: tuple(sorted(found, reverse=True)) for word, found in lengths.items()}


@dataclass(frozen=True)
class Distribution:
    nationwide: bool
    worldwide: bool
    states: tuple[str, ...]
    countries: tuple[str, ...]


@lru_cache(maxsize=4096)
def parse_distribution(text: str) -> Distribution:
    """US states (two-letter codes in capitals, or their names), "nationwide", "worldwide" /
    "internationally" / "OUS", and countries by name (pycountry's names and common aliases such
    as UK, Korea, Taiwan). States are sorted codes; countries ISO 3166 alpha-2 codes in the
    order named, with US first whenever the pattern names US distribution (states, nationwide,
    or the US itself). Remembered for the last 4,096 texts (the answer is immutable): the
    products of one recall event are published as records of their own, side by side, with
    the event's distribution pattern each."""
    nationwide = bool(_NATIONWIDE.search(text))
    worldwide = bool(_WORLDWIDE.search(text))
    places = _places()
    letters = sum(map(str.isalpha, text))  # C loops: a generator costs per character
    shouting = bool(letters) and sum(map(str.isupper, text)) > 0.8 * letters
    words = _WORDS.findall(text)
    lowered = [word.lower() for word in words]
    widths = _first_words()
    states: set[str] = set()
    countries: list[str] = []
    index = 0
    while index < len(words):
        for width in widths.get(lowered[index], (1,)):
            if width > 1 and len(words) - index < width:
                continue
            phrase = " ".join(lowered[index : index + width]).rstrip(".,'")
            place = places.get(phrase) if phrase != "us" or words[index].isupper() else None
            if place is None and width == 1:
                place = _state_code(words[index], shouting)
            if place is not None:
                kind, code = place
                if kind == "state":
                    states.add(code)
                elif code not in countries:
                    countries.append(code)
                index += width
                break
        else:
            index += 1
    if (states or nationwide) and "US" not in countries:
        countries.insert(0, "US")
    elif "US" in countries:
        countries.remove("US")
        countries.insert(0, "US")
    return Distribution(nationwide, worldwide, tuple(sorted(states)), tuple(countries))


def _state_code(word: str, shouting: bool) -> tuple[str, str] | None:
    bare = word.rstrip(".,'")
    if len(bare) == 2 and bare.isupper() and bare in US_STATES:
        if shouting and bare in _WORD_CODES:
            return None
        return ("state", bare)
    return None


# -- classes and names ------------------------------------------------------------------------

_CLASS = re.compile(r"^(?:class\s*)?(iii|ii|i|[123])$", re.IGNORECASE)


@lru_cache(maxsize=64)
def parse_class(value: str) -> int | None:
    """``Class II``, ``II``, ``2`` -> 2; blank or ``N``/``U``/``Not Classified`` -> ``None``."""
    match = _CLASS.match(value.strip())
    if not match:
        return None
    token = match.group(1).lower()
    return {"i": 1, "ii": 2, "iii": 3}.get(token) or int(token)


@lru_cache(maxsize=4096)
def firm_key(name: str) -> str:
    """A firm's name for matching: lower case, punctuation and legal forms dropped
    (``"Biosense Webster, Inc."`` -> ``"biosense webster"``). Remembered for the last 4,096
    names (a firm recalls several products at once, each a record of its own)."""
    words = _FIRM_WORDS.findall(name.lower())
    return " ".join(w for w in words if w not in _LEGAL_FORMS)[:255]


_FIRM_WORDS = re.compile(r"[a-z0-9]+")
_LEGAL_FORMS = frozenset({"inc", "llc", "ltd", "corp", "corporation", "co", "lp", "gmbh", "ag"})
_LEGAL_FORMS |= {"sa", "plc"}


_RECALL_NUMBER = re.compile(r"Recall\s*#\s*([A-Z]-\d{3,5}-\d{2,4})")


def recall_number_in(text: str) -> str:
    """The FDA recall number the weekly reports wrote into the product description
    (``"… Recall # Z-1773-2012"``), or blank."""
    match = _RECALL_NUMBER.search(text)
    return match.group(1) if match else ""


# -- the firm line of the weekly reports before openFDA ---------------------------------------

_MONTH_DATE = re.compile(
    r"\b(January|February|March|April|May|June|July|August|September|October|November|December)"
    r"\s+(\d{1,2}),\s*(\d{4})\b"
)
_MONTHS = {
    name: n
    for n, name in enumerate(
        (
            "January", "February", "March", "April", "May", "June", "July", "August",
            "September", "October", "November", "December",
        ),
        start=1,
    )
}  # fmt: skip
_HOW = re.compile(r",\s*(by\s.*?\d{4})\s*(?:\.\s*|$)", re.IGNORECASE)
_STATUS = re.compile(r"recall\s*is\s+(ongoing|complete[d]?|terminated)", re.IGNORECASE)
_STATUSES = {"ongoing": "Ongoing", "complete": "Completed", "completed": "Completed"}


def split_old_firm(text: str) -> dict[str, str] | None:
    """The weekly enforcement reports before openFDA (2012 and earlier) wrote the firm, its
    city and state, how and when it notified, the manufacturer and the status in one field:
    ``"Captiva Spine, Inc., Jupiter, FL, by letter dated May 4, 2012. Firm initiated recall is
    ongoing."``. Answers ``firm``, ``city``, ``state`` (or ``country`` when not a US state
    code), ``notification`` (``"by letter dated May 4, 2012"``, with the manufacturer when
    named), ``initiated`` (``YYYYMMDD`` of the first date of the notification, the firm's
    first notice, which is what openFDA's ``recall_initiation_date`` holds) and ``status``;
    ``None`` when the text is not in that shape (a plain firm name)."""
    body = re.sub(r"^\s*Recalling Firm:\s*", "", text, flags=re.IGNORECASE)
    how = _HOW.search(body)
    if how is None:
        return None
    head, rest = body[: how.start()], body[how.end() :]
    parts = [p.strip() for p in head.rsplit(",", 2)]
    if len(parts) < 3 or not all(parts):
        return None
    firm, city, region = parts
    found: dict[str, str] = {"firm": firm, "city": city}
    found["state" if re.fullmatch(r"[A-Z]{2}", region) else "country"] = region
    maker = re.search(r"Manufacturers?:\s*(.+?)\.\s*(?:Firm|$)", rest)
    found["notification"] = how.group(1) + (f"; manufacturer: {maker.group(1)}" if maker else "")
    if day := _MONTH_DATE.search(how.group(1)):
        month, number, year = _MONTHS[day.group(1)], int(day.group(2)), int(day.group(3))
        found["initiated"] = f"{year:04d}{month:02d}{number:02d}"
    if status := _STATUS.search(rest):
        found["status"] = _STATUSES.get(status.group(1).lower(), status.group(1).capitalize())
    return found
