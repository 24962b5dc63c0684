"""``medrecall quality …``: the complaint and CAPA paths end to end, ``--json`` answers,
refusals with exit status 1 and the message, nothing changed."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from medrecall.accounts.models import User
from medrecall.audit.models import AuditEntry
from medrecall.parties.models import Party
from medrecall.quality import services
from medrecall.quality.models import Capa, Complaint
from medrecall.recalls.models import RecallCase
from tests.traceability.scenario import CATH

pytestmark = pytest.mark.django_db


def run(*words: str) -> Any:
    out = StringIO()
    call_command("quality", *words, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_complaint_add_triage_show(world: object, manager: User) -> None:
    added = run(
        "complaint",
        "add",
        "--holder",
        "HOSP",
        "--aware-at",
        "2026-03-02T09:30:00+00:00",
        "--description",
        "Tip broke",
        "--gtin",
        CATH,
        "--lot",
        "C404",
        "--death",
        "--user",
        manager.username,
    )
    assert (added["lot"], added["resolution"]) == ("C404", "unknown_lot")

    triaged = run(
        "complaint",
        "triage",
        added["number"],
        "--decision",
        "nmpa:nmpa_death:Patient died",
        "--decision",
        "fda:no:Not sold in the US",
        "--user",
        manager.username,
    )
    assert triaged["status"] == "triaged"
    assert [(c["category"], c["due_at"]) for c in triaged["clocks"]] == [
        ("nmpa_death", "2026-03-09T17:30:00+08:00")
    ]
    listed = run("complaint", "list", "--unresolved")
    assert [c["number"] for c in listed["complaints"]] == [added["number"]]
    resolved = run(
        "complaint",
        "resolve",
        added["number"],
        "--barcode",
        f"(01){CATH}(10)C1",
        "--user",
        manager.username,
    )
    assert resolved["resolution"] == "resolved"
    assert run("complaint", "list", "--unresolved")["complaints"] == []


def test_capa_open_verify_close(world: object, manager: User) -> None:
    opened = run(
        "capa",
        "open",
        "--title",
        "Tip",
        "--problem",
        "Tips break",
        "--due",
        "2026-06-30",
        "--confirm-past-due",
        "--lot",
        f"{CATH}:C1",
        "--user",
        manager.username,
    )
    number = opened["number"]
    assert opened["suppliers"] == ["SUPP"]
    run(
        "capa",
        "root-cause",
        number,
        "--category",
        "Process control",
        "--statement",
        "Weld",
        "--why",
        "Broke",
        "--why",
        "Weak weld",
        "--fishbone",
        "machine=Welder drift",
        "--user",
        manager.username,
    )
    action = run(
        "capa",
        "action",
        number,
        "--kind",
        "corrective",
        "--description",
        "Recalibrate",
        "--due",
        "2026-05-01",
        "--user",
        manager.username,
    )["actions"][0]["id"]
    run(
        "capa", "action-update", number, str(action), "--status", "done", "--user", manager.username
    )
    run(
        "capa",
        "verify",
        number,
        "--method",
        "SPC",
        "--result",
        "In control",
        "--effective",
        "--user",
        manager.username,
    )
    closed = run("capa", "close", number, "--user", manager.username)

    assert closed["status"] == "closed"
    assert closed["root_causes"][0]["fishbone"] == {"machine": ["Welder drift"]}


def test_capa_close_unverified_exits_with_message(world: object, manager: User) -> None:
    number = run(
        "capa",
        "open",
        "--title",
        "T",
        "--problem",
        "P",
        "--due",
        "2026-06-30",
        "--confirm-past-due",
        "--user",
        manager.username,
    )["number"]

    with pytest.raises(CommandError, match="cannot close without a recorded verification"):
        call_command("quality", "capa", "close", number, "--user", manager.username)

    assert Capa.objects.get(number=number).status == "open"


@pytest.mark.parametrize(
    ("words", "message"),
    [
        pytest.param(
            ("complaint", "show", "CMP-1999-00001"),
            "There is no complaint CMP-1999-00001.",
            id="unknown-complaint",
        ),
        pytest.param(
            ("capa", "show", "CAPA-1999-0001"),
            "No CAPA has the number CAPA-1999-0001.",
            id="unknown-capa",
        ),
        pytest.param(
            (
                "complaint",
                "add",
                "--aware-at",
                "yesterday",
                "--description",
                "x",
                "--user",
                "{user}",
            ),
            "--aware-at: yesterday is not a date",
            id="bad-date",
        ),
        pytest.param(
            (
                "complaint",
                "add",
                "--aware-at",
                "2026-03-02T09:30",
                "--description",
                "x",
                "--barcode",
                "(01)123",
                "--user",
                "{user}",
            ),
            "The scanned UDI does not read",
            id="bad-barcode",
        ),
        pytest.param(
            ("complaint", "add", "--aware-at", "2026-03-02T09:30", "--description", "x"),
            "Give --user",
            id="no-user",
        ),
    ],
)
def test_refusals_exit_with_message(
    world: object, manager: User, words: tuple[str, ...], message: str
) -> None:
    words = tuple(w.replace("{user}", manager.username) for w in words)

    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call_command("quality", *words)

    assert Complaint.objects.count() == 0


def test_dashboard_json(world: object, manager: User) -> None:
    board = run("dashboard")

    assert board["complaints_open"] == 0
    assert board["root_causes"] == []
    assert set(board) == {
        "complaints_open",
        "complaints_by_status",
        "complaints_unresolved",
        "clocks",
        "capas_open",
        "capas_overdue",
        "capas_due",
        "actions_overdue",
        "root_causes",
        "recalls_without_capa",
        "recalls_closed",
        "signals_active",
        "signals_top",
    }


WRITES = [
    ("viewer", ("complaint", "add", "--holder", "HOSP", "--aware-at", "2026-03-02T09:30+00:00",
                "--description", "x")),
    ("viewer", ("complaint", "resolve", "{cmp}", "--gtin", CATH, "--lot", "C1")),
    ("warehouse", ("complaint", "triage", "{cmp}", "--decision", "fda:no:Not sold")),
    ("viewer", ("complaint", "report", "{cmp}", "--regime", "nmpa", "--reference", "R")),
    ("viewer", ("complaint", "investigate", "{cmp}", "--findings", "f")),
    ("viewer", ("complaint", "close", "{cmp}")),
    ("viewer", ("complaint", "link", "{cmp}", "--recall", "{recall}")),
    ("customer_service", ("complaint", "start-recall", "{cmp}")),
    ("viewer", ("capa", "open", "--title", "T", "--problem", "P", "--due", "2026-06-30")),
    ("viewer", ("capa", "link", "{capa}", "--complaint", "{cmp}")),
    ("viewer", ("capa", "root-cause", "{capa}", "--category", "Other", "--statement", "s")),
    ("viewer", ("capa", "action", "{capa}", "--kind", "correction", "--description", "d",
                "--due", "2026-05-01")),
    ("viewer", ("capa", "action-update", "{capa}", "{task}", "--status", "done")),
    ("viewer", ("capa", "verify", "{capa}", "--method", "m", "--result", "r", "--effective")),
    ("viewer", ("capa", "reopen", "{capa}", "--reason", "r")),
    ("viewer", ("capa", "close", "{capa}")),
    ("portal", ("capa", "close", "{capa}")),
]  # fmt: skip


@pytest.mark.parametrize(("role", "words"), WRITES, ids=[f"{r}-{w[0]}-{w[1]}" for r, w in WRITES])
def test_write_subcommands_refuse_a_role_without_the_permission(
    world: object,
    manager: User,
    make_user: Callable[..., User],
    receive: Callable[..., Complaint],
    role: str,
    words: tuple[str, ...],
) -> None:
    complaint = receive()
    other = receive(reference="X")
    recall = services.complaint_start_recall(complaint=other, actor=manager)
    capa = services.capa_open(
        confirm_past_due=True,
        actor=manager,
        title="C",
        problem="p",
        owner=manager,
        due_on=date(2026, 6, 30),
    )
    task = services.capa_action_add(
        capa=capa,
        actor=manager,
        kind="correction",
        description="Rework",
        owner=manager,
        due_on=date(2026, 5, 1),
    )
    party = Party.objects.get(code="HOSP") if role == "portal" else None
    user = make_user(role, party=party)
    names = {"{cmp}": complaint.number, "{capa}": capa.number, "{task}": str(task.pk),
             "{recall}": recall.number}  # fmt: skip
    before = (
        AuditEntry.objects.count(),
        list(Complaint.objects.values_list("status", "recall", "findings")),
        list(Capa.objects.values_list("status", "updated_at")),
        RecallCase.objects.count(),
    )

    with pytest.raises(CommandError, match=f"^{user.username} may not do this"):
        call_command("quality", *[names.get(w, w) for w in words], "--user", user.username)

    assert (
        AuditEntry.objects.count(),
        list(Complaint.objects.values_list("status", "recall", "findings")),
        list(Capa.objects.values_list("status", "updated_at")),
        RecallCase.objects.count(),
    ) == before


@pytest.mark.parametrize(
    ("words", "error"),
    [
        pytest.param(
            ("complaint", "show", "CMP-1999-00001"),
            {
                "code": "not_found",
                "message": "There is no complaint CMP-1999-00001.",
                "where": "",
            },
            id="unknown-complaint",
        ),
        pytest.param(
            (
                "complaint",
                "add",
                "--aware-at",
                "2026-03-02T09:30",
                "--description",
                "x",
                "--barcode",
                "(01)123",
                "--user",
                "{user}",
            ),
            {"code": "complaint_invalid", "where": "barcode"},
            id="bad-barcode",
        ),
        pytest.param(
            (
                "complaint",
                "add",
                "--aware-at",
                "yesterday",
                "--description",
                "x",
                "--user",
                "{user}",
            ),
            {
                "code": "invalid",
                "message": "--aware-at: yesterday is not a date and time (use YYYY-MM-DDTHH:MM).",
                "where": "",
            },
            id="bad-date",
        ),
    ],
)
def test_refusals_under_json_answer_json(
    world: object, manager: User, words: tuple[str, ...], error: dict[str, str]
) -> None:
    words = tuple(w.replace("{user}", manager.username) for w in words)
    out = StringIO()

    with pytest.raises(CommandError):
        call_command("quality", *words, "--json", stdout=out)

    answer = json.loads(out.getvalue())
    assert set(answer) == {"error"}
    assert {k: answer["error"][k] for k in error} == error
    assert set(answer["error"]) == {"code", "message", "where"}
    assert Complaint.objects.count() == 0
