"""Countries and provinces/states: accept what people type (ISO codes, English or Chinese
names) and store ISO 3166 codes, so impact by region groups the same place together."""

from __future__ import annotations

import gettext
import re
from functools import cache

import pycountry

_SUFFIXES = re.compile(
    r"(\s+(sheng|shi|zizhiqu|sar|huizu zizhiqu|zhuangzu zizhiqu|uygur zizhiqu))$|(省|市|自治区|特别行政区|壮族自治区|回族自治区|维吾尔自治区)$"
)


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower())


@cache
def _country_index() -> dict[str, str]:
    index: dict[str, str] = {}
    zh = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["zh_CN"], fallback=True)
    for country in pycountry.countries:
        for name in (
            country.alpha_2,
            country.alpha_3,
            country.name,
            getattr(country, "common_name", ""),
            getattr(country, "official_name", ""),
            zh.gettext(country.name),
        ):
            if name:
                index.setdefault(_key(name), country.alpha_2)
    index.update(
        {"usa": "US", "uk": "GB", "中华人民共和国": "CN", "中国大陆": "CN", "美利坚合众国": "US"}
    )
    return index


@cache
def _subdivision_index(country: str) -> dict[str, str]:
    index: dict[str, str] = {}
    zh = gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=["zh_CN"], fallback=True)
    for sub in pycountry.subdivisions.get(country_code=country) or []:  # type: ignore[no-untyped-call]
        short = sub.code.split("-", 1)[1]
        for name in (sub.code, short, sub.name, zh.gettext(sub.name)):
            index.setdefault(_key(name), sub.code)
            index.setdefault(_SUFFIXES.sub("", _key(name)), sub.code)
    if country == "CN":  # names the ISO translation lacks
        index.update({"宁夏": "CN-NX", "宁夏回族自治区": "CN-NX", "ningxia": "CN-NX"})
    return index


def country_code(text: str) -> str | None:
    """ISO 3166-1 alpha-2 for a code or a name in English or Chinese; ``None`` if unknown."""
    return _country_index().get(_key(text)) if text and text.strip() else None


def subdivision_code(country: str, text: str) -> str:
    """ISO 3166-2 code for a province/state, or ``""`` when it cannot be told (kept as text)."""
    if not country or not text or not text.strip():
        return ""
    index = _subdivision_index(country)
    return index.get(_key(text)) or index.get(_SUFFIXES.sub("", _key(text))) or ""


def country_name(code: str, language: str = "en") -> str:
    country = pycountry.countries.get(alpha_2=code) if code else None
    if country is None:
        return code
    name: str = getattr(country, "common_name", country.name)
    if language.startswith("zh"):
        zh = gettext.translation(
            "iso3166-1", pycountry.LOCALES_DIR, languages=["zh_CN"], fallback=True
        )
        return zh.gettext(country.name)
    return name
