"""How the commands show what several of them print: one row builder each, so that
``medrecall recall deadlines`` and ``medrecall deadlines due`` cannot drift apart."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

# For the annotation only: the deadlines module loads the holiday calendars (about 40 ms),
# which `medrecall recall show|list` does not need.
if TYPE_CHECKING:
    from medrecall.recalls.deadlines import DeadlineRow


def deadline_row(row: DeadlineRow) -> dict[str, Any]:
    """A deadline as the commands' JSON shows it (with ``provisional`` and the calendar years
    missing where the working-day calendar does not reach the due date)."""
    return {
        "key": row.key,
        "title": row.title,
        "due_at": row.due_at.isoformat(),
        "status": row.status,
        "legal": row.legal,
        **row.provisional_fields(),
        "provisional_note": row.provisional_note,
        "not_owed": row.not_owed,
        "not_owed_label": row.not_owed_label,
        **row.progress_fields(),
    }


def deadline_line(row: DeadlineRow, *, with_recall: bool = False) -> str:
    """A deadline as the commands' text shows it: due time, status, (the recall,) title, then in
    parentheses how far a deadline partly met got ("Submitted to 1 of 4 authorities") and
    whether its due date is provisional, or why it is not owed."""
    provisional = "" if row.not_owed else row.provisional_note
    notes = (row.progress_note, provisional, row.not_owed_label)
    noted = "".join(f"  ({note})" for note in notes if note)
    recall = f" {row.recall_number} " if with_recall else ""
    return f"{row.due_at:%Y-%m-%d %H:%M %Z}  {row.status:<9}{recall} {row.title}{noted}"


def error_answer(refused: Exception) -> dict[str, Any]:
    """A refusal as ``--json`` prints it: ``{"error": {"code", "message", "where"}}``. A
    ``DomainError`` gives its own code and field; a ``CommandError`` raised for one (a look-up
    by number) gives that error's; any other ``CommandError`` is ``invalid`` with no field."""
    from medrecall.core.errors import DomainError

    cause = refused if isinstance(refused, DomainError) else refused.__cause__
    if isinstance(cause, DomainError):
        code, where = cause.code, cause.where or ""
    else:
        code, where = "invalid", ""
    if getattr(refused, "returncode", 1) == 2:  # a CommandError for a missing option or word
        code = "usage"
    message = str(refused) if not isinstance(refused, DomainError) else refused.message
    return {"error": {"code": code, "message": message, "where": where}}


def usage_answer(message: str) -> dict[str, Any]:
    """A usage error (an option argparse refuses) as ``--json`` prints it: the shape of
    ``error_answer`` with the code ``usage``."""
    return {"error": {"code": "usage", "message": message, "where": ""}}
