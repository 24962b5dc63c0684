"""How long the ``medrecall`` command takes before it does any work.

Runs each command ``--repeat`` times in a fresh process against a migrated SQLite data
directory and prints the best (and the median) wall and CPU time beside four references: a bare
``python -c pass`` (the interpreter), ``import django``, ``django.setup()`` with the product's
settings (what every Django command pays) and the same set-up with the garbage collector paused
(what ``medrecall`` pays before a command). Each line ends with the 1-minute load average when
it was measured. The budget for read-only commands is 0.4 s wall on SQLite.

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
    .venv/bin/python bench/cli_startup.py --before /tmp/old/src   # and another source tree

``--before SRC`` runs every command alternately with ``SRC`` first on ``PYTHONPATH`` (e.g. an
earlier commit: ``git archive COMMIT src | tar -x -C /tmp/old``) and with this tree, so
that both see the same load; it prints both, and this tree's CPU ÷ the earlier one's.
"""

from __future__ import annotations

import argparse
import atexit
import os
import resource
import shutil
import statistics
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
# What `medrecall` does before a command (cli/__init__.py, _set_up_django): the same set-up with
# the cyclic garbage collector paused, its survivors then frozen.
SETUP_PAUSED = f"import gc; gc.disable(); {SETUP}; gc.freeze(); gc.enable()"
COMMANDS: list[tuple[str, list[str]]] = [
    ("python -c pass", [sys.executable, "-c", "pass"]),
    ("python -c 'import django'", [sys.executable, "-c", "import django"]),
    ("django.setup()", [sys.executable, "-c", SETUP]),
    ("django.setup(), collector paused", [sys.executable, "-c", SETUP_PAUSED]),
    ("medrecall version", [MEDRECALL, "version"]),
    ("medrecall udi parse … --json", [MEDRECALL, "udi", "parse", "0100614141123452", "--json"]),
    (
        "medrecall trace forward … --json",
        [MEDRECALL, "trace", "forward", "--gtin", "00614141123452", "--lot", "NONE", "--json"],
    ),
    (
        "medrecall trace backward … --json",
        [MEDRECALL, "trace", "backward", "--gtin", "00614141123452", "--lot", "NONE", "--json"],
    ),
    ("medrecall recall show …", [MEDRECALL, "recall", "show", "RC-NONE"]),
    ("medrecall recall list --json", [MEDRECALL, "recall", "list", "--json"]),
    (
        "medrecall quality complaint list --json",
        [MEDRECALL, "quality", "complaint", "list", "--json"],
    ),
    ("medrecall filings list … --json", [MEDRECALL, "filings", "list", "RC-NONE", "--json"]),
    (
        "medrecall execution accounting … --json",
        [MEDRECALL, "execution", "accounting", "RC-NONE", "--json"],
    ),
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
    atexit.register(shutil.rmtree, cache, ignore_errors=True)
    chosen = {**environment, "PYTHONPYCACHEPREFIX": cache}
    chosen.pop("PYTHONDONTWRITEBYTECODE", None)
    if mode == "cold":
        chosen["PYTHONDONTWRITEBYTECODE"] = "1"
    return chosen


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def run_mode(mode: str, environment: dict[str, str], repeat: int, before: str | None) -> None:
    trees = {"this tree": mode_environment(environment, mode)}
    if before:
        earlier = mode_environment(environment, mode)
        earlier["PYTHONPATH"] = os.pathsep.join(
            filter(None, [before, os.environ.get("PYTHONPATH")])
        )
        trees = {"before": earlier, **trees}
    if mode == "warm":  # one run of each writes the bytecode of every module it loads
        for chosen in trees.values():
            for _, command in COMMANDS:
                measure(command, chosen, 1)
    print(f"\n{mode}: load average {load()}")
    print(
        f"{'command':42} {'tree':>10} {'wall s':>7} {'cpu s':>7} {'cpu ÷ setup':>12} {'wall ÷ 0.4 s':>13}"
        f" {'median wall':>12} {'median cpu':>11} {'load':>5}"
    )
    reference: dict[str, float] = {}
    for label, command in COMMANDS:
        runs: dict[str, list[tuple[float, float]]] = {tree: [] for tree in trees}
        for _ in range(repeat):  # alternately, so that both trees see the same load
            for tree, chosen in trees.items():
                runs[tree].append(measure(command, chosen, 1))
        cpus = {}
        for tree, measured in runs.items():
            wall = min(run[0] for run in measured)
            cpus[tree] = cpu = min(run[1] for run in measured)
            if label == REFERENCE:
                reference[tree] = cpu
            ratio = f"{cpu / reference[tree]:11.2f}×" if tree in reference else ""
            median_wall = statistics.median(run[0] for run in measured)
            median_cpu = statistics.median(run[1] for run in measured)
            print(
                f"{label:42} {tree:>10} {wall:7.3f} {cpu:7.3f} {ratio:>12} {wall / BUDGET:12.2f}×"
                f" {median_wall:12.3f} {median_cpu:11.3f} {os.getloadavg()[0]:5.2f}"
            )
        if before:
            print(f"{'':42} {'÷ before':>10} {'':7} {cpus['this tree'] / cpus['before']:6.2f}×")
    print(f"{mode}: load average {load()}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--modes", default="warm,cold", help="warm, cold or both (warm,cold)")
    parser.add_argument("--data-dir", help="a data directory to use (default: a new, migrated one)")
    parser.add_argument("--before", help="another source tree (its src directory) to compare")
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
        run_mode(mode.strip(), environment, options.repeat, options.before)


if __name__ == "__main__":
    main()
