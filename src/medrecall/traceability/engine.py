"""The trace engine: where units went and where they are now, as set-based SQL.

One definition of movement serves every answer (balance checks, positions, forward and
backward trace, recall scope):

* ``produced``, ``received`` and ``returned`` arrive at ``to_location``;
* ``shipped`` leaves ``from_location`` at once and is *in transit* to ``to_location`` until a
  ``received`` (or ``returned``) for the same document, lot and serial arrives there; a
  ``received`` with no matching shipment is an arrival from outside;
* ``consumed``, ``destroyed`` and ``transformed`` leave ``from_location``;
* a ``returned`` that does not close a shipment and names a ``from_location`` also leaves it
  (the holder handed the units back directly);
* ``installed`` moves nothing; retracted events (EPCIS ``errorDeclaration``) count for nothing.

Only the lots in question are read (index on ``lot_id``), so the cost follows the affected
data, not the whole history. Genealogy (component lot → finished lot through
``transformed``) is followed with a recursive CTE.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

EVENTS = "traceability_traceevent"


def _in_list(ids: Sequence[int]) -> tuple[str, list[int]]:
    if not ids:
        return "(NULL)", []
    return "(" + ", ".join(["%s"] * len(ids)) + ")", list(ids)


def id_set(ids: Sequence[int]) -> tuple[str, list[Any]]:
    """``(condition, params)`` for "this column is one of ``ids``", written after the column, with
    the whole set as ONE parameter whatever its size: PostgreSQL ``= ANY(%s)`` with an array
    (planned like an ``IN`` list: an index probe per id), SQLite ``IN (SELECT value FROM
    json_each(%s))`` with a JSON array (the lot index probed from a temporary b-tree). Binding
    9,000 ids one parameter each cost more than reading their events (bench/README.md), and
    SQLite refuses more than 32,766 parameters in a statement."""
    text = ",".join(str(int(pk)) for pk in ids)
    if (
        connection.vendor == "postgresql"
    ):  # the array's text: psycopg's list dumper scans every value twice
        return "= ANY(CAST(%s AS BIGINT[]))", ["{" + text + "}"]
    return "IN (SELECT value FROM json_each(%s))", ["[" + text + "]"]


@dataclass(frozen=True)
class Units:
    """Which events of the lots in scope a set trace of lots and serials counts: every event of
    ``whole_lot_ids`` (the lots asked for whole and the lots the asked-for lots were built into),
    and of the other lots only those of ``serial_ids``."""

    whole_lot_ids: Sequence[int]
    serial_ids: Sequence[int]


def _units_condition(serial_id: int | None, units: Units | None) -> tuple[str, list[Any]]:
    """The condition (after the lot filter) that keeps one serial's or a ``Units``' events."""
    if serial_id is not None:
        return " AND (e.serial_id = %s OR e.lot_id NOT IN (SELECT lot_id FROM seed))", [serial_id]
    if units is None:
        return "", []
    whole, whole_params = id_set(units.whole_lot_ids)
    serials, serial_params = id_set(units.serial_ids)
    return f" AND (e.lot_id {whole} OR e.serial_id {serials})", [*whole_params, *serial_params]


def events_cte(
    lot_filter: str,
    params: list[Any],
    serial_id: int | None = None,
    *,
    inline: bool = False,
    units: Units | None = None,
) -> tuple[str, list[Any]]:
    """``ev``: the live events of the chosen lots (optionally one serial, or the ``units`` of a
    set trace); ``lot_filter`` is the condition on ``e.lot_id`` (``IN (…)`` from ``_in_list`` or
    ``id_set``'s).

    ``inline``: on PostgreSQL, let each reference read the events table itself instead of
    writing the CTE out once and reading that copy (cheaper when ``ev`` is large)."""
    serial_sql, serial_params = _units_condition(serial_id, units)
    params = [*params, *serial_params]
    hint = " NOT MATERIALIZED" if inline and connection.vendor == "postgresql" else ""
    return (
        f"ev AS{hint} (SELECT e.id, e.event_type, e.lot_id, e.serial_id, e.quantity, e.from_location_id, "
        f"e.to_location_id, e.document_ref FROM {EVENTS} e WHERE e.retracted = %s AND (e.lot_id {lot_filter})"
        f"{serial_sql})",
        [False, *params],
    )


PLACE_CTES = """
docs AS (
  SELECT lot_id, serial_id, to_location_id AS location_id,
         CAST(SUM(CASE WHEN event_type IN ('produced', 'received', 'returned') THEN quantity ELSE 0 END) AS INTEGER) AS arrived,
         CAST(SUM(CASE WHEN event_type = 'shipped' THEN quantity WHEN event_type IN ('received', 'returned') THEN -quantity
                  ELSE 0 END) AS INTEGER) AS owed
    FROM ev WHERE to_location_id IS NOT NULL
   GROUP BY lot_id, serial_id, to_location_id, document_ref
),
place AS (
  SELECT lot_id, serial_id, location_id, arrived, arrived AS on_hand, CASE WHEN owed > 0 THEN owed ELSE 0 END AS in_transit
    FROM docs
  UNION ALL
  SELECT lot_id, serial_id, from_location_id, 0, -quantity, 0 FROM ev
   WHERE event_type IN ('shipped', 'consumed', 'destroyed', 'transformed') AND from_location_id IS NOT NULL
  UNION ALL
  SELECT r.lot_id, r.serial_id, r.from_location_id, 0, -r.quantity, 0 FROM ev r
   WHERE r.event_type = 'returned' AND r.from_location_id IS NOT NULL AND NOT EXISTS (
     SELECT 1 FROM ev s WHERE s.event_type = 'shipped' AND s.document_ref = r.document_ref AND s.lot_id = r.lot_id
        AND COALESCE(s.serial_id, 0) = COALESCE(r.serial_id, 0) AND s.to_location_id = r.to_location_id)
)
"""
"""``place``: per (lot, serial, location) rows of (arrived, on hand, in transit) to be summed.

One pass groups the events by (lot, serial, destination, document) with conditional sums:
what arrived there, and what each shipment note still owes (in transit); departures come in
a second branch, and a ``returned`` that closes no shipment also leaves where it came from.
The per-document sums are cast to INTEGER so that PostgreSQL sums them again as BIGINT, not
NUMERIC. No join between two aggregates of the events: such a
join, estimated badly, made PostgreSQL rescan a lot's events per group (bench/README.md)."""


def recompute_positions(lot_ids: Sequence[int]) -> int:
    """Rebuild the derived positions of these lots from their events; how many were written."""
    if not lot_ids:
        return 0
    written = 0
    if connection.vendor == "postgresql" and connection.in_atomic_block:
        # Give the sorts and hashes room in memory for this transaction only instead of
        # spilling to disk.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '256MB'")
    for start in range(0, len(lot_ids), 5000):
        chunk = list(lot_ids[start : start + 5000])
        lot_filter, params = _in_list(chunk)
        ev, ev_params = events_cte(f"IN {lot_filter}", params, inline=True)
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM traceability_position WHERE lot_id IN {lot_filter}", params
            )
            cursor.execute(
                f"INSERT INTO traceability_position (lot_id, serial_id, location_id, on_hand, in_transit) "
                f"WITH {ev}, {PLACE_CTES} SELECT lot_id, serial_id, location_id, SUM(on_hand), SUM(in_transit) "
                f"FROM place GROUP BY lot_id, serial_id, location_id HAVING SUM(on_hand) <> 0 OR SUM(in_transit) <> 0",
                ev_params,
            )
            written += cursor.rowcount
    return written


def recompute_all_positions(*, work_mem: str = "256MB") -> int:
    """Rebuild every position from the whole events table in one statement: for a load that
    touched most lots, one pass over the table costs less than looking its lots up in chunks
    (PostgreSQL, 10M events: 20 s against 31 s). How many were written."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT set_config('work_mem', %s, true)", [work_mem])
        cursor.execute("DELETE FROM traceability_position")
        cursor.execute(
            f"INSERT INTO traceability_position (lot_id, serial_id, location_id, on_hand, in_transit) "
            f"WITH ev AS{' NOT MATERIALIZED' if connection.vendor == 'postgresql' else ''} (SELECT e.id, e.event_type, "
            f"e.lot_id, e.serial_id, e.quantity, e.from_location_id, e.to_location_id, e.document_ref FROM {EVENTS} e "
            f"WHERE e.retracted = %s), {PLACE_CTES} SELECT lot_id, serial_id, location_id, SUM(on_hand), SUM(in_transit) "
            f"FROM place GROUP BY lot_id, serial_id, location_id HAVING SUM(on_hand) <> 0 OR SUM(in_transit) <> 0 "
            f"ORDER BY lot_id, location_id",  # in index order: each insert lands beside the one before
            [False],
        )
        return int(cursor.rowcount)


# PostgreSQL settings for the read queries of a trace, for their transaction only. The events
# of a recall are a few pages here and there of a table that is cached (or on SSD), so a
# random read costs little more than a sequential one; at the default (4) PostgreSQL scans
# the whole events table for a few hundred lots, a cost that grows with the history. JIT
# compiles for longer than these queries run.
TRACE_SETTINGS = {"random_page_cost": "1.1", "jit": "off"}


@contextmanager
def trace_settings() -> Iterator[None]:
    """Run a trace's queries with ``TRACE_SETTINGS`` (PostgreSQL), then put back what was set."""
    if connection.vendor != "postgresql":
        yield
        return
    names = list(TRACE_SETTINGS)
    values = [part for item in TRACE_SETTINGS.items() for part in item]
    if not connection.in_atomic_block:  # our own transaction: its end undoes the settings
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(["set_config(%s, %s, true)"] * len(names)), values)
            yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        # One round trip each way: the settings before (read first, left to right), then the new ones.
        cursor.execute(
            "SELECT "
            + ", ".join(
                ["current_setting(%s)"] * len(names) + ["set_config(%s, %s, true)"] * len(names)
            ),
            [*names, *values],
        )
        before = dict(zip(names, cursor.fetchone()[: len(names)], strict=True))
        yield
        # (After an error the block's rollback undoes the settings.) A caller's transaction
        # goes on with its own settings:
        cursor.execute(
            "SELECT " + ", ".join(["set_config(%s, %s, true)"] * len(names)),
            [part for item in before.items() for part in item],
        )


SETTINGS_SQL = "SELECT " + ", ".join(
    f"set_config('{name}', '{value}', true)" for name, value in TRACE_SETTINGS.items()
)


def _fetch_with_settings(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    """``sql``'s rows under ``TRACE_SETTINGS``, in ONE round trip (PostgreSQL in autocommit, with
    client-side binding): the settings and the statement go in one message, which PostgreSQL
    runs as one implicit transaction, so the settings end with it. ``trace_settings`` costs a
    ``BEGIN``, the settings and a ``COMMIT`` apart: three round trips, which on a loaded
    machine cost more than a small recall's statements (bench/README.md)."""
    with connection.cursor() as cursor:
        cursor.execute(f"{SETTINGS_SQL}; {sql}", params)
        cursor.nextset()
        return list(cursor.fetchall())


@contextmanager
def _trace_fetch() -> Iterator[Callable[[str, list[Any]], list[tuple[Any, ...]]]]:
    """How ``set_trace`` fetches each statement's rows under ``TRACE_SETTINGS``: with the
    settings in the same message when it can (``_fetch_with_settings``), else inside
    ``trace_settings`` (SQLite, a caller's transaction, server-side binding: one statement a
    message)."""
    if (
        connection.vendor == "postgresql"
        and not connection.in_atomic_block
        and connection.get_autocommit()
        and connection.settings_dict.get("OPTIONS", {}).get("server_side_binding") is not True
    ):
        yield _fetch_with_settings
        return
    with trace_settings():
        yield _fetch


GENEALOGY = """WITH RECURSIVE scope(lot_id) AS (
  SELECT {cast} FROM catalog_lot WHERE id {seeds}
  UNION
  SELECT e.into_lot_id FROM {events} e JOIN scope ON e.lot_id = scope.lot_id
   WHERE e.event_type = 'transformed' AND e.retracted = %s AND e.into_lot_id IS NOT NULL
)"""
"""``scope``: the seed lots that exist and every finished lot that consumed them, down every level."""


def _genealogy(
    seed_lot_ids: Sequence[int], seed_set: tuple[str, list[Any]] | None = None
) -> tuple[str, list[Any]]:
    seeds, params = seed_set or id_set(seed_lot_ids)
    cast = "CAST(id AS BIGINT)" if connection.vendor == "postgresql" else "id"
    return GENEALOGY.format(cast=cast, seeds=seeds, events=EVENTS), [*params, False]


def _seeds_first(seed_lot_ids: Sequence[int], found: Iterator[int] | Sequence[int]) -> list[int]:
    """The seeds that exist in the order given (repeats kept), then the other lots by id."""
    known = set(found)
    seeds = [lot for lot in seed_lot_ids if lot in known]
    return seeds + sorted(known.difference(seeds))


def genealogy_lots(seed_lot_ids: Sequence[int]) -> list[int]:
    """The seed lots and every finished lot that consumed them, down every level."""
    sql, params = _genealogy(seed_lot_ids)
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} SELECT lot_id FROM scope", params)
        return _seeds_first(seed_lot_ids, [row[0] for row in cursor.fetchall()])


def component_lots_of(lot_ids: Sequence[int]) -> dict[int, list[tuple[int, int, int]]]:
    """Per lot: its (component lot, finished lot, quantity) edges above it, every level; one
    statement for the whole set (the lot ids one parameter)."""
    if not lot_ids:
        return {}
    roots, params = id_set(lot_ids)
    cast = "CAST(id AS BIGINT)" if connection.vendor == "postgresql" else "id"
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH RECURSIVE up(root, lot_id) AS (SELECT {cast}, {cast} FROM catalog_lot WHERE id {roots} "
            f"UNION SELECT up.root, e.lot_id FROM {EVENTS} e JOIN up ON e.into_lot_id = up.lot_id "
            f"WHERE e.event_type = 'transformed' AND e.retracted = %s) "
            f"SELECT up.root, e.lot_id, e.into_lot_id, SUM(e.quantity) FROM {EVENTS} e "
            f"JOIN up ON e.into_lot_id = up.lot_id WHERE e.event_type = 'transformed' AND e.retracted = %s "
            f"GROUP BY up.root, e.lot_id, e.into_lot_id",
            [*params, False, False],
        )
        edges: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
        for root, component, finished, quantity in cursor.fetchall():
            edges[root].append((component, finished, int(quantity)))
        return dict(edges)


def component_lots(lot_id: int) -> list[tuple[int, int, int]]:
    """(component lot, finished lot, quantity) edges above ``lot_id``, every level."""
    return component_lots_of([lot_id]).get(lot_id, [])


def descendant_lots(lot_ids: Sequence[int]) -> set[int]:
    """The lots that consumed these lots, down every level, without the lots themselves (unless
    one of them consumed another)."""
    if not lot_ids:
        return set()
    seeds, params = id_set(lot_ids)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH RECURSIVE down(lot_id) AS (SELECT e.into_lot_id FROM {EVENTS} e WHERE e.lot_id {seeds} "
            f"AND e.event_type = 'transformed' AND e.retracted = %s AND e.into_lot_id IS NOT NULL "
            f"UNION SELECT e.into_lot_id FROM {EVENTS} e JOIN down ON e.lot_id = down.lot_id "
            f"WHERE e.event_type = 'transformed' AND e.retracted = %s AND e.into_lot_id IS NOT NULL) "
            f"SELECT lot_id FROM down",
            [*params, False, False],
        )
        return {row[0] for row in cursor.fetchall()}


def _scoped(
    lot_ids: Sequence[int],
    serial_id: int | None,
    seed_lot_ids: Sequence[int],
    units: Units | None = None,
) -> tuple[str, list[Any]]:
    """``WITH seed, ev``: the asked-for lots (``seed``) and the live events of every lot in scope."""
    lot_filter, params = id_set(lot_ids)
    seed_filter, seed_params = id_set(seed_lot_ids or lot_ids)
    ev, ev_params = events_cte(lot_filter, params, serial_id, units=units)
    return f"WITH seed(lot_id) AS (SELECT id FROM catalog_lot WHERE id {seed_filter}), {ev}", [
        *seed_params,
        *ev_params,
    ]


def _fetch(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


HELD = """held AS (
  SELECT location_id, CAST(SUM(arrived) + SUM(in_transit) AS BIGINT) AS received,
         CAST(SUM(on_hand) AS BIGINT) AS on_hand, CAST(SUM(in_transit) AS BIGINT) AS in_transit
    FROM place GROUP BY location_id HAVING SUM(arrived) + SUM(in_transit) > 0
)"""
FATES = (
    "SELECT event_type, CAST(SUM(quantity) AS BIGINT) FROM ev "
    "WHERE event_type IN ('consumed', 'destroyed', 'transformed') GROUP BY event_type"
)


def holders_and_fates(
    lot_ids: Sequence[int], *, serial_id: int | None = None, seed_lot_ids: Sequence[int] = ()
) -> tuple[list[tuple[int, int, int, int]], dict[str, int]]:
    """Per location that ever received affected units: (location_id, received, on_hand,
    in_transit), where ``received`` counts what arrived there plus what is on its way there;
    and the units that left the supply chain (consumed/implanted, destroyed, transformed into
    other lots). One statement, so the scope's events are read once."""
    scope, params = _scoped(lot_ids, serial_id, seed_lot_ids)
    rows = _fetch(
        f"{scope}, {PLACE_CTES}, {HELD} SELECT location_id, NULL, received, on_hand, in_transit FROM held "
        f"UNION ALL SELECT NULL, fate.* , 0, 0 FROM ({FATES}) fate",
        params,
    )
    places = [(row[0], int(row[2]), int(row[3]), int(row[4])) for row in rows if row[1] is None]
    return places, {row[1]: int(row[2]) for row in rows if row[1] is not None}


HOLDER_COLUMNS = (
    "location",
    "party",
    "received",
    "on_hand",
    "in_transit",
    "location_name",
    "party_name",
    "party_type",
    "location_type",
    "country",
    "province",
    "city",
)
"""The columns of ``set_trace``'s holder rows, in order."""

LotRow = tuple[
    int, str, str, str, str
]  # (lot id, lot number, GTIN, device model name, English name)


def set_trace(
    seed_lot_ids: Sequence[int], *, serial_id: int | None = None, units: Units | None = None
) -> tuple[list[LotRow], list[tuple[Any, ...]], dict[str, int]]:
    """A whole forward trace: the lots in scope (``genealogy_lots``' order) with their numbers
    and device models; per holder (``holders_and_fates``' figures) a row in ``HOLDER_COLUMNS``
    order, its location's and party's codes and names joined, sorted by location code; and
    the fates.

    Two statements under ``TRACE_SETTINGS`` (``_trace_fetch``: two round trips in autocommit),
    each id set one parameter (``id_set``): the
    genealogy with the lots, then the holders and fates of the lots in scope. The lots in scope
    go back as a constant array, so PostgreSQL plans the recall's real size (hash joins inside
    ``place``); read from the CTE inside one statement, it was estimated at 200 events (a
    nested-loop anti-join took 1.6 s of 2 at 1M), and with the seeds' array OR the CTE's it
    scanned the whole events table at 10M (bench/README.md).

    ``serial_id``: one serial of the one seed lot (the lots it was built into traced whole);
    ``units``: a set of lots and serials (``Units``), for which the caller names the lots
    counted whole.

    The lots in scope are read on PostgreSQL as ``id = ANY(ARRAY(SELECT … FROM scope))``: the
    lot index probed per lot. Joined to the CTE, the planner hashed the whole lot table
    (93,475 rows at 1M, 35 ms of a 60 ms trace; bench/README.md)."""
    seed_filter, seed_params = id_set(seed_lot_ids)
    genealogy, params = _genealogy(seed_lot_ids, (seed_filter, seed_params))
    nulls = ", ".join(["NULL"] * 6)
    if connection.vendor == "postgresql":
        lots_in_scope = "catalog_lot l"
        lots_where = "WHERE l.id = ANY(ARRAY(SELECT lot_id FROM scope))"
    else:
        lots_in_scope, lots_where = "scope JOIN catalog_lot l ON l.id = scope.lot_id", ""
    with _trace_fetch() as fetch:
        lot_rows = fetch(
            f"{genealogy} SELECT l.id, l.number, m.udi_di, m.name, m.name_en FROM {lots_in_scope} "
            f"JOIN catalog_devicemodel m ON m.id = l.device_model_id {lots_where}",
            params,
        )
        scope_filter, scope_params = id_set([row[0] for row in lot_rows])
        ev, ev_params = events_cte(scope_filter, scope_params, serial_id, units=units)
        rows = fetch(
            f"WITH seed(lot_id) AS (SELECT id FROM catalog_lot WHERE id {seed_filter}), {ev}, {PLACE_CTES}, "
            f"{HELD} SELECT 'h', l.code, p.code, h.received, h.on_hand, h.in_transit, l.name, p.name, p.party_type, "
            f"l.location_type, l.country, l.province, l.city FROM held h "
            f"JOIN parties_location l ON l.id = h.location_id JOIN parties_party p ON p.id = l.party_id "
            f"UNION ALL SELECT 'f', event_type, NULL, CAST(SUM(quantity) AS BIGINT), 0, 0, NULL, {nulls} FROM ev "
            f"WHERE event_type IN ('consumed', 'destroyed', 'transformed') GROUP BY event_type",
            [*seed_params, *ev_params],
        )
    lots: dict[int, LotRow] = {row[0]: row for row in lot_rows}
    holders: list[tuple[Any, ...]] = []
    fates: dict[str, int] = {}
    for row in rows:
        if row[0] == "h":
            holders.append(row[1:])
        else:
            fates[row[1]] = int(row[3])
    holders.sort()  # by location code (unique, so the tuples compare their first item only)
    return [lots[pk] for pk in _seeds_first(seed_lot_ids, list(lots))], holders, fates


def flows(
    lot_ids: Sequence[int],
    *,
    serial_id: int | None = None,
    seed_lot_ids: Sequence[int] = (),
    units: Units | None = None,
) -> list[tuple[int | None, int, int]]:
    """(from location or None for production/outside, to location, quantity): the graph of a trace."""
    scope, params = _scoped(lot_ids, serial_id, seed_lot_ids, units)
    rows = _fetch(
        f"{scope} SELECT from_location_id, to_location_id, SUM(quantity) FROM ev "
        f"WHERE (to_location_id IS NOT NULL AND event_type IN ('produced', 'shipped', 'returned')) "
        f"OR (event_type = 'received' AND NOT EXISTS (SELECT 1 FROM ev s WHERE s.event_type = 'shipped' "
        f"AND s.document_ref = ev.document_ref AND s.to_location_id = ev.to_location_id AND s.lot_id = ev.lot_id)) "
        f"GROUP BY from_location_id, to_location_id",
        params,
    )
    return [(row[0], row[1], int(row[2])) for row in rows]


def place_lines(
    lot_ids: Sequence[int], *, seed_lot_ids: Sequence[int] = ()
) -> list[tuple[int, int | None, int, int, int, int]]:
    """Per (lot, serial, location) that ever received units of these lots:
    (lot_id, serial_id, location_id, received, on_hand, in_transit) — the rows a scope freezes."""
    if not lot_ids:
        return []
    rows: list[tuple[int, int | None, int, int, int, int]] = []
    for start in range(0, len(lot_ids), 5000):
        chunk = list(lot_ids[start : start + 5000])
        lot_filter, params = _in_list(chunk)
        ev, ev_params = events_cte(f"IN {lot_filter}", params)
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH {ev}, {PLACE_CTES} SELECT lot_id, serial_id, location_id, SUM(arrived) + SUM(in_transit), "
                f"SUM(on_hand), SUM(in_transit) FROM place GROUP BY lot_id, serial_id, location_id "
                f"HAVING SUM(arrived) + SUM(in_transit) > 0",
                ev_params,
            )
            rows.extend(
                (r[0], r[1], r[2], int(r[3]), int(r[4]), int(r[5])) for r in cursor.fetchall()
            )
    return rows


def lots_shipped_between(device_model_id: int, start: str, end: str) -> list[int]:
    """Lots of a device model with a shipment in [start, end] (ISO dates, inclusive)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT e.lot_id FROM {EVENTS} e JOIN catalog_lot l ON l.id = e.lot_id "
            f"WHERE l.device_model_id = %s AND e.event_type = 'shipped' AND e.retracted = %s "
            f"AND e.event_time >= %s AND e.event_time < %s",
            [device_model_id, False, start, end],
        )
        return [row[0] for row in cursor.fetchall()]
