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
Each subcommand has its own ``--help`` (``medrecall execution returns create --help``).
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from medrecall.accounts import selectors as accounts
from medrecall.accounts.models import User
from medrecall.catalog.models import Lot, Serial
from medrecall.cli.command import Everyone, ProductCommand, Subcommands
from medrecall.cli.lookups import found, party_coded, recall_numbered, user_named
from medrecall.core.errors import DomainError
from medrecall.execution import selectors, services
from medrecall.execution.models import Disposition, ReturnAuthorisation
from medrecall.parties import selectors as parties
from medrecall.parties.models import Location, Party
from medrecall.recalls.models import RecallCase

Answer = dict[str, Any]


# -- look-ups by the names typed: the contexts' selectors, a miss exits 1 with their message --
def _given(value: str, what: str) -> str:
    if not value:
        raise CommandError(f"Give the {what}.")
    return value


def _user(options: dict[str, Any]) -> User:
    return user_named(options["user"])


def _ra(number: str) -> ReturnAuthorisation:
    return found(lambda: selectors.return_numbered_for(viewer=Everyone(), number=number))


def _location(code: str) -> Location | None:
    """The location with this code (``None`` where no code is given: the option is optional)."""
    return found(lambda: parties.location_coded(code=code)) if code else None


def _party(code: str, option: str) -> Party:
    """The party a ``--holder`` or ``--party`` option names by its code."""
    return party_coded(_given(code, f"party code ({option} CODE)"))


def _unit(recall: RecallCase, lot: str, serial: str) -> tuple[Lot, Serial | None]:
    """The recall's lot with this number, and its serial in that lot if one is named."""
    return found(lambda: selectors.unit_in_recall(recall=recall, lot=lot, serial=serial))


def _lines(recall: RecallCase, specs: list[str]) -> list[tuple[Lot, Serial | None, int]]:
    """Each ``--line LOT[:SERIAL]=QTY`` as a return line (two queries for any number)."""
    units: list[tuple[str, str]] = []
    quantities: list[int] = []
    for spec in specs:
        unit, _sep, quantity = spec.partition("=")
        lot, _sep, serial = unit.partition(":")
        units.append((lot, serial))
        quantities.append(int(quantity or 1))
    found_units = found(lambda: selectors.units_in_recall(recall=recall, units=units))
    return [(lot, serial, n) for (lot, serial), n in zip(found_units, quantities, strict=True)]


def _valid(form: Any) -> Any:
    if not form.is_valid():
        raise CommandError(
            "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())
        )
    return form


def _reader(options: dict[str, Any]) -> Any:
    """Who reads set-up data: the given user, else the command's operator (sees all of it)."""
    return _user(options) if options["user"] else Everyone()


def _written(document: selectors.StoredDocument, out: str) -> Answer:
    path = Path(out or document.filename)
    with document.file.open("rb") as source:
        path.write_bytes(source.read())
    return {
        "file": str(path),
        "content_type": document.content_type,
        "message": f"Written to {path}.",
    }


# -- what the answers hold ---------------------------------------------------------------------
def _return_answer(ra: ReturnAuthorisation) -> Answer:
    lines = selectors.return_lines(ra)
    return {
        "number": ra.number,
        "status": ra.status,
        "carrier": ra.carrier.code if ra.carrier else None,
        "expected_cost": str(ra.expected_cost),
        "waybill": ra.waybill_number,
        "lines": lines,
        "message": f"{ra.number} {ra.status} · {ra.carrier.code if ra.carrier else '-'} "
        f"{ra.expected_cost} "
        f"{ra.currency} · "
        + ", ".join(f"{x['lot']} {x['serial']} {x['received']}/{x['expected']}" for x in lines),
    }


def _disposition_answer(d: Disposition) -> Answer:
    certificate = getattr(d, "certificate", None)
    return {
        "number": d.number,
        "kind": d.kind,
        "status": d.status,
        "certificate": certificate.number if certificate else None,
        "message": f"{d.number} {d.kind} {d.status}"
        + (f" · {certificate.number}" if certificate else ""),
    }


def _rate(rate: Any) -> Answer:
    return {
        "carrier": rate.carrier.code,
        "country": rate.country,
        "province_code": rate.province_code,
        "base_fee": f"{rate.base_fee:.2f}",
        "per_kg": f"{rate.per_kg:.2f}",
        "currency": rate.currency,
        "transit_days": rate.transit_days,
    }


def _provider(provider: Any) -> Answer:
    return {
        "name": provider.name,
        "party": provider.party.code,
        "skills": list(provider.skills),
        "device_models": sorted(m.model_code for m in provider.device_models.all()),
        "capacity": provider.capacity,
        "active": provider.is_active,
    }


# -- the options -------------------------------------------------------------------------------
def _options(sub: ArgumentParser, *names: str) -> ArgumentParser:
    """Give a subcommand the options it takes, each declared once here."""
    for name in names:
        sub.add_argument(*_OPTIONS[name][0], **_OPTIONS[name][1])
    return sub


_OPTIONS: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "user": (("--user",), {"default": "", "help": "The account the action is recorded under."}),
    "reader": (
        ("--user",),
        {"default": "", "help": "Read as this account (default: the operator, who sees all)."},
    ),
    "viewer": (("--user",), {"default": "", "help": "Accepted; reading records nothing."}),
    "reason": (("--reason",), {"default": ""}),
    "out": (("--out",), {"default": "", "metavar": "FILE"}),
    "lot": (("--lot",), {"default": ""}),
    "serial": (("--serial",), {"default": ""}),
    "quantity": (("--quantity",), {"type": int, "default": 1}),
    "location": (("--location",), {"default": ""}),
    "holder": (("--holder",), {"default": "", "help": "The holder (party code)."}),
    "name": (("--name",), {"default": ""}),
    "party": (("--party",), {"default": "", "help": "The party (code)."}),
    "password-file": (
        ("--password-file",),
        {
            "default": "",
            "metavar": "PATH",
            "help": "A release is signed: read the signing password from this file (mode 600; "
            "'-' for standard input) instead of asking at the terminal.",
        },
    ),
}


class Command(ProductCommand):
    help = "Stock holds, return authorisations, receiving, dispositions and field work orders of recalls."
    stealth_options = ("stdin",)  # tests hand in a fake terminal

    def add_arguments(self, parser: ArgumentParser) -> None:
        areas = self.subcommands(parser, dest="area")
        accounting = areas.add("accounting", self._accounting, help="A recall's unit accounting.")
        accounting.add_argument("recall", nargs="?", default="", metavar="RECALL")
        self._holds(
            areas.group("hold", help="Stock holds.", missing="action (place, release, list)")
        )
        self._returns(
            areas.group(
                "returns",
                help="Return authorisations.",
                missing="action (create, show, status, amend, waybill)",
            )
        )
        receive = areas.add("receive", self._receive, help="Receive returned units.")
        receive.add_argument("number", nargs="?", default="", metavar="RA")
        receive.add_argument("--barcode", default="")
        receive.add_argument("--gtin", default="")
        _options(receive, "lot", "serial", "quantity", "location", "user")
        self._dispositions(
            areas.group(
                "disposition",
                help="Dispositions of quarantined units.",
                missing="action (create, complete, certificate)",
            )
        )
        self._work_orders(
            areas.group(
                "workorders",
                help="Field work orders.",
                missing="action (create, escalate, evidence)",
            )
        )
        self._set_up(areas)
        areas.add(
            "seed", self._seed, help="The demo's carriers, rates, rule and service providers."
        )
        for sub in _leaves(areas):
            sub.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = self.run_subcommand(options)
        except DomainError as refused:
            raise CommandError(refused.message) from refused
        if options["json"]:
            self.write_json(result)
        else:
            self.stdout.write(result.get("message") or self._compact(result))

    def _compact(self, result: Answer) -> str:
        return json.dumps(result, ensure_ascii=False, default=str)

    # -- holds ---------------------------------------------------------------------------------
    def _holds(self, verbs: Subcommands) -> None:
        for verb, handler in (
            ("place", self._hold_place),
            ("release", self._hold_release),
            ("list", self._hold_list),
        ):
            sub = verbs.add(verb, handler, help=f"{verb.capitalize()} the recall's holds.")
            sub.add_argument("recall", nargs="?", default="", metavar="RECALL")
            _options(sub, *(("viewer",) if verb == "list" else ("reason", "user")))

    def _hold_place(self, o: dict[str, Any]) -> Answer:
        recall = recall_numbered(_given(o["recall"], "recall"))
        placed = services.hold_place(recall=recall, actor=_user(o), reason=o["reason"])
        return {"placed": len(placed), "message": f"{len(placed)} hold(s) placed."}

    def _hold_release(self, o: dict[str, Any]) -> Answer:
        recall = recall_numbered(_given(o["recall"], "recall"))
        released = services.hold_release(recall=recall, actor=_user(o), reason=o["reason"])
        return {"released": released, "message": f"{released} hold(s) released."}

    def _hold_list(self, o: dict[str, Any]) -> Answer:
        recall = recall_numbered(_given(o["recall"], "recall"))
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

    # -- returns -------------------------------------------------------------------------------
    def _returns(self, verbs: Subcommands) -> None:
        create = verbs.add("create", self._return_create, help="Authorise a return.")
        create.add_argument("recall", nargs="?", default="", metavar="RECALL")
        create.add_argument(
            "--line", action="append", default=[], metavar="LOT[:SERIAL]=QTY", help="A unit."
        )
        _options(create, "holder", "user")
        for verb, handler, what in (
            ("show", self._return_show, "A return and its reconciliation."),
            ("status", self._return_status, "Move a return to another status."),
            ("amend", self._return_amend, "Change a line's expected quantity."),
            ("waybill", self._return_waybill, "Write the waybill PDF."),
        ):
            sub = verbs.add(verb, handler, help=what)
            sub.add_argument("number", nargs="?", default="", metavar="RA")
            _options(sub, "viewer" if verb in ("show", "waybill") else "user")
        _options(verbs.parsers["status"], "reason").add_argument(
            "--to", dest="target", default="", metavar="STATUS"
        )
        _options(verbs.parsers["amend"], "reason", "lot", "serial", "quantity")
        _options(verbs.parsers["waybill"], "out")

    def _return_create(self, o: dict[str, Any]) -> Answer:
        recall = recall_numbered(_given(o["recall"], "recall"))
        lines = _lines(recall, o["line"])
        ra = services.return_create(
            recall=recall,
            party=_party(o["holder"], "--holder"),
            actor=_user(o),
            lines=lines or None,
        )
        return _return_answer(ra)

    def _return_show(self, o: dict[str, Any]) -> Answer:
        return _return_answer(_ra(_given(o["number"], "RA number")))

    def _return_status(self, o: dict[str, Any]) -> Answer:
        ra = _ra(_given(o["number"], "RA number"))
        ra = services.return_transition(
            ra=ra, target=o["target"], actor=_user(o), reason=o["reason"]
        )
        return _return_answer(ra)

    def _return_amend(self, o: dict[str, Any]) -> Answer:
        ra = _ra(_given(o["number"], "RA number"))
        actor = _user(o)
        lot, serial = _unit(ra.recall, o["lot"], o["serial"])
        ra = services.return_amend(
            ra=ra, actor=actor, reason=o["reason"], expected=o["quantity"], lot=lot, serial=serial
        )
        return _return_answer(ra)

    def _return_waybill(self, o: dict[str, Any]) -> Answer:
        from medrecall.execution.documents import waybill_pdf  # the PDF and QR-code engines

        ra = _ra(_given(o["number"], "RA number"))
        out = Path(o["out"] or f"{ra.waybill_number}.pdf")
        out.write_bytes(waybill_pdf(ra))
        return {"waybill": str(out), "message": f"Waybill written to {out}."}

    # -- receiving, accounting -----------------------------------------------------------------
    def _receive(self, o: dict[str, Any]) -> Answer:
        ra = _ra(_given(o["number"], "RA number"))
        result = services.return_receive(
            ra=ra,
            actor=_user(o),
            barcode=o["barcode"],
            gtin=o["gtin"],
            lot=o["lot"],
            serial=o["serial"],
            quantity=o["quantity"],
            location=_location(o["location"]),
        )
        return {
            "outcome": result.outcome,
            "expected": result.expected,
            "received": result.received,
            "event_id": result.receipt.event_id,
            "message": result.message,
        }

    def _accounting(self, o: dict[str, Any]) -> Answer:
        accounting = selectors.recall_accounting(
            recall_numbered(_given(o["recall"], "recall number"))
        )
        t = accounting.total
        return accounting.as_dict() | {
            "message": f"{accounting.recall}: affected {t.affected} = at holders {t.at_holders} + "
            f"own stock {t.own_stock} + in transit {t.in_transit} + quarantine {t.in_quarantine} "
            f"+ dispositioned {t.dispositioned} + used {t.used}; unexplained {t.unexplained}"
        }

    # -- dispositions --------------------------------------------------------------------------
    def _dispositions(self, verbs: Subcommands) -> None:
        create = verbs.add("create", self._disposition_create, help="Decide a disposition.")
        create.add_argument("recall", nargs="?", default="", metavar="RECALL")
        create.add_argument("--kind", default="")
        _options(create, "lot", "serial", "quantity")
        create.add_argument("--location", default="", help="The quarantine location.")
        create.add_argument("--target-location", default="")
        _options(create, "reason", "user")
        complete = verbs.add(
            "complete", self._disposition_complete, help="Record a disposition done."
        )
        complete.add_argument("number", nargs="?", default="", metavar="DSP")
        for option in ("--outcome", "--method", "--place", "--performed-by"):
            complete.add_argument(option, default="")
        complete.add_argument("--witness", action="append", default=[])
        _options(complete, "password-file", "user")
        certificate = verbs.add(
            "certificate",
            self._disposition_certificate,
            help="Write the destruction certificate PDF as issued.",
        )
        certificate.add_argument("number", nargs="?", default="", metavar="DSP|DC")
        _options(certificate, "out")

    def _disposition_certificate(self, o: dict[str, Any]) -> Answer:
        number = _given(o["number"], "disposition or certificate number")
        return _written(selectors.certificate_document_numbered(number), o["out"])

    def _disposition_create(self, o: dict[str, Any]) -> Answer:
        user = _user(o)
        recall = recall_numbered(_given(o["recall"], "recall"))
        lot, serial = _unit(recall, o["lot"], o["serial"])
        location = _location(o["location"])
        if location is None:
            raise CommandError("Give --location: the quarantine location.")
        disposition = services.disposition_create(
            recall=recall,
            kind=o["kind"],
            lot=lot,
            serial=serial,
            quantity=o["quantity"],
            location=location,
            actor=user,
            reason=o["reason"],
            target=_location(o["target_location"]),
        )
        return _disposition_answer(disposition)

    def _disposition_complete(self, o: dict[str, Any]) -> Answer:
        user = _user(o)
        number = _given(o["number"], "disposition number")
        disposition = found(lambda: selectors.disposition_numbered(number=number))
        password = ""
        if disposition.kind == "release":  # the one kind signed (21 CFR 11)
            from medrecall.cli.signing import signing_password

            password = signing_password(
                username=user.username, password_file=o["password_file"], stdin=o.get("stdin")
            )
        disposition = services.disposition_complete(
            disposition=disposition,
            actor=user,
            outcome=o["outcome"],
            method=o["method"],
            place=o["place"],
            performed_by=o["performed_by"],
            witnesses=o["witness"],
            password=password,
            username=user.username if password else None,
        )
        return _disposition_answer(disposition)

    # -- work orders ---------------------------------------------------------------------------
    def _work_orders(self, verbs: Subcommands) -> None:
        create = verbs.add("create", self._work_order_create, help="Send a technician.")
        create.add_argument("recall", nargs="?", default="", metavar="RECALL")
        create.add_argument("--action", default="", help="What the technician does.")
        _options(create, "holder", "user")
        escalate = verbs.add(
            "escalate", self._work_orders_escalate, help="Escalate overdue work orders."
        )
        escalate.add_argument(
            "--every",
            type=int,
            default=0,
            help="Put the escalation sweep on the task queue every N seconds.",
        )
        evidence = verbs.add(
            "evidence", self._evidence, help="List a work order's evidence, or write one file."
        )
        evidence.add_argument("number", nargs="?", default="", metavar="WO")
        evidence.add_argument("evidence", nargs="?", default="", metavar="ID")
        _options(evidence, "out")

    def _work_order_create(self, o: dict[str, Any]) -> Answer:
        recall = recall_numbered(_given(o["recall"], "recall"))
        order = services.work_order_create(
            recall=recall, party=_party(o["holder"], "--holder"), action=o["action"], actor=_user(o)
        )
        return {
            "number": order.number,
            "provider": order.provider.name if order.provider else None,
            "distance_km": str(order.distance_km),
            "due_at": order.due_at.isoformat(),
            "message": f"{order.number} → {order.provider} ({order.distance_km} km), due {order.due_at:%Y-%m-%d}",
        }

    def _work_orders_escalate(self, o: dict[str, Any]) -> Answer:
        if o["every"] > 0:
            from medrecall.execution.tasks import work_orders_escalation_sweep

            self.enqueue_every(
                work_orders_escalation_sweep,
                o["every"],
                announce=f"Putting the work-order escalation sweep on the task queue every {o['every']} s.",
            )
        count = services.work_orders_escalate()
        return {"escalated": count, "message": f"{count} overdue work order(s) escalated."}

    def _evidence(self, o: dict[str, Any]) -> Answer:
        """``workorders evidence WO`` lists the order's evidence; ``… WO ID --out FILE`` writes one file."""
        number = _given(o["number"], "work order number")
        order = found(lambda: selectors.work_order_numbered(number=number))
        if o["evidence"]:
            if not o["evidence"].isdigit():
                raise CommandError(
                    f"{o['evidence']!r} is not an evidence id; list them with 'workorders evidence {order.number}'."
                )
            document = selectors.evidence_document(order=order, pk=int(o["evidence"]))
            return _written(document, o["out"])
        listed = [
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
            "evidence": listed,
            "message": "\n".join(
                f"{e['id']} {e['name']} {e['content_type']} {e['size']} B" for e in listed
            )
            or f"{order.number}: no evidence.",
        }

    # -- set-up data: carriers, rates, service providers (validated by the pages' forms) -------
    def _set_up(self, areas: Subcommands) -> None:
        for area, what, add in (
            ("carriers", "Carriers", self._carrier_add),
            ("rates", "Carriers' rates", self._rate_add),
            ("providers", "Field service providers", self._provider_add),
        ):
            verbs = areas.group(area, help=f"{what}: list or add.", missing="action (list, add)")
            listing = verbs.add("list", getattr(self, f"_{area}_list"), help=f"{what}.")
            _options(listing, "reader")
            _options(verbs.add("add", add, help=f"Add to the {what.lower()}."), "user")
        self._set_up_options(areas)

    def _set_up_options(self, areas: Subcommands) -> None:
        carriers, rates, providers = (
            areas.groups[name].parsers for name in ("carriers", "rates", "providers")
        )
        carriers["add"].add_argument("code", nargs="?", default="", metavar="CODE")
        _options(carriers["add"], "name", "party")
        carriers["add"].add_argument("--max-weight", default="", metavar="KG")
        rates["list"].add_argument("carrier", nargs="?", default="", metavar="CARRIER")
        rates["add"].add_argument("carrier", nargs="?", default="", metavar="CARRIER")
        for option in ("--country", "--province", "--base-fee", "--per-kg", "--transit-days"):
            rates["add"].add_argument(option, default="")
        rates["add"].add_argument("--currency", default="CNY")
        _options(providers["add"], "name", "party")
        providers["add"].add_argument("--skill", action="append", default=[])
        providers["add"].add_argument("--device-model", action="append", default=[])
        for option in ("--latitude", "--longitude", "--technician"):
            providers["add"].add_argument(option, default="")
        providers["add"].add_argument("--capacity", default="5")

    def _carriers_list(self, o: dict[str, Any]) -> Answer:
        from medrecall.execution import partners

        carriers = [
            {
                "code": c.code,
                "name": c.name,
                "party": c.party.code,
                "max_weight_kg": c.max_weight_kg,
                "active": c.is_active,
                "rates": getattr(c, "rate_count", 0),
            }
            for c in partners.carrier_list_for(viewer=_reader(o))
        ]
        return {
            "carriers": carriers,
            "message": "\n".join(
                f"{c['code']:<8} {c['name']} · {c['rates']} rate(s)" for c in carriers
            ),
        }

    def _carrier_add(self, o: dict[str, Any]) -> Answer:
        from medrecall.audit import services as audit
        from medrecall.execution.forms import CarrierForm

        user = _user(o)
        fields = {
            "code": _given(o["code"], "carrier code"),
            "name": o["name"],
            "party": _party(o["party"], "--party").pk,
            "max_weight_kg": o["max_weight"],
            "is_active": True,
        }
        carrier = _valid(CarrierForm(fields)).instance
        audit.audited_save(instance=carrier, actor=user, action="execution.carrier")
        return {"id": carrier.pk, "code": carrier.code, "message": f"Carrier {carrier.code} added."}

    def _rates_list(self, o: dict[str, Any]) -> Answer:
        from medrecall.execution import partners

        rates = [
            _rate(r)
            for r in partners.carrier_rate_list_for(viewer=_reader(o), carrier=o["carrier"])
        ]
        return {
            "rates": rates,
            "message": "\n".join(
                f"{r['carrier']:<8} {r['country']}-{r['province_code'] or '*'} {r['base_fee']} + {r['per_kg']}/kg "
                f"{r['currency']}, {r['transit_days']} d"
                for r in rates
            ),
        }

    def _rate_add(self, o: dict[str, Any]) -> Answer:
        from medrecall.audit import services as audit
        from medrecall.execution.forms import CarrierRateForm

        user = _user(o)
        code = _given(o["carrier"], "carrier code")
        carrier = found(lambda: selectors.carrier_coded(code=code))
        fields = {
            "carrier": carrier.pk,
            "country": o["country"],
            "province_code": o["province"],
            "base_fee": o["base_fee"],
            "per_kg": o["per_kg"],
            "currency": o["currency"],
            "transit_days": o["transit_days"],
        }
        rate = _valid(CarrierRateForm(fields)).instance
        audit.audited_save(instance=rate, actor=user, action="execution.carrierrate")
        return _rate(rate) | {
            "message": f"Rate {code} {rate.country} {rate.province_code or '*'} added."
        }

    def _providers_list(self, o: dict[str, Any]) -> Answer:
        from medrecall.execution import partners

        providers = [_provider(p) for p in partners.service_provider_list_for(viewer=_reader(o))]
        return {
            "providers": providers,
            "message": "\n".join(
                f"{p['name']} ({p['party']}): {', '.join(p['skills'])} · {', '.join(p['device_models'])}"
                for p in providers
            ),
        }

    def _provider_add(self, o: dict[str, Any]) -> Answer:
        from medrecall.catalog.models import DeviceModel
        from medrecall.execution import partners
        from medrecall.execution.forms import ServiceProviderForm

        user = _user(o)
        models = DeviceModel.objects.filter(model_code__in=o["device_model"])
        if models.count() != len(set(o["device_model"])):
            known = set(models.values_list("model_code", flat=True))
            raise CommandError(
                f"Unknown device model(s): {', '.join(sorted(set(o['device_model']) - known))}."
            )
        technician = (
            found(lambda: accounts.user_named(username=o["technician"]))
            if o["technician"]
            else None
        )
        fields = {
            "name": o["name"],
            "party": _party(o["party"], "--party").pk,
            "technician": technician.pk if technician else "",
            "skills": o["skill"],
            "device_models": [m.pk for m in models],
            "capacity": o["capacity"],
            "latitude": o["latitude"],
            "longitude": o["longitude"],
            "is_active": True,
        }
        form = _valid(ServiceProviderForm(fields))
        provider = partners.service_provider_save(
            provider=form.instance, device_models=form.cleaned_data["device_models"], actor=user
        )
        return _provider(provider) | {"message": f"Service provider {provider.name} added."}

    def _seed(self, o: dict[str, Any]) -> Answer:
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


def _leaves(areas: Subcommands) -> list[ArgumentParser]:
    """The parsers that run a handler: each area without verbs, and each verb of the others."""
    leaves: list[ArgumentParser] = []
    for name, parser in areas.parsers.items():
        group = areas.groups.get(name)
        leaves.extend(group.parsers.values() if group else [parser])
    return leaves
