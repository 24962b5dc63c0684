"""``medrecall queue ROLE --user U``: a person's work queue for one of their roles, as the home
page and ``GET /api/queues/{role}/`` show it (the same selectors, ``reporting.queues``).

  medrecall queue customer_service|warehouse|field_service|qa_ra_manager|finance --user U
                  [--limit N] [--offset N] [--json]

Each section is listed with its count, then the items of every section in turn from
``--offset`` (default 0), at most ``--limit`` (default 50). A role with no queue, or one the user
does not hold, is refused (exit status 1)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from medrecall.accounts import selectors as accounts
from medrecall.cli.command import ProductCommand
from medrecall.cli.lookups import found, refusal
from medrecall.core.errors import DomainError
from medrecall.reporting.queues import QUEUES, QueueItems, queue_for, queue_label


def _count(text: str) -> int:
    if not text.isdigit():
        raise CommandError(f"Give a whole number of 0 or more, not {text!r}.")
    return int(text)


class Command(ProductCommand):
    help = "A user's work queue for one of their roles: each section's count and its items."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("role", metavar="ROLE", help=f"One of: {', '.join(QUEUES)}.")
        parser.add_argument("--user", default="", help="Whose queue (a user name).")
        parser.add_argument("--limit", type=_count, default=50, help="Items at most (50).")
        parser.add_argument("--offset", type=_count, default=0, help="Items to skip (0).")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **o: Any) -> None:
        if not o["user"].strip():
            raise CommandError("Give --user: whose queue to list.")
        user = found(lambda: accounts.user_named(username=o["user"]))
        try:
            sections = queue_for(viewer=user, role=o["role"])
        except DomainError as refused:
            raise refusal(refused) from refused
        items = QueueItems(sections)
        page = items[o["offset"] : o["offset"] + o["limit"]]
        if o["json"]:
            self.write_json(
                {
                    "role": o["role"],
                    "title": queue_label(o["role"]),
                    "sections": [
                        {"key": s.key, "title": str(s.label), "count": n}
                        for s, n in zip(sections, items.counts, strict=True)
                    ],
                    "count": len(items),
                    "offset": o["offset"],
                    "results": [item.as_dict() for item in page],
                }
            )
            return
        self.stdout.write(f"{queue_label(o['role'])}: {len(items)}")
        for section, count in zip(sections, items.counts, strict=True):
            self.stdout.write(f"  {section.label}: {count}")
        for item in page:
            due = f"{item.due_at:%Y-%m-%d %H:%M %Z}" if item.due_at else "-"
            late = " LATE" if item.overdue else ""
            self.stdout.write(
                f"{item.section:<15} {due:<20} {item.reference:<16} {item.recall:<14} "
                f"{item.subject}{late}  {item.action_url}"
            )
