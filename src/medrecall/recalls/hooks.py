"""Callbacks that contexts above recalls register to act on a lifecycle transition or a newly
frozen scope (e.g. execution places stock holds when a recall is approved, and again for
what a re-scope adds), or to say what still keeps a recall from closing (execution's unit
accounting, notices' replies), without recalls importing them.

Hooks run inside the transaction of ``recall_transition`` / ``scope_freeze``, after the change
is recorded: a hook that raises refuses the change and nothing of it is kept."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .models import RecallCase

TransitionHook = Callable[["RecallCase", str, str, Any], None]  # (recall, source, target, actor)

_HOOKS: dict[str, TransitionHook] = {}


def on_transition(name: str, hook: TransitionHook) -> None:
    """Register (or replace, by name) a hook; call from an ``AppConfig.ready``."""
    _HOOKS[name] = hook


def run_transition_hooks(recall: RecallCase, source: str, target: str, actor: Any) -> None:
    for hook in _HOOKS.values():
        hook(recall, source, target, actor)


ScopeHook = Callable[["RecallCase", Any], None]  # (recall, actor)

_SCOPE_HOOKS: dict[str, ScopeHook] = {}


def on_scope_frozen(name: str, hook: ScopeHook) -> None:
    """Register (or replace, by name) a hook run after every scope freeze."""
    _SCOPE_HOOKS[name] = hook


def run_scope_hooks(recall: RecallCase, actor: Any) -> None:
    for hook in _SCOPE_HOOKS.values():
        hook(recall, actor)


@dataclass(frozen=True)
class Finding:
    """One thing a closure check found: ``blocking`` findings refuse closing (unless a closure
    exception is signed); the others are information shown beside them."""

    source: str
    message: str
    blocking: bool = True


ClosureCheck = Callable[["RecallCase"], list[Finding]]

_CLOSURE_CHECKS: dict[str, ClosureCheck] = {}


def on_closure_check(name: str, check: ClosureCheck) -> None:
    """Register (or replace, by name) a check run before a recall may close (e.g. execution's
    unit accounting, notices' replies); call from an ``AppConfig.ready``."""
    _CLOSURE_CHECKS[name] = check


def run_closure_checks(recall: RecallCase) -> list[Finding]:
    return [finding for check in _CLOSURE_CHECKS.values() for finding in check(recall)]


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

_BASELINE_HOOKS: dict[str, BaselineHook] = {}


def on_scope_baseline(name: str, hook: BaselineHook) -> None:
    """Register (or replace, by name) what a context has already handled under a recall."""
    _BASELINE_HOOKS[name] = hook


def handled_units(recall: RecallCase) -> list[Handled]:
    return [hook(recall) for hook in _BASELINE_HOOKS.values()]
