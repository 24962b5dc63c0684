"""How long the ``medrecall`` command takes before it does any work.

Runs each command ``--repeat`` times in a fresh process against a migrated SQLite data
directory and prints the best wall and CPU time beside three references: a bare ``python -c
pass`` (the interpreter), ``import django`` and ``django.setup()`` with the product's settings
(what every Django command pays). The budget for read-only commands is 0.4 s wall on SQLite.

Two modes, each with its own bytecode cache (``PYTHONPYCACHEPREFIX``) in a temporary directory:

* ``warm``: the modules' compiled bytecode is cached (one run first writes it), as for any
  installed product after its first start;
* ``cold``: nothing cached and nothing written (``PYTHONDONTWRITEBYTECODE``): every module is
  compiled from source on every start, as when the environment sets PYTHONDONTWRITEBYTECODE
  or the installation is read-only and was installed without compiling (``uv sync`` without
  ``--compile-bytecode``).

The load average is printed before and after: the machine is shared, compare the product with
the references of the same run.

    .venv/bin/python bench/cli_startup.py [--repeat 7] [--modes warm,cold] [--data-dir DIR]
    PYTHONPATH=/path/to/other/src .venv/bin/python bench/cli_startup.py   # another source tree
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
    ("python -c 'import django'", [sys.executable, "-c", "import django"]),
    ("django.setup()", [sys.executable, "-c", SETUP]),
    ("medrecall version", [MEDRECALL, "version"]),
    ("medrecall udi parse … --json", [MEDRECALL, "udi", "parse", "0100614141123452", "--json"]),
    (
        "medrecall trace forward … --json",
        [MEDRECALL, "trace", "forward", "--gtin", "00614141123452", "--lot", "NONE", "--json"],
    ),
    ("medrecall recall show …", [MEDRECALL, "recall", "show", "RC-NONE"]),
    ("medrecall recall list --json", [MEDRECALL, "recall", "list", "--json"]),
]
REFERENCE = "django.setup()"
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


def mode_environment(environment: dict[str, str], mode: str) -> dict[str, str]:
    """The environment of one mode: its own, new bytecode cache, written (warm) or not (cold)."""
    cache = tempfile.mkdtemp(prefix=f"medrecall-cli-bench-{mode}-pyc-")
    chosen = {**environment, "PYTHONPYCACHEPREFIX": cache}
    chosen.pop("PYTHONDONTWRITEBYTECODE", None)
    if mode == "cold":
        chosen["PYTHONDONTWRITEBYTECODE"] = "1"
    return chosen


def run_mode(mode: str, environment: dict[str, str], repeat: int) -> None:
    chosen = mode_environment(environment, mode)
    if mode == "warm":  # one run of each writes the bytecode of every module it loads
        for _, command in COMMANDS:
            measure(command, chosen, 1)
    print(f"\n{mode}: load average {' '.join(f'{load:.2f}' for load in os.getloadavg())}")
    print(f"{'command':36} {'wall s':>7} {'cpu s':>7} {'cpu ÷ setup':>12} {'wall ÷ budget':>14}")
    reference = 0.0
    for label, command in COMMANDS:
        wall, cpu = measure(command, chosen, repeat)
        if label == REFERENCE:
            reference = cpu
        ratio = f"{cpu / reference:11.2f}×" if reference else ""
        print(f"{label:36} {wall:7.3f} {cpu:7.3f} {ratio:>12} {wall / BUDGET:13.2f}×")
    print(f"{mode}: load average {' '.join(f'{load:.2f}' for load in os.getloadavg())}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--modes", default="warm,cold", help="warm, cold or both (warm,cold)")
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
    for mode in options.modes.split(","):
        run_mode(mode.strip(), environment, options.repeat)


if __name__ == "__main__":
    main()
