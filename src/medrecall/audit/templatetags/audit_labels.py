"""``{% load audit_labels %}{{ entry.action|action_label }}``: an audit action in words."""

from __future__ import annotations

from django import template

from medrecall.audit.labels import action_label as _action_label

register = template.Library()


@register.filter(name="action_label")
def action_label(code: str) -> str:
    return _action_label(str(code))


def _text(value: object) -> str:
    """A recorded value as a reader sees it: lists one after the other, mappings as key: value."""
    if value is None or value == "":
        return "—"
    if isinstance(value, list | tuple):
        return "; ".join(_text(item) for item in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_text(item)}" for key, item in value.items()) or "—"
    return str(value)


@register.filter(name="audit_changes")
def audit_changes(changes: object) -> list[dict[str, object]]:
    """An entry's changes as rows: ``[old, new]`` pairs as a change, any other value (a signature's
    meaning, step and hash, recorded as they are) as that value, never cut into characters."""
    if not isinstance(changes, dict):
        return []
    rows: list[dict[str, object]] = []
    for field, change in changes.items():
        if isinstance(change, list | tuple) and len(change) == 2:
            rows.append(
                {"field": field, "pair": True, "old": _text(change[0]), "new": _text(change[1])}
            )
        else:
            rows.append({"field": field, "pair": False, "value": _text(change)})
    return rows
