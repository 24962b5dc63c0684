"""Where the product's time goes: wall time per stage of the import and of the trace, by wrapping
the product's own functions for the length of a measurement (nothing in ``src/`` changes).

Time is exclusive: a stage called inside a container (the balance check inside apply) is taken
out of the container, so the stages add up to the total; a helper called inside a leaf stage (the
checks' query runner inside the balance check) stays in the leaf. Statements run through Django's cursor are
also timed one by one (``execute_wrapper``), for the slowest-statement list.

Import this module only after ``django.setup()``.
"""

from __future__ import annotations

import csv
import itertools
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from django.db import connection

IMPORT_STAGES = (
    # (module, attribute, stage name); a class attribute is written "Class.method". Names the
    # product no longer has are skipped (``StageClock.missing``), so the bench survives refactors.
    ("medrecall.traceability.importing.stage", "Stager.create", "staging table"),
    ("medrecall.traceability.importing.stage", "Stager.write", "read + parse + stage write"),
    ("medrecall.traceability.importing.stage", "Stager._index", "staging indexes"),
    ("medrecall.traceability.importing.stage", "Stager._errors", "checks (SQL)"),
    ("medrecall.traceability.importing.stage", "Stager._resolve_lots", "resolve lots (SQL)"),
    (
        "medrecall.traceability.importing.stage",
        "Stager.check_and_apply",
        "create lots/serials + insert events",
    ),
    ("medrecall.traceability.importing.stage", "Stager._negative_balances", "balance check"),
    ("medrecall.traceability.importing.stage", "recompute_positions", "positions recompute"),
    ("medrecall.traceability.importing.events", "recompute_positions", "positions recompute"),
    ("medrecall.traceability.importing.events", "audit.record", "audit"),
    # The direct load (PostgreSQL): reading overlaps the server's copy of the block before.
    (
        "medrecall.traceability.importing.direct",
        "_DirectLoad._checked",
        "direct: read + check a block (polars)",
    ),
    (
        "medrecall.traceability.importing.direct",
        "_DirectLoad._resolve",
        "direct: lots and serials of a block",
    ),
    (
        "medrecall.traceability.importing.direct",
        "_DirectLoad._write_lots",
        "direct: write new lots and serials",
    ),
    (
        "medrecall.traceability.importing.direct",
        "_DirectLoad._write_serials",
        "direct: write new lots and serials",
    ),
    (
        "medrecall.traceability.importing.direct",
        "_DirectLoad._build",
        "direct: indexes built after the copy",
    ),
    (
        "medrecall.traceability.importing.direct",
        "_DirectLoad._analyze",
        "direct: statistics (ANALYZE)",
    ),
    ("medrecall.traceability.importing.direct", "custody.violations", "direct: custody guards"),
    ("medrecall.traceability.importing.direct", "recompute_all_positions", "positions recompute"),
    ("medrecall.traceability.importing.direct", "recompute_positions", "positions recompute"),
    (
        "medrecall.traceability.importing.direct",
        "_DirectLoad._write_positions",
        "positions recompute",
    ),
    (
        "medrecall.traceability.importing.direct",
        "_DirectLoad._finish",
        "direct: balance check, audit",
    ),
    (
        "medrecall.traceability.importing.direct",
        "_DirectLoad.run",
        "direct: copy (waiting for the server) + rest",
    ),
    ("medrecall.traceability.importing.events", "EventImporter.run", "transaction, commit, rest"),
)
CONTAINERS = frozenset(
    {
        "create lots/serials + insert events",
        "transaction, commit, rest",
        "lots (ORM values) + assembling",
        "summary, assembling",
        "direct: copy (waiting for the server) + rest",
        "direct: balance check, audit",
    }
)
TRACE_STAGES = (
    ("medrecall.traceability.engine", "set_trace", "the two statements (SQL and fetching rows)"),
    ("medrecall.traceability.selectors", "_holder_lines", "holder lines (Python)"),
    ("medrecall.traceability.selectors", "trace_forward_lots", "summary, assembling"),
)


class StageClock:
    """Exclusive wall time per stage, and the slowest SQL statements."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.statements: list[tuple[float, str]] = []
        self._stack: list[list[Any]] = []  # [stage, started]
        self.missing: list[str] = []  # wrapped names the product does not have (any more)

    def enter(self, stage: str) -> None:
        now = time.perf_counter()
        if self._stack:
            top = self._stack[-1]
            self.seconds[top[0]] += now - top[1]
        self._stack.append([stage, now])

    def leave(self) -> None:
        now = time.perf_counter()
        stage, started = self._stack.pop()
        self.seconds[stage] += now - started
        if self._stack:
            self._stack[-1][1] = now

    def wrap(self, function: Callable[..., Any], stage: str) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            if self._stack and self._stack[-1][0] not in CONTAINERS:
                return function(*args, **kwargs)
            self.enter(stage)
            try:
                return function(*args, **kwargs)
            finally:
                self.leave()

        return timed

    def _sql(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.statements.append((time.perf_counter() - started, " ".join(sql.split())))

    @contextmanager
    def watching(self, stages: tuple[tuple[str, str, str], ...]) -> Iterator[StageClock]:
        """Wrap the named functions (and time every statement) while the block runs."""
        import importlib

        with ExitStack() as undo:
            for module_name, attribute, stage in stages:
                owner: Any = importlib.import_module(module_name)
                *path, name = attribute.split(".")
                for part in path:
                    owner = getattr(owner, part, None)
                original = getattr(owner, name, None)
                if original is None:
                    self.missing.append(f"{module_name}.{attribute}")
                    continue
                setattr(owner, name, self.wrap(original, stage))
                undo.callback(setattr, owner, name, original)
            undo.enter_context(connection.execute_wrapper(self._sql))
            yield self

    def slowest(self, count: int = 8) -> list[tuple[float, str]]:
        return [
            (seconds, sql[:400]) for seconds, sql in sorted(self.statements, reverse=True)[:count]
        ]


def parse_cost(csv_path: Path, sample: int = 200_000) -> tuple[float, float]:
    """Microseconds per row for reading the CSV into tuples (``TableReader.tuples``), and for
    ``EventParser.parse`` on them, measured on the first ``sample`` rows without the database
    (held in memory; the run reports the import's peak memory)."""
    from medrecall.core.tabular import TableReader
    from medrecall.traceability.importing.events import EVENT_COLUMNS
    from medrecall.traceability.importing.rows import FIELDS, EventParser, References

    reader = TableReader(csv_path, file_name=csv_path.name, columns=EVENT_COLUMNS)
    started = time.perf_counter()
    rows = list(itertools.islice(reader.tuples(FIELDS), sample))
    read = time.perf_counter() - started
    parse = EventParser(References.load()).parse
    problems: list[tuple[str, str, str]] = []
    started = time.perf_counter()
    for number, texts, _unreadable in rows:
        parse(number, texts, problems)
    parsed = time.perf_counter() - started
    return 1e6 * read / len(rows), 1e6 * parsed / len(rows)


def csv_reader_cost(csv_path: Path, sample: int = 200_000) -> float:
    """Microseconds per row for the bare ``csv`` module, the floor under any CSV import."""
    with csv_path.open(encoding="utf-8", newline="") as source:
        started = time.perf_counter()
        count = sum(1 for _row in itertools.islice(csv.reader(source), sample))
        return 1e6 * (time.perf_counter() - started) / count
