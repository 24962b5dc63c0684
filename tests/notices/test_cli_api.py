"""The notices command line and REST API: the same services, the same refusals."""

from __future__ import annotations

import json
import smtplib
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from medrecall.accounts.models import User
from medrecall.accounts.roles import Role
from medrecall.notices import replies
from medrecall.notices.models import Notice, NoticeTemplate, Offer, Reply
from medrecall.parties.models import Party
from medrecall.recalls.models import RecallCase
from tests.notices.conftest import work_off_queue

pytestmark = pytest.mark.django_db(transaction=True)


def run(*args: str) -> str:
    out = StringIO()
    call_command("notices", *args, stdout=out)
    return out.getvalue()


def test_cli_send_list_log_and_timeline(recall: RecallCase, manager: User, smtp: Any) -> None:
    started = json.loads(run("send", recall.number, "--user", manager.username, "--json"))
    assert started["status"] == "queued"
    work_off_queue()
    progress = json.loads(run("run", str(started["id"]), "--json"))
    assert (progress["status"], progress["total"], progress["sent"]) == ("done", 5, 4)
    rows = json.loads(run("list", "--recall", recall.number, "--json"))
    assert {row["party"] for row in rows} == {"DIST", "SUB", "HOSP", "HOSP2"}
    letter = next(row for row in rows if row["channel"] == "letter")
    assert json.loads(run("overdue", "--json"))[0]["id"] == letter["id"]  # a letter still to post
    logged = json.loads(
        run(
            "log",
            str(letter["id"]),
            "--channel",
            "letter",
            "--note",
            "EMS 1",
            "--user",
            manager.username,
            "--json",
        )
    )
    assert logged["status"] == "sent"
    timeline = json.loads(run("timeline", "HOSP", "--json"))
    assert [e["what"] for e in timeline["entries"]][:1] == ["Letter posted"]
    assert json.loads(run("search", "C1", "--json"))
    with pytest.raises(CommandError, match="call achieved"):
        run("log", str(letter["id"]), "--channel", "call", "--user", manager.username)
    with pytest.raises(CommandError, match="Give --user"):
        run("send", recall.number)


def test_cli_templates_offers_and_sweep(
    recall: RecallCase, manager: User, make_user: Any, smtp: Any
) -> None:
    templates = json.loads(run("templates", "--status", "approved", "--json"))
    assert len(templates) == 40  # 3 regimes × 2 languages × 5 kinds + EU in German and French
    proposed = json.loads(
        run(
            "offer",
            recall.number,
            "--party",
            "SUB",
            "--kind",
            "replacement",
            "--description",
            "Two new catheters",
            "--amount",
            "300",
            "--user",
            manager.username,
            "--json",
        )
    )
    with pytest.raises(CommandError, match="other than the proposer"):
        run(
            "offer-decision", str(proposed["id"]), "--action", "approve", "--user", manager.username
        )
    approver = make_user(Role.QA_RA_MANAGER)
    assert (
        json.loads(
            run(
                "offer-decision",
                str(proposed["id"]),
                "--action",
                "approve",
                "--user",
                approver.username,
                "--json",
            )
        )["status"]
        == "approved"
    )
    assert (
        json.loads(
            run(
                "offer-decision",
                str(proposed["id"]),
                "--action",
                "fulfil",
                "--user",
                manager.username,
                "--json",
            )
        )["status"]
        == "fulfilled"
    )
    assert json.loads(run("sweep", "--json")) == {
        "retried": 0,
        "reminded": 0,
        "escalated": 0,
        "surveyed": 0,
    }


def test_api_send_reply_delivery_and_permissions(
    recall: RecallCase, manager: User, make_user: Any, smtp: Any, api_as: Any
) -> None:
    viewer = api_as(make_user(Role.VIEWER))
    assert (
        viewer.post(f"/api/recalls/{recall.pk}/notices/send/", {}, format="json").status_code == 403
    )
    client = api_as(manager)
    started = client.post(f"/api/recalls/{recall.pk}/notices/send/", {}, format="json")
    assert started.status_code == 202
    work_off_queue()
    assert client.get(f"/api/notices/runs/{started.json()['id']}/").json()["status"] == "done"
    listing = client.get("/api/notices/", {"recall": recall.pk, "channel": "email"}).json()[
        "results"
    ]
    assert len(listing) == 4
    sub = next(n for n in listing if n["party"] == "SUB")
    pdf = client.get(f"/api/notices/{sub['id']}/pdf/")
    assert pdf.status_code == 200
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    delivered = client.post(
        "/api/notices/delivery/",
        {"message_id": sub["message_id"], "outcome": "delivered"},
        format="json",
    )
    assert delivered.json()["status"] == "delivered"
    bad = client.post(
        f"/api/notices/{sub['id']}/reply/",
        {"respondent_name": "Chen", "lines": [{"lot": "C1", "on_hand": 500}]},
        format="json",
    )
    assert bad.status_code == 400
    assert "but you had 200" in bad.json()["message"]
    reply = client.post(
        f"/api/notices/{sub['id']}/reply/",
        {
            "respondent_name": "Chen",
            "lines": [{"lot": "C1", "on_hand": 90, "distributed": 10}],
            "sub_consignees": [
                {
                    "name": "Port Clinic",
                    "country": "CN",
                    "city": "Xiamen",
                    "address": "3 Pier",
                    "phone": "0592-1",
                    "lot": "C1",
                    "quantity": 10,
                }
            ],
        },
        format="json",
    )
    assert reply.status_code == 201
    assert reply.json()["sub_consignees"][0]["quantity"] == 10
    assert Reply.objects.get().via == "staff"
    party = Party.objects.get(name="Port Clinic")
    timeline = client.get(f"/api/customers/{party.pk}/timeline/").json()
    assert timeline["party"]["code"] == party.code
    found = client.get("/api/customers/", {"q": "0592-1"}).json()["results"]
    assert [p["code"] for p in found] == [party.code]
    assert client.get("/api/notices/overdue/").status_code == 200


def test_api_templates_refuse_unknown_placeholders_and_four_eyes(
    manager: User, make_user: Any, api_as: Any
) -> None:
    client = api_as(manager)
    body = {
        "regime": "nmpa",
        "language": "en",
        "kind": "reminder",
        "title": "Reminder",
        "subject": "{{ recall_number }}",
        "sections": [
            {
                "key": "reminder",
                "heading": "Reply",
                "body": "Dear {{ holder }}, {{ reply_url }} by {{ reply_by }}",
            },
            {"key": "contact", "heading": "Contact", "body": "{{ company_phone }}"},
        ],
    }
    refused = client.post("/api/notice-templates/", body, format="json")
    assert refused.status_code == 400
    assert "unknown placeholder {{ holder }}" in refused.json()["message"]
    body["sections"][0]["body"] = "Dear {{ holder_name }}, reply by {{ reply_by }}: {{ reply_url }}"
    saved = client.post("/api/notice-templates/", body, format="json")
    assert saved.status_code == 201
    assert (saved.json()["version"], saved.json()["status"]) == (2, "draft")
    template_id = saved.json()["id"]
    assert (
        client.post(f"/api/notice-templates/{template_id}/approve/").status_code == 400
    )  # four eyes
    other = api_as(make_user(Role.QA_RA_MANAGER))
    assert (
        other.post(f"/api/notice-templates/{template_id}/approve/").json()["status"] == "approved"
    )
    statuses = dict(
        NoticeTemplate.objects.filter(regime="nmpa", language="en", kind="reminder").values_list(
            "version", "status"
        )
    )
    assert statuses == {1: "retired", 2: "approved"}


def test_api_offers(recall: RecallCase, manager: User, make_user: Any, api_as: Any) -> None:
    client = api_as(manager)
    made = client.post(
        "/api/offers/",
        {
            "recall": recall.pk,
            "party": "HOSP",
            "kind": "credit",
            "description": "Credit note",
            "amount": "1200.00",
        },
        format="json",
    )
    assert made.status_code == 201
    finance = api_as(make_user(Role.FINANCE))
    rejected = finance.post(
        f"/api/offers/{made.json()['id']}/decision/", {"action": "reject"}, format="json"
    )
    assert rejected.status_code == 400  # a rejection needs a reason
    assert (
        finance.post(
            f"/api/offers/{made.json()['id']}/decision/", {"action": "approve"}, format="json"
        ).json()["status"]
        == "approved"
    )
    assert Offer.objects.get().decided_by is not None


def test_mail_catcher_keeps_messages(tmp_path: Path) -> None:
    import socket

    from aiosmtpd.controller import Controller

    from medrecall.cli.management.commands.mailcatcher import _Keep

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(_Keep(tmp_path), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with smtplib.SMTP("127.0.0.1", port) as client:
            client.sendmail("a@example.com", ["b@example.com"], b"Subject: hello\r\n\r\nbody\r\n")
    finally:
        controller.stop()
    kept = list(tmp_path.glob("*.eml"))
    assert len(kept) == 1
    assert b"Subject: hello" in kept[0].read_bytes()


def test_replies_expected_lines_merge_locations(
    recall: RecallCase, manager: User, smtp: Any
) -> None:
    call_command("notices", "send", recall.number, "--user", manager.username, stdout=StringIO())
    work_off_queue()
    notice = Notice.objects.filter(party__code="SUB").first()
    assert notice is not None
    lines = replies.expected_lines(notice)
    assert [(line.lot, line.quantity, line.received) for line in lines] == [("C1", 100, 200)]


def test_letters_print_as_one_pdf_and_are_logged_posted(
    recall: RecallCase, manager: User, smtp: Any, tmp_path: Path, api_as: Any, client: Any
) -> None:
    from pypdf import PdfReader

    Party.objects.filter(code="SUB").update(preferred_channel="letter")
    from medrecall.parties.models import Contact

    Contact.objects.filter(party__code="SUB").update(preferred_channel="letter")
    run("send", recall.number, "--user", manager.username)
    work_off_queue()
    out = tmp_path / "letters.pdf"
    summary = json.loads(run("letters", recall.number, "--out", str(out), "--json"))
    assert summary == {"letters": 2, "file": str(out), "posted": 0}
    text = "\n".join(page.extract_text() for page in PdfReader(out).pages)
    assert text.count("导管尖端断裂") == 2  # HOSP's and SUB's letters (Chinese)
    client.force_login(manager)
    page = client.get(f"/recalls/{recall.pk}/notices/").content.decode()
    assert 'id="letters-pdf"' in page
    assert client.get(f"/recalls/{recall.pk}/notices/letters.pdf").content.startswith(b"%PDF")
    api = api_as(manager)
    posted = api.post(
        f"/api/recalls/{recall.pk}/notices/letters/", {"note": "EMS batch 7"}, format="json"
    )
    assert {n["status"] for n in posted.json()} == {"sent"}
    assert (
        api.get(f"/api/recalls/{recall.pk}/notices/letters/").status_code == 400
    )  # none left to print
    with pytest.raises(CommandError, match="no letters"):
        run("letters", recall.number, "--out", str(out))


def test_a_template_without_a_required_placeholder_is_refused(manager: User, api_as: Any) -> None:
    client = api_as(manager)
    body = {
        "regime": "fda",
        "language": "en",
        "kind": "progress",
        "title": "Progress",
        "subject": "{{ recall_number }}",
        "sections": [
            {"key": "progress", "heading": "Progress", "body": "Your return is on its way."},
            {"key": "contact", "heading": "Contact", "body": "{{ company_phone }}"},
        ],
    }
    refused = client.post("/api/notice-templates/", body, format="json")
    assert refused.status_code == 400
    assert "{{ progress_message }} is missing" in refused.json()["message"]
    assert NoticeTemplate.objects.filter(regime="fda", kind="progress", language="en").count() == 1


def test_cli_edits_a_template_as_a_new_version(
    manager: User, make_user: Any, tmp_path: Path
) -> None:
    original = NoticeTemplate.objects.get(regime="nmpa", language="en", kind="reminder")
    shown = json.loads(run("template-show", str(original.pk)))
    shown["sections"][0]["body"] += "\n\nWe will call you if we do not hear from you."
    shown["change_note"] = "Say that we will call"
    path = tmp_path / "reminder.json"
    path.write_text(json.dumps(shown), encoding="utf-8")
    saved = json.loads(
        run("template-save", "--file", str(path), "--user", manager.username, "--json")
    )
    assert (saved["version"], saved["status"]) == (2, "draft")
    shown["sections"][0]["body"] = "No date here."
    path.write_text(json.dumps(shown), encoding="utf-8")
    with pytest.raises(CommandError, match="reply_by"):
        run("template-save", "--file", str(path), "--user", manager.username)
    with pytest.raises(CommandError, match="--file"):
        run("template-save", "--file", str(tmp_path / "missing.json"), "--user", manager.username)
    approver = make_user(Role.QA_RA_MANAGER)
    assert json.loads(
        run("approve-template", str(saved["id"]), "--user", approver.username, "--json")
    )["status"] == ("approved")
