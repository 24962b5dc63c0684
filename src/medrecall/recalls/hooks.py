"""Callbacks that contexts above recalls register to act on a lifecycle transition or a newly
frozen scope (e.g. execution places stock holds when a recall is approved, and again for
what a re-scope adds), or to say what still keeps a recall from closing (execution's unit
accounting, notices' replies), without recalls importing them.

Hooks run inside the transaction of ``recall_transition`` / ``scope_freeze``, after the change
is recorded: a hook that raises refuses the change and nothing of it is kept."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
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
