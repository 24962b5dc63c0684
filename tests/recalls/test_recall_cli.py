"""The recall from the command line, end to end, with JSON output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from medrecall.accounts.models import User
from tests.conftest import PASSWORD
from tests.traceability.scenario import CATH, network, run_events
from tests.traceability.test_trace import DISTRIBUTION

pytestmark = pytest.mark.django_db


def run(capsys: pytest.CaptureFixture[str], *args: str) -> dict:  # type: ignore[type-arg]
    call_command("recall", *args, "--json")
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def test_recall_through_the_cli(tmp_path: Path, manager: User, capsys: pytest.CaptureFixture[str],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    network()
    assert run_events(tmp_path, DISTRIBUTION).accepted
    user = ["--user", manager.username]
    opened = run(capsys, "open", "--title", "Tip", "--gtin", CATH, "--reason", "tip", "--regime", "fda",
                 "--decision-at", "2025-03-01T10:00:00+08:00", *user)
    number = opened["number"]
    assert opened["status"] == "draft"
    run(capsys, "transition", number, "--to", "assessment", *user)
    assert run(capsys, "evaluate", number, "--severity", "serious", "--likelihood", "remote", *user)["regimes"] == {
        "fda": "II"}
    run(capsys, "scope", number, "--kind", "lots", "--gtin", CATH, "--values", "C1", *user)
    assert run(capsys, "freeze", number, *user) == {"snapshot": 1, "total_units": 970, "total_holders": 5}
    assert run(capsys, "impact", number)["by_category"]["own_stock"] == 400
    assert run(capsys, "transition", number, "--to", "pending_approval", *user)["status"] == "pending_approval"
    monkeypatch.setenv("MEDRECALL_SIGN_PASSWORD", PASSWORD)
    assert run(capsys, "sign", number, "--step", "qa_head", *user)["missing"] == []
    assert run(capsys, "transition", number, "--to", "in_execution", *user)["status"] == "in_execution"
    keys = {row["key"] for row in run(capsys, "deadlines", number)["deadlines"]}
    assert {"fda.notify_holders", "fda.status_report"} <= keys
    with pytest.raises(CommandError, match="cannot go from"):
        call_command("recall", "transition", number, "--to", "draft", *user)


def test_update_sets_fields_and_refuses_bad_input(tmp_path: Path, manager: User,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    network()
    user = ["--user", manager.username]
    number = run(capsys, "open", "--title", "Tip", "--gtin", CATH, "--reason", "tip", "--regime", "nmpa", *user)["number"]
    updated = run(capsys, "update", number, "--set", "title=Tip fracture", "--set", "strategy=Return all units",
                  "--decision-at", "2025-03-01T10:00:00+08:00", "--reason", "decision taken", *user)
    assert (updated["title"], updated["decision_at"], updated["version"]) == (
        "Tip fracture", "2025-03-01T02:00:00+00:00", 2)
    with pytest.raises(CommandError, match="FIELD=VALUE"):
        call_command("recall", "update", number, "--set", "title", *user)
    with pytest.raises(CommandError, match="not an ISO date"):
        call_command("recall", "update", number, "--set", "completed_at=tomorrow", *user)
    with pytest.raises(CommandError, match="Give what to change"):
        call_command("recall", "update", number, *user)
