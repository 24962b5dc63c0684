"""The recall from the command line, end to end, with JSON output."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from medrecall.accounts.models import Signature, User
from medrecall.audit.models import AuditEntry
from tests.conftest import PASSWORD
from tests.traceability.scenario import CATH, network, run_events
from tests.traceability.test_trace import DISTRIBUTION

pytestmark = pytest.mark.django_db


def run(capsys: pytest.CaptureFixture[str], *args: str) -> dict:  # type: ignore[type-arg]
    call_command("recall", *args, "--json")
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def test_recall_through_the_cli(
    tmp_path: Path,
    manager: User,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    network()
    assert run_events(tmp_path, DISTRIBUTION).accepted
    user = ["--user", manager.username]
    opened = run(
        capsys,
        "open",
        "--title",
        "Tip",
        "--gtin",
        CATH,
        "--reason",
        "tip",
        "--regime",
        "fda",
        "--decision-at",
        "2025-03-01T10:00:00+08:00",
        *user,
    )
    number = opened["number"]
    assert opened["status"] == "draft"
    run(capsys, "transition", number, "--to", "assessment", *user)
    assert run(
        capsys, "evaluate", number, "--severity", "serious", "--likelihood", "remote", *user
    )["regimes"] == {"fda": "II"}
    run(capsys, "scope", number, "--kind", "lots", "--gtin", CATH, "--values", "C1", *user)
    assert run(capsys, "freeze", number, *user) == {
        "snapshot": 1,
        "total_units": 970,
        "total_holders": 5,
    }
    assert run(capsys, "impact", number)["by_category"]["own_stock"] == 400
    assert (
        run(capsys, "transition", number, "--to", "pending_approval", *user)["status"]
        == "pending_approval"
    )
    secret = tmp_path / "password"
    secret.write_text(PASSWORD + "\n")
    secret.chmod(0o600)
    assert (
        run(capsys, "sign", number, "--step", "qa_head", "--password-file", str(secret), *user)[
            "missing"
        ]
        == []
    )
    assert (
        run(capsys, "transition", number, "--to", "in_execution", *user)["status"] == "in_execution"
    )
    keys = {row["key"] for row in run(capsys, "deadlines", number)["deadlines"]}
    assert {"fda.notify_holders", "fda.status_report"} <= keys
    with pytest.raises(CommandError, match="cannot go from"):
        call_command("recall", "transition", number, "--to", "draft", *user)


def test_update_sets_fields_and_refuses_bad_input(
    tmp_path: Path, manager: User, capsys: pytest.CaptureFixture[str]
) -> None:
    network()
    user = ["--user", manager.username]
    number = run(
        capsys,
        "open",
        "--title",
        "Tip",
        "--gtin",
        CATH,
        "--reason",
        "tip",
        "--regime",
        "nmpa",
        *user,
    )["number"]
    updated = run(
        capsys,
        "update",
        number,
        "--set",
        "title=Tip fracture",
        "--set",
        "strategy=Return all units",
        "--decision-at",
        "2025-03-01T10:00:00+08:00",
        "--reason",
        "decision taken",
        *user,
    )
    assert (updated["title"], updated["decision_at"], updated["version"]) == (
        "Tip fracture",
        "2025-03-01T02:00:00+00:00",
        2,
    )
    with pytest.raises(CommandError, match="FIELD=VALUE"):
        call_command("recall", "update", number, "--set", "title", *user)
    with pytest.raises(CommandError, match="not an ISO date"):
        call_command("recall", "update", number, "--set", "completed_at=tomorrow", *user)
    with pytest.raises(CommandError, match="Give what to change"):
        call_command("recall", "update", number, *user)


class FakeTerminal(io.StringIO):
    """Standard input that says it is a terminal, as an interactive shell's is."""

    def isatty(self) -> bool:
        return True


class Piped(io.StringIO):
    def isatty(self) -> bool:
        return False


@pytest.fixture
def pending_number(tmp_path: Path, manager: User, capsys: pytest.CaptureFixture[str]) -> str:
    network()
    assert run_events(tmp_path, DISTRIBUTION).accepted
    user = ["--user", manager.username]
    number = run(
        capsys,
        "open",
        "--title",
        "Tip",
        "--gtin",
        CATH,
        "--reason",
        "tip",
        "--regime",
        "fda",
        "--decision-at",
        "2025-03-01T10:00:00+08:00",
        *user,
    )["number"]
    run(capsys, "transition", number, "--to", "assessment", *user)
    run(capsys, "evaluate", number, "--severity", "serious", "--likelihood", "remote", *user)
    run(capsys, "scope", number, "--kind", "lots", "--gtin", CATH, "--values", "C1", *user)
    run(capsys, "freeze", number, *user)
    run(capsys, "transition", number, "--to", "pending_approval", *user)
    return str(number)


def test_sign_asks_for_the_password_without_echo_at_a_terminal(
    pending_number: str,
    manager: User,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    prompts: list[str] = []

    def no_echo(prompt: str = "") -> str:
        prompts.append(prompt)
        return PASSWORD

    monkeypatch.setattr("getpass.getpass", no_echo)
    call_command(
        "recall",
        "sign",
        pending_number,
        "--step",
        "qa_head",
        "--user",
        manager.username,
        "--json",
        stdin=FakeTerminal(""),
    )
    assert json.loads(capsys.readouterr().out)["signature"]["signer_name"] == manager.username
    assert prompts == [f"Password for {manager.username} (electronic signature): "]
    assert Signature.objects.count() == 1


def test_sign_reads_the_password_from_standard_input_when_asked(
    pending_number: str,
    manager: User,
    capsys: pytest.CaptureFixture[str],
) -> None:
    call_command(
        "recall",
        "sign",
        pending_number,
        "--step",
        "qa_head",
        "--user",
        manager.username,
        "--password-file",
        "-",
        stdin=Piped(PASSWORD + "\n"),
    )
    assert Signature.objects.count() == 1


@pytest.mark.parametrize(
    ("environment", "file_mode", "message"),
    [
        pytest.param(
            {"MEDRECALL_SIGN_PASSWORD": PASSWORD},
            None,
            "MEDRECALL_SIGN_PASSWORD is no longer read",
            id="environment-variable",
        ),
        pytest.param(
            {},
            None,
            "No terminal to ask for the signing password: give --password-file PATH",
            id="no-tty",
        ),
        pytest.param(
            {}, 0o644, "may be read by others: make it private first", id="file-readable-by-others"
        ),
        pytest.param({}, "missing", "Cannot read the password file", id="file-missing"),
    ],
)
def test_sign_refuses_without_a_terminal_or_a_private_file(
    pending_number: str,
    manager: User,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    environment: dict[str, str],
    file_mode: int | str | None,
    message: str,
) -> None:
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    options: list[str] = []
    if file_mode is not None:
        secret = tmp_path / "password"
        if file_mode != "missing":
            secret.write_text(PASSWORD)
            secret.chmod(int(file_mode))
        options = ["--password-file", str(secret)]
    entries = AuditEntry.objects.count()
    with pytest.raises(CommandError, match=message):
        call_command(
            "recall",
            "sign",
            pending_number,
            "--step",
            "qa_head",
            "--user",
            manager.username,
            *options,
            stdin=Piped(PASSWORD + "\n"),
        )
    assert Signature.objects.count() == 0
    assert AuditEntry.objects.count() == entries
