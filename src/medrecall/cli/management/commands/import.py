"""``medrecall import KIND FILE``: import a CSV/Excel file now, with a progress line.

Exit status: 0 accepted, 1 rejected (nothing written), 2 accepted in part (``--keep-good``;
the bad rows are in the ``--report`` file).
"""

from __future__ import annotations

import json
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from medrecall.cli.command import ProductCommand
from medrecall.cli.progress import ProgressLine
from medrecall.core.errors import DomainError, ImportRejected
from medrecall.core.importing import ImportOutcome, Policy
from medrecall.core.registry import importer_kinds, keep_good_refusal, keeps_good_rows


class Command(ProductCommand):
    help = "Import products, lots, serials, parties, locations, contacts (and events) from CSV or Excel."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "kind", help="What the file holds: " + ", ".join(sorted(importer_kinds()))
        )
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--report", type=Path, help="Write the rejected rows with their reasons to this CSV."
        )
        parser.add_argument(
            "--keep-good",
            action="store_true",
            help="Keep the good rows when some are bad (not for events and epcis: all or nothing).",
        )
        parser.add_argument("--json", action="store_true", help="Print the outcome as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        kind, path = options["kind"], options["file"]
        entry = importer_kinds().get(kind)
        if entry is None:
            raise CommandError(
                f"Unknown kind {kind!r}; choose one of: {', '.join(sorted(importer_kinds()))}."
            )
        if not path.is_file():
            raise CommandError(f"{path}: no such file.")
        if options["keep_good"] and not keeps_good_rows(kind):
            raise CommandError(keep_good_refusal(kind))
        importer = entry[0]()
        progress = ProgressLine(f"import {kind} {path.name}") if options["verbosity"] > 0 else None
        try:
            outcome: ImportOutcome = importer.run(
                path,
                file_name=path.name,
                policy=Policy.KEEP_GOOD if options["keep_good"] else Policy.REJECT,
                actor=None,
                progress=progress,
            )
        except ImportRejected as rejected:
            outcome = ImportOutcome(
                kind=kind, file_name=path.name, errors=rejected.errors, accepted=False
            )
            summary = rejected.message
        except DomainError as refused:
            raise CommandError(refused.message) from refused
        else:
            summary = ""
        if options["report"] and outcome.errors:
            options["report"].write_text(
                outcome.rejected_csv(importer.columns.all), encoding="utf-8-sig"
            )
        body = outcome.as_dict()
        if options["json"]:
            self.stdout.write(json.dumps(body, ensure_ascii=False, indent=2))
        else:
            for error in outcome.errors[:50]:
                self.stderr.write(str(error))
            if len(outcome.errors) > 50:
                self.stderr.write(f"… and {len(outcome.errors) - 50} more problems (see --report).")
            state = (
                "accepted"
                if outcome.accepted and not outcome.errors
                else ("accepted in part" if outcome.accepted else "rejected")
            )
            self.stdout.write(
                f"{path.name}: {state}. rows={outcome.rows} created={outcome.created} "
                f"updated={outcome.updated} unchanged={outcome.unchanged} "
                f"rejected={body['rejected']}" + (f" — {summary}" if summary else "")
            )
            if outcome.accepted and (notes := getattr(outcome, "notes", "")):  # fda-recalls adds
                self.stdout.write(notes)
        if not outcome.accepted:
            sys.exit(1)
        if outcome.errors:
            sys.exit(2)
