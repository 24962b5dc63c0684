"""``medrecall deadlines due|alert``: what falls due this week across recalls, and the alert
sweep. ``alert`` runs the sweep once (for cron); ``alert --every 300`` keeps putting the sweep
on the task queue every 300 seconds, for the worker to run (the embedded default starts it).
Each alert is sent once, however often the sweep runs.

  medrecall deadlines due [--json]
  medrecall deadlines alert [--every N]
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from medrecall.cli.answers import deadline_line, deadline_row
from medrecall.cli.command import ProductCommand
from medrecall.recalls import deadlines
from medrecall.recalls.tasks import deadlines_alert_sweep


class Command(ProductCommand):
    help = "List deadlines due this week (or breached) across recalls, or send the alerts that are due."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = self.subcommands(parser, dest="action")
        due = actions.add("due", self._due, help="Deadlines due this week, or breached.")
        due.add_argument("--json", action="store_true")
        alert = actions.add("alert", self._alert, help="Send the alerts that are due.")
        alert.add_argument(
            "--every", type=int, default=0, help="Enqueue the alert sweep every N seconds."
        )

    def _alert(self, options: dict[str, Any]) -> None:
        if options["every"] > 0:
            self.enqueue_every(
                deadlines_alert_sweep,
                options["every"],
                announce=f"Putting the deadline alert sweep on the task queue every "
                f"{options['every']} s (Ctrl-C stops).",
            )
        self.stdout.write(f"Alerts sent: {deadlines.deadlines_alert()}")

    def _due(self, options: dict[str, Any]) -> None:
        report = deadlines.due_report()
        for problem in report.problems:  # on stderr, so the JSON on stdout keeps its shape
            self.stderr.write(f"{problem.recall_number}: {problem.message}")
        if options["json"]:
            self.write_json([{"recall": r.recall_number, **deadline_row(r)} for r in report.rows])
            return
        for r in report.rows:
            self.stdout.write(deadline_line(r, with_recall=True))
