"""``medrecall quality signals``: the early-warning signals, and a detection run.

  medrecall quality signals [--detect] [--every N] [--status S] [--kind lot|model] [--all] [--json]

``--detect`` runs the detection over every lot and device model first (``signals_detect``);
``--every N`` puts it on the task queue every N seconds (Ctrl-C stops). Without ``--all`` only
the active signals are listed."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from medrecall.cli.command import Everyone, ProductCommand
from medrecall.quality.models import SignalKind, SignalStatus

Answer = dict[str, Any]


def add_arguments(sub: ArgumentParser) -> None:
    sub.add_argument("--detect", action="store_true", help="Run the detection first.")
    sub.add_argument("--every", type=int, default=0, help="Enqueue the detection every N s.")
    sub.add_argument("--status", default="", choices=["", *SignalStatus.values])
    sub.add_argument("--kind", default="", choices=["", *SignalKind.values])
    sub.add_argument("--all", action="store_true", help="Quiet signals too.")


def signals_answer(command: ProductCommand, o: dict[str, Any]) -> Answer:
    # The detection's statistics (numpy, scipy: about 0.7 s to import) load for this command
    # only, not for every ``medrecall quality …``.
    from medrecall.quality import signal_services, signals
    from medrecall.quality.tasks import signals_detect_sweep

    if o["every"] > 0:
        command.enqueue_every(
            signals_detect_sweep,
            o["every"],
            announce=f"Putting the early-warning detection on the task queue every "
            f"{o['every']} s (Ctrl-C stops).",
        )
    run = (
        signal_services.signals_detect(actor="medrecall quality signals").as_dict()
        if o["detect"]
        else None
    )
    rows = list(
        signals.signal_list_for(
            viewer=Everyone(),
            status=o["status"],
            kind=o["kind"],
            active=None if o["all"] else True,
        )
    )
    listed = [
        {
            "id": s.pk,
            "kind": s.kind,
            "status": s.status,
            "active": s.active,
            "device_model": s.device_model.model_code,
            "lot": s.lot.number if s.lot else None,
            "complaints": s.complaints_count,
            "units": s.units,
            "rate_per_1000": s.rate_per_1000,
            "baseline_per_1000": s.baseline_per_1000,
            "ratio": s.ratio,
            "p_value": s.p_value,
            "q_value": s.q_value,
            "since": s.since.isoformat(),
            "explanation": signals.explain(s),
        }
        for s in rows
    ]
    lines = []
    if run:
        lines.append(
            f"Detection on {run['as_of']}: {run['lots']} lots, {run['active']} signals "
            f"({run['raised']} new, {run['quietened']} gone quiet)."
        )
    lines += [f"#{r['id']} [{r['status']}] {r['explanation']}" for r in listed]
    if not listed:
        lines.append("No early-warning signal.")
    lines.append(signals.thresholds_text(signals.Thresholds.of(signals.policy())))
    return {"detection": run, "signals": listed, "message": "\n".join(lines)}
