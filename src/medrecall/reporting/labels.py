"""The words of the cockpit: stage names, and the names of the regions, holder types and
echelons its figures are grouped by, in the reader's language (never a stored code)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from medrecall.core.regions import PROVINCES, country_name
from medrecall.core.regions import subdivision_name as _subdivision_name
from medrecall.parties.models import PartyType

STAGE_LABELS = {
    "affected": gettext_lazy("Affected"),
    "sent": pgettext_lazy("funnel stage", "Notice sent"),
    "notified": gettext_lazy("Notified"),
    "delivered": pgettext_lazy("notice reached the holder", "Delivered"),
    "acknowledged": gettext_lazy("Acknowledged or replied"),
    "recovered": gettext_lazy("Returned or corrected"),
    "dispositioned": gettext_lazy("Dispositioned"),
    "silent": gettext_lazy("Silent (notified, no acknowledgement or reply)"),
    "not_notified": gettext_lazy("Not notified yet"),
}

# What each stage counts, in words (under the stage on the cockpit): one definition of
# "notified" everywhere (``notices.notify_by.notified_q``).
STAGE_HELP = {
    "affected": gettext_lazy("Every unit and every holder of the frozen scope."),
    "sent": gettext_lazy(
        "A recall notice or reminder at least sent (e-mail handed over, letter posted), or the "
        "holder notified. Sent alone does not notify."
    ),
    "notified": gettext_lazy(
        "The holder has the notice: a notice delivered, opened, acknowledged or replied to, "
        "its reply, or a phone call logged. The notify-by page and the filings count the same."
    ),
    "delivered": gettext_lazy(
        "Notified, with a notice delivered (delivery report), or acknowledged or replied to."
    ),
    "acknowledged": gettext_lazy(
        "Notified, and a notice acknowledged, its reply in, or its units returned or corrected."
    ),
    "recovered": gettext_lazy(
        "Units received back into our quarantine, dispositioned, or corrected on site."
    ),
    "dispositioned": gettext_lazy("Units whose disposition is done."),
}


def stage_help(key: str) -> str:
    return str(STAGE_HELP.get(key, ""))


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
