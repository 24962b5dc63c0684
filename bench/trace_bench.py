"""Import and recall-trace benchmark on generated demo data, against the design's budget.

    .venv/bin/python bench/trace_bench.py --events 1000000 --db sqlite|postgres [--keep]

Builds a fresh database (SQLite file in ``bench/out/``, or the PostgreSQL database named by
``--database-url``), migrates it, loads the demo master data at a scale that fits the event
count, writes the events CSV with the demo generator, then measures:

* import: the product's path (``EventImporter().run``) in events/s, beside the lower bound (the
  same rows, already resolved to ids, copied straight into an events-shaped table);
* trace: ``trace_forward_lots`` for a recall of 1% of the lots (median of 3 after a warm-up),
  beside one hand-written SQL query giving the same per-location answer; the answers must match;
* growth: the same for a fixed number of lots, compared with earlier runs at other sizes.

Each figure is printed with its ratio to the target and to the lower bound, and stored in
``bench/out/results.json`` (the table in ``bench/README.md`` is copied from there).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import math
import os
import platform
import pstats
import random
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

BENCH_DIR = Path(__file__).resolve().parent
# where the databases, CSVs and results go (git-ignored); MEDRECALL_BENCH_OUT moves them elsewhere
OUT_DIR = Path(os.environ.get("MEDRECALL_BENCH_OUT") or BENCH_DIR / "out")
PROJECT_DIR = BENCH_DIR.parent
RESULTS = OUT_DIR / "results.json"
POSTGRES_URL = "postgres://postgres@127.0.0.1:55432/medrecall_bench"
SEED = 2026
IMPORT_TARGET = {"sqlite": 50_000, "postgresql": 100_000}  # events/s
TRACE_TARGET = {"sqlite": 2.0, "postgresql": 1.0}  # seconds at 10M events
LOWER_BOUND_LIMIT = 1.5  # the product may take at most this many times the lower bound
EVENTS_PER_SCALE = 1_000_000  # one copy of the demo network per million events
PILOT_LOTS = 48


def say(text: str = "") -> None:
    print(text, flush=True)


def rate(count: int, seconds: float) -> str:
    return f"{count / seconds:>12,.0f}/s" if seconds else "           -"


# --- the database --------------------------------------------------------------------------------


def _admin_url(url: str) -> tuple[str, str]:
    """(URL of the server's ``postgres`` database, name of the benchmark database)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/postgres")), parts.path.lstrip("/")


def fresh_database(db: str, label: str, url: str, reuse: bool) -> str:
    """Create an empty database (unless reusing a kept one) and return its DATABASE_URL."""
    if db == "sqlite":
        path = OUT_DIR / f"bench-{label}.sqlite3"
        if not reuse:
            for leftover in (
                path,
                path.with_name(path.name + "-wal"),
                path.with_name(path.name + "-shm"),
            ):
                leftover.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    if not reuse:
        import psycopg

        admin, name = _admin_url(url)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    return url


def drop_database(db: str, label: str, url: str) -> None:
    from django.db import connections

    connections.close_all()
    if db == "sqlite":
        path = OUT_DIR / f"bench-{label}.sqlite3"
        for leftover in (
            path,
            path.with_name(path.name + "-wal"),
            path.with_name(path.name + "-shm"),
        ):
            leftover.unlink(missing_ok=True)
        return
    import psycopg

    admin, name = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "medrecall.settings.base"
    os.environ.setdefault("DEBUG", "false")
    sys.path.insert(0, str(PROJECT_DIR / "src"))
    sys.path.insert(0, str(BENCH_DIR))
    import django

    django.setup()


# --- generating the events -----------------------------------------------------------------------


def lots_for(events: int, scale: int) -> int:
    """Lots per device model that give at least ``events`` rows (from a small pilot run)."""
    from medrecall.cli.demo import demo_event_rows

    pilot = sum(1 for _row in demo_event_rows(seed=SEED, scale=scale, lots_per_model=PILOT_LOTS))
    return math.ceil(events / (pilot / PILOT_LOTS) * 1.1) + 12


def write_events(path: Path, events: int, scale: int) -> tuple[int, int, float]:
    """(rows written, lots per model, seconds): exactly ``events`` rows if the lots allow."""
    from medrecall.cli.demo import write_demo_events

    lots = lots_for(events, scale)
    started = time.perf_counter()
    written = write_demo_events(path, seed=SEED, scale=scale, lots_per_model=lots, limit=events)
    while written < events:  # the pilot's estimate fell short: more lots
        lots = math.ceil(lots * 1.5)
        written = write_demo_events(path, seed=SEED, scale=scale, lots_per_model=lots, limit=events)
    return written, lots, time.perf_counter() - started


# --- measurements --------------------------------------------------------------------------------


def measure_import(path: Path, events: int, vendor: str, *, profile: Path | None) -> dict[str, Any]:
    """The product's import of the file, stage by stage."""
    from stages import IMPORT_STAGES, StageClock

    from medrecall.traceability.importing.events import EventImporter

    clock = StageClock()
    profiler = cProfile.Profile() if profile else None
    with clock.watching(IMPORT_STAGES):
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        outcome = EventImporter().run(path, file_name=path.name, actor="trace_bench")
        if profiler:
            profiler.disable()
        seconds = time.perf_counter() - started
    if not outcome.accepted:
        raise SystemExit(f"the import was refused: {[str(e) for e in outcome.errors[:5]]}")
    if outcome.created != events:
        raise SystemExit(f"the import created {outcome.created} events, not {events}")
    if profiler and profile:
        profiler.dump_stats(profile)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MB; the steps before stream
    return {
        "seconds": seconds,
        "events_per_s": events / seconds,
        "target": IMPORT_TARGET[vendor],
        "stages": dict(clock.seconds),
        "slowest_sql": clock.slowest(),
        "not_instrumented": clock.missing,
        "peak_memory_mb": peak,
    }


def measure_import_lower(path: Path, resolved: Path) -> dict[str, Any]:
    """The lower bound on the events table's own schema, then on the same schema with each
    column indexed once (the duplicate indexes dropped)."""
    from lower_bound import (
        copy_lower,
        create_lower_table,
        drop_duplicate_indexes,
        drop_lower_table,
        resolve_events,
    )

    started = time.perf_counter()
    rows = resolve_events(path, resolved)
    prepared = time.perf_counter() - started
    try:
        create_lower_table()
        seconds = copy_lower(resolved)
        create_lower_table()
        dropped = drop_duplicate_indexes()
        lean = copy_lower(resolved) if dropped else seconds
    finally:
        drop_lower_table()
        resolved.unlink(missing_ok=True)
    return {
        "seconds": seconds,
        "events_per_s": rows / seconds,
        "resolve_seconds": prepared,
        "lean_seconds": lean,
        "lean_events_per_s": rows / lean,
        "duplicate_indexes": dropped,
    }


def timed(call: Callable[[], Any], repeat: int) -> tuple[float, Any, list[float]]:
    """Median wall time of ``repeat`` runs after one warm-up, the last answer, and every time."""
    answer = call()
    times = []
    for _n in range(repeat):
        started = time.perf_counter()
        answer = call()
        times.append(time.perf_counter() - started)
    return statistics.median(times), answer, times


def timed_pair(
    first: Callable[[], Any], second: Callable[[], Any], repeat: int
) -> tuple[tuple[float, Any, list[float]], tuple[float, Any, list[float]]]:
    """``timed`` for two calls, run alternately (one warm-up each), so that a shared machine's
    changing speed weighs on both alike."""
    answers = [first(), second()]
    times: list[list[float]] = [[], []]
    for _n in range(repeat):
        for index, call in enumerate((first, second)):
            started = time.perf_counter()
            answers[index] = call()
            times[index].append(time.perf_counter() - started)
    return (
        (statistics.median(times[0]), answers[0], times[0]),
        (statistics.median(times[1]), answers[1], times[1]),
    )


def measure_trace(lot_ids: Sequence[int], vendor: str, repeat: int) -> dict[str, Any]:
    """Product trace and the one-statement lower bound for the same lots, timed alternately in
    the same run; the answers (every holder with its names and codes, to the unit) must agree."""
    from lower_bound import affected_events, trace_lower
    from stages import TRACE_STAGES, StageClock

    from medrecall.traceability import selectors
    from medrecall.traceability.selectors import trace_forward_lots

    (product_seconds, trace, product_times), (lower_seconds, lower, lower_times) = timed_pair(
        lambda: trace_forward_lots(lot_ids), lambda: trace_lower(lot_ids), repeat
    )
    found = sorted(
        (
            h.location,
            h.location_name,
            h.location_type,
            h.country,
            h.province,
            h.city,
            h.party,
            h.party_name,
            h.party_type,
            h.received,
            h.on_hand,
            h.in_transit,
        )
        for h in trace.holders
    )
    expected = sorted(lower)
    if found != expected:
        wrong = sorted(set(found) ^ set(expected))[:6]
        raise SystemExit(f"the product's trace and the lower bound disagree: {wrong}")
    if trace.total_received != sum(row[9] for row in expected):
        raise SystemExit("the product's total received differs from the lower bound's")
    clock = StageClock()
    with clock.watching(TRACE_STAGES):
        selectors.trace_forward_lots(
            lot_ids
        )  # through the module, so that the wrapped stages are seen
    lots, events = affected_events(lot_ids)
    return {
        "seed_lots": len(lot_ids),
        "lots": lots,
        "affected_events": events,
        "holders": len(found),
        "units": trace.total_received,
        "seconds": product_seconds,
        "times": product_times,
        "lower_seconds": lower_seconds,
        "lower_times": lower_times,
        "target": TRACE_TARGET[vendor],
        "stages": dict(clock.seconds),
        "slowest_sql": clock.slowest(4),
    }


def pick_lots(share: float, fixed: int) -> tuple[list[int], list[int], int]:
    """(a share of all lots, a fixed number of lots, how many lots there are), seeded.

    The fixed recall takes lots of the demo's first network copy, which every size holds with
    the same events (a lot's flow does not depend on the scale): the same lots and the same
    affected events at 1M and at 10M, so only the history around them differs."""
    from medrecall.catalog.models import Lot
    from medrecall.cli.demo import demo_event_rows

    ids = sorted(Lot.objects.values_list("pk", flat=True))
    recall = sorted(random.Random(SEED).sample(ids, max(1, round(len(ids) * share))))
    first_copy = sorted({row[4] for row in demo_event_rows(seed=SEED, scale=1)})
    numbers = random.Random(SEED + 1).sample(first_copy, min(fixed, len(first_copy)))
    growth = sorted(Lot.objects.filter(number__in=numbers).values_list("pk", flat=True))
    return recall, growth, len(ids)


# --- reporting -----------------------------------------------------------------------------------


def print_import(
    product: dict[str, Any],
    lower: dict[str, Any],
    events: int,
    read_us: float,
    parse_us: float,
    csv_us: float,
) -> None:
    target = product["target"]
    ratio = product["seconds"] / lower["seconds"]
    say(
        f"  product import   {product['seconds']:9.1f} s {rate(events, product['seconds'])}"
        f"   target {target:,}/s: {product['events_per_s'] / target:5.2f}x of target"
        f" {'MET' if product['events_per_s'] >= target else 'MISSED'}"
    )
    say(
        f"  lower bound      {lower['seconds']:9.1f} s {rate(events, lower['seconds'])}"
        f"   product/lower bound: {ratio:5.2f}x {'MET' if ratio <= LOWER_BOUND_LIMIT else 'MISSED'}"
        f" (limit {LOWER_BOUND_LIMIT}x)"
    )
    if lower["duplicate_indexes"]:
        say(
            f"  lower bound, each column indexed once {lower['lean_seconds']:7.1f} s {rate(events, lower['lean_seconds'])}"
            f"   (without the duplicate indexes {', '.join(lower['duplicate_indexes'])})"
        )
    say(f"  peak memory of the importing process: {product['peak_memory_mb']:,.0f} MB")
    say("  where the product's import time goes:")
    stages = dict(product["stages"])
    parts = list(stages.items())
    if (
        "read + parse + stage write" in stages
    ):  # the staging path: split its reading by the separate measure
        write = stages.pop("read + parse + stage write")
        read, parse = read_us * events / 1e6, parse_us * events / 1e6
        parts = [
            (f"read CSV into tuples ({read_us:.1f} µs/row; bare csv module {csv_us:.1f})", read),
            (f"EventParser.parse ({parse_us:.1f} µs/row)", parse),
            ("stage write (COPY / executemany) + generator glue", max(0.0, write - read - parse)),
            *stages.items(),
        ]
    for name, seconds in sorted(parts, key=lambda p: -p[1]):
        say(f"    {name:<58} {seconds:8.1f} s {100 * seconds / product['seconds']:5.1f}%")
    if product["not_instrumented"]:
        say(
            f"    (not in the product any more, so not timed: {', '.join(product['not_instrumented'])})"
        )
    say("  slowest statements:")
    for seconds, sql in product["slowest_sql"][:6]:
        say(f"    {seconds:8.2f} s  {sql[:110]}")


def print_trace(label: str, trace: dict[str, Any]) -> None:
    ratio = trace["seconds"] / trace["lower_seconds"]
    target = trace["target"]
    say(
        f"  {label}: {trace['seed_lots']} seed lots → {trace['lots']} lots with genealogy, "
        f"{trace['affected_events']:,} events, {trace['holders']} holders, {trace['units']:,} units"
    )
    say(
        f"    product trace  {trace['seconds']:8.3f} s (runs {', '.join(f'{t:.3f}' for t in trace['times'])})"
        f"   target {target} s: {trace['seconds'] / target:5.2f}x of budget "
        f"{'MET' if trace['seconds'] <= target else 'MISSED'}"
    )
    say(
        f"    lower bound    {trace['lower_seconds']:8.3f} s"
        f"   product/lower bound: {ratio:5.2f}x {'MET' if ratio <= LOWER_BOUND_LIMIT else 'MISSED'}"
        f" (limit {LOWER_BOUND_LIMIT}x)"
    )
    say(
        "    product stages: "
        + ", ".join(
            f"{name} {seconds:.3f} s"
            for name, seconds in sorted(trace["stages"].items(), key=lambda s: -s[1])
        )
    )


def load_results() -> dict[str, Any]:
    return json.loads(RESULTS.read_text()) if RESULTS.exists() else {}


def print_growth(db: str, events: int, results: dict[str, Any]) -> None:
    """The fixed-size recall at every size measured on this database: flat means the cost
    follows the affected data, not the history."""
    runs = sorted(
        (r for r in results.values() if r["db"] == db and "growth" in r), key=lambda r: r["events"]
    )
    if len(runs) < 2:
        say("  growth: run another --events size on this database to compare")
        return
    first = runs[0]
    for run in runs:
        growth = run["growth"]
        per_event = 1e6 * growth["seconds"] / max(growth["affected_events"], 1)
        say(
            f"  growth: {run['events']:>11,} events: {growth['seed_lots']} lots ({growth['affected_events']:,} "
            f"affected events) in {growth['seconds']:.3f} s = {per_event:.2f} µs per affected event; "
            f"history x{run['events'] / first['events']:.0f}, time x{growth['seconds'] / first['growth']['seconds']:.2f}"
            f"{' (this run)' if run['events'] == events else ''}"
        )


def markdown_table(results: dict[str, Any]) -> str:
    """The figures of every stored run as the table in ``bench/README.md``."""
    lines = [
        "| events | database | import, product | import, lower bound | ratio | trace 1% of lots, product "
        "| trace, lower bound | ratio | fixed 20-lot trace | date |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for run in sorted(results.values(), key=lambda r: (r["db"], r["events"])):
        imported, trace, growth = run.get("import") or {}, run["trace"], run["growth"]
        if imported:
            product, lower = imported["product"], imported["lower"]
            import_cells = (
                f"{product['events_per_s']:,.0f}/s ({product['seconds']:,.0f} s)",
                f"{lower['events_per_s']:,.0f}/s ({lower['seconds']:,.0f} s)",
                f"{product['seconds'] / lower['seconds']:.1f}x",
            )
        else:
            import_cells = ("-", "-", "-")
        lines.append(
            f"| {run['events']:,} | {run['db']} | {' | '.join(import_cells)} | {trace['seconds']:.3f} s "
            f"({trace['seed_lots']} lots, {trace['affected_events']:,} events) | {trace['lower_seconds']:.3f} s | "
            f"{trace['seconds'] / trace['lower_seconds']:.1f}x | {growth['seconds']:.3f} s | {run['date']} |"
        )
    return "\n".join(lines)


# --- main ----------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--events",
        type=int,
        default=1_000_000,
        help="Demo shape: events to import. Recall shape: stock moves (about 1.9 events each).",
    )
    parser.add_argument(
        "--shape",
        choices=("demo", "recall"),
        default="demo",
        help="demo: the demo's lots (hundreds of events each); recall: many small lots of about "
        "11 moves each over thousands of holders (bench/recall_shape.py).",
    )
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument(
        "--database-url",
        default=POSTGRES_URL,
        help="PostgreSQL only; the database is dropped and created (default %(default)s).",
    )
    parser.add_argument(
        "--keep", action="store_true", help="Keep the database and the CSV afterwards."
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="Trace only, on a database kept by an earlier --keep run of the same size.",
    )
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the import into bench/out/."
    )
    parser.add_argument("--recall-share", type=float, default=0.01)
    parser.add_argument(
        "--growth-lots",
        type=int,
        default=20,
        help="The fixed recall compared across sizes: this many of the first network copy's "
        "lots (default %(default)s).",
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--note", default="", help="A word kept with this run in the history (e.g. the commit)."
    )
    parser.add_argument(
        "--table", action="store_true", help="Print the stored figures as a Markdown table."
    )
    args = parser.parse_args(argv)
    if args.table:
        results = load_results()
        say(markdown_table({k: r for k, r in results.items() if r.get("shape", "demo") == "demo"}))
        say()
        say(recall_table({k: r for k, r in results.items() if r.get("shape") == "recall"}))
        return
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    vendor = "sqlite" if args.db == "sqlite" else "postgresql"
    label = f"{args.events}" if args.shape == "demo" else f"recall-{args.events}"
    url = fresh_database(args.db, label, args.database_url, args.reuse)
    setup_django(url)
    from django.core.management import call_command
    from django.db import connection

    from medrecall.cli.demo import demo_build

    scale = max(1, round(args.events / EVENTS_PER_SCALE)) if args.shape == "demo" else 1
    csv_path = OUT_DIR / f"events-{args.db}-{label}.csv"
    say(
        f"trace_bench: {args.events:,} {'events' if args.shape == 'demo' else 'moves (recall shape)'} on {vendor} "
        f"({connection.settings_dict['NAME']}), {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    record: dict[str, Any] = {
        "db": args.db,
        "events": args.events,
        "scale": scale,
        "shape": args.shape,
        "date": datetime.now(UTC).isoformat(timespec="minutes"),
        "cores": os.cpu_count(),
    }
    key = f"{args.db}-{label}"
    previous = load_results().get(key, {})
    if args.reuse:
        record["import"] = previous.get("import")
        record["moves"], record["events_written"] = (
            previous.get("moves"),
            previous.get("events_written"),
        )
    elif args.shape == "recall":
        record.update(build_recall_shape(csv_path, args.events, vendor))
    else:
        started = time.perf_counter()
        call_command("migrate", verbosity=0, skip_checks=True)
        summary = demo_build(seed=SEED, scale=scale, events=False)
        say(
            f"  master data: {summary.created.total:,} rows (migrate + demo_build) in "
            f"{time.perf_counter() - started:.1f} s"
        )
        written, lots, seconds = write_events(csv_path, args.events, scale)
        say(
            f"  events CSV: {written:,} rows, {lots} lots per model, written in {seconds:.1f} s "
            f"({1e6 * seconds / written:.2f} µs/row), {csv_path.stat().st_size / 1e6:,.0f} MB"
        )
        from stages import csv_reader_cost, parse_cost

        read_us, parse_us = parse_cost(csv_path)
        csv_us = csv_reader_cost(csv_path)
        profile = OUT_DIR / f"import-{key}.prof" if args.profile else None
        say("import:")
        product = measure_import(csv_path, written, vendor, profile=profile)
        lower = measure_import_lower(csv_path, OUT_DIR / f"resolved-{key}.tsv")
        print_import(product, lower, written, read_us, parse_us, csv_us)
        if profile:
            say(f"  profile: {profile}; top functions by own time:")
            pstats.Stats(str(profile)).sort_stats("tottime").print_stats(12)
        record["import"] = {
            "product": product,
            "lower": lower,
            "read_us": read_us,
            "parse_us": parse_us,
            "csv_us": csv_us,
        }
        if vendor == "postgresql":  # what autovacuum would have done by the time anyone traces
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
    if args.shape == "recall":
        from recall_shape import recall_lots

        from medrecall.catalog.models import Lot

        recall, growth_lots = recall_lots(SEED, args.recall_share, args.growth_lots)
        lot_count = Lot.objects.count()
    else:
        recall, growth_lots, lot_count = pick_lots(args.recall_share, args.growth_lots)
    say(f"trace ({lot_count:,} lots in the database):")
    record["trace"] = measure_trace(recall, vendor, args.repeat)
    print_trace(f"recall of {args.recall_share:.0%} of lots", record["trace"])
    record["growth"] = measure_trace(growth_lots, vendor, args.repeat)
    print_trace(f"fixed recall of {args.growth_lots} lots", record["growth"])
    results = load_results()
    record["runs"] = [
        *previous.get("runs", []),
        {
            "date": record["date"],
            "note": args.note,
            "trace": _brief(record["trace"]),
            "growth": _brief(record["growth"]),
        },
    ]
    results[key] = record
    RESULTS.write_text(json.dumps(results, indent=1, default=str))
    if args.shape == "demo":
        print_growth(args.db, args.events, results)
    if not args.keep:
        csv_path.unlink(missing_ok=True)
        drop_database(args.db, label, url)


def _brief(trace: dict[str, Any]) -> dict[str, Any]:
    """What the run history keeps of a trace measurement."""
    return {
        name: trace[name]
        for name in (
            "seed_lots",
            "lots",
            "holders",
            "units",
            "seconds",
            "lower_seconds",
            "times",
            "lower_times",
            "stages",
        )
    }


def build_recall_shape(csv_path: Path, moves: int, vendor: str) -> dict[str, Any]:
    """Migrate, load the demo's master data (device models, own sites) and the recall network,
    write the recall-shaped events and import them through the product's path."""
    from django.core.management import call_command
    from django.db import connection
    from recall_shape import create_network, replicas_for, write_recall_events

    from medrecall.cli.demo import demo_build

    started = time.perf_counter()
    call_command("migrate", verbosity=0, skip_checks=True)
    demo_build(seed=SEED, scale=1, events=False)
    written, done, lots = write_recall_events(csv_path, moves=moves, seed=SEED)
    locations = create_network(replicas_for(lots))
    say(
        f"  master data and CSV: {lots:,} lots, {done:,} moves, {written:,} events, {locations:,} network "
        f"locations, in {time.perf_counter() - started:.1f} s"
    )
    say("import:")
    product = measure_import(csv_path, written, vendor, profile=None)
    say(
        f"  product import {product['seconds']:.1f} s ({rate(written, product['seconds'])}), peak memory "
        f"{product['peak_memory_mb']:,.0f} MB"
    )
    if vendor == "postgresql":  # what autovacuum would have done by the time anyone traces
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {
        "import": {"product": product},
        "moves": done,
        "events_written": written,
        "lots_written": lots,
    }


def recall_table(results: dict[str, Any]) -> str:
    """Every recall-shape run: product and lower bound of each trace, measured in the same run."""
    lines = [
        "| moves | database | recall | holders | product | lower bound | ratio | fixed 20 lots: product "
        "| lower bound | ratio | measured |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    # (the product's commit or state, when the run was given a --note, follows the date)
    for run in sorted(results.values(), key=lambda r: (r["db"], r["events"])):
        for past in run.get("runs", []):
            trace, growth = past["trace"], past["growth"]
            lines.append(
                f"| {run['events']:,} | {run['db']} | {trace['seed_lots']:,} lots | {trace['holders']:,} | "
                f"{trace['seconds']:.3f} s | {trace['lower_seconds']:.3f} s | "
                f"{trace['seconds'] / trace['lower_seconds']:.2f}x | {growth['seconds']:.3f} s | "
                f"{growth['lower_seconds']:.3f} s | {growth['seconds'] / growth['lower_seconds']:.2f}x | {past['date']} "
                f"{past.get('note', '')} |"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
