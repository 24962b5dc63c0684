"""Public recall history at scale: import of N openFDA records and similar-recall search.

    .venv/bin/python bench/intelligence_bench.py --records 100000 --db sqlite
    .venv/bin/python bench/intelligence_bench.py --records 100000 --db postgres

Budgets (issue 19 item 4): import ≥ 5,000 records/s on SQLite; search p95 ≤ 200 ms over
100,000 records on SQLite and PostgreSQL.

What one run does:
1. writes an openFDA download file (``{"meta": …, "results": [ … ]}``) of ``--records``
   device/recall records made by varying the real samples (tests/intelligence/data): the
   100 records of the CSV extract (firm, address, product code, root cause, quantity) crossed
   with the reasons, product descriptions, code information and distribution patterns of the
   weekly report and the documentation examples, with seeded dates and fresh ``cfres_id``;
2. migrates a fresh database (SQLite ``bench/out/intel-bench.sqlite3``; PostgreSQL database
   ``intel_bench`` on 127.0.0.1:55432, dropped and created);
3. **import**: runs ``medrecall import fda-recalls FILE`` in a child process (the product's
   path, start-up included) and reports records/s and the child's peak resident memory; then
   the same file again (every record unchanged); the **lower bound** is ``json.load`` of the
   whole file plus one ``executemany`` of the raw key and texts into an unindexed table;
4. **search**: ``--queries`` searches (seeded) through ``selectors.similar_recalls`` — English
   words of the reasons, Chinese queries through the glossary, product code with root cause,
   and a firm — timed one by one (p50, p95, max), beside the full-text query alone
   (``search.text_ranks``) as the lower bound; and one ``recall_statistics`` over everything.

Options: ``--slowest N`` prints the N slowest searches with each statement's time and the plan
of the slowest statement (``EXPLAIN (ANALYZE, BUFFERS)`` on PostgreSQL); ``--ranking``
(PostgreSQL) counts the text queries whose top-20 scores equal those of ranking every match;
``--search-only`` searches the database a previous run filled. The import reports the child's
CPU time (user + system, every thread): on a machine shared with other work, the comparable
figure.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
DATA = ROOT / "tests" / "intelligence" / "data"
POSTGRES = "postgres://postgres@127.0.0.1:55432/"
SEED = 2026
MEDRECALL = str(Path(sys.executable).with_name("medrecall"))


def say(message: str) -> None:
    print(message, flush=True)


# -- the file -------------------------------------------------------------------------------


def _pools() -> dict[str, list[Any]]:
    with (DATA / "openfda_device_recall_class2_demo100.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    weekly = [
        json.loads(line)
        for line in (DATA / "fda_enforcement_report_2012-06-13_ucm308307.jsonl")
        .read_text()
        .splitlines()
        if line.strip()
    ]
    weekly = [w for w in weekly if w.get("product-type") == "Devices"]
    example = json.loads((DATA / "openfda_device_recall_example.json").read_text())
    record = example["anatomy"]["results"][0]
    enforcement = json.loads((DATA / "openfda_device_enforcement_example.json").read_text())[
        "result"
    ]
    reasons = [w["reason-for-recall"] for w in weekly] + [
        record["reason_for_recall"],
        enforcement["reason_for_recall"],
    ]
    return {
        "rows": rows,
        "reasons": reasons,
        "descriptions": [w["product-description"][:600] for w in weekly]
        + [record["product_description"]],
        "codes": [w["code-info"][:800] for w in weekly]
        + [record["code_info"], enforcement["code_info"], "Lot # 20118000."],
        "distribution": [w["distribution-pattern"] for w in weekly]
        + [record["distribution_pattern"], enforcement["distribution_pattern"]],
        "actions": [record["action"][:400]],
    }


def write_file(path: Path, count: int) -> None:
    pools = _pools()
    rng = random.Random(SEED)
    with path.open("w", encoding="utf-8") as out:
        out.write('{"meta": {"disclaimer": "generated from openFDA samples"}, "results": [\n')
        for n in range(count):
            row = rng.choice(pools["rows"])
            year = rng.randint(2005, 2024)
            start = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
            end = (
                ""
                if rng.random() < 0.2
                else f"{year + rng.randint(0, 3)}-{rng.randint(1, 12):02d}-28"
            )
            if end and end < start:
                end = ""
            record = {
                "cfres_id": str(200000 + n),
                "product_res_number": f"Z-{n % 10000:04d}-{year}",
                "res_event_number": str(50000 + n // 3),
                "recall_status": row["recall_status"],
                "recalling_firm": row["recalling_firm"],
                "address_1": row["address_1"],
                "city": row["city"],
                "state": row["state"],
                "postal_code": row["postal_code"],
                "product_code": row["product_code"],
                "root_cause_description": row["root_cause_description"],
                "product_quantity": row["product_quantity"],
                "reason_for_recall": rng.choice(pools["reasons"]),
                "product_description": rng.choice(pools["descriptions"]),
                "code_info": rng.choice(pools["codes"]),
                "distribution_pattern": rng.choice(pools["distribution"]),
                "action": pools["actions"][0],
                "event_date_initiated": start,
                "event_date_terminated": end,
                "k_numbers": [f"K{rng.randint(100000, 999999)}"],
                "openfda": {"device_class": row["device_class"], "device_name": ""},
            }
            out.write(("," if n else "") + json.dumps(record) + "\n")
        out.write("]}\n")


# -- the database -----------------------------------------------------------------------------


def prepare(db: str, name: str = "intel_bench", *, fresh: bool = True) -> dict[str, str]:
    environment = dict(os.environ)
    data_dir = OUT / f"intel-data-{db}"
    data_dir.mkdir(parents=True, exist_ok=True)
    environment["MEDRECALL_DATA_DIR"] = str(data_dir)
    environment["DJANGO_SETTINGS_MODULE"] = "medrecall.settings.base"
    if db == "postgres" and fresh:
        import psycopg

        with psycopg.connect(POSTGRES + "postgres", autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name}")
            admin.execute(f"CREATE DATABASE {name}")
    if db == "postgres":
        environment["DATABASE_URL"] = POSTGRES + name
    elif fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{data_dir / 'medrecall.sqlite3'}{suffix}").unlink(missing_ok=True)
    if db != "postgres":
        environment.pop("DATABASE_URL", None)
    os.environ.update(environment)
    if db != "postgres":
        os.environ.pop("DATABASE_URL", None)
    return environment


def run_import(path: Path, environment: dict[str, str]) -> tuple[float, int, str, float]:
    """Seconds, the child's peak resident MB, its summary line and its CPU seconds (user and
    system, both threads)."""
    log = OUT / "intel-import.log"
    started = time.perf_counter()
    with log.open("w") as output:
        child = subprocess.Popen(
            [MEDRECALL, "import", "fda-recalls", str(path), "-v", "0"],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    text = log.read_text()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"import failed: {text}")
    cpu = usage.ru_utime + usage.ru_stime
    return seconds, usage.ru_maxrss // 1024, text.strip().splitlines()[0], cpu


def lower_bound_import(path: Path) -> float:
    from django.db import connection, transaction

    started = time.perf_counter()
    with path.open(encoding="utf-8") as handle:
        records = json.load(handle)["results"]
    rows = [
        (
            r["cfres_id"], r["recalling_firm"], r["product_code"], r["root_cause_description"],
            r["reason_for_recall"], r["product_description"], r["code_info"],
            r["distribution_pattern"], r["product_quantity"], r["event_date_initiated"],
        )
        for r in records
    ]  # fmt: skip
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_lower_bound")
        cursor.execute(
            "CREATE TABLE bench_lower_bound (key varchar(40), firm text, code text, cause text, "
            "reason text, description text, code_info text, distribution text, quantity text, "
            "initiated text)"
        )
        cursor.executemany(
            "INSERT INTO bench_lower_bound VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)", rows
        )
        cursor.execute("DROP TABLE bench_lower_bound")
    return time.perf_counter() - started


# -- search ---------------------------------------------------------------------------------------


def queries(count: int) -> list[dict[str, str]]:
    from medrecall.intelligence.glossary import GLOSSARY, english_words

    pools = _pools()
    rng = random.Random(SEED + 1)
    words = sorted({w for reason in pools["reasons"] for w in english_words(reason) if len(w) > 3})
    chinese = sorted(GLOSSARY)
    rows = pools["rows"]
    made: list[dict[str, str]] = []
    for n in range(count):
        kind = n % 4
        if kind == 0:
            made.append({"text": " ".join(rng.sample(words, rng.randint(2, 5)))})
        elif kind == 1:
            made.append({"text": "".join(rng.sample(chinese, rng.randint(2, 4)))})
        elif kind == 2:
            row = rng.choice(rows)
            made.append(
                {
                    "text": " ".join(rng.sample(words, 2)),
                    "product_code": row["product_code"],
                    "root_cause": row["root_cause_description"],
                }
            )
        else:
            made.append({"firm": rng.choice(rows)["recalling_firm"] or "Hospira Inc"})
    return made


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def time_search(count: int, slowest: int = 0) -> dict[str, float]:
    from medrecall.intelligence import selectors
    from medrecall.intelligence.glossary import read_query
    from medrecall.intelligence.search import text_ranks

    asked = queries(count)
    for query in asked[:10]:  # warm the caches, as a running server has them
        selectors.similar_recalls(selectors.criteria_from(**query))
    whole, text_only, found = [], [], 0
    cpu = time.process_time()
    for query in asked:
        started = time.perf_counter()
        result = selectors.similar_recalls(selectors.criteria_from(**query))
        whole.append((time.perf_counter() - started) * 1000)
        found += bool(result.results)
        words = read_query(query.get("text", "")).words
        started = time.perf_counter()
        text_ranks(words, limit=selectors.TEXT_CANDIDATES)
        text_only.append((time.perf_counter() - started) * 1000)
    cpu = time.process_time() - cpu
    started = time.perf_counter()
    selectors.recall_statistics(selectors.Filters())
    stats_ms = (time.perf_counter() - started) * 1000
    if slowest:
        show_slowest(asked, whole, slowest)
    return {
        "cpu_ms": cpu * 1000 / len(asked),
        "p50": statistics.median(whole),
        "p95": percentile(whole, 0.95),
        "max": max(whole),
        "text_p50": statistics.median(text_only),
        "text_p95": percentile(text_only, 0.95),
        "found": found,
        "statistics_ms": stats_ms,
    }


def ranking_kept(count: int) -> str:
    """PostgreSQL: for how many of the seeded text queries the top 20 full-text scores of
    ``search.text_ranks`` (a bounded set of candidates) equal those of ranking every match."""
    from django.db import connection

    from medrecall.intelligence.glossary import read_query
    from medrecall.intelligence.search import text_ranks

    same = asked = 0
    for query in queries(count):
        words = read_query(query.get("text", "")).words
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT string_agg(lexeme, ' | ') FROM unnest(%s::text[]) AS w, "
                "unnest(tsvector_to_array(to_tsvector('english', w))) AS lexeme",
                [words],
            )
            any_word = cursor.fetchone()[0]
            if not any_word:
                continue
            cursor.execute(
                "SELECT ts_rank(search_vector, to_tsquery('english', %s)) AS r "
                "FROM intelligence_publicrecall WHERE search_vector @@ to_tsquery('english', %s) "
                "ORDER BY r DESC LIMIT 20",
                [any_word, any_word],
            )
            every_match = [round(r, 6) for (r,) in cursor.fetchall()]
        ranked = sorted(text_ranks(words, limit=200).values(), reverse=True)[:20]
        asked += 1
        same += every_match == [round(r, 6) for r in ranked]
    return f"{same} of {asked} text queries have the same top-20 scores as ranking every match"


def show_slowest(asked: list[dict[str, str]], whole: list[float], count: int) -> None:
    """The ``count`` slowest searches of the run: each statement with its time, and the plan
    (``EXPLAIN ANALYZE``) of the slowest statement of each, as the database runs it now."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from medrecall.intelligence import selectors

    ranked = sorted(range(len(asked)), key=lambda n: -whole[n])[:count]
    for n in ranked:
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            selectors.similar_recalls(selectors.criteria_from(**asked[n]))
            again = (time.perf_counter() - started) * 1000
        say(f"-- query {n}: {asked[n]} — {whole[n]:.1f} ms in the run, {again:.1f} ms again")
        statements = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))
        for statement in statements:
            say(f"   {float(statement['time']) * 1000:7.1f} ms  {statement['sql'][:160]}")
        sql = statements[0]["sql"]
        with connection.cursor() as cursor:
            analyse = (
                "EXPLAIN (ANALYZE, BUFFERS) "
                if connection.vendor == "postgresql"
                else ("EXPLAIN QUERY PLAN ")
            )
            cursor.execute(analyse + sql)
            for row in cursor.fetchall():
                say("      " + " | ".join(str(v) for v in row))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--no-again", action="store_true", help="Skip the unchanged re-import.")
    parser.add_argument("--pg-name", default="intel_bench", help="PostgreSQL database to use.")
    parser.add_argument(
        "--slowest", type=int, default=0, help="Print the N slowest searches with their plans."
    )
    parser.add_argument(
        "--ranking",
        action="store_true",
        help="PostgreSQL: compare the top 20 scores with ranking every match.",
    )
    parser.add_argument(
        "--search-only",
        action="store_true",
        help="Search the database a previous run filled (no new database, no import).",
    )
    options = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"intel-{options.records}.json"
    if not path.exists():
        started = time.perf_counter()
        write_file(path, options.records)
        say(
            f"wrote {path.name}: {path.stat().st_size / 1e6:.0f} MB in {time.perf_counter() - started:.1f} s"
        )
    environment = prepare(options.db, options.pg_name, fresh=not options.search_only)
    if not options.search_only:
        subprocess.run([MEDRECALL, "migrate", "-v", "0"], env=environment, check=True)
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    load = os.getloadavg()[0]
    if not options.search_only:
        measure_import(path, environment, options, load)
    load = os.getloadavg()[0]
    figures = time_search(options.queries, options.slowest)
    say(
        f"[{options.db}] search over {options.records:,} (load {load:.1f} → "
        f"{os.getloadavg()[0]:.1f}): p50 {figures['p50']:.1f} ms, "
        f"p95 {figures['p95']:.1f} ms (budget ≤ 200), max {figures['max']:.1f} ms; "
        f"CPU of this process {figures['cpu_ms']:.1f} ms a search; "
        f"full-text query alone p50 {figures['text_p50']:.1f} ms, p95 {figures['text_p95']:.1f} ms; "
        f"{figures['found']}/{options.queries} queries found records; statistics "
        f"{figures['statistics_ms']:.0f} ms"
    )
    if options.ranking and options.db == "postgres":
        say(f"[{options.db}] ranking: {ranking_kept(options.queries)}")


def measure_import(
    path: Path, environment: dict[str, str], options: argparse.Namespace, load: float
) -> None:
    seconds, peak, summary, cpu = run_import(path, environment)
    say(f"[{options.db}] import: {summary}")
    say(
        f"[{options.db}] import {options.records:,} records: {seconds:.1f} s, "
        f"{options.records / seconds:,.0f} records/s (budget ≥ 5,000/s), peak {peak} MB, "
        f"CPU {cpu:.1f} s ({cpu / options.records * 1e6:.0f} µs a record, start-up included), "
        f"load {load:.1f} → {os.getloadavg()[0]:.1f}"
    )
    if not options.no_again:
        again, _, summary, _ = run_import(path, environment)
        say(f"[{options.db}] again (all unchanged): {again:.1f} s — {summary}")
    bound = lower_bound_import(path)
    say(
        f"[{options.db}] lower bound (json.load + executemany): {bound:.1f} s, "
        f"{options.records / bound:,.0f} records/s; product/bound {seconds / bound:.1f}x"
    )


if __name__ == "__main__":
    main()
