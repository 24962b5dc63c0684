"""Regions as finance shows and takes them: a request for quotes names the countries or
provinces/states a vendor must cover (typed as ISO codes or names, English or Chinese, stored
as ISO 3166 codes); pages, forecasts and exports show each by its name in the reader's
language, and where no Chinese name is known say so clearly (the country's Chinese name with
the English one) rather than pass an English name off as a translation."""

from __future__ import annotations

import re

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from medrecall.core import regions

from .errors import QuoteRefused

_PARTS = re.compile(r"\s*[,;，、；/]\s*")
_CODE = re.compile(r"^[A-Za-z]{2}-[A-Za-z0-9]{1,3}$")


def region_label(code: str, language: str | None = None) -> str:
    """``code`` (a country ``SG`` or a subdivision ``SG-01``) by name in ``language`` (the
    active one by default). A subdivision without a Chinese name is shown in Chinese as its
    country's Chinese name and the English name ("新加坡 Central Singapore"); an unknown code
    stays the code."""
    language = language or get_language() or "en"
    if not code:
        return code
    name = regions.region_name(code, language)
    if "-" not in code or not language.startswith("zh"):
        return name
    english = regions.region_name(code, "en")
    if name != english:
        return name
    country = regions.country_name(code.split("-", 1)[0].upper(), language)
    return f"{country} {english}" if english != code else f"{country} {code}"


def regions_label(codes: str, language: str | None = None) -> str:
    """A stored list of region codes ("CN-SC, CN-CQ") by name; text that is not a list of
    codes (requests entered before regions were checked) is shown as it was typed."""
    language = language or get_language() or "en"
    parts = [p for p in _PARTS.split(codes or "") if p]
    if not parts or not all(p.upper() == p and _known(p) for p in parts):
        return codes
    separator = "、" if language.startswith("zh") else ", "
    return separator.join(region_label(p, language) for p in parts)


def _known(code: str) -> bool:
    if "-" in code:
        return bool(_CODE.match(code)) and regions.region_name(code, "en") != code
    return regions.country_code(code) == code


def _one(text: str, home: str) -> str | None:
    if _CODE.match(text):
        code = text.upper()
        return code if regions.region_name(code, "en") != code else None
    return regions.country_code(text) or regions.subdivision_code(home, text) or None


def regions_checked(text: str, *, home: str = "CN", where: str = "region") -> str:
    """What was typed ("Sichuan, 重庆", "CN-SC", "SG", "China") as ISO codes joined by ", ":
    each part a country or a province/state (of ``home`` when only its name is given); a part
    that is neither is refused by name."""
    parts = [p for p in _PARTS.split(text.strip()) if p]
    if not parts:
        raise QuoteRefused(_("Say which region the vendor must cover."), where=where)
    codes: list[str] = []
    for part in parts:
        code = _one(part, home)
        if code is None:
            raise QuoteRefused(
                _(
                    "%(region)s is not a country or a province/state. Give an ISO code or a "
                    "name, e.g. CN, China, 中国, CN-SC, Sichuan, 四川; several separated by "
                    "commas."
                )
                % {"region": part},
                where=where,
            )
        if code not in codes:
            codes.append(code)
    return ", ".join(codes)
