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

from django.db import connection
from django.db.models import Q, Sum
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
from .selectors import ForwardTrace, HolderLine, position_category, trace_forward_lots

# One answer for at most this many units: the id lists travel as statement parameters, and
# SQLite takes at most 32,766 of them in one statement.
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


def _resolve(
    units: Sequence[UnitRequest], viewer: Viewer | None
) -> tuple[list[_Resolved], list[RowError]]:
    """Each unit's lot (and serial), in one query per kind; a portal user's units must be ones its
    party held, else they answer exactly as unknown ones."""
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
    held_lots: set[int] | None = None
    held_serials: set[int] | None = None
    if viewer is not None and viewer.party_id is not None:
        own = Q(to_location__party_id=viewer.party_id) | Q(from_location__party_id=viewer.party_id)
        live = TraceEvent.objects.filter(own, retracted=False)
        held_lots = set(
            live.filter(lot_id__in=set(lots.values())).values_list("lot_id", flat=True).distinct()
        )
        held_serials = (
            set(
                live.filter(
                    serial_id__in={pk for pk, _l, _n in serials.values()},
                    lot_id__in={lot for _s, lot, _n in serials.values()},
                )
                .values_list("serial_id", flat=True)
                .distinct()
            )
            if serials
            else set()
        )
    resolved: list[_Resolved] = []
    errors: list[RowError] = []
    for unit in units:
        gtin = normalise_gtin(unit.gtin)
        model = models.get(gtin)
        if model is None:
            errors.append(
                RowError(
                    unit.source,
                    unit.row,
                    "gtin",
                    "not_found",
                    _("No device model has GTIN %(gtin)s.") % {"gtin": unit.gtin},
                )
            )
            continue
        if unit.serial:
            found = serials.get((model, unit.serial))
            if found is None or (held_serials is not None and found[0] not in held_serials):
                errors.append(
                    RowError(
                        unit.source,
                        unit.row,
                        "serial",
                        "not_found",
                        _("Serial %(serial)s of GTIN %(gtin)s is not known.")
                        % {"serial": unit.serial, "gtin": unit.gtin},
                    )
                )
            elif unit.lot and found[2] != unit.lot:
                errors.append(
                    RowError(
                        unit.source,
                        unit.row,
                        "lot",
                        "invalid",
                        _("Serial %(serial)s belongs to lot %(lot)s, not %(given)s.")
                        % {"serial": unit.serial, "lot": found[2], "given": unit.lot},
                    )
                )
            else:
                resolved.append(_Resolved(lot_id=found[1], serial_id=found[0]))
            continue
        lot_id = lots.get((model, unit.lot))
        if lot_id is None or (held_lots is not None and lot_id not in held_lots):
            errors.append(
                RowError(
                    unit.source,
                    unit.row,
                    "lot",
                    "not_found",
                    _("Lot %(lot)s of GTIN %(gtin)s is not known.")
                    % {"lot": unit.lot, "gtin": unit.gtin},
                )
            )
        else:
            resolved.append(_Resolved(lot_id=lot_id, serial_id=None))
    return resolved, errors


def _descendants(lot_ids: Sequence[int]) -> set[int]:
    """The lots that consumed these lots, down every level, without the lots themselves
    (unless one of them consumed another)."""
    if not lot_ids:
        return set()
    marks = ", ".join(["%s"] * len(lot_ids))
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH RECURSIVE down(lot_id) AS (SELECT e.into_lot_id FROM {engine.EVENTS} e WHERE e.lot_id IN ({marks}) "
            f"AND e.event_type = 'transformed' AND e.retracted = %s AND e.into_lot_id IS NOT NULL "
            f"UNION SELECT e.into_lot_id FROM {engine.EVENTS} e JOIN down ON e.lot_id = down.lot_id "
            f"WHERE e.event_type = 'transformed' AND e.retracted = %s AND e.into_lot_id IS NOT NULL) "
            f"SELECT lot_id FROM down",
            [*lot_ids, False, False],
        )
        return {row[0] for row in cursor.fetchall()}


def _scope(resolved: Sequence[_Resolved]) -> UnitScope:
    seeds = tuple(dict.fromkeys(unit.lot_id for unit in resolved))
    whole = tuple(dict.fromkeys(unit.lot_id for unit in resolved if unit.serial_id is None))
    serial_ids = tuple(
        dict.fromkeys(
            unit.serial_id
            for unit in resolved
            if unit.serial_id is not None and unit.lot_id not in set(whole)
        )
    )
    if not serial_ids:
        return UnitScope(seed_lot_ids=seeds, whole_lot_ids=whole, serial_ids=())
    reached = _descendants(seeds)
    return UnitScope(
        seed_lot_ids=seeds,
        whole_lot_ids=whole,
        serial_ids=serial_ids,
        reached_lot_ids=tuple(sorted(reached)),
        lot_ids=seeds + tuple(sorted(reached - set(seeds))),
    )


def _marks(values: Sequence[int]) -> str:
    return "(" + ", ".join(["%s"] * len(values)) + ")" if values else "(NULL)"


def _events(
    lot_ids: Sequence[int], whole: Sequence[int], serial_ids: Sequence[int]
) -> tuple[str, list[Any]]:
    """``ev``: the live events of these lots: of the ``whole`` ones all, of the others the listed serials."""
    keep = []
    params: list[Any] = [False, *lot_ids]
    if whole:
        keep.append(f"e.lot_id IN {_marks(whole)}")
        params.extend(whole)
    if serial_ids:
        keep.append(f"e.serial_id IN {_marks(serial_ids)}")
        params.extend(serial_ids)
    return (
        f"ev AS (SELECT e.id, e.event_type, e.lot_id, e.serial_id, e.quantity, e.from_location_id, "
        f"e.to_location_id, e.document_ref FROM {engine.EVENTS} e WHERE e.retracted = %s "
        f"AND e.lot_id IN {_marks(lot_ids)} AND ({' OR '.join(keep) or '1 = 0'}))",
        params,
    )


def _holders_and_fates(scope: UnitScope) -> tuple[list[tuple[int, int, int, int]], dict[str, int]]:
    """``engine.holders_and_fates`` for a scope with serials of several lots: one statement."""
    ev, params = _events(
        scope.lot_ids, (*scope.whole_lot_ids, *scope.reached_lot_ids), scope.serial_ids
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH {ev}, {engine.PLACE_CTES} SELECT location_id, NULL, SUM(arrived) + SUM(in_transit), SUM(on_hand), "
            f"SUM(in_transit) FROM place GROUP BY location_id HAVING SUM(arrived) + SUM(in_transit) > 0 "
            f"UNION ALL SELECT NULL, event_type, SUM(quantity), 0, 0 FROM ev "
            f"WHERE event_type IN ('consumed', 'destroyed', 'transformed') GROUP BY event_type",
            params,
        )
        rows = cursor.fetchall()
    places = [(row[0], int(row[2]), int(row[3]), int(row[4])) for row in rows if row[1] is None]
    return places, {row[1]: int(row[2]) for row in rows if row[1] is not None}


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


def _trace_with_serials(scope: UnitScope) -> ForwardTrace:
    """The forward trace of a scope with serials, built as ``trace_forward_lots`` builds its answer."""
    with engine.trace_settings():
        rows, fates = _holders_and_fates(scope)
    index = {
        row["id"]: row
        for row in Location.objects.filter(pk__in=[r[0] for r in rows]).values(
            "id", *LOCATION_FIELDS
        )
    }
    holders = sorted(
        (
            HolderLine(
                location=index[loc]["code"],
                party=index[loc]["party__code"],
                received=received,
                on_hand=on_hand,
                in_transit=in_transit,
                location_name=index[loc]["name"],
                party_name=index[loc]["party__name"],
                party_type=index[loc]["party__party_type"],
                location_type=index[loc]["location_type"],
                country=index[loc]["country"],
                province=index[loc]["province"],
                city=index[loc]["city"],
            )
            for loc, received, on_hand, in_transit in rows
        ),
        key=lambda h: h.location,
    )
    lots = _lot_rows(scope.lot_ids)
    summary = {
        "own_stock": 0,
        "quarantine": 0,
        "in_transit": 0,
        "at_distributors": 0,
        "at_customers": 0,
        "consumed": fates.get("consumed", 0),
        "destroyed": fates.get("destroyed", 0),
        "transformed": fates.get("transformed", 0),
    }
    for holder in holders:
        summary[
            position_category(party_type=holder.party_type, location_type=holder.location_type)
        ] += holder.on_hand
        summary["in_transit"] += holder.in_transit
    return ForwardTrace(
        lots=[lot["lot"] for lot in lots],
        lot_details=lots,
        holders=holders,
        total_received=sum(h.received for h in holders),
        total_on_hand=sum(h.on_hand for h in holders),
        total_in_transit=sum(h.in_transit for h in holders),
        summary=summary,
        seed_lot_ids=scope.seed_lot_ids,
    )


def _lot_rows(lot_ids: Sequence[int]) -> list[dict[str, str]]:
    """``lot_details`` of these lots, in this order."""
    found = {
        pk: {"gtin": gtin, "lot": number, "device_model": name, "device_model_en": name_en}
        for pk, number, gtin, name, name_en in Lot.objects.filter(pk__in=lot_ids).values_list(
            "id", "number", "device_model__udi_di", "device_model__name", "device_model__name_en"
        )
    }
    return [found[pk] for pk in lot_ids if pk in found]


def _trace_scope(scope: UnitScope) -> ForwardTrace:
    if not scope.serial_ids:
        return trace_forward_lots(list(scope.seed_lot_ids))  # the engine's set path, as for one lot
    if len(scope.serial_ids) == 1 and len(scope.seed_lot_ids) == 1 and not scope.whole_lot_ids:
        return trace_forward_lots(
            list(scope.seed_lot_ids), serial_id=scope.serial_ids[0]
        )  # one serial
    return _trace_with_serials(scope)


def _portal_view(full: ForwardTrace, scope: UnitScope, party_id: int) -> ForwardTrace:
    """A portal user's view of a set trace, as ``trace_forward_for`` gives it for one unit: its
    own locations' lines and their summary, the asked-for lots, and where its own shipments of
    the units went (the whole asked-for lots, and the listed serials of the others)."""
    own = set(Location.objects.filter(party_id=party_id).values_list("pk", flat=True))
    own_codes = set(Location.objects.filter(pk__in=own).values_list("code", flat=True))
    holders = [h for h in full.holders if h.location in own_codes]
    summary = {
        "own_stock": 0,
        "quarantine": 0,
        "in_transit": 0,
        "at_distributors": 0,
        "at_customers": 0,
    }
    for holder in holders:
        summary[
            position_category(party_type=holder.party_type, location_type=holder.location_type)
        ] += holder.on_hand
        summary["in_transit"] += holder.in_transit
    units = Q(lot_id__in=scope.whole_lot_ids) | Q(
        serial_id__in=scope.serial_ids,
        lot_id__in=set(scope.seed_lot_ids) - set(scope.whole_lot_ids),
    )
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
    index = {
        row["id"]: row
        for row in Location.objects.filter(pk__in=list(shipped)).values("id", *LOCATION_FIELDS)
    }
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
    lots = _lot_rows(scope.seed_lot_ids)
    return ForwardTrace(
        lots=[lot["lot"] for lot in lots],
        lot_details=lots,
        holders=holders,
        total_received=sum(h.received for h in holders),
        total_on_hand=sum(h.on_hand for h in holders),
        total_in_transit=sum(h.in_transit for h in holders),
        summary=summary,
        shipped_to=shipped_to,
        seed_lot_ids=scope.seed_lot_ids,
        serial_id=full.serial_id,
        visible_locations=frozenset(own | set(shipped)),
    )


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
        ev, params = _events(scope.seed_lot_ids, scope.whole_lot_ids, scope.serial_ids)
    else:
        ev, params = _events(
            scope.lot_ids, (*scope.whole_lot_ids, *scope.reached_lot_ids), scope.serial_ids
        )
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH {ev} SELECT from_location_id, to_location_id, SUM(quantity) FROM ev "
            f"WHERE (to_location_id IS NOT NULL AND event_type IN ('produced', 'shipped', 'returned')) "
            f"OR (event_type = 'received' AND NOT EXISTS (SELECT 1 FROM ev s WHERE s.event_type = 'shipped' "
            f"AND s.document_ref = ev.document_ref AND s.to_location_id = ev.to_location_id AND s.lot_id = ev.lot_id)) "
            f"GROUP BY from_location_id, to_location_id",
            params,
        )
        return [(row[0], row[1], int(row[2])) for row in cursor.fetchall()]


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


def _components(lot_ids: Sequence[int]) -> dict[int, list[tuple[int, int, int]]]:
    """Per lot: its (component lot, finished lot, quantity) edges above it, every level, as
    ``engine.component_lots`` gives them for one lot; one statement for the set."""
    if not lot_ids:
        return {}
    cast = "CAST(id AS BIGINT)" if connection.vendor == "postgresql" else "id"
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH RECURSIVE up(root, lot_id) AS (SELECT {cast}, {cast} FROM catalog_lot WHERE id IN {_marks(lot_ids)} "
            f"UNION SELECT up.root, e.lot_id FROM {engine.EVENTS} e JOIN up ON e.into_lot_id = up.lot_id "
            f"WHERE e.event_type = 'transformed' AND e.retracted = %s) "
            f"SELECT up.root, e.lot_id, e.into_lot_id, SUM(e.quantity) FROM {engine.EVENTS} e "
            f"JOIN up ON e.into_lot_id = up.lot_id WHERE e.event_type = 'transformed' AND e.retracted = %s "
            f"GROUP BY up.root, e.lot_id, e.into_lot_id",
            [*lot_ids, False, False],
        )
        edges: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
        for root, component, finished, quantity in cursor.fetchall():
            edges[root].append((component, finished, int(quantity)))
        return edges


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
    edges = _components(list(dict.fromkeys(lot for lot, _serial in asked)))
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
        answer = _backward_answer(
            lots,
            lot_id,
            serial_numbers.get(serial_id) if serial_id else None,
            chain_events,
            edges.get(lot_id, []),
        )
        answers.append(answer if own_codes is None else _backward_for_portal(answer, own_codes))
    return answers


def _backward_answer(
    lots: dict[int, Lot],
    lot_id: int,
    serial: str | None,
    events: Sequence[TraceEvent],
    edges: list[tuple[int, int, int]],
) -> dict[str, Any]:
    """One unit's backward trace, as ``selectors.trace_backward`` writes it."""
    chain = []
    holders: list[str] = []
    current: str | None = None
    for event in events:
        chain.append(
            {
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
        )
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


def _backward_for_portal(full: dict[str, Any], own_codes: set[str]) -> dict[str, Any]:
    """As ``trace_backward_for`` cuts a backward trace for a portal user."""
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
