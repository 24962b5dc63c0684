"""``medrecall recall …``: the recall case from the command line.

  medrecall recall list [--open] [--json]     (--open: open recalls with stage, levels, percent recovered, next deadline)
  medrecall recall open --title T [--title-en T] --gtin GTIN [--gtin …] [--reason R] [--reason-en R]
                        [--regime nmpa|fda|eu_mdr …] [--decision-at ISO] --user U
  medrecall recall show NUMBER [--json]
  medrecall recall update NUMBER --set FIELD=VALUE [--set …] [--decision-at ISO] [--reason WHY] --user U
  medrecall recall evaluate NUMBER --severity S --likelihood L [--injuries N] [--deaths N]
                            [--defect TEXT] [--defect-en TEXT] [--harm TEXT] [--harm-en TEXT] --user U
  medrecall recall classify NUMBER --regime R --class C [--reason R] --user U
  medrecall recall scope NUMBER --kind KIND --gtin GTIN [--values V,V] [--from A --until B] --user U
  medrecall recall freeze NUMBER --user U
  medrecall recall impact NUMBER [--json]
  medrecall recall transition NUMBER --to STATUS [--reason R] --user U
  medrecall recall sign NUMBER --step STEP --user U [--password-file PATH]
      (the password is asked for without echo at a terminal, or read from PATH; never from the environment)
  medrecall recall closure NUMBER [--json]             (what keeps it from closing; information)
  medrecall recall closure-exception NUMBER --reason R --user U [--password-file PATH]
  medrecall recall deadlines NUMBER [--json]
  medrecall recall progress NUMBER [--json]            (the cockpit's figures: funnel, regions, burn-down)

Each subcommand has its own ``--help`` (``medrecall recall scope --help``). ``--user`` names
the account the action is recorded under (the audit trail needs a person).
"""

from __future__ import annotations

from argparse import ArgumentParser
from dataclasses import asdict
from datetime import datetime
from typing import Any

from django.core.management.base import CommandError

from medrecall.catalog.models import DeviceModel
from medrecall.catalog.selectors import device_models_with_gtins
from medrecall.cli.answers import deadline_line, deadline_row
from medrecall.cli.command import ProductCommand
from medrecall.cli.lookups import found, recall_numbered, refusal, user_named
from medrecall.core.errors import DomainError
from medrecall.recalls import selectors, services
from medrecall.recalls.lifecycle import Status, blockers
from medrecall.recalls.models import RecallCase

_EVALUATION_TEXTS = (
    ("defect", "defect_description"),
    ("defect_en", "defect_description_en"),
    ("harm", "hazard_description"),
    ("harm_en", "hazard_description_en"),
)
_TIMES = ("decision_at", "initiated_at", "completed_at", "aware_at")


def _models(gtins: list[str]) -> list[DeviceModel]:
    """The device models with these GTINs (every GTIN that is no model's is refused)."""
    return found(lambda: device_models_with_gtins(gtins=gtins))


def _time(field: str, text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError as bad:
        raise CommandError(f"{field}: {text!r} is not an ISO date and time.") from bad


def _changes(assignments: list[str], decision_at: str) -> dict[str, Any]:
    """``--set FIELD=VALUE`` (and ``--decision-at``) as the fields ``recall_update`` takes."""
    changes: dict[str, Any] = {}
    for assignment in assignments:
        field, sep, value = assignment.partition("=")
        if not sep:
            raise CommandError(f"--set {assignment!r}: write FIELD=VALUE.")
        changes[field.strip()] = value
    if decision_at:
        changes["decision_at"] = decision_at
    for field in _TIMES:
        if field in changes:
            changes[field] = _time(field, changes[field])
    if not changes:
        raise CommandError("Give what to change: --set FIELD=VALUE (or --decision-at).")
    return changes


def _summary(recall: RecallCase) -> dict[str, Any]:
    recall.refresh_from_db()
    return {
        "number": recall.number,
        "title": recall.title,
        "title_en": recall.title_en,
        "status": recall.status,
        "version": recall.version,
        "products": sorted(recall.products.values_list("udi_di", flat=True)),
        "product_names": [m.name_for() for m in recall.products.order_by("udi_di")],
        "regimes": {r.regime: r.recall_class for r in recall.regimes.all()},
        "decision_at": recall.decision_at.isoformat() if recall.decision_at else None,
        "scope": selectors.scope_baseline(recall.current_snapshot),
    }


def _signer_password(o: dict[str, Any], username: str) -> str:
    from medrecall.cli.signing import signing_password

    return signing_password(
        username=username, password_file=o["password_file"], stdin=o.get("stdin")
    )


def _progress_fields(body: dict[str, Any]) -> dict[str, Any]:
    """The cockpit in lines: the scope, each funnel stage (units and holders with their share of
    the scope), the largest regions and the open work (``--json`` gives every figure)."""
    if body["scope"] is None:
        return {
            "recall": body["recall"],
            "missing": " ".join(m["message"] for m in body["missing"]),
        }
    fields: dict[str, Any] = {
        "recall": body["recall"],
        "status": body["status"],
        "scope": "#{snapshot}: {units} units, {holders} holders".format(**body["scope"]),
    }
    for stage in body["funnel"]:
        holders = (
            ""
            if stage["holders"] is None
            else f", {stage['holders']} holders ({stage['holders_percent']} %)"
        )
        fields[stage["stage"]] = f"{stage['units']} units ({stage['units_percent']} %){holders}"
    for group in ("by_country", "by_province"):
        fields[group] = ", ".join(f"{r['key']} {r['units']}" for r in body[group][:5]) or "-"
    fields["still_at_holders"] = body["still_at_holders"]
    for key in ("silent_holders", "open_returns", "open_work_orders", "overdue_work_orders"):
        fields[key] = body[key]
    cost = body.get("cost")
    if cost is not None:
        fields["cost"] = (
            f"{cost['actual']} {cost['currency']} actual, forecast {cost['forecast']}, "
            + (
                cost["missing"]["message"]
                if cost["missing"]
                else f"budget {cost['budget']} ({cost['percent_used']} % used"
                + (", forecast over budget)" if cost["forecast_over_budget"] else ")")
            )
        )
    return fields


class Command(ProductCommand):
    help = "Open, evaluate, classify, scope, freeze, show impact and move recalls along their lifecycle."
    stealth_options = ("stdin",)  # tests hand in a fake terminal

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = self.subcommands(parser, dest="action")
        self._opening(actions.add("open", self._open, help="Open a recall (status draft)."))
        actions.add("show", self._show, help="A recall and the moves open to it.")
        self._updating(actions.add("update", self._update, help="Change a recall's fields."))
        self._evaluating(
            actions.add("evaluate", self._evaluate, help="Record the hazard evaluation.")
        )
        classify = actions.add("classify", self._classify, help="Classify under regimes.")
        classify.add_argument("--regime", action="append", default=[])
        classify.add_argument("--class", dest="recall_class", default="")
        classify.add_argument("--reason", default="")
        self._scoping(actions.add("scope", self._scope, help="Add a scope rule."))
        actions.add("freeze", self._freeze, help="Freeze the scope into a snapshot.")
        actions.add("impact", self._impact, help="The frozen scope's impact.")
        transition = actions.add("transition", self._transition, help="Move along the lifecycle.")
        transition.add_argument("--to", dest="target", default="")
        transition.add_argument("--reason", default="")
        listing = actions.add("list", self._list, help="The latest 200 recalls.")
        listing.add_argument(
            "--open",
            action="store_true",
            help="Only open recalls, as the home page shows them: stage, level per regime, "
            "percent recovered, next deadline.",
        )
        sign = actions.add("sign", self._sign, help="Sign an approval step (electronic signature).")
        sign.add_argument("--step", default="")
        actions.add("deadlines", self._deadlines, help="The regulatory deadlines.")
        actions.add("closure", self._closure, help="What keeps the recall from closing.")
        actions.add("progress", self._progress, help="Where the recall stands (the cockpit).")
        exception = actions.add(
            "closure-exception", self._closure_exception, help="Sign a closure exception."
        )
        exception.add_argument("--reason", default="")
        for name, sub in actions.parsers.items():
            if name not in ("open", "list"):
                sub.add_argument(
                    "number", nargs="?", default="", metavar="NUMBER", help="The recall number."
                )
            if name not in ("show", "impact", "list", "deadlines", "closure", "progress"):
                sub.add_argument(
                    "--user", default="", help="The account the action is recorded under."
                )
            if name in ("sign", "closure-exception"):
                sub.add_argument(
                    "--password-file",
                    default="",
                    metavar="PATH",
                    help="Read the signing password from this file (mode 600; '-' for standard "
                    "input) instead of asking at the terminal.",
                )
            sub.add_argument("--json", action="store_true")

    def _opening(self, sub: ArgumentParser) -> None:
        sub.add_argument("--title", default="", help="The title, in Chinese.")
        sub.add_argument("--title-en", default="", help="The English title.")
        sub.add_argument("--gtin", action="append", default=[])
        sub.add_argument("--reason", default="", help="The reason, in Chinese.")
        sub.add_argument("--reason-en", default="", help="The reason, in English.")
        sub.add_argument("--regime", action="append", default=[])
        sub.add_argument("--decision-at", default="")

    def _updating(self, sub: ArgumentParser) -> None:
        sub.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="FIELD=VALUE",
            help="A field to change (title, title_en, reason, reason_en, defect_description[_en], "
            "hazard_description[_en], "
            "depth, strategy, progress_interval_days, fda_status_interval_days, decision_at, initiated_at, completed_at, …)",
        )
        sub.add_argument("--decision-at", default="")
        sub.add_argument("--reason", default="", help="Why (audit trail).")

    def _evaluating(self, sub: ArgumentParser) -> None:
        sub.add_argument("--severity", default="")
        sub.add_argument("--likelihood", default="")
        sub.add_argument("--injuries", type=int, default=0)
        sub.add_argument("--deaths", type=int, default=0)
        sub.add_argument("--defect", default=None, help="The defect, in Chinese.")
        sub.add_argument("--defect-en", default=None, help="The defect, in English.")
        sub.add_argument("--harm", default=None, help="The possible harm, in Chinese.")
        sub.add_argument("--harm-en", default=None, help="The possible harm, in English.")

    def _scoping(self, sub: ArgumentParser) -> None:
        sub.add_argument("--kind", default="")
        sub.add_argument("--gtin", action="append", default=[])
        sub.add_argument("--values", default="")
        sub.add_argument("--from", dest="range_from", default="")
        sub.add_argument("--until", dest="range_to", default="")

    def handle(self, *args: Any, **o: Any) -> None:
        try:
            super().handle(*args, **o)
        except DomainError as refused:
            raise refusal(refused) from refused

    def _print(self, body: dict[str, Any], as_json: bool) -> None:
        if as_json:
            self.write_json(body)
        else:
            self.write_fields(body, width=18)

    # -- the subcommands -------------------------------------------------------------------
    def _list(self, o: dict[str, Any]) -> None:
        if o["open"]:
            self._list_open(o)
            return
        rows = [_summary(r) for r in RecallCase.objects.order_by("-created_at")[:200]]
        if o["json"]:
            self.write_json(rows)
            return
        self.stdout.write("\n".join(f"{r['number']}  {r['status']:<20} {r['title']}" for r in rows))

    def _list_open(self, o: dict[str, Any]) -> None:
        from medrecall.cli.command import Everyone
        from medrecall.reporting.portfolio import open_recall_rows, open_recalls_for

        rows = open_recall_rows(list(open_recalls_for(viewer=Everyone())[:200]))
        if o["json"]:
            self.write_json([row.as_dict() for row in rows])
            return
        for row in rows:
            levels = " ".join(f"{lv.regime}:{lv.recall_class or '?'}" for lv in row.levels)
            recovered = (
                f"{row.recovery.percent} %"
                if row.recovery and row.recovery.percent is not None
                else "-"
            )
            deadline = row.next_deadline
            due = f"{deadline.due_at:%Y-%m-%d} {deadline.status}" if deadline else "-"
            if deadline is not None and deadline.partly is not None:
                due += f" ({deadline.progress_note})"
            self.stdout.write(
                f"{row.number}  {row.status:<20} {levels:<16} {recovered:>8}  {due}  {row.title}"
            )

    def _open(self, o: dict[str, Any]) -> None:
        fields: dict[str, Any] = {}
        if o["decision_at"]:
            fields["decision_at"] = _time("decision_at", o["decision_at"])
        recall = services.recall_open(
            actor=user_named(o["user"]),
            title=o["title"],
            products=_models(o["gtin"]),
            reason=o["reason"],
            regimes=o["regime"],
            title_en=o["title_en"],
            reason_en=o["reason_en"],
            **fields,
        )
        self._print(_summary(recall), o["json"])

    def _show(self, o: dict[str, Any]) -> None:
        recall = recall_numbered(o["number"])
        body = _summary(recall)
        body["next"] = {
            str(t): blockers(recall, t)
            for t in Status
            if not any("cannot go" in b for b in blockers(recall, t))
        }
        self._print(body, o["json"])

    def _update(self, o: dict[str, Any]) -> None:
        recall = recall_numbered(o["number"])
        recall = services.recall_update(
            recall=recall,
            version=recall.version,
            change_reason=o["reason"],
            **_changes(o["set"], o["decision_at"]),
            actor=user_named(o["user"]),
        )
        self._print(_summary(recall), o["json"])

    def _evaluate(self, o: dict[str, Any]) -> None:
        recall = recall_numbered(o["number"])
        services.hazard_evaluate(
            recall=recall,
            actor=user_named(o["user"]),
            severity=o["severity"],
            likelihood=o["likelihood"],
            injuries_reported=o["injuries"],
            deaths_reported=o["deaths"],
            **{field: o[option] for option, field in _EVALUATION_TEXTS if o[option] is not None},
        )
        self._print(_summary(recall), o["json"])

    def _classify(self, o: dict[str, Any]) -> None:
        recall = recall_numbered(o["number"])
        user = user_named(o["user"])
        for regime in o["regime"]:
            services.recall_regime_add(recall=recall, regime=regime, actor=user)
            services.recall_classify(
                recall=recall,
                regime=regime,
                recall_class=o["recall_class"],
                actor=user,
                reason=o["reason"],
            )
        self._print(_summary(recall), o["json"])

    def _scope(self, o: dict[str, Any]) -> None:
        recall = recall_numbered(o["number"])
        (model,) = _models(o["gtin"][:1])
        services.scope_rule_add(
            recall=recall,
            actor=user_named(o["user"]),
            kind=o["kind"],
            device_model=model,
            values=[v.strip() for v in o["values"].split(",") if v.strip()],
            range_from=o["range_from"],
            range_to=o["range_to"],
        )
        self._print(_summary(recall), o["json"])

    def _freeze(self, o: dict[str, Any]) -> None:
        recall = recall_numbered(o["number"])
        previous = recall.current_snapshot
        snapshot = services.scope_freeze(recall=recall, actor=user_named(o["user"]))
        body: dict[str, Any] = {
            "snapshot": snapshot.sequence,
            "total_units": snapshot.total_units,
            "total_holders": snapshot.total_holders,
        }
        if previous:
            body["difference"] = services.snapshot_difference(previous, snapshot)
        self._print(body, o["json"])

    def _impact(self, o: dict[str, Any]) -> None:
        current = recall_numbered(o["number"]).current_snapshot
        if current is None:
            raise CommandError("No scope has been frozen for this recall yet.")
        self._print(asdict(selectors.impact_of(current)), o["json"])

    def _transition(self, o: dict[str, Any]) -> None:
        recall = recall_numbered(o["number"])
        services.recall_transition(
            recall=recall, target=o["target"], actor=user_named(o["user"]), reason=o["reason"]
        )
        self._print(_summary(recall), o["json"])

    def _sign(self, o: dict[str, Any]) -> None:
        from medrecall.accounts.signatures import signature_manifest
        from medrecall.recalls.approvals import approval_sign, missing_approvals

        recall = recall_numbered(o["number"])
        user = user_named(o["user"])
        signature = approval_sign(
            recall=recall,
            step=o["step"],
            actor=user,
            password=_signer_password(o, user.username),
            username=user.username,
        )
        self._print(
            {"signature": signature_manifest(signature), "missing": missing_approvals(recall)},
            o["json"],
        )

    def _deadlines(self, o: dict[str, Any]) -> None:
        from medrecall.recalls.deadlines import deadlines_for

        due, missing = deadlines_for(recall_numbered(o["number"]))
        if o["json"]:
            self.write_json(
                {"deadlines": [deadline_row(r) for r in due], "missing_settings": missing}
            )
            return
        # One line per deadline (a deadline partly met says how far it got), then what is missing.
        self.stdout.write("\n".join([*map(deadline_line, due), *missing]))

    def _progress(self, o: dict[str, Any]) -> None:
        from medrecall.reporting.cost import cost_of
        from medrecall.reporting.progress import recall_progress

        recall = recall_numbered(o["number"])
        body = {**recall_progress(recall).as_dict(), "cost": cost_of(recall).as_dict()}
        if o["json"]:
            self.write_json(body)
            return
        self.write_fields(_progress_fields(body), width=24)

    def _closure(self, o: dict[str, Any]) -> None:
        from medrecall.recalls.closure import closure_report

        self._print(closure_report(recall_numbered(o["number"])).as_dict(), o["json"])

    def _closure_exception(self, o: dict[str, Any]) -> None:
        from medrecall.recalls.closure import closure_exception_sign, closure_report

        recall = recall_numbered(o["number"])
        user = user_named(o["user"])
        closure_exception_sign(
            recall=recall,
            actor=user,
            reason=o["reason"],
            password=_signer_password(o, user.username),
            username=user.username,
        )
        self._print(closure_report(recall).as_dict(), o["json"])
