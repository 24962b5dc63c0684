"""Importing trace events from the events template (CSV or Excel), all or nothing.

Template columns (the contract): ``event_id, event_type, event_time, gtin, lot, serial,
quantity, from_location, to_location, document_ref``, then optional ``manufactured,
expiry`` (on ``produced``) and ``into_gtin, into_lot`` (on ``transformed``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, TypedDict, Unpack

from django.db import connection, transaction
from django.utils.translation import gettext as _

from medrecall.core.errors import ImportRejected, RowError
from medrecall.core.importing import ImportOutcome, Policy
from medrecall.core.tabular import Columns, SourceRow, TableReader, TupleRow
from medrecall.core.types import ActorOrSystem
from medrecall.traceability.engine import recompute_positions

from .rows import FIELDS, EventParser, Problem, References, Staged, event_texts
from .stage import MAX_REPORTED, Stager, record_events_imported

Progress = Callable[[int, int], None]

_REQUIRED = ("event_id", "event_type", "event_time", "gtin", "lot", "quantity")
EVENT_COLUMNS = Columns(
    required=_REQUIRED, optional=tuple(name for name in FIELDS if name not in _REQUIRED)
)
"""The template's columns: ``rows.FIELDS``, of which these six are required."""


class _Refused(Exception):
    """Raised inside the transaction to roll everything back."""


class EventImportOptions(TypedDict, total=False):
    """What an events import may be given besides its rows, file name and kind."""

    actor: ActorOrSystem
    progress: Progress | None
    fraction_read: Callable[[], float] | None
    import_run_id: int | None
    retract_event_ids: Iterable[str]


def import_event_rows(
    rows: Iterable[tuple[int, dict[str, str]]],
    *,
    file_name: str,
    kind: str,
    **options: Unpack[EventImportOptions],
) -> ImportOutcome:
    """Stage, check and apply event rows ``(row number, column -> text)``; all or nothing.

    Shared by the table import, the EPCIS import and the capture API. ``retract_event_ids``
    marks events (already recorded or in this batch) retracted by an EPCIS error declaration."""
    return import_event_texts(
        ((number, event_texts(values), values.get("__error__")) for number, values in rows),
        file_name=file_name,
        kind=kind,
        **options,
    )


def import_event_texts(
    rows: Iterable[TupleRow],
    *,
    file_name: str,
    kind: str,
    actor: ActorOrSystem = None,
    progress: Progress | None = None,
    fraction_read: Callable[[], float] | None = None,
    import_run_id: int | None = None,
    retract_event_ids: Iterable[str] = (),
) -> ImportOutcome:
    """``import_event_rows`` for rows ``(row number, texts in rows.FIELDS order, unreadable
    reason or None)`` as ``TableReader.tuples`` gives them: no dictionary per row."""
    outcome = ImportOutcome(kind=kind, file_name=file_name)
    stager = Stager(file_name)
    parsed = _parsed(rows, EventParser(References.load()).parse, outcome, progress, fraction_read)
    retract = list(retract_event_ids)
    try:
        with transaction.atomic():
            stager.create()
            stager.write(parsed)
            if outcome.rows == 0 and not retract:
                message = _("The file %(file)s has a header but no rows.") % {"file": file_name}
                raise ImportRejected(message, [RowError(file_name, 2, "", "empty", message)])
            if outcome.errors:
                raise _Refused
            if progress:
                progress(65, 100)
            _apply(stager, outcome, actor, progress, import_run_id, retract)
            stager.drop()
    except _Refused:
        outcome.accepted = False
    finally:
        if connection.vendor == "sqlite" and not connection.in_atomic_block:
            stager.drop()
    outcome.errors.sort(key=lambda e: (e.row, e.column))
    if progress:
        progress(100, 100)
    return outcome


def _parsed(
    rows: Iterable[TupleRow],
    parse: Callable[[int, Any, list[Problem]], Staged | None],
    outcome: ImportOutcome,
    progress: Progress | None,
    fraction_read: Callable[[], float] | None,
) -> Iterator[Staged]:
    """The rows parsed for staging; the rows that cannot be go to ``outcome.errors`` (up to
    ``MAX_REPORTED``), and ``outcome.rows`` counts them all once they are read."""
    count = 0
    problems: list[Problem] = []
    errors = outcome.errors
    file_name = outcome.file_name
    for number, texts, unreadable in rows:
        count += 1
        if unreadable is not None:
            errors.append(RowError(file_name, number, "", "row_width", unreadable))
            continue
        parsed = parse(number, texts, problems)
        if parsed is None:
            if len(errors) < MAX_REPORTED:
                errors.extend(RowError(file_name, number, c, code, m) for c, code, m in problems)
            problems.clear()
            continue
        yield parsed
        if progress and count % 5000 == 0:
            progress(int(60 * (fraction_read() if fraction_read else 0)), 100)
    outcome.rows = count


def _apply(
    stager: Stager,
    outcome: ImportOutcome,
    actor: ActorOrSystem,
    progress: Progress | None,
    import_run_id: int | None,
    retract: list[str],
) -> None:
    """Check and apply the staged rows, retract what the file retracts, and record the import
    (raises ``_Refused`` with the rows' errors in ``outcome``)."""
    result = stager.check_and_apply(import_run_id=import_run_id)
    if result.errors:
        outcome.errors.extend(result.errors)
        raise _Refused
    retracted = _retract(retract)
    if progress:
        progress(85, 100)
    recompute_positions(sorted(set(retracted)))  # the file's own lots were recomputed before
    outcome.created, outcome.unchanged = result.created, result.unchanged
    if result.created or retracted:
        record_events_imported(
            actor=actor,
            import_run_id=import_run_id,
            file_name=outcome.file_name,
            created=result.created,
            unchanged=result.unchanged,
            lots_created=result.lots_created,
            serials_created=result.serials_created,
            retracted=len(retracted),
        )


def _retract(event_ids: list[str]) -> list[int]:
    """Mark events retracted; returns the lots whose positions change."""
    if not event_ids:
        return []
    from medrecall.traceability.models import TraceEvent

    affected = list(
        TraceEvent.objects.filter(event_id__in=event_ids, retracted=False)
        .values_list("lot_id", flat=True)
        .distinct()
    )
    TraceEvent.objects.filter(event_id__in=event_ids).update(retracted=True)
    return affected


def _rows_numbered(reader: TableReader, numbers: set[int]) -> list[SourceRow]:
    """The file's rows with these numbers, as they came (for the rejected-rows file): a second
    pass over a refused file only, stopping at the last of them."""
    if not numbers:
        return []
    last, found = max(numbers), []
    try:
        for row in reader.rows():
            if row.number in numbers:
                found.append(row)
            if row.number >= last:
                break
    except ImportRejected:  # the file itself was refused: there are no rows to give back
        return []
    return found


class EventImporter:
    """The events template, CSV or Excel. Always all-or-nothing: a trace with holes is worse
    than no trace, so ``keep_good`` is not offered for events (the page hides it; the import run,
    the API and the command refuse it with a message)."""

    kind = "events"
    columns = EVENT_COLUMNS
    offers_keep_good = False  # all-or-nothing: the import run refuses ``keep_good`` for events
    accepts_import_run = True
    offers_template = True

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
        from . import direct  # polars and psycopg load only when a file is imported

        reader = TableReader(path, file_name=file_name, columns=self.columns)
        if direct.enabled(file_name=file_name, size=reader.size) and (
            layout := reader.csv_layout()
        ):
            outcome = direct.load(
                path,
                layout,
                file_name=file_name,
                actor=actor,
                progress=progress,
                import_run_id=import_run_id,
            )
            if outcome is not None:
                return outcome
        outcome = import_event_texts(
            reader.tuples(FIELDS),
            file_name=file_name,
            kind=self.kind,
            actor=actor,
            progress=progress,
            fraction_read=lambda: reader.fraction_read,
            import_run_id=import_run_id,
        )
        outcome.rejected_rows = _rows_numbered(
            TableReader(path, file_name=file_name, columns=self.columns),
            {e.row for e in outcome.errors},
        )
        return outcome
