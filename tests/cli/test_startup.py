"""A command line as fast as a script needs: ``medrecall version`` answers before Django is set
up, and the product's commands load neither the heavy libraries they do not use (polars,
psycopg on SQLite, the PDF engines) nor every URL conf and view for the system checks."""

from __future__ import annotations

import json
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import load_command_class

import medrecall.cli.management.commands as product_commands
from medrecall.cli import product_versions
from medrecall.cli.command import ProductCommand

# Loaded after the command ran; printed on stderr so the command's own output stays apart.
PROBE = """
import sys
from medrecall.cli import main
try:
    main(sys.argv[1:])
finally:
    sys.stderr.write("\\nMODULES " + " ".join(sorted(sys.modules)) + "\\n")
"""
HEAVY = ("polars", "psycopg", "pikepdf", "typst", "weasyprint", "openpyxl", "segno")


def run_probe(tmp_path: Path, *arguments: str, code: int = 0) -> tuple[str, str, set[str]]:
    """Runs ``medrecall ARGUMENTS`` on a new, empty data directory (SQLite, not migrated)."""
    environment = {
        **os.environ,
        "MEDRECALL_DATA_DIR": str(tmp_path),
        "LANGUAGE": "en",
        "DJANGO_SETTINGS_MODULE": "medrecall.settings.base",
    }
    environment.pop("DATABASE_URL", None)
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", PROBE, *arguments],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
        timeout=120,
    )
    assert done.returncode == code, done.stderr
    errors, modules = done.stderr.rsplit("MODULES ", 1)
    return done.stdout, errors, set(modules.split())


def test_version_answers_without_setting_django_up(tmp_path: Path) -> None:
    output, _, modules = run_probe(tmp_path, "version", "--json")

    assert json.loads(output) == product_versions()
    assert json.loads(output)["medrecall"] == "0.1.0"
    assert not {"django.apps.registry", "django.db.models"} & modules


def test_version_prints_one_line(tmp_path: Path) -> None:
    output, _, _ = run_probe(tmp_path, "--version")

    versions = product_versions()
    assert output == (
        f"MedRecall {versions['medrecall']} (Django {versions['django']}, "
        f"Python {versions['python']})\n"
    )


def test_udi_parse_skips_system_checks_and_heavy_libraries(tmp_path: Path) -> None:
    # The parse needs the database to find the records; an empty data directory says so in a line.
    output, errors, modules = run_probe(
        tmp_path, "udi", "parse", "0100614141123452", "--json", code=1
    )

    assert output == ""
    assert errors.startswith(
        f"Database error (sqlite3 {tmp_path / 'medrecall.sqlite3'}): no such table: "
    )
    assert 'set the database up with "medrecall migrate"' in errors
    assert "Traceback" not in errors
    assert "django.db.models" in modules  # Django was set up …
    assert (
        "medrecall.web.urls" not in modules
    )  # … but the checks (which import every URL conf) did not run
    assert "medrecall.api.urls" not in modules
    assert sorted(name for name in HEAVY if name in modules) == []


@pytest.mark.parametrize(
    "name", sorted(module.name for module in pkgutil.iter_modules(product_commands.__path__))
)
def test_every_product_command_skips_system_checks(name: str) -> None:
    command = load_command_class("medrecall.cli", name)

    assert isinstance(command, ProductCommand)
    assert command.requires_system_checks == []
