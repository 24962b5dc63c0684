"""``medrecall company show|set``: the company's identifiers the filings and notices print
(FDA establishment registration number, EU SRN, the registrant as registered with NMPA)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from medrecall.accounts.company import CHANGE, FIELDS, company_identity, company_identity_set
from medrecall.cli.command import ProductCommand
from medrecall.cli.lookups import refusal, user_named
from medrecall.core.errors import DomainError


class Command(ProductCommand):
    help = "Show or set the company's identifiers the filings and notices print."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = self.subcommands(parser, dest="action")
        actions.add("show", self._show, help="The identifiers as the documents print them.")
        changed = actions.add("set", self._set, help="Change some identifiers (audited).")
        for key in FIELDS:
            changed.add_argument(f"--{key.replace('_', '-')}", dest=key, default=None)
        changed.add_argument("--user", default="", help="The account the change is recorded under.")
        for sub in actions.parsers.values():
            sub.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **o: Any) -> None:
        try:
            super().handle(*args, **o)
        except DomainError as refused:
            raise refusal(refused) from refused

    def _print(self, company: dict[str, Any], as_json: bool) -> None:
        row = {key: str(company.get(key, "")) for key in FIELDS}
        if as_json:
            self.write_json(row)
            return
        self.write_fields(row, width=16)

    def _show(self, o: dict[str, Any]) -> None:
        self._print(company_identity(), o["json"])

    def _set(self, o: dict[str, Any]) -> None:
        user = user_named(o["user"])
        if not user.has_perm(CHANGE):
            raise CommandError(
                _("%(user)s may not change the company's identifiers.") % {"user": user.username}
            )
        values = {key: o[key] for key in FIELDS if o.get(key) is not None}
        if not values:
            raise CommandError(_("Give at least one value to set, e.g. --fda-registration."))
        self._print(company_identity_set(actor=user, values=values), o["json"])
