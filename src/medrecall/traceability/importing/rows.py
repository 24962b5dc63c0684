"""Turning one event row (from CSV, Excel or EPCIS) into a staging tuple: pure, no queries.

References that are small (device models by GTIN, locations by code) are resolved here
from dictionaries loaded once per import; lots and serials, which can be millions, are
resolved in SQL against the staging table."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from django.utils.translation import gettext as _

from medrecall.catalog.models import DeviceModel, TrackingLevel
from medrecall.core.gtin import gtin_problem, normalise_gtin
from medrecall.core.importing import MAX_WHOLE, whole_number
from medrecall.parties.models import Location
from medrecall.traceability.models import EventType

EVENT_TYPES = frozenset(EventType.values)
EVENT_TYPE_ALIASES = {
    "ship": "shipped",
    "shipping": "shipped",
    "receive": "received",
    "receiving": "received",
    "produce": "produced",
    "production": "produced",
    "commissioned": "produced",
    "install": "installed",
    "consume": "consumed",
    "implanted": "consumed",
    "used": "consumed",
    "return": "returned",
    "destroy": "destroyed",
    "transform": "transformed",
}
NEEDS_TO = frozenset({"produced", "shipped", "received", "returned", "installed"})
NEEDS_FROM = frozenset({"shipped", "consumed", "destroyed", "transformed"})

# The staging tuple, in this column order (see stage.STAGING_COLUMNS).
Staged = tuple[
    int,
    str,
    str,
    str,
    int,
    str,
    str | None,
    int,
    int | None,
    int | None,
    str,
    str | None,
    str | None,
    int | None,
    str | None,
]


@dataclass
class References:
    """Look-ups loaded once per import: one query per kind of reference."""

    models: dict[str, tuple[int, str]] = field(default_factory=dict)  # GTIN-14 -> (id, tracking)
    locations: dict[str, int] = field(default_factory=dict)  # code -> id

    @classmethod
    def load(cls) -> References:
        return cls(
            models={
                gtin: (pk, tracking)
                for pk, gtin, tracking in DeviceModel.objects.values_list(
                    "pk", "udi_di", "tracking"
                )
            },
            locations=dict(Location.objects.values_list("code", "pk")),
        )


# The cell texts ``EventParser.parse`` reads, in this order (``TableReader.tuples`` gives them).
FIELDS = (
    "event_id",
    "event_type",
    "event_time",
    "gtin",
    "lot",
    "serial",
    "quantity",
    "from_location",
    "to_location",
    "document_ref",
    "manufactured",
    "expiry",
    "into_gtin",
    "into_lot",
)
CACHE_SIZE = 65_536  # distinct texts remembered per kind of cell before the cache starts afresh

Problem = tuple[str, str, str]  # (column, code, message)


def utc_text(moment: datetime) -> str:
    """Naive UTC text, as Django itself stores datetimes in SQLite; PostgreSQL connections run
    in UTC under Django, so the same text casts to the right timestamptz."""
    return str(moment.astimezone(UTC).replace(tzinfo=None))


def parse_time(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(
            text.strip().replace(" ", "T", 1) if "T" not in text else text.strip()
        )
    except ValueError:
        return None
    return moment


def _required(column: str) -> Problem:
    return (column, "required", _("%(column)s is required.") % {"column": column})


def _lot_length() -> str:
    return _("A lot number has at most 20 characters (GS1 AI 10).")


def _unknown_location(column: str, code: str) -> Problem:
    return (
        column,
        "unknown_location",
        _("No location has code %(code)s; import it first.") % {"code": code},
    )


def _needed_by(kind: str, column: str) -> Problem:
    return (
        column,
        "required",
        _("A %(type)s event needs %(column)s.") % {"type": kind, "column": column},
    )


class EventParser:
    """Checks event rows against the references of one import and turns each into a staging
    tuple: pure, no queries.

    A file repeats the same few products, locations, quantities and times on millions of rows,
    so what a cell's text means (its value, or the problem with it) is worked out once per
    distinct text and remembered for the rest of the import (``CACHE_SIZE`` texts per kind)."""

    def __init__(self, refs: References) -> None:
        self.refs = refs
        self._kinds: dict[str, tuple[str, list[Problem]]] = {}
        self._times: dict[str, tuple[str | None, list[Problem]]] = {}
        self._gtins: dict[str, tuple[tuple[int, str] | None, list[Problem]]] = {}
        self._into_gtins: dict[str, tuple[tuple[int, str] | None, list[Problem]]] = {}
        self._quantities: dict[tuple[str, bool], tuple[int, list[Problem]]] = {}
        self._dates: dict[tuple[str, str], tuple[date | None, list[Problem]]] = {}

    # -- one row ---------------------------------------------------------------------------
    def parse(self, row_no: int, v: tuple[str, ...], problems: list[Problem]) -> Staged | None:
        """Check one row (texts in ``FIELDS`` order) and return its staging tuple; append
        ``(column, code, message)`` problems."""
        (
            event_id,
            kind_text,
            time_text,
            gtin_text,
            lot,
            serial_text,
            quantity_text,
            from_code,
            to_code,
            document_ref,
            manufactured_text,
            expiry_text,
            into_gtin,
            into_lot_text,
        ) = v
        if not event_id:
            problems.append(_required("event_id"))
        elif len(event_id) > 200:
            problems.append(("event_id", "length", _("An event id has at most 200 characters.")))
        kind, utc, model = self._what_and_when(kind_text, time_text, gtin_text, problems)
        serial, quantity = self._unit(gtin_text, lot, serial_text, quantity_text, model, problems)
        from_id, to_id = self._locations(kind, from_code, to_code, problems)
        manufactured, expiry = self._made_and_expires(manufactured_text, expiry_text, problems)
        into_model_id, into_lot = self._into(kind, into_gtin, into_lot_text, problems)
        if problems or model is None or utc is None:
            return None
        return (
            row_no,
            event_id,
            kind,
            utc,
            model[0],
            lot,
            serial,
            quantity,
            from_id,
            to_id,
            document_ref[:100],
            manufactured.isoformat() if manufactured else None,
            expiry.isoformat() if expiry else None,
            into_model_id,
            into_lot,
        )

    # -- the parts of a row --------------------------------------------------------------------
    def _what_and_when(
        self, kind_text: str, time_text: str, gtin_text: str, problems: list[Problem]
    ) -> tuple[str, str | None, tuple[int, str] | None]:
        """The event type, its time as UTC text and the device model (id, tracking)."""
        known = self._kinds.get(kind_text)
        if known is None:
            known = self._remember(self._kinds, kind_text, self._kind(kind_text))
        kind, found = known
        if found:
            problems += found
        utc: str | None = None
        if not time_text:
            problems.append(_required("event_time"))
        else:
            moment = self._times.get(time_text)
            if moment is None:
                moment = self._remember(self._times, time_text, self._time(time_text))
            utc, found = moment
            if found:
                problems += found
        model: tuple[int, str] | None = None
        if not gtin_text:
            problems.append(_required("gtin"))
        else:
            product = self._gtins.get(gtin_text)
            if product is None:
                product = self._remember(self._gtins, gtin_text, self._gtin(gtin_text, "gtin"))
            model, found = product
            if found:
                problems += found
        return kind, utc, model

    def _unit(
        self,
        gtin_text: str,
        lot: str,
        serial_text: str,
        quantity_text: str,
        model: tuple[int, str] | None,
        problems: list[Problem],
    ) -> tuple[str | None, int]:
        """The lot's and serial's checks, and the quantity (1 for a serial row left empty)."""
        if not lot:
            problems.append(_required("lot"))
        elif len(lot) > 20:
            problems.append(("lot", "length", _lot_length()))
        serial = serial_text or None
        if serial is not None:
            if len(serial) > 20:
                problems.append(
                    (
                        "serial",
                        "length",
                        _("A serial number has at most 20 characters (GS1 AI 21)."),
                    )
                )
            if model is not None and model[1] == TrackingLevel.LOT:
                problems.append(
                    (
                        "serial",
                        "lot_tracked",
                        _(
                            "Device model %(gtin)s is tracked by lot; a row for it has no serial number."
                        )
                        % {"gtin": gtin_text},
                    )
                )
        key = (quantity_text, serial is not None)
        counted = self._quantities.get(key)
        if counted is None:
            counted = self._remember(
                self._quantities, key, self._quantity(quantity_text, serial is not None)
            )
        quantity, found = counted
        if found:
            problems += found
        return serial, quantity

    def _locations(
        self, kind: str, from_code: str, to_code: str, problems: list[Problem]
    ) -> tuple[int | None, int | None]:
        """The from and to locations by code, and the ones the event type needs."""
        locations = self.refs.locations
        from_id = to_id = None
        if from_code:
            from_id = locations.get(from_code)
            if from_id is None:
                problems.append(_unknown_location("from_location", from_code))
        if to_code:
            to_id = locations.get(to_code)
            if to_id is None:
                problems.append(_unknown_location("to_location", to_code))
        if kind in NEEDS_TO and to_id is None and not to_code:
            problems.append(_needed_by(kind, "to_location"))
        if kind in NEEDS_FROM and from_id is None and not from_code:
            problems.append(_needed_by(kind, "from_location"))
        if kind == "shipped" and from_id is not None and from_id == to_id:
            problems.append(
                ("to_location", "same_location", _("A shipment goes from one location to another."))
            )
        return from_id, to_id

    def _made_and_expires(
        self, manufactured_text: str, expiry_text: str, problems: list[Problem]
    ) -> tuple[date | None, date | None]:
        manufactured = expiry = None
        if manufactured_text:
            manufactured = self._date(manufactured_text, "manufactured", problems)
        if expiry_text:
            expiry = self._date(expiry_text, "expiry", problems)
            if manufactured and expiry and expiry < manufactured:
                problems.append(
                    ("expiry", "date_order", _("The expiry date is before the manufacture date."))
                )
        return manufactured, expiry

    def _into(
        self, kind: str, into_gtin: str, into_lot_text: str, problems: list[Problem]
    ) -> tuple[int | None, str | None]:
        """The finished lot a transformed event makes (nothing for other events)."""
        if kind != "transformed":
            return None, None
        into_model_id: int | None = None
        into_lot = into_lot_text or None
        if not into_gtin or not into_lot:
            problems.append(
                (
                    "into_lot",
                    "required",
                    _("A transformed event names the finished lot in into_gtin and into_lot."),
                )
            )
        else:
            product = self._into_gtins.get(into_gtin)
            if product is None:
                product = self._remember(
                    self._into_gtins, into_gtin, self._gtin(into_gtin, "into_gtin")
                )
            into_model, found = product
            if found:
                problems += found
            elif into_model is not None:
                into_model_id = into_model[0]
        if into_lot and len(into_lot) > 20:
            problems.append(("into_lot", "length", _lot_length()))
        return into_model_id, into_lot

    # -- what one text means, worked out once ----------------------------------------------
    @staticmethod
    def _remember(cache: dict[Any, Any], text: Any, meaning: Any) -> Any:
        if len(cache) >= CACHE_SIZE:
            cache.clear()
        cache[text] = meaning
        return meaning

    @staticmethod
    def _kind(text: str) -> tuple[str, list[Problem]]:
        kind = text.strip().lower()
        kind = EVENT_TYPE_ALIASES.get(kind, kind)
        if kind in EVENT_TYPES:
            return kind, []
        return kind, [
            (
                "event_type",
                "choice",
                _("%(value)s is not an event type; use one of: %(allowed)s.")
                % {"value": text, "allowed": ", ".join(EventType.values)},
            )
        ]

    @staticmethod
    def _time(text: str) -> tuple[str | None, list[Problem]]:
        moment = parse_time(text)
        if moment is None:
            return None, [
                (
                    "event_time",
                    "date",
                    _("%(value)s is not an ISO 8601 time (e.g. 2025-03-01T09:30:00+08:00).")
                    % {"value": text},
                )
            ]
        if moment.tzinfo is None:
            return None, [
                (
                    "event_time",
                    "timezone",
                    _("%(value)s has no UTC offset; add one, e.g. +08:00 or Z.") % {"value": text},
                )
            ]
        try:
            return utc_text(moment), []
        except (
            OverflowError
        ):  # 0001-01-01T00:00+08:00 is before the first day a datetime holds in UTC
            return None, [
                (
                    "event_time",
                    "date",
                    _("%(value)s is not an ISO 8601 time (e.g. 2025-03-01T09:30:00+08:00).")
                    % {"value": text},
                )
            ]

    def _gtin(self, text: str, column: str) -> tuple[tuple[int, str] | None, list[Problem]]:
        if problem := gtin_problem(text):
            return None, [(column, "gtin", problem)]
        model = self.refs.models.get(normalise_gtin(text))
        if model is None:
            return None, [
                (
                    column,
                    "unknown_product",
                    _("No device model has GTIN %(gtin)s; import it first.") % {"gtin": text},
                )
            ]
        return model, []

    @staticmethod
    def _quantity(quantity_text: str, has_serial: bool) -> tuple[int, list[Problem]]:
        quantity_text = quantity_text.strip()
        if has_serial and not quantity_text:
            return 1, []
        if not quantity_text:
            return 0, [
                ("quantity", "required", _("%(column)s is required.") % {"column": "quantity"})
            ]
        quantity, problem = whole_number(quantity_text, "quantity", low=-MAX_WHOLE)
        if quantity is None or problem:
            return 0, [problem] if problem else []
        if quantity <= 0:
            return quantity, [
                (
                    "quantity",
                    "quantity",
                    _("The quantity must be greater than zero; it is %(value)s.")
                    % {"value": quantity_text},
                )
            ]
        if has_serial and quantity != 1:
            return quantity, [
                (
                    "quantity",
                    "serial_quantity",
                    _("A row with a serial number has quantity 1; it is %(value)s.")
                    % {"value": quantity_text},
                )
            ]
        return quantity, []

    def _date(self, text: str, column: str, problems: list[Problem]) -> date | None:
        key = (text, column)
        known = self._dates.get(key)
        if known is None:
            try:
                known = (date.fromisoformat(text[:10]), [])
            except ValueError:
                known = (
                    None,
                    [
                        (
                            column,
                            "date",
                            _("%(value)s is not a date (use YYYY-MM-DD).") % {"value": text},
                        )
                    ],
                )
            self._remember(self._dates, key, known)
        if known[1]:
            problems += known[1]
        return known[0]


def event_texts(v: dict[str, Any]) -> tuple[str, ...]:
    """A row given as ``column -> text`` (API, EPCIS, demo) as the texts ``EventParser`` reads."""
    return tuple(v.get(name) or "" for name in FIELDS)


def parse_event(
    row_no: int, v: dict[str, str], refs: References, problems: list[Problem]
) -> Staged | None:
    """Check one row given as ``column -> text`` and return its staging tuple; append
    ``(column, code, message)`` problems. (Many rows: one ``EventParser`` for all of them.)"""
    return EventParser(refs).parse(row_no, event_texts(v), problems)


def as_values(row: Any) -> dict[str, str]:
    """For callers holding other shapes (EPCIS): the dictionary ``parse_event`` reads."""
    return {k: ("" if val is None else str(val)) for k, val in row.items()}
