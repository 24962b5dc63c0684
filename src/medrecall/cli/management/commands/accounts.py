"""``medrecall accounts locked [--json]`` and ``medrecall accounts unlock USER --reason R --user ADMIN
[--address IP]``: log-ins locked after failed attempts, and the audited unlock."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from medrecall.accounts import lockout
from medrecall.cli.command import ProductCommand
from medrecall.cli.lookups import refusal, user_named
from medrecall.core.errors import DomainError
from medrecall.core.presentation import local_time


class Command(ProductCommand):
    help = (
        "Log-ins locked after failed attempts: 'locked' lists them, 'unlock USER' lifts the lock "
        "(recorded in the audit trail under --user with --reason)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = self.subcommands(parser, dest="action")
        locked = actions.add("locked", self._locked, help="The log-ins locked now.")
        locked.add_argument("--json", action="store_true")
        unlock = actions.add("unlock", self._unlock, help="Lift a lock (audited).")
        unlock.add_argument("username", nargs="?", default="", help="The locked user name.")
        unlock.add_argument("--address", default="", help="Only from this client address.")
        unlock.add_argument("--reason", default="", help="Why (audit trail).")
        unlock.add_argument(
            "--user", default="", help="The administrator the unlock is recorded under."
        )

    def _locked(self, o: dict[str, Any]) -> None:
        found = lockout.lockouts_active()
        if o["json"]:
            self.stdout.write(
                json.dumps([lock.as_dict() for lock in found], ensure_ascii=False, indent=2)
            )
            return
        if not found:
            self.stdout.write(_("No log-in is locked."))
        for lock in found:
            until = local_time(lock.locked_until) if lock.locked_until else _("until unlocked")
            self.stdout.write(
                _(
                    "%(username)s from %(address)s: %(failures)s failed attempts, locked until "
                    "%(until)s"
                )
                % {
                    "username": lock.username,
                    "address": lock.ip_address,
                    "failures": lock.failures,
                    "until": until,
                }
            )

    def _unlock(self, o: dict[str, Any]) -> None:
        if not o["username"]:
            raise CommandError(_("Give the user name to unlock."))
        try:
            actor = lockout.lockout_viewer(user_named(o["user"]), unlock=True)
        except PermissionDenied as denied:
            raise CommandError(
                _("%(user)s may not unlock log-ins.") % {"user": o["user"]}
            ) from denied
        try:
            lifted = lockout.login_unlock(
                username=o["username"], actor=actor, reason=o["reason"], ip_address=o["address"]
            )
        except DomainError as refused:
            raise refusal(refused) from refused
        self.stdout.write(
            _("The account “%(username)s” is unlocked (%(addresses)s).")
            % {
                "username": o["username"].strip(),
                "addresses": ", ".join(lock.ip_address for lock in lifted),
            }
        )
