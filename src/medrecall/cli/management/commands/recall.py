"""``medrecall recall …``: the recall case from the command line.

  medrecall recall open --title T [--title-en T] --gtin GTIN [--gtin …] [--reason R] [--reason-en R]
                        [--regime nmpa|fda|eu_mdr …] --user U
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

``--user`` names the account the action is recorded under (the audit trail needs a person).
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from dataclasses import asdict
from datetime import datetime
from typing import Any

from django.core.management.base import CommandError

from medrecall.accounts.models import User
from medrecall.catalog.models import DeviceModel
from medrecall.cli.command import ProductCommand
from medrecall.cli.lookups import recall_numbered, user_named
from medrecall.core.errors import DomainError
from medrecall.core.gtin import normalise_gtin
from medrecall.recalls import selectors, services
from medrecall.recalls.lifecycle import Status, blockers
from medrecall.recalls.models import RecallCase


class Command(ProductCommand):
    help = "Open, evaluate, classify, scope, freeze, show impact and move recalls along their lifecycle."
    stealth_options = ("stdin",)  # tests hand in a fake terminal

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "action",
            choices=[
                "open",
                "show",
                "update",
                "evaluate",
                "classify",
                "scope",
                "freeze",
                "impact",
                "transition",
                "list",
                "sign",
                "deadlines",
                "closure",
                "closure-exception",
            ],
        )
        parser.add_argument("number", nargs="?", default="")
        parser.add_argument("--user", default="")
        parser.add_argument("--title", default="")
        parser.add_argument("--gtin", action="append", default=[])
        parser.add_argument("--reason", default="")
        parser.add_argument(
            "--title-en", default="", help="open: the English title (--title is the Chinese one)"
        )
        parser.add_argument(
            "--reason-en", default="", help="open: the reason in English (--reason: in Chinese)"
        )
        parser.add_argument("--defect", default=None, help="evaluate: the defect, in Chinese")
        parser.add_argument("--defect-en", default=None, help="evaluate: the defect, in English")
        parser.add_argument("--harm", default=None, help="evaluate: the possible harm, in Chinese")
        parser.add_argument(
            "--harm-en", default=None, help="evaluate: the possible harm, in English"
        )
        parser.add_argument("--regime", action="append", default=[])
        parser.add_argument("--decision-at", default="")
        parser.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="FIELD=VALUE",
            help="update: a field to change (title, title_en, reason, reason_en, defect_description[_en], "
            "hazard_description[_en], "
            "depth, strategy, progress_interval_days, decision_at, initiated_at, completed_at, …)",
        )
        parser.add_argument("--severity", default="")
        parser.add_argument("--likelihood", default="")
        parser.add_argument("--injuries", type=int, default=0)
        parser.add_argument("--deaths", type=int, default=0)
        parser.add_argument("--class", dest="recall_class", default="")
        parser.add_argument("--kind", default="")
        parser.add_argument("--values", default="")
        parser.add_argument("--from", dest="range_from", default="")
        parser.add_argument("--to", dest="target", default="")
        parser.add_argument("--until", dest="range_to", default="")
        parser.add_argument("--step", default="")
        parser.add_argument(
            "--password-file",
            default="",
            metavar="PATH",
            help="sign: read the signing password from this file (mode 600; '-' for standard input) "
            "instead of asking at the terminal",
        )
        parser.add_argument("--json", action="store_true")

    def _user(self, name: str) -> User:
        return user_named(name)

    def _recall(self, number: str) -> RecallCase:
        return recall_numbered(number)

    def _models(self, gtins: list[str]) -> list[DeviceModel]:
        wanted = {normalise_gtin(g) for g in gtins}
        found = list(DeviceModel.objects.filter(udi_di__in=wanted))
        if missing := wanted - {m.udi_di for m in found}:
            raise CommandError(f"No device model has GTIN {', '.join(sorted(missing))}.")
        return found

    def _print(self, body: dict[str, Any], as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps(body, ensure_ascii=False, indent=2, default=str))
        else:
            for key, value in body.items():
                self.stdout.write(f"{key:>18}: {value}")

    def _summary(self, recall: RecallCase) -> dict[str, Any]:
        recall.refresh_from_db()
        snapshot = recall.current_snapshot
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
            "scope": {
                "snapshot": snapshot.sequence,
                "units": snapshot.total_units,
                "holders": snapshot.total_holders,
            }
            if snapshot
            else None,
        }

    def handle(self, *args: Any, **o: Any) -> None:
        try:
            self._handle(o)
        except DomainError as refused:
            details = refused.details if isinstance(refused.details, list) else []
            raise CommandError(
                " ".join([refused.message, *[d for d in details if d not in refused.message]])
            ) from refused

    def _handle(self, o: dict[str, Any]) -> None:
        action = o["action"]
        if action == "list":
            rows = [self._summary(r) for r in RecallCase.objects.order_by("-created_at")[:200]]
            self.stdout.write(
                json.dumps(rows, ensure_ascii=False, indent=2)
                if o["json"]
                else "\n".join(f"{r['number']}  {r['status']:<20} {r['title']}" for r in rows)
            )
            return
        if action == "open":
            fields: dict[str, Any] = {}
            if o["decision_at"]:
                fields["decision_at"] = datetime.fromisoformat(o["decision_at"])
            recall = services.recall_open(
                actor=self._user(o["user"]),
                title=o["title"],
                products=self._models(o["gtin"]),
                reason=o["reason"],
                regimes=o["regime"],
                title_en=o["title_en"],
                reason_en=o["reason_en"],
                **fields,
            )
            self._print(self._summary(recall), o["json"])
            return
        recall = self._recall(o["number"])
        if action == "show":
            body = self._summary(recall)
            body["next"] = {
                str(t): blockers(recall, t)
                for t in Status
                if not any("cannot go" in b for b in blockers(recall, t))
            }
            self._print(body, o["json"])
        elif action == "update":
            changes: dict[str, Any] = {}
            for assignment in o["set"]:
                field, sep, value = assignment.partition("=")
                if not sep:
                    raise CommandError(f"--set {assignment!r}: write FIELD=VALUE.")
                changes[field.strip()] = value
            if o["decision_at"]:
                changes["decision_at"] = o["decision_at"]
            for field in ("decision_at", "initiated_at", "completed_at"):
                if field in changes:
                    try:
                        changes[field] = datetime.fromisoformat(changes[field])
                    except ValueError as bad:
                        raise CommandError(
                            f"{field}: {changes[field]!r} is not an ISO date and time."
                        ) from bad
            if not changes:
                raise CommandError("Give what to change: --set FIELD=VALUE (or --decision-at).")
            recall = services.recall_update(
                recall=recall,
                actor=self._user(o["user"]),
                version=recall.version,
                change_reason=o["reason"],
                **changes,
            )
            self._print(self._summary(recall), o["json"])
        elif action == "evaluate":
            services.hazard_evaluate(
                recall=recall,
                actor=self._user(o["user"]),
                severity=o["severity"],
                likelihood=o["likelihood"],
                injuries_reported=o["injuries"],
                deaths_reported=o["deaths"],
                **{
                    field: o[option]
                    for option, field in (
                        ("defect", "defect_description"),
                        ("defect_en", "defect_description_en"),
                        ("harm", "hazard_description"),
                        ("harm_en", "hazard_description_en"),
                    )
                    if o[option] is not None
                },
            )
            self._print(self._summary(recall), o["json"])
        elif action == "classify":
            user = self._user(o["user"])
            for regime in o["regime"]:
                services.recall_regime_add(recall=recall, regime=regime, actor=user)
                services.recall_classify(
                    recall=recall,
                    regime=regime,
                    recall_class=o["recall_class"],
                    actor=user,
                    reason=o["reason"],
                )
            self._print(self._summary(recall), o["json"])
        elif action == "scope":
            (model,) = self._models(o["gtin"][:1])
            services.scope_rule_add(
                recall=recall,
                actor=self._user(o["user"]),
                kind=o["kind"],
                device_model=model,
                values=[v.strip() for v in o["values"].split(",") if v.strip()],
                range_from=o["range_from"],
                range_to=o["range_to"],
            )
            self._print(self._summary(recall), o["json"])
        elif action == "freeze":
            previous = recall.current_snapshot
            snapshot = services.scope_freeze(recall=recall, actor=self._user(o["user"]))
            body = {
                "snapshot": snapshot.sequence,
                "total_units": snapshot.total_units,
                "total_holders": snapshot.total_holders,
            }
            if previous:
                body["difference"] = services.snapshot_difference(previous, snapshot)
            self._print(body, o["json"])
        elif action == "impact":
            current = recall.current_snapshot
            if current is None:
                raise CommandError("No scope has been frozen for this recall yet.")
            self._print(asdict(selectors.impact_of(current)), o["json"])
        elif action == "sign":
            from medrecall.accounts.signatures import signature_manifest
            from medrecall.cli.signing import signing_password
            from medrecall.recalls.approvals import approval_sign, missing_approvals

            user = self._user(o["user"])
            password = signing_password(
                username=user.username, password_file=o["password_file"], stdin=o.get("stdin")
            )
            signature = approval_sign(
                recall=recall, step=o["step"], actor=user, password=password, username=user.username
            )
            self._print(
                {"signature": signature_manifest(signature), "missing": missing_approvals(recall)},
                o["json"],
            )
        elif action == "deadlines":
            from medrecall.recalls.deadlines import deadlines_for

            due, missing = deadlines_for(recall)
            self._print(
                {
                    "deadlines": [
                        {
                            "key": r.key,
                            "title": r.title,
                            "due_at": r.due_at.isoformat(),
                            "status": r.status,
                            "legal": r.legal,
                            **r.provisional_fields(),
                            "provisional_note": r.provisional_note,
                        }
                        for r in due
                    ],
                    "missing_settings": missing,
                },
                o["json"],
            )
        elif action == "closure":
            from medrecall.recalls.closure import closure_report

            self._print(closure_report(recall).as_dict(), o["json"])
        elif action == "closure-exception":
            from medrecall.cli.signing import signing_password
            from medrecall.recalls.closure import closure_exception_sign, closure_report

            user = self._user(o["user"])
            password = signing_password(
                username=user.username, password_file=o["password_file"], stdin=o.get("stdin")
            )
            closure_exception_sign(
                recall=recall,
                actor=user,
                reason=o["reason"],
                password=password,
                username=user.username,
            )
            self._print(closure_report(recall).as_dict(), o["json"])
        elif action == "transition":
            services.recall_transition(
                recall=recall, target=o["target"], actor=self._user(o["user"]), reason=o["reason"]
            )
            self._print(self._summary(recall), o["json"])
