"""Reads of traceability: forward and backward trace, current positions, events.

Each answer is built from a handful of set-based queries (see ``engine``); dictionaries of
codes are loaded once per answer, never per row."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, astuple, dataclass, field, fields
from typing import Any

from django.db.models import Q, QuerySet, Subquery, Sum
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from medrecall.catalog.models import DeviceModel, Lot, Serial
from medrecall.core.errors import NotFound, ValidationFailed
from medrecall.core.gtin import gtin_problem, normalise_gtin
from medrecall.core.types import Viewer
from medrecall.parties.models import Location, LocationType, PartyType

from . import engine
from .errors import SerialNotInLot
from .models import TraceEvent


@dataclass(frozen=True)
class HolderLine:
    location: str
    party: str
    received: int
    on_hand: int
    in_transit: int
    location_name: str = ""
    party_name: str = ""
    party_type: str = ""
    location_type: str = ""
    country: str = ""
    province: str = ""
    city: str = ""


HOLDER_FIELDS = tuple(f.name for f in fields(HolderLine))


def _holder_lines(rows: Sequence[Sequence[Any]]) -> list[HolderLine]:
    """Holder lines from rows in field order (``engine.HOLDER_COLUMNS``), without the frozen
    dataclass's ``__init__``, which sets each field through ``object.__setattr__``: the lines of
    a recall with 4,000 holders are built in 40% of the time (the same objects: equal, hashable)."""
    new, names = object.__new__, HOLDER_FIELDS
    lines = []
    for row in rows:
        line = new(HolderLine)
        line.__dict__.update(zip(names, row, strict=True))
        lines.append(line)
    return lines


@dataclass(frozen=True)
class ForwardTrace:
    lots: list[str]
    lot_details: list[dict[str, str]]
    holders: list[HolderLine]
    total_received: int
    total_on_hand: int
    total_in_transit: int
    summary: dict[str, int] = field(default_factory=dict)
    # A portal user's trace: the locations it shipped the units to, with the quantity (from its own events).
    shipped_to: list[dict[str, Any]] = field(default_factory=list)
    # Not part of the answer: what the graph is drawn from (None: every location may be shown).
    seed_lot_ids: tuple[int, ...] = ()
    serial_id: int | None = None
    visible_locations: frozenset[int] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "lots": self.lots,
            "holders": [
                {
                    "location": h.location,
                    "party": h.party,
                    "received": h.received,
                    "on_hand": h.on_hand,
                    "in_transit": h.in_transit,
                }
                for h in self.holders
            ],
            "total_received": self.total_received,
            "total_on_hand": self.total_on_hand,
            "total_in_transit": self.total_in_transit,
            "lot_details": self.lot_details,
            "summary": self.summary,
            "holder_details": [asdict(h) for h in self.holders],
            "shipped_to": self.shipped_to,
        }


def resolve_unit(
    *, gtin: str, lot: str = "", serial: str = ""
) -> tuple[DeviceModel, Lot, Serial | None]:
    """Find the device model, lot and (optional) serial a user asked about, or say what is missing."""
    if problem := gtin_problem(gtin):
        raise ValidationFailed(problem, where="gtin")
    model = DeviceModel.objects.filter(udi_di=normalise_gtin(gtin)).first()
    if model is None:
        raise NotFound(_("No device model has GTIN %(gtin)s.") % {"gtin": gtin}, where="gtin")
    if serial:
        found = (
            Serial.objects.select_related("lot").filter(device_model=model, serial=serial).first()
        )
        if found is None:
            raise NotFound(
                _("Serial %(serial)s of GTIN %(gtin)s is not known.")
                % {"serial": serial, "gtin": gtin},
                where="serial",
            )
        if lot and found.lot.number != lot:
            raise SerialNotInLot(serial=serial, lot=found.lot.number, given=lot)
        return model, found.lot, found
    if not lot:
        raise ValidationFailed(_("Give a lot or a serial number."), where="lot")
    found_lot = Lot.objects.filter(device_model=model, number=lot).first()
    if found_lot is None:
        raise NotFound(
            _("Lot %(lot)s of GTIN %(gtin)s is not known.") % {"lot": lot, "gtin": gtin},
            where="lot",
        )
    return model, found_lot, None


LOCATION_FIELDS = (
    "code",
    "name",
    "location_type",
    "country",
    "province",
    "city",
    "party__code",
    "party__name",
    "party__party_type",
)


def _location_index(location_ids: Sequence[int]) -> dict[int, dict[str, str]]:
    """The holders' location and party fields, read as values (no model per row)."""
    return {
        row["id"]: row
        for row in Location.objects.filter(pk__in=location_ids).values("id", *LOCATION_FIELDS)
    }


# The trace summary's keys and the words a reader sees for them (pages and exports use these).
TRACE_CATEGORIES: dict[str, Promise] = {
    "own_stock": gettext_lazy("Own stock"),
    "quarantine": gettext_lazy("Quarantine (returned)"),
    "in_transit": gettext_lazy("In transit"),
    "at_distributors": gettext_lazy("At distributors"),
    "at_customers": gettext_lazy("At customers"),
    "consumed": gettext_lazy("Consumed / implanted"),
    "destroyed": gettext_lazy("Destroyed"),
    "transformed": gettext_lazy("Built into other lots"),
}


def position_category(*, party_type: str, location_type: str) -> str:
    """Where a unit is, in the words of a recall's accounting: the one rule behind the trace
    summary and a recall's frozen scope lines (``recalls.services.scope_freeze``), so the two
    never disagree. Units on their way to a holder are counted apart, as ``in_transit``, by
    both."""
    if party_type == PartyType.OWN_SITE:
        return "quarantine" if location_type == LocationType.QUARANTINE else "own_stock"
    if party_type == PartyType.DISTRIBUTOR:
        return "at_distributors"
    return "at_customers"


HOLDER_SUMMARY_KEYS = ("own_stock", "quarantine", "in_transit", "at_distributors", "at_customers")


def _tally(rows: Iterable[Sequence[Any]]) -> tuple[dict[str, int], int, int, int]:
    """The summary of holder rows (in ``HOLDER_FIELDS`` order): units on hand per
    ``position_category`` plus everything in transit, and the totals received, on hand and in
    transit. The category is looked up once per kind of holder (a few kinds, thousands of
    holders)."""
    summary = dict.fromkeys(HOLDER_SUMMARY_KEYS, 0)
    categories: dict[tuple[str, str], str] = {}
    received = on_hand = in_transit = 0
    for _loc, _party, held, there, underway, _ln, _pn, party_type, location_type, *_place in rows:
        kind = (party_type, location_type)
        category = categories.get(kind)
        if category is None:
            category = categories[kind] = position_category(
                party_type=party_type, location_type=location_type
            )
        summary[category] += there
        received += held
        on_hand += there
        in_transit += underway
    summary["in_transit"] += in_transit
    return summary, received, on_hand, in_transit


def trace_forward_lots(
    seed_lot_ids: Sequence[int],
    *,
    serial_id: int | None = None,
    units: engine.Units | None = None,
) -> ForwardTrace:
    """Every holder of the seed lots and of the finished lots that consumed them (of one serial,
    or of a set's ``units``: see ``engine.set_trace``).

    ``engine.set_trace`` (two statements, each id set one parameter): the lots in scope with
    their numbers and device models, the holders with their location and party codes and
    names in location order, and the fates; Python only builds the lines and the summary."""
    lots, rows, fates = engine.set_trace(seed_lot_ids, serial_id=serial_id, units=units)
    holders = _holder_lines(rows)  # in location order
    summary, received, on_hand, in_transit = _tally(rows)
    for fate in ("consumed", "destroyed", "transformed"):
        summary[fate] = fates.get(fate, 0)
    return ForwardTrace(
        lots=[number for _pk, number, *_rest in lots],
        lot_details=[
            {"gtin": gtin, "lot": number, "device_model": name, "device_model_en": name_en}
            for _pk, number, gtin, name, name_en in lots
        ],
        holders=holders,
        total_received=received,
        total_on_hand=on_hand,
        total_in_transit=in_transit,
        summary=summary,
        seed_lot_ids=tuple(seed_lot_ids),
        serial_id=serial_id,
    )


def trace_forward(*, gtin: str, lot: str = "", serial: str = "") -> ForwardTrace:
    _model, found_lot, found_serial = resolve_unit(gtin=gtin, lot=lot, serial=serial)
    return trace_forward_lots([found_lot.pk], serial_id=found_serial.pk if found_serial else None)


def _not_known(*, gtin: str, lot: str, serial: str) -> NotFound:
    if serial:
        return NotFound(
            _("Serial %(serial)s of GTIN %(gtin)s is not known.")
            % {"serial": serial, "gtin": gtin},
            where="serial",
        )
    return NotFound(
        _("Lot %(lot)s of GTIN %(gtin)s is not known.") % {"lot": lot, "gtin": gtin}, where="lot"
    )


def resolve_unit_for(
    *, viewer: Viewer, gtin: str, lot: str = "", serial: str = ""
) -> tuple[DeviceModel, Lot, Serial | None]:
    """``resolve_unit`` as the viewer may ask it: a portal user may trace only a lot or serial that
    its party held (an event into or out of one of its locations). Anything else answers exactly as
    an unknown lot or serial, so the answer does not tell whether it exists."""
    if viewer.party_id is None:
        return resolve_unit(gtin=gtin, lot=lot, serial=serial)
    model, found_lot, found_serial = resolve_unit(
        gtin=gtin, lot="" if serial else lot, serial=serial
    )
    events = TraceEvent.objects.filter(lot=found_lot, retracted=False).filter(
        Q(to_location__party_id=viewer.party_id) | Q(from_location__party_id=viewer.party_id)
    )
    if found_serial is not None:
        events = events.filter(serial=found_serial)
    if not events.exists():
        raise _not_known(gtin=gtin, lot=lot, serial=serial)
    if found_serial is not None and lot and found_lot.number != lot:
        raise SerialNotInLot(serial=serial, lot=found_lot.number, given=lot)
    return model, found_lot, found_serial


def trace_forward_for(
    *, viewer: Viewer, gtin: str, lot: str = "", serial: str = ""
) -> ForwardTrace:
    """The forward trace the viewer may see.

    Staff: every holder. A portal user (only for a lot or serial its party held): the holder lines
    at its own party's locations, the summary of those lines alone (no consumed/destroyed totals of
    others), the traced lot itself (not the lots it was built into), and ``shipped_to``: the
    locations its own shipping events sent the units to, with the quantity shipped (the same facts
    ``/api/events/`` already shows it) but never what those consignees hold now."""
    _model, found_lot, found_serial = resolve_unit_for(
        viewer=viewer, gtin=gtin, lot=lot, serial=serial
    )
    serial_id = found_serial.pk if found_serial else None
    full = trace_forward_lots([found_lot.pk], serial_id=serial_id)
    if viewer.party_id is None:
        return full
    units = Q(lot=found_lot) & (Q(serial=found_serial) if found_serial is not None else Q())
    return portal_forward_view(full, party_id=viewer.party_id, units=units)


def portal_forward_view(full: ForwardTrace, *, party_id: int, units: Q) -> ForwardTrace:
    """A portal user's view of a forward trace (of one unit or a set): the holder lines at its
    own party's locations and their summary, the asked-for lots (``full.seed_lot_ids``, which
    ``full`` lists first), and ``shipped_to``: where its own shipments of ``units`` (a filter on
    events) went."""
    own = set(Location.objects.filter(party_id=party_id).values_list("pk", flat=True))
    own_codes = set(Location.objects.filter(pk__in=own).values_list("code", flat=True))
    holders = [h for h in full.holders if h.location in own_codes]
    summary, received, on_hand, in_transit = _tally([astuple(h) for h in holders])
    shipped, shipped_to = _shipped_to(units, own)
    lot_details = full.lot_details[: len(full.seed_lot_ids)]
    return ForwardTrace(
        lots=[lot["lot"] for lot in lot_details],
        lot_details=lot_details,
        holders=holders,
        total_received=received,
        total_on_hand=on_hand,
        total_in_transit=in_transit,
        summary=summary,
        shipped_to=shipped_to,
        seed_lot_ids=full.seed_lot_ids,
        serial_id=full.serial_id,
        visible_locations=frozenset(own | shipped),
    )


def _shipped_to(units: Q, own: set[int]) -> tuple[set[int], list[dict[str, Any]]]:
    """Where the party's own shipments of ``units`` went, outside its own locations: the
    locations, and per location its codes and names with the quantity shipped, by location code."""
    shipments = TraceEvent.objects.filter(
        units,
        retracted=False,
        event_type="shipped",
        from_location_id__in=own,
        to_location__isnull=False,
    ).exclude(to_location_id__in=own)
    shipped = dict(
        shipments.values_list("to_location_id").annotate(quantity=Sum("quantity")).order_by()
    )
    index = _location_index(list(shipped))
    shipped_to = sorted(
        (
            {
                "location": index[loc]["code"],
                "location_name": index[loc]["name"],
                "party": index[loc]["party__code"],
                "party_name": index[loc]["party__name"],
                "party_type": index[loc]["party__party_type"],
                "quantity": int(quantity),
            }
            for loc, quantity in shipped.items()
        ),
        key=lambda row: str(row["location"]),
    )
    return set(shipped), shipped_to


def trace_backward_for(
    *, viewer: Viewer, gtin: str, lot: str = "", serial: str = ""
) -> dict[str, Any]:
    """The backward trace the viewer may see. A portal user (only for a lot or serial its party
    held) sees the events into or out of its own locations, the holders those events name, where
    the unit is now only when that is one of its own locations, and no component lots."""
    _model, found_lot, _found_serial = resolve_unit_for(
        viewer=viewer, gtin=gtin, lot=lot, serial=serial
    )
    full = trace_backward(gtin=gtin, lot=found_lot.number, serial=serial)
    if viewer.party_id is None:
        return full
    own_codes = set(
        Location.objects.filter(party_id=viewer.party_id).values_list("code", flat=True)
    )
    return portal_backward_view(full, own_codes)


def portal_backward_view(full: dict[str, Any], own_codes: set[str]) -> dict[str, Any]:
    """A backward trace cut for a portal user whose locations are ``own_codes``: the steps into or
    out of them, the holders those steps name, where the unit is now only when that is one of
    them, and no component lots."""
    chain = [
        step
        for step in full["chain"]
        if step["from_location"] in own_codes or step["to_location"] in own_codes
    ]
    named = {
        code for step in chain for code in (step["from_location"], step["to_location"]) if code
    }
    return {
        **full,
        "chain": chain,
        "holders": [code for code in full["holders"] if code in named],
        "current_location": full["current_location"]
        if full["current_location"] in own_codes
        else None,
        "components": [],
    }


def trace_backward(*, gtin: str, lot: str = "", serial: str = "") -> dict[str, Any]:
    """The chain of holders back to production, and the component lots inside."""
    model, found_lot, found_serial = resolve_unit(gtin=gtin, lot=lot, serial=serial)
    events = TraceEvent.objects.filter(lot=found_lot, retracted=False).select_related(
        "from_location__party", "to_location__party"
    )
    if found_serial is not None:
        events = events.filter(serial=found_serial) | TraceEvent.objects.filter(
            lot=found_lot, serial__isnull=True, event_type="produced", retracted=False
        ).select_related("from_location__party", "to_location__party")
    edges = engine.component_lots(found_lot.pk)
    lots = {
        lot.pk: lot
        for lot in Lot.objects.select_related("device_model").filter(
            pk__in={e[0] for e in edges} | {e[1] for e in edges}
        )
    }
    found_lot.device_model = model  # the unit's GTIN is the one it was asked by
    lots[found_lot.pk] = found_lot
    return backward_answer(
        lots,
        found_lot.pk,
        found_serial.serial if found_serial else None,
        events.order_by("event_time", "id"),
        edges,
    )


def _chain_step(event: TraceEvent) -> dict[str, Any]:
    """One event of a backward trace's chain."""
    return {
        "event_id": event.event_id,
        "event_type": event.event_type,
        "event_time": event.event_time.isoformat(),
        "quantity": event.quantity,
        "document_ref": event.document_ref,
        "from_location": event.from_location.code if event.from_location else None,
        "from_party": event.from_location.party.code if event.from_location else None,
        "to_location": event.to_location.code if event.to_location else None,
        "to_party": event.to_location.party.code if event.to_location else None,
    }


def backward_answer(
    lots: dict[int, Lot],
    lot_id: int,
    serial: str | None,
    events: Iterable[TraceEvent],
    edges: list[tuple[int, int, int]],
) -> dict[str, Any]:
    """One unit's backward trace: its events in time order (``chain``), the holders it passed
    through, where it is now, and its component lots (``edges`` as ``engine.component_lots``
    gives them; ``lots`` holds the unit's lot and every lot the edges name, with their models)."""
    chain = []
    holders: list[str] = []
    current: str | None = None
    for event in events:
        chain.append(_chain_step(event))
        if (
            event.event_type in ("produced", "received", "returned", "shipped")
            and event.to_location
        ):
            if not holders or holders[-1] != event.to_location.code:
                holders.append(event.to_location.code)
            current = event.to_location.code
        elif event.event_type in ("consumed", "destroyed", "transformed"):
            current = None

    def components_of(parent_id: int) -> list[dict[str, Any]]:
        return [
            {
                "gtin": lots[c].device_model.udi_di,
                "lot": lots[c].number,
                "quantity": qty,
                "components": components_of(c),
            }
            for c, parent, qty in edges
            if parent == parent_id and c in lots
        ]

    lot = lots[lot_id]
    return {
        "gtin": lot.device_model.udi_di,
        "lot": lot.number,
        "serial": serial,
        "chain": chain,
        "holders": holders,
        "current_location": current,
        "components": components_of(lot_id),
    }


def event_list_for(
    *,
    viewer: Viewer,
    lot_id: int | None = None,
    serial_id: int | None = None,
    location_id: int | None = None,
) -> QuerySet[TraceEvent]:
    events = TraceEvent.objects.select_related(
        "lot__device_model", "serial", "from_location", "to_location"
    )
    if viewer.party_id is not None:
        events = events.filter(to_location__party_id=viewer.party_id) | events.filter(
            from_location__party_id=viewer.party_id
        )
    if lot_id is not None:
        events = events.filter(lot_id=lot_id)
    if serial_id is not None:  # through the serial's lot: the events are indexed by (lot, serial)
        events = events.filter(
            serial_id=serial_id,
            lot_id=Subquery(Serial.objects.filter(pk=serial_id).values("lot_id")),
        )
    if location_id is not None:
        events = events.filter(to_location_id=location_id) | events.filter(
            from_location_id=location_id
        )
    return events.order_by("-event_time", "-id")


def udi_match(parsed: Any) -> dict[str, Any]:
    """Which of our device model, lot and serial a parsed UDI names (three indexed look-ups)."""
    model = DeviceModel.objects.filter(udi_di=parsed.gtin).first() if parsed.gtin else None
    lot = (
        Lot.objects.filter(device_model=model, number=parsed.lot).first()
        if model and parsed.lot
        else None
    )
    serial = (
        Serial.objects.select_related("lot")
        .filter(device_model=model, serial=parsed.serial)
        .first()
        if model and parsed.serial
        else None
    )
    if lot is None and serial is not None:
        lot = serial.lot
    return {
        "device_model": f"{model.model_code} {model.name_for()}" if model else None,
        "device_model_name": model.name if model else None,
        "device_model_name_en": model.name_en if model else None,
        "device_model_id": model.pk if model else None,
        "lot_id": lot.pk if lot else None,
        "serial_id": serial.pk if serial else None,
        "known_lot": lot is not None,
        "known_serial": serial is not None,
        "lot_mismatch": bool(serial and parsed.lot and serial.lot.number != parsed.lot),
    }


def position_list_for(*, viewer: Viewer) -> QuerySet[Any]:
    """Positions; a portal user sees only those at its own party's locations."""
    from .models import Position

    positions = Position.objects.select_related(
        "lot__device_model", "serial", "location__party"
    ).order_by("pk")
    if viewer.party_id is not None:
        positions = positions.filter(location__party_id=viewer.party_id)
    return positions
