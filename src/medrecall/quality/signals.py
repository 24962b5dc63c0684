"""Early warning: which lots and device models have more complaints than their exposure explains.

The statistics are pure (``detect`` on a ``Panel`` of numpy arrays, no database), so the
detection service, the tests and the backtest (``bench/early_warning_bench.py``) run the same
code. The reads that fill a panel from the database are ``panel_load`` (two queries for every
lot there is: net units shipped per lot and day, complaints per lot and day).

Method (docs/quality.md, "Early warning"):

* **Exposure** is unit-weeks in the field: for each week of the window, the units of the lot
  shipped from the company's own sites to holders (net of returns to own sites) by the end of
  that week. A lot shipped last month has had less time to draw complaints than one shipped a
  year ago; counting unit-weeks compares them fairly.
* **Independent events**: complaints about one lot from one holder within ``cluster_days`` of
  the first of them count as one event in the tests (one site's bad day, or one problem
  reported three times, is one observation, not three); complaints whose holder is not known
  count one each. The counts shown stay the complaints.
* **Lot test** (Bayesian, exact for small counts): the lot's baseline rate is the rate of the
  model's other lots, with a gamma prior worth ``prior_complaints`` complaints at the company's
  rate over every lot (so a model whose other lots had no complaint yet still has a baseline
  above zero, and the baseline's own uncertainty counts). Under "this lot has that rate", its
  number of events in the window follows the posterior predictive (negative binomial); the
  p-value is the chance of at least as many.
* **Distinct holders**: a lot signal also needs complaints from at least ``min_holders``
  different holders (a holder not known counts as one of its own), so one hospital's cluster
  does not by itself make a lot signal.
* **Device-model test**: the same comparison in time: the model's last ``recent_weeks``
  against the rest of the window.
* **Multiplicity**: the p-values of all the tests of a run are adjusted together
  (Benjamini–Hochberg, ``scipy.stats.false_discovery_control``): with hundreds of lots, a raw
  p < 0.01 would fire on chance alone.
* A signal needs every threshold of the policy: at least ``min_complaints`` complaints, at least
  ``min_units`` units shipped, a rate at least ``min_ratio`` times the baseline, and an
  adjusted p-value at most ``significance``; ``cluster_days``, ``min_holders`` and
  ``prior_complaints`` are fields of the same policy.
* **Since when**: a Poisson CUSUM over the weeks (``cusum_onset``), tuned to detect the rate
  rising to ``min_ratio`` times the baseline; the signal's onset is the first week of the
  CUSUM's run to its highest value.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from django.db.models import Case, F, IntegerField, Q, QuerySet, Sum, When
from django.db.models.functions import TruncDate
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from numpy.typing import NDArray

from medrecall.audit.labels import action_label
from medrecall.audit.selectors import history_for
from medrecall.core.presentation import user_display_name
from medrecall.core.selectors import one_or_not_found
from medrecall.core.types import Viewer
from medrecall.parties.models import PartyType
from medrecall.recalls.selectors import recalls_holding
from medrecall.traceability.models import TraceEvent

from .models import Complaint, Signal, SignalKind, SignalPolicy, SignalStatus

Counts = NDArray[np.float64]


@dataclass(frozen=True)
class Thresholds:
    """The policy's thresholds as plain numbers (the detector's input)."""

    min_complaints: int = 3
    significance: float = 0.01
    min_units: int = 50
    min_ratio: float = 2.0
    window_weeks: int = 52
    recent_weeks: int = 13
    cluster_days: int = 3
    min_holders: int = 1
    prior_complaints: float = 1.0

    @classmethod
    def of(cls, policy: SignalPolicy) -> Thresholds:
        return cls(
            min_complaints=policy.min_complaints,
            significance=float(policy.significance),
            min_units=policy.min_units,
            min_ratio=float(policy.min_ratio),
            window_weeks=policy.window_weeks,
            recent_weeks=policy.recent_weeks,
            cluster_days=policy.cluster_days,
            min_holders=policy.min_holders,
            prior_complaints=float(policy.prior_complaints),
        )


@dataclass(frozen=True)
class Panel:
    """Lots by weeks: ``units[l, w]`` units of lot ``l`` in the field during week ``w`` (shipped
    by the end of it, net of returns), ``complaints[l, w]`` complaints about the lot made known in
    that week; ``model_complaints[m]`` per week the complaints about each device model that
    name no known lot (they count for the model, not for any lot). ``events`` are the
    complaints counted as independent events (a holder's cluster once; the complaints when not
    given) and ``holders[l]`` the distinct holders complaining about lot ``l`` in the window
    (each complaint one when not given)."""

    start: date
    lot_ids: Sequence[int]
    lot_models: Sequence[int]
    units: Counts
    complaints: Counts
    model_complaints: dict[int, Counts] = field(default_factory=dict)
    events: Counts | None = None
    holders: Sequence[int] | None = None

    @property
    def weeks(self) -> int:
        return int(self.units.shape[1])

    @property
    def counted(self) -> Counts:
        """The events the tests count (the complaints when no declustering was given)."""
        return self.complaints if self.events is None else self.events

    def holders_of(self, row: int) -> int:
        if self.holders is None:
            return int(self.complaints[row].sum())
        return int(self.holders[row])

    def week_start(self, week: int) -> date:
        return self.start + timedelta(days=7 * week)


@dataclass(frozen=True)
class Finding:
    """One lot or device model over the thresholds, with the figures that explain it."""

    kind: str  # SignalKind
    device_model_id: int
    lot_id: int | None
    complaints: int
    units: int
    expected: float
    rate_per_1000: float
    baseline_per_1000: float
    ratio: float | None  # None: nothing to compare with (no complaint on the baseline)
    p_value: float
    q_value: float
    since: date
    from_week: int  # the first week whose complaints the finding counts


@dataclass
class _Test:
    kind: str
    model: int
    lot: int | None
    row: int  # the lot's row, or -1 for a device model
    k: int  # events (complaints, a holder's cluster once)
    n: int
    share: float
    units: int
    rate_other: float  # events per unit-week of the comparison
    from_week: int
    p: float = 1.0
    complaints: int = 0  # the complaints themselves
    alpha: float = 0.0  # lot tests: the baseline rate's gamma posterior (shape, rate)
    beta: float = 0.0
    exposure: float = 0.0


def _binomial_p(k: int, n: int, share: float) -> float:
    """P(X ≥ k) for X ~ Binomial(n, share): the one-sided exact conditional test."""
    if k <= 0:
        return 1.0
    from scipy import stats  # ~0.6 s to import: loaded by a detection, not by a list of signals

    return float(stats.binom.sf(k - 1, n, share))


def _predictive_p(k: int, alpha: float, beta: float, exposure: float) -> float:
    """P(X ≥ k) when X ~ Poisson(λ·exposure) and λ ~ Gamma(alpha, beta): the negative binomial
    posterior predictive of the lot's events at the baseline rate."""
    if k <= 0:
        return 1.0
    if alpha <= 0 or beta <= 0:  # no baseline and no prior: nothing is expected
        return 0.0
    from scipy import stats

    return float(stats.nbinom.sf(k - 1, alpha, beta / (beta + exposure)))


def _prior(panel: Panel, limits: Thresholds) -> tuple[float, float]:
    """The baseline's gamma prior (shape, rate): ``prior_complaints`` events at the company's
    event rate over every lot of the window (shape only, a flat rate, when there is none)."""
    weight = max(limits.prior_complaints, 0.0)
    exposure = float(panel.units.sum())
    rate = float(panel.counted.sum()) / exposure if exposure > 0 else 0.0
    return weight, (weight / rate if rate > 0 else 0.0)


def _lot_tests(panel: Panel, limits: Thresholds) -> list[_Test]:
    exposure = panel.units.sum(axis=1)
    counted = panel.counted.sum(axis=1)
    raw = panel.complaints.sum(axis=1)
    models = np.asarray(panel.lot_models)
    prior_shape, prior_rate = _prior(panel, limits)
    tests = []
    for model in sorted(set(panel.lot_models)):
        rows = np.flatnonzero(models == model)
        total_k, total_e = float(counted[rows].sum()), float(exposure[rows].sum())
        for row in rows:
            k, e = int(counted[row]), float(exposure[row])
            other_e = total_e - e
            units = int(panel.units[row, -1])
            if e <= 0 or other_e <= 0 or units < limits.min_units:
                continue
            alpha, beta = total_k - k + prior_shape, other_e + prior_rate
            tests.append(
                _Test(
                    SignalKind.LOT,
                    int(model),
                    int(panel.lot_ids[int(row)]),
                    int(row),
                    k,
                    int(total_k),
                    e / total_e,
                    units,
                    alpha / beta if alpha > 0 else 0.0,
                    0,
                    complaints=int(raw[row]),
                    alpha=alpha,
                    beta=beta,
                    exposure=e,
                )
            )
    return tests


def _model_tests(panel: Panel, limits: Thresholds) -> list[_Test]:
    recent = max(panel.weeks - limits.recent_weeks, 1)
    models = np.asarray(panel.lot_models)
    tests = []
    for model in sorted(set(panel.lot_models)):
        rows = np.flatnonzero(models == model)
        weekly_e = panel.units[rows].sum(axis=0)
        weekly_k = panel.counted[rows].sum(axis=0) + panel.model_complaints.get(
            int(model), np.zeros(panel.weeks)
        )
        weekly_raw = panel.complaints[rows].sum(axis=0) + panel.model_complaints.get(
            int(model), np.zeros(panel.weeks)
        )
        before_e, after_e = float(weekly_e[:recent].sum()), float(weekly_e[recent:].sum())
        before_k, after_k = float(weekly_k[:recent].sum()), float(weekly_k[recent:].sum())
        units = int(weekly_e[-1])
        if before_e <= 0 or after_e <= 0 or units < limits.min_units:
            continue
        tests.append(
            _Test(
                SignalKind.MODEL,
                int(model),
                None,
                -1,
                int(after_k),
                int(after_k + before_k),
                after_e / (after_e + before_e),
                units,
                before_k / before_e,
                recent,
                complaints=int(weekly_raw[recent:].sum()),
            )
        )
    return tests


def cusum_onset(observed: Counts, expected: Counts, ratio: float) -> int:
    """The first week of the Poisson CUSUM's run to its highest value (Lucas 1985): each week
    adds ``x·ln r − (r − 1)·μ`` (the log-likelihood ratio of the rate ``r·μ`` against ``μ``) and
    the sum is floored at zero. The week after the sum last stood at zero before its peak is
    when the excess began; ``-1`` when it never rose."""
    step = observed * math.log(ratio) - (ratio - 1.0) * expected
    level, best, start, onset = 0.0, 0.0, 0, -1
    for week, gain in enumerate(step):
        if level <= 0.0:
            start = week
        level = max(0.0, level + float(gain))
        if level > best:
            best, onset = level, start
    return onset


def _observed_expected(panel: Panel, test: _Test) -> tuple[Counts, Counts]:
    if test.row >= 0:
        observed = panel.counted[test.row]
        exposure = panel.units[test.row]
    else:
        rows = np.flatnonzero(np.asarray(panel.lot_models) == test.model)
        observed = panel.counted[rows].sum(axis=0) + panel.model_complaints.get(
            test.model, np.zeros(panel.weeks)
        )
        exposure = panel.units[rows].sum(axis=0)
    # No complaint on the comparison: take half a complaint as its rate (a CUSUM needs a rate).
    rate = test.rate_other or 0.5 / max(float(exposure.sum()), 1.0)
    return observed, exposure * rate


def _finding(panel: Panel, test: _Test, q: float, limits: Thresholds) -> Finding | None:
    observed, expected = _observed_expected(panel, test)
    counted = float(observed[test.from_week :].sum())
    expected_here = float(expected[test.from_week :].sum()) if test.rate_other else 0.0
    ratio = counted / expected_here if expected_here > 0 else None
    if test.complaints < limits.min_complaints or q > limits.significance:
        return None
    if test.row >= 0 and panel.holders_of(test.row) < limits.min_holders:
        return None
    if ratio is not None and ratio < limits.min_ratio:
        return None
    onset = cusum_onset(observed, expected, max(limits.min_ratio, 1.01))
    if onset < 0:
        onset = int(np.flatnonzero(observed)[0]) if observed.any() else test.from_week
    return Finding(
        kind=test.kind,
        device_model_id=test.model,
        lot_id=test.lot,
        complaints=test.complaints,
        units=test.units,
        expected=round(expected_here, 4),
        rate_per_1000=round(1000.0 * test.complaints / test.units, 4),
        baseline_per_1000=round(1000.0 * expected_here / test.units, 4),
        ratio=round(ratio, 4) if ratio is not None else None,
        p_value=test.p,
        q_value=q,
        since=panel.week_start(onset),
        from_week=test.from_week,
    )


def detect(panel: Panel, limits: Thresholds) -> list[Finding]:
    """The lots and device models over every threshold, most significant first."""
    tests = _lot_tests(panel, limits) + _model_tests(panel, limits)
    if not tests:
        return []
    for test in tests:
        if test.kind == SignalKind.LOT:
            test.p = _predictive_p(test.k, test.alpha, test.beta, test.exposure)
        else:
            test.p = _binomial_p(test.k, test.n, test.share)
    from scipy import stats

    adjusted = stats.false_discovery_control([t.p for t in tests], method="bh")
    found = [_finding(panel, t, float(q), limits) for t, q in zip(tests, adjusted, strict=True)]
    return sorted(
        (f for f in found if f is not None),
        key=lambda f: (f.q_value, f.kind, f.device_model_id, f.lot_id or 0),
    )


# -- reads: the panel from the database ------------------------------------------------------


def window_of(as_of: date, weeks: int) -> tuple[date, date]:
    """First day of the window and the day after its last (``as_of`` is the last day)."""
    end = as_of + timedelta(days=1)
    return end - timedelta(days=7 * weeks), end


def _aware(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def _net_shipped(end: date) -> QuerySet[Any]:
    """Units of every lot leaving the company's own sites for holders, net of the units returned
    to them, per lot and local day, up to ``end``: one statement for all lots."""
    own = PartyType.OWN_SITE
    out = (
        Q(event_type="shipped")
        & Q(from_location__party__party_type=own)
        & ~Q(to_location__party__party_type=own)
    )
    back = (
        Q(event_type="returned")
        & Q(to_location__party__party_type=own)
        & ~Q(from_location__party__party_type=own)
    )
    return (
        TraceEvent.objects.filter(out | back, retracted=False, event_time__lt=_aware(end))
        .annotate(day=TruncDate("event_time", tzinfo=timezone.get_current_timezone()))
        .values("lot_id", "lot__device_model_id", "day")
        .annotate(
            net=Sum(
                Case(
                    When(event_type="shipped", then=F("quantity")),
                    default=-F("quantity"),
                    output_field=IntegerField(),
                )
            )
        )
        .order_by()
    )


def _week(day: date, start: date) -> int:
    return (day - start).days // 7


def panel_load(
    *, as_of: date, weeks: int, cluster_days: int = 3
) -> tuple[Panel, list[tuple[int, int, int | None, int]]]:
    """The panel for the window ending on ``as_of``, and the complaints in it as (complaint id,
    device model id, lot id, week): two queries whatever the number of lots. A lot's complaints
    from one holder within ``cluster_days`` of the first of them count as one event."""
    start, end = window_of(as_of, weeks)
    shipped = list(_net_shipped(end))
    index: dict[int, int] = {}
    models: list[int] = []
    for row in shipped:
        if row["lot_id"] not in index:
            index[row["lot_id"]] = len(models)
            models.append(row["lot__device_model_id"])
    added = np.zeros((len(models), weeks + 1))
    for row in shipped:
        added[index[row["lot_id"]], max(_week(row["day"], start), -1) + 1] += row["net"]
    units = np.clip(np.cumsum(added, axis=1)[:, 1:], 0, None)
    complaints = np.zeros((len(models), weeks))
    events = np.zeros((len(models), weeks))
    sources: list[set[object]] = [set() for _ in models]
    cluster_start: dict[tuple[int, int], datetime] = {}  # (lot, holder) -> its cluster's first
    loose: dict[int, Counts] = {}
    rows: list[tuple[int, int, int | None, int]] = []
    found: Any = (
        Complaint.objects.filter(
            device_model__isnull=False, aware_at__gte=_aware(start), aware_at__lt=_aware(end)
        )
        .order_by("aware_at", "pk")
        .values_list("pk", "device_model_id", "lot_id", "holder_id", "aware_at")
    )
    for pk, model, lot, holder, aware in found:
        week = min(_week(timezone.localtime(aware).date(), start), weeks - 1)
        rows.append((pk, model, lot, week))
        if lot not in index:
            loose.setdefault(model, np.zeros(weeks))[week] += 1
            continue
        row = index[lot]
        complaints[row, week] += 1
        sources[row].add(holder if holder is not None else ("complaint", pk))
        first = cluster_start.get((lot, holder)) if holder is not None else None
        if first is not None and aware - first <= timedelta(days=cluster_days):
            continue  # the same holder's cluster: one event
        if holder is not None:
            cluster_start[(lot, holder)] = aware
        events[row, week] += 1
    panel = Panel(
        start,
        list(index),
        models,
        units,
        complaints,
        loose,
        events=events,
        holders=[len(found) for found in sources],
    )
    return panel, rows


def policy() -> SignalPolicy:
    """The early-warning policy (made with the defaults on first use)."""
    found, _created = SignalPolicy.objects.get_or_create(pk=1)
    return found


OPEN_STATUSES = (SignalStatus.NEW, SignalStatus.UNDER_REVIEW)
"""The statuses of a signal still waiting for a decision (neither dismissed nor linked)."""


def signal_list_for(
    *,
    viewer: Viewer,
    status: str = "",
    kind: str = "",
    active: bool | None = None,
    open_only: bool = False,
) -> QuerySet[Signal]:
    """Signals for staff; a portal user sees none (they are the company's own analysis).
    ``active`` filters on the record's flag (the last run found it); ``open_only`` keeps what
    the pages and the command call "active": found by the last run and still new or under
    review (a dismissed or linked signal has had its decision)."""
    signals = Signal.objects.select_related("device_model", "lot", "capa", "recall")
    if viewer.party_id is not None:
        return signals.none()
    if status:
        signals = signals.filter(status=status)
    if kind:
        signals = signals.filter(kind=kind)
    if active is not None:
        signals = signals.filter(active=active)
    if open_only:
        signals = signals.filter(active=True, status__in=OPEN_STATUSES)
    return signals.order_by("-active", "q_value", "-pk")


def signal_get_for(*, viewer: Viewer, pk: int) -> Signal:
    return one_or_not_found(
        signal_list_for(viewer=viewer).filter(pk=pk),
        _("There is no early-warning signal %(id)s.") % {"id": pk},
    )


def signals_active(*, viewer: Viewer) -> QuerySet[Signal]:
    """Active signals nobody has dismissed or linked yet: what the dashboard shows."""
    return signal_list_for(viewer=viewer, open_only=True)


def _number(value: float, digits: int = 2) -> str:
    return f"{value:,.{digits}f}"


def p_text(value: float) -> str:
    """A p-value as every page, the explanation and the command write it: three decimals, or
    two significant digits in scientific notation below 0.001 (``0.004``, ``1.2e-05``). The
    API and ``--json`` answer the number itself."""
    return f"{value:.1e}" if value < 0.001 else f"{value:.3f}"


_p = p_text


def exposure_text(signal: Signal) -> str:
    """What the signal's units and rate count, in words: not the same as a recall's scope."""
    return _(
        "Units shipped (%(units)s) are the units in the field at the end of the window: shipped "
        "from our own sites to customers, minus those returned to our own sites. The rate counts "
        "complaints per unit-week in the field (a unit shipped late in the window counts only for "
        "the weeks it was out). A recall's scope counts something else: the units it covers that "
        "are still at each holder when it was frozen, so the two figures differ."
    ) % {"units": _number(signal.units, 0)}


def recalls_of_signal(*, viewer: Viewer, signal: Signal) -> list[Any]:
    """The recalls whose frozen scope already holds the signal's lot (cancelled ones left
    out; none for a device-model signal): one query."""
    if signal.lot_id is None:
        return []
    return list(recalls_holding(viewer=viewer, lot_id=signal.lot_id).only("pk", "number"))


def recall_not_covering(signal: Signal, recall: Any) -> str | None:
    """Why ``recall`` does not cover the signal's lot or device model, or ``None`` when it does.
    A lot signal: the recall's current frozen scope holds the lot, or, before its scope is
    frozen, the recall names the lot's device model among its products. A device-model signal:
    the recall names the model among its products, or its frozen scope holds one of its lots.
    Two queries at most."""
    from medrecall.recalls.models import AffectedLine, ScopeSnapshot

    latest = ScopeSnapshot.objects.filter(recall=recall).order_by("-sequence").only("pk").first()
    names_model = recall.products.filter(pk=signal.device_model_id).exists()
    words = {
        "recall": recall.number,
        "lot": signal.lot.number if signal.lot else "",
        "model": signal.device_model.model_code,
    }
    if signal.kind == SignalKind.LOT:
        if latest is None:
            if names_model:
                return None
            return (
                _(
                    "Recall %(recall)s does not cover lot %(lot)s: its scope is not frozen yet and "
                    "its products do not include %(model)s."
                )
                % words
            )
        if AffectedLine.objects.filter(snapshot=latest, lot_id=signal.lot_id or 0).exists():
            return None
        return (
            _(
                "Recall %(recall)s does not cover lot %(lot)s: its frozen scope does not hold the lot."
            )
            % words
        )
    holds = (
        latest is not None
        and AffectedLine.objects.filter(
            snapshot=latest, lot__device_model_id=signal.device_model_id
        ).exists()
    )
    if names_model or holds:
        return None
    return (
        _(
            "Recall %(recall)s does not cover device model %(model)s: neither its products nor its "
            "frozen scope include it."
        )
        % words
    )


def history(signal: Signal) -> list[dict[str, Any]]:
    """The signal's status changes, oldest first, from its audit entries: when, who (the
    person's full name where there is one, the user name otherwise), the status before and after, the reason, the CAPA or recall linked (one query)."""
    rows = []
    entries = history_for(target=signal).select_related("actor").order_by("recorded_at", "sequence")
    for entry in entries:
        changes = entry.changes or {}
        before, after = (changes.get("status") or [None, None])[:2]
        rows.append(
            {
                "at": entry.recorded_at,
                "by": user_display_name(entry.actor) if entry.actor else entry.actor_name,
                "action": action_label(entry.action),
                "code": entry.action,
                "from": SignalStatus(before).label if before in SignalStatus.values else "",
                "to": SignalStatus(after).label if after in SignalStatus.values else "",
                "reason": entry.reason,
                "capa": (changes.get("capa") or [None, None])[1],
                "recall": (changes.get("recall") or [None, None])[1],
            }
        )
    return rows


def explain(signal: Signal) -> str:
    """What the signal says, in the active language: which lot or device model, its rate against
    the baseline, the ratio, the p-values, since when."""
    words = {
        "model": signal.device_model.name_for(),
        "code": signal.device_model.model_code,
        "lot": signal.lot.number if signal.lot else "",
        "complaints": signal.complaints_count,
        "units": _number(signal.units, 0),
        "rate": _number(signal.rate_per_1000),
        "baseline": _number(signal.baseline_per_1000),
        "ratio": _number(signal.ratio, 1) if signal.ratio is not None else "",
        "p": _p(signal.p_value),
        "q": _p(signal.q_value),
        "since": signal.since.isoformat(),
        "start": signal.window_start.isoformat(),
        "end": signal.window_end.isoformat(),
    }
    if signal.kind == SignalKind.LOT:
        text = _(
            "Lot %(lot)s of %(code)s %(model)s: %(complaints)s complaints from %(start)s to "
            "%(end)s on %(units)s units shipped, %(rate)s per 1,000 units, against %(baseline)s "
            "per 1,000 expected at the rate of the model's other lots over the same weeks."
        )
    else:
        text = _(
            "%(code)s %(model)s: %(complaints)s complaints in the recent weeks up to %(end)s on "
            "%(units)s units in the field, %(rate)s per 1,000 units, against %(baseline)s per "
            "1,000 expected at the model's own rate in the weeks before (from %(start)s)."
        )
    if signal.ratio is None:
        ratio = _("The comparison had no complaints, so there is no ratio.")
    else:
        ratio = _("%(ratio)s times the baseline.")
    rest = _(
        "Adjusted p = %(q)s (for the number of lots and models tested; raw p = %(p)s). Rising "
        "since the week of %(since)s."
    )
    return " ".join((text % words, ratio % words, rest % words))


def thresholds_text(limits: Thresholds) -> str:
    first = _(
        "A signal needs at least %(complaints)s complaints, %(units)s units shipped, a rate "
        "%(ratio)s times the baseline and an adjusted p-value of at most %(alpha)s, over the "
        "last %(weeks)s weeks (device models: the last %(recent)s weeks against the rest)."
    ) % {
        "complaints": limits.min_complaints,
        "units": limits.min_units,
        "ratio": _number(limits.min_ratio, 1),
        "alpha": f"{limits.significance:g}",
        "weeks": limits.window_weeks,
        "recent": limits.recent_weeks,
    }
    if limits.cluster_days:
        grouping = ngettext(
            "Complaints about a lot from one holder within %(days)s day count as one event.",
            "Complaints about a lot from one holder within %(days)s days count as one event.",
            limits.cluster_days,
        ) % {"days": limits.cluster_days}
    else:
        grouping = _("Each complaint counts as one event, however close together.")
    holders = ngettext(
        "A lot signal needs complaints from at least %(holders)s holder.",
        "A lot signal needs complaints from at least %(holders)s holders.",
        limits.min_holders,
    ) % {"holders": limits.min_holders}
    prior = limits.prior_complaints
    if prior > 0:
        weight = ngettext(
            "A model's baseline includes %(prior)s complaint's worth of the company-wide rate, "
            "so a baseline of 0 still has a rate.",
            "A model's baseline includes %(prior)s complaints' worth of the company-wide rate, "
            "so a baseline of 0 still has a rate.",
            1 if prior == 1 else 2,  # English: "1 complaint's", "0.5 complaints'", "2 …"
        ) % {"prior": f"{prior:g}"}
    else:
        weight = _("A model's baseline is its other lots' rate alone (no company-wide prior).")
    chinese = (translation.get_language() or "").lower().startswith("zh")
    return ("" if chinese else " ").join((first, grouping, holders, weight))


def complaint_ids(rows: Iterable[tuple[int, int, int | None, int]], finding: Finding) -> list[int]:
    """The complaints behind a finding: the lot's in the window, or the model's counted ones."""
    if finding.lot_id is not None:
        return [pk for pk, _m, lot, _w in rows if lot == finding.lot_id]
    return [
        pk
        for pk, model, _lot, week in rows
        if model == finding.device_model_id and week >= finding.from_week
    ]
