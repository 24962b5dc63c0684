"""Reads of the effectiveness context: consignees of the frozen scope, sample results, the
computed completion and its outstanding units (paged), what keeps the recall from closing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from medrecall.core.errors import NotFound
from medrecall.execution.closure import corrected_units
from medrecall.execution.lifecycle import UnitResult
from medrecall.execution.models import WorkOrderUnit
from medrecall.execution.selectors import Accounting, recall_accounting
from medrecall.notices.recipients import regime_covering
from medrecall.parties.models import PartyType
from medrecall.recalls.lifecycle import Status
from medrecall.recalls.models import AffectedLine, RecallCase
from medrecall.traceability.models import Position

from .models import (
    CheckPlan,
    CheckRecord,
    Completion,
    Sample,
    SampledConsignee,
    Stratum,
    UnitException,
)

# Parties that are not consignees of a recall: our own sites (notices never go to ourselves) and
# suppliers (their stock is not ours to account, as execution's accounting says).
NOT_CONSIGNEES = (PartyType.OWN_SITE, PartyType.SUPPLIER)


@dataclass(frozen=True)
class Consignee:
    party_id: int
    code: str
    name: str
    stratum: str
    units: int
    country: str = ""


def stratum_of(party_type: str) -> str:
    """Distributors are the first echelon; every other consignee (hospital, end user, service
    partner) is an end user of the depth the recall reaches."""
    return Stratum.DISTRIBUTOR if party_type == PartyType.DISTRIBUTOR else Stratum.END_USER


def consignees(recall: RecallCase, regime: str | None) -> list[Consignee]:
    """The consignees of the recall's current frozen scope whose notices go under ``regime``
    (notices' own rule, by the country of the holder's location), ordered by party code;
    ``None``: every consignee, domestic and foreign (the 806 report's list, 806.10(c)(11))."""
    snapshot = recall.current_snapshot
    if snapshot is None:
        return []
    rows = (
        AffectedLine.objects.filter(snapshot=snapshot)
        .exclude(party__party_type__in=NOT_CONSIGNEES)
        .values("party_id", "party__code", "party__name", "party__party_type", "location__country")
        .annotate(units=Sum(F("on_hand") + F("in_transit")))
        .order_by("party__code")
    )
    units: dict[int, int] = {}
    found: dict[int, Consignee] = {}
    regimes = [r.regime for r in recall.regimes.all()]
    for row in rows:
        # Under the regime only where the country falls under it: a holder outside every
        # regime of the recall is no regime's consignee (notices.recipients.regime_covering).
        if regime is not None and regime_covering(regimes, row["location__country"]) != regime:
            continue
        units[row["party_id"]] = units.get(row["party_id"], 0) + int(row["units"] or 0)
        found[row["party_id"]] = Consignee(
            party_id=row["party_id"],
            code=row["party__code"],
            name=row["party__name"],
            stratum=stratum_of(row["party__party_type"]),
            units=0,
            country=row["location__country"] or "",
        )
    return [
        Consignee(c.party_id, c.code, c.name, c.stratum, units[c.party_id], c.country)
        for c in found.values()
    ]


def plans_of(recall: RecallCase) -> list[CheckPlan]:
    return list(recall.check_plans.all())


def plan_of(recall: RecallCase, regime: str) -> CheckPlan:
    plan = CheckPlan.objects.filter(recall=recall, regime=regime).first()
    if plan is None:
        raise NotFound(
            _("Recall %(recall)s has no effectiveness-check level for %(regime)s.")
            % {"recall": recall.number, "regime": regime},
            where="regime",
        )
    return plan


def current_sample(plan: CheckPlan) -> Sample | None:
    return plan.samples.order_by("-drawn_at", "-pk").first()


def sampled_consignee(*, recall: RecallCase, party_code: str, regime: str = "") -> SampledConsignee:
    """A consignee of the recall's current samples by party code (NotFound names the code)."""
    current = [s.pk for p in plans_of(recall) if (s := current_sample(p)) is not None]
    found = SampledConsignee.objects.filter(sample_id__in=current, party__code=party_code)
    if regime:
        found = found.filter(sample__plan__regime=regime)
    member = found.select_related("sample__plan", "party").first()
    if member is None:
        raise NotFound(
            _("%(party)s is not in the effectiveness-check sample of recall %(recall)s.")
            % {"party": party_code, "recall": recall.number},
            where="party",
        )
    return member


def sample_members(sample: Sample) -> QuerySet[SampledConsignee]:
    """The sampled consignees, each with its latest check (``latest_*``) in one query."""
    latest = CheckRecord.objects.filter(consignee_id=OuterRef("pk")).order_by("-checked_at", "-pk")
    return (
        sample.consignees.select_related("party")
        .annotate(
            latest_id=Subquery(latest.values("pk")[:1]),
            latest_passed=Subquery(latest.values("passed")[:1]),
            latest_at=Subquery(latest.values("checked_at")[:1]),
            latest_units=Subquery(latest.values("units_found")[:1]),
            open_escalations=Coalesce(
                Subquery(
                    CheckRecord.objects.filter(
                        consignee_id=OuterRef("pk"), passed=False, resolved_at__isnull=True
                    )
                    .order_by()
                    .values("consignee_id")
                    .annotate(n=Sum(Value(1)))
                    .values("n")
                ),
                0,
            ),
        )
        .order_by("stratum", "party__code")
    )


def checks_of(recall: RecallCase) -> QuerySet[CheckRecord]:
    return (
        CheckRecord.objects.filter(consignee__sample__plan__recall=recall)
        .select_related("consignee__party", "consignee__sample__plan", "checked_by")
        .order_by("-checked_at", "-pk")
    )


def open_escalations(recall: RecallCase) -> QuerySet[CheckRecord]:
    """Failed checks not yet resolved (by a later passing check or with a reason): the work
    queue of the effectiveness check."""
    return checks_of(recall).filter(passed=False, resolved_at__isnull=True)


@dataclass
class Results:
    regime: str
    level: str
    share: int | None
    population: int
    size: int
    seed: int | None
    checked: int = 0
    passed: int = 0
    failed: int = 0
    pending: int = 0
    unresolved: int = 0
    by_stratum: dict[str, dict[str, int]] = field(default_factory=dict)

    def percent(self, part: int) -> float:
        return round(100 * part / self.size, 1) if self.size else 0.0

    @property
    def criteria_met(self) -> bool:
        """Every sampled consignee checked, and its latest check passed (a failed one resolved
        by a re-check that passed)."""
        return self.level == "E" or (
            self.seed is not None and self.pending == 0 and self.failed == 0
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "regime": self.regime,
            "level": self.level,
            "share": self.share,
            "consignees": self.population,
            "sample_size": self.size,
            "seed": self.seed,
            "checked": self.checked,
            "passed": self.passed,
            "failed": self.failed,
            "pending": self.pending,
            "unresolved_escalations": self.unresolved,
            "checked_percent": self.percent(self.checked),
            "passed_percent": self.percent(self.passed),
            "failed_percent": self.percent(self.failed),
            "pending_percent": self.percent(self.pending),
            "by_stratum": self.by_stratum,
            "criteria_met": self.criteria_met,
        }


def results_of(plan: CheckPlan) -> Results:
    """Counts of the current sample by each consignee's latest check (two queries)."""
    sample = current_sample(plan)
    if sample is None:
        return Results(plan.regime, plan.level, plan.share, 0, 0, None)
    found = Results(
        plan.regime, plan.level, plan.share, sample.population, sample.size, sample.seed
    )
    for member in sample_members(sample):
        stratum = found.by_stratum.setdefault(
            member.stratum, {"sampled": 0, "checked": 0, "passed": 0, "failed": 0, "pending": 0}
        )
        stratum["sampled"] += 1
        latest_id, latest_passed = (
            getattr(member, "latest_id", None),
            getattr(member, "latest_passed", None),
        )
        if latest_id is None:
            found.pending += 1
            stratum["pending"] += 1
            continue
        found.checked += 1
        stratum["checked"] += 1
        outcome = "passed" if latest_passed else "failed"
        setattr(found, outcome, getattr(found, outcome) + 1)
        stratum[outcome] += 1
        found.unresolved += int(getattr(member, "open_escalations", 0) or 0)
    return found


def results(recall: RecallCase) -> list[Results]:
    return [results_of(plan) for plan in plans_of(recall)]


# --- completion -----------------------------------------------------------------------------


def outstanding_at_holders(recall: RecallCase) -> QuerySet[Any]:
    """Units of the frozen scope still at holders, per holder and lot, less the units a work order
    corrected there and the units of signed exceptions: rows (``location__party_id``,
    ``location__party__code``, ``location__party__name``, ``location__party__name_en``,
    ``lot_id``, ``lot__number``, ``units``, ``corrected``, ``excepted``, ``outstanding``), ordered by holder and lot, one statement (page it). The same positions
    as execution's accounting counts in ``at_holders``, broken down by holder."""
    rows = _at_holders(recall)
    if rows is None:
        return Position.objects.none().values("pk")
    return rows.filter(outstanding__gt=0).order_by("location__party__code", "lot__number")


def excepted_at_holders(recall: RecallCase) -> int:
    """Units at holders covered by signed unit exceptions, each holder and lot counted at most
    up to what is there less what work orders corrected (registered in
    ``recalls.hooks.AT_HOLDERS_EXCUSED``: execution's "units still at holders" finding
    subtracts them). One statement."""
    rows = _at_holders(recall)
    if rows is None:
        return 0
    return sum(
        min(excepted, max(units - corrected, 0))
        for units, corrected, excepted in rows.filter(excepted__gt=0).values_list(
            "units", "corrected", "excepted"
        )
    )


def _at_holders(recall: RecallCase) -> QuerySet[Any] | None:
    """Per holder and lot of the frozen scope: units there, corrected, excepted, outstanding
    (None without a frozen scope)."""
    snapshot = recall.current_snapshot
    if snapshot is None:
        return None
    in_scope = AffectedLine.objects.filter(snapshot=snapshot, lot_id=OuterRef("lot_id")).filter(
        Q(serial__isnull=True) | Q(serial_id=OuterRef("serial_id"))
    )
    corrected = (
        WorkOrderUnit.objects.filter(
            work_order__recall=recall,
            work_order__party_id=OuterRef("location__party_id"),
            lot_id=OuterRef("lot_id"),
            result=UnitResult.CORRECTED,
        )
        .order_by()
        .values("lot_id")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    excepted = (
        UnitException.objects.filter(
            recall=recall, party_id=OuterRef("location__party_id"), lot_id=OuterRef("lot_id")
        )
        .order_by()
        .values("lot_id")
        .annotate(total=Sum("units"))
        .values("total")
    )
    zero = Value(0, output_field=IntegerField())
    return (
        Position.objects.filter(Exists(in_scope), on_hand__gt=0)
        .exclude(location__party__party_type__in=NOT_CONSIGNEES)
        .values(
            "location__party_id",
            "location__party__code",
            "location__party__name",
            "location__party__name_en",
            "lot_id",
            "lot__number",
        )
        .annotate(
            units=Sum("on_hand"),
            corrected=Coalesce(Subquery(corrected, output_field=IntegerField()), zero),
            excepted=Coalesce(Subquery(excepted, output_field=IntegerField()), zero),
        )
        .annotate(outstanding=F("units") - F("corrected") - F("excepted"))
    )


@dataclass
class CompletionState:
    accounting: Accounting
    corrected: int
    excepted: int
    outstanding_at_holders: int
    completed_at: Any = None

    @property
    def other_outstanding(self) -> dict[str, int]:
        """Units not at holders that are not accounted yet (execution's categories)."""
        total = self.accounting.total
        return {
            "in_transit": total.in_transit,
            "in_quarantine": total.in_quarantine,
            "own_stock": total.own_stock,
            "unexplained": sum(max(row.unexplained, 0) for row in self.accounting.lots),
        }

    @property
    def complete(self) -> bool:
        return (
            self.accounting.snapshot is not None
            and self.accounting.total.affected > 0
            and self.outstanding_at_holders == 0
            and not any(self.other_outstanding.values())
        )

    def as_dict(self) -> dict[str, Any]:
        total = self.accounting.total
        return {
            "complete": self.complete,
            "completed_at": self.completed_at.isoformat() if self.completed_at else None,
            "snapshot": self.accounting.snapshot,
            "affected": total.affected,
            "at_holders": total.at_holders,
            "corrected": self.corrected,
            "excepted": self.excepted,
            "outstanding_at_holders": self.outstanding_at_holders,
            "used": total.used,
            "dispositioned": total.dispositioned,
            **self.other_outstanding,
        }


def completion_of(recall: RecallCase) -> CompletionState:
    """Whether every unit of the frozen scope is accounted: execution's unit accounting (at
    holders, own stock, in transit, quarantine, dispositioned, used) with the units at holders
    that work orders corrected, and signed exceptions for exact units per holder and lot."""
    accounting = recall_accounting(recall)
    outstanding = outstanding_at_holders(recall)
    left = outstanding.aggregate(total=Sum("outstanding"))["total"] if accounting.snapshot else 0
    excepted = UnitException.objects.filter(recall=recall).aggregate(total=Sum("units"))["total"]
    done = Completion.objects.filter(recall=recall).values_list("completed_at", flat=True).first()
    return CompletionState(
        accounting=accounting,
        corrected=corrected_units(recall),
        excepted=int(excepted or 0),
        outstanding_at_holders=int(left or 0),
        completed_at=done,
    )


def closing_signature_in_force(recall: RecallCase) -> Any:
    """The closing signature signed since the recall last entered effectiveness check."""
    from .models import ClosingSignature

    entered = (
        recall.transitions.filter(target=Status.EFFECTIVENESS_CHECK).order_by("-at", "-pk").first()
    )
    signed = ClosingSignature.objects.filter(recall=recall).select_related("signature")
    if entered is not None:
        signed = signed.filter(signed_at__gte=entered.at)
    return signed.order_by("-signed_at", "-pk").first()


@dataclass(frozen=True)
class CheckDisagreement:
    """A passed check whose units found differ from what the accounting still counts at that
    holder (e.g. 0 found where 40 are outstanding): the check or the accounting is wrong."""

    party_id: int
    code: str
    found: int
    outstanding: int

    @property
    def message(self) -> str:
        return _(
            "%(party)s: the passed effectiveness check found %(found)s units there, but the "
            "unit accounting still counts %(outstanding)s outstanding at the holder. Check again "
            "or correct the accounting."
        ) % {"party": self.code, "found": self.found, "outstanding": self.outstanding}


def check_disagreements(recall: RecallCase) -> list[CheckDisagreement]:
    """Sampled consignees whose latest check passed with units found different from the units
    still outstanding there (``outstanding_at_holders``, summed over lots): one query per regime
    and one for the accounting."""
    rows = _at_holders(recall)
    left: dict[int, int] = {}
    for party_id, outstanding in (
        rows.values_list("location__party_id", "outstanding") if rows is not None else []
    ):
        left[party_id] = left.get(party_id, 0) + max(int(outstanding), 0)
    found: list[CheckDisagreement] = []
    for plan in plans_of(recall):
        sample = current_sample(plan)
        if sample is None:
            continue
        for member in sample_members(sample):
            if getattr(member, "latest_passed", None) is not True:
                continue
            units = int(getattr(member, "latest_units", 0) or 0)
            outstanding = left.get(member.party_id, 0)
            if units != outstanding:
                found.append(
                    CheckDisagreement(member.party_id, member.party.code, units, outstanding)
                )
    return sorted(found, key=lambda d: d.code)
