"""Audit the locked dependencies for known vulnerabilities (pip-audit), as CI does.

Exports ``uv.lock`` (every group) as pinned requirements, asks pip-audit about each, and
reads its JSON answer:

* any known vulnerability: listed (package, version, id, fixed versions), exit 1;
* a package the vulnerability service could not answer for (a machine that reaches only a
  package mirror, not the service): counted and said plainly, never reported as "no known
  vulnerabilities"; exit 0 unless ``--require-service``, exit 3 then.

    python3 scripts/audit_dependencies.py [--require-service] [--service pypi|osv]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent
VENV_BIN = PROJECT / ".venv" / "bin"


@dataclass
class AuditSummary:
    audited: int = 0
    vulnerable: list[str] = field(default_factory=list)  # one line per vulnerability
    unanswered: list[str] = field(default_factory=list)  # packages the service did not answer for


def summarise(report: dict[str, Any]) -> AuditSummary:
    """What pip-audit's JSON report (``-f json``) says, in the three cases CI tells apart."""
    summary = AuditSummary()
    for dependency in report.get("dependencies", []):
        name = dependency["name"] + (
            f" {dependency['version']}" if dependency.get("version") else ""
        )
        if dependency.get("skip_reason"):
            summary.unanswered.append(f"{name}: {dependency['skip_reason']}")
            continue
        summary.audited += 1
        for vulnerability in dependency.get("vulns", []):
            fixed = ", ".join(vulnerability.get("fix_versions") or []) or "no fixed version"
            summary.vulnerable.append(f"{name}: {vulnerability['id']} (fixed in {fixed})")
    return summary


def exit_code(summary: AuditSummary, *, require_service: bool) -> int:
    if summary.vulnerable:
        return 1
    if summary.unanswered and require_service:
        return 3
    return 0


def report_lines(summary: AuditSummary) -> list[str]:
    total = summary.audited + len(summary.unanswered)
    lines = [
        f"dependency audit: {summary.audited} of {total} locked packages audited, "
        f"{len(summary.vulnerable)} known vulnerabilities"
    ]
    lines += [f"  VULNERABLE {line}" for line in summary.vulnerable]
    if summary.unanswered:
        lines.append(
            f"  NOT AUDITED: the vulnerability service did not answer for {len(summary.unanswered)} "
            f"packages (no access to it from this machine?); first: {summary.unanswered[0]}"
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--require-service",
        action="store_true",
        help="fail (exit 3) when any package could not be audited",
    )
    parser.add_argument("--service", choices=["pypi", "osv"], default="pypi")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        requirements = Path(work) / "requirements.txt"
        subprocess.run(
            [
                str(VENV_BIN / "uv"),
                "export",
                "--frozen",
                "--format",
                "requirements-txt",
                "--all-groups",
                "--no-emit-project",
                "--no-hashes",
                "-q",
                "-o",
                str(requirements),
            ],
            cwd=PROJECT,
            check=True,
        )
        done = subprocess.run(
            [
                str(VENV_BIN / "pip-audit"),
                "-r",
                str(requirements),
                "--no-deps",
                "--disable-pip",
                "--vulnerability-service",
                options.service,
                "--progress-spinner",
                "off",
                "-f",
                "json",
            ],
            cwd=PROJECT,
            capture_output=True,
            text=True,
            check=False,
        )
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        print(
            f"dependency audit: pip-audit gave no report (exit {done.returncode}):\n{done.stderr[-2000:]}"
        )
        return 3 if options.require_service else 0
    summary = summarise(report)
    print("\n".join(report_lines(summary)))
    return exit_code(summary, require_service=options.require_service)


if __name__ == "__main__":
    sys.exit(main())
