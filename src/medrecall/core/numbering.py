"""Document numbers: one counter per series and year, safe when two writers ask at once.

A number is made from a pattern with the fields ``{year}`` and ``{seq}`` (``RC-{year}-{seq:04d}``,
``RA-{year}-{seq:05d}``). The counter is a row (``NumberSequence``) locked with
``select_for_update`` inside the caller's transaction: a second writer waits until the first
has committed its record (or rolled back: then the number is given again, no gap). The first
number of a series and year continues from the highest number of that pattern already stored,
so numbers given before the counter existed (or by an import) go on without a clash.

A pattern without ``{year}`` counts on across years (the counter's year is ``0``).
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable
from datetime import datetime

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from .models import NumberSequence


def number_pattern_regex(pattern: str, *, year: int) -> re.Pattern[str]:
    """The numbers ``pattern`` makes in ``year``, with the sequence as the one group."""
    parts: list[str] = []
    for literal, name, spec, _conversion in string.Formatter().parse(pattern):
        parts.append(re.escape(literal))
        if name == "year":
            parts.append(re.escape(format(year, spec or "")))
        elif name == "seq":
            parts.append(r"(\d+)")
        elif name is not None:
            raise ValueError(f"unknown field {{{name}}} in number pattern {pattern!r}")
    return re.compile("".join(parts))


def highest_number(model: type[models.Model], pattern: str, *, year: int) -> int:
    """The highest sequence among ``model``'s stored numbers that ``pattern`` makes in ``year``
    (0 when there is none). Read once per series and year, when its counter is created."""
    matcher = number_pattern_regex(pattern, year=year)
    prefix = pattern.split("{", 1)[0]
    numbers = model._default_manager.filter(number__startswith=prefix).values_list(
        "number", flat=True
    )
    return max((int(found.group(1)) for n in numbers if (found := matcher.fullmatch(n))), default=0)


def _counter(series: str, year: int) -> NumberSequence:
    """The locked counter row, created at 0 the first time. Two writers creating it at once: the
    unique constraint lets one in; the other waits for it to commit, then locks that row."""
    counter = NumberSequence.objects.select_for_update().filter(series=series, year=year).first()
    if counter is not None:
        return counter
    try:
        with transaction.atomic():
            return NumberSequence.objects.create(series=series, year=year)
    except IntegrityError:
        return NumberSequence.objects.select_for_update().get(series=series, year=year)


@transaction.atomic
def number_next(*, model: type[models.Model], pattern: str, now: datetime | None = None) -> str:
    """The next number of ``model``'s series (its ``number`` column) from ``pattern``.

    Call it inside the transaction that stores the record: the counter stays locked until that
    commits, so concurrent writers get consecutive, distinct numbers."""
    year = (now or timezone.now()).year
    key = year if "{year" in pattern else 0
    series = model._meta.label_lower
    counter = _counter(series, key)
    if counter.last == 0:  # a new counter: go on from the numbers already stored
        counter.last = highest_number(model, pattern, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return pattern.format(year=year, seq=counter.last)


def next_number(model: type[models.Model], prefix: str) -> str:
    """``PREFIX-YYYY-NNNNN``: the numbers of returns, work orders and dispositions."""
    return number_next(model=model, pattern=f"{prefix}-{{year}}-{{seq:05d}}")


@transaction.atomic
def counter_next(*, series: str, year: int, start: Callable[[], int]) -> int:
    """The next value of the counter ``(series, year)`` for a number made elsewhere (an FDA 806
    report number counts per firm and day). ``start()`` is read once, when the counter is new:
    the highest value already stored. Call it inside the transaction that stores the record:
    the counter stays locked until that commits."""
    counter = _counter(series, year)
    if counter.last == 0:
        counter.last = start()
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last
