"""Backtest of the early-warning detector on generated data with injected problem lots.

Generates device models with hundreds of lots (shipped in staggered weeks, realistic shipped
quantities), complaints drawn from Poisson at each model's baseline rate per unit-week, and a
share of *problem lots* whose rate is multiplied by 3 to 10 from a known week on. Then runs the
product's detector (``medrecall.quality.signals.detect``, the code ``signals_detect`` runs) week
by week over the last ``--weeks`` weeks, each run on the window of the policy's weeks before
it, and prints for several thresholds:

* precision: of the lots ever flagged, the share that are problem lots flagged at or after
  their onset (a problem lot flagged before its onset counts as a false alarm);
* recall: of the problem lots whose onset falls in the backtest, the share flagged (recall13:
  of those whose onset was at least 13 weeks before the backtest's end);
* detection delay: weeks from the onset to the first flag (median and maximum);
* run time: per weekly run and in all.

Each lot goes to 1 + Poisson(3) holders and each complaint comes from one of them at random.
A share of *cluster lots* (``--clusters``, none of them problem lots) also get one burst of 3
complaints from one holder within a few days, in a random week: one site's bad day, not a
problem lot; a detector that flags them loses precision. Complaints from one holder within the
policy's ``cluster_days`` count as one event (the burst: 1 event; the Poisson complaints are
independent events).

Device-model signals are not scored (the injection is per lot). Seeded: the same arguments give
the same figures. The script also runs against an older detector whose ``Panel`` takes no events
or holders (then it gets the complaints alone), to compare before and after on the same data.

    .venv/bin/python bench/early_warning_bench.py [--models 6] [--lots 400] [--weeks 52]
                                                  [--problems 0.05] [--clusters 0.05] [--seed 2026]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import date, timedelta

import numpy as np


@dataclass(frozen=True)
class Truth:
    onset: dict[int, int]  # problem lot id -> first week of the raised rate
    events: np.ndarray | None = None  # lots × weeks: the complaints, a holder's burst once
    by_holder: np.ndarray | None = None  # lots × weeks × holders: complaints per holder


MAX_HOLDERS = 16


def _holders(
    rng: np.random.Generator, complaints: np.ndarray, clusters: float, problem: set[int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each complaint from one of its lot's holders; bursts of 3 from one holder on a share of
    the other lots. Returns complaints, events and complaints per holder."""
    lots, total = complaints.shape
    holders = np.minimum(1 + rng.poisson(3.0, size=lots), MAX_HOLDERS)
    by_holder = np.zeros((lots, total, MAX_HOLDERS))
    lot_of, week_of = np.nonzero(complaints)
    for lot, week in zip(lot_of, week_of, strict=True):
        picks = rng.integers(0, holders[lot], size=int(complaints[lot, week]))
        np.add.at(by_holder[lot, week], picks, 1)
    events = complaints.copy()
    candidates = [lot for lot in range(lots) if lot not in problem]
    for lot in rng.choice(candidates, size=int(clusters * lots), replace=False):
        week = int(rng.integers(0, total))
        holder = int(rng.integers(0, holders[lot]))
        complaints[lot, week] += 3
        events[lot, week] += 1
        by_holder[lot, week, holder] += 3
    return complaints, events, by_holder


def generate(
    rng: np.random.Generator,
    *,
    models: int,
    lots: int,
    weeks: int,
    window: int,
    problems: float,
    clusters: float = 0.0,
) -> tuple[list[int], np.ndarray, np.ndarray, Truth]:
    """Lots × weeks of units in the field and complaints, over ``window + weeks`` weeks."""
    total = window + weeks
    lot_models = [int(m) for m in rng.integers(0, models, size=lots)]
    # Shipped quantities: log-normal, median 600 units, 10th–90th percentile about 180–2,000.
    quantity = np.maximum(rng.lognormal(np.log(600), 0.9, size=lots).round(), 20)
    shipped_week = rng.integers(0, total - 8, size=lots)
    # Baseline rate per model: 2 to 8 complaints per 1,000 units per year.
    yearly = rng.uniform(2.0, 8.0, size=models) / 1000.0
    rate = yearly[lot_models] / 52.0
    week = np.arange(total)
    units = np.where(week[None, :] >= shipped_week[:, None], quantity[:, None], 0.0)
    multiplier = np.ones((lots, total))
    onset: dict[int, int] = {}
    chosen = rng.choice(lots, size=max(1, int(problems * lots)), replace=False)
    for lot in chosen:
        start = int(rng.integers(max(window, shipped_week[lot] + 1), total - 4))
        multiplier[lot, start:] = rng.uniform(3.0, 10.0)
        onset[int(lot)] = start
    complaints = rng.poisson(units * rate[:, None] * multiplier).astype(float)
    complaints, events, by_holder = _holders(rng, complaints, clusters, set(onset))
    return lot_models, units, complaints, Truth(onset, events, by_holder)


def backtest(
    signals: object,
    limits: object,
    data: tuple[list[int], np.ndarray, np.ndarray, Truth],
    *,
    weeks: int,
) -> dict[str, float]:
    lot_models, units, complaints, truth = data
    window = limits.window_weeks  # type: ignore[attr-defined]
    first_flag: dict[int, int] = {}
    false_lots: set[int] = set()
    lot_ids = list(range(len(lot_models)))
    fields = {f.name for f in dataclasses.fields(signals.Panel)}  # type: ignore[attr-defined]
    declustered = "events" in fields and getattr(limits, "cluster_days", 0) > 0
    started = time.perf_counter()
    for now in range(window, window + weeks):
        weeks_in = slice(now - window + 1, now + 1)
        extra: dict[str, object] = {}
        if declustered and truth.events is not None and truth.by_holder is not None:
            extra["events"] = truth.events[:, weeks_in]
            extra["holders"] = (truth.by_holder[:, weeks_in].sum(axis=1) > 0).sum(axis=1)
        elif "holders" in fields and truth.by_holder is not None:
            extra["holders"] = (truth.by_holder[:, weeks_in].sum(axis=1) > 0).sum(axis=1)
        panel = signals.Panel(  # type: ignore[attr-defined]
            start=date(2024, 1, 1) + timedelta(weeks=now - window),
            lot_ids=lot_ids,
            lot_models=lot_models,
            units=units[:, weeks_in],
            complaints=complaints[:, weeks_in],
            **extra,
        )
        for found in signals.detect(panel, limits):  # type: ignore[attr-defined]
            if found.lot_id is None:
                continue
            onset = truth.onset.get(found.lot_id)
            if onset is not None and now >= onset:
                first_flag.setdefault(found.lot_id, now)
            else:
                false_lots.add(found.lot_id)
    elapsed = time.perf_counter() - started
    in_range = {lot: start for lot, start in truth.onset.items() if start < window + weeks}
    found_lots = {lot for lot in first_flag if lot in in_range}
    delays = [first_flag[lot] - in_range[lot] for lot in found_lots]
    settled = {lot for lot, start in in_range.items() if start <= window + weeks - 13}
    flagged = len(first_flag) + len(false_lots - set(first_flag))
    return {
        "precision": len(first_flag) / flagged if flagged else 1.0,
        "recall": len(found_lots) / len(in_range) if in_range else 1.0,
        "median_delay": statistics.median(delays) if delays else float("nan"),
        "max_delay": max(delays) if delays else float("nan"),
        "problems": len(in_range),
        "settled": len(settled),
        "settled_found": len(found_lots & settled),
        "flagged": flagged,
        "false": len(false_lots - set(first_flag)),
        "seconds": elapsed,
        "per_run_ms": 1000 * elapsed / weeks,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=6)
    parser.add_argument("--lots", type=int, default=400)
    parser.add_argument("--weeks", type=int, default=52, help="weeks backtested")
    parser.add_argument("--problems", type=float, default=0.05, help="share of problem lots")
    parser.add_argument(
        "--clusters", type=float, default=0.05, help="share of lots with one holder's burst"
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repeats", type=int, default=3, help="data sets (seed, seed+1, …)")
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "medrecall.settings.base")
    os.environ.setdefault("MEDRECALL_DATA_DIR", tempfile.mkdtemp(prefix="mr-ewbench-"))
    import django

    django.setup()
    from medrecall.quality import signals

    default = signals.Thresholds()
    variants = {
        "defaults (3 complaints, q≤0.01, ratio≥2, 50 units)": default,
        "q≤0.05": replace(default, significance=0.05),
        "q≤0.001": replace(default, significance=0.001),
        "2 complaints, ratio≥1.5": replace(default, min_complaints=2, min_ratio=1.5),
        "5 complaints": replace(default, min_complaints=5),
    }
    if hasattr(default, "min_holders"):
        variants["min 2 holders"] = replace(default, min_holders=2)
        variants["no declustering (cluster_days 0)"] = replace(default, cluster_days=0)
        variants["no prior (prior_complaints 0)"] = replace(default, prior_complaints=0.0)
    print(
        f"{args.models} device models, {args.lots} lots, {args.problems:.0%} problem lots "
        f"(rate ×3–×10 from a random week), {args.clusters:.0%} lots with one holder's burst "
        f"of 3, {args.weeks} weekly runs over a "
        f"{default.window_weeks}-week window, {args.repeats} data sets from seed {args.seed}"
    )
    print(
        f"{'thresholds':<52} {'precision':>9} {'recall':>7} {'delay med':>9} {'delay max':>9} "
        f"{'recall13':>8} {'problems':>8} {'false':>6} {'ms/run':>7}"
    )
    for label, limits in variants.items():
        rows = []
        for repeat in range(args.repeats):
            rng = np.random.default_rng(args.seed + repeat)
            data = generate(
                rng,
                models=args.models,
                lots=args.lots,
                weeks=args.weeks,
                window=limits.window_weeks,
                problems=args.problems,
                clusters=args.clusters,
            )
            rows.append(backtest(signals, limits, data, weeks=args.weeks))
        flagged = sum(r["flagged"] for r in rows)
        false = sum(r["false"] for r in rows)
        problems = sum(r["problems"] for r in rows)
        found = sum(r["recall"] * r["problems"] for r in rows)
        medians = [r["median_delay"] for r in rows if r["median_delay"] == r["median_delay"]]
        print(
            f"{label:<52} {(flagged - false) / flagged if flagged else 1:>9.2f} "
            f"{found / problems:>7.2f} {statistics.median(medians) if medians else float('nan'):>9.1f} "
            f"{max(r['max_delay'] for r in rows):>9.0f} "
            f"{sum(r['settled_found'] for r in rows) / max(sum(r['settled'] for r in rows), 1):>8.2f} "
            f"{problems:>8} {false:>6} "
            f"{statistics.mean(r['per_run_ms'] for r in rows):>7.1f}"
        )
    print(f"load average: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
