"""``medrecall demo [--seed N] [--scale N] [--no-events] [--json]``: load the demo data set (master
data and the trace events of every lot) and print the log-ins and a few traces worth trying.

Reruns with the same seed and scale add nothing; a larger scale adds the extra copies of the
network, lots, serials and their events on top of what is there.
"""

from __future__ import annotations

import io
import json
from argparse import ArgumentParser
from dataclasses import asdict
from typing import Any

from django.core.management import call_command
from django.core.management.base import CommandError

from medrecall.cli.command import ProductCommand
from medrecall.cli.demo import DEMO_PASSWORD, DemoSummary, demo_build
from medrecall.cli.demo_quality import DemoSignals, demo_signals_build
from medrecall.cli.demo_recall import DemoRecall, demo_recall_build
from medrecall.cli.progress import ProgressLine


class Command(ProductCommand):
    help = (
        "Load reproducible demo data: our sites, distributors, sub-distributors, hospitals, device models, "
        "lots, serials, their trace events, and a log-in per role."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--seed", type=int, default=2026, help="Same seed, same data (default 2026)."
        )
        parser.add_argument(
            "--scale",
            type=int,
            default=1,
            help="Copies of the network, lots and serials; 100 gives a load-test volume.",
        )
        parser.add_argument(
            "--no-events",
            action="store_true",
            help="Master data only: leave out the trace events (shipments, receipts, use).",
        )
        parser.add_argument("--json", action="store_true", help="Print the summary as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["scale"] < 1:
            raise CommandError("--scale must be 1 or more.")
        progress = (
            ProgressLine(f"demo seed {options['seed']} scale {options['scale']}")
            if options["verbosity"] > 0
            else None
        )
        summary = demo_build(
            seed=options["seed"],
            scale=options["scale"],
            events=not options["no_events"],
            progress=progress,
        )
        # Carriers with rates and service providers for every demo country, so that returns and work
        # orders can be created in the demo (adds what is missing; safe to repeat).
        call_command("execution", "seed", stdout=io.StringIO())
        # A recall under way (on the first run with events): what a new user looks at first.
        recall = demo_recall_build(password=DEMO_PASSWORD) if options["scale"] == 1 else None
        # Complaints about one lot that the early-warning detection flags (first run, events).
        signals = (
            demo_signals_build() if options["scale"] == 1 and not options["no_events"] else None
        )
        if options["json"]:
            body = summary.as_dict() | {
                "recall": asdict(recall) if recall else None,
                "signals": asdict(signals) if signals else None,
            }
            self.stdout.write(json.dumps(body, ensure_ascii=False, indent=2))
            return
        self._print(summary)
        self._print_recall(recall)
        self._print_signals(signals)

    def _print_signals(self, signals: DemoSignals | None) -> None:
        if signals is None or not signals.lot:
            return
        self.stdout.write(
            f"Demo complaints about lot {signals.lot}: {signals.complaints} entered; "
            f"early-warning lot signals active: {signals.signals} (Quality → Early-warning "
            "signals)."
        )

    def _print_recall(self, recall: DemoRecall | None) -> None:
        if recall is None:
            return
        self.stdout.write(
            f"Demo recall {recall.number} ({'created' if recall.created else 'already there'}): "
            f"notices issued to {recall.holders} holders (the task worker sends them), "
            f"{recall.replies} replies entered"
            + (f", {recall.returned} units returned" if recall.created else "")
            + "."
        )

    def _print(self, summary: DemoSummary) -> None:
        self.stdout.write(f"Demo data, seed {summary.seed}, scale {summary.scale}:")
        self.stdout.write(f"  {'':<14} {'created':>9} {'in demo set':>12}")
        created = asdict(summary.created)
        for name, planned in asdict(summary.planned).items():
            self.stdout.write(f"  {name:<14} {created[name]:>9} {planned:>12}")
        pump = summary.pump
        self.stdout.write(
            f"Pump {pump.model_code}: GTIN {pump.gtin}, lot {pump.first_lot}, serial {pump.first_serial}"
        )
        self.stdout.write(
            f"Supply links: {summary.network_links}; e.g. {' → '.join(summary.chains[0])}"
        )
        if summary.traces:
            self.stdout.write("")
            self.stdout.write("Traces worth trying:")
            for trace in summary.traces:
                self.stdout.write(f"  {trace.purpose}:")
                self.stdout.write(f"    {trace.command}")
        self.stdout.write("")
        self.stdout.write(f"{'user':<22} {'role':<22} {'password':<16} {'party'}")
        for login in summary.logins:
            self.stdout.write(
                f"{login.username:<22} {login.role:<22} {login.password:<16} {login.party or '-'}"
            )
        self.stdout.write("")
        self.stdout.write(f"Start the server (medrecall runserver) and open {summary.url}")
        self.stdout.write("")
