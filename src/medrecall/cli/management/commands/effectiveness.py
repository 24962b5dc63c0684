"""``medrecall effectiveness …``: effectiveness checks and completion of a recall.

medrecall effectiveness plan NUMBER --regime nmpa|fda|eu_mdr --level A-E [--share N] --user U [--json]
medrecall effectiveness sample NUMBER --regime R [--seed N] [--size N] --user U [--json]
medrecall effectiveness check NUMBER --party CODE --contacted phone|email|visit|letter
                              --received yes|no --followed yes|no [--units N] [--note T]
                              [--regime R] --user U [--json]
medrecall effectiveness results NUMBER [--json]
medrecall effectiveness completion NUMBER [--record] [--json]
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from medrecall.cli.command import ProductCommand
from medrecall.cli.lookups import party_coded, recall_numbered, refusal, user_named
from medrecall.core.errors import DomainError

YES_NO = {"yes": True, "no": False}


class Command(ProductCommand):
    help = "Effectiveness-check levels, samples, checks, results and the completion of a recall."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = self.subcommands(parser, dest="action")
        plan = actions.add(
            "plan", self._plan, help="Set the effectiveness-check level of a regime."
        )
        plan.add_argument("--regime", required=True)
        plan.add_argument("--level", required=True, help="A, B, C, D or E.")
        plan.add_argument("--share", type=int, default=None, help="Level B: 10 to 100 (%%).")
        sample = actions.add("sample", self._sample, help="Draw the sample of a regime.")
        sample.add_argument("--regime", required=True)
        sample.add_argument("--seed", type=int, default=None, help="Blank: a new random seed.")
        sample.add_argument("--size", type=int, default=None, help="Blank: from the level.")
        check = actions.add("check", self._check, help="Record the check of a sampled consignee.")
        check.add_argument("--party", required=True, help="The holder's party code.")
        check.add_argument("--regime", default="")
        check.add_argument("--contacted", required=True, help="phone, email, visit or letter.")
        check.add_argument("--received", required=True, choices=sorted(YES_NO))
        check.add_argument("--followed", required=True, choices=sorted(YES_NO))
        check.add_argument("--units", type=int, default=0, help="Units found at the holder.")
        check.add_argument("--note", default="")
        actions.add("results", self._results, help="Results per regime and level.")
        completion = actions.add(
            "completion", self._completion, help="Whether every unit is accounted for."
        )
        completion.add_argument(
            "--record",
            action="store_true",
            help="Record the completion date now if the recall is complete and none is recorded.",
        )
        for name, sub in actions.parsers.items():
            sub.add_argument("number", metavar="NUMBER", help="The recall number.")
            if name in ("plan", "sample", "check"):
                sub.add_argument(
                    "--user", required=True, help="The account the action is recorded under."
                )
            sub.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **o: Any) -> None:
        try:
            super().handle(*args, **o)
        except DomainError as refused:
            raise refusal(refused) from refused

    def _print(self, body: Any, as_json: bool) -> None:
        if as_json:
            self.write_json(body)
        elif isinstance(body, list):
            for row in body:
                self.write_fields(row, width=24)
                self.stdout.write("")
        else:
            self.write_fields(body, width=24)

    def _plan(self, o: dict[str, Any]) -> None:
        from medrecall.effectiveness import selectors, services

        recall = recall_numbered(o["number"])
        services.plan_set(
            recall=recall,
            regime=o["regime"],
            level=o["level"],
            share=o["share"],
            actor=user_named(o["user"]),
        )
        self._print([r.as_dict() for r in selectors.results(recall)], o["json"])

    def _sample(self, o: dict[str, Any]) -> None:
        from medrecall.effectiveness import selectors, services

        recall = recall_numbered(o["number"])
        sample = services.sample_draw(
            recall=recall,
            regime=o["regime"],
            seed=o["seed"],
            size=o["size"],
            actor=user_named(o["user"]),
        )
        body = {
            "regime": o["regime"],
            "seed": sample.seed,
            "consignees": sample.population,
            "size": sample.size,
            "sampled": [
                {"party": m.party.code, "stratum": m.stratum, "units": m.units}
                for m in selectors.sample_members(sample)
            ],
        }
        self._print(body, o["json"])

    def _check(self, o: dict[str, Any]) -> None:
        from medrecall.effectiveness import services

        recall = recall_numbered(o["number"])
        if o["units"] < 0:
            raise CommandError("--units is a whole number from 0.")
        check = services.check_record(
            recall=recall,
            party=party_coded(o["party"]),
            regime=o["regime"],
            contacted_how=o["contacted"],
            notice_received=YES_NO[o["received"]],
            instructions_followed=YES_NO[o["followed"]],
            units_found=o["units"],
            note=o["note"],
            actor=user_named(o["user"]),
        )
        body = {
            "check": check.pk,
            "party": o["party"],
            "passed": check.passed,
            "renotified_notices": check.renotified_notices,
            "escalated": check.escalated_at is not None,
        }
        self._print(body, o["json"])

    def _results(self, o: dict[str, Any]) -> None:
        from medrecall.effectiveness import selectors

        self._print(
            [r.as_dict() for r in selectors.results(recall_numbered(o["number"]))], o["json"]
        )

    def _completion(self, o: dict[str, Any]) -> None:
        from medrecall.effectiveness import selectors
        from medrecall.effectiveness.completion import completion_refresh

        recall = recall_numbered(o["number"])
        if o["record"]:
            completion_refresh(recall=recall)
        state = selectors.completion_of(recall)
        body = state.as_dict()
        body["outstanding_holders"] = selectors.outstanding_at_holders(recall).count()
        self._print(body, o["json"])
