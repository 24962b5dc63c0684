"""Reporting clocks of complaints and adverse events: when each regulator's report is due.

Pure functions over the awareness time and the triage category (no database), built on the
recall clock's counting (``recalls/clock.py``) so the conventions are the same:

* "N days" runs from the awareness timestamp to the same clock time N days later (the
  stricter reading; a daylight-saving change never lengthens a window).
* "N work days" is the end of the N-th working day strictly after the awareness date, in the
  regulator's calendar and time zone. A count into a year no calendar covers counts that
  year's days as working days (the earliest the real date could be) and marks the deadline
  provisional (``calendar_missing_years``) instead of refusing.

The rules, one line each in ``RULES`` (docs/quality.md, "Reporting clocks"):

* NMPA, 《医疗器械不良事件监测和再评价管理办法》 (SAMR/NHC Order No. 1, 2018): an individual
  event that caused death, within 7 days of learning of it; serious injury, or could cause
  serious injury or death, within 20 days (Art. 25); a group adverse event, within 12 hours
  (Art. 27).
* FDA, 21 CFR 803.50: 30 calendar days after becoming aware; 803.53: 5 work days when a
  remedial action is needed to prevent an unreasonable risk of substantial harm (or FDA asked).
* EU, MDR Art. 87: serious public health threat 2 days (87(4)), death or unanticipated serious
  deterioration 10 days (87(5)), any other serious incident 15 days (87(3)).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from django.utils.translation import gettext_lazy as _

from medrecall.core import workdays
from medrecall.recalls import clock as recall_clock
from medrecall.recalls.clock import Deadline, WorkingDaySources
from medrecall.recalls.models import Regime

from .models import ReportCategory

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

Count = Literal["hours", "days", "work_days"]


@dataclass(frozen=True)
class Rule:
    """One reporting obligation: its regime, how long, counted how, and its words."""

    regime: Regime
    amount: int
    count: Count
    title: StrOrPromise
    basis: StrOrPromise


RULES: dict[str, Rule] = {
    ReportCategory.NMPA_DEATH: Rule(
        Regime.NMPA,
        7,
        "days",
        _("Report the adverse event (death) to NMPA"),
        _("医疗器械不良事件监测和再评价管理办法 Art. 25: death, within 7 days of learning of it"),
    ),
    ReportCategory.NMPA_SERIOUS_INJURY: Rule(
        Regime.NMPA,
        20,
        "days",
        _("Report the adverse event (serious injury) to NMPA"),
        _(
            "医疗器械不良事件监测和再评价管理办法 Art. 25: serious injury, or could cause serious "
            "injury or death, within 20 days of learning of it"
        ),
    ),
    ReportCategory.NMPA_GROUP: Rule(
        Regime.NMPA,
        12,
        "hours",
        _("Report the group adverse event to the provincial authority"),
        _("医疗器械不良事件监测和再评价管理办法 Art. 27: group adverse event, within 12 hours"),
    ),
    ReportCategory.FDA_30_DAY: Rule(
        Regime.FDA,
        30,
        "days",
        _("Submit the MDR report (FDA Form 3500A)"),
        _("21 CFR 803.50: within 30 calendar days after becoming aware"),
    ),
    ReportCategory.FDA_5_DAY: Rule(
        Regime.FDA,
        5,
        "work_days",
        _("Submit the 5-day MDR report"),
        _("21 CFR 803.53: within 5 US work days after becoming aware"),
    ),
    ReportCategory.EU_PUBLIC_HEALTH_THREAT: Rule(
        Regime.EU_MDR,
        2,
        "days",
        _("Report the serious incident (public health threat) to the competent authority"),
        _("MDR Art. 87(4): serious public health threat, within 2 days of awareness"),
    ),
    ReportCategory.EU_DEATH_OR_SERIOUS_DETERIORATION: Rule(
        Regime.EU_MDR,
        10,
        "days",
        _(
            "Report the serious incident (death or serious deterioration) to the competent authority"
        ),
        _(
            "MDR Art. 87(5): death or unanticipated serious deterioration of health, within 10 "
            "days of awareness"
        ),
    ),
    ReportCategory.EU_OTHER: Rule(
        Regime.EU_MDR,
        15,
        "days",
        _("Report the serious incident to the competent authority"),
        _("MDR Art. 87(3): serious incident, within 15 days of awareness"),
    ),
}

# The categories a triage may choose for each regime.
CATEGORIES_BY_REGIME: dict[str, tuple[str, ...]] = {
    regime: tuple(category for category, rule in RULES.items() if rule.regime == regime)
    for regime in Regime.values
}


def category_regime(category: str) -> Regime:
    return RULES[category].regime


def reporting_deadline(
    *, category: str, aware_at: datetime, working_days: WorkingDaySources | None = None
) -> Deadline:
    """When the report for ``category`` is due, counted from ``aware_at`` (aware time).

    ``working_days`` (calendar → source) answers which days are worked, as for the recall
    clock; without it the packages' data alone."""
    if category not in RULES:
        raise recall_clock.ClockInputInvalid(
            _("Unknown reporting category %(category)s.") % {"category": category},
            where="category",
        )
    if aware_at.tzinfo is None or aware_at.utcoffset() is None:
        raise recall_clock.ClockInputInvalid(
            _("The awareness time must carry a time zone."), where="aware_at"
        )
    rule = RULES[category]
    missing: tuple[int, ...] = ()
    if rule.count == "hours":
        due_at = aware_at + timedelta(hours=rule.amount)
    elif rule.count == "days":
        due_at = recall_clock._after_days(aware_at, rule.amount)
    else:
        calendar, zone = recall_clock.REGULATOR_CALENDARS[rule.regime]
        source = (working_days or {}).get(calendar) or workdays.package_only(calendar)
        day, missing = recall_clock.working_days_counted(
            aware_at.astimezone(zone).date(), rule.amount, source=source
        )
        due_at = recall_clock._end_of_day(day, zone)
    return Deadline(
        key=category,
        regime=rule.regime,
        title=rule.title,
        due_at=due_at,
        basis=rule.basis,
        recurring=False,
        interval_days=None,
        legal=True,
        starts_at=aware_at,
        calendar_missing_years=missing,
    )
