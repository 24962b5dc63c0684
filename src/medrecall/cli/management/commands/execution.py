"""``medrecall execution …``: holds, returns, receiving, dispositions and work orders.

  medrecall execution accounting RECALL [--json]
  medrecall execution hold place|release|list RECALL [--reason R] --user U
  medrecall execution returns create RECALL --holder PARTY [--line LOT[:SERIAL]=QTY …] --user U
  medrecall execution returns show|status|waybill RA [--to STATUS] [--out FILE] --user U
  medrecall execution receive RA (--barcode B | --gtin G --lot L [--quantity N]) --user U
  medrecall execution disposition create RECALL --kind K --lot L [--serial S] [--quantity N] --location QUAR --user U
  medrecall execution disposition complete DSP [--outcome O] [--method M --place P --performed-by W --witness X …] --user U
  medrecall execution disposition certificate DSP|DC [--out FILE]   (the destruction certificate PDF as issued)
  medrecall execution workorders create RECALL --holder PARTY --action A --user U
  medrecall execution workorders escalate [--every N]
  medrecall execution workorders evidence WO [ID --out FILE]   (list the evidence, or write one file)
  medrecall execution seed   (demo carriers, rates, a rule and service providers, once)

Every command answers with ``--json`` for scripts; refusals exit with status 1 and the message.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from medrecall.accounts.models import User
from medrecall.catalog.models import Lot, Serial
from medrecall.cli.lookups import recall_numbered
from medrecall.core.errors import DomainError
from medrecall.execution import selectors, services
from medrecall.execution.documents import waybill_pdf
from medrecall.execution.models import Disposition, ReturnAuthorisation, WorkOrder
from medrecall.parties.models import Location, Party
from medrecall.recalls.models import RecallCase


class Command(BaseCommand):
    help = "Stock holds, return authorisations, receiving, dispositions and field work orders of recalls."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("area", choices=["accounting", "hold", "returns", "receive", "disposition", "workorders",
                                             "seed"])
        parser.add_argument("words", nargs="*")
        parser.add_argument("--user", default="")
        parser.add_argument("--every", type=int, default=0,
                            help="workorders escalate: put the escalation sweep on the task queue every N seconds")
        parser.add_argument("--reason", default="")
        parser.add_argument("--holder", default="")
        parser.add_argument("--line", action="append", default=[])
        parser.add_argument("--to", dest="target", default="")
        parser.add_argument("--out", default="")
        parser.add_argument("--barcode", default="")
        parser.add_argument("--gtin", default="")
        parser.add_argument("--lot", default="")
        parser.add_argument("--serial", default="")
        parser.add_argument("--quantity", type=int, default=1)
        parser.add_argument("--kind", default="")
        parser.add_argument("--location", default="")
        parser.add_argument("--target-location", default="")
        parser.add_argument("--outcome", default="")
        parser.add_argument("--method", default="")
        parser.add_argument("--place", default="")
        parser.add_argument("--performed-by", default="")
        parser.add_argument("--witness", action="append", default=[])
        parser.add_argument("--action", default="")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = getattr(self, f"_{options['area']}")(options["words"], options)
        except DomainError as refused:
            raise CommandError(refused.message) from refused
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False, default=str, indent=2))
        else:
            self.stdout.write(result.get("message") or json.dumps(result, ensure_ascii=False, default=str))

    # -- look-ups ----------------------------------------------------------------------------
    def _user(self, options: dict[str, Any]) -> User:
        user = User.objects.filter(username=options["user"]).first() if options["user"] else None
        if user is None:
            raise CommandError("Give --user: the account this action is recorded under.")
        return user

    def _word(self, words: list[str], index: int, what: str) -> str:
        if len(words) <= index:
            raise CommandError(f"Give the {what}.")
        return words[index]

    def _recall(self, number: str) -> RecallCase:
        return recall_numbered(number)

    def _ra(self, number: str) -> ReturnAuthorisation:
        ra = ReturnAuthorisation.objects.filter(number=number).first()
        if ra is None:
            raise CommandError(f"No return {number!r}.")
        return ra

    def _location(self, code: str) -> Location | None:
        if not code:
            return None
        found = Location.objects.select_related("party").filter(code=code).first()
        if found is None:
            raise CommandError(f"No location {code!r}.")
        return found

    def _party(self, code: str) -> Party:
        party = Party.objects.filter(code=code).first()
        if party is None:
            raise CommandError(f"No party {code!r}; give --holder.")
        return party

    # -- areas -------------------------------------------------------------------------------
    def _accounting(self, words: list[str], options: dict[str, Any]) -> dict[str, Any]:
        accounting = selectors.recall_accounting(self._recall(self._word(words, 0, "recall number")))
        body = accounting.as_dict()
        t = accounting.total
        body["message"] = (f"{accounting.recall}: affected {t.affected} = at holders {t.at_holders} + own stock "
                           f"{t.own_stock} + in transit {t.in_transit} + quarantine {t.in_quarantine} + dispositioned "
                           f"{t.dispositioned} + used {t.used}; unexplained {t.unexplained}")
        return body

    def _hold(self, words: list[str], options: dict[str, Any]) -> dict[str, Any]:
        action, recall = self._word(words, 0, "action (place, release, list)"), self._recall(self._word(words, 1, "recall"))
        if action == "place":
            placed = services.hold_place(recall=recall, actor=self._user(options), reason=options["reason"])
            return {"placed": len(placed), "message": f"{len(placed)} hold(s) placed."}
        if action == "release":
            released = services.hold_release(recall=recall, actor=self._user(options), reason=options["reason"])
            return {"released": released, "message": f"{released} hold(s) released."}
        holds = [{"lot": h.lot.number, "serial": h.serial.serial if h.serial else None, "active": h.active}
                 for h in selectors.holds_of(recall)]
        return {"holds": holds, "message": "\n".join(f"{h['lot']} {h['serial'] or ''} {'active' if h['active'] else 'released'}"
                                                     for h in holds)}

    def _returns(self, words: list[str], options: dict[str, Any]) -> dict[str, Any]:
        action = self._word(words, 0, "action (create, show, status, amend, waybill)")
        if action == "create":
            recall = self._recall(self._word(words, 1, "recall"))
            lines = []
            for spec in options["line"]:
                unit, _sep, quantity = spec.partition("=")
                lot_number, _sep, serial_number = unit.partition(":")
                lot = Lot.objects.filter(number=lot_number, device_model__in=recall.products.all()).first()
                serial = Serial.objects.filter(lot=lot, serial=serial_number).first() if serial_number else None
                if lot is None or (serial_number and serial is None):
                    raise CommandError(f"Unknown unit {unit!r}.")
                lines.append((lot, serial, int(quantity or 1)))
            ra = services.return_create(recall=recall, party=self._party(options["holder"]), actor=self._user(options),
                                        lines=lines or None)
        else:
            ra = self._ra(self._word(words, 1, "RA number"))
            if action == "status":
                ra = services.return_transition(ra=ra, target=options["target"], actor=self._user(options),
                                                reason=options["reason"])
            elif action == "amend":
                ra = services.return_amend(ra=ra, actor=self._user(options), reason=options["reason"],
                                           expected=options["quantity"], **self._unit(ra.recall, options["lot"],
                                                                                      options["serial"]))
            elif action == "waybill":
                out = Path(options["out"] or f"{ra.waybill_number}.pdf")
                out.write_bytes(waybill_pdf(ra))
                return {"waybill": str(out), "message": f"Waybill written to {out}."}
        lines_out = [{"lot": line.lot, "serial": line.serial, "expected": line.expected, "received": line.received,
                      "outcome": line.outcome} for line in selectors.return_reconciliation(ra)]
        return {"number": ra.number, "status": ra.status, "carrier": ra.carrier.code if ra.carrier else None,
                "expected_cost": str(ra.expected_cost), "waybill": ra.waybill_number, "lines": lines_out,
                "message": f"{ra.number} {ra.status} · {ra.carrier.code if ra.carrier else '-'} {ra.expected_cost} "
                           f"{ra.currency} · " + ", ".join(f"{x['lot']} {x['serial']} {x['received']}/{x['expected']}"
                                                           for x in lines_out)}

    def _unit(self, recall: Any, lot_number: str, serial_number: str) -> dict[str, Any]:
        lot = Lot.objects.filter(number=lot_number, device_model__in=recall.products.all()).first()
        serial = Serial.objects.filter(lot=lot, serial=serial_number).first() if serial_number else None
        if lot is None or (serial_number and serial is None):
            raise CommandError(f"Unknown unit {lot_number!r} {serial_number!r}.")
        return {"lot": lot, "serial": serial}

    def _receive(self, words: list[str], options: dict[str, Any]) -> dict[str, Any]:
        ra = self._ra(self._word(words, 0, "RA number"))
        result = services.return_receive(ra=ra, actor=self._user(options), barcode=options["barcode"],
                                         gtin=options["gtin"], lot=options["lot"], serial=options["serial"],
                                         quantity=options["quantity"], location=self._location(options["location"]))
        return {"outcome": result.outcome, "expected": result.expected, "received": result.received,
                "event_id": result.receipt.event_id, "message": result.message}

    def _disposition(self, words: list[str], options: dict[str, Any]) -> dict[str, Any]:
        action = self._word(words, 0, "action (create, complete, certificate)")
        if action == "certificate":
            return self._write(selectors.certificate_document_numbered(
                self._word(words, 1, "disposition or certificate number")), options)
        user = self._user(options)
        if action == "create":
            recall = self._recall(self._word(words, 1, "recall"))
            lot = Lot.objects.filter(number=options["lot"], device_model__in=recall.products.all()).first()
            if lot is None:
                raise CommandError(f"Unknown lot {options['lot']!r}.")
            serial = Serial.objects.filter(lot=lot, serial=options["serial"]).first() if options["serial"] else None
            location = self._location(options["location"])
            if location is None:
                raise CommandError("Give --location: the quarantine location.")
            d = services.disposition_create(recall=recall, kind=options["kind"], lot=lot, serial=serial,
                                            quantity=options["quantity"], location=location, actor=user,
                                            reason=options["reason"],
                                            target=self._location(options["target_location"]))
        else:
            d = Disposition.objects.filter(number=self._word(words, 1, "disposition number")).first()  # type: ignore[assignment]
            if d is None:
                raise CommandError("No such disposition.")
            d = services.disposition_complete(disposition=d, actor=user, outcome=options["outcome"],
                                              method=options["method"], place=options["place"],
                                              performed_by=options["performed_by"], witnesses=options["witness"])
        certificate = getattr(d, "certificate", None)
        return {"number": d.number, "kind": d.kind, "status": d.status,
                "certificate": certificate.number if certificate else None,
                "message": f"{d.number} {d.kind} {d.status}" + (f" · {certificate.number}" if certificate else "")}

    def _workorders(self, words: list[str], options: dict[str, Any]) -> dict[str, Any]:
        action = self._word(words, 0, "action (create, escalate, evidence)")
        if action == "evidence":
            return self._evidence(words, options)
        if action == "escalate":
            if options["every"] > 0:
                import time

                from medrecall.execution.tasks import work_orders_escalation_sweep

                self.stdout.write(f"Putting the work-order escalation sweep on the task queue every {options['every']} s.")
                while True:
                    work_orders_escalation_sweep.enqueue()
                    time.sleep(options["every"])
            count = services.work_orders_escalate()
            return {"escalated": count, "message": f"{count} overdue work order(s) escalated."}
        recall = self._recall(self._word(words, 1, "recall"))
        order = services.work_order_create(recall=recall, party=self._party(options["holder"]), action=options["action"],
                                           actor=self._user(options))
        return {"number": order.number, "provider": order.provider.name if order.provider else None,
                "distance_km": str(order.distance_km), "due_at": order.due_at.isoformat(),
                "message": f"{order.number} → {order.provider} ({order.distance_km} km), due {order.due_at:%Y-%m-%d}"}

    def _write(self, document: selectors.StoredDocument, options: dict[str, Any]) -> dict[str, Any]:
        out = Path(options["out"] or document.filename)
        with document.file.open("rb") as source:
            out.write_bytes(source.read())
        return {"file": str(out), "content_type": document.content_type, "message": f"Written to {out}."}

    def _evidence(self, words: list[str], options: dict[str, Any]) -> dict[str, Any]:
        """``workorders evidence WO`` lists the order's evidence; ``… WO ID --out FILE`` writes one file."""
        order = WorkOrder.objects.filter(number=self._word(words, 1, "work order number")).first()
        if order is None:
            raise CommandError(f"No work order {words[1]!r}.")
        if len(words) > 2:
            if not words[2].isdigit():
                raise CommandError(f"{words[2]!r} is not an evidence id; list them with 'workorders evidence {order.number}'.")
            return self._write(selectors.evidence_document(order=order, pk=int(words[2])), options)
        found = [{"id": e.pk, "name": e.original_name, "content_type": e.content_type, "size": e.size,
                  "sha256": e.sha256} for e in selectors.evidence_of(order)]
        return {"evidence": found, "message": "\n".join(f"{e['id']} {e['name']} {e['content_type']} {e['size']} B"
                                                       for e in found) or f"{order.number}: no evidence."}

    def _seed(self, words: list[str], options: dict[str, Any]) -> dict[str, Any]:
        from medrecall.execution.models import Carrier, CarrierRate, CarrierRule

        if Carrier.objects.exists():
            return {"created": 0, "message": "Carriers exist already; nothing seeded."}
        demo = (("SF", "顺丰速运 SF Express", Decimal(100), Decimal(20), Decimal(8), 1),
                ("JD", "京东物流 JD Logistics", Decimal(200), Decimal(15), Decimal(6), 2),
                ("DB", "德邦快递 Deppon", None, Decimal(30), Decimal(2), 4))
        for code, name, max_kg, base, per_kg, days in demo:
            party, _created = Party.objects.get_or_create(code=f"CARRIER-{code}", defaults={
                "name": name, "party_type": "carrier", "country": "CN"})
            carrier = Carrier.objects.create(party=party, code=code, name=name, max_weight_kg=max_kg)
            CarrierRate.objects.create(carrier=carrier, country="CN", base_fee=base, per_kg=per_kg, transit_days=days)
            CarrierRate.objects.create(carrier=carrier, country="CN", province_code="CN-XZ", base_fee=base * 3,
                                       per_kg=per_kg * 2, transit_days=days + 3)
        CarrierRule.objects.create(priority=10, name="Tibet: JD Logistics", country="CN", province_code="CN-XZ",
                                   carrier=Carrier.objects.get(code="JD"))
        return {"created": len(demo), "message": f"{len(demo)} demo carriers with rates and one rule seeded."}
