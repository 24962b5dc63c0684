"""Set traces: many lots and serials answered at once, as one trace.

A recall names hundreds of lots; tracing them one by one costs a round of queries per lot.
Here the whole list is read once (``read_unit_list``), resolved in a few queries, and traced
in one set statement: lots alone go through the engine's set path (``trace_forward_lots``,
the same code as a single lot), a set with serials through one statement of its own.

The answer keeps the forward trace's JSON contract and its grain (one holder line per
location). Every unit in scope is counted once: for items whose scopes do not overlap the
answer is exactly the sum of the per-item answers; a lot given twice, a serial of a lot that
is also given whole, or a finished lot reached from two component lots counts once.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from medrecall.catalog.models import DeviceModel, Lot, Serial
from medrecall.core.errors import RowError
from medrecall.core.gtin import gtin_problem, normalise_gtin
from medrecall.core.types import Viewer
from medrecall.parties.models import Location

from . import engine

# re-exported: callers catch these here too
from .errors import TraceSetRejected as TraceSetRejected
from .models import TraceEvent
from .selectors import (
    ForwardTrace,
    backward_answer,
    portal_backward_view,
    portal_forward_view,
    trace_forward_lots,
)

# One answer for at most this many units: the look-ups bind each listed lot number and serial as
# a parameter, and SQLite takes at most 32,766 of them in one statement (the trace itself sends
# each id set as one parameter, ``engine.id_set``).
MAX_UNITS = 10_000
COLUMNS = ("gtin", "lot", "serial")


@dataclass(frozen=True)
class UnitRequest:
    """One asked-for unit: a lot, or a serial (with its lot when the list gives it).

    ``source`` and ``row`` say where it was asked (a file and its line, or the command line)."""

    gtin: str
    lot: str = ""
    serial: str = ""
    source: str = ""
    row: int = 0


@dataclass(frozen=True)
class UnitScope:
    """What a set trace covers.

    ``seed_lot_ids``: the asked-for lots (of lots and of serials) in the order first asked;
    ``whole_lot_ids``: the lots asked for whole; ``serial_ids``: the serials asked for whose lot
    is not asked for whole. With serials (else empty: the engine's set path finds them):
    ``reached_lot_ids``, the lots the asked-for lots were built into, down every level, traced
    whole as for one serial; ``lot_ids``, every lot in scope in the answer's order."""

    seed_lot_ids: tuple[int, ...]
    whole_lot_ids: tuple[int, ...]
    serial_ids: tuple[int, ...]
    reached_lot_ids: tuple[int, ...] = ()
    lot_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class TraceSet:
    trace: ForwardTrace
    scope: UnitScope
    units: int


def _decode(content: bytes | str, *, source: str) -> str:
    if isinstance(content, str):
        return content.removeprefix("\ufeff")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise TraceSetRejected(
            [
                RowError(
                    source,
                    0,
                    "",
                    "encoding",
                    _("The list is not UTF-8 text (byte %(position)s); save it as CSV UTF-8.")
                    % {"position": error.start + 1},
                )
            ]
        ) from error


def read_unit_list(content: bytes | str, *, source: str) -> list[UnitRequest]:
    """The units of a CSV list: ``gtin,lot[,serial]`` per line, a header line optional (it may
    order the columns), UTF-8 with or without a byte-order mark; a tab instead of a comma
    (cells pasted from a spreadsheet) is read too. Blank lines are skipped. Every bad line is
    named with its row number and reason; one bad line refuses the whole list."""
    text = _decode(content, source=source)
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = "\t" if "\t" in first and "," not in first else ","
    errors: list[RowError] = []
    units: list[UnitRequest] = []
    columns: tuple[str, ...] = COLUMNS
    seen_data = False
    for row, cells in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
        values = [cell.strip() for cell in cells]
        if not any(values):
            continue
        if not seen_data and not values[0].isdigit() and values[0].lower() in COLUMNS:
            seen_data = True
            header = tuple(value.lower() for value in values)
            unknown = [value for value in header if value not in COLUMNS]
            if unknown or "gtin" not in header or len(set(header)) != len(header):
                errors.append(
                    RowError(
                        source,
                        row,
                        "",
                        "bad_header",
                        _(
                            "The header %(header)s is not understood: name the columns gtin, lot and serial "
                            "(lot or serial may be left out), each once."
                        )
                        % {"header": ",".join(values)},
                    )
                )
            else:
                columns = header
            continue
        seen_data = True
        if len(values) > len(columns):
            errors.append(
                RowError(
                    source,
                    row,
                    "",
                    "too_many_columns",
                    _(
                        "Row has %(found)s cells; a unit is gtin, lot and serial (at most %(most)s cells)."
                    )
                    % {"found": len(values), "most": len(columns)},
                )
            )
            continue
        cell = dict(zip(columns, values, strict=False))
        units.append(
            UnitRequest(
                gtin=cell.get("gtin", ""),
                lot=cell.get("lot", ""),
                serial=cell.get("serial", ""),
                source=source,
                row=row,
            )
        )
    if errors:
        raise TraceSetRejected(errors)
    return units


def _shape_problems(units: Sequence[UnitRequest]) -> list[RowError]:
    """What is wrong with a unit before any look-up: the GTIN, and a lot or a serial given."""
    errors = []
    for unit in units:
        if problem := gtin_problem(unit.gtin):
            errors.append(RowError(unit.source, unit.row, "gtin", "invalid", problem))
        elif not unit.lot and not unit.serial:
            errors.append(
                RowError(
                    unit.source, unit.row, "lot", "invalid", _("Give a lot or a serial number.")
                )
            )
    return errors


@dataclass(frozen=True)
class _Resolved:
    lot_id: int
    serial_id: int | None


@dataclass(frozen=True)
class _Known:
    """What the listed units name, read in one query per kind: device models by GTIN, lots by
    (model, number), serials by (model, serial) with their lot's id and number; and, for a
    portal user, the lots and serials its party held (``None``: everything may be traced)."""

    models: dict[str, int]
    lots: dict[tuple[int, str], int]
    serials: dict[tuple[int, str], tuple[int, int, str]]
    held_lots: set[int] | None = None
    held_serials: set[int] | None = None


def _known(units: Sequence[UnitRequest]) -> _Known:
    gtins = {normalise_gtin(unit.gtin) for unit in units}
    models = dict(DeviceModel.objects.filter(udi_di__in=gtins).values_list("udi_di", "id"))
    lot_keys = {
        (models[normalise_gtin(u.gtin)], u.lot)
        for u in units
        if u.lot and normalise_gtin(u.gtin) in models
    }
    lots: dict[tuple[int, str], int] = {}
    if lot_keys:
        lots = {
            (model, number): pk
            for pk, model, number in Lot.objects.filter(
                device_model_id__in={m for m, _n in lot_keys}, number__in={n for _m, n in lot_keys}
            ).values_list("id", "device_model_id", "number")
        }
    serial_keys = {
        (models[normalise_gtin(u.gtin)], u.serial)
        for u in units
        if u.serial and normalise_gtin(u.gtin) in models
    }
    serials: dict[tuple[int, str], tuple[int, int, str]] = {}
    if serial_keys:
        serials = {
            (model, serial): (pk, lot_id, lot_number)
            for pk, model, serial, lot_id, lot_number in Serial.objects.filter(
                device_model_id__in={m for m, _s in serial_keys},
                serial__in={s for _m, s in serial_keys},
            ).values_list("id", "device_model_id", "serial", "lot_id", "lot__number")
        }
    return _Known(models=models, lots=lots, serials=serials)


def _held_by(party_id: int, known: _Known) -> _Known:
    """``known`` with the lots and serials the party held (an event into or out of one of its
    locations)."""
    own = Q(to_location__party_id=party_id) | Q(from_location__party_id=party_id)
    live = TraceEvent.objects.filter(own, retracted=False)
    held_lots = set(
        live.filter(lot_id__in=set(known.lots.values())).values_list("lot_id", flat=True).distinct()
    )
    held_serials = (
        set(
            live.filter(
                serial_id__in={pk for pk, _l, _n in known.serials.values()},
                lot_id__in={lot for _s, lot, _n in known.serials.values()},
            )
            .values_list("serial_id", flat=True)
            .distinct()
        )
        if known.serials
        else set()
    )
    return _Known(known.models, known.lots, known.serials, held_lots, held_serials)


def _resolve_serial(unit: UnitRequest, model: int, known: _Known) -> _Resolved | RowError:
    found = known.serials.get((model, unit.serial))
    if found is None or (known.held_serials is not None and found[0] not in known.held_serials):
        return RowError(
            unit.source,
            unit.row,
            "serial",
            "not_found",
            _("Serial %(serial)s of GTIN %(gtin)s is not known.")
            % {"serial": unit.serial, "gtin": unit.gtin},
        )
    if unit.lot and found[2] != unit.lot:
        return RowError(
            unit.source,
            unit.row,
            "lot",
            "invalid",
            _("Serial %(serial)s belongs to lot %(lot)s, not %(given)s.")
            % {"serial": unit.serial, "lot": found[2], "given": unit.lot},
        )
    return _Resolved(lot_id=found[1], serial_id=found[0])


def _resolve_unit(unit: UnitRequest, known: _Known) -> _Resolved | RowError:
    """One unit's lot (and serial), or why it cannot be traced."""
    model = known.models.get(normalise_gtin(unit.gtin))
    if model is None:
        return RowError(
            unit.source,
            unit.row,
            "gtin",
            "not_found",
            _("No device model has GTIN %(gtin)s.") % {"gtin": unit.gtin},
        )
    if unit.serial:
        return _resolve_serial(unit, model, known)
    lot_id = known.lots.get((model, unit.lot))
    if lot_id is None or (known.held_lots is not None and lot_id not in known.held_lots):
        return RowError(
            unit.source,
            unit.row,
            "lot",
            "not_found",
            _("Lot %(lot)s of GTIN %(gtin)s is not known.") % {"lot": unit.lot, "gtin": unit.gtin},
        )
    return _Resolved(lot_id=lot_id, serial_id=None)


def _resolve(
    units: Sequence[UnitRequest], viewer: Viewer | None
) -> tuple[list[_Resolved], list[RowError]]:
    """Each unit's lot (and serial), in one query per kind; a portal user's units must be ones its
    party held, else they answer exactly as unknown ones."""
    known = _known(units)
    if viewer is not None and viewer.party_id is not None:
        known = _held_by(viewer.party_id, known)
    resolved: list[_Resolved] = []
    errors: list[RowError] = []
    for unit in units:
        answer = _resolve_unit(unit, known)
        if isinstance(answer, RowError):
            errors.append(answer)
        else:
            resolved.append(answer)
    return resolved, errors


def _scope(resolved: Sequence[_Resolved]) -> UnitScope:
    seeds = tuple(dict.fromkeys(unit.lot_id for unit in resolved))
    whole = tuple(dict.fromkeys(unit.lot_id for unit in resolved if unit.serial_id is None))
    whole_set = set(whole)  # once, not per unit: a list of 10,000 serials
    serial_ids = tuple(
        dict.fromkeys(
            unit.serial_id
            for unit in resolved
            if unit.serial_id is not None and unit.lot_id not in whole_set
        )
    )
    if not serial_ids:
        return UnitScope(seed_lot_ids=seeds, whole_lot_ids=whole, serial_ids=())
    reached = engine.descendant_lots(seeds)
    return UnitScope(
        seed_lot_ids=seeds,
        whole_lot_ids=whole,
        serial_ids=serial_ids,
        reached_lot_ids=tuple(sorted(reached)),
        lot_ids=seeds + tuple(sorted(reached - set(seeds))),
    )


def _units(scope: UnitScope, *, portal: bool = False) -> engine.Units:
    """The events a scope with serials counts: of the lots asked whole (and, but for a portal
    user's graph, of the lots they were built into) all, of the other lots the listed serials."""
    whole = scope.whole_lot_ids if portal else (*scope.whole_lot_ids, *scope.reached_lot_ids)
    return engine.Units(whole_lot_ids=whole, serial_ids=scope.serial_ids)


def _trace_scope(scope: UnitScope) -> ForwardTrace:
    """The engine's set path, as for one lot: lots alone, one serial, or lots and serials."""
    seeds = list(scope.seed_lot_ids)
    if not scope.serial_ids:
        return trace_forward_lots(seeds)
    if len(scope.serial_ids) == 1 and len(seeds) == 1 and not scope.whole_lot_ids:
        return trace_forward_lots(seeds, serial_id=scope.serial_ids[0])  # one serial
    return trace_forward_lots(seeds, units=_units(scope))


def _portal_view(full: ForwardTrace, scope: UnitScope, party_id: int) -> ForwardTrace:
    """A portal user's view of a set trace, as ``trace_forward_for`` gives it for one unit: its
    own shipments of the whole asked-for lots, and of the listed serials of the others."""
    units = Q(lot_id__in=scope.whole_lot_ids) | Q(
        serial_id__in=scope.serial_ids,
        lot_id__in=set(scope.seed_lot_ids) - set(scope.whole_lot_ids),
    )
    return portal_forward_view(full, party_id=party_id, units=units)


def _resolve_all(units: Sequence[UnitRequest], viewer: Viewer | None) -> list[_Resolved]:
    """Every unit's lot (and serial), or a refusal naming every bad unit in the order listed."""
    if not units:
        raise TraceSetRejected(
            [RowError("", 0, "", "empty", _("The list names no lot or serial."))]
        )
    if len(units) > MAX_UNITS:
        raise TraceSetRejected(
            [
                RowError(
                    units[MAX_UNITS].source,
                    units[MAX_UNITS].row,
                    "",
                    "too_many",
                    _(
                        "A set trace takes at most %(most)s lots and serials; this list has %(count)s."
                    )
                    % {"most": MAX_UNITS, "count": len(units)},
                )
            ]
        )
    malformed = _shape_problems(units)
    bad_rows = {(error.file, error.row) for error in malformed}
    resolved, unknown = _resolve(
        [unit for unit in units if (unit.source, unit.row) not in bad_rows], viewer
    )
    if malformed or unknown:
        order = {(unit.source, unit.row): n for n, unit in enumerate(units)}
        raise TraceSetRejected(
            sorted(malformed + unknown, key=lambda error: order.get((error.file, error.row), 0))
        )
    return resolved


def trace_forward_set_for(
    *,
    viewer: Viewer | None,
    units: Sequence[UnitRequest],
    progress: Callable[[str], None] | None = None,
) -> TraceSet:
    """The forward trace of a set of lots and serials, as the viewer may see it (``None``: the
    command line, which sees everything). Refuses the whole list, naming every bad row, when
    any unit is malformed, unknown or (for a portal user) one its party never held."""
    if progress:
        progress(_("Looking up %(count)s lots and serials…") % {"count": len(units)})
    resolved = _resolve_all(units, viewer)
    scope = _scope(resolved)
    if progress:
        progress(_("Tracing %(count)s lots…") % {"count": len(scope.seed_lot_ids)})
    full = _trace_scope(scope)
    if viewer is None or viewer.party_id is None:
        return TraceSet(trace=full, scope=scope, units=len(units))
    return TraceSet(trace=_portal_view(full, scope, viewer.party_id), scope=scope, units=len(units))


def set_flows(result: TraceSet) -> list[tuple[int | None, int, int]]:
    """The graph of a set trace: (from location or None, to location, quantity). A portal user's
    graph is drawn from the asked-for lots only (``visible_locations`` then cuts it to its moves)."""
    scope = result.scope
    portal = result.trace.visible_locations is not None
    if not scope.serial_ids:
        seeds = list(scope.seed_lot_ids)
        lot_ids = seeds if portal else engine.genealogy_lots(seeds)
        return engine.flows(lot_ids, seed_lot_ids=seeds)
    if portal:
        return engine.flows(scope.seed_lot_ids, units=_units(scope, portal=True))
    return engine.flows(scope.lot_ids, units=_units(scope))


def units_from_options(
    *, gtin: str, lots: Iterable[str], serials: Iterable[str], source: str
) -> list[UnitRequest]:
    """Units named on a command line: each ``--lot`` and ``--serial`` of one ``--gtin``."""
    listed = [("lot", value) for value in lots] + [("serial", value) for value in serials]
    return [
        UnitRequest(
            gtin=gtin,
            lot=value if kind == "lot" else "",
            serial=value if kind == "serial" else "",
            source=source,
            row=row,
        )
        for row, (kind, value) in enumerate(listed, start=1)
    ]


def trace_backward_set_for(
    *, viewer: Viewer | None, units: Sequence[UnitRequest]
) -> list[dict[str, Any]]:
    """The backward trace of each listed unit, in the order listed (a unit listed twice once),
    each exactly as ``trace_backward_for`` answers it alone; read in one pass for the set: one
    query for the events of every unit, one for the component lots of every lot."""
    resolved = _resolve_all(units, viewer)
    asked = list(dict.fromkeys((unit.lot_id, unit.serial_id) for unit in resolved))
    whole = {lot for lot, serial in asked if serial is None}
    serials = {serial for _lot, serial in asked if serial is not None}
    serial_lots = {lot for lot, serial in asked if serial is not None}
    events = (
        TraceEvent.objects.filter(retracted=False)
        .filter(
            Q(lot_id__in=whole)
            | Q(serial_id__in=serials)
            | Q(lot_id__in=serial_lots, serial__isnull=True, event_type="produced")
        )
        .select_related("from_location__party", "to_location__party")
        .order_by("event_time", "id")
    )
    by_lot: dict[int, list[TraceEvent]] = defaultdict(list)
    by_serial: dict[int, list[TraceEvent]] = defaultdict(list)
    for event in events:
        by_lot[event.lot_id].append(event)
        if event.serial_id is not None:
            by_serial[event.serial_id].append(event)
    edges = engine.component_lots_of(list(dict.fromkeys(lot for lot, _serial in asked)))
    lot_ids = {lot for lot, _serial in asked} | {
        lot for found in edges.values() for edge in found for lot in edge[:2]
    }
    lots = {
        lot.pk: lot for lot in Lot.objects.select_related("device_model").filter(pk__in=lot_ids)
    }
    serial_numbers = (
        dict(Serial.objects.filter(pk__in=serials).values_list("id", "serial")) if serials else {}
    )
    own_codes: set[str] | None = None
    if viewer is not None and viewer.party_id is not None:
        own_codes = set(
            Location.objects.filter(party_id=viewer.party_id).values_list("code", flat=True)
        )
    answers = []
    for lot_id, serial_id in asked:
        if serial_id is None:
            chain_events = by_lot[lot_id]
        else:  # the serial's events and the lot's production without a serial, in time order
            chain_events = sorted(
                by_serial[serial_id]
                + [e for e in by_lot[lot_id] if e.serial_id is None and e.event_type == "produced"],
                key=lambda e: (e.event_time, e.pk),
            )
        answer = backward_answer(
            lots,
            lot_id,
            serial_numbers.get(serial_id) if serial_id else None,
            chain_events,
            edges.get(lot_id, []),
        )
        answers.append(answer if own_codes is None else portal_backward_view(answer, own_codes))
    return answers
