"""The shared shape of every table import: read → parse each row (pure) → check against
the database (one query per kind of reference) → apply in one transaction.

Policies: ``reject`` (any bad row rejects the whole file; nothing is written) and
``keep_good`` (good rows are written; bad rows come back, each with its reason, as a CSV the
user corrects and imports again). Applying is idempotent by natural keys, so importing the
same file twice changes nothing.
"""

from __future__ import annotations

import csv
import gc
import io
import re
import threading
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from medrecall.core.types import ActorOrSystem

from .errors import ImportRejected, RowError
from .exports import csv_row
from .tabular import Columns, SourceRow, TableReader, check_file_size

__all__ = ["check_file_size"]  # re-exported: every importer refuses an oversized file the same way

R = TypeVar("R")
Progress = Callable[[int, int], None]


_pauses = 0
_pauses_lock = threading.Lock()
_collecting_before = True


@contextmanager
def cyclic_collection_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a large file is read and written.

    Parsing a record builds a few dozen dicts, lists and tuples, so the collector runs every
    few records, and its older generations walk every object the process holds: at 100,000
    openFDA records, unpickling a batch cost 28 µs a record with the collector and 5.7 µs
    without it. What an import creates holds no cycles and is freed by reference counting as
    before, so memory stays flat; the collector resumes when the last import running in the
    process ends (a worker may run several), and collects then what cycles there were."""
    global _pauses, _collecting_before
    with _pauses_lock:
        if _pauses == 0:
            _collecting_before = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pauses_lock:
            _pauses -= 1
            if _pauses == 0 and _collecting_before:
                gc.enable()


class Policy(StrEnum):
    REJECT = "reject"
    KEEP_GOOD = "keep_good"


class RowProblem(Exception):
    """Raised by a row parser: one or more problems with one row."""

    def __init__(self, *problems: tuple[str, str, str]) -> None:
        super().__init__(problems)
        self.problems = problems  # (column, code, message)


@dataclass
class ImportOutcome:
    kind: str
    file_name: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    rejected_rows: list[SourceRow] = field(default_factory=list)
    accepted: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "file": self.file_name,
            "accepted": self.accepted,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": len({e.row for e in self.errors}),
            "errors": [e.as_dict() for e in self.errors[:1000]],
        }

    def rejected_csv(self, columns: tuple[str, ...]) -> str:
        """The bad rows as they came, plus the column and reason, ready to fix and re-import."""
        reasons: dict[int, list[RowError]] = {}
        for error in self.errors:
            reasons.setdefault(error.row, []).append(error)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([*columns, "error_row", "error_column", "error"])
        by_number = {r.number: r for r in self.rejected_rows}
        for number in sorted(reasons):
            row = by_number.get(number)
            values = [row.values.get(c, "") for c in columns] if row else ["" for _c in columns]
            errs = reasons[number]
            writer.writerow(
                csv_row(
                    [
                        *values,
                        number,
                        "; ".join(e.column for e in errs),
                        "; ".join(e.message for e in errs),
                    ]
                )
            )
        return out.getvalue()


@dataclass
class Applied:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


class TableImporter(ABC, Generic[R]):
    """One import template. Subclasses give ``columns``, ``parse_row``, ``check`` and ``apply``."""

    kind: ClassVar[str]
    columns: ClassVar[Columns]
    offers_template: ClassVar[bool] = True  # a CSV/Excel template can be downloaded for it
    offers_keep_good: ClassVar[bool] = (
        True  # "keep the good rows" (``Policy.KEEP_GOOD``) is honoured
    )
    # Column -> the most characters its database column holds: a longer cell is a row error,
    # not a failed write (PostgreSQL refuses it; SQLite would store it whole).
    max_lengths: ClassVar[Mapping[str, int]] = {}

    @abstractmethod
    def parse_row(self, row: SourceRow) -> R:
        """Turn one row into a record, or raise ``RowProblem``; no database access."""

    def check(self, records: list[tuple[int, R]]) -> list[tuple[int, str, str, str]]:
        """Database checks for all parsed rows at once: ``(row, column, code, message)``."""
        return []

    @abstractmethod
    def apply(self, records: list[R], *, actor: ActorOrSystem) -> Applied:
        """Write the good records idempotently (inside the caller's transaction)."""

    def run(
        self,
        path: Path,
        *,
        file_name: str,
        policy: Policy = Policy.REJECT,
        actor: ActorOrSystem = None,
        progress: Progress | None = None,
    ) -> ImportOutcome:
        reader = TableReader(path, file_name=file_name, columns=self.columns)
        outcome = ImportOutcome(kind=self.kind, file_name=file_name)
        parsed: list[tuple[int, R]] = []
        raw: dict[int, SourceRow] = {}
        for row in reader.rows():
            outcome.rows += 1
            raw[row.number] = row
            if "__error__" in row.values:
                outcome.errors.append(
                    RowError(file_name, row.number, "", "row_width", row.values["__error__"])
                )
                continue
            too_long = [
                RowError(
                    file_name,
                    row.number,
                    column,
                    "length",
                    _("%(column)s is longer than %(limit)s characters.")
                    % {"column": column, "limit": limit},
                )
                for column, limit in self.max_lengths.items()
                if len(row.values.get(column, "")) > limit
            ]
            try:
                record = self.parse_row(row)
            except RowProblem as problem:
                outcome.errors.extend(
                    RowError(file_name, row.number, c, code, m)
                    for c, code, m in problem.problems
                    if not any(e.column == c and e.code == "length" for e in too_long)
                )
            else:
                if not too_long:
                    parsed.append((row.number, record))
            outcome.errors.extend(too_long)
            if progress and outcome.rows % 1000 == 0:
                progress(int(reader.fraction_read * 50), 100)
        if outcome.rows == 0:
            message = _("The file %(file)s has a header but no rows.") % {"file": file_name}
            raise ImportRejected(message, [RowError(file_name, 2, "", "empty", message)])
        outcome.errors.extend(
            RowError(file_name, n, c, code, m) for n, c, code, m in self.check(parsed)
        )
        bad_rows = {e.row for e in outcome.errors}
        outcome.rejected_rows = [raw[n] for n in sorted(bad_rows) if n in raw]
        if bad_rows and policy == Policy.REJECT:
            outcome.accepted = False
            return outcome
        good = [record for number, record in parsed if number not in bad_rows]
        if progress:
            progress(60, 100)
        with transaction.atomic():
            applied = self.apply(good, actor=actor)
        outcome.created, outcome.updated, outcome.unchanged = (
            applied.created,
            applied.updated,
            applied.unchanged,
        )
        if progress:
            progress(100, 100)
        return outcome


# -- small pure parsers shared by the importers ---------------------------------------------


def required(row: SourceRow, column: str, problems: list[tuple[str, str, str]]) -> str:
    value = row.values.get(column, "")
    if not value:
        problems.append((column, "required", _("%(column)s is required.") % {"column": column}))
    return value


def parse_date(value: str, column: str, problems: list[tuple[str, str, str]]) -> date | None:
    if not value:
        return None
    text = value.strip()
    for candidate in (text[:10], text.replace("/", "-")[:10]):
        try:
            return date.fromisoformat(candidate)
        except ValueError:
            continue
    if len(text) == 8 and text.isdigit():  # YYYYMMDD, as openFDA writes dates
        try:
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        except ValueError:
            pass
    problems.append(
        (column, "date", _("%(value)s is not a date (use YYYY-MM-DD).") % {"value": value})
    )
    return None


def parse_bool(value: str, column: str, problems: list[tuple[str, str, str]]) -> bool:
    text = value.strip().lower()
    if text in {"", "0", "false", "no", "n", "否", "f"}:
        return False
    if text in {"1", "true", "yes", "y", "是", "t"}:
        return True
    problems.append((column, "boolean", _("%(value)s is not yes/no.") % {"value": value}))
    return False


# The largest whole number an import writes: quantities go into ``PositiveIntegerField``
# columns, 32-bit ``integer`` on PostgreSQL (64-bit on SQLite): the smaller bound holds for both.
MAX_WHOLE = 2_147_483_647
# Longest number text read at all: past this a value is refused before it is converted (a
# number of thousands of digits would make ``int()`` raise, or take quadratic time).
MAX_NUMBER_CHARS = 40
_WHOLE = re.compile(r"[+-]?[0-9]+(?:\.0+)?", re.ASCII)
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)


def shown(value: str, limit: int = 40) -> str:
    """A cell's text as a message quotes it: at most ``limit`` characters."""
    return value if len(value) <= limit else value[:limit] + "…"


def whole_number(
    value: str, column: str, *, low: int, high: int = MAX_WHOLE
) -> tuple[int | None, tuple[str, str, str] | None]:
    """A whole number written with the digits 0-9 (``12``, ``+12``, ``12.0``), between ``low``
    and ``high``; otherwise the problem ``(column, code, message)``. Refuses what ``int()`` would
    take or choke on in other ways: ``--5``, ``²``, ``٣`` (other scripts' digits), ``1_000``,
    ``1e3``, and numbers of thousands of digits."""
    text = value.strip()
    if len(text) > MAX_NUMBER_CHARS or not _WHOLE.fullmatch(text):
        return None, (
            column,
            "integer",
            _("%(value)s is not a whole number: write it with the digits 0-9 only, e.g. 25.")
            % {"value": shown(value)},
        )
    number = int(text.split(".", 1)[0])
    if number < low:
        if low == 1:
            return number, (
                column,
                "quantity",
                _("%(value)s must be greater than zero.") % {"value": value},
            )
        return number, (
            column,
            "range",
            _("%(value)s is outside %(low)s…%(high)s.")
            % {"value": value, "low": low, "high": high},
        )
    if number > high:
        return number, (
            column,
            "range",
            _("%(value)s is too large: %(column)s is at most %(maximum)s.")
            % {"value": shown(value), "column": column, "maximum": high},
        )
    return number, None


def parse_decimal(
    value: str, column: str, problems: list[tuple[str, str, str]], low: float, high: float
) -> Decimal | None:
    """A plain decimal (``31.2304``, ``-121.5``) within ``low``…``high``; ``NaN``, ``inf``,
    exponents and other scripts' digits are refused with the problem named."""
    if not value:
        return None
    text = value.strip()
    if len(text) > MAX_NUMBER_CHARS or not _DECIMAL.fullmatch(text):
        problems.append(
            (
                column,
                "number",
                _(
                    "%(value)s is not a number: write it with the digits 0-9 and a decimal point, e.g. 31.2304."
                )
                % {"value": shown(value)},
            )
        )
        return None
    number = Decimal(text)
    if not (Decimal(str(low)) <= number <= Decimal(str(high))):
        problems.append(
            (
                column,
                "range",
                _("%(value)s is outside %(low)s…%(high)s.")
                % {"value": value, "low": low, "high": high},
            )
        )
        return None
    return number.quantize(Decimal("0.000001"))


def parse_positive_int(
    value: str, column: str, problems: list[tuple[str, str, str]], *, allow_zero: bool = False
) -> int | None:
    if not value:
        return None
    number, problem = whole_number(value, column, low=0 if allow_zero else 1)
    if problem:
        problems.append(problem)
        return None
    return number


def choice(
    value: str,
    column: str,
    allowed: Iterable[str],
    problems: list[tuple[str, str, str]],
    aliases: dict[str, str] | None = None,
) -> str:
    text = value.strip().lower()
    text = (aliases or {}).get(text, text)
    allowed = list(allowed)
    if text not in allowed:
        problems.append(
            (
                column,
                "choice",
                _("%(value)s is not one of: %(allowed)s.")
                % {"value": value, "allowed": ", ".join(allowed)},
            )
        )
    return text


# -- shared steps of the importers' check and apply -----------------------------------------

Problems = list[tuple[int, str, str, str]]  # (row, column, code, message), as ``check`` gives them


def by_row(*kinds: Problems) -> Problems:
    """Problems found kind by kind, put in row order; a row's problems stay in the order of
    ``kinds`` (what a check looking at one row at a time would have listed)."""
    return sorted((problem for kind in kinds for problem in kind), key=lambda p: p[0])


def repeated(
    records: Iterable[tuple[int, R]],
    key: Callable[[R], Hashable],
    column: str,
    message: Callable[[R], str],
) -> Problems:
    """A ``duplicate`` problem for every row whose ``key`` another row of the file has too."""
    records = list(records)
    counts = Counter(key(record) for _number, record in records)
    return [
        (number, column, "duplicate", message(record))
        for number, record in records
        if counts[key(record)] > 1
    ]


M = TypeVar("M", bound=Model)
K = TypeVar("K", bound=Hashable)


@dataclass
class Upserted(Generic[M]):
    """What ``upsert`` did: the rows it created and changed, and how many it left as they were."""

    new: list[M]
    changed: list[M]
    unchanged: int

    @property
    def applied(self) -> Applied:
        return Applied(created=len(self.new), updated=len(self.changed), unchanged=self.unchanged)

    @property
    def wrote(self) -> bool:
        return bool(self.new or self.changed)

    def changes(self, name: Callable[[M], Any] | None = None) -> dict[str, Any]:
        """What the import's audit entry records: the rows created and updated, each named by
        ``name`` (at most 500 of each), or counted."""
        if name is None:
            return {"created": len(self.new), "updated": len(self.changed)}
        return {
            "created": [name(row) for row in self.new][:500],
            "updated": [name(row) for row in self.changed][:500],
        }


def upsert(
    model: type[M],
    existing: Mapping[K, M],
    rows: Iterable[tuple[K, dict[str, Any]]],
    *,
    fields: Sequence[str],
    keep: Callable[[Any], bool] = lambda _value: True,
    update: bool = True,
    batch_size: int | None = None,
) -> Upserted[M]:
    """Create or update rows by natural key: ``rows`` gives each key with the new row's values,
    ``existing`` the rows already recorded by key. A recorded row takes the values of ``fields``
    that differ and that ``keep`` accepts (e.g. not blank: an empty cell never erases a known
    value), or nothing if not ``update``; a row with nothing to take is unchanged. Two
    statements at most (``bulk_create``, ``bulk_update``), in batches of ``batch_size``."""
    new: list[M] = []
    changed: list[M] = []
    unchanged = 0
    for key, values in rows:
        current = existing.get(key)
        if current is None:
            new.append(model(**values))
            continue
        updates = {
            name: values[name]
            for name in fields
            if keep(values[name]) and getattr(current, name) != values[name]
        }
        if update and updates:
            for name, value in updates.items():
                setattr(current, name, value)
            changed.append(current)
        else:
            unchanged += 1
    model._default_manager.bulk_create(new, batch_size=batch_size)
    if changed:  # with no good row there may be no fields either, which bulk_update refuses
        model._default_manager.bulk_update(changed, list(fields), batch_size=batch_size)
    return Upserted(new, changed, unchanged)
