"""Where a recall stands: the figures of its cockpit, its export, its API and its command.

Every figure is counted against the recall's current frozen scope (the latest snapshot) and
computed in SQL, set-based (a few statements for any number of units); nothing here loops over
units. The stages reuse what the lower contexts already define:

* the unit accounting of execution (``execution.selectors.accounting_for``: at holders, own
  stock, in transit, in quarantine, dispositioned, used up) and its corrected units (a work-order
  unit whose result is ``corrected``, as ``execution.closure.corrected_units`` counts them);
* notices' one definition of *notified* (``notices.notify_by.notified_q``, the rule the
  notify-by page, the queues and the filings count by): a holder notice delivered, opened,
  acknowledged or replied to, the holder's reply, or a call logged; a notice only *sent* is
  the stage before it. Then, among the notified, *delivered* when a notice is at least
  ``delivered`` in the notices' forward order (``notices.models.STATUS_RANK``) or a later
  stage was reached, *acknowledged/replied* when at least ``acknowledged`` or the holder's
  reply is in (or its units came back or were corrected).

A holder is a party of the frozen scope other than our own sites (notices go to holders, never
to ourselves; ``notices.closure`` counts holders the same way). ``docs/reporting.md`` defines
each stage in units and in holders.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from dataclasses import fields as dataclass_fields
from datetime import date, datetime, timedelta
from typing import Any, cast

from django.conf import settings
from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy

from medrecall.execution.closure import OPEN_RETURNS, OPEN_TASKS
from medrecall.execution.lifecycle import TaskStatus, UnitResult
from medrecall.execution.models import (
    Disposition,
    Receipt,
    ReturnAuthorisation,
    WorkOrder,
    WorkOrderUnit,
)
from medrecall.execution.selectors import AccountingRow, accounting_for
from medrecall.notices.models import STATUS_RANK, Kind, Notice, NoticeRun, NoticeStatus, Reply
from medrecall.parties.models import Party, PartyType
from medrecall.recalls.hooks import DeadlineRecord
from medrecall.recalls.lifecycle import Status
from medrecall.recalls.models import AffectedLine, RecallCase, ScopeSnapshot
from medrecall.traceability.engine import trace_settings

from .deadlines import kept_done_from_records
from .kept import keep_seconds, kept, kept_each, recall_stamp, recall_stamps

STAGES = (
    "affected",
    "sent",
    "notified",
    "delivered",
    "acknowledged",
    "recovered",
    "dispositioned",
)
# The notices that tell a holder about the recall (a progress update or survey does not).
HOLDER_NOTICES = (Kind.INITIAL, Kind.REMINDER)
# Something moved the figures this recently: a send run is going on, or units are being
# received. The cockpit's live banner and its polling last this long after the last sign.
LIVE_WINDOW = timedelta(minutes=5)
LIST_SHOWN = 10  # rows of a list shown on the cockpit itself (the drill-down pages them all)
UNKNOWN = "-"  # the key of a region not recorded on the location (no country, no province)


def _at_least(status: str) -> list[str]:
    """The notice statuses at or beyond ``status`` in the notices' forward order."""
    return [s for s, rank in STATUS_RANK.items() if rank >= STATUS_RANK[status]]


def _units() -> Any:
    return F("on_hand") + F("in_transit")


# --- the holders of a frozen scope, each with the stages it reached ------------------------


def _notice_reached(recall_id: int, status: str, party: str = "pk") -> Exists:
    return Exists(
        Notice.objects.filter(
            recall_id=recall_id,
            party_id=OuterRef(party),
            kind__in=HOLDER_NOTICES,
            status__in=_at_least(status),
        )
    )


def _answered(recall_id: int, party: str = "pk") -> Q:
    """Acknowledged/replied: a notice at least acknowledged, or the holder's reply is in, or
    the holder's units came back or were corrected (a later stage: the holder was reached)."""
    return (
        Q(_notice_reached(recall_id, NoticeStatus.ACKNOWLEDGED, party))
        | Q(Exists(Reply.objects.filter(recall_id=recall_id, party_id=OuterRef(party))))
        | _returned_or_corrected(recall_id, party)
    )


def _delivered(recall_id: int, party: str = "pk") -> Q:
    """Delivered: a notice at least delivered, or a later stage reached (a reply entered by
    staff or a posted letter never gets a delivery report, yet the holder answered)."""
    return Q(_notice_reached(recall_id, NoticeStatus.DELIVERED, party)) | _answered(
        recall_id, party
    )


def _notified(recall_id: int, party: str = "pk") -> Q:
    """Notified: the holder has the notice, by notices' one definition (``notified_q``)."""
    from medrecall.notices.notify_by import notified_q  # with the clock: when counted

    return notified_q(recall_id, OuterRef(party))


def _sent(recall_id: int, party: str = "pk") -> Q:
    """Sent: a notice at least sent (a letter posted, an e-mail handed over), or notified."""
    return Q(_notice_reached(recall_id, NoticeStatus.SENT, party)) | _notified(recall_id, party)


def _returned_or_corrected(recall_id: int, party: str = "pk") -> Q:
    """Units of the holder received back on a return, or corrected on site by a work order."""
    return Q(Exists(Receipt.objects.filter(recall_id=recall_id, ra__party_id=OuterRef(party)))) | Q(
        Exists(
            WorkOrderUnit.objects.filter(
                work_order__recall_id=recall_id,
                work_order__party_id=OuterRef(party),
                result=UnitResult.CORRECTED,
            )
        )
    )


def holder_lines(snapshot: ScopeSnapshot) -> QuerySet[AffectedLine]:
    """The frozen lines held by holders (our own sites left out)."""
    return AffectedLine.objects.filter(snapshot=snapshot).exclude(
        party__party_type=PartyType.OWN_SITE
    )


def scope_holders(
    recall: RecallCase, snapshot: ScopeSnapshot, where: Q | None = None, *, own_sites: bool = False
) -> QuerySet[Party]:
    """The holders of the frozen scope with their units (``units``, of the lines matching
    ``where`` when given: a region, a holder type, an echelon) and the stages they reached
    (``sent``, ``notified``, ``delivered``, ``acknowledged``, ``recovered``), as booleans. The funnel
    counts these rows and the drill-down lists them: one definition for both. ``own_sites``
    adds our own sites (the affected units' drill-down: every unit of the scope)."""
    every = AffectedLine.objects.filter(snapshot=snapshot)
    lines = (every if own_sites else holder_lines(snapshot)).filter(where or Q())
    mine = lines.filter(party_id=OuterRef("pk"))
    units = mine.order_by().values("party_id").annotate(total=Sum(_units())).values("total")
    return (
        Party.objects.filter(Exists(mine))
        .annotate(
            units=Coalesce(Subquery(units, output_field=IntegerField()), Value(0)),
            sent=ExpressionWrapper(_sent(recall.pk), output_field=BooleanField()),
            notified=ExpressionWrapper(_notified(recall.pk), output_field=BooleanField()),
            # Among the notified (the funnel narrows: a holder whose units came back with no
            # proof it had the notice is not counted as delivered or acknowledged).
            delivered=ExpressionWrapper(
                _notified(recall.pk) & _delivered(recall.pk), output_field=BooleanField()
            ),
            acknowledged=ExpressionWrapper(
                _notified(recall.pk) & _answered(recall.pk), output_field=BooleanField()
            ),
            recovered=ExpressionWrapper(
                _returned_or_corrected(recall.pk), output_field=BooleanField()
            ),
        )
        .order_by("-units", "code")
    )


HOLDER_STAGES: dict[str, Q] = {
    "affected": Q(),
    "sent": Q(sent=True),
    "notified": Q(notified=True),
    "delivered": Q(delivered=True),
    "acknowledged": Q(acknowledged=True),
    "recovered": Q(recovered=True),
    # Notified, but neither acknowledged nor replied: who customer service chases.
    "silent": Q(notified=True, acknowledged=False),
    "not_notified": Q(notified=False),
}


# --- the figures ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Stage:
    key: str
    units: int
    holders: int | None  # None: the stage happens in our quarantine, not at a holder
    units_percent: float
    holders_percent: float | None


@dataclass(frozen=True)
class GroupRow:
    """Holders' units and holders of one region, holder type or echelon."""

    key: str
    units: int
    holders: int
    acknowledged: int  # holders acknowledged or replied
    # Units still at holders now (on hand at holders, not corrected on site), as the unit
    # accounting counts them (``still_at_holders``); None where "now" has no such key (an
    # echelon is a line's, at the freeze).
    still: int | None = None

    @property
    def acknowledged_percent(self) -> float:
        return _percent(self.acknowledged, self.holders)


@dataclass(frozen=True)
class Progress:
    recall_id: int
    recall: str
    status: str
    computed_at: datetime
    missing: list[str] = field(default_factory=list)  # codes of MISSING: nothing to count yet
    snapshot: int | None = None
    frozen_at: datetime | None = None
    units: int = 0
    holders: int = 0
    funnel: list[Stage] = field(default_factory=list)
    accounting: dict[str, int] = field(default_factory=dict)
    still_at_holders: int = 0
    by_country: list[GroupRow] = field(default_factory=list)
    by_province: list[GroupRow] = field(default_factory=list)
    by_party_type: list[GroupRow] = field(default_factory=list)
    by_echelon: list[GroupRow] = field(default_factory=list)
    approved_on: date | None = None
    burn_down: list[tuple[date, int]] = field(default_factory=list)
    silent: int = 0
    silent_first: list[dict[str, Any]] = field(default_factory=list)
    open_returns: int = 0
    open_returns_first: list[dict[str, Any]] = field(default_factory=list)
    open_work_orders: int = 0
    overdue_work_orders: int = 0
    open_work_orders_first: list[dict[str, Any]] = field(default_factory=list)
    deadlines_overdue: list[Any] = field(default_factory=list)  # recalls.deadlines.DeadlineRow
    deadlines_next: list[Any] = field(default_factory=list)
    clock_missing: list[str] = field(default_factory=list)
    # The NMPA progress-report cadence (days) the deadlines are listed with while the case
    # stores none: the suggestion for its level, said calmly instead of a to-do.
    suggested_cadence: int | None = None

    @property
    def has_scope(self) -> bool:
        return self.snapshot is not None

    def stage(self, key: str) -> Stage:
        return next(stage for stage in self.funnel if stage.key == key)

    def as_dict(self) -> dict[str, Any]:
        def rows(found: list[GroupRow]) -> list[dict[str, Any]]:
            return [
                {
                    "key": r.key,
                    "units": r.units,
                    "holders": r.holders,
                    "acknowledged": r.acknowledged,
                    "still_at_holders": r.still,
                }
                for r in found
            ]

        return {
            "recall": self.recall,
            "status": self.status,
            "computed_at": self.computed_at.isoformat(),
            "missing": [{"code": code, "message": str(MISSING[code])} for code in self.missing],
            "scope": None
            if self.snapshot is None
            else {
                "snapshot": self.snapshot,
                "frozen_at": self.frozen_at.isoformat() if self.frozen_at else None,
                "units": self.units,
                "holders": self.holders,
            },
            "funnel": [
                {
                    "stage": s.key,
                    "units": s.units,
                    "holders": s.holders,
                    "units_percent": s.units_percent,
                    "holders_percent": s.holders_percent,
                }
                for s in self.funnel
            ],
            "accounting": self.accounting,
            "still_at_holders": self.still_at_holders,
            "by_country": rows(self.by_country),
            "by_province": rows(self.by_province),
            "by_party_type": rows(self.by_party_type),
            "by_echelon": rows(self.by_echelon),
            "approved_on": self.approved_on.isoformat() if self.approved_on else None,
            "burn_down": [
                {"day": day.isoformat(), "units": units} for day, units in self.burn_down
            ],
            "silent_holders": self.silent,
            "open_returns": self.open_returns,
            "open_work_orders": self.open_work_orders,
            "overdue_work_orders": self.overdue_work_orders,
            "deadlines": {
                "overdue": [_deadline(row) for row in self.deadlines_overdue],
                "next": [_deadline(row) for row in self.deadlines_next],
                "clock_missing": [str(m) for m in self.clock_missing],
                "suggested_progress_interval_days": self.suggested_cadence,
            },
        }


def _deadline(row: Any) -> dict[str, Any]:
    return {
        "key": row.key,
        "title": str(row.title),
        "due_at": row.due_at.isoformat(),
        "status": row.status,
        **row.progress_fields(),
    }


NEXT_DEADLINES = 5


def deadlines_of(
    recall: RecallCase,
    now: datetime,
    *,
    from_records: Mapping[tuple[int, str], DeadlineRecord] | None = None,
) -> dict[str, Any]:
    """The recall's overdue deadlines and the next ones not done (the compliance clock), and
    what the clock misses to run (the suggested NMPA cadence in use is not a miss:
    ``suggested_cadence``). ``from_records``: what the records show done, when the caller
    keeps it (``reporting.deadlines.kept_done_from_records``); read afresh if not."""
    from medrecall.recalls.deadlines import deadlines_with_cadence

    rows, missing, suggested = deadlines_with_cadence(recall, now=now, from_records=from_records)
    waiting = [row for row in rows if row.waiting]
    return {
        "deadlines_overdue": [row for row in waiting if row.status == "breached"],
        "deadlines_next": [row for row in waiting if row.status != "breached"][:NEXT_DEADLINES],
        "clock_missing": [str(m) for m in missing],
        "suggested_cadence": suggested.days if suggested else None,
    }


def _percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def current_scope(recall: RecallCase) -> ScopeSnapshot | None:
    return recall.snapshots.order_by("-sequence").first()


def recovered_units(total: AccountingRow, corrected: int) -> int:
    """Returned or corrected, from a recall's accounting total and its corrected units: units
    in our quarantine + dispositioned + corrected on site, the corrected ones at most the units
    still at holders (as the closure check counts them: ``execution.closure``)."""
    return total.in_quarantine + total.dispositioned + min(corrected, max(total.at_holders, 0))


def corrected_by_recall(recall_ids: Iterable[int]) -> dict[int, int]:
    """Units corrected on site per recall (work-order units whose result is ``corrected``; the
    same rows ``execution.closure.corrected_units`` counts for one recall), one statement."""
    return {
        recall_id: int(total or 0)
        for recall_id, total in WorkOrderUnit.objects.filter(
            work_order__recall_id__in=list(recall_ids), result=UnitResult.CORRECTED
        )
        .order_by()
        .values_list("work_order__recall_id")
        .annotate(total=Sum("quantity"))
    }


def recovered_by_recall(recall_ids: Iterable[int]) -> dict[int, tuple[int, int] | None]:
    """Per recall asked: (affected units of its frozen scope, units returned or corrected), the
    cockpit's "returned or corrected" stage for many recalls at once (the same few statements
    for one recall or fifty). ``None`` for a recall without a frozen scope: there is nothing to
    count against yet, and the pages say so rather than showing 0 %. The one definition the
    cockpit, the home page, the queues, the exports and the API use."""
    ids = list(dict.fromkeys(recall_ids))
    if not ids:
        return {}
    found = accounting_for(list(RecallCase.objects.filter(pk__in=ids).only("pk", "number")))
    corrected = corrected_by_recall(ids)
    return {
        recall_id: (
            (
                found[recall_id].total.affected,
                recovered_units(found[recall_id].total, corrected.get(recall_id, 0)),
            )
            if recall_id in found and found[recall_id].snapshot is not None
            else None
        )
        for recall_id in ids
    }


def kept_recovered_by_recall(
    recall_ids: Iterable[int], *, stamp: int | Callable[[int], int] | None = None
) -> dict[int, tuple[int, int] | None]:
    """``recovered_by_recall``, each recall's figure kept until something is audited
    (``reporting.kept``: at most ``MEDRECALL_COCKPIT_CACHE_SECONDS``): the home page's percent
    recovered without counting a million units' accounting on every request. Only the recalls
    not kept are counted, together. ``stamp``: one for all, or each recall's (by default each
    recall's own, ``reporting.kept.recall_stamps``)."""
    ids = list(recall_ids)
    if keep_seconds() <= 0:
        return recovered_by_recall(ids)
    return kept_each(
        "recovered", ids, recovered_by_recall, stamp=recall_stamps().of if stamp is None else stamp
    )


def _funnel(
    recall: RecallCase, snapshot: ScopeSnapshot, accounting: Any, corrected: int
) -> list[Stage]:
    holders = scope_holders(recall, snapshot)
    counted = holders.aggregate(
        **{
            f"{key}_{what}": aggregate
            for key in ("affected", "sent", "notified", "delivered", "acknowledged", "recovered")
            for what, aggregate in (
                ("holders", Count("pk", filter=HOLDER_STAGES[key])),
                ("units", Coalesce(Sum("units", filter=HOLDER_STAGES[key]), Value(0))),
            )
        }
    )
    total_units = snapshot.total_units
    total_holders = counted["affected_holders"]

    def stage(key: str, units: int, holders: int | None) -> Stage:
        return Stage(
            key,
            units,
            holders,
            _percent(units, total_units),
            None if holders is None else _percent(holders, total_holders),
        )

    total = accounting.total
    return [
        stage("affected", total_units, total_holders),
        *[
            stage(key, counted[f"{key}_units"], counted[f"{key}_holders"])
            for key in ("sent", "notified", "delivered", "acknowledged")
        ],
        stage(
            "recovered",
            recovered_units(total, corrected),
            counted["recovered_holders"],
        ),
        stage("dispositioned", total.dispositioned, None),
    ]


def _grouped(
    recall: RecallCase,
    snapshot: ScopeSnapshot,
    *keys: str,
    still: Mapping[str, int] | None = None,
) -> list[GroupRow]:
    """Holders' units at the freeze per ``keys`` (a region, a holder type, an echelon), with
    ``still``: the units still at holders now per key (``still_by_region``), when known."""
    lines = holder_lines(snapshot)
    answered = _answered(recall.pk, "party_id")
    rows = (
        lines.values(*keys)
        .annotate(
            units=Sum(_units()),
            holders=Count("party", distinct=True),
            answered=Count("party", distinct=True, filter=answered),
        )
        .order_by("-units", *keys)
    )
    found = [
        GroupRow(
            "-".join(str(row[k]) for k in keys if row[k] not in ("", None)) or UNKNOWN,
            int(row["units"] or 0),
            row["holders"],
            row["answered"],
        )
        for row in rows
    ]
    if still is None:
        return found
    return [replace(row, still=still.get(row.key, 0)) for row in found]


# Units of the frozen scope on hand at holders now, by the holder location's country, province
# and the holder's type: the positions ``execution.selectors`` counts as "at holders" in the unit
# accounting (the same (snapshot, lot) pairs, serials named, serials a done disposition settled
# left out, supplier stock and our own sites left out), grouped by region in the statement.
_AT_HOLDERS_BY_REGION = """
    SELECT location.country, location.province_code, party.party_type, SUM(position.on_hand)
    FROM (SELECT line.lot_id, MAX(CASE WHEN line.serial_id IS NULL THEN 1 ELSE 0 END) AS whole
          FROM recalls_affectedline line
          WHERE line.snapshot_id = %s
          GROUP BY line.lot_id) pairs
    JOIN traceability_position position ON position.lot_id = pairs.lot_id
    JOIN parties_location location ON location.id = position.location_id
    JOIN parties_party party ON party.id = location.party_id
    WHERE party.party_type NOT IN (%s, %s)
      AND (pairs.whole = 1
           OR EXISTS (SELECT 1 FROM recalls_affectedline named
                      WHERE named.snapshot_id = %s AND named.lot_id = pairs.lot_id
                        AND named.serial_id = position.serial_id))
      AND NOT EXISTS (SELECT 1 FROM execution_disposition done
                      WHERE done.recall_id = %s AND done.status = %s
                        AND done.serial_id = position.serial_id)
    GROUP BY location.country, location.province_code, party.party_type
"""


@dataclass(frozen=True)
class StillAtHolders:
    """Units still at holders now (on hand at holders less corrected on site), per country,
    province (``CN-GD``) and holder type; the keys are those of ``GroupRow``."""

    by_country: dict[str, int]
    by_province: dict[str, int]
    by_party_type: dict[str, int]


def still_by_region(recall: RecallCase, snapshot: ScopeSnapshot) -> StillAtHolders:
    """``Progress.still_at_holders`` split by region and holder type: two grouped statements
    (the positions at holders, the units corrected on site by the work order's site), for any
    number of units or holders."""
    found: dict[str, dict[str, int]] = {"country": {}, "province": {}, "party_type": {}}

    def add(country: str, province: str, party_type: str, units: int) -> None:
        for group, key in (
            ("country", country or UNKNOWN),
            ("province", province or UNKNOWN),
            ("party_type", party_type or UNKNOWN),
        ):
            found[group][key] = found[group].get(key, 0) + units

    with connection.cursor() as cursor:
        cursor.execute(
            _AT_HOLDERS_BY_REGION,
            [
                snapshot.pk,
                PartyType.SUPPLIER,
                PartyType.OWN_SITE,
                snapshot.pk,
                recall.pk,
                TaskStatus.DONE,
            ],
        )
        for country, province, party_type, on_hand in cursor.fetchall():
            add(country, province, party_type, int(on_hand or 0))
    corrected = (
        WorkOrderUnit.objects.filter(work_order__recall=recall, result=UnitResult.CORRECTED)
        .order_by()
        .values_list(
            "work_order__location__country",
            "work_order__location__province_code",
            "work_order__party__party_type",
        )
        .annotate(total=Sum("quantity"))
    )
    for country, province, party_type, total in corrected:
        add(country, province, party_type, -int(total or 0))

    def clamped(group: str) -> dict[str, int]:
        return {key: max(units, 0) for key, units in found[group].items()}

    return StillAtHolders(clamped("country"), clamped("province"), clamped("party_type"))


def approved_on(recall: RecallCase) -> date | None:
    """The day the recall was approved (its first move into execution), local time."""
    first = (
        recall.transitions.filter(target=Status.IN_EXECUTION).order_by("at").values("at").first()
    )
    return timezone.localdate(first["at"]) if first else None


def burn_down(
    recall: RecallCase, snapshot: ScopeSnapshot, *, start: date | None, today: date
) -> list[tuple[date, int]]:
    """Units still at holders at the end of each day since approval: the holders' units of the
    frozen scope, less the units received back from holders (receipts) and corrected on site
    (work-order units ``corrected``) up to that day. Two grouped statements; the days are summed
    in order (one step per day, not per unit)."""
    if start is None:
        return []
    at_freeze = holder_lines(snapshot).aggregate(total=Sum(_units()))["total"] or 0
    gone: dict[date, int] = {}
    received = (
        Receipt.objects.filter(recall=recall)
        .exclude(ra__party__party_type=PartyType.OWN_SITE)
        .annotate(day=TruncDate("received_at"))
        .order_by()
        .values_list("day")
        .annotate(total=Sum("quantity"))
    )
    corrected = (
        WorkOrderUnit.objects.filter(
            work_order__recall=recall, result=UnitResult.CORRECTED, recorded_at__isnull=False
        )
        .exclude(work_order__party__party_type=PartyType.OWN_SITE)
        .annotate(day=TruncDate("recorded_at"))
        .order_by()
        .values_list("day")
        .annotate(total=Sum("quantity"))
    )
    for day, total in [*received, *corrected]:
        gone[max(day, start)] = gone.get(max(day, start), 0) + int(total)
    points, left, day = [], at_freeze, start
    while day <= today:
        left -= gone.get(day, 0)
        points.append((day, left))
        day += timedelta(days=1)
    return points


def _party(party: Party) -> dict[str, str]:
    """What a page needs to name a party in its reader's language (``party_name``)."""
    return {"code": party.code, "name": party.name, "name_en": party.name_en}


def _brief_holders(holders: QuerySet[Party]) -> list[dict[str, Any]]:
    return [
        {"id": p.pk, "code": p.code, "name": p.name, "name_en": p.name_en, "units": p.units}
        for p in cast(Any, holders[:LIST_SHOWN])
    ]


def open_returns(recall: RecallCase) -> QuerySet[ReturnAuthorisation]:
    return (
        ReturnAuthorisation.objects.filter(recall=recall, status__in=OPEN_RETURNS)
        .select_related("party")
        .order_by("created_at", "pk")
    )


def open_work_orders(recall: RecallCase) -> QuerySet[WorkOrder]:
    return (
        WorkOrder.objects.filter(recall=recall, status__in=OPEN_TASKS)
        .select_related("party")
        .order_by("due_at", "pk")
    )


def done_dispositions(recall: RecallCase) -> QuerySet[Disposition]:
    return (
        Disposition.objects.filter(recall=recall, status="done")
        .select_related("lot", "serial")
        .order_by("-done_at", "-pk")
    )


def corrected_units(recall: RecallCase) -> QuerySet[WorkOrderUnit]:
    return (
        WorkOrderUnit.objects.filter(work_order__recall=recall, result=UnitResult.CORRECTED)
        .select_related("work_order__party", "lot", "serial")
        .order_by("work_order__number", "pk")
    )


# Why a recall has nothing to count yet, by code (the page, the API and the command say it).
MISSING = {
    "no_scope": gettext_lazy(
        "No scope has been frozen for this recall yet: add scope rules and freeze the scope on "
        "the case page. The cockpit counts against the frozen scope."
    ),
}


def compute_progress(
    recall: RecallCase,
    *,
    now: datetime | None = None,
    from_records: Mapping[tuple[int, str], DeadlineRecord] | None = None,
) -> Progress:
    """The cockpit's figures, computed now (``recall_progress`` keeps them for a moment);
    ``from_records`` as ``deadlines_of``.

    On PostgreSQL the statements run with the trace's read settings (``trace_settings``: JIT
    off, which otherwise compiles these large statements for seconds longer than they run)."""
    with trace_settings():
        return _compute(recall, now=now, from_records=from_records)


def _compute(
    recall: RecallCase,
    *,
    now: datetime | None,
    from_records: Mapping[tuple[int, str], DeadlineRecord] | None,
) -> Progress:
    now = now or timezone.now()
    snapshot = current_scope(recall)
    base: dict[str, Any] = {
        "recall_id": recall.pk,
        "recall": recall.number,
        "status": recall.status,
        "computed_at": now,
    }
    base.update(deadlines_of(recall, now, from_records=from_records))
    if snapshot is None:
        return Progress(**base, missing=["no_scope"])
    accounting = accounting_for([recall])[recall.pk]
    corrected = corrected_by_recall([recall.pk]).get(recall.pk, 0)
    total = accounting.total
    funnel = _funnel(recall, snapshot, accounting, corrected)
    holders = scope_holders(recall, snapshot)
    silent = holders.filter(HOLDER_STAGES["silent"])
    returns = open_returns(recall)
    orders = open_work_orders(recall)
    start = approved_on(recall)
    still = still_by_region(recall, snapshot)
    return Progress(
        **base,
        snapshot=snapshot.sequence,
        frozen_at=snapshot.created_at,
        units=snapshot.total_units,
        holders=funnel[0].holders or 0,
        funnel=funnel,
        accounting={
            **{k: v for k, v in total.as_dict().items() if k != "lot"},
            "corrected": corrected,
        },
        still_at_holders=max(total.at_holders - corrected, 0),
        by_country=_grouped(recall, snapshot, "location__country", still=still.by_country),
        by_province=[
            row
            for row in _grouped(
                recall, snapshot, "location__province_code", still=still.by_province
            )
            if row.key.startswith("CN-")
        ],
        by_party_type=_grouped(recall, snapshot, "party__party_type", still=still.by_party_type),
        by_echelon=_grouped(recall, snapshot, "echelon"),
        approved_on=start,
        burn_down=burn_down(recall, snapshot, start=start, today=timezone.localdate(now)),
        silent=silent.count(),
        silent_first=_brief_holders(silent),
        open_returns=returns.count(),
        open_returns_first=[
            {"id": ra.pk, "number": ra.number, "holder": _party(ra.party), "status": ra.status}
            for ra in returns[:LIST_SHOWN]
        ],
        open_work_orders=orders.count(),
        overdue_work_orders=orders.filter(due_at__lt=now).count(),
        open_work_orders_first=[
            {
                "id": o.pk,
                "number": o.number,
                "holder": _party(o.party),
                "due_at": o.due_at,
                "status": o.status,
            }
            for o in orders[:LIST_SHOWN]
        ],
    )


def _shape() -> str:
    """The figures' shape in the cache key (the fields and the funnel's stages): figures kept
    by another release are never read."""
    names = (
        ",".join(f.name for f in dataclass_fields(Progress))
        + ";"
        + ",".join(f.name for f in dataclass_fields(GroupRow))
        + ";"
        + ",".join(STAGES)
    )
    return f"{zlib.crc32(names.encode()):08x}"


_SHAPE = _shape()


def _cache_seconds() -> int:
    return int(getattr(settings, "MEDRECALL_COCKPIT_CACHE_SECONDS", 0))


def recall_progress(recall: RecallCase) -> Progress:
    """The cockpit's figures, kept in the cache for ``MEDRECALL_COCKPIT_CACHE_SECONDS`` and
    only while nothing was recorded about the recall since (``reporting.kept``: every regulated
    change writes an audit entry in its transaction, so the recall's latest audit entry tells
    whether its figures may have moved).

    When the kept figures are stale, one process counts afresh while the others answer with
    the previous figures (no crowd of processes counting the same scope at once, each slowing
    the others)."""
    seconds = _cache_seconds()
    if seconds <= 0:
        return compute_progress(recall)
    # The deadlines are the clock's, in the reader's language: read afresh, never kept.
    return replace(_kept_progress(recall, seconds), **deadlines_of(recall, timezone.now()))


def page_progress(recall: RecallCase, *, stamp: int | None = None) -> Progress:
    """``recall_progress`` for the cockpit page, its partial and the progress API, read under
    one audit ``stamp`` (the caller's, when it has read it): the figures kept as there, and the
    deadlines kept too, in the reader's language, for at most
    ``MEDRECALL_COCKPIT_CACHE_SECONDS`` (``kept_deadlines_of``)."""
    seconds = _cache_seconds()
    if seconds <= 0:
        return compute_progress(recall)
    stamp = recall_stamp(recall.pk) if stamp is None else stamp
    now = timezone.now()
    return replace(
        _kept_progress(recall, seconds, stamp=stamp),
        **kept_deadlines_of(recall, now, stamp=stamp),
    )


def kept_deadlines_of(recall: RecallCase, now: datetime, *, stamp: int) -> dict[str, Any]:
    """``deadlines_of``, kept per recall and language until something is audited (a deadline
    marked done, a class or a calendar entered) for ``MEDRECALL_COCKPIT_CACHE_SECONDS`` (one
    time slot of that length; answered while recounted after the response for one more: a
    deadline falling due or overdue shows within two). What the notice log shows done is not
    counted per language: it is the one figure kept per recall and stamp
    (``kept_done_from_records``)."""
    seconds = _cache_seconds()
    if seconds <= 0:
        return deadlines_of(recall, now)
    language = get_language() or settings.LANGUAGE_CODE
    return kept(
        f"deadlines:{recall.pk}:{recall.status}:{language}",
        lambda: deadlines_of(
            recall, now, from_records=kept_done_from_records([recall], stamp=stamp)
        ),
        stamp=stamp,
    )


def _kept_progress(recall: RecallCase, seconds: int, *, stamp: int | None = None) -> Progress:
    """``compute_progress`` kept under the recall's own audit stamp (``reporting.kept``); figures
    that took long to count are kept longer (``kept``: ten times the count). While one request
    counts, the others answer the previous figures (their ``computed_at`` says when). The
    deadlines in them read the one kept figure of what the notice log shows done."""
    if stamp is None:
        stamp = recall_stamp(recall.pk)
    kept_stamp = stamp
    return kept(
        f"progress:{recall.pk}:{recall.status}:{_SHAPE}",
        lambda: compute_progress(
            recall, from_records=kept_done_from_records([recall], stamp=kept_stamp)
        ),
        stamp=stamp,
    )


RUNNING = (NoticeRun.Status.QUEUED, NoticeRun.Status.GENERATING, NoticeRun.Status.SENDING)


def activity(recall: RecallCase, *, now: datetime | None = None) -> dict[str, bool]:
    """Is anything moving the figures right now? The cockpit refreshes itself only then.

    * ``sending``: a send run not finished that shows life within ``LIVE_WINDOW``: started
      then, or one of its notices created, claimed by the worker or sent then. A run left
      unfinished (no worker, a batch that died) stops counting after the window.
    * ``receiving``: a unit received for the recall within ``LIVE_WINDOW``."""
    now = now or timezone.now()
    since = now - LIVE_WINDOW
    lively = Q(created_at__gte=since) | Q(sent_at__gte=since) | Q(claimed_at__gte=since)
    sending = NoticeRun.objects.filter(recall=recall, status__in=RUNNING).filter(
        Q(created_at__gte=since) | Exists(Notice.objects.filter(lively, run_id=OuterRef("pk")))
    )
    receiving = Receipt.objects.filter(recall=recall, received_at__gte=since)
    found = (
        RecallCase.objects.filter(pk=recall.pk)
        .values(sending=Exists(sending), receiving=Exists(receiving))
        .first()
    )  # both in one statement: asked on every cockpit request
    return {
        "sending": bool(found and found["sending"]),
        "receiving": bool(found and found["receiving"]),
    }


def recovered_lots(recall: RecallCase) -> list[dict[str, Any]]:
    """Per lot, the accounting's part of "returned or corrected": units in our quarantine and
    units dispositioned (the drill-down beside the corrected units)."""
    books = accounting_for([recall])[recall.pk]
    return [
        {
            "lot": row.lot,
            "in_quarantine": row.in_quarantine,
            "dispositioned": row.dispositioned,
            "units": row.in_quarantine + row.dispositioned,
        }
        for row in books.lots
        if row.in_quarantine or row.dispositioned
    ]
