"""``medrecall intelligence search|similar|stats|show``: the public FDA recall history.

- ``search [--q WORDS] [--product-code FRN,DQY] [--root-cause CAUSE] [--firm NAME] [--limit N]``:
  similar public recalls, best first (words in English or Chinese).
- ``similar RC-2026-0001``: public recalls like one of our recall cases.
- ``stats [--product-code …] [--root-cause …] [--firm …] [--source recall|enforcement]
  [--year-from Y] [--year-to Y]``: counts by root cause, class, year; days to termination and
  quantities.
- ``show ID``: one record with what was parsed from it.

Each takes ``--json``. Importing is ``medrecall import fda-recalls|fda-enforcement FILE``.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import CommandError

from medrecall.cli.answers import error_answer
from medrecall.cli.command import ProductCommand
from medrecall.cli.lookups import found, recall_numbered, refusal
from medrecall.core.errors import DomainError
from medrecall.intelligence import selectors
from medrecall.intelligence.models import PublicRecall

RECORD_FIELDS = (
    "id", "source", "key", "recall_number", "status", "recall_class", "device_class", "firm",
    "product_code", "root_cause", "reason", "initiated_on", "terminated_on", "days_open",
    "quantity_text", "quantity", "quantity_unit", "code_info", "codes", "code_info_parsed",
    "distribution_text", "nationwide", "worldwide", "states", "countries", "k_numbers",
)  # fmt: skip


def record_row(record: PublicRecall) -> dict[str, Any]:
    row = {name: getattr(record, name) for name in RECORD_FIELDS}
    for name in ("initiated_on", "terminated_on"):
        row[name] = row[name].isoformat() if row[name] else None
    return row


class Command(ProductCommand):
    help = "Search the public FDA recall history: similar recalls and statistics."

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            self.run_subcommand(options)
        except (DomainError, CommandError) as refused:
            if options.get("json"):  # the refusal as JSON on stdout; the message on stderr
                self.write_json(error_answer(refused))
            if isinstance(refused, DomainError):
                raise refusal(refused) from refused
            raise

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = self.subcommands(parser, dest="action")
        search = actions.add("search", self._search, help="Public recalls similar to criteria.")
        search.add_argument("--q", default="", help="Words of the reason (English or Chinese).")
        search.add_argument("--product-code", default="")
        search.add_argument("--root-cause", default="")
        search.add_argument("--firm", default="")
        search.add_argument("--limit", type=int, default=20)
        search.add_argument("--json", action="store_true")
        similar = actions.add("similar", self._similar, help="Public recalls like a recall case.")
        similar.add_argument("number")
        similar.add_argument("--limit", type=int, default=20)
        similar.add_argument("--json", action="store_true")
        stats = actions.add("stats", self._stats, help="Statistics of the public recalls.")
        stats.add_argument("--product-code", default="")
        stats.add_argument("--root-cause", default="")
        stats.add_argument("--firm", default="")
        stats.add_argument("--source", default="", choices=["", "recall", "enforcement"])
        stats.add_argument("--year-from", type=int)
        stats.add_argument("--year-to", type=int)
        stats.add_argument("--json", action="store_true")
        show = actions.add("show", self._show, help="One public recall record.")
        show.add_argument("id", type=int)
        show.add_argument("--json", action="store_true")

    def _print_found(self, result: selectors.SimilarResult, as_json: bool) -> None:
        if as_json:
            body = {
                "words": result.read.words,
                "root_causes": list(result.criteria.root_causes),
                "unknown": result.read.unknown,
                "results": [
                    {"score": i.score, "matched": list(i.matched), "record": record_row(i.record)}
                    for i in result.results
                ],
            }
            self.stdout.write(json.dumps(body, ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"words: {' '.join(result.read.words) or '-'}")
        for item in result.results:
            r = item.record
            self.stdout.write(
                f"{item.score:6.2f}  {r.recall_number or r.key:<14} {r.product_code:<4} "
                f"{(r.root_cause or '-')[:28]:<28} {r.firm[:30]:<30} "
                f"{r.days_open if r.days_open is not None else '-':>5}d  {','.join(item.matched)}"
            )
        if not result.results:
            self.stdout.write("No similar public recalls.")

    def _search(self, options: dict[str, Any]) -> None:
        try:
            criteria = selectors.criteria_from(
                text=options["q"],
                product_code=options["product_code"],
                root_cause=options["root_cause"],
                firm=options["firm"],
            )
        except DomainError as refused:
            raise refusal(refused) from refused
        if criteria.empty:
            raise CommandError("Give --q, --product-code, --root-cause or --firm.")
        self._print_found(
            selectors.similar_recalls(criteria, limit=options["limit"]), options["json"]
        )

    def _similar(self, options: dict[str, Any]) -> None:
        recall = recall_numbered(options["number"])
        self._print_found(
            selectors.similar_to_case(recall, limit=options["limit"]), options["json"]
        )

    def _stats(self, options: dict[str, Any]) -> None:
        try:
            filters = selectors.Filters(
                product_codes=selectors.criteria_from(
                    product_code=options["product_code"]
                ).product_codes,
                root_cause=options["root_cause"],
                firm=options["firm"],
                source=options["source"],
                year_from=options["year_from"],
                year_to=options["year_to"],
            )
            stats = selectors.recall_statistics(filters)
        except DomainError as refused:
            raise refusal(refused) from refused
        if options["json"]:
            self.stdout.write(json.dumps(stats, ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"records: {stats['records']}")
        for title in ("by_root_cause", "by_recall_class", "by_device_class", "by_year"):
            self.stdout.write(f"{title}:")
            for row in stats[title]:
                self.stdout.write(f"  {row['value']!s:<40} {row['count']:>8}")
        dates = stats["year_dates"]
        self.stdout.write(
            f"by_year counts {dates['initiated']} records by initiation date, "
            f"{dates['classified']} by classification date, {dates['posted']} by report date; "
            f"{dates['undated']} have no date."
        )
        for title in ("duration", "quantity"):
            part = stats[title]
            summary = {k: v for k, v in part.items() if k != "buckets"}
            self.stdout.write(f"{title}: {summary}")
            for b in part["buckets"]:
                self.stdout.write(f"  {b['from']}-{b['to'] or ''}: {b['count']}")

    def _show(self, options: dict[str, Any]) -> None:
        record = found(lambda: selectors.public_recall_get(pk=options["id"]))
        row = record_row(record)
        if options["json"]:
            self.stdout.write(json.dumps(row, ensure_ascii=False, indent=2))
            return
        for name, value in row.items():
            self.stdout.write(f"{name:>18}: {value}")
