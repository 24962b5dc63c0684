"""``{% load labels %}{{ h.party_type|label:"party_type" }}``: a code's words (see web/labels.py)."""

from __future__ import annotations

from django import template

from medrecall.web.labels import approval_step_label, label_for

register = template.Library()


@register.filter(name="label")
def label(code: object, vocabulary: str) -> str:
    return label_for(vocabulary, code)


@register.filter(name="approval_step")
def approval_step(step: object) -> str:
    return approval_step_label(step)
