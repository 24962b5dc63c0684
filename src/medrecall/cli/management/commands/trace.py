"""``medrecall trace forward|backward``: where lots or serials went, or where one came from.

``--json`` prints the contract documented in docs/traceability.md:
forward → ``{"lots", "holders": [{"location", "party", "received", "on_hand", "in_transit"}],
"total_received", "total_on_hand", "total_in_transit"}`` (plus ``lot_details``, ``summary``).
Several ``--lot``/``--serial`` or a ``--file`` list answer the whole set at once, in the
same contract (``trace_sets``).
"""

from __future__ import annotations

import json
import time
from argparse import ArgumentParser, RawDescriptionHelpFormatter
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from medrecall.cli.command import ProductCommand
from medrecall.core.errors import DomainError
from medrecall.traceability.selectors import trace_backward, trace_forward
from medrecall.traceability.trace_sets import (
    TraceSetRejected,
    UnitRequest,
    read_unit_list,
    trace_backward_set_for,
    trace_forward_set_for,
    units_from_options,
)

EPILOG = """examples:
  medrecall trace forward --gtin 06950000000019 --lot C1 --json
  medrecall trace forward --gtin 06950000000019 --lot C1 --lot C2 --serial SN7 --json
  medrecall trace forward --file recall-lots.csv --json

--file: a CSV list of units, one per line: gtin,lot[,serial] (UTF-8, with or without a BOM;
a header line "gtin,lot,serial" is optional and may order the columns). A line with a
serial traces that serial (its lot, when given, must be the serial's). Every bad line is
named with its row number and reason, and then nothing is traced (exit status 1).

A set answers in the single trace's JSON contract: one holder line per location, summed over
the set; "lots" lists every lot in scope (the asked-for lots first, then the lots they were
built into). Each unit is counted once, also when the list names it twice or names a serial
of a lot it also names whole.

Backward with several units (or --file) prints a JSON list: each unit's backward trace, in the
order listed, exactly as for that unit alone."""

PROGRESS_FROM = 100  # units: below this a set answers faster than a progress line is read


class Command(ProductCommand):
    help = (
        "Trace lots or serials forward (every holder, down every echelon: one lot, a serial, or a "
        "whole set at once) or backward (to production; for a list, each unit's chain)."
    )

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, epilog=EPILOG, **kwargs)
        parser.formatter_class = RawDescriptionHelpFormatter
        return parser

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("direction", choices=["forward", "backward"])
        parser.add_argument(
            "--gtin", help="GTIN / UDI-DI of the device model the --lot and --serial options name."
        )
        parser.add_argument(
            "--lot",
            action="append",
            default=[],
            metavar="LOT",
            help="A lot number of --gtin; repeat for several lots.",
        )
        parser.add_argument(
            "--serial",
            action="append",
            default=[],
            metavar="SERIAL",
            help="A serial number of --gtin; repeat for several serials.",
        )
        parser.add_argument(
            "--file",
            type=Path,
            metavar="PATH",
            help="A CSV list of units to trace as one set: gtin,lot[,serial] per line.",
        )
        parser.add_argument("--json", action="store_true", help="Print JSON (stable field names).")

    def handle(self, *args: Any, **options: Any) -> None:
        lots: list[str] = options["lot"]
        serials: list[str] = options["serial"]
        path: Path | None = options["file"]
        if (lots or serials) and not options["gtin"]:
            raise CommandError("--lot and --serial need --gtin (or list the units with --file).")
        if not (lots or serials or path):
            raise CommandError("Give --lot or --serial (with --gtin), or --file.")
        single = path is None and len(lots) + len(serials) == 1
        body: Any
        try:
            if single:
                body = self._single(
                    options["direction"],
                    gtin=options["gtin"],
                    lot=lots[0] if lots else "",
                    serial=serials[0] if serials else "",
                )
            elif options["direction"] == "forward":
                body = self._set(self._units(options["gtin"] or "", lots, serials, path))
            else:
                body = trace_backward_set_for(
                    viewer=None, units=self._units(options["gtin"] or "", lots, serials, path)
                )
        except DomainError as refused:
            rows = refused.errors if isinstance(refused, TraceSetRejected) else []
            if options["json"]:
                answer: dict[str, Any] = {"error": refused.message, "code": refused.code}
                if rows:
                    answer["errors"] = [row.as_dict() for row in rows]
                self.stdout.write(json.dumps(answer, ensure_ascii=False))
            raise CommandError(
                "\n".join([refused.message, *(str(row) for row in rows)])
            ) from refused
        if options["json"]:
            if options["direction"] == "forward":
                body.pop("holder_details", None)
                body.pop(
                    "shipped_to", None
                )  # a portal user's answer only; the command sees every holder
            self.stdout.write(json.dumps(body, ensure_ascii=False, indent=2))
            return
        if options["direction"] == "forward":
            self._print_forward(body)
        else:
            for unit in body if isinstance(body, list) else [body]:
                self._print_backward(unit)

    def _single(self, direction: str, *, gtin: str, lot: str, serial: str) -> dict[str, Any]:
        if direction == "forward":
            return trace_forward(gtin=gtin, lot=lot, serial=serial).as_dict()
        return trace_backward(gtin=gtin, lot=lot, serial=serial)

    def _units(
        self, gtin: str, lots: list[str], serials: list[str], path: Path | None
    ) -> list[UnitRequest]:
        units = units_from_options(gtin=gtin, lots=lots, serials=serials, source="command line")
        if path is not None:
            try:
                content = path.read_bytes()
            except OSError as error:
                raise CommandError(f"Cannot read {path}: {error.strerror}") from error
            units += read_unit_list(content, source=path.name)
        return units

    def _set(self, units: list[UnitRequest]) -> dict[str, Any]:
        started = time.monotonic()
        loud = len(units) >= PROGRESS_FROM

        def progress(message: str) -> None:
            if loud:
                self.stderr.write(f"{message} ({time.monotonic() - started:.1f} s)")

        result = trace_forward_set_for(viewer=None, units=units, progress=progress)
        progress(f"{len(result.trace.holders)} holders, {len(result.trace.lots)} lots in scope.")
        return result.trace.as_dict()

    def _print_forward(self, body: dict[str, Any]) -> None:
        self.stdout.write(f"Lots in scope: {', '.join(body['lots'])}")
        self.stdout.write(
            f"{'location':<20} {'party':<20} {'received':>10} {'on hand':>10} {'in transit':>10}"
        )
        for h in body["holders"]:
            self.stdout.write(
                f"{h['location']:<20} {h['party']:<20} {h['received']:>10} {h['on_hand']:>10} "
                f"{h['in_transit']:>10}"
            )
        self.stdout.write(
            f"{'total':<41} {body['total_received']:>10} {body['total_on_hand']:>10} "
            f"{body['total_in_transit']:>10}"
        )
        self.stdout.write(
            "Where the units are: " + ", ".join(f"{k}={v}" for k, v in body["summary"].items())
        )

    def _print_backward(self, body: dict[str, Any]) -> None:
        self.stdout.write(
            f"{body['gtin']} lot {body['lot']}"
            + (f" serial {body['serial']}" if body["serial"] else "")
        )
        for step in body["chain"]:
            self.stdout.write(
                f"  {step['event_time']}  {step['event_type']:<11} {step['quantity']:>6}  "
                f"{step['from_location'] or '-'} → {step['to_location'] or '-'}  {step['document_ref']}"
            )
        self.stdout.write(
            f"Holders: {' → '.join(body['holders'])}; now at: {body['current_location'] or '-'}"
        )
        for component in body["components"]:
            self.stdout.write(
                f"  component {component['gtin']} lot {component['lot']} quantity {component['quantity']}"
            )
