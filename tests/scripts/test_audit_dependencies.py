"""CI's dependency audit tells apart a vulnerable lock, a clean one and one the vulnerability
service could not answer for (which must never pass as "no known vulnerabilities")."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "audit_dependencies.py"


def audit_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("audit_dependencies", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


AUDIT = audit_module()


def test_a_known_vulnerability_fails_and_is_named() -> None:
    report = {
        "dependencies": [
            {
                "name": "django",
                "version": "4.2.0",
                "vulns": [
                    {
                        "id": "PYSEC-2023-100",
                        "fix_versions": ["4.2.2", "4.1.10"],
                        "aliases": [],
                        "description": "",
                    }
                ],
            },
            {"name": "segno", "version": "1.6.6", "vulns": []},
        ],
        "fixes": [],
    }

    summary = AUDIT.summarise(report)

    assert (summary.audited, summary.vulnerable, summary.unanswered) == (
        2,
        ["django 4.2.0: PYSEC-2023-100 (fixed in 4.2.2, 4.1.10)"],
        [],
    )
    assert AUDIT.exit_code(summary, require_service=False) == 1
    assert AUDIT.report_lines(summary) == [
        "dependency audit: 2 of 2 locked packages audited, 1 known vulnerabilities",
        "  VULNERABLE django 4.2.0: PYSEC-2023-100 (fixed in 4.2.2, 4.1.10)",
    ]


def test_a_clean_lock_passes() -> None:
    summary = AUDIT.summarise(
        {"dependencies": [{"name": "segno", "version": "1.6.6", "vulns": []}]}
    )

    assert AUDIT.exit_code(summary, require_service=True) == 0
    assert AUDIT.report_lines(summary) == [
        "dependency audit: 1 of 1 locked packages audited, 0 known vulnerabilities"
    ]


def test_packages_the_service_did_not_answer_for_are_said_not_audited() -> None:
    reason = "Dependency not found on PyPI and could not be audited: django (5.2.19)"
    summary = AUDIT.summarise(
        {
            "dependencies": [
                {"name": "django", "skip_reason": reason},
                {"name": "segno", "version": "1.6.6", "vulns": []},
            ]
        }
    )

    assert (summary.audited, summary.unanswered) == (1, [f"django: {reason}"])
    assert AUDIT.exit_code(summary, require_service=False) == 0
    assert AUDIT.exit_code(summary, require_service=True) == 3
    assert AUDIT.report_lines(summary)[1] == (
        "  NOT AUDITED: the vulnerability service did not answer for 1 packages (no access to it from this "
        f"machine?); first: django: {reason}"
    )
