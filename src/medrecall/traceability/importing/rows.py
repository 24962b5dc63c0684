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
from medrecall.parties.models import Location
from medrecall.traceability.models import EventType

EVENT_TYPES = frozenset(EventType.values)
EVENT_TYPE_ALIASES = {"ship": "shipped", "shipping": "shipped", "receive": "received", "receiving": "received",
                      "produce": "produced", "production": "produced", "commissioned": "produced",
                      "install": "installed", "consume": "consumed", "implanted": "consumed", "used": "consumed",
                      "return": "returned", "destroy": "destroyed", "transform": "transformed"}
NEEDS_TO = frozenset({"produced", "shipped", "received", "returned", "installed"})
NEEDS_FROM = frozenset({"shipped", "consumed", "destroyed", "transformed"})

# The staging tuple, in this column order (see stage.STAGING_COLUMNS).
Staged = tuple[int, str, str, str, int, str, str | None, int, int | None, int | None, str, str | None, str | None,
               int | None, str | None]


@dataclass
class References:
    """Look-ups loaded once per import: one query per kind of reference."""

    models: dict[str, tuple[int, str]] = field(default_factory=dict)  # GTIN-14 -> (id, tracking)
    locations: dict[str, int] = field(default_factory=dict)  # code -> id

    @classmethod
    def load(cls) -> References:
        return cls(
            models={gtin: (pk, tracking) for pk, gtin, tracking in
                    DeviceModel.objects.values_list("pk", "udi_di", "tracking")},
            locations=dict(Location.objects.values_list("code", "pk")),
        )


def utc_text(moment: datetime) -> str:
    """Naive UTC text, as Django itself stores datetimes in SQLite; PostgreSQL connections run
    in UTC under Django, so the same text casts to the right timestamptz."""
    return str(moment.astimezone(UTC).replace(tzinfo=None))


def parse_time(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.strip().replace(" ", "T", 1) if "T" not in text else text.strip())
    except ValueError:
        return None
    return moment


def parse_event(row_no: int, v: dict[str, str], refs: References, problems: list[tuple[str, str, str]]) -> Staged | None:
    """Check one row and return its staging tuple; append ``(column, code, message)`` problems."""
    event_id = v.get("event_id", "")
    if not event_id:
        problems.append(("event_id", "required", _("%(column)s is required.") % {"column": "event_id"}))
    elif len(event_id) > 200:
        problems.append(("event_id", "length", _("An event id has at most 200 characters.")))
    kind = v.get("event_type", "").strip().lower()
    kind = EVENT_TYPE_ALIASES.get(kind, kind)
    if kind not in EVENT_TYPES:
        problems.append(("event_type", "choice", _("%(value)s is not an event type; use one of: %(allowed)s.") % {
            "value": v.get("event_type", ""), "allowed": ", ".join(EventType.values)}))
    time_text = v.get("event_time", "")
    moment = parse_time(time_text) if time_text else None
    if not time_text:
        problems.append(("event_time", "required", _("%(column)s is required.") % {"column": "event_time"}))
    elif moment is None:
        problems.append(("event_time", "date", _("%(value)s is not an ISO 8601 time (e.g. 2025-03-01T09:30:00+08:00).") % {
            "value": time_text}))
    elif moment.tzinfo is None:
        problems.append(("event_time", "timezone", _("%(value)s has no UTC offset; add one, e.g. +08:00 or Z.") % {
            "value": time_text}))
        moment = None
    gtin_text = v.get("gtin", "")
    model: tuple[int, str] | None = None
    if not gtin_text:
        problems.append(("gtin", "required", _("%(column)s is required.") % {"column": "gtin"}))
    elif problem := gtin_problem(gtin_text):
        problems.append(("gtin", "gtin", problem))
    else:
        model = refs.models.get(normalise_gtin(gtin_text))
        if model is None:
            problems.append(("gtin", "unknown_product", _("No device model has GTIN %(gtin)s; import it first.") % {
                "gtin": gtin_text}))
    lot = v.get("lot", "")
    if not lot:
        problems.append(("lot", "required", _("%(column)s is required.") % {"column": "lot"}))
    elif len(lot) > 20:
        problems.append(("lot", "length", _("A lot number has at most 20 characters (GS1 AI 10).")))
    serial = v.get("serial", "") or None
    if serial is not None:
        if len(serial) > 20:
            problems.append(("serial", "length", _("A serial number has at most 20 characters (GS1 AI 21).")))
        if model is not None and model[1] == TrackingLevel.LOT:
            problems.append(("serial", "lot_tracked", _("Device model %(gtin)s is tracked by lot; a row for it has no serial number.") % {
                "gtin": gtin_text}))
    quantity_text = v.get("quantity", "").strip()
    quantity = 0
    if serial is not None and not quantity_text:
        quantity = 1
    elif not quantity_text:
        problems.append(("quantity", "required", _("%(column)s is required.") % {"column": "quantity"}))
    else:
        text = quantity_text[:-2] if quantity_text.endswith(".0") else quantity_text
        if not text.lstrip("-").isdigit():
            problems.append(("quantity", "integer", _("%(value)s is not a whole number.") % {"value": quantity_text}))
        else:
            quantity = int(text)
            if quantity <= 0:
                problems.append(("quantity", "quantity", _("The quantity must be greater than zero; it is %(value)s.") % {
                    "value": quantity_text}))
            elif serial is not None and quantity != 1:
                problems.append(("quantity", "serial_quantity", _("A row with a serial number has quantity 1; it is %(value)s.") % {
                    "value": quantity_text}))
    from_id = _location(v, "from_location", refs, problems)
    to_id = _location(v, "to_location", refs, problems)
    if kind in NEEDS_TO and to_id is None and not v.get("to_location"):
        problems.append(("to_location", "required", _("A %(type)s event needs %(column)s.") % {"type": kind, "column": "to_location"}))
    if kind in NEEDS_FROM and from_id is None and not v.get("from_location"):
        problems.append(("from_location", "required", _("A %(type)s event needs %(column)s.") % {"type": kind, "column": "from_location"}))
    if kind == "shipped" and from_id is not None and from_id == to_id:
        problems.append(("to_location", "same_location", _("A shipment goes from one location to another.")))
    manufactured = _date(v, "manufactured", problems)
    expiry = _date(v, "expiry", problems)
    if manufactured and expiry and expiry < manufactured:
        problems.append(("expiry", "date_order", _("The expiry date is before the manufacture date.")))
    into_model_id: int | None = None
    into_lot = v.get("into_lot", "") or None
    if kind == "transformed":
        into_gtin = v.get("into_gtin", "")
        if not into_gtin or not into_lot:
            problems.append(("into_lot", "required", _("A transformed event names the finished lot in into_gtin and into_lot.")))
        elif problem := gtin_problem(into_gtin):
            problems.append(("into_gtin", "gtin", problem))
        else:
            into_model = refs.models.get(normalise_gtin(into_gtin))
            if into_model is None:
                problems.append(("into_gtin", "unknown_product", _("No device model has GTIN %(gtin)s; import it first.") % {
                    "gtin": into_gtin}))
            else:
                into_model_id = into_model[0]
        if into_lot and len(into_lot) > 20:
            problems.append(("into_lot", "length", _("A lot number has at most 20 characters (GS1 AI 10).")))
    else:
        into_lot = None
    document_ref = v.get("document_ref", "")[:100]
    if problems or model is None or moment is None:
        return None
    return (row_no, event_id, kind, utc_text(moment), model[0], lot, serial, quantity, from_id, to_id, document_ref,
            manufactured.isoformat() if manufactured else None, expiry.isoformat() if expiry else None,
            into_model_id, into_lot)


def _location(v: dict[str, str], column: str, refs: References, problems: list[tuple[str, str, str]]) -> int | None:
    code = v.get(column, "")
    if not code:
        return None
    found = refs.locations.get(code)
    if found is None:
        problems.append((column, "unknown_location", _("No location has code %(code)s; import it first.") % {"code": code}))
    return found


def _date(v: dict[str, str], column: str, problems: list[tuple[str, str, str]]) -> date | None:
    text = v.get(column, "")
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        problems.append((column, "date", _("%(value)s is not a date (use YYYY-MM-DD).") % {"value": text}))
        return None


def as_values(row: Any) -> dict[str, str]:
    """For callers holding other shapes (EPCIS): the dictionary ``parse_event`` reads."""
    return {k: ("" if val is None else str(val)) for k, val in row.items()}
