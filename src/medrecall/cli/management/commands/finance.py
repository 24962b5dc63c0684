"""``medrecall finance …``: the costs of a recall. Each area is declared in its own module:

  ledger, rates, unit costs and provider rates   medrecall/cli/finance_ledger.py
  budget, forecast, alerts and reports           medrecall/cli/finance_budget.py
  vendor quotes, refunds and payments            medrecall/cli/finance_payables.py

Every subcommand answers with ``--json`` for scripts; refusals exit with status 1 and the
message. Each subcommand has its own ``--help`` (``medrecall finance ledger post --help``).
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from medrecall.cli import finance_budget, finance_ledger, finance_payables
from medrecall.cli.command import ProductCommand, Subcommands
from medrecall.core.errors import DomainError


class Command(ProductCommand):
    help = "The costs of a recall: ledger, rates, budget and forecast, quotes, refunds."

    def add_arguments(self, parser: ArgumentParser) -> None:
        areas = self.subcommands(parser, dest="area")
        for module in (finance_ledger, finance_budget, finance_payables):
            module.declare(areas)
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
            self.stdout.write(
                result.get("message") or json.dumps(result, ensure_ascii=False, default=str)
            )


def _leaves(areas: Subcommands) -> list[ArgumentParser]:
    """The parsers that run a handler, however deep their group."""
    leaves: list[ArgumentParser] = []
    for name, parser in areas.parsers.items():
        group = areas.groups.get(name)
        leaves.extend(_leaves(group) if group else [parser])
    return leaves
