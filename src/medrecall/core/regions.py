"""Countries and provinces/states: accept what people type (ISO codes, English or Chinese
names) and store ISO 3166 codes, so impact by region groups the same place together."""

from __future__ import annotations

import gettext
import re
from functools import cache

_SUFFIXES = re.compile(
    r"(\s+(sheng|shi|zizhiqu|sar|huizu zizhiqu|zhuangzu zizhiqu|uygur zizhiqu))$|(省|市|自治区|特别行政区|壮族自治区|回族自治区|维吾尔自治区)$"
)


def _key(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().lower())


@cache
def _country_index() -> dict[str, str]:
    import pycountry  # its tables take ~40 ms to load: when a region is first named

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
    import pycountry  # its tables take ~40 ms to load: when a region is first named

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
    import pycountry  # its tables take ~40 ms to load: when a region is first named

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


# China's provinces, autonomous regions, municipalities and special administrative regions by
# ISO 3166-2 code: the name in English as it is usually written (without pycountry's pinyin
# suffix, "Sichuan Sheng") and the full Chinese name. The China map's features carry the same
# codes (web/static/vendor/maps/china-provinces.json, from their GB/T 2260 codes).
PROVINCES: dict[str, tuple[str, str]] = {
    "CN-AH": ("Anhui", "安徽省"),
    "CN-BJ": ("Beijing", "北京市"),
    "CN-CQ": ("Chongqing", "重庆市"),
    "CN-FJ": ("Fujian", "福建省"),
    "CN-GD": ("Guangdong", "广东省"),
    "CN-GS": ("Gansu", "甘肃省"),
    "CN-GX": ("Guangxi", "广西壮族自治区"),
    "CN-GZ": ("Guizhou", "贵州省"),
    "CN-HA": ("Henan", "河南省"),
    "CN-HB": ("Hubei", "湖北省"),
    "CN-HE": ("Hebei", "河北省"),
    "CN-HI": ("Hainan", "海南省"),
    "CN-HK": ("Hong Kong", "香港特别行政区"),
    "CN-HL": ("Heilongjiang", "黑龙江省"),
    "CN-HN": ("Hunan", "湖南省"),
    "CN-JL": ("Jilin", "吉林省"),
    "CN-JS": ("Jiangsu", "江苏省"),
    "CN-JX": ("Jiangxi", "江西省"),
    "CN-LN": ("Liaoning", "辽宁省"),
    "CN-MO": ("Macao", "澳门特别行政区"),
    "CN-NM": ("Inner Mongolia", "内蒙古自治区"),
    "CN-NX": ("Ningxia", "宁夏回族自治区"),
    "CN-QH": ("Qinghai", "青海省"),
    "CN-SC": ("Sichuan", "四川省"),
    "CN-SD": ("Shandong", "山东省"),
    "CN-SH": ("Shanghai", "上海市"),
    "CN-SN": ("Shaanxi", "陕西省"),
    "CN-SX": ("Shanxi", "山西省"),
    "CN-TJ": ("Tianjin", "天津市"),
    "CN-TW": ("Taiwan", "台湾省"),
    "CN-XJ": ("Xinjiang", "新疆维吾尔自治区"),
    "CN-XZ": ("Tibet", "西藏自治区"),
    "CN-YN": ("Yunnan", "云南省"),
    "CN-ZJ": ("Zhejiang", "浙江省"),
}


@cache
def subdivision_name(code: str, language: str = "en") -> str:
    """A province or state by its ISO 3166-2 code, named in ``language`` (the code if unknown)."""
    import pycountry  # its tables take ~40 ms to load: when a region is first named

    if code in PROVINCES:
        english, chinese = PROVINCES[code]
        return chinese if language.startswith("zh") else english
    found = pycountry.subdivisions.get(code=code)  # type: ignore[no-untyped-call]
    if found is None:
        return code
    name = str(found.name)
    if language.startswith("zh"):
        zh = gettext.translation(
            "iso3166-2", pycountry.LOCALES_DIR, languages=["zh_CN"], fallback=True
        )
        return zh.gettext(name)
    return name


def region_name(code: str, language: str = "en") -> str:
    """A region by its code (a province or state ``CN-SC``, else a country ``SG``) in
    ``language``; what the reports group holders by."""
    if "-" in code:
        return subdivision_name(code, language)
    return country_name(code, language) if code else code
