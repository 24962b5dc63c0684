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
# biip: its GS1 tables (company prefixes) load on import; a UDI of AI 01/10/11/17/21 is read
# without it (traceability/udi.py), so `udi parse` of such a scan does not load it either.
HEAVY = ("biip", "polars", "psycopg", "pikepdf", "typst", "weasyprint", "openpyxl", "segno")
# Loaded with the URL conf (the admin modules, medrecall/web/apps.py), when a hook or a signal
# receiver first runs (accounts', notices' and execution's apps.py) or by the commands that use
# them (the holiday calendars: `medrecall recall deadlines`), never by a read-only command.
LAZY = (
    "axes.admin",
    "chinese_calendar",
    "django.contrib.auth.admin",
    "django.contrib.auth.views",
    "django_tasks_db.admin",
    "holidays",
    "medrecall.accounts.admin",
    "medrecall.accounts.lockout",
    "medrecall.accounts.middleware",
    "medrecall.audit.admin",
    "medrecall.catalog.admin",
    "medrecall.core.admin",
    "medrecall.core.workdays",
    "medrecall.core.workers",
    "medrecall.execution.admin",
    "medrecall.execution.closure",
    "medrecall.execution.holders",
    "medrecall.execution.selectors",
    "medrecall.notices.relations",
    "medrecall.notices.services",
    "medrecall.notices.updates",
    "medrecall.parties.admin",
    "medrecall.recalls.admin",
    "medrecall.recalls.deadlines",
    "medrecall.traceability.admin",
    "rest_framework.authtoken.admin",
    "smtplib",
)
READ_ONLY = [
    ["udi", "parse", "0100614141123452", "--json"],
    ["trace", "forward", "--gtin", "00614141123452", "--lot", "L1", "--json"],
    ["recall", "show", "RC-2026-0001"],
    ["recall", "list", "--json"],
]
# Libraries that load where they are used, not where their module is imported: the early-warning
# statistics (numpy, scipy; `quality signals`), the US federal holidays (a US deadline), the
# country tables (a filing's document, a public recall's text) and the QR codes (a waybill).
LIBRARIES = ("holidays", "numpy", "pycountry", "scipy", "segno")
OTHER_READS = [
    ["trace", "backward", "--gtin", "00614141123452", "--lot", "L1", "--json"],
    ["quality", "complaint", "list", "--json"],
    ["quality", "capa", "list", "--json"],
    ["filings", "list", "RC-2026-0001", "--json"],
    ["intelligence", "search", "--q", "pump", "--json"],
    ["execution", "accounting", "RC-2026-0001", "--json"],
]
# What the collector did by the end of a command: on, and with set-up's objects frozen.
COLLECTOR_PROBE = """
import gc, sys
from medrecall.cli import main
try:
    main(sys.argv[1:])
finally:
    sys.stderr.write(f"\\nCOLLECTOR {gc.isenabled()} {gc.get_freeze_count() > 0}\\n")
"""
# Each library still loads, and answers, where it is used (a fresh process, no database).
USES_PROBE = """
import sys
from datetime import date

import django

django.setup()
from medrecall.core import workdays
from medrecall.execution import selectors  # what `medrecall execution` loads
from medrecall.filings import content
from medrecall.intelligence import parsing
from medrecall.quality import signals

before = sorted(name for name in {libraries!r} if name in sys.modules)
answers = [
    workdays.package_day(date(2026, 7, 3), "US"),
    content._province_en("CN-JS", "fallback"),
    parsing.parse_distribution("Distributed in Germany and Texas").countries,
    signals._binomial_p(3, 10, 0.1),
]
from medrecall.execution.documents import qr_data_uri  # a waybill's module

answers.append(qr_data_uri("WB-1|RA-1")[:24])
after = sorted(name for name in {libraries!r} if name in sys.modules)
print(repr((before, answers, after)))
"""


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


@pytest.mark.parametrize("arguments", READ_ONLY, ids=lambda words: " ".join(words[:2]))
def test_read_only_commands_load_no_admin_and_no_hook_modules(
    tmp_path: Path, arguments: list[str]
) -> None:
    # An empty data directory: each command stops at its first query, after its imports.
    _, errors, modules = run_probe(tmp_path, *arguments, code=1)

    assert errors.startswith("Database error (sqlite3 ")
    assert "django.db.models" in modules
    assert sorted(name for name in LAZY if name in modules) == []
    assert sorted(name for name in HEAVY if name in modules) == []


def test_the_lazy_hooks_call_what_they_stand_for(monkeypatch: pytest.MonkeyPatch) -> None:
    from medrecall.execution import closure, holders
    from medrecall.notices import relations, updates
    from medrecall.notices.selectors import TIMELINE_SOURCES
    from medrecall.parties.services import MERGE_STEPS
    from medrecall.recalls.hooks import CLOSURE_CHECKS, SCOPE_HOOKS

    calls: list[tuple[str, tuple[object, ...]]] = []

    def stand_in(name: str) -> object:
        def called(*arguments: object) -> str:
            calls.append((name, arguments))
            return f"{name} answer"

        return called

    monkeypatch.setattr(updates, "on_scope_frozen", stand_in("notices updates"))
    monkeypatch.setattr(relations, "on_party_merge", stand_in("notices merge"))
    monkeypatch.setattr(closure, "closure_findings", stand_in("execution closure"))
    monkeypatch.setattr(holders, "on_party_merge", stand_in("execution merge"))
    monkeypatch.setattr(holders, "timeline_entries", stand_in("execution timeline"))
    timeline = [TIMELINE_SOURCES.get("execution")]

    answers: list[object] = [
        SCOPE_HOOKS.get("notices.updates")("recall", "actor"),  # type: ignore[arg-type]
        MERGE_STEPS.get("notices")("source", "target", "actor"),  # type: ignore[arg-type]
        CLOSURE_CHECKS.get("execution.accounting")("recall"),  # type: ignore[arg-type]
        MERGE_STEPS.get("execution")("source", "target", "actor"),  # type: ignore[arg-type]
        timeline[0](7),
    ]

    assert len(timeline) == 1
    assert answers == [
        "notices updates answer",
        "notices merge answer",
        "execution closure answer",
        "execution merge answer",
        "execution timeline answer",
    ]
    assert calls == [
        ("notices updates", ("recall", "actor")),
        ("notices merge", ("source", "target", "actor")),
        ("execution closure", ("recall",)),
        ("execution merge", ("source", "target", "actor")),
        ("execution timeline", (7,)),
    ]


def test_the_lazy_signal_receivers_are_connected_and_call_what_they_stand_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from axes.signals import user_locked_out
    from django.contrib.auth.signals import user_logged_in

    from medrecall.accounts import lockout, middleware

    calls: list[tuple[str, object, dict[str, object]]] = []
    monkeypatch.setattr(
        lockout, "on_user_locked_out", lambda sender, **kw: calls.append(("locked", sender, kw))
    )
    monkeypatch.setattr(
        middleware, "session_started", lambda sender, **kw: calls.append(("logged", sender, kw))
    )
    connected = {
        key[0]: reference()
        for signal in (user_locked_out, user_logged_in)
        for key, reference, *_ in signal.receivers
        if isinstance(key[0], str) and key[0].startswith("medrecall_")
    }

    connected["medrecall_login_locked"]("axes", request=None, username="ana", ip_address="::1")
    connected["medrecall_session_started"]("User", request=None, user=None)

    assert sorted(connected) == ["medrecall_login_locked", "medrecall_session_started"]
    assert calls == [
        ("locked", "axes", {"request": None, "username": "ana", "ip_address": "::1"}),
        ("logged", "User", {"request": None, "user": None}),
    ]


@pytest.mark.parametrize(
    "arguments", READ_ONLY + OTHER_READS, ids=lambda words: " ".join(words[:2])
)
def test_read_only_commands_load_no_library_they_do_not_use(
    tmp_path: Path, arguments: list[str]
) -> None:
    _, errors, modules = run_probe(tmp_path, *arguments, code=1)

    assert errors.startswith("Database error (sqlite3 ")
    assert sorted(name for name in LIBRARIES if name in modules) == []
    assert sorted(name for name in HEAVY if name in modules) == []


def test_the_libraries_load_and_answer_where_they_are_used(tmp_path: Path) -> None:
    environment = {
        **os.environ,
        "MEDRECALL_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "medrecall.settings.base",
    }
    environment.pop("DATABASE_URL", None)
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", USES_PROBE.format(libraries=LIBRARIES)],
        capture_output=True,
        text=True,
        env=environment,
        check=True,
        timeout=120,
    )

    before, answers, after = eval(done.stdout)  # noqa: S307 - the probe's own repr
    assert before == ["numpy"]  # quality.signals keeps numpy at import; scipy waits for a test
    assert answers == [
        ("holiday", "Independence Day (observed)"),
        "Jiangsu",
        ("US", "DE"),
        0.0701908264,
        "data:image/svg+xml;chars",
    ]
    assert after == sorted(LIBRARIES)


@pytest.mark.parametrize(
    ("arguments", "code"),
    [(["recall", "list", "--json"], 1), (["udi", "parse", "0100614141123452", "--json"], 1)],
    ids=["recall list", "udi parse"],
)
def test_a_command_sets_django_up_with_the_collector_paused_and_collects_after(
    tmp_path: Path, arguments: list[str], code: int
) -> None:
    environment = {
        **os.environ,
        "MEDRECALL_DATA_DIR": str(tmp_path),
        "LANGUAGE": "en",
        "DJANGO_SETTINGS_MODULE": "medrecall.settings.base",
    }
    environment.pop("DATABASE_URL", None)
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", COLLECTOR_PROBE, *arguments],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
        timeout=120,
    )

    assert done.returncode == code, done.stderr
    # On again for the command's own garbage; set-up's objects frozen (never walked again).
    assert done.stderr.rsplit("COLLECTOR ", 1)[1] == "True True\n"


def test_a_process_set_up_already_keeps_its_collector_as_it_was() -> None:
    import gc

    from medrecall.cli import _set_up_django

    frozen = gc.get_freeze_count()

    _set_up_django(["recall", "list", "--json"])

    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen
