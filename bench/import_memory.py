"""Peak memory of an events import, measured on the ``medrecall import events`` process.

Builds a fresh database with the demo master data at scale ``events / 1,000,000`` and an
events CSV from the demo generator (as ``trace_bench.py`` does), then imports the file in a
child process and prints its peak resident memory (``ru_maxrss``), time and rate. The budget:
≤ 400 MB for a 10M-event file on either database, flat in the size of the file.

    .venv/bin/python bench/import_memory.py --events 1000000 --db sqlite|postgres [--keep] [--csv FILE]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from trace_bench import (
    EVENTS_PER_SCALE,
    OUT_DIR,
    POSTGRES_URL,
    SEED,
    drop_database,
    fresh_database,
    say,
    setup_django,
    write_events,
)

BUDGET_MB = 400
MEDRECALL = str(Path(sys.executable).with_name("medrecall"))


def _resident_mb(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    line = next((line for line in status.splitlines() if line.startswith("VmRSS:")), "VmRSS: 0 kB")
    return int(line.split()[1]) // 1024


def peak_of_child(
    command: list[str], environment: dict[str, str]
) -> tuple[int, float, int, dict[str, int]]:
    """(exit code, seconds, peak resident MB, peak MB per stage of the progress line) of
    ``command`` run to its end; the stages come from its progress output on stderr."""
    started = time.perf_counter()
    child = subprocess.Popen(
        command,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        bufsize=1,
    )
    stages: dict[str, int] = {}
    stage = "start"
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            stages[stage] = max(stages.get(stage, 0), _resident_mb(child.pid))
            done.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    for line in child.stderr or ():
        stage = line.rsplit(":", 1)[-1].strip() or stage
    _, status, usage = os.wait4(child.pid, 0)
    done.set()
    sampler.join()
    child.returncode = os.waitstatus_to_exitcode(status)
    return child.returncode, time.perf_counter() - started, usage.ru_maxrss // 1024, stages


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--database-url", default=POSTGRES_URL.replace("medrecall_bench", "medrecall_bench_memory")
    )
    parser.add_argument("--keep", action="store_true", help="keep the database and the CSV")
    parser.add_argument(
        "--csv", type=Path, help="import this events CSV (kept) instead of writing a new one"
    )
    options = parser.parse_args()
    OUT_DIR.mkdir(exist_ok=True)
    url = fresh_database(options.db, options.events, options.database_url, reuse=False)
    if options.db == "sqlite":
        url = url.replace(".sqlite3", "-memory.sqlite3")
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    setup_django(url)
    from django.core.management import call_command
    from django.db import connections

    from medrecall.cli.demo import demo_build

    scale = max(1, round(options.events / EVENTS_PER_SCALE))
    csv_path = options.csv or OUT_DIR / f"events-memory-{options.db}-{options.events}.csv"
    call_command("migrate", verbosity=0, skip_checks=True)
    demo_build(seed=SEED, scale=scale, events=False)
    if options.csv:  # written by an earlier run for as many events
        with csv_path.open("rb") as lines:
            written = sum(1 for _line in lines) - 1
    else:
        written, _, _ = write_events(csv_path, options.events, scale)
    connections.close_all()
    size_mb = csv_path.stat().st_size / 1e6
    environment = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "medrecall.settings.base",
    }
    code, seconds, peak, stages = peak_of_child(
        [MEDRECALL, "import", "events", str(csv_path)], environment
    )
    say(
        f"import_memory: {written:,} events ({size_mb:,.0f} MB CSV) on {options.db}: exit {code}, "
        f"{seconds:.1f} s ({written / seconds:,.0f}/s), peak {peak:,} MB "
        f"({peak / (written / 1e6):,.0f} MB per million events; budget {BUDGET_MB} MB at 10M: "
        f"{peak / BUDGET_MB:.2f}×)"
    )
    say(
        "  peak resident MB while the progress line showed: "
        + ", ".join(f"{stage} {mb:,}" for stage, mb in stages.items())
    )
    if not options.keep:
        if not options.csv:
            csv_path.unlink(missing_ok=True)
        if options.db == "sqlite":
            Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
        else:
            drop_database(options.db, options.events, url)
    print(f"self: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB (not the import)")
    sys.exit(code)


if __name__ == "__main__":
    main()
