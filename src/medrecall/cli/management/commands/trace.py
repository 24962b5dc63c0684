"""``medrecall trace forward|backward``: where a lot or serial went, or where it came from.

``--json`` prints the contract documented in docs/traceability.md:
forward → ``{"lots", "holders": [{"location", "party", "received", "on_hand", "in_transit"}],
"total_received", "total_on_hand", "total_in_transit"}`` (plus ``lot_details``, ``summary``).
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from medrecall.cli.command import ProductCommand
from medrecall.core.errors import DomainError
from medrecall.traceability.selectors import trace_backward, trace_forward


class Command(ProductCommand):
    help = "Trace a lot or serial forward (every holder, down every echelon) or backward (to production)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("direction", choices=["forward", "backward"])
        parser.add_argument("--gtin", required=True)
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--lot")
        group.add_argument("--serial")
        parser.add_argument("--json", action="store_true", help="Print JSON (stable field names).")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["direction"] == "forward":
                result = trace_forward(gtin=options["gtin"], lot=options["lot"] or "", serial=options["serial"] or "")
                body = result.as_dict()
            else:
                body = trace_backward(gtin=options["gtin"], lot=options["lot"] or "", serial=options["serial"] or "")
        except DomainError as refused:
            if options["json"]:
                self.stdout.write(json.dumps({"error": refused.message, "code": refused.code}, ensure_ascii=False))
            raise CommandError(refused.message) from refused
        if options["json"]:
            if options["direction"] == "forward":
                body.pop("holder_details", None)
                body.pop("shipped_to", None)  # a portal user's answer only; the command sees every holder
            self.stdout.write(json.dumps(body, ensure_ascii=False, indent=2))
            return
        if options["direction"] == "forward":
            self.stdout.write(f"Lots in scope: {', '.join(body['lots'])}")
            self.stdout.write(f"{'location':<20} {'party':<20} {'received':>10} {'on hand':>10} {'in transit':>10}")
            for h in body["holders"]:
                self.stdout.write(f"{h['location']:<20} {h['party']:<20} {h['received']:>10} {h['on_hand']:>10} "
                                  f"{h['in_transit']:>10}")
            self.stdout.write(f"{'total':<41} {body['total_received']:>10} {body['total_on_hand']:>10} "
                              f"{body['total_in_transit']:>10}")
            self.stdout.write("Where the units are: " + ", ".join(f"{k}={v}" for k, v in body["summary"].items()))
        else:
            self.stdout.write(f"{body['gtin']} lot {body['lot']}" + (f" serial {body['serial']}" if body["serial"] else ""))
            for step in body["chain"]:
                self.stdout.write(f"  {step['event_time']}  {step['event_type']:<11} {step['quantity']:>6}  "
                                  f"{step['from_location'] or '-'} → {step['to_location'] or '-'}  {step['document_ref']}")
            self.stdout.write(f"Holders: {' → '.join(body['holders'])}; now at: {body['current_location'] or '-'}")
            for component in body["components"]:
                self.stdout.write(f"  component {component['gtin']} lot {component['lot']} quantity {component['quantity']}")
