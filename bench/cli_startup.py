"""How long the ``medrecall`` command takes before it does any work.

Runs each command ``--repeat`` times in a fresh process against a migrated SQLite data
directory and prints the best wall and CPU time beside two references: a bare ``python -c
pass`` (the interpreter) and ``django.setup()`` with the product's settings (what every
Django command pays). The budget for read-only commands is 0.4 s wall on SQLite.

    .venv/bin/python bench/cli_startup.py [--repeat 7] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MEDRECALL = os.environ.get("MEDRECALL_BIN", str(Path(sys.executable).with_name("medrecall")))
SETUP = (
    "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'medrecall.settings.base'); "
    "django.setup()"
)
COMMANDS: list[tuple[str, list[str]]] = [
    ("python -c pass", [sys.executable, "-c", "pass"]),
    ("django.setup()", [sys.executable, "-c", SETUP]),
    ("medrecall version", [MEDRECALL, "version"]),
    ("medrecall udi parse … --json", [MEDRECALL, "udi", "parse", "0100614141123452", "--json"]),
    (
        "medrecall trace forward … --json",
        [MEDRECALL, "trace", "forward", "--gtin", "00614141123452", "--lot", "NONE", "--json"],
    ),
    ("medrecall recall list --json", [MEDRECALL, "recall", "list", "--json"]),
]
BUDGET = 0.4


def measure(command: list[str], environment: dict[str, str], repeat: int) -> tuple[float, float]:
    """Best wall and best CPU (user + system) seconds of ``repeat`` fresh runs."""
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(
            command,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return min(walls), min(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--data-dir", help="a data directory to use (default: a new, migrated one)")
    options = parser.parse_args()
    data_dir = options.data_dir or tempfile.mkdtemp(prefix="medrecall-cli-bench-")
    environment = {
        **os.environ,
        "MEDRECALL_DATA_DIR": data_dir,
        "DJANGO_SETTINGS_MODULE": "medrecall.settings.base",
    }
    environment.pop("DATABASE_URL", None)
    if not options.data_dir:
        subprocess.run([MEDRECALL, "migrate", "-v0"], env=environment, check=True)
    print(f"{'command':36} {'wall s':>7} {'cpu s':>7} {'÷ budget':>9}")
    for label, command in COMMANDS:
        wall, cpu = measure(command, environment, options.repeat)
        print(f"{label:36} {wall:7.3f} {cpu:7.3f} {wall / BUDGET:8.2f}×")


if __name__ == "__main__":
    main()
