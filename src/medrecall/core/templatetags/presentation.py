"""Template filters for names and times: ``{% load presentation %}``.

``{{ entry.recorded_at|local_time }}`` → "2026-12-06 09:30 CST" (``local_time:"seconds"`` adds
seconds); ``{{ user|person_name }}`` → 王芳 in Chinese pages, Fang Wang in English ones;
``{{ party|party_name }}`` → 四川华西医院 / West China Hospital."""

from __future__ import annotations

from typing import Any

from django import template

from medrecall.core import presentation

register = template.Library()


@register.filter(name="local_time")
def local_time(value: Any, arg: str = "") -> str:
    return presentation.local_time(value, seconds=arg == "seconds")


@register.filter(name="person_name")
def person_name(user: Any) -> str:
    return presentation.user_display_name(user)


@register.filter(name="joined")
def joined(items: Any) -> str:
    """A list in the page's language: 四川省、陕西省 in Chinese, "Sichuan, Shaanxi" in English."""
    return presentation.joined(items)


@register.filter(name="party_name")
def party_name(party: Any, prefix: str = "") -> str:
    """A party's name in the page's language (English name for English pages, else Chinese).
    On a ``values()`` row, name the keys' prefix: ``{{ row|party_name:"party__" }}``."""
    if party is None or isinstance(party, str):  # nothing, or a name kept as text
        return party or ""
    return presentation.party_name(party, prefix=prefix)


@register.filter(name="postal_address")
def postal_address(party: Any) -> str:
    """A party's (or location's) address in the page's language order."""
    return presentation.postal_address(
        address=getattr(party, "address", "") or "",
        city=getattr(party, "city", "") or "",
        province=getattr(party, "province", "") or "",
        country=getattr(party, "country", "") or "",
    )


@register.filter(name="country_names")
def country_names(codes: Any) -> str:
    """Country codes by name in the page's language, listed as it writes lists
    (["SG", "MY"] → "Singapore, Malaysia" / "新加坡、马来西亚")."""
    from django.utils import translation

    from medrecall.core.regions import country_name

    language = translation.get_language() or "en"
    return presentation.joined(country_name(str(code), language) for code in codes or ())
