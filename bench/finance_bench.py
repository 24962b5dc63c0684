"""Finance benchmark: the cost report and the budget page of a recall with 100,000 ledger entries,
against the issue's budget (≤ 300 ms on PostgreSQL).

    .venv/bin/python bench/finance_bench.py [--entries 100000] [--db postgres|sqlite]
        [--database-url postgres://postgres@127.0.0.1:55432/fbudget_bench] [--runs 7]

Builds a fresh database with a recall whose frozen scope puts one lot at 200 holders in 20
provinces, 50 vendors, a budget, and N cost entries (bulk-inserted: every category, vendor and
holder, a day each over a year, one in fifty reversed), plus a second recall with a tenth of
them. It then times, median of ``--runs`` warm runs each:

* ``reports.recall_report``: the selectors behind the pages (forecast, budget, groups);
* the pages as a browser gets them (Django's test client, logged in as finance): the recall's
  cost report, its budget and forecast page (with the burn-up data), the cross-recall report;
* the Excel export of the recall's report;
* the lower bound: one ``GROUP BY category`` over the recall's entries, the least any ledger
  report must read.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

BENCH_DIR = Path(__file__).resolve().parent
OUT_DIR = BENCH_DIR / "out"
PROJECT_DIR = BENCH_DIR.parent
BUDGET_MS = 300.0


def say(text: str = "") -> None:
    print(text, flush=True)


def fresh_database(db: str, url: str) -> str:
    if db == "sqlite":
        OUT_DIR.mkdir(exist_ok=True)
        path = OUT_DIR / "bench-finance.sqlite3"
        for leftover in (
            path,
            path.with_name(path.name + "-wal"),
            path.with_name(path.name + "-shm"),
        ):
            leftover.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "medrecall.settings.base"
    os.environ.setdefault("DEBUG", "false")
    os.environ["ALLOWED_HOSTS"] = "testserver,localhost"
    os.environ["MEDRECALL_DATA_DIR"] = str(OUT_DIR / "finance-data")
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(PROJECT_DIR / "src"))
    sys.path.insert(0, str(PROJECT_DIR))
    import django

    django.setup()


def build(entries: int) -> tuple[Any, Any, Any]:
    """The recall (frozen scope, budget), its N entries, a second recall; the finance user."""
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    from medrecall.accounts.models import User
    from medrecall.accounts.roles import Role
    from medrecall.finance import budgets
    from medrecall.recalls.models import AffectedLine, RecallCase, ScopeSnapshot
    from tests.factories import LocationFactory, LotFactory, PartyFactory

    call_command("migrate", verbosity=0, skip_checks=True)
    finance = User.objects.create_user(username="cfo", password="bench-password-1")  # noqa: S106
    finance.groups.add(Group.objects.get(name=Role.FINANCE))
    owner = User.objects.create_user(username="owner", password="bench-password-1")  # noqa: S106
    lot = LotFactory()
    recall = RecallCase.objects.create(
        number="RC-2026-9001", title="基准召回", owner=owner, status="in_execution"
    )
    recall.products.add(lot.device_model)
    other = RecallCase.objects.create(
        number="RC-2026-9002", title="另一召回", owner=owner, status="in_execution"
    )
    snapshot = ScopeSnapshot.objects.create(recall=recall, sequence=1, created_by=owner)
    holders = []
    for n in range(200):
        party = PartyFactory(party_type="hospital", country="CN", province_code=f"CN-{n % 20:02d}")
        location = LocationFactory(party=party, country="CN", province_code=party.province_code)
        holders.append(party)
        AffectedLine.objects.create(
            snapshot=snapshot,
            lot=lot,
            location=location,
            party=party,
            on_hand=10,
            category="at_customers",
        )
    ScopeSnapshot.objects.filter(pk=snapshot.pk).update(total_units=2000, total_holders=200)
    vendors = [PartyFactory(party_type="carrier") for _n in range(50)]
    budgets.budget_set(
        actor=finance, recall=recall, total="5000000", lines={"logistics": "1000000"}
    )
    started = time.perf_counter()
    insert_entries(recall, entries, holders, vendors, finance, prefix="A")
    insert_entries(other, entries // 10, holders, vendors, finance, prefix="B")
    # The entries were written in bulk, past the ledger: sum the daily rollup as the migration's
    # backfill does (the ledger keeps it with every posting).
    try:
        from medrecall.finance.rollup import rollup_rebuild
    except ImportError:  # the code before the rollup (to measure before and after side by side)
        say("no daily rollup in this version of the code")
    else:
        rollup_rebuild()
    say(f"set-up: {entries:,} + {entries // 10:,} entries in {time.perf_counter() - started:.1f} s")
    return recall, other, finance


def insert_entries(
    recall: Any, count: int, holders: list[Any], vendors: list[Any], user: Any, *, prefix: str
) -> None:
    """Bulk-insert entries the way the ledger writes them (one in fifty reversed)."""
    from medrecall.finance.models import CostCategory, CostEntry

    categories = CostCategory.values
    start = date(2026, 1, 1)
    batch: list[CostEntry] = []
    for n in range(count):
        amount = Decimal(100 + n % 997) + Decimal(n % 100) / 100
        batch.append(
            CostEntry(
                number=f"CE-{prefix}-{n:07d}",
                recall=recall,
                category=categories[n % len(categories)],
                amount=amount,
                currency="CNY",
                rate=Decimal(1),
                company_amount=amount,
                company_currency="CNY",
                incurred_on=start + timedelta(days=n % 330),
                units=1,
                vendor=vendors[n % len(vendors)],
                holder=holders[n % len(holders)],
                source="manual",
                posted_by=user,
            )
        )
        if len(batch) == 5000:
            CostEntry.objects.bulk_create(batch)
            batch = []
    CostEntry.objects.bulk_create(batch)
    reversals = [
        CostEntry(
            number=f"CE-{prefix}R-{entry.pk:07d}",
            recall=recall,
            category=entry.category,
            amount=-entry.amount,
            currency="CNY",
            rate=Decimal(1),
            company_amount=-entry.amount,
            company_currency="CNY",
            incurred_on=entry.incurred_on,
            vendor_id=entry.vendor_id,
            holder_id=entry.holder_id,
            source="reversal",
            source_key=entry.number,
            reverses_id=entry.pk,
            reason="bench",
            posted_by=user,
        )
        for entry in CostEntry.objects.filter(recall=recall).order_by("pk")[::50]
    ]
    CostEntry.objects.bulk_create(reversals, batch_size=5000)


def load_average() -> str:
    """The 1-minute load average ``uptime`` shows (2 cores shared with other work)."""
    return f"{os.getloadavg()[0]:.1f}"


def covering_index(recall_pk: int, runs: int) -> None:
    """The alternative to the rollup, measured in the same run: the ledger's totals grouped four
    ways straight over the entries, then with a covering index for an index-only scan, then
    over the rollup (PostgreSQL)."""
    from django.db import connection

    grouped = (
        "SELECT GROUPING(category, {v}, {h}, {d}), category, {v}, {h}, {d}, {n}, "
        "SUM(company_amount) FROM {table} WHERE recall_id = %s "
        "GROUP BY GROUPING SETS ((category), ({v}), ({h}), ({d}))"
    )
    on_entries = grouped.format(
        v="vendor_id", h="holder_id", d="incurred_on", n="COUNT(*)", table="finance_costentry"
    )
    on_rollup = grouped.format(
        v="vendor_pk", h="holder_pk", d="day", n="SUM(entries)", table="finance_costrollup"
    )

    def run(sql: str) -> Callable[[], Any]:
        def work() -> Any:
            with connection.cursor() as cursor:
                cursor.execute(sql, [recall_pk])
                return cursor.fetchall()

        return work

    def plan(sql: str) -> str:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, [recall_pk])
            lines = [row[0] for row in cursor.fetchall()]
        return next((line.strip() for line in lines if "Scan" in line), lines[0])

    say("")
    say("The ledger's totals (GROUPING SETS by category, vendor, holder, day), same run:")
    say(f"| {'read from':<48} | median ms | max ms | load | plan |")
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('finance_costrollup') IS NOT NULL")
        has_rollup = cursor.fetchone()[0]
    for label, sql in (
        ("the entries, existing indexes", on_entries),
        *((("the daily rollup", on_rollup),) if has_rollup else ()),
    ):
        median, worst = median_ms(run(sql), runs)
        say(f"| {label:<48} | {median:9.1f} | {worst:6.1f} | {load_average()} | {plan(sql)} |")
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE INDEX bench_entry_covering ON finance_costentry (recall_id) "
            "INCLUDE (category, vendor_id, holder_id, incurred_on, company_amount)"
        )
    previous = connection.get_autocommit()
    connection.set_autocommit(True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE finance_costentry")  # the visibility map, for index-only
    connection.set_autocommit(previous)
    median, worst = median_ms(run(on_entries), runs)
    label = "the entries, covering index (index-only scan)"
    say(f"| {label:<48} | {median:9.1f} | {worst:6.1f} | {load_average()} | {plan(on_entries)} |")
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX bench_entry_covering")


def median_ms(work: Callable[[], Any], runs: int) -> tuple[float, float]:
    work()  # warm
    times = []
    for _n in range(runs):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), max(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument(
        "--database-url", default="postgres://postgres@127.0.0.1:55432/fbudget_bench"
    )
    args = parser.parse_args()
    setup_django(fresh_database(args.db, args.database_url))
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from medrecall.finance import reports

    recall, _other, finance = build(args.entries)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    client = Client()
    client.force_login(finance)

    def page(url: str) -> Callable[[], Any]:
        def get() -> Any:
            answer = client.get(url)
            if answer.status_code != 200:
                raise RuntimeError(f"{url} answered {answer.status_code}")
            return answer

        return get

    def lower_bound() -> Any:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT category, SUM(company_amount) FROM finance_costentry WHERE recall_id = %s "
                "GROUP BY category",
                [recall.pk],
            )
            return cursor.fetchall()

    measured = [
        ("lower bound: one GROUP BY category", lower_bound),
        ("reports.recall_report (selectors)", lambda: reports.recall_report(recall)),
        ("page: ledger (totals, first page)", page(f"/finance/recalls/{recall.pk}/")),
        ("page: cost report", page(f"/finance/recalls/{recall.pk}/report/")),
        ("page: budget and forecast", page(f"/finance/recalls/{recall.pk}/budget/")),
        ("page: cross-recall report", page("/finance/reports/")),
        ("page: recall costs (ledgers list)", page("/finance/recalls/")),
        ("export: cost report (xlsx)", page(f"/finance/recalls/{recall.pk}/report.xlsx")),
    ]
    say(
        f"{connection.vendor}, {args.entries:,} entries in the recall, median of {args.runs} warm runs:"
    )
    say(f"| {'what':<40} | median ms | max ms | queries | load |")
    say(f"|{'-' * 42}|-----------|--------|---------|------|")
    for label, work in measured:
        median, worst = median_ms(work, args.runs)
        with CaptureQueriesContext(connection) as queries:
            work()
        flag = "" if median <= BUDGET_MS or label.startswith("lower") else "  OVER BUDGET"
        say(
            f"| {label:<40} | {median:9.1f} | {worst:6.1f} | {len(queries):7d} |"
            f" {load_average():>4} |{flag}"
        )
    if connection.vendor == "postgresql":
        covering_index(recall.pk, args.runs)


if __name__ == "__main__":
    main()
