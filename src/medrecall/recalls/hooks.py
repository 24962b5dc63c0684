"""Callbacks that contexts above recalls register to act on a lifecycle transition or a newly
frozen scope (e.g. execution places stock holds when a recall is approved, and again for
what a re-scope adds) without recalls importing them.

Hooks run inside the transaction of ``recall_transition`` / ``scope_freeze``, after the change
is recorded: a hook that raises refuses the change and nothing of it is kept."""

from __future__ import annotations

from collections.abc import Callable
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
