"""The words of the cockpit: stage names, and the names of the regions, holder types and
echelons its figures are grouped by, in the reader's language (never a stored code)."""

from __future__ import annotations

import gettext
from functools import cache

import pycountry
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from medrecall.core.regions import country_name
from medrecall.parties.models import PartyType

STAGE_LABELS = {
    "affected": gettext_lazy("Affected"),
    "notified": gettext_lazy("Notified"),
    "delivered": pgettext_lazy("notice reached the holder", "Delivered"),
    "acknowledged": gettext_lazy("Acknowledged or replied"),
    "recovered": gettext_lazy("Returned or corrected"),
    "dispositioned": gettext_lazy("Dispositioned"),
    "silent": gettext_lazy("Silent (notified, no acknowledgement or reply)"),
    "not_notified": gettext_lazy("Not notified yet"),
}

DRILL_LABELS = {
    "country": gettext_lazy("Country"),
    "province": gettext_lazy("Province/state"),
    "party_type": gettext_lazy("Holder type"),
    "echelon": gettext_lazy("Echelon"),
}


def stage_label(key: str) -> str:
    return str(STAGE_LABELS.get(key, key))


def drill_label(key: str) -> str:
    return str(DRILL_LABELS.get(key, key))


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
def _subdivision_name(code: str, language: str) -> str:
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


def province_names(language: str) -> dict[str, str]:
    """Every province of the China map by code, named in ``language`` (its tooltips)."""
    return {code: _subdivision_name(code, language) for code in PROVINCES}


def group_label(kind: str, key: str, language: str) -> str:
    """The name of a region (ISO code), holder type or echelon in ``language``."""
    if key in ("", "-", None):
        return _("Unknown")
    if kind in ("country", "by_country"):
        return country_name(key, language)
    if kind in ("province", "by_province"):
        return _subdivision_name(key, language)
    if kind in ("party_type", "by_party_type"):
        return str(PartyType(key).label) if key in PartyType.values else key
    if kind in ("echelon", "by_echelon"):
        return _("Echelon %(echelon)s") % {"echelon": key}
    return key
