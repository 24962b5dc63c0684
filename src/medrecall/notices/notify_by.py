"""Notify by: by when each holder of a recall must have its notice, whether it has it, and when
the clock's "notify holders" deadline is done — all derived from the notice log, never ticked.

A holder is *notified* at the first of: a holder notice (first notice, reminder or updated
notice) delivered, opened, acknowledged or replied to; the holder's reply; a phone call logged on
one of its notices (the call reached the holder). A notice only sent (or a letter only posted)
does not notify: NMPA Art. 15 and 21 CFR 7.49 ask that the holder *has* the notice. This is the
one definition of "notified" in the product: ``notified_q`` is the same rule as a condition on a
party, which the cockpit's funnel, the FDA status report, the NMPA progress report and the EU
reconciliation count by.

Each holder's notify-by comes from the regime its location's country falls under
(``recipients.regime_covering``) and that regime's class (``clock.holder_notify_by``): NMPA
1/3/7 days by level from the decision, FDA the company's target by class, EU MDR the FSN target.
A sub-consignee reported in a reply gets the same window from the time it was reported. A holder
whose country falls under none of the recall's regimes (Singapore on an NMPA recall) gets no
regulator's clock: it is listed as *outside this recall's regimes* (notify it all the same), is
not counted in any regime's "notify holders" deadline, and its countries are named
(``uncovered_countries``) so the manager can add a regime if one applies.

The clock's ``nmpa.notify_holders`` / ``fda.notify_holders`` is done (``done_from_records``,
registered in ``recalls.hooks.DEADLINE_DONE_SOURCES``) when every holder of that regime in the
frozen scope is notified, at the time the last one was; with no holder of that regime in the
frozen scope there is nobody to notify and it is *not owed* (never "met", never open). A person can
still mark it done by hand with a reason (``deadline_mark_done``), which wins.

Seven queries for any number of recalls and holders."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Exists, Min, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from medrecall.core.errors import ValidationFailed
from medrecall.recalls import clock
from medrecall.recalls.hooks import DeadlineRecord, NotOwed
from medrecall.recalls.models import (
    AffectedLine,
    Category,
    RecallCase,
    RecallRegime,
    Regime,
    ScopeSnapshot,
)

from .models import Kind, Notice, NoticeEvent, Reply, SubConsignee
from .recipients import regime_covering

# The notices that tell a holder about the recall.
HOLDER_NOTICE_KINDS = (Kind.INITIAL, Kind.REMINDER, Kind.UPDATE)
# Lines that are not at a holder (our own stock, quarantine, dealt with): nobody to notify.
NOT_AT_HOLDERS = (Category.OWN_STOCK, Category.QUARANTINE, Category.DISPOSITIONED)
# The deadlines derived from the notice log (EU's FSN deadline follows the FSN record).
DERIVED_KEYS = {Regime.NMPA: "nmpa.notify_holders", Regime.FDA: "fda.notify_holders"}
# Why such a deadline is not owed when no holder of the frozen scope is under its regime.
NOBODY_UNDER = {Regime.NMPA: "no_holders", Regime.FDA: "no_us_consignees"}

STATES = {
    "on_time": _("Notified in time"),
    "late": _("Notified late"),
    "overdue": _("Overdue: not notified"),
    "pending": _("Not notified yet"),
    "no_deadline": _("No notify-by time"),
    "outside": _("Outside this recall's regimes: no regulatory notify-by; notify all the same"),
}
HOW = {
    "delivered": _("notice delivered"),
    "opened": _("notice opened"),
    "acknowledged": _("notice acknowledged"),
    "replied": _("reply received"),
    "call": _("phone call logged"),
}


@dataclass(frozen=True)
class HolderNotice:
    """One holder of a recall: by when it must be notified and whether it was."""

    recall_id: int
    party_id: int
    code: str
    name: str  # as recorded (Chinese); show ``presentation.party_name(row)``
    regimes: tuple[str, ...]
    in_scope: bool  # False: only a sub-consignee reported in a reply
    notify_by: datetime | None
    notified_at: datetime | None
    how: str  # a key of HOW, or ""
    state: str  # a key of STATES
    # Countries of the holder's locations that fall under none of the recall's regimes.
    outside_countries: tuple[str, ...] = ()
    name_en: str = ""

    @property
    def outside(self) -> bool:
        """Under none of the recall's regimes: no regulatory notify-by (notify all the same)."""
        return not self.regimes and bool(self.outside_countries)

    @property
    def overdue(self) -> bool:
        """Past its notify-by time with no notice delivered or acknowledged."""
        return self.state == "overdue"

    @property
    def state_label(self) -> str:
        return str(STATES[self.state])

    @property
    def how_label(self) -> str:
        return str(HOW[self.how]) if self.how else ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "party_id": self.party_id,
            "code": self.code,
            "name": self.name,
            "name_en": self.name_en,
            "regimes": list(self.regimes),
            "in_scope": self.in_scope,
            "notify_by": self.notify_by.isoformat() if self.notify_by else None,
            "notified_at": self.notified_at.isoformat() if self.notified_at else None,
            "how": self.how,
            "state": self.state,
            "state_label": self.state_label,
            "overdue": self.overdue,
            "outside": self.outside,
            "outside_countries": list(self.outside_countries),
        }


@dataclass
class _Holder:
    code: str
    name: str
    name_en: str
    regimes: set[str] = field(default_factory=set)
    in_scope: bool = False
    reported_at: datetime | None = None
    outside: set[str] = field(default_factory=set)

    def locate(self, regimes: list[str], country: str) -> None:
        """Add the regime ``country`` falls under, or note the country as outside them all."""
        if not regimes:
            return
        if found := regime_covering(regimes, country):
            self.regimes.add(found)
        else:
            self.outside.add(country or "-")


def _state(
    notify_by: datetime | None, notified_at: datetime | None, now: datetime, *, outside: bool
) -> str:
    if notified_at is not None:
        return "late" if notify_by is not None and notified_at > notify_by else "on_time"
    if notify_by is None:
        return "outside" if outside else "no_deadline"
    return "overdue" if now > notify_by else "pending"


def _first(*moments: datetime | None) -> tuple[datetime | None, str]:
    found = [(m, how) for m, how in zip(moments, HOW, strict=True) if m is not None]
    return min(found, key=lambda pair: pair[0]) if found else (None, "")


def _holders(recall_ids: list[int], regimes: dict[int, list[str]]) -> dict[int, dict[int, _Holder]]:
    """Per recall, its holders: the current frozen scope's (outside our own stock) and the
    sub-consignees reported in replies, with the regimes their locations fall under."""
    latest: dict[int, int] = {}
    for snapshot in (
        ScopeSnapshot.objects.filter(recall_id__in=recall_ids)
        .order_by("recall_id", "sequence")
        .values("recall_id", "pk")
    ):
        latest[snapshot["recall_id"]] = snapshot["pk"]
    found: dict[int, dict[int, _Holder]] = defaultdict(dict)
    rows = (
        AffectedLine.objects.filter(snapshot_id__in=latest.values())
        .exclude(category__in=NOT_AT_HOLDERS)
        .values_list(
            "snapshot__recall_id",
            "party_id",
            "party__code",
            "party__name",
            "party__name_en",
            "location__country",
        )
        .distinct()
    )
    for recall_id, party_id, code, name, name_en, country in rows:
        holder = found[recall_id].setdefault(party_id, _Holder(code, name, name_en))
        holder.in_scope = True
        holder.locate(regimes[recall_id], country)
    added = (
        SubConsignee.objects.filter(recall_id__in=recall_ids)
        .values_list(
            "recall_id",
            "party_id",
            "party__code",
            "party__name",
            "party__name_en",
            "location__country",
        )
        .annotate(first=Min("created_at"))
    )
    for recall_id, party_id, code, name, name_en, country, first in added:
        holder = found[recall_id].setdefault(party_id, _Holder(code, name, name_en))
        holder.reported_at = min(filter(None, (holder.reported_at, first)))
        holder.locate(regimes[recall_id], country)
    return found


# The notice timestamps that show the holder has the notice, by how (a key of ``HOW``).
NOTICE_PROOFS = {
    "delivered": "delivered_at",
    "opened": "opened_at",
    "acknowledged": "acknowledged_at",
    "replied": "replied_at",
}


def proof_notices() -> QuerySet[Notice]:
    """Holder notices delivered, opened, acknowledged or replied to."""
    proof = Q()
    for stamp in NOTICE_PROOFS.values():
        proof |= Q(**{f"{stamp}__isnull": False})
    return Notice.objects.filter(proof, kind__in=HOLDER_NOTICE_KINDS)


def calls() -> QuerySet[NoticeEvent]:
    """Phone calls logged on a holder's notices (the call reached the holder)."""
    return NoticeEvent.objects.filter(type=NoticeEvent.Type.CALL)


def notified_q(recall_id: Any, party: Any = None) -> Q:
    """The one definition of *notified* as a condition on a party row (``party``: the outer
    column holding the party's id, by default the row's own ``pk``): a holder notice
    delivered, opened, acknowledged or replied to, the holder's reply, or a call logged.
    ``recall_id``: a number or an outer reference. Reused by every count of holders notified."""
    party = OuterRef("pk") if party is None else party
    return (
        Q(Exists(proof_notices().filter(recall_id=recall_id, party_id=party)))
        | Q(Exists(Reply.objects.filter(recall_id=recall_id, party_id=party)))
        | Q(Exists(calls().filter(recall_id=recall_id, party_id=party)))
    )


def _notified(recall_ids: list[int]) -> dict[tuple[int, int], tuple[datetime | None, str]]:
    """When each holder (recall id, party id) was first notified, and how (``notified_q``'s
    rule, with its times)."""
    times: dict[tuple[int, int], list[datetime | None]] = defaultdict(lambda: [None] * len(HOW))
    replied = list(HOW).index("replied")
    for recall_id, party_id, *stamps in (
        proof_notices()
        .filter(recall_id__in=recall_ids)
        .values_list("recall_id", "party_id")
        .annotate(*(Min(stamp) for stamp in NOTICE_PROOFS.values()))
    ):
        times[(recall_id, party_id)][: len(stamps)] = stamps
    for recall_id, party_id, submitted in (
        Reply.objects.filter(recall_id__in=recall_ids)
        .values_list("recall_id", "party_id")
        .annotate(Min("submitted_at"))
    ):
        known = times[(recall_id, party_id)][replied]
        times[(recall_id, party_id)][replied] = min(filter(None, (known, submitted)))
    for recall_id, party_id, called in (
        calls()
        .filter(recall_id__in=recall_ids)
        .values_list("recall_id", "party_id")
        .annotate(Min("at"))
    ):
        times[(recall_id, party_id)][-1] = called
    return {key: _first(*moments) for key, moments in times.items()}


def notified_times(recall_ids: list[int]) -> dict[tuple[int, int], tuple[datetime | None, str]]:
    """Per (recall id, party id) of a holder notified: when it was first notified and how (a
    key of ``HOW``), by the one definition (``notified_q``). Three statements."""
    return _notified(recall_ids)


def _classes(recalls: Iterable[RecallCase]) -> dict[int, dict[str, str]]:
    ids = [recall.pk for recall in recalls]
    found: dict[int, dict[str, str]] = {pk: {} for pk in ids}
    for recall_id, regime, recall_class in RecallRegime.objects.filter(
        recall_id__in=ids
    ).values_list("recall_id", "regime", "recall_class"):
        found[recall_id][regime] = recall_class
    return found


def holders_notify_by(
    recalls: list[RecallCase], *, now: datetime | None = None
) -> dict[int, list[HolderNotice]]:
    """Per recall id, its holders with notify-by, first notification and state, ordered by
    notify-by (holders without one last), then code."""
    now = now or timezone.now()
    ids = [recall.pk for recall in recalls]
    classes = _classes(recalls)
    holders = _holders(ids, {pk: list(found) for pk, found in classes.items()})
    notified = _notified(ids)
    result: dict[int, list[HolderNotice]] = {}
    for recall in recalls:
        rows = []
        for party_id, holder in holders.get(recall.pk, {}).items():
            notify_by = _notify_by(recall, classes[recall.pk], holder)
            notified_at, how = notified.get((recall.pk, party_id), (None, ""))
            rows.append(
                HolderNotice(
                    recall_id=recall.pk,
                    party_id=party_id,
                    code=holder.code,
                    name=holder.name,
                    regimes=tuple(sorted(holder.regimes)),
                    in_scope=holder.in_scope,
                    notify_by=notify_by,
                    notified_at=notified_at,
                    how=how,
                    state=_state(
                        notify_by,
                        notified_at,
                        now,
                        outside=bool(holder.outside) and not holder.regimes,
                    ),
                    outside_countries=tuple(sorted(holder.outside)),
                    name_en=holder.name_en,
                )
            )
        rows.sort(key=lambda r: (r.notify_by is None, r.notify_by or now, r.code))
        result[recall.pk] = rows
    return result


def _notify_by(recall: RecallCase, classes: dict[str, str], holder: _Holder) -> datetime | None:
    """The earliest notify-by among the holder's regimes; from the decision for a holder of
    the frozen scope, from its report (if later) for a reported sub-consignee."""
    if recall.decision_at is None:
        return None
    after = recall.decision_at
    if not holder.in_scope and holder.reported_at is not None:
        after = max(after, holder.reported_at)
    times = [
        moment
        for regime in holder.regimes
        if (moment := clock.holder_notify_by(regime, classes.get(regime, ""), after))
    ]
    return min(times) if times else None


def done_from_records(recalls: list[RecallCase]) -> dict[tuple[int, str], DeadlineRecord]:
    """The "notify holders" deadlines done by the notice log: every holder of the regime in
    the frozen scope notified (at the last one's time); with no holder under the regime in the
    frozen scope, nobody is owed a notice (``NotOwed``; FDA: no US consignees)."""
    frozen = set(
        ScopeSnapshot.objects.filter(recall_id__in=[r.pk for r in recalls]).values_list(
            "recall_id", flat=True
        )
    )
    per_recall = holders_notify_by([r for r in recalls if r.pk in frozen])
    found: dict[tuple[int, str], DeadlineRecord] = {}
    for recall_id, holders in per_recall.items():
        for regime, key in DERIVED_KEYS.items():
            mine = [h for h in holders if h.in_scope and regime in h.regimes]
            if not mine:
                found[(recall_id, key)] = NotOwed(NOBODY_UNDER[regime])
            elif all(h.notified_at is not None for h in mine):
                found[(recall_id, key)] = max(h.notified_at for h in mine if h.notified_at)
    return found


def holders_for(
    *, viewer: Any, recall: RecallCase, now: datetime | None = None
) -> list[HolderNotice]:
    """The recall's holders with their notify-by (``recall`` read through ``recall_get_for``);
    a portal user sees only its own party."""
    rows = holders_notify_by([recall], now=now)[recall.pk]
    if getattr(viewer, "party_id", None) is not None:
        rows = [row for row in rows if row.party_id == viewer.party_id]
    return rows


def uncovered_countries(rows: list[HolderNotice]) -> list[tuple[str, int]]:
    """The countries of the recall's holders that fall under none of its regimes, each with
    its number of holders, by country code: what the manager reads to add a regime."""
    found: dict[str, int] = defaultdict(int)
    for row in rows:
        for country in row.outside_countries:
            found[country] += 1
    return sorted(found.items())


def uncovered_note(rows: list[HolderNotice], language: str) -> str:
    """The line the manager reads: the countries of holders under none of the recall's
    regimes, named, with their holders, or "" when every holder's country is covered."""
    from medrecall.core.regions import country_name

    found = uncovered_countries(rows)
    if not found:
        return ""
    countries = ", ".join(
        ngettext(
            "%(country)s (%(code)s): %(count)s holder",
            "%(country)s (%(code)s): %(count)s holders",
            count,
        )
        % {"country": country_name(code, language), "code": code, "count": count}
        for code, count in found
    )
    return gettext(
        "Countries outside this recall's regimes: %(countries)s. Their holders get no "
        "regulatory notify-by and count in no regime's “notify holders” deadline; notify them "
        "all the same, and add the regime that applies there if there is one."
    ) % {"countries": countries}


def in_state(rows: list[HolderNotice], state: str) -> list[HolderNotice]:
    """The rows in ``state`` (a key of ``STATES``; empty: all); an unknown state is refused."""
    if not state:
        return rows
    if state not in STATES:
        raise ValidationFailed(
            _("Unknown state %(state)s; use one of %(allowed)s.")
            % {"state": state, "allowed": ", ".join(STATES)},
            where="state",
        )
    return [row for row in rows if row.state == state]
