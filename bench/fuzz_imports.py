"""The import fuzz test in its long form: thousands of generated files per run across every
importer (tests/core/test_import_fuzz.py; the suite runs it with 15 examples per importer).

    MEDRECALL_DATA_DIR=/tmp/mr-bench .venv/bin/python bench/fuzz_imports.py [--examples 600] [--seed N]

Runs pytest on that file with ``MEDRECALL_FUZZ_EXAMPLES`` per importer and a random (or given)
hypothesis seed, then prints how many files each importer took and what became of them
(accepted, accepted in part, refused with rows named, refused whole) and pytest's verdict.
Exit status: pytest's (0 when no file made an importer raise anything but its own refusal).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--examples", type=int, default=600, help="generated files per importer and format"
    )
    parser.add_argument(
        "--seed", type=int, default=None, help="hypothesis seed (default: random, printed)"
    )
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    with tempfile.TemporaryDirectory(prefix="mr-fuzz-") as folder:
        report = Path(folder) / "report.jsonl"
        env = dict(
            os.environ,
            MEDRECALL_FUZZ_EXAMPLES=str(args.examples),
            MEDRECALL_FUZZ_REPORT=str(report),
        )
        start = time.perf_counter()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "tests/core/test_import_fuzz.py",
                "-q",
                "-p",
                "no:cacheprovider",
                f"--hypothesis-seed={seed}",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - start
        totals: Counter[str] = Counter()
        lines = report.read_text(encoding="utf-8").splitlines() if report.exists() else []
        print(f"seed {seed}, {args.examples} examples per importer and format, {seconds:,.0f} s")
        for line in lines:
            row = json.loads(line)
            kind = row.pop("kind")
            totals.update(row)
            print(
                f"  {kind:24} {sum(row.values()):6,} files  "
                + ", ".join(f"{k} {v:,}" for k, v in sorted(row.items()))
            )
        print(
            f"  {'all':24} {sum(totals.values()):6,} files  "
            + ", ".join(f"{k} {v:,}" for k, v in sorted(totals.items()))
        )
        print(done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-2000:])
        if done.returncode:
            print(done.stdout[-6000:])
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
