"""``medrecall execution …``: holds, returns, receiving, dispositions and work orders.

  medrecall execution accounting RECALL [--json]
  medrecall execution hold place|release|list RECALL [--reason R] --user U
  medrecall execution returns create RECALL --holder PARTY [--line LOT[:SERIAL]=QTY …] --user U
  medrecall execution returns show|status|waybill RA [--to STATUS] [--out FILE] --user U
  medrecall execution receive RA (--barcode B | --gtin G --lot L [--quantity N]) --user U
  medrecall execution disposition create RECALL --kind K --lot L [--serial S] [--quantity N] --location QUAR --user U
  medrecall execution disposition complete DSP [--outcome O] [--method M --place P --performed-by W --witness X …] --user U
      (a release is signed: the password is asked for without echo at a terminal, or read from --password-file PATH)
  medrecall execution disposition certificate DSP|DC [--out FILE]   (the destruction certificate PDF as issued)
  medrecall execution workorders create RECALL --holder PARTY --action A --user U
  medrecall execution workorders escalate [--every N]
  medrecall execution workorders evidence WO [ID --out FILE]   (list the evidence, or write one file)
  medrecall execution carriers list | add CODE --name N --party P [--max-weight KG] --user U
  medrecall execution rates list [CARRIER] | add CARRIER --country C [--province CN-XZ] --base-fee F --per-kg F
                                   --currency CNY --transit-days D --user U
  medrecall execution providers list | add --name N --party P --skill A … --device-model CODE … --latitude L
                                   --longitude L [--capacity N] [--technician USER] --user U
  medrecall execution seed   (the demo's carriers with rates, a rule and service providers; adds what is missing)

Every command answers with ``--json`` for scripts; refusals exit with status 1 and the message.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from medrecall.accounts.models import User
from medrecall.catalog.models import Lot, Serial
from medrecall.cli.command import ProductCommand
from medrecall.cli.lookups import recall_numbered
from medrecall.core.errors import DomainError
from medrecall.execution import selectors, services
from medrecall.execution.documents import waybill_pdf
from medrecall.execution.models import Disposition, ReturnAuthorisation, WorkOrder
from medrecall.parties.models import Location, Party
from medrecall.recalls.models import RecallCase


class Command(ProductCommand):
    help = "Stock holds, return authorisations, receiving, dispositions and field work orders of recalls."
    stealth_options = ("stdin",)  # tests hand in a fake terminal

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "area",
            choices=[
                "accounting",
                "hold",
                "returns",
                "receive",
                "disposition",
                "workorders",
                "carriers",
                "rates",
                "providers",
                "seed",
            ],
        )
        parser.add_argument("words", nargs="*")
        parser.add_argument("--user", default="")
        parser.add_argument(
            "--every",
            type=int,
            default=0,
            help="workorders escalate: put the escalation sweep on the task queue every N seconds",
        )
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
        parser.add_argument(
            "--password-file",
            default="",
            metavar="PATH",
            help="disposition complete (release): read the signing password from this file "
            "(mode 600; '-' for standard input) instead of asking at the terminal",
        )
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--name", default="")
        parser.add_argument("--party", default="")
        parser.add_argument("--max-weight", default="")
        parser.add_argument("--country", default="")
        parser.add_argument("--province", default="")
        parser.add_argument("--base-fee", default="")
        parser.add_argument("--per-kg", default="")
        parser.add_argument("--currency", default="CNY")
        parser.add_argument("--transit-days", default="")
        parser.add_argument("--skill", action="append", default=[])
        parser.add_argument("--device-model", action="append", default=[])
        parser.add_argument("--latitude", default="")
        parser.add_argument("--longitude", default="")
        parser.add_argument("--capacity", default="5")
        parser.add_argument("--technician", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = getattr(self, f"_{options['area']}")(options["words"], options)
        except DomainError as refused:
            raise CommandError(refused.message) from refused
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False, default=str, indent=2))
        else:
            self.stdout.write(
                result.get("message") or json.dumps(result, ensure_ascii=False, default=str)
            )

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
        accounting = selectors.recall_accounting(
            self._recall(self._word(words, 0, "recall number"))
        )
        body = accounting.as_dict()
        t = accounting.total
        body["message"] = (
            f"{accounting.recall}: affected {t.affected} = at holders {t.at_holders} + own stock "
            f"{t.own_stock} + in transit {t.in_transit} + quarantine {t.in_quarantine} + dispositioned "
            f"{t.dispositioned} + used {t.used}; unexplained {t.unexplained}"
        )
        return body

    def _hold(self, words: list[str], options: dict[str, Any]) -> dict[str, Any]:
        action, recall = (
            self._word(words, 0, "action (place, release, list)"),
            self._recall(self._word(words, 1, "recall")),
        )
        if action == "place":
            placed = services.hold_place(
                recall=recall, actor=self._user(options), reason=options["reason"]
            )
            return {"placed": len(placed), "message": f"{len(placed)} hold(s) placed."}
        if action == "release":
            released = services.hold_release(
                recall=recall, actor=self._user(options), reason=options["reason"]
            )
            return {"released": released, "message": f"{released} hold(s) released."}
        holds = [
            {
                "lot": h.lot.number,
                "serial": h.serial.serial if h.serial else None,
                "active": h.active,
            }
            for h in selectors.holds_of(recall)
        ]
        return {
            "holds": holds,
            "message": "\n".join(
                f"{h['lot']} {h['serial'] or ''} {'active' if h['active'] else 'released'}"
                for h in holds
            ),
        }

    def _returns(self, words: list[str], options: dict[str, Any]) -> dict[str, Any]:
        action = self._word(words, 0, "action (create, show, status, amend, waybill)")
        if action == "create":
            recall = self._recall(self._word(words, 1, "recall"))
            lines = []
            for spec in options["line"]:
                unit, _sep, quantity = spec.partition("=")
                lot_number, _sep, serial_number = unit.partition(":")
                lot = Lot.objects.filter(
                    number=lot_number, device_model__in=recall.products.all()
                ).first()
                serial = (
                    Serial.objects.filter(lot=lot, serial=serial_number).first()
                    if serial_number
                    else None
                )
                if lot is None or (serial_number and serial is None):
                    raise CommandError(f"Unknown unit {unit!r}.")
                lines.append((lot, serial, int(quantity or 1)))
            ra = services.return_create(
                recall=recall,
                party=self._party(options["holder"]),
                actor=self._user(options),
                lines=lines or None,
            )
        else:
            ra = self._ra(self._word(words, 1, "RA number"))
            if action == "status":
                ra = services.return_transition(
                    ra=ra,
                    target=options["target"],
                    actor=self._user(options),
                    reason=options["reason"],
                )
            elif action == "amend":
                ra = services.return_amend(
                    ra=ra,
                    actor=self._user(options),
                    reason=options["reason"],
                    expected=options["quantity"],
                    **self._unit(ra.recall, options["lot"], options["serial"]),
                )
            elif action == "waybill":
                out = Path(options["out"] or f"{ra.waybill_number}.pdf")
                out.write_bytes(waybill_pdf(ra))
                return {"waybill": str(out), "message": f"Waybill written to {out}."}
        lines_out = [
            {
                "lot": line.lot,
                "serial": line.serial,
                "expected": line.expected,
                "received": line.received,
                "outcome": line.outcome,
            }
            for line in selectors.return_reconciliation(ra)
        ]
        return {
            "number": ra.number,
            "status": ra.status,
            "carrier": ra.carrier.code if ra.carrier else None,
            "expected_cost": str(ra.expected_cost),
            "waybill": ra.waybill_number,
            "lines": lines_out,
            "message": f"{ra.number} {ra.status} · {ra.carrier.code if ra.carrier else '-'} {ra.expected_cost} "
            f"{ra.currency} · "
            + ", ".join(
                f"{x['lot']} {x['serial']} {x['received']}/{x['expected']}" for x in lines_out
            ),
        }

    def _unit(self, recall: Any, lot_number: str, serial_number: str) -> dict[str, Any]:
        lot = Lot.objects.filter(number=lot_number, device_model__in=recall.products.all()).first()
        serial = (
            Serial.objects.filter(lot=lot, serial=serial_number).first() if serial_number else None
        )
        if lot is None or (serial_number and serial is None):
            raise CommandError(f"Unknown unit {lot_number!r} {serial_number!r}.")
        return {"lot": lot, "serial": serial}

    def _receive(self, words: list[str], options: dict[str, Any]) -> dict[str, Any]:
        ra = self._ra(self._word(words, 0, "RA number"))
        result = services.return_receive(
            ra=ra,
            actor=self._user(options),
            barcode=options["barcode"],
            gtin=options["gtin"],
            lot=options["lot"],
            serial=options["serial"],
            quantity=options["quantity"],
            location=self._location(options["location"]),
        )
        return {
            "outcome": result.outcome,
            "expected": result.expected,
            "received": result.received,
            "event_id": result.receipt.event_id,
            "message": result.message,
        }

    def _disposition(self, words: list[str], options: dict[str, Any]) -> dict[str, Any]:
        action = self._word(words, 0, "action (create, complete, certificate)")
        if action == "certificate":
            return self._write(
                selectors.certificate_document_numbered(
                    self._word(words, 1, "disposition or certificate number")
                ),
                options,
            )
        user = self._user(options)
        if action == "create":
            recall = self._recall(self._word(words, 1, "recall"))
            lot = Lot.objects.filter(
                number=options["lot"], device_model__in=recall.products.all()
            ).first()
            if lot is None:
                raise CommandError(f"Unknown lot {options['lot']!r}.")
            serial = (
                Serial.objects.filter(lot=lot, serial=options["serial"]).first()
                if options["serial"]
                else None
            )
            location = self._location(options["location"])
            if location is None:
                raise CommandError("Give --location: the quarantine location.")
            d = services.disposition_create(
                recall=recall,
                kind=options["kind"],
                lot=lot,
                serial=serial,
                quantity=options["quantity"],
                location=location,
                actor=user,
                reason=options["reason"],
                target=self._location(options["target_location"]),
            )
        else:
            d = Disposition.objects.filter(
                number=self._word(words, 1, "disposition number")
            ).first()  # type: ignore[assignment]
            if d is None:
                raise CommandError("No such disposition.")
            password = ""
            if d.kind == "release":  # the one kind signed (21 CFR 11)
                from medrecall.cli.signing import signing_password

                password = signing_password(
                    username=user.username,
                    password_file=options["password_file"],
                    stdin=options.get("stdin"),
                )
            d = services.disposition_complete(
                disposition=d,
                actor=user,
                outcome=options["outcome"],
                method=options["method"],
                place=options["place"],
                performed_by=options["performed_by"],
                witnesses=options["witness"],
                password=password,
                username=user.username if password else None,
            )
        certificate = getattr(d, "certificate", None)
        return {
            "number": d.number,
            "kind": d.kind,
            "status": d.status,
            "certificate": certificate.number if certificate else None,
            "message": f"{d.number} {d.kind} {d.status}"
            + (f" · {certificate.number}" if certificate else ""),
        }

    def _workorders(self, words: list[str], options: dict[str, Any]) -> dict[str, Any]:
        action = self._word(words, 0, "action (create, escalate, evidence)")
        if action == "evidence":
            return self._evidence(words, options)
        if action == "escalate":
            if options["every"] > 0:
                import time

                from medrecall.execution.tasks import work_orders_escalation_sweep

                self.stdout.write(
                    f"Putting the work-order escalation sweep on the task queue every {options['every']} s."
                )
                while True:
                    work_orders_escalation_sweep.enqueue()
                    time.sleep(options["every"])
            count = services.work_orders_escalate()
            return {"escalated": count, "message": f"{count} overdue work order(s) escalated."}
        recall = self._recall(self._word(words, 1, "recall"))
        order = services.work_order_create(
            recall=recall,
            party=self._party(options["holder"]),
            action=options["action"],
            actor=self._user(options),
        )
        return {
            "number": order.number,
            "provider": order.provider.name if order.provider else None,
            "distance_km": str(order.distance_km),
            "due_at": order.due_at.isoformat(),
            "message": f"{order.number} → {order.provider} ({order.distance_km} km), due {order.due_at:%Y-%m-%d}",
        }

    def _write(self, document: selectors.StoredDocument, options: dict[str, Any]) -> dict[str, Any]:
        out = Path(options["out"] or document.filename)
        with document.file.open("rb") as source:
            out.write_bytes(source.read())
        return {
            "file": str(out),
            "content_type": document.content_type,
            "message": f"Written to {out}.",
        }

    def _evidence(self, words: list[str], options: dict[str, Any]) -> dict[str, Any]:
        """``workorders evidence WO`` lists the order's evidence; ``… WO ID --out FILE`` writes one file."""
        order = WorkOrder.objects.filter(number=self._word(words, 1, "work order number")).first()
        if order is None:
            raise CommandError(f"No work order {words[1]!r}.")
        if len(words) > 2:
            if not words[2].isdigit():
                raise CommandError(
                    f"{words[2]!r} is not an evidence id; list them with 'workorders evidence {order.number}'."
                )
            return self._write(selectors.evidence_document(order=order, pk=int(words[2])), options)
        found = [
            {
                "id": e.pk,
                "name": e.original_name,
                "content_type": e.content_type,
                "size": e.size,
                "sha256": e.sha256,
            }
            for e in selectors.evidence_of(order)
        ]
        return {
            "evidence": found,
            "message": "\n".join(
                f"{e['id']} {e['name']} {e['content_type']} {e['size']} B" for e in found
            )
            or f"{order.number}: no evidence.",
        }

    # -- set-up data: carriers, rates, service providers (validated by the pages' forms) -------
    def _valid(self, form: Any) -> Any:
        if not form.is_valid():
            raise CommandError(
                "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())
            )
        return form

    def _carriers(self, words: list[str], options: dict[str, Any]) -> dict[str, Any]:
        from medrecall.audit import services as audit
        from medrecall.execution import partners
        from medrecall.execution.forms import CarrierForm

        action = self._word(words, 0, "action (list, add)")
        if action == "add":
            user = self._user(options)
            form = self._valid(
                CarrierForm(
                    {
                        "code": self._word(words, 1, "carrier code"),
                        "name": options["name"],
                        "party": self._party(options["party"]).pk,
                        "max_weight_kg": options["max_weight"],
                        "is_active": True,
                    }
                )
            )
            carrier = form.instance
            audit.audited_save(instance=carrier, actor=user, action="execution.carrier")
            return {
                "id": carrier.pk,
                "code": carrier.code,
                "message": f"Carrier {carrier.code} added.",
            }
        carriers = [
            {
                "code": c.code,
                "name": c.name,
                "party": c.party.code,
                "max_weight_kg": c.max_weight_kg,
                "active": c.is_active,
                "rates": getattr(c, "rate_count", 0),
            }
            for c in partners.carrier_list_for(viewer=self._staff(options))
        ]
        return {
            "carriers": carriers,
            "message": "\n".join(
                f"{c['code']:<8} {c['name']} · {c['rates']} rate(s)" for c in carriers
            ),
        }

    def _rates(self, words: list[str], options: dict[str, Any]) -> dict[str, Any]:
        from medrecall.audit import services as audit
        from medrecall.execution import partners
        from medrecall.execution.forms import CarrierRateForm
        from medrecall.execution.models import Carrier

        action = self._word(words, 0, "action (list, add)")
        if action == "add":
            user = self._user(options)
            code = self._word(words, 1, "carrier code")
            carrier = Carrier.objects.filter(code=code).first()
            if carrier is None:
                raise CommandError(f"No carrier {code!r}.")
            form = self._valid(
                CarrierRateForm(
                    {
                        "carrier": carrier.pk,
                        "country": options["country"],
                        "province_code": options["province"],
                        "base_fee": options["base_fee"],
                        "per_kg": options["per_kg"],
                        "currency": options["currency"],
                        "transit_days": options["transit_days"],
                    }
                )
            )
            rate = form.instance
            audit.audited_save(instance=rate, actor=user, action="execution.carrierrate")
            return {
                **self._rate(rate),
                "message": f"Rate {code} {rate.country} {rate.province_code or '*'} added.",
            }
        rates = [
            self._rate(r)
            for r in partners.carrier_rate_list_for(
                viewer=self._staff(options), carrier=words[1] if len(words) > 1 else ""
            )
        ]
        return {
            "rates": rates,
            "message": "\n".join(
                f"{r['carrier']:<8} {r['country']}-{r['province_code'] or '*'} {r['base_fee']} + {r['per_kg']}/kg "
                f"{r['currency']}, {r['transit_days']} d"
                for r in rates
            ),
        }

    def _rate(self, rate: Any) -> dict[str, Any]:
        return {
            "carrier": rate.carrier.code,
            "country": rate.country,
            "province_code": rate.province_code,
            "base_fee": f"{rate.base_fee:.2f}",
            "per_kg": f"{rate.per_kg:.2f}",
            "currency": rate.currency,
            "transit_days": rate.transit_days,
        }

    def _providers(self, words: list[str], options: dict[str, Any]) -> dict[str, Any]:
        from medrecall.catalog.models import DeviceModel
        from medrecall.execution import partners
        from medrecall.execution.forms import ServiceProviderForm

        action = self._word(words, 0, "action (list, add)")
        if action == "add":
            user = self._user(options)
            models = DeviceModel.objects.filter(model_code__in=options["device_model"])
            if models.count() != len(set(options["device_model"])):
                known = set(models.values_list("model_code", flat=True))
                raise CommandError(
                    f"Unknown device model(s): {', '.join(sorted(set(options['device_model']) - known))}."
                )
            technician = (
                User.objects.filter(username=options["technician"]).first()
                if options["technician"]
                else None
            )
            form = self._valid(
                ServiceProviderForm(
                    {
                        "name": options["name"],
                        "party": self._party(options["party"]).pk,
                        "technician": technician.pk if technician else "",
                        "skills": options["skill"],
                        "device_models": [m.pk for m in models],
                        "capacity": options["capacity"],
                        "latitude": options["latitude"],
                        "longitude": options["longitude"],
                        "is_active": True,
                    }
                )
            )
            provider = partners.service_provider_save(
                provider=form.instance, device_models=form.cleaned_data["device_models"], actor=user
            )
            return {
                **self._provider(provider),
                "message": f"Service provider {provider.name} added.",
            }
        providers = [
            self._provider(p)
            for p in partners.service_provider_list_for(viewer=self._staff(options))
        ]
        return {
            "providers": providers,
            "message": "\n".join(
                f"{p['name']} ({p['party']}): {', '.join(p['skills'])} · {', '.join(p['device_models'])}"
                for p in providers
            ),
        }

    def _provider(self, provider: Any) -> dict[str, Any]:
        return {
            "name": provider.name,
            "party": provider.party.code,
            "skills": list(provider.skills),
            "device_models": sorted(m.model_code for m in provider.device_models.all()),
            "capacity": provider.capacity,
            "active": provider.is_active,
        }

    def _staff(self, options: dict[str, Any]) -> Any:
        """Who reads: the given user, else the command's operator (staff, sees all set-up data)."""
        from types import SimpleNamespace

        if options["user"]:
            return self._user(options)
        return SimpleNamespace(party_id=None)

    def _seed(self, words: list[str], options: dict[str, Any]) -> dict[str, Any]:
        from medrecall.cli.demo_execution import demo_execution_seed

        created = demo_execution_seed()
        total = sum(created.values())
        return {
            **created,
            "created": total,
            "message": (
                f"Seeded {created['carriers']} carrier(s), {created['rates']} rate(s), {created['rules']} "
                f"rule(s) and {created['providers']} service provider(s)."
            )
            if total
            else "The demo's carriers and service providers exist already; nothing seeded.",
        }
