"""``{% load audit_labels %}{{ entry.action|action_label }}``: an audit action in words."""

from __future__ import annotations

from django import template
from django.db import models

from medrecall.audit.labels import action_label as _action_label
from medrecall.audit.presentation import changes_in_words

register = template.Library()


@register.filter(name="action_label")
def action_label(code: str) -> str:
    return _action_label(str(code))


@register.filter(name="audit_changes")
def audit_changes(changes: object, target: object = None) -> list[dict[str, object]]:
    """An entry's changes as rows, each field by its label and each code by its choice label
    when ``target`` (the record or its model) has them (``audit.presentation``): ``{{
    entry.changes|audit_changes:recall }}``."""
    model = target if isinstance(target, type) else type(target) if target is not None else None
    if model is not None and not issubclass(model, models.Model):
        model = None
    return changes_in_words(changes, model)
