"""Which actions a record's state allows: one mechanism for every state machine.

Each context keeps, beside its transitions, a table ``status → frozenset of actions`` (the
recall case in ``recalls/lifecycle.py``; returns, dispositions and work orders in
``execution/lifecycle.py``). ``state_blockers`` reads such a table and says, in words a user
can act on, why an action is refused; ``state_require`` raises ``ActionNotAllowed`` with
those words. Services call it first, before they write anything, so a refusal leaves no
row, no audit entry and no mail. The interfaces show the same words: the web beside a
hidden form, the API as HTTP 409, the CLI as its error message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import models
from django.utils.translation import gettext as _

# re-exported: callers catch it here too
from .errors import ActionNotAllowed as ActionNotAllowed


def _label(choices: type[models.TextChoices], value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return value


def state_blockers(
    *,
    allowed: Mapping[Any, frozenset[Any]],
    statuses: type[models.TextChoices],
    status: str,
    action: models.TextChoices,
    record: str,
) -> list[str]:
    """Why ``action`` is refused for ``record`` in ``status`` (empty: allowed).

    ``record`` names the record in the sentence ("recall RC-2026-0001", "return RA-2026-00001")."""
    if action in allowed.get(status, frozenset()):
        return []
    where = [
        _label(statuses, str(s)) for s in statuses.values if action in allowed.get(s, frozenset())
    ]
    if where:
        return [
            _(
                "%(action)s is not possible while %(record)s is %(status)s (possible when it is: %(allowed)s)."
            )
            % {
                "action": action.label,
                "record": record,
                "status": _label(statuses, status),
                "allowed": ", ".join(where),
            }
        ]
    return [
        _("%(action)s is not possible while %(record)s is %(status)s.")
        % {"action": action.label, "record": record, "status": _label(statuses, status)}
    ]


def state_require(
    *,
    allowed: Mapping[Any, frozenset[Any]],
    statuses: type[models.TextChoices],
    status: str,
    action: models.TextChoices,
    record: str,
) -> None:
    """Raise ``ActionNotAllowed`` (every reason in ``details``) unless the state allows the action."""
    if problems := state_blockers(
        allowed=allowed, statuses=statuses, status=status, action=action, record=record
    ):
        raise ActionNotAllowed(problems[0], where="status", details=problems)
