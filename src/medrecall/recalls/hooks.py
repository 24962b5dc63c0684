"""Callbacks that contexts above recalls register to act on a lifecycle transition or a newly
frozen scope (e.g. execution places stock holds when a recall is approved, and again for
what a re-scope adds), or to say what still keeps a recall from closing (execution's unit
accounting, notices' replies), without recalls importing them.

Four registries (:class:`~medrecall.core.registry.Registry`), each filled from the upper
contexts' ``AppConfig.ready()`` (``TRANSITION_HOOKS.register("execution.holds", hook)``) and run
in registration order, i.e. ``INSTALLED_APPS`` order (notices before execution).

Hooks run inside the transaction of ``recall_transition`` / ``scope_freeze``, after the change
is recorded: a hook that raises refuses the change and nothing of it is kept."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from medrecall.accounts.models import User
from medrecall.core.registry import Registry

if TYPE_CHECKING:
    from .models import RecallCase

TransitionHook = Callable[["RecallCase", str, str, User], None]  # (recall, source, target, actor)

TRANSITION_HOOKS: Registry[TransitionHook] = Registry("recall transition hook")


def run_transition_hooks(recall: RecallCase, source: str, target: str, actor: User) -> None:
    for hook in TRANSITION_HOOKS:
        hook(recall, source, target, actor)


ScopeHook = Callable[["RecallCase", User], None]  # (recall, actor)

# Run after every scope freeze.
SCOPE_HOOKS: Registry[ScopeHook] = Registry("scope-frozen hook")


def run_scope_hooks(recall: RecallCase, actor: User) -> None:
    for hook in SCOPE_HOOKS:
        hook(recall, actor)


@dataclass(frozen=True)
class Finding:
    """One thing a closure check found: ``blocking`` findings refuse closing (unless a closure
    exception is signed); the others are information shown beside them."""

    source: str
    message: str
    blocking: bool = True


ClosureCheck = Callable[["RecallCase"], list[Finding]]

# Checks run before a recall may close (execution's unit accounting, notices' replies).
CLOSURE_CHECKS: Registry[ClosureCheck] = Registry("closure check")


# Which document meets a deadline of the clock (its key → the document type's code, "" for a
# deadline no document meets): the filings context answers; the work queues link there.
DEADLINE_DOCUMENTS: Registry[Callable[[str], str]] = Registry("document meeting a deadline")


def document_for_deadline(key: str) -> str:
    return next((code for find in DEADLINE_DOCUMENTS if (code := find(key))), "")


def run_closure_checks(recall: RecallCase) -> list[Finding]:
    return [finding for check in CLOSURE_CHECKS for finding in check(recall)]


ExcusedUnits = Callable[["RecallCase"], int]

# Units still at holders that a context above accepts as accounted, read by execution's
# "units still at holders" finding (effectiveness registers its signed unit exceptions, each
# counted at most up to what is at that holder and lot).
AT_HOLDERS_EXCUSED: Registry[ExcusedUnits] = Registry("excused units at holders")


@dataclass(frozen=True)
class Handled:
    """Units a context above has already dealt with under the recall, which a re-scope keeps
    in its baseline so the unit accounting still balances (see ``scope_freeze``).

    ``lot_ids``: lots handled at lot level (they stay in scope whole); ``serial_ids_by_lot``:
    serials handled one by one; ``gone``: (lot, serial, location, quantity) dealt with and no
    longer anywhere (destroyed), kept as lines of category *dispositioned* at that location;
    ``settled``: (lot, serial, location) where units are only because a disposition sent them
    there (e.g. a supplier): category *dispositioned* too, so they get no notice."""

    lot_ids: frozenset[int] = frozenset()
    serial_ids_by_lot: Mapping[int, frozenset[int]] = field(default_factory=dict)
    gone: tuple[tuple[int, int | None, int, int], ...] = ()
    settled: frozenset[tuple[int, int | None, int]] = frozenset()


BaselineHook = Callable[["RecallCase"], Handled]

# What a context has already handled under a recall (kept in a re-scope's baseline).
BASELINE_HOOKS: Registry[BaselineHook] = Registry("scope baseline hook")


def handled_units(recall: RecallCase) -> list[Handled]:
    return [hook(recall) for hook in BASELINE_HOOKS]


@dataclass(frozen=True)
class NotOwed:
    """A deadline the records show the recall does not owe at all (FDA's with no US consignee,
    a "notify holders" deadline with no holder under its regime): the clock shows it as not
    owed, with no due state, and lists it nowhere as open. ``reason``: a key of
    ``recalls.deadlines.NOT_OWED_REASONS``. Worked out from the current frozen scope, so a
    re-scope that brings such holders in brings the deadline back."""

    reason: str


@dataclass(frozen=True)
class Partly:
    """A deadline the records show partly met: ``done`` of the ``of`` submissions it needs (a
    filing addressed to several authorities, submitted to some of them: the NMPA plan to the
    registrant's provincial MPA and not yet to the recall place's). The deadline stays open and
    keeps its due state (open, due soon, breached); the clock shows the progress beside it
    ("Submitted to 1 of 4 authorities", ``DeadlineRow.progress_note``). Counts only, no text:
    the same figure for every language. On a recurring deadline it is the oldest period not
    done (the one the submission will mark done once every authority has it)."""

    done: int
    of: int


DeadlineRecord = datetime | NotOwed | Partly
DoneFromRecords = Callable[[list["RecallCase"]], dict[tuple[int, str], DeadlineRecord]]

# What the records a context above keeps show of a deadline, per (recall id, deadline key):
# done at a time (notices: the "notify holders" deadlines once every holder is notified;
# filings: a document submitted to every authority addressed), which the clock shows as done
# unless a person marked the deadline done first; partly met (``Partly``: a filing submitted to
# some of its authorities), shown beside a deadline that stays open; or not owed (``NotOwed``),
# which wins over everything (every period of a recurring one).
DEADLINE_DONE_SOURCES: Registry[DoneFromRecords] = Registry("deadline done source")

# Which value wins when two sources answer the same deadline: not owed, then done, then partly.
_PRECEDENCE: dict[type, int] = {Partly: 0, datetime: 1, NotOwed: 2}


def _precedence(value: DeadlineRecord) -> int:
    return next(rank for kind, rank in _PRECEDENCE.items() if isinstance(value, kind))


def deadlines_done_from_records(
    recalls: list[RecallCase],
) -> dict[tuple[int, str], DeadlineRecord]:
    found: dict[tuple[int, str], DeadlineRecord] = {}
    for source in DEADLINE_DONE_SOURCES:
        for key, value in source(recalls).items():
            known = found.get(key)
            if known is not None and _precedence(known) > _precedence(value):
                continue  # not owed stays not owed; done by one context's records stays done
            found[key] = value
    return found
