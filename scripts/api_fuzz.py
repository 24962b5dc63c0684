#!/usr/bin/env python3
"""Fuzz the whole REST API of a live MedRecall server with schemathesis.

    python3 scripts/api_fuzz.py                      # seed 2026, 10 examples per operation
    python3 scripts/api_fuzz.py --max-examples 50 --seed 7 --keep

Starts the product's own server (``medrecall runserver``, production settings, SQLite) on a free
port with a temporary data directory and the demo data, makes an API token for the demo
administrator, and runs ``schemathesis run`` over every operation of ``/api/schema/`` with a
fixed seed and a bounded number of examples per operation. The checks: no server error (5xx),
every response conforms to the published schema (body, status code, content type). Prints a
summary and exits non-zero on any failure, so CI (``.ci/run``) keeps the API free of 500s and
schema violations. The seed and the example count make a run reproducible; the JUnit report is
left in ``--report-dir`` for the failures' details.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
MEDRECALL = BIN / "medrecall"
SCHEMATHESIS = BIN / "schemathesis"
CHECKS = (
    "not_a_server_error",
    "response_schema_conformance",
    "status_code_conformance",
    "content_type_conformance",
)
TOKEN_USER = "admin"  # noqa: S105 - a user name, not a password; the demo superuser: every operation is reachable, none refused for lack of rights


def say(message: str) -> None:
    print(f"[api-fuzz] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_env(data_dir: Path, port: int) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {"DATABASE_URL", "REDIS_URL", "MEDRECALL_TASK_BACKEND", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        MEDRECALL_DATA_DIR=str(data_dir),
        MEDRECALL_BASE_URL=f"http://127.0.0.1:{port}",
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        DEBUG="0",
        PYTHONUNBUFFERED="1",
    )
    return env


def medrecall(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [str(MEDRECALL), *args], env=env, cwd=ROOT, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout + result.stderr)
        raise SystemExit(f"[api-fuzz] medrecall {' '.join(args)} failed (exit {result.returncode})")
    return result.stdout


def wait_until_up(url: str, server: subprocess.Popen[bytes], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - our own server on 127.0.0.1
                return True
        except urllib.error.HTTPError:
            return True  # it answers
        except OSError:
            time.sleep(0.3)
    return False


def junit_counts(path: Path) -> tuple[int, int, int, list[str]]:
    """(operations, failed operations, errored operations, failure lines) from the JUnit report."""
    if not path.exists():
        return 0, 0, 1, [f"ERROR   no report at {path}"]
    try:
        root = ET.parse(path).getroot()  # noqa: S314 - written by schemathesis a moment ago
    except ET.ParseError:
        return 0, 0, 1, [f"ERROR   unreadable report {path}"]
    operations = failed = errored = 0
    lines: list[str] = []
    for case in root.iter("testcase"):
        operations += 1
        for kind in ("failure", "error"):
            for node in case.findall(kind):
                if kind == "failure":
                    failed += 1
                else:
                    errored += 1
                first = (node.get("message") or node.text or "").strip().splitlines()[:1]
                lines.append(f"{kind.upper():7} {case.get('name')}: {first[0] if first else ''}")
    return operations, failed, errored, lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=2026, help="schemathesis seed (default 2026)")
    parser.add_argument(
        "--max-examples", type=int, default=10, help="generated cases per operation (default 10)"
    )
    parser.add_argument(
        "--phases",
        default="examples,fuzzing",
        help="schemathesis phases (default examples,fuzzing; the coverage phase adds "
        "boundary and negative cases, and about 15 minutes)",
    )
    parser.add_argument(
        "--workers", default="1", help="schemathesis workers (default 1: reproducible)"
    )
    parser.add_argument(
        "--report-dir",
        type=Path,
        default=None,
        help="where the JUnit report goes (default: the temporary data directory)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    parser.add_argument("extra", nargs="*", help="more schemathesis arguments (after --)")
    args = parser.parse_args(argv)

    started = time.monotonic()
    data_dir = Path(tempfile.mkdtemp(prefix="medrecall-fuzz."))
    port = free_port()
    env = server_env(data_dir, port)
    server: subprocess.Popen[bytes] | None = None
    try:
        say(f"data directory {data_dir}; migrating and loading the demo data")
        medrecall(env, "migrate", "--noinput", "-v0")
        medrecall(env, "demo", "-v0")
        token = medrecall(env, "drf_create_token", TOKEN_USER).strip().split()[2]
        say(f"server on 127.0.0.1:{port} (medrecall runserver, production settings)")
        log = (data_dir / "server.log").open("wb")
        server = subprocess.Popen(
            [str(MEDRECALL), "runserver", f"127.0.0.1:{port}", "--noreload"],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        base = f"http://127.0.0.1:{port}"
        if not wait_until_up(f"{base}/healthz", server, seconds=90):
            say("the server did not come up; its log:")
            sys.stdout.write((data_dir / "server.log").read_text(errors="replace")[-4000:])
            return 2
        report_dir = args.report_dir or data_dir / "report"
        junit = report_dir / "junit.xml"
        command = [
            str(SCHEMATHESIS),
            "run",
            f"{base}/api/schema/",
            "--url",
            base,
            "--header",
            f"Authorization: Token {token}",
            "--checks",
            ",".join(CHECKS),
            "--seed",
            str(args.seed),
            "--max-examples",
            str(args.max_examples),
            "--workers",
            str(args.workers),
            "--phases",
            args.phases,
            "--generation-database",
            "none",
            "--suppress-health-check",
            "all",
            "--request-timeout",
            "60",
            "--report",
            "junit",
            "--report-junit-path",
            str(junit),
            "--no-color",
            "--output-truncate",
            "true",
            *args.extra,
        ]
        say(
            f"schemathesis run, seed {args.seed}, at most {args.max_examples} examples per operation, "
            f"phases {args.phases}"
        )
        fuzz_started = time.monotonic()
        generated = "?"
        with subprocess.Popen(
            command,
            cwd=data_dir,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        ) as fuzz:
            assert fuzz.stdout is not None  # noqa: S101 - we asked for the pipe
            for line in fuzz.stdout:
                sys.stdout.write(line)
                if found := re.search(r"(\d+) generated", line):
                    generated = found.group(1)
        code = fuzz.returncode
        fuzz_seconds = time.monotonic() - fuzz_started
        operations, failed, errored, lines = junit_counts(junit)
        print()
        say("summary")
        for line in lines:
            print(f"  {line}")
        print(
            f"  operations: {operations}; test cases: {generated}; failures: {failed}; errors: {errored}; "
            f"schemathesis exit code: {code}; fuzzing {fuzz_seconds:.0f} s, "
            f"total {time.monotonic() - started:.0f} s (seed {args.seed}, "
            f"max examples {args.max_examples}, phases {args.phases})"
        )
        if server.poll() is not None:
            say(f"the server stopped during the run (exit {server.returncode})")
            return 1
        return 0 if code == 0 and operations > 0 and failed == 0 and errored == 0 else 1
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.wait(timeout=20)
            if server.poll() is None:
                os.killpg(server.pid, signal.SIGKILL)
        if args.keep:
            say(f"kept {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
