"""``{% load audit_labels %}{{ entry.action|action_label }}``: an audit action in words."""

from __future__ import annotations

from django import template

from medrecall.audit.labels import action_label as _action_label

register = template.Library()


@register.filter(name="action_label")
def action_label(code: str) -> str:
    return _action_label(str(code))
