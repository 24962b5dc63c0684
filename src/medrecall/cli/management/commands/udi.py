"""``medrecall udi parse "STRING" [--json]``: read a GS1 or HIBC barcode and find our records.

``--json`` prints ``{"gtin", "lot", "serial", "expiry", "production_date", "valid", "error"}``
(plus ``symbology``, ``quantity`` — HIBC only — and ``match``: the device model, lot and serial
we know for it).
Exit status 1 when the barcode is not valid.
"""

from __future__ import annotations

import json
import sys
from argparse import ArgumentParser
from typing import Any

from medrecall.cli.command import ProductCommand
from medrecall.traceability.selectors import udi_match
from medrecall.traceability.udi import parse_udi


class Command(ProductCommand):
    help = "Parse a UDI barcode (GS1 element string, GS1 Digital Link, or HIBC) and resolve it."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parse = self.subcommands(parser, dest="action").add(
            "parse", self._parse, help="Read a barcode and find our records."
        )
        parse.add_argument("barcode")
        parse.add_argument("--json", action="store_true")

    def _parse(self, options: dict[str, Any]) -> None:
        parsed = parse_udi(options["barcode"])
        body: dict[str, Any] = dict(parsed.as_dict())
        body["match"] = udi_match(parsed) if parsed.valid else None
        if options["json"]:
            self.stdout.write(json.dumps(body, ensure_ascii=False, indent=2))
        elif parsed.valid:
            for key in (
                "symbology",
                "gtin",
                "lot",
                "serial",
                "expiry",
                "production_date",
                "quantity",
            ):
                shown = body.get(key)
                self.stdout.write(f"{key:>16}: {'-' if shown is None or shown == '' else shown}")
            match: dict[str, Any] = body["match"] or {}
            self.stdout.write(
                f"{'device model':>16}: {match.get('device_model') or 'not in our catalogue'}"
            )
        else:
            self.stderr.write(f"Not a valid UDI: {parsed.error}")
        if not parsed.valid:
            sys.exit(1)
