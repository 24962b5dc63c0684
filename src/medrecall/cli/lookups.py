"""What the commands look up by the names a user types (a user name, a recall number, a
party code): a thin adapter over the contexts' look-ups (``parties.selectors.party_coded``,
``recalls.selectors.recall_numbered``, ``accounts.selectors.user_named``). Their ``NotFound``
becomes a command error with the same translated message, so the command exits with status 1."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from medrecall.accounts import selectors as accounts
from medrecall.accounts.models import User
from medrecall.core.errors import DomainError, NotFound
from medrecall.parties import selectors as parties
from medrecall.parties.models import Party
from medrecall.recalls import selectors as recalls
from medrecall.recalls.models import RecallCase

T = TypeVar("T")


def user_named(name: str) -> User:
    try:
        return accounts.user_named(username=name)
    except NotFound as missing:
        # the account is the one the action is recorded under: say which option names it
        raise CommandError("Give --user: the account this action is recorded under.") from missing


def recall_numbered(number: str) -> RecallCase:
    if not number.strip():
        raise CommandError(_("Give the recall number (e.g. RC-2026-0001)."))
    return found(lambda: recalls.recall_numbered(number=number))


def party_coded(code: str) -> Party:
    if not code.strip():
        raise CommandError(_("Give the party code."))
    return found(lambda: parties.party_coded(code=code))


def found(lookup: Callable[[], T]) -> T:
    """What a context's look-up answers; its ``NotFound`` as a command error (exit status 1)."""
    try:
        return lookup()
    except NotFound as missing:
        raise refusal(missing) from missing


def refusal(refused: DomainError) -> CommandError:
    """A refused action as a command error: the message and every detail not already in it."""
    details = refused.details if isinstance(refused.details, list) else []
    extra = [d["message"] if isinstance(d, dict) and "message" in d else str(d) for d in details]
    return CommandError(
        " ".join([refused.message, *[d for d in extra if d not in refused.message]])
    )
