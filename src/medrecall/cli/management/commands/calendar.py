"""``medrecall calendar list|coverage|import FILE|set DATE|delete DATE|mark-entered YEAR``:
the working-day calendars behind the compliance clock (holidays, make-up working days)."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.utils import timezone

from medrecall.cli.command import ProductCommand
from medrecall.cli.lookups import refusal, user_named
from medrecall.core import calendars
from medrecall.core.errors import DomainError, ImportRejected
from medrecall.core.models import DayKind
from medrecall.recalls import calendars as calendar_services


class Command(ProductCommand):
    help = "List, import and edit the working-day calendars (holidays and make-up working days)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "action", choices=["list", "coverage", "import", "set", "delete", "mark-entered"]
        )
        parser.add_argument(
            "value", nargs="?", default="", help="FILE (import), DATE (set/delete) or YEAR."
        )
        parser.add_argument("--calendar", default="CN", choices=list(calendars.CALENDARS))
        parser.add_argument("--year", type=int, default=None, help="list: only this year.")
        parser.add_argument("--kind", choices=list(DayKind.values), default="")
        parser.add_argument("--name", default="")
        parser.add_argument(
            "--note", default="", help="mark-entered: where the arrangement was published."
        )
        parser.add_argument("--user", default="", help="The account the change is recorded under.")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **o: Any) -> None:
        try:
            self._run(o)
        except ImportRejected as refused:
            for error in refused.errors:
                self.stderr.write(str(error))
            raise CommandError(refused.message) from refused
        except DomainError as refused:
            raise refusal(refused) from refused

    def _run(self, o: dict[str, Any]) -> None:
        action, calendar = o["action"], o["calendar"]
        if action == "list":
            entries = calendars.entries_list(calendar=calendar, year=o["year"])
            rows = [
                {"calendar": e.calendar, "date": e.date.isoformat(), "kind": e.kind, "name": e.name}
                for e in entries
            ]
            if o["json"]:
                self._json(rows)
            for row in [] if o["json"] else rows:
                self.stdout.write(
                    f"{row['calendar']}  {row['date']}  {row['kind']:<8} {row['name']}"
                )
            return
        if action == "coverage":
            found = [
                c.as_dict()
                for c in calendars.coverage(today=timezone.localdate(), calendar=calendar)
            ]
            if o["json"]:
                self._json(found)
                return
            for c in found:
                self.stdout.write(
                    f"{c['calendar']}  {c['year']}  {c['source']:<12} entries: {c['entries']}"
                )
            for end in calendars.calendar_ends(today=timezone.localdate()):
                self.stderr.write(end.message())
            return
        actor = user_named(o["user"])
        if action == "import":
            path = Path(o["value"])
            if not o["value"] or not path.is_file():
                raise CommandError(f"No file {o['value']!r}.")
            result = calendar_services.calendar_import(
                content=path.read_bytes(), file_name=path.name, actor=actor
            )
            self._out(result.as_dict(), o["json"])
        elif action == "set":
            entry = calendar_services.calendar_entry_set(
                calendar=calendar,
                day=self._date(o["value"]),
                kind=o["kind"],
                name=o["name"],
                actor=actor,
            )
            self._out(
                {
                    "calendar": entry.calendar,
                    "date": entry.date.isoformat(),
                    "kind": entry.kind,
                    "name": entry.name,
                },
                o["json"],
            )
        elif action == "delete":
            day = self._date(o["value"])
            calendar_services.calendar_entry_delete(calendar=calendar, day=day, actor=actor)
            self._out({"calendar": calendar, "date": day.isoformat(), "deleted": True}, o["json"])
        else:
            if not o["value"].isdigit():
                raise CommandError("Give the YEAR to mark entered.")
            mark = calendar_services.calendar_year_mark_entered(
                calendar=calendar, year=int(o["value"]), actor=actor, note=o["note"]
            )
            self._out({"calendar": mark.calendar, "year": mark.year, "entered": True}, o["json"])

    def _date(self, value: str) -> date:
        try:
            return date.fromisoformat(value)
        except ValueError as error:
            raise CommandError(f"{value!r} is not a date in the form YYYY-MM-DD.") from error

    def _json(self, body: Any) -> None:
        self.stdout.write(json.dumps(body, ensure_ascii=False, indent=2))

    def _out(self, body: dict[str, Any], as_json: bool) -> None:
        if as_json:
            self._json(body)
            return
        for key, value in body.items():
            self.stdout.write(f"{key:>10}: {value}")
