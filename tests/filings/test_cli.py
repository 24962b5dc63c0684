"""``medrecall filings``: generate, enter, check (a refusal names every missing item, exit
status 1, nothing changes), sign (password from a private file), submit with the
acknowledgement file, list; ``--json`` everywhere."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from medrecall.accounts.models import User
from medrecall.audit.models import AuditEntry
from medrecall.filings.models import Filing
from medrecall.recalls.models import DeadlineDone, RecallCase
from tests.conftest import PASSWORD
from tests.filings.conftest import ACK, PLAN_SECTIONS, signing_clock


def _json(*args: str) -> object:
    out = StringIO()
    call_command("filings", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_the_plan_through_the_command(recall: RecallCase, manager: User, tmp_path: Path) -> None:
    who = ("--user", manager.username, "--type", "nmpa.recall_plan")
    made = _json("generate", recall.number, *who)
    assert (made["status"], made["version"], len(made["problems"])) == ("draft", 1, 4)

    with pytest.raises(CommandError) as refused:
        call_command("filings", "check", recall.number, *who)
    assert str(refused.value).startswith("Recall plan is not complete: 4 item(s) missing.")
    assert "Section “4. The expected effect of the recall” is empty." in str(refused.value)
    assert not AuditEntry.objects.filter(action="filings.checked").exists()

    for key, text in PLAN_SECTIONS.items():
        _json(
            "enter", recall.number, *who, "--section", key, "--zh", text["zh"], "--en", text["en"]
        )
    assert _json("check", recall.number, *who)["status"] == "checked"
    secret = tmp_path / "password"
    secret.write_text(PASSWORD)
    secret.chmod(0o600)
    with signing_clock():
        signed = _json("sign", recall.number, *who, "--password-file", str(secret))
    assert (signed["status"], signed["signature"]) == ("signed", "valid")

    ack = tmp_path / "receipt.pdf"
    ack.write_bytes(ACK)
    submitted = _json(
        "submit",
        recall.number,
        *who,
        "--authority",
        "广东省药品监督管理局",
        "--reference",
        "YJZH-2025-017",
        "--submitted-at",
        "2025-03-05T10:00:00+08:00",
        "--acknowledgement",
        str(ack),
    )
    assert (submitted["status"], submitted["deadline"]) == ("submitted", "nmpa.recall_plan")
    assert list(DeadlineDone.objects.values_list("key", flat=True)) == ["nmpa.recall_plan"]
    with pytest.raises(CommandError, match="already submitted"):
        call_command(
            "filings",
            "submit",
            recall.number,
            *who,
            "--authority",
            "a",
            "--reference",
            "b",
            "--acknowledgement",
            str(ack),
        )

    listed = _json("list", recall.number)
    assert [(r["doc_type"], r["version"], r["status"], r["reference"]) for r in listed] == [
        ("nmpa.recall_plan", 1, "submitted", "YJZH-2025-017")
    ]


def test_a_naive_submission_time_and_a_missing_file_are_refused(
    recall: RecallCase, manager: User, tmp_path: Path
) -> None:
    who = ("--user", manager.username, "--type", "nmpa.event_report")
    _json("generate", recall.number, *who)

    with pytest.raises(CommandError, match="needs its time zone"):
        call_command("filings", "submit", recall.number, *who, "--submitted-at", "2025-03-05T10:00")
    with pytest.raises(CommandError, match="Cannot read"):
        call_command(
            "filings",
            "submit",
            recall.number,
            *who,
            "--acknowledgement",
            str(tmp_path / "nope.pdf"),
        )
    assert Filing.objects.get().status == "draft"


def test_acting_on_a_document_not_generated_is_refused(recall: RecallCase, manager: User) -> None:
    with pytest.raises(CommandError, match=r"has no nmpa\.summary_report yet"):
        call_command(
            "filings",
            "check",
            recall.number,
            "--user",
            manager.username,
            "--type",
            "nmpa.summary_report",
        )
