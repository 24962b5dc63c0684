"""Compliance clock: every regulatory deadline of a recall case, computed from its timestamps.

Pure functions over dates and times (no database access), so a changed recall class or
timestamp is a recomputation and the rules can be tested against the real holiday calendars.
The rules follow docs/regulations.md (sections "China: Order 29", "United States", "European Union" and "Deadline codes"), one
line of rule per deadline in ``_nmpa``, ``_fda`` and ``_eu``; their words (title and article)
are in ``WORDING``.

Conventions (docs/regulations.md, "Open points", resolved towards the stricter reading):

* "N days" runs from the starting timestamp, not from the end of its calendar day: due at
  the same clock time N days later (or after N x 24 h, if a daylight-saving change makes
  that earlier).
* "N working days after D" is the N-th working day strictly after the date D, due at the end
  of that day in the regulator's time zone.
* Deadlines that are company-policy targets, not law, carry ``legal=False``.
* Working days come from a ``WorkingDaySource`` per calendar handed in by the caller (the
  company's entries over the packages' data, ``core/workdays.py``); the clock never reads the
  database. A count that crosses a year no source covers counts that year's days as working
  days (the earliest the real date could be) and marks the deadline provisional
  (``calendar_missing_years``) instead of refusing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache, partial
from typing import TYPE_CHECKING, Literal, Protocol
from zoneinfo import ZoneInfo

import chinese_calendar
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from medrecall.core import workdays
from medrecall.core.errors import ValidationFailed

from .models import Regime

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

CN_TZ = ZoneInfo("Asia/Shanghai")
# FDA (CDRH) works on Eastern Time, and the Eastern end of day comes first among the
# contiguous US zones, so it is the strict choice when the firm's own zone is unknown.
US_TZ = ZoneInfo("America/New_York")

Calendar = Literal["CN", "US"]
Status = Literal["done", "open", "due_soon", "breached"]

LEVELS = ("I", "II", "III")
NMPA_NOTIFY_DAYS = {"I": 1, "II": 3, "III": 7}
NMPA_FILING_WORKING_DAYS = 5
NMPA_SUMMARY_WORKING_DAYS = 10
# Company policy borrowed from the drug recall measures, not device law
# (docs/regulations.md, "China: Order 29").
NMPA_PROGRESS_POLICY_DAYS = {"I": 1, "II": 3, "III": 7}
FDA_806_WORKING_DAYS = 10
FDA_LETTER_POLICY_DAYS = {"I": 1, "II": 3, "III": 7}
EU_FSCA = "fsca"
EU_FSN_POLICY_DAYS = 2
EU_INCIDENT_DAYS = {"public_health_threat": 2, "death_or_serious_deterioration": 10, "other": 15}
DEFAULT_ALERT_FRACTIONS = (0.5, 0.9)
DUE_SOON_FRACTION = 0.9


# Names as regulators and users write them (proper names, not translated).
REGIME_NAMES = {Regime.NMPA: "NMPA", Regime.FDA: "FDA", Regime.EU_MDR: "EU MDR"}


class ClockError(ValidationFailed, ValueError):
    """A refusal of the clock; a ``ValueError`` too, so plain callers can catch it as one."""

    def __init__(self, message: StrOrPromise, *, where: str = "") -> None:
        super().__init__(str(message), where=where)


class ClockSettingMissing(ClockError):
    """A setting the clock needs has no value; the clock refuses to guess
    (docs/regulations.md, "China: Order 29")."""

    code = "clock_setting_missing"


class CalendarNotCovered(ClockSettingMissing):
    """The working-day calendar has no data for a year, so no working day can be counted."""

    code = "calendar_not_covered"


class ClockInputInvalid(ClockError):
    """A value handed to the clock cannot be a recall timestamp, class or setting."""

    code = "clock_input_invalid"


@dataclass(frozen=True)
class Deadline:
    """One obligation with its due time; ``starts_at`` is where its window opens.

    For a recurring obligation ``due_at`` is the first occurrence and ``interval_days`` the
    period; ``occurrences`` unrolls it.
    """

    key: str
    regime: Regime
    title: StrOrPromise
    due_at: datetime
    basis: StrOrPromise
    recurring: bool
    interval_days: int | None
    legal: bool
    starts_at: datetime
    # Years the count crossed that no calendar covers: the due date is then the earliest
    # it could be (those years' days counted as working days) and only provisional.
    calendar_missing_years: tuple[int, ...] = ()

    @property
    def provisional(self) -> bool:
        return bool(self.calendar_missing_years)


class WorkingDaySource(Protocol):
    """One calendar's working days: ``None`` for a day of a year nothing covers."""

    def is_working_day(self, day: date) -> bool | None: ...


WorkingDaySources = Mapping[str, WorkingDaySource]


def provisional_note(years: Sequence[int]) -> StrOrPromise:
    """The words every output shows beside a provisional deadline."""
    return _fill(
        ngettext_lazy(
            "provisional — calendar for %(years)s not entered",
            "provisional — calendars for %(years)s not entered",
            len(years),
        ),
        years=", ".join(str(year) for year in years),
    )


def _render(template: StrOrPromise, values: Mapping[str, object]) -> str:
    # ``template % values`` (not ``str(template) % values``): a plural text whose number is a
    # placeholder (``ngettext_lazy(..., "days")``) picks its form from ``values``.
    return str(template % values)


_render_lazy: Callable[[StrOrPromise, Mapping[str, object]], str] = lazy(_render, str)


def _fill(template: StrOrPromise, **values: object) -> StrOrPromise:
    """Fill named placeholders when the text is shown, so it follows the reader's language."""
    return _render_lazy(template, values)


# ---------------------------------------------------------------------------------------------
# Working days


@lru_cache(maxsize=256)
def _us_federal_holidays(year: int) -> frozenset[date]:
    """US federal holidays of ``year``, observed days included (a Saturday 4 July moves to Friday)."""
    import holidays  # ~50 ms to load: when a US deadline is counted, not at every start

    return frozenset(holidays.country_holidays("US", years=year).keys())


def is_working_day(day: date, *, calendar: Calendar) -> bool:
    """Whether ``day`` is a working day for the regulator behind ``calendar``.

    China uses chinesecalendar, which knows the make-up working days (调休) on weekends; the
    US uses weekdays minus federal holidays.
    """
    if calendar == "CN":
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError as exc:
            raise CalendarNotCovered(
                _fill(
                    _(
                        "The China working-day calendar has no data for %(year)s; update the "
                        "chinesecalendar package before computing NMPA deadlines in that year."
                    ),
                    year=day.year,
                ),
                where="calendar",
            ) from exc
    if calendar == "US":
        return day.weekday() < 5 and day not in _us_federal_holidays(day.year)
    raise ClockInputInvalid(
        _fill(_("Unknown working-day calendar %(calendar)s; use CN or US."), calendar=calendar),
        where="calendar",
    )


def working_days_after(start: date, days: int, *, calendar: Calendar) -> date:
    """The ``days``-th working day strictly after ``start`` (``start`` itself never counts).

    ``days=0`` returns ``start``: no working day has to pass. By the packages' data alone; a
    year they do not cover is refused (``CalendarNotCovered``).
    """
    return working_days_counted(start, days, source=_PackageCalendar(calendar))[0]


@dataclass(frozen=True)
class _PackageCalendar:
    """``is_working_day`` as a ``WorkingDaySource``: it refuses a year it does not cover."""

    calendar: Calendar

    def is_working_day(self, day: date) -> bool:
        return is_working_day(day, calendar=self.calendar)


def working_days_counted(
    start: date, days: int, *, source: WorkingDaySource
) -> tuple[date, tuple[int, ...]]:
    """The ``days``-th working day strictly after ``start`` by ``source``, and the years the
    count crossed that ``source`` does not cover.

    A day of an uncovered year counts as a working day: the result is then the earliest the
    real date could be (a make-up working day on a weekend can only make it earlier than a
    count of weekdays would), so a provisional deadline never falls after the real one.
    """
    if days < 0:
        raise ClockInputInvalid(
            _fill(_("A number of working days cannot be negative (got %(days)s)."), days=days),
            where="days",
        )
    day = start
    remaining = days
    missing: set[int] = set()
    while remaining:
        day += timedelta(days=1)
        known = source.is_working_day(day)
        if known is None:
            missing.add(day.year)
        if known is None or known:
            remaining -= 1
    return day, tuple(sorted(missing))


def _counted_end(
    start: date, days: int, calendar: Calendar, zone: ZoneInfo, sources: WorkingDaySources
) -> tuple[datetime, tuple[int, ...]]:
    source = sources.get(calendar) or workdays.package_only(calendar)
    day, missing = working_days_counted(start, days, source=source)
    return _end_of_day(day, zone), missing


def _end_of_day(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.max, tzinfo=zone)


def _after_days(moment: datetime, days: int) -> datetime:
    """``moment`` plus ``days`` days, shown in ``moment``'s own zone.

    The same clock time ``days`` later, or ``days`` x 24 h of elapsed time if that comes first:
    a daylight-saving change must never lengthen a legal window.
    """
    same_clock = (moment + timedelta(days=days)).astimezone(UTC)
    elapsed = moment.astimezone(UTC) + timedelta(days=days)
    return min(same_clock, elapsed).astimezone(moment.tzinfo)


# ---------------------------------------------------------------------------------------------
# Inputs


def _require_aware(name: str, moment: datetime | None) -> None:
    if moment is not None and (moment.tzinfo is None or moment.utcoffset() is None):
        raise ClockInputInvalid(
            _fill(
                _("%(name)s must carry a time zone; a naive time cannot start a legal clock."),
                name=name,
            ),
            where=name,
        )


def _level(regime: Regime, value: str) -> str:
    level = value.strip().upper()
    if level not in LEVELS:
        raise ClockInputInvalid(
            _fill(
                _("%(regime)s recall class %(value)s is unknown; use I, II or III."),
                regime=REGIME_NAMES[regime],
                value=value,
            ),
            where=str(regime),
        )
    return level


def _positive_interval(name: str, days: int) -> None:
    if days < 1:
        raise ClockInputInvalid(
            _fill(_("%(name)s must be at least 1 day (got %(days)s)."), name=name, days=days),
            where=name,
        )


def suggested_progress_interval(level: str) -> int:
    """Days between NMPA progress reports this system proposes: 1 / 3 / 7 for Level I / II / III.

    Company policy (``legal=False``), not national law: the device Measures only say
    "periodically, per the recall plan" (Art. 20); the per-level cadence is borrowed from the
    drug recall measures (docs/regulations.md, "China: Order 29"). The case must still store its
    own choice.
    """
    return NMPA_PROGRESS_POLICY_DAYS[_level(Regime.NMPA, level)]


# ---------------------------------------------------------------------------------------------
# Per-regime rules


# How a deadline's due time is counted from the moment its window opens (``after``).
Count = Literal["days", "working_days", "end_of_day", "at_once"]
DAYS: Count = "days"  # N days of elapsed time (``_after_days``)
WORKING: Count = "working_days"  # end of the N-th working day after, regulator's calendar
END_OF_DAY: Count = "end_of_day"  # end of the day it opens, regulator's time zone
AT_ONCE: Count = "at_once"  # before anything else: due the moment it opens

# The regulator's working-day calendar and time zone, for counts in working days or to the
# end of a day.
REGULATOR_CALENDARS: dict[Regime, tuple[Calendar, ZoneInfo]] = {
    Regime.NMPA: ("CN", CN_TZ),
    Regime.FDA: ("US", US_TZ),
}

# Each deadline's words: what to do, and the rule with its article (placeholders filled when
# shown: ``days`` always, ``level``, ``hours`` or ``category`` where the rule names them).
WORDING: dict[str, tuple[StrOrPromise, StrOrPromise]] = {
    "nmpa.notify_holders": (
        _("Notify distributors and users"),
        ngettext_lazy(
            "NMPA Art. 15: level %(level)s, %(days)s day (24 hours) from the decision",
            "NMPA Art. 15: level %(level)s, %(days)s days (%(hours)s hours) from the decision",
            "days",
        ),
    ),
    "nmpa.event_report": (
        _("Submit the recall event report"),
        _("NMPA Art. 16(1): immediately, by the end of the decision day (China time)"),
    ),
    "nmpa.assessment_report": (
        _("File the investigation and assessment report"),
        _("NMPA Art. 16: %(days)s China working days after the decision date"),
    ),
    "nmpa.recall_plan": (
        _("File the recall plan"),
        _("NMPA Art. 16: %(days)s China working days after the decision date"),
    ),
    "nmpa.progress_report": (
        _("Submit the recall plan implementation (progress) report"),
        ngettext_lazy(
            "NMPA Art. 20: periodically per the recall plan; this case reports every day",
            "NMPA Art. 20: periodically per the recall plan; this case reports every %(days)s days",
            "days",
        ),
    ),
    "nmpa.summary_report": (
        _("Submit the recall summary evaluation report"),
        _("NMPA Art. 22: %(days)s China working days after the recall is completed"),
    ),
    "fda.notify_holders": (
        _("Send the recall letters to consignees"),
        ngettext_lazy(
            "21 CFR 7.49 says 'promptly'; company target for Class %(level)s: "
            "%(days)s day from the decision",
            "21 CFR 7.49 says 'promptly'; company target for Class %(level)s: "
            "%(days)s days from the decision",
            "days",
        ),
    ),
    "fda.status_report": (
        _("Submit the recall status report"),
        ngettext_lazy(
            "21 CFR 7.53: at the interval FDA set, here every day",
            "21 CFR 7.53: at the interval FDA set, here every %(days)s days",
            "days",
        ),
    ),
    "fda.report_806": (
        _("Submit the correction and removal report (21 CFR 806)"),
        _(
            "21 CFR 806.10(b): %(days)s US federal working days after the first "
            "consignee notification"
        ),
    ),
    "eu_mdr.fsca_report": (
        _("Report the FSCA to the competent authority"),
        _("MDR Art. 87(1)(b): before the FSCA is undertaken, so before any FSN is sent"),
    ),
    "eu_mdr.fsn": (
        _("Send the field safety notice to users"),
        _(
            "MDR Art. 89(8) says 'without delay' after the FSCA report; company target: "
            "%(days)s days from the decision"
        ),
    ),
    "eu_mdr.incident_report": (
        _("Report the serious incident to the competent authority"),
        _("MDR Art. 87: %(category)s, %(days)s days after awareness"),
    ),
}


def _deadline(
    key: str,
    *,
    after: datetime,
    days: int = 0,
    count: Count = DAYS,
    every: int | None = None,
    legal: bool = True,
    sources: WorkingDaySources,
    **words: object,
) -> Deadline:
    """One deadline from one line of rule: ``key`` (its regime before the dot) is due ``days``
    counted by ``count`` after the moment ``after``; ``every`` makes it recur with that period
    in days (the first one due ``every`` days after); ``legal=False`` marks a company target.
    ``words`` fill the rule's placeholders besides ``days``."""
    regime = Regime(key.partition(".")[0])
    days = every if every is not None else days
    missing: tuple[int, ...] = ()
    due_at = after  # AT_ONCE
    if count == DAYS:
        due_at = _after_days(after, days)
    elif count in (WORKING, END_OF_DAY):
        calendar, zone = REGULATOR_CALENDARS[regime]
        due_at, missing = _counted_end(  # END_OF_DAY: no working day has to pass
            after.astimezone(zone).date(),
            days if count == WORKING else 0,
            calendar,
            zone,
            sources,
        )
    title, rule = WORDING[key]
    return Deadline(
        key=key,
        regime=regime,
        title=title,
        due_at=due_at,
        basis=_fill(rule, days=days, **words),
        recurring=every is not None,
        interval_days=every,
        legal=legal,
        starts_at=after,
        calendar_missing_years=missing,
    )


def _require_progress_interval(level: str, days: int | None) -> int:
    """The case's NMPA progress-report cadence: the clock refuses to guess
    it (docs/regulations.md, "China: Order 29")."""
    if days is None:
        suggested = suggested_progress_interval(level)
        raise ClockSettingMissing(
            _fill(
                ngettext_lazy(
                    "Set how often NMPA progress reports are due on this case; the Measures leave "
                    "it to the recall plan. Suggested for level %(level)s (company policy, not "
                    "national law): every day.",
                    "Set how often NMPA progress reports are due on this case; the Measures leave "
                    "it to the recall plan. Suggested for level %(level)s (company policy, not "
                    "national law): every %(days)s days.",
                    suggested,
                ),
                level=level,
                days=suggested,
            ),
            where="progress_interval_days",
        )
    _positive_interval("progress_interval_days", days)
    return days


def _nmpa(
    level: str,
    *,
    decision_at: datetime,
    completed_at: datetime | None,
    progress_interval_days: int | None,
    sources: WorkingDaySources,
) -> list[Deadline]:
    every = _require_progress_interval(level, progress_interval_days)
    notify = NMPA_NOTIFY_DAYS[level]
    decided = partial(_deadline, after=decision_at, sources=sources)
    found = [
        decided("nmpa.notify_holders", days=notify, level=level, hours=notify * 24),
        decided("nmpa.event_report", count=END_OF_DAY),
        decided("nmpa.assessment_report", days=NMPA_FILING_WORKING_DAYS, count=WORKING),
        decided("nmpa.recall_plan", days=NMPA_FILING_WORKING_DAYS, count=WORKING),
        decided("nmpa.progress_report", every=every),
    ]
    if completed_at is not None:
        completed = partial(_deadline, after=completed_at, sources=sources)
        found.append(
            completed("nmpa.summary_report", days=NMPA_SUMMARY_WORKING_DAYS, count=WORKING)
        )
    return found


def _fda(
    recall_class: str,
    *,
    decision_at: datetime,
    initiated_at: datetime | None,
    status_interval_days: int,
    sources: WorkingDaySources,
) -> list[Deadline]:
    _positive_interval("fda_status_interval_days", status_interval_days)
    letters = FDA_LETTER_POLICY_DAYS[recall_class]
    decided = partial(_deadline, after=decision_at, sources=sources)
    found = [
        decided("fda.notify_holders", days=letters, legal=False, level=recall_class),
        decided("fda.status_report", after=initiated_at or decision_at, every=status_interval_days),
    ]
    if initiated_at is not None:
        initiated = partial(_deadline, after=initiated_at, sources=sources)
        found.append(initiated("fda.report_806", days=FDA_806_WORKING_DAYS, count=WORKING))
    return found


def _eu(
    value: str, *, decision_at: datetime, aware_at: datetime | None, incident: str | None
) -> list[Deadline]:
    if value.strip().lower() != EU_FSCA:
        raise ClockInputInvalid(
            _fill(_("EU MDR recall type %(value)s is unknown; use fsca."), value=value),
            where=str(Regime.EU_MDR),
        )
    decided = partial(_deadline, after=decision_at, sources={})
    found = [
        # Before the FSCA is undertaken, i.e. before the first FSN (the FSN gate holds it back
        # until the report is submitted): the clock starts at the decision and the report is
        # due by the FSN's own target, never overdue at the decision instant itself.
        decided("eu_mdr.fsca_report", days=EU_FSN_POLICY_DAYS),
        decided("eu_mdr.fsn", days=EU_FSN_POLICY_DAYS, legal=False),
    ]
    if aware_at is None:
        return found
    days = EU_INCIDENT_DAYS[_incident_category(incident)]
    aware = partial(_deadline, after=aware_at, sources={})
    found.append(aware("eu_mdr.incident_report", days=days, category=incident))
    return found


def _incident_category(incident: str | None) -> str:
    """The serious-incident category the MDR Art. 87 deadline needs; never guessed."""
    if incident is None:
        raise ClockSettingMissing(
            _(
                "Choose the serious-incident category (public health threat, death or serious "
                "deterioration, other) so the MDR Art. 87 report deadline can be set."
            ),
            where="eu_incident",
        )
    if incident not in EU_INCIDENT_DAYS:
        raise ClockInputInvalid(
            _fill(
                _(
                    "Serious-incident category %(value)s is unknown; use public_health_threat, "
                    "death_or_serious_deterioration or other."
                ),
                value=incident,
            ),
            where="eu_incident",
        )
    return incident


def compute_deadlines(
    *,
    regimes: Mapping[Regime, str],
    decision_at: datetime,
    initiated_at: datetime | None = None,
    completed_at: datetime | None = None,
    aware_at: datetime | None = None,
    progress_interval_days: int | None = None,
    fda_status_interval_days: int = 14,
    eu_incident: str | None = None,
    working_days: WorkingDaySources | None = None,
) -> list[Deadline]:
    """Every deadline of a case under ``regimes`` (regime → class), earliest first.

    ``working_days`` (calendar → source) answers which days are worked; without it the
    packages' data alone. A count that crosses a year no source covers gives the earliest
    possible date, flagged in ``calendar_missing_years`` (provisional), never an error.

    A pure function: changing a class or a timestamp means calling it again.
    NMPA needs ``progress_interval_days``; steps whose starting event has no timestamp yet
    (806 report, summary report, incident report) are left out until it has one.
    """
    for name, moment in (
        ("decision_at", decision_at),
        ("initiated_at", initiated_at),
        ("completed_at", completed_at),
        ("aware_at", aware_at),
    ):
        _require_aware(name, moment)
    sources: WorkingDaySources = working_days or {}
    found: list[Deadline] = []
    for raw_regime, value in regimes.items():
        try:
            regime = Regime(raw_regime)
        except ValueError as exc:
            raise ClockInputInvalid(
                _fill(_("Unknown regulatory regime %(regime)s."), regime=raw_regime),
                where="regimes",
            ) from exc
        if regime is Regime.NMPA:
            found += _nmpa(
                _level(regime, value),
                decision_at=decision_at,
                completed_at=completed_at,
                progress_interval_days=progress_interval_days,
                sources=sources,
            )
        elif regime is Regime.FDA:
            found += _fda(
                _level(regime, value),
                decision_at=decision_at,
                initiated_at=initiated_at,
                status_interval_days=fda_status_interval_days,
                sources=sources,
            )
        else:
            found += _eu(value, decision_at=decision_at, aware_at=aware_at, incident=eu_incident)
    return sorted(found, key=lambda deadline: (deadline.due_at, deadline.key))


# ---------------------------------------------------------------------------------------------
# Alerts and status


def alert_times(
    deadline: Deadline,
    start: datetime | None = None,
    fractions: Sequence[float] = DEFAULT_ALERT_FRACTIONS,
) -> list[datetime]:
    """When to warn: each fraction of the window from ``start`` (default: its opening) to due."""
    opened = deadline.starts_at if start is None else start
    _require_aware("start", opened)
    for fraction in fractions:
        if not 0 <= fraction <= 1:
            raise ClockInputInvalid(
                _fill(
                    _("An alert fraction must lie between 0 and 1 (got %(fraction)s)."),
                    fraction=fraction,
                ),
                where="fractions",
            )
    window = deadline.due_at - opened
    return sorted(opened + window * fraction for fraction in fractions)


def status_at(
    deadline: Deadline,
    now: datetime,
    done_at: datetime | None = None,
    *,
    due_soon_fraction: float = DUE_SOON_FRACTION,
) -> Status:
    """Where ``deadline`` stands at ``now``: done, open, due soon (late in its window) or breached.

    Due at ``due_at`` inclusive; a step done after ``now`` is not done yet at ``now``.
    """
    _require_aware("now", now)
    _require_aware("done_at", done_at)
    if done_at is not None and done_at <= now:
        return "done"
    if now > deadline.due_at:
        return "breached"
    window = deadline.due_at - deadline.starts_at
    if window <= timedelta(0):
        return "due_soon" if now >= deadline.starts_at else "open"
    elapsed = (now - deadline.starts_at) / window
    return "due_soon" if elapsed >= due_soon_fraction else "open"


def occurrences(deadline: Deadline, *, until: datetime) -> list[Deadline]:
    """A recurring deadline unrolled into its periods that have opened by ``until``.

    A one-off deadline comes back alone, so callers can treat both kinds alike.
    """
    _require_aware("until", until)
    if not deadline.recurring or deadline.interval_days is None:
        return [deadline]
    unrolled: list[Deadline] = []
    index = 0
    while True:
        opens = _after_days(deadline.starts_at, index * deadline.interval_days)
        if unrolled and opens > until:
            return unrolled
        unrolled.append(
            replace(
                deadline,
                starts_at=opens,
                due_at=_after_days(deadline.due_at, index * deadline.interval_days),
            )
        )
        index += 1


# Which deadline says by when a holder must have its notice, per regime (the EU's first FSN
# to users; docs/notices.md, "Notify by").
HOLDER_NOTIFY_KEYS: dict[Regime, str] = {
    Regime.NMPA: "nmpa.notify_holders",
    Regime.FDA: "fda.notify_holders",
    Regime.EU_MDR: "eu_mdr.fsn",
}


def holder_notify_by(regime: str, recall_class: str, after: datetime) -> datetime | None:
    """By when a holder under ``regime`` must be notified when its window opens at ``after``
    (the decision; for a sub-consignee reported later, the report): NMPA Art. 15 1/3/7 days by
    level, FDA the company's target by class, EU MDR the FSN target. ``None`` without a class."""
    _require_aware("after", after)
    days = {
        Regime.NMPA: NMPA_NOTIFY_DAYS,
        Regime.FDA: FDA_LETTER_POLICY_DAYS,
    }.get(Regime(regime), {}).get(recall_class)
    if Regime(regime) is Regime.EU_MDR and recall_class:
        days = EU_FSN_POLICY_DAYS
    return None if days is None else _after_days(after, days)
