"""What the commands look up by the names a user types (a user name, a recall number, a
party code), each refusing with a message that says what was not found."""

from __future__ import annotations

from django.core.management.base import CommandError

from medrecall.accounts.models import User
from medrecall.core.errors import DomainError
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase


def user_named(name: str) -> User:
    user = User.objects.filter(username=name).first() if name else None
    if user is None:
        raise CommandError("Give --user: the account this action is recorded under.")
    return user


def recall_numbered(number: str) -> RecallCase:
    recall = RecallCase.objects.filter(number=number).first()
    if recall is None:
        raise CommandError(f"No recall numbered {number!r}.")
    return recall


def party_coded(code: str) -> Party:
    party = Party.objects.filter(code=code).first()
    if party is None:
        raise CommandError(f"No party with the code {code!r}.")
    return party


def refusal(refused: DomainError) -> CommandError:
    """A refused action as a command error: the message and every detail not already in it."""
    details = refused.details if isinstance(refused.details, list) else []
    extra = [d["message"] if isinstance(d, dict) and "message" in d else str(d) for d in details]
    return CommandError(
        " ".join([refused.message, *[d for d in extra if d not in refused.message]])
    )
