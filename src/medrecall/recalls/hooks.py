"""Callbacks that contexts above recalls register to act on a lifecycle transition (e.g.
execution places stock holds when a recall is approved) without recalls importing them.

Hooks run inside ``recall_transition``'s transaction, after the transition is recorded: a hook
that raises refuses the transition and nothing of it is kept."""

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
