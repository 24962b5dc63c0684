"""``medrecall finance …``: budget, forecast, alerts and cost reports.

medrecall finance budget show RECALL [--json]
medrecall finance budget set RECALL --total AMOUNT [--line CATEGORY=AMOUNT …]
          [--planned-disposition KIND] [--planned-provider ID] [--reason R] --user U [--json]
medrecall finance forecast RECALL [--json]
medrecall finance report [RECALL] [--by category|region|vendor] [--json]
medrecall finance alerts check [--recall RECALL] [--every N] [--json]
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from medrecall.cli.command import Subcommands
from medrecall.cli.lookups import recall_numbered, user_named

Answer = dict[str, Any]


def declare(areas: Subcommands) -> None:
    """Add this area's subcommands to ``medrecall finance``."""
    budget = areas.group("budget", help="A recall's budget: show or set it.", missing="action")
    show = budget.add("show", _budget_show, help="The budget, actual cost and forecast.")
    show.add_argument("recall")
    put = budget.add("set", _budget_set, help="Set or change the budget (finance).")
    put.add_argument("recall")
    put.add_argument("--total", required=True, help="Company currency, e.g. 50000.00")
    put.add_argument(
        "--line", action="append", default=[], metavar="CATEGORY=AMOUNT", help="Per category"
    )
    put.add_argument("--planned-disposition", default="", help="For units without a disposition")
    put.add_argument("--planned-provider", type=int, default=None, help="Service provider id")
    put.add_argument("--reason", default="")
    put.add_argument("--user", default="")
    forecast = areas.add("forecast", _forecast, help="What the recall has cost and will cost.")
    forecast.add_argument("recall")
    report = areas.add("report", _report, help="Costs of one recall, or across recalls.")
    report.add_argument("recall", nargs="?", default="")
    report.add_argument("--by", choices=("category", "region", "vendor"), default="category")
    alerts = areas.group("alerts", help="Budget alerts.", missing="action")
    check = alerts.add(
        "check", _alerts_check, help="Raise and mail the budget alerts that are due."
    )
    check.add_argument("--recall", default="", help="Only this recall")
    check.add_argument("--every", type=int, default=0, help="Enqueue the sweep every N seconds.")


def _budget_show(o: dict[str, Any]) -> Answer:
    from medrecall.finance import budgets

    recall = recall_numbered(o["recall"])
    body = budgets.budget_summary(recall)
    body["message"] = _(
        "%(number)s: budget %(budget)s, actual %(actual)s, forecast %(forecast)s %(currency)s"
    ) % {
        "number": recall.number,
        "budget": body["budget"] or "—",
        "actual": body["actual"],
        "forecast": body["forecast"],
        "currency": body["currency"],
    }
    return body


def _lines(given: list[str]) -> dict[str, str]:
    lines: dict[str, str] = {}
    for item in given:
        category, sep, amount = item.partition("=")
        if not sep:
            raise CommandError(
                _("Give a line as CATEGORY=AMOUNT (e.g. logistics=5000), not %(item)s.")
                % {"item": item}
            )
        lines[category.strip()] = amount.strip()
    return lines


def _budget_set(o: dict[str, Any]) -> Answer:
    from medrecall.execution.models import ServiceProvider
    from medrecall.finance import budgets

    user = user_named(o["user"])
    recall = recall_numbered(o["recall"])
    provider = None
    if o["planned_provider"] is not None:
        provider = ServiceProvider.objects.filter(pk=o["planned_provider"]).first()
        if provider is None:
            raise CommandError(
                _("There is no service provider %(id)s.") % {"id": o["planned_provider"]}
            )
    budget = budgets.budget_set(
        actor=user,
        recall=recall,
        total=o["total"],
        lines=_lines(o["line"]),
        planned_disposition=o["planned_disposition"],
        planned_provider=provider,
        reason=o["reason"],
    )
    return {
        "recall": recall.number,
        "budget": str(budget.total),
        "currency": budget.currency,
        "version": budget.version,
        "lines": {line.category: str(line.amount) for line in budget.lines.all()},
        "message": _("Budget of %(number)s: %(total)s %(currency)s (version %(version)s).")
        % {
            "number": recall.number,
            "total": budget.total,
            "currency": budget.currency,
            "version": budget.version,
        },
    }


def _forecast(o: dict[str, Any]) -> Answer:
    from medrecall.finance.forecast import recall_forecast

    found = recall_forecast(recall_numbered(o["recall"]))
    body = found.as_dict()
    lines = [
        _(
            "%(number)s: actual %(actual)s + remaining %(remaining)s = forecast %(total)s %(currency)s"
        )
        % {
            "number": found.recall,
            "actual": found.actual,
            "remaining": found.remaining,
            "total": found.total,
            "currency": found.currency,
        }
    ]
    for term in found.terms:
        shown = (
            term.amount
            if term.amount is not None
            else _("unknown: %(missing)s") % {"missing": term.missing}
        )
        lines.append(f"  {term.what} × {term.quantity}: {shown}")
    lines.extend(f"  {note}" for note in found.notes)
    body["message"] = "\n".join(lines)
    return body


def _report(o: dict[str, Any]) -> Answer:
    from medrecall.finance import reports

    if o["recall"]:
        report = reports.recall_report(recall_numbered(o["recall"]))
        body = report.as_dict()
        rows = {
            "category": [(r["label"], r["actual"]) for r in body["categories"]],
            "region": [(g["label"], g["amount"]) for g in body["regions"]],
            "vendor": [(g["label"], g["amount"]) for g in body["vendors"]],
        }[o["by"]]
        head = f"{report.recall.number} ({report.currency})"
    else:
        groups = reports.costs_of_every_recall().by(o["by"])
        body = {
            "by": o["by"],
            "currency": reports.company_currency(),
            "groups": [g.as_dict() for g in groups],
        }
        rows = [(g.label, str(g.amount)) for g in groups]
        head = _("All recalls (%(currency)s)") % {"currency": body["currency"]}
    body["message"] = "\n".join([head, *(f"  {label}: {amount}" for label, amount in rows)])
    return body


def _alerts_check(o: dict[str, Any]) -> Answer:
    from medrecall.finance import alerts
    from medrecall.finance.budget_tasks import budget_alerts_sweep

    if o["every"] > 0:
        from medrecall.cli.management.commands.finance import Command

        Command().enqueue_every(
            budget_alerts_sweep,
            o["every"],
            announce=f"Putting the budget alert sweep on the task queue every {o['every']} s (Ctrl-C stops).",
        )
    if o["recall"]:
        raised = alerts.budget_alerts_check(recall_numbered(o["recall"]))
    else:
        raised = [a for r in alerts.recalls_to_check() for a in alerts.budget_alerts_check(r)]
    return {
        "raised": [
            {
                "recall": a.recall.number,
                "kind": a.kind,
                "threshold": a.threshold,
                "amount": str(a.amount),
                "budget": str(a.budget),
            }
            for a in raised
        ],
        "message": _("Budget alerts raised: %(count)s") % {"count": len(raised)},
    }
