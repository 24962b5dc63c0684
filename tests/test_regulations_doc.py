"""docs/regulations.md stays true as the code moves: every ``module:name`` its rule table names
imports, every ``tests/…::test_name`` exists, every rule names code and a test, and its list of
deadline codes is exactly what the compliance clock produces."""

from __future__ import annotations

import importlib
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from medrecall.recalls.clock import compute_deadlines

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "regulations.md"
CODE = re.compile(r"`(medrecall(?:\.\w+)+):(\w+(?:\.\w+)*)`")
TEST = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")
CST = timezone(timedelta(hours=8))


def section(title: str) -> str:
    """The text under ``## title`` up to the next second-level heading."""
    text = DOC.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def table_rows(title: str) -> list[list[str]]:
    """The cells of each body row of the table in the section (header and rule line left out)."""
    rows = [
        [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        for line in section(title).splitlines()
        if line.startswith("|")
    ]
    return rows[2:]


RULES = table_rows("Rules, code and tests")


def test_the_rule_table_has_four_columns_and_names_code_and_a_test_in_every_row() -> None:
    assert len(RULES) >= 30
    assert [row[0] for row in RULES if len(row) != 4] == []
    assert [row[0] for row in RULES if not CODE.search(row[2])] == []
    assert [row[0] for row in RULES if not TEST.search(row[3])] == []


def test_every_code_reference_resolves() -> None:
    unresolved = []
    for row in RULES:
        for module_name, attribute in CODE.findall(row[2]):
            try:
                found: object = importlib.import_module(module_name)
                for part in attribute.split("."):
                    found = getattr(found, part)
            except (ImportError, AttributeError):
                unresolved.append(f"{module_name}:{attribute}")
    assert unresolved == []


def test_every_test_reference_exists() -> None:
    missing = []
    for row in RULES:
        for path, name in TEST.findall(row[3]):
            file = ROOT / path
            if not (
                file.is_file()
                and re.search(
                    rf"^\s*(?:async\s+)?def {name}\(", file.read_text(encoding="utf-8"), re.M
                )
            ):
                missing.append(f"{path}::{name}")
    assert missing == []


def test_the_deadline_codes_are_exactly_the_clocks() -> None:
    documented = sorted(re.findall(r"^\| `([\w.]+)` \|", section("Deadline codes"), re.M))
    regimes: dict[Any, str] = {"nmpa": "I", "fda": "I", "eu_mdr": "fsca"}
    computed = compute_deadlines(
        regimes=regimes,
        decision_at=datetime(2025, 3, 3, 9, 0, tzinfo=CST),
        initiated_at=datetime(2025, 3, 4, 9, 0, tzinfo=CST),
        completed_at=datetime(2025, 6, 2, 9, 0, tzinfo=CST),
        aware_at=datetime(2025, 3, 1, 9, 0, tzinfo=CST),
        progress_interval_days=1,
        eu_incident="public_health_threat",
    )
    assert documented == sorted(deadline.key for deadline in computed)


def test_the_docs_point_to_the_regulatory_basis_inside_the_repository() -> None:
    outside = [
        page.name
        for page in sorted((ROOT / "docs").glob("*.md"))
        if "shared/regulations.md" in page.read_text(encoding="utf-8")
    ]
    assert outside == []
    assert "(regulations.md)" in (ROOT / "docs" / "recalls.md").read_text(encoding="utf-8")
