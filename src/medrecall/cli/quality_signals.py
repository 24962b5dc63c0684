"""``medrecall quality signals``: the early-warning signals, and a detection run.

  medrecall quality signals [--detect] [--every N] [--status S] [--kind lot|model] [--all] [--json]

``--detect`` runs the detection over every lot and device model first (``signals_detect``);
``--every N`` puts it on the task queue every N seconds (Ctrl-C stops). Without ``--all`` only
the active signals are listed: found by the last run and still new or under review.

  medrecall quality signal ID review|dismiss|link|reopen [--reason R] [--capa CAPA] [--recall RC] --user U

changes a signal's status as the page and the API do (a recall that does not cover the signal's
lot or device model is refused)."""

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
    sub.add_argument("--all", action="store_true", help="Quiet, dismissed and linked signals too.")


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
            open_only=not o["all"],
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


ACTIONS = ("review", "dismiss", "link", "reopen")


def add_action_arguments(sub: ArgumentParser) -> None:
    """``medrecall quality signal ID ACTION [--reason R] [--capa CAPA] [--recall RC] --user U``."""
    sub.add_argument("id", help="The signal's number (#id in the list).")
    sub.add_argument("action", choices=ACTIONS)
    sub.add_argument("--reason", default="", help="Why it is dismissed or reopened.")
    sub.add_argument("--capa", default="", help="CAPA number to link.")
    sub.add_argument("--recall", default="", help="Recall number to link.")
    sub.add_argument("--user", default="")


def signal_action_answer(o: dict[str, Any], actor: Any) -> Answer:
    """A signal's status change, as the page and the API make it; refusals leave it as it was."""
    from django.core.management.base import CommandError

    from medrecall.cli.command import number_argument
    from medrecall.cli.lookups import found, recall_numbered
    from medrecall.quality import selectors, signal_services, signals

    signal = found(
        lambda: signals.signal_get_for(viewer=actor, pk=number_argument(o["id"], "signal id"))
    )
    if o["action"] == "review":
        signal = signal_services.signal_review(signal=signal, actor=actor)
    elif o["action"] == "dismiss":
        signal = signal_services.signal_dismiss(signal=signal, actor=actor, reason=o["reason"])
    elif o["action"] == "reopen":
        signal = signal_services.signal_reopen(signal=signal, actor=actor, reason=o["reason"])
    else:
        if not (o["capa"] or o["recall"]):
            raise CommandError("Give --capa or --recall: what handles the signal.")
        capa = (
            found(lambda: selectors.capa_numbered_for(viewer=actor, number=o["capa"]))
            if o["capa"]
            else None
        )
        recall = recall_numbered(o["recall"]) if o["recall"] else None
        signal = signal_services.signal_link(signal=signal, actor=actor, capa=capa, recall=recall)
    return {
        "id": signal.pk,
        "status": signal.status,
        "capa": signal.capa.number if signal.capa else None,
        "recall": signal.recall.number if signal.recall else None,
        "message": f"#{signal.pk} [{signal.status}] {signals.explain(signal)}",
    }


POLICY_OPTIONS = {
    "min_complaints": int,
    "significance": str,
    "min_units": int,
    "min_ratio": str,
    "window_weeks": int,
    "recent_weeks": int,
    "cluster_days": int,
    "min_holders": int,
    "prior_complaints": str,
}
"""The thresholds ``quality signal-policy`` sets (decimals as text: the service reads them
exactly and names the field when one is not a number)."""


def add_policy_arguments(sub: ArgumentParser) -> None:
    """``medrecall quality signal-policy [--min-holders N …] [--user U]``: without a threshold it
    shows the policy; with one it changes it (administrators, ``quality.change_signalpolicy``)."""
    for name in POLICY_OPTIONS:
        sub.add_argument(f"--{name.replace('_', '-')}", dest=name, default=None, metavar="N")
    sub.add_argument("--user", default="")


def policy_answer(o: dict[str, Any], actor: Any) -> Answer:
    """The early-warning policy, changed first when thresholds are given (one audit entry)."""
    from medrecall.quality import signal_services, signals

    given = {name: o[name] for name in POLICY_OPTIONS if o.get(name) is not None}
    if given:
        signal_services.signal_policy_update(actor=actor(), **given)
    policy = signals.policy()
    values = {name: getattr(policy, name) for name in signal_services.POLICY_FIELDS}
    text = signals.thresholds_text(signals.Thresholds.of(policy))
    return {
        "policy": {
            name: str(value) if not isinstance(value, int) else value
            for name, value in values.items()
        },
        "changed": sorted(given),
        "message": ("Early-warning policy changed. " if given else "") + text,
    }
