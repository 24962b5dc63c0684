"""``medrecall finance …``: The ledger: entries, reversals, exchange rates, disposition costs
and provider rates.

  medrecall finance ledger list RECALL [--category C] [--source S] [--vendor CODE] --user U
  medrecall finance ledger post RECALL --category C --amount A --currency CUR --date D
                                [--units N] [--vendor CODE] [--holder CODE] [--document REF]
                                [--description T] [--attachment FILE] --user U
  medrecall finance ledger reverse ENTRY --reason R --user U
  medrecall finance ledger due RECALL --user U
  medrecall finance ledger sweep [--every SECONDS]
  medrecall finance rates list [--currency CUR] | set CUR DATE RATE --user U | import FILE --user U
  medrecall finance unitcosts list | set KIND COST --currency CUR [--model GTIN] --user U
                             | delete KIND [--model GTIN] --user U
  medrecall finance providerrates list | set PROVIDER_ID --hourly H [--hours N] [--per-km K]
                                                    --currency CUR --user U

Every subcommand takes ``--json``. A refusal exits with status 1 and the message."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from medrecall.accounts.models import User
from medrecall.catalog.models import DeviceModel
from medrecall.cli.command import Everyone, Subcommands
from medrecall.cli.lookups import found, party_coded, recall_numbered, user_named
from medrecall.core.errors import ImportRejected
from medrecall.execution.models import ServiceProvider
from medrecall.finance import ledger, postings, selectors
from medrecall.finance.models import CostEntry, DispositionCost

Answer = dict[str, Any]


def _user(options: dict[str, Any]) -> User:
    return user_named(options["user"] or "")


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value} is not a date in the form YYYY-MM-DD.") from None


def _entry_answer(entry: CostEntry) -> Answer:
    return {
        "number": entry.number,
        "recall": entry.recall.number,
        "category": entry.category,
        "amount": str(entry.amount),
        "currency": entry.currency,
        "rate": str(entry.rate),
        "company_amount": str(entry.company_amount),
        "company_currency": entry.company_currency,
        "incurred_on": entry.incurred_on.isoformat(),
        "vendor": entry.vendor.code if entry.vendor else None,
        "source": entry.source,
        "source_key": entry.source_key,
        "reverses": entry.reverses.number if entry.reverses else None,
    }


def _model(gtin: str) -> DeviceModel | None:
    if not gtin:
        return None
    model = DeviceModel.objects.filter(udi_di=gtin).first()
    if model is None:
        raise CommandError(f"There is no device model with GTIN {gtin}.")
    return model


# -- ledger ------------------------------------------------------------------------------------
def _list(o: dict[str, Any]) -> Answer:
    viewer = _user(o)
    recall = recall_numbered(o["recall"])
    only = selectors.LedgerFilter.checked(o["category"], o["source"], o["vendor"])
    entries = selectors.entries_for(viewer=viewer, recall=recall, only=only)
    totals = selectors.totals_for(
        viewer=viewer, recall=recall, only=only, company_currency=ledger.policy().company_currency
    )
    rows = [_entry_answer(entry) for entry in entries]
    lines = [
        f"{r['number']} {r['incurred_on']} {r['category']:<13} {r['amount']:>12} {r['currency']}"
        f" = {r['company_amount']:>12} {r['company_currency']} {r['source']} {r['source_key']}"
        for r in rows
    ]
    lines.append(f"Total: {totals.company_amount} {totals.company_currency} ({totals.entries})")
    return {"entries": rows, "totals": totals.as_dict(), "message": "\n".join(lines)}


def _post(o: dict[str, Any]) -> Answer:
    actor = _user(o)
    recall = recall_numbered(o["recall"])
    attachment = None
    if o["attachment"]:
        path = Path(o["attachment"])
        if not path.is_file():
            raise CommandError(f"There is no file {path}.")
        attachment = ledger.Attachment(path.name, path.read_bytes())
    entry = ledger.cost_post(
        actor=actor,
        recall=recall,
        line=ledger.CostLine(
            category=o["category"],
            amount=o["amount"],
            currency=o["currency"],
            incurred_on=_day(o["date"]),
            units=o["units"],
            vendor=party_coded(o["vendor"]) if o["vendor"] else None,
            holder=party_coded(o["holder"]) if o["holder"] else None,
            document_reference=o["document"],
            description=o["description"],
        ),
        attachment=attachment,
    )
    answer = _entry_answer(entry)
    answer["message"] = (
        f"{entry.number} posted: {entry.amount} {entry.currency}"
        f" = {entry.company_amount} {entry.company_currency}."
    )
    return answer


def _reverse(o: dict[str, Any]) -> Answer:
    actor = _user(o)
    entry = found(lambda: selectors.entry_numbered_for(viewer=actor, number=o["entry"]))
    reversal = ledger.cost_reverse(actor=actor, entry=entry, reason=o["reason"])
    answer = _entry_answer(reversal)
    answer["message"] = f"{entry.number} reversed by {reversal.number}."
    return answer


def _due(o: dict[str, Any]) -> Answer:
    _user(o)
    recall = recall_numbered(o["recall"])
    due = postings.waiting_for(recall)
    rows = [
        {
            "source": d.source,
            "key": d.key,
            "record": str(d.record),
            "waiting": d.waiting,
            "problem": d.problem,
        }
        for d in due
    ]
    lines = [f"{r['key']}: {r['problem'] or 'ready to post'}" for r in rows]
    return {"due": rows, "message": "\n".join(lines) or "Nothing is due."}


def _sweep(o: dict[str, Any]) -> Answer:
    if o["every"] > 0:  # as a service: queue the sweep task every N seconds until stopped
        import time

        from medrecall.finance.tasks import postings_sweep_task

        while True:
            postings_sweep_task.enqueue()
            time.sleep(o["every"])
    result = postings.postings_sweep().as_dict()
    result["message"] = (
        f"{len(result['posted'])} posted, {len(result['waiting'])} waiting."
        + "".join(f"\n  {w['key']}: {w['problem']}" for w in result["waiting"])
    )
    return result


# -- rates -------------------------------------------------------------------------------------
def _rates_list(o: dict[str, Any]) -> Answer:
    rates = selectors.rates_list(viewer=_reader(o), currency=o["currency"])
    rows = [
        {
            "currency": r.currency,
            "date": r.rate_on.isoformat(),
            "rate": str(r.rate),
            "source": r.source,
        }
        for r in rates
    ]
    return {
        "rates": rows,
        "message": "\n".join(f"{r['date']} {r['currency']} {r['rate']}" for r in rows)
        or "No rates.",
    }


def _reader(o: dict[str, Any]) -> Any:
    return _user(o) if o.get("user") else Everyone()


def _rates_set(o: dict[str, Any]) -> Answer:
    rate = ledger.rate_set(
        actor=_user(o), currency=o["currency"], rate_on=_day(o["date"]), rate=o["rate"]
    )
    return {
        "currency": rate.currency,
        "date": rate.rate_on.isoformat(),
        "rate": str(rate.rate),
        "message": f"{rate.currency} on {rate.rate_on.isoformat()}: {rate.rate}.",
    }


def _rates_import(o: dict[str, Any]) -> Answer:
    path = Path(o["file"])
    if not path.is_file():
        raise CommandError(f"There is no file {path}.")
    actor = _user(o)
    try:
        result = ledger.rates_import(actor=actor, content=path.read_bytes(), file_name=path.name)
    except ImportRejected as rejected:  # every row's problem with its row and column
        raise CommandError(
            "\n".join([rejected.message, *(str(error) for error in rejected.errors)])
        ) from rejected
    return {
        **result.as_dict(),
        "message": (
            f"Rates imported: {result.created} new, {result.updated} changed, "
            f"{result.unchanged} unchanged."
        ),
    }


# -- unit costs and provider rates -------------------------------------------------------------
def _unitcosts_list(o: dict[str, Any]) -> Answer:
    rows = [
        {
            "kind": c.kind,
            "model": c.device_model.udi_di if c.device_model else None,
            "unit_cost": str(c.unit_cost),
            "currency": c.currency,
        }
        for c in selectors.unit_costs_list(viewer=_reader(o))
    ]
    return {
        "unit_costs": rows,
        "message": "\n".join(
            f"{r['kind']:<20} {r['model'] or 'any model':<16} {r['unit_cost']} {r['currency']}"
            for r in rows
        )
        or "No disposition costs.",
    }


def _unitcosts_set(o: dict[str, Any]) -> Answer:
    cost = ledger.unit_cost_set(
        actor=_user(o),
        kind=o["kind"],
        device_model=_model(o["model"]),
        unit_cost=o["cost"],
        currency=o["currency"],
    )
    return {
        "kind": cost.kind,
        "unit_cost": str(cost.unit_cost),
        "currency": cost.currency,
        "message": f"{cost.kind}: {cost.unit_cost} {cost.currency} per unit.",
    }


def _unitcosts_delete(o: dict[str, Any]) -> Answer:
    actor = _user(o)
    cost = DispositionCost.objects.filter(kind=o["kind"], device_model=_model(o["model"])).first()
    if cost is None:
        raise CommandError(f"There is no disposition cost for {o['kind']}.")
    ledger.unit_cost_delete(actor=actor, cost=cost)
    return {"deleted": True, "message": f"Disposition cost for {o['kind']} deleted."}


def _providerrates_list(o: dict[str, Any]) -> Answer:
    rows = [
        {
            "provider": r.provider_id,
            "name": r.provider.name,
            "hourly_rate": str(r.hourly_rate),
            "hours_per_work_order": str(r.hours_per_work_order),
            "per_km": str(r.per_km),
            "currency": r.currency,
        }
        for r in selectors.provider_rates_list(viewer=_reader(o))
    ]
    return {
        "provider_rates": rows,
        "message": "\n".join(
            f"{r['provider']} {r['name']}: {r['hourly_rate']}/h × {r['hours_per_work_order']} h,"
            f" {r['per_km']}/km {r['currency']}"
            for r in rows
        )
        or "No service provider rates.",
    }


def _providerrates_set(o: dict[str, Any]) -> Answer:
    actor = _user(o)
    provider = ServiceProvider.objects.filter(pk=o["provider"]).first()
    if provider is None:
        raise CommandError(f"There is no service provider {o['provider']}.")
    rate = ledger.provider_rate_set(
        actor=actor,
        provider=provider,
        hourly_rate=o["hourly"],
        hours_per_work_order=o["hours"],
        per_km=o["per_km"],
        currency=o["currency"],
    )
    return {
        "provider": provider.pk,
        "hourly_rate": str(rate.hourly_rate),
        "per_km": str(rate.per_km),
        "message": f"Rates of {provider.name} saved.",
    }


def declare(areas: Subcommands) -> None:
    """Add this area's subcommands to ``medrecall finance``."""
    ledger_group = areas.group(
        "ledger",
        help="A recall's cost entries.",
        missing="action: list, post, reverse, due or sweep",
    )
    sub = ledger_group.add("list", _list, help="A recall's entries and totals per category.")
    sub.add_argument("recall")
    sub.add_argument("--category", default="")
    sub.add_argument("--source", default="")
    sub.add_argument("--vendor", default="", help="the vendor's party code")
    sub.add_argument("--user", default="")
    sub = ledger_group.add("post", _post, help="Post an entry by hand.")
    sub.add_argument("recall")
    sub.add_argument("--category", required=True)
    sub.add_argument("--amount", required=True)
    sub.add_argument("--currency", required=True)
    sub.add_argument("--date", required=True, help="the day it was incurred, YYYY-MM-DD")
    sub.add_argument("--units", type=int, default=0)
    sub.add_argument("--vendor", default="")
    sub.add_argument("--holder", default="")
    sub.add_argument("--document", default="", help="the document reference (invoice number)")
    sub.add_argument("--description", default="")
    sub.add_argument("--attachment", default="", help="a PDF, image, Excel or Word file")
    sub.add_argument("--user", default="")
    sub = ledger_group.add("reverse", _reverse, help="Reverse an entry with a reason.")
    sub.add_argument("entry")
    sub.add_argument("--reason", required=True)
    sub.add_argument("--user", default="")
    sub = ledger_group.add(
        "due", _due, help="What the recall's source records owe and is not posted."
    )
    sub.add_argument("recall")
    sub.add_argument("--user", default="")
    sub = ledger_group.add(
        "sweep", _sweep, help="Post every cost a source record owes and is not posted yet."
    )
    sub.add_argument("--every", type=int, default=0, help="queue the sweep every N seconds")
    _declare_rates(areas)
    _declare_costs(areas)


def _declare_rates(areas: Subcommands) -> None:
    rates = areas.group(
        "rates", help="Exchange rates by day.", missing="action: list, set or import"
    )
    sub = rates.add("list", _rates_list, help="The exchange rates, newest first.")
    sub.add_argument("--currency", default="")
    sub.add_argument("--user", default="")
    sub = rates.add("set", _rates_set, help="Enter one currency's rate on one day.")
    sub.add_argument("currency")
    sub.add_argument("date")
    sub.add_argument("rate")
    sub.add_argument("--user", default="")
    sub = rates.add("import", _rates_import, help="Import a CSV file: currency,date,rate.")
    sub.add_argument("file")
    sub.add_argument("--user", default="")


def _declare_costs(areas: Subcommands) -> None:
    costs = areas.group(
        "unitcosts", help="Disposition costs per unit.", missing="action: list, set or delete"
    )
    sub = costs.add("list", _unitcosts_list, help="The disposition costs per unit.")
    sub.add_argument("--user", default="")
    sub = costs.add("set", _unitcosts_set, help="Set a disposition's cost per unit.")
    sub.add_argument("kind")
    sub.add_argument("cost")
    sub.add_argument("--currency", required=True)
    sub.add_argument("--model", default="", help="the device model's GTIN; none: any model")
    sub.add_argument("--user", default="")
    sub = costs.add("delete", _unitcosts_delete, help="Delete a disposition cost.")
    sub.add_argument("kind")
    sub.add_argument("--model", default="")
    sub.add_argument("--user", default="")

    providers = areas.group(
        "providerrates", help="Service providers' rates.", missing="action: list or set"
    )
    sub = providers.add("list", _providerrates_list, help="The service providers' rates.")
    sub.add_argument("--user", default="")
    sub = providers.add("set", _providerrates_set, help="Set a service provider's rates.")
    sub.add_argument("provider", type=int)
    sub.add_argument("--hourly", required=True)
    sub.add_argument("--hours", default="2.00")
    sub.add_argument("--per-km", dest="per_km", default="0.00")
    sub.add_argument("--currency", required=True)
    sub.add_argument("--user", default="")
