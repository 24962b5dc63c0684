"""Custody guards: rules from contexts above traceability that may refuse a movement.

Traceability knows nothing of recalls or holds; a context above it (execution's stock hold)
registers a guard in ``GUARDS`` (a :class:`~medrecall.core.registry.Registry`, by the guard's
code) from its ``AppConfig.ready()``. Every way an event enters the system runs the guards:

* imports and both capture endpoints (CSV, Excel, event rows, EPCIS) through the staging
  checks — one SQL statement per guard against the whole staging table, never a query per row;
* the single-event service (:func:`medrecall.traceability.services.events_record`), with the
  same SQL over a ``VALUES`` list.

A guard is SQL over a relation ``moves(row_no, event_type, lot_id, serial_id, from_id, to_id,
document_ref)`` that returns ``(row_no, *message arguments)`` for each refused movement.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection

from medrecall.core.registry import Registry

MOVES_COLUMNS = "row_no, event_type, lot_id, serial_id, from_id, to_id, document_ref"
MAX_REPORTED = 10_000


@dataclass(frozen=True)
class CustodyGuard:
    """``sql`` selects ``(row_no, *args)`` from ``moves``; ``message(*args)`` says why (translated)."""

    code: str
    sql: str
    message: Callable[..., str]
    # ``SELECT lot_id …``: every lot whose movements the guard may refuse (a superset will
    # do), or None for any lot. Lets a large load run the guard over those lots' rows only.
    lots_sql: str | None = None


@dataclass(frozen=True)
class Move:
    """One movement about to be recorded, by ids (the single-event path)."""

    row_no: int
    event_type: str
    lot_id: int
    serial_id: int | None
    from_id: int | None
    to_id: int | None
    document_ref: str = ""


# Registered by code: ``GUARDS.register(guard.code, guard)`` in an ``AppConfig.ready()``.
GUARDS: Registry[CustodyGuard] = Registry("custody guard")


def guards() -> tuple[CustodyGuard, ...]:
    return tuple(GUARDS)


def guarded_lots() -> set[int] | None:
    """The lots some guard may refuse a movement of, or None when a guard may refuse any."""
    lots: set[int] = set()
    for guard in guards():
        if guard.lots_sql is None:
            return None
        with connection.cursor() as cursor:
            cursor.execute(guard.lots_sql)
            lots.update(row[0] for row in cursor.fetchall())
    return lots


def staging_moves(staging: str) -> str:
    """The ``moves`` relation of a staging table: new events only (a re-sent one was checked when it was recorded)."""
    return (
        f"SELECT s.row_no, s.event_type, l.id AS lot_id, c.id AS serial_id, s.from_id, s.to_id, s.document_ref "
        f"FROM {staging} s JOIN catalog_lot l ON l.device_model_id = s.model_id AND l.number = s.lot "
        f"LEFT JOIN catalog_serial c ON s.serial IS NOT NULL AND c.device_model_id = s.model_id "
        f"AND c.serial = s.serial WHERE NOT EXISTS (SELECT 1 FROM traceability_traceevent e "
        f"WHERE e.event_id = s.event_id)"
    )


def violations(moves_sql: str, params: Sequence[Any] = ()) -> list[tuple[int, str, str]]:
    """``(row_no, code, message)`` for every movement a registered guard refuses."""
    found: list[tuple[int, str, str]] = []
    for guard in guards():
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH moves({MOVES_COLUMNS}) AS ({moves_sql}) {guard.sql} ORDER BY 1 LIMIT {MAX_REPORTED}",
                list(params),
            )
            found += [(row[0], guard.code, guard.message(*row[1:])) for row in cursor.fetchall()]
    return sorted(found)


def check_moves(moves: Sequence[Move]) -> list[tuple[int, str, str]]:
    """Run the guards over movements given by ids (no staging table)."""
    if not moves or not GUARDS:
        return []
    big = "BIGINT"
    row = (
        f"(%s, %s, CAST(%s AS {big}), CAST(%s AS {big}), CAST(%s AS {big}), CAST(%s AS {big}), %s)"
    )
    sql = "VALUES " + ", ".join([row] * len(moves))
    params: list[Any] = []
    for m in moves:
        params += [
            m.row_no,
            m.event_type,
            m.lot_id,
            m.serial_id,
            m.from_id,
            m.to_id,
            m.document_ref,
        ]
    return violations(sql, params)
