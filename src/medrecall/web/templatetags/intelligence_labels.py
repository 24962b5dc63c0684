"""Words for the public recall history pages: root causes in the page's language, what a
record covered, the codes read from its code information."""

from __future__ import annotations

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import ngettext, pgettext

from medrecall.intelligence.glossary import root_cause_label
from medrecall.intelligence.models import PublicRecall

register = template.Library()


@register.filter
def root_cause(value: str) -> str:
    return root_cause_label(value) if value else "—"


@register.filter
def likeness(value: str) -> str:
    labels = {
        "text": pgettext("public recall", "words"),
        "product_code": pgettext("public recall", "product code"),
        "root_cause": pgettext("public recall", "root cause"),
        "firm": pgettext("public recall", "firm"),
        "k_number": pgettext("public recall", "510(k)"),
        "model": pgettext("public recall", "model number"),
    }
    return labels.get(value, value)


def covered_text(record: PublicRecall) -> str:
    """Quantity, lots or serials, where it went: one line."""
    parts = []
    if record.quantity is not None:
        parts.append(f"{record.quantity:,} {record.quantity_unit}".strip())
    codes = record.codes or {}
    lots = len(codes.get("lots", [])) + len(codes.get("lot_ranges", []))
    if lots:
        parts.append(
            ngettext("%(count)s lot", "%(count)s lots or lot ranges", lots) % {"count": lots}
        )
    serials = len(codes.get("serials", [])) + len(codes.get("serial_ranges", []))
    if serials:
        parts.append(
            ngettext("%(count)s serial", "%(count)s serials or serial ranges", serials)
            % {"count": serials}
        )
    if record.nationwide:
        parts.append(pgettext("public recall", "US nationwide"))
    elif record.states:
        parts.append(
            ngettext("%(count)s US state", "%(count)s US states", len(record.states))
            % {"count": len(record.states)}
        )
    abroad = [c for c in record.countries if c != "US"]
    if abroad:
        parts.append(", ".join(abroad))
    elif record.worldwide:
        parts.append(pgettext("public recall", "international"))
    return "; ".join(parts) or "—"


@register.simple_tag
def covered(record: PublicRecall) -> str:
    return covered_text(record)


@register.simple_tag
def codes_list(record: PublicRecall) -> SafeString:
    codes = record.codes or {}
    names = {
        "lots": pgettext("public recall", "Lots"),
        "lot_ranges": pgettext("public recall", "Lot ranges"),
        "serials": pgettext("public recall", "Serial numbers"),
        "serial_ranges": pgettext("public recall", "Serial ranges"),
        "models": pgettext("public recall", "Models / REF"),
        "versions": pgettext("public recall", "Software versions"),
        "udis": pgettext("public recall", "UDIs"),
    }
    rows = []
    for key, label in names.items():
        values = codes.get(key) or []
        if key.endswith("_ranges"):
            shown = [f"{low} – {high}" for low, high in values]
        elif key == "udis":
            shown = [" ".join(f"{k}={v}" for k, v in udi.items()) for udi in values]
        else:
            shown = list(values)
        if shown:
            rows.append((label, ", ".join(shown)))
    if not rows:
        return SafeString("")
    return format_html('<ul class="codes">{}</ul>', format_html_join("", "<li>{}: {}</li>", rows))
