"""Across recalls: the open recalls with their stage, level per regime, percent recovered and next
deadline; what falls due this week and what is overdue; and the portfolio (recalls per month,
by device model, by root cause, time from decision to completion).

Every figure is read set-based for the recalls asked about (a page of them): the same few
queries for one recall or fifty. The deadlines come from the compliance clock
(``recalls.deadlines``), the units from execution's accounting (``execution.selectors``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from statistics import mean, median
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import get_language

from medrecall.catalog.models import DeviceModel
from medrecall.core.errors import DomainError
from medrecall.core.types import Viewer
from medrecall.recalls import deadlines
from medrecall.recalls.deadlines import ClockProblem, DeadlineRow
from medrecall.recalls.hooks import DeadlineRecord
from medrecall.recalls.lifecycle import Status
from medrecall.recalls.models import RecallCase
from medrecall.recalls.selectors import recall_list_for

from .deadlines import kept_done_from_records
from .kept import keep_seconds, kept
from .progress import kept_recovered_by_recall, recovered_by_recall  # noqa: F401  (read from here too)

# A recall is open until it is closed, terminated or cancelled (a draft is a case being worked).
ENDED = (Status.CLOSED, Status.TERMINATED, Status.CANCELLED)
# The recall's own root-cause field, when the case has one (quality's CAPA root causes are a
# separate record that does not exist yet).
ROOT_CAUSE_FIELD = "root_cause"


@dataclass(frozen=True)
class Level:
    """The class a recall has under one regime (NMPA level, FDA class, EU FSCA)."""

    regime: str
    recall_class: str


@dataclass(frozen=True)
class Recovery:
    affected: int
    recovered: int

    @property
    def percent(self) -> float | None:
        """Recovered as a percentage of the affected units (one decimal); ``None`` for a frozen
        scope without units."""
        return round(100 * self.recovered / self.affected, 1) if self.affected else None


@dataclass(frozen=True)
class OpenRecallRow:
    """One open recall on the home page: where it stands, in one line."""

    recall_id: int
    number: str
    title: str
    status: str
    levels: tuple[Level, ...]
    recovery: Recovery | None  # None: no frozen scope yet
    next_deadline: DeadlineRow | None
    clock_missing: tuple[str, ...] = ()

    @property
    def status_label(self) -> str:
        return str(Status(self.status).label)

    def as_dict(self) -> dict[str, Any]:
        """The row as the command line's JSON shows it (the API's serializer has the same
        fields); ``affected``/``recovered``/``percent_recovered`` are null without a frozen scope."""
        deadline = self.next_deadline
        return {
            "id": self.recall_id,
            "number": self.number,
            "title": self.title,
            "status": self.status,
            "status_label": self.status_label,
            "levels": [
                {"regime": lv.regime, "recall_class": lv.recall_class} for lv in self.levels
            ],
            "scope_frozen": self.recovery is not None,
            "affected": self.recovery.affected if self.recovery else None,
            "recovered": self.recovery.recovered if self.recovery else None,
            "percent_recovered": self.recovery.percent if self.recovery else None,
            "next_deadline": None
            if deadline is None
            else {
                "key": deadline.key,
                "title": deadline.title,
                "due_at": deadline.due_at.isoformat(),
                "status": deadline.status,
                "legal": deadline.legal,
                "provisional": deadline.provisional,
                **deadline.progress_fields(),
            },
            "clock_missing": list(self.clock_missing),
        }


def open_recalls_for(*, viewer: Viewer) -> QuerySet[RecallCase]:
    """The recalls still open (not closed, terminated or cancelled) the viewer may see, newest
    first; none for a portal user. Page it, then ``open_recall_rows`` on the page."""
    return (
        recall_list_for(viewer=viewer)
        .exclude(status__in=ENDED)
        .prefetch_related("deadlines_done")
        .order_by("-created_at", "-pk")
    )


def _clock(
    recall: RecallCase,
    now: datetime,
    working_days: deadlines.WorkingDays,
    from_records: Mapping[tuple[int, str], DeadlineRecord],
) -> tuple[DeadlineRow | None, tuple[str, ...]]:
    """The recall's next deadline not met (the earliest, breached ones first by date) and what
    keeps its clock from running; a clock refusal is shown, never raised."""
    try:
        rows, missing = deadlines.deadlines_for(
            recall, now=now, working_days=working_days, from_records=from_records
        )
    except DomainError as refused:
        return None, (refused.message,)
    upcoming = next((row for row in rows if row.waiting), None)
    return upcoming, tuple(missing)


def open_recall_rows(
    recalls: Sequence[RecallCase],
    *,
    now: datetime | None = None,
    stamp: int | Callable[[int], int] | None = None,
) -> list[OpenRecallRow]:
    """The home page's line for each recall (regimes and marked deadlines prefetched by
    ``open_recalls_for``): about a dozen queries for any number of recalls, fewer when the
    units recovered are kept (``progress.kept_recovered_by_recall``; ``stamp``: each recall's
    audit stamp when the caller has read them, ``reporting.kept.recall_stamps``)."""
    now = now or timezone.now()
    recalls = list(recalls)
    recovered = kept_recovered_by_recall((recall.pk for recall in recalls), stamp=stamp)
    working_days = deadlines.working_days_for(recalls)
    from_records = kept_done_from_records(recalls, stamp=stamp)
    rows = []
    for recall in recalls:
        upcoming, missing = _clock(recall, now, working_days, from_records)
        units = recovered.get(recall.pk)
        rows.append(
            OpenRecallRow(
                recall_id=recall.pk,
                number=recall.number,
                title=recall.display_title,
                status=recall.status,
                levels=tuple(
                    Level(r.regime, r.recall_class)
                    for r in sorted(recall.regimes.all(), key=lambda r: r.regime)
                ),
                recovery=Recovery(*units) if units is not None else None,
                next_deadline=upcoming,
                clock_missing=missing,
            )
        )
    return rows


@dataclass(frozen=True)
class DueDeadlines:
    """Across open recalls: deadlines not met that fall due in the next seven days (``due``),
    those already breached (``overdue``), and the recalls whose clock could not run."""

    due: list[DeadlineRow]
    overdue: list[DeadlineRow]
    problems: list[ClockProblem]


def deadlines_due_for(
    *, viewer: Viewer, now: datetime | None = None, stamp: int | None = None
) -> DueDeadlines:
    """``recalls.deadlines.due_report`` split into due this week and overdue; nothing for a
    viewer who may not see recalls (a portal user). What the notice log shows done is the one
    kept figure per recall (``kept_done_from_records``). With the latest audit entry's id
    (``stamp``) the report is kept (``reporting.kept``) per language for
    ``MEDRECALL_COCKPIT_CACHE_SECONDS`` (one time slot of that length, and answered while
    recounted after the response for one more: a deadline falling due or breached shows within
    two; a deadline marked done is audited and shows at once)."""
    if viewer.party_id is not None or not viewer.has_perm("recalls.view_recallcase"):
        return DueDeadlines([], [], [])
    if stamp is None or keep_seconds() <= 0:
        report = deadlines.due_report(now=now, done_from_records=kept_done_from_records)
    else:
        moment = now or timezone.now()
        language = get_language() or "zh-hans"
        report = kept(
            f"due:{language}",
            lambda: deadlines.due_report(now=moment, done_from_records=kept_done_from_records),
            stamp=stamp,
        )
    return DueDeadlines(
        due=[row for row in report.rows if row.status != "breached"],
        overdue=[row for row in report.rows if row.status == "breached"],
        problems=report.problems,
    )


# -- the portfolio ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthCount:
    month: str  # "2026-03", in the active time zone
    opened: int
    completed: int


@dataclass(frozen=True)
class Completion:
    """A recall done: from its decision to the last affected unit dealt with."""

    recall_id: int
    number: str
    decision_at: datetime
    completed_at: datetime

    @property
    def days(self) -> float:
        return round((self.completed_at - self.decision_at).total_seconds() / 86400, 1)


@dataclass(frozen=True)
class Portfolio:
    per_month: list[MonthCount]
    root_cause_field: str | None  # None: recalls carry no root-cause field
    by_root_cause: list[tuple[str, int]]
    completions: list[Completion] = field(default_factory=list)

    @property
    def days_summary(self) -> dict[str, Any]:
        """Days from decision to completion over every completed recall."""
        days = [c.days for c in self.completions]
        if not days:
            return {"count": 0, "median": None, "mean": None, "max": None}
        return {
            "count": len(days),
            "median": round(median(days), 1),
            "mean": round(mean(days), 1),
            "max": max(days),
        }

    @property
    def days_per_month(self) -> list[tuple[str, float]]:
        """The mean days from decision to completion, by the month of completion."""
        months: dict[str, list[float]] = defaultdict(list)
        for completion in self.completions:
            months[_month(completion.completed_at)].append(completion.days)
        return [(month, round(mean(days), 1)) for month, days in sorted(months.items())]


def _month(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m")


def _counted_recalls(viewer: Viewer) -> QuerySet[RecallCase]:
    """The recalls the portfolio counts: every one the viewer may see but the cancelled (opened
    by mistake, never a recall)."""
    return recall_list_for(viewer=viewer).exclude(status=Status.CANCELLED)


def _per_month(recalls: QuerySet[RecallCase]) -> list[MonthCount]:
    zone = timezone.get_current_timezone()
    opened = {
        _month(row["month"]): row["n"]
        for row in recalls.order_by()
        .annotate(month=TruncMonth("created_at", tzinfo=zone))
        .values("month")
        .annotate(n=Count("pk"))
    }
    completed = {
        _month(row["month"]): row["n"]
        for row in recalls.filter(completed_at__isnull=False)
        .order_by()
        .annotate(month=TruncMonth("completed_at", tzinfo=zone))
        .values("month")
        .annotate(n=Count("pk"))
    }
    return [
        MonthCount(month, opened.get(month, 0), completed.get(month, 0))
        for month in sorted(set(opened) | set(completed))
    ]


def root_cause_field() -> str | None:
    """The recall's root-cause field, if the case has one."""
    names = {f.name for f in RecallCase._meta.get_fields()}
    return ROOT_CAUSE_FIELD if ROOT_CAUSE_FIELD in names else None


def _by_root_cause(recalls: QuerySet[RecallCase], name: str | None) -> list[tuple[str, int]]:
    if name is None:
        return []
    return [
        (str(value or ""), n)
        for value, n in recalls.order_by()
        .values_list(name)
        .annotate(n=Count("pk"))
        .order_by("-n", name)
    ]


def portfolio_for(*, viewer: Viewer) -> Portfolio:
    """The portfolio figures over the recalls the viewer may see (none for a portal user)."""
    recalls = _counted_recalls(viewer)
    name = root_cause_field()
    return Portfolio(
        per_month=_per_month(recalls),
        root_cause_field=name,
        by_root_cause=_by_root_cause(recalls, name),
        completions=[
            Completion(pk, number, decided, completed)
            for pk, number, decided, completed in recalls.filter(
                decision_at__isnull=False, completed_at__isnull=False
            )
            .order_by("-completed_at", "-pk")
            .values_list("pk", "number", "decision_at", "completed_at")
            if decided is not None and completed is not None
        ],
    )


def products_for(*, viewer: Viewer) -> QuerySet[DeviceModel]:
    """Device models named by the viewer's recalls, each with ``recalls`` (every recall but the
    cancelled) and ``open_recalls``; most recalled first. Page it."""
    counted = ~Q(recalls__status=Status.CANCELLED) & Q(
        recalls__in=_counted_recalls(viewer).values("pk")
    )
    return (
        DeviceModel.objects.annotate(
            recalls_count=Count("recalls", filter=counted, distinct=True),
            open_recalls=Count(
                "recalls", filter=counted & ~Q(recalls__status__in=ENDED), distinct=True
            ),
        )
        .filter(recalls_count__gt=0)
        .order_by("-recalls_count", "model_code")
    )
