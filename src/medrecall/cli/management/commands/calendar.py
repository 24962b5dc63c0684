"""``medrecall calendar list|coverage|import FILE|set DATE|delete DATE|mark-entered YEAR``:
the working-day calendars behind the compliance clock (holidays, make-up working days)."""

from __future__ import annotations

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
        actions = self.subcommands(parser, dest="action")
        listing = actions.add("list", self._list, help="The calendar's entries.")
        listing.add_argument("--year", type=int, default=None, help="Only this year.")
        actions.add("coverage", self._coverage, help="The years each calendar covers.")
        imported = actions.add("import", self._import, help="Import entries from a CSV file.")
        imported.add_argument("value", nargs="?", default="", metavar="FILE")
        day_set = actions.add("set", self._set, help="Set one day (holiday or make-up workday).")
        day_set.add_argument("value", nargs="?", default="", metavar="DATE")
        day_set.add_argument("--kind", choices=list(DayKind.values), default="")
        day_set.add_argument("--name", default="")
        deleted = actions.add("delete", self._delete, help="Delete one day's entry.")
        deleted.add_argument("value", nargs="?", default="", metavar="DATE")
        entered = actions.add(
            "mark-entered", self._mark_entered, help="Mark a year's arrangement entered."
        )
        entered.add_argument("value", nargs="?", default="", metavar="YEAR")
        entered.add_argument("--note", default="", help="Where the arrangement was published.")
        for name, sub in actions.parsers.items():
            if name != "import":
                sub.add_argument("--calendar", default="CN", choices=list(calendars.CALENDARS))
            if name not in ("list", "coverage"):
                sub.add_argument(
                    "--user", default="", help="The account the change is recorded under."
                )
            sub.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **o: Any) -> None:
        try:
            super().handle(*args, **o)
        except ImportRejected as refused:
            for error in refused.errors:
                self.stderr.write(str(error))
            raise CommandError(refused.message) from refused
        except DomainError as refused:
            raise refusal(refused) from refused

    def _list(self, o: dict[str, Any]) -> None:
        entries = calendars.entries_list(calendar=o["calendar"], year=o["year"])
        rows = [
            {"calendar": e.calendar, "date": e.date.isoformat(), "kind": e.kind, "name": e.name}
            for e in entries
        ]
        if o["json"]:
            self.write_json(rows)
            return
        for row in rows:
            self.stdout.write(f"{row['calendar']}  {row['date']}  {row['kind']:<8} {row['name']}")

    def _coverage(self, o: dict[str, Any]) -> None:
        today = timezone.localdate()
        found = [c.as_dict() for c in calendars.coverage(today=today, calendar=o["calendar"])]
        if o["json"]:
            self.write_json(found)
            return
        for c in found:
            self.stdout.write(
                f"{c['calendar']}  {c['year']}  {c['source']:<12} entries: {c['entries']}"
            )
        for end in calendars.calendar_ends(today=today):
            self.stderr.write(end.message())

    def _import(self, o: dict[str, Any]) -> None:
        actor = user_named(o["user"])
        path = Path(o["value"])
        if not o["value"] or not path.is_file():
            raise CommandError(f"No file {o['value']!r}.")
        result = calendar_services.calendar_import(
            content=path.read_bytes(), file_name=path.name, actor=actor
        )
        self._out(result.as_dict(), o["json"])

    def _set(self, o: dict[str, Any]) -> None:
        actor = user_named(o["user"])
        entry = calendar_services.calendar_entry_set(
            calendar=o["calendar"],
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

    def _delete(self, o: dict[str, Any]) -> None:
        actor = user_named(o["user"])
        day = self._date(o["value"])
        calendar_services.calendar_entry_delete(calendar=o["calendar"], day=day, actor=actor)
        self._out({"calendar": o["calendar"], "date": day.isoformat(), "deleted": True}, o["json"])

    def _mark_entered(self, o: dict[str, Any]) -> None:
        actor = user_named(o["user"])
        if not o["value"].isdigit():
            raise CommandError("Give the YEAR to mark entered.")
        mark = calendar_services.calendar_year_mark_entered(
            calendar=o["calendar"], year=int(o["value"]), actor=actor, note=o["note"]
        )
        self._out({"calendar": mark.calendar, "year": mark.year, "entered": True}, o["json"])

    def _date(self, value: str) -> date:
        try:
            return date.fromisoformat(value)
        except ValueError as error:
            raise CommandError(f"{value!r} is not a date in the form YYYY-MM-DD.") from error

    def _out(self, body: dict[str, Any], as_json: bool) -> None:
        if as_json:
            self.write_json(body)
            return
        self.write_fields(body, width=10)
