"""``medrecall deadlines due|alert``: what falls due this week across recalls, and the alert
sweep. ``alert`` runs the sweep once (for cron); ``alert --every 300`` keeps putting the sweep
on the task queue every 300 seconds, for the worker to run (the embedded default starts it).
Each alert is sent once, however often the sweep runs."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from medrecall.cli.command import ProductCommand
from medrecall.recalls import deadlines
from medrecall.recalls.tasks import deadlines_alert_sweep


class Command(ProductCommand):
    help = "List deadlines due this week (or breached) across recalls, or send the alerts that are due."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("action", choices=["due", "alert"])
        parser.add_argument("--json", action="store_true")
        parser.add_argument(
            "--every", type=int, default=0, help="Enqueue the alert sweep every N seconds."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "alert":
            if options["every"] > 0:
                self._enqueue_forever(options["every"])
                return
            self.stdout.write(f"Alerts sent: {deadlines.deadlines_alert()}")
            return
        report = deadlines.due_report()
        rows = report.rows
        for problem in report.problems:  # on stderr, so the JSON on stdout keeps its shape
            self.stderr.write(f"{problem.recall_number}: {problem.message}")
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    [
                        {
                            "recall": r.recall_number,
                            "key": r.key,
                            "title": r.title,
                            "due_at": r.due_at.isoformat(),
                            "status": r.status,
                            "legal": r.legal,
                            **r.provisional_fields(),
                            "provisional_note": r.provisional_note,
                        }
                        for r in rows
                    ],
                    ensure_ascii=False,
                    indent=2,
                )
            )
            return
        for r in rows:
            note = f"  ({r.provisional_note})" if r.provisional else ""
            self.stdout.write(
                f"{r.due_at:%Y-%m-%d %H:%M %Z}  {r.status:<9} {r.recall_number}  {r.title}{note}"
            )

    def _enqueue_forever(self, seconds: int) -> None:
        import time

        self.stdout.write(
            f"Putting the deadline alert sweep on the task queue every {seconds} s (Ctrl-C stops)."
        )
        while True:
            deadlines_alert_sweep.enqueue()
            time.sleep(seconds)
