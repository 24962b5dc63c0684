"""The demo carries a recall under way, built through the services: a new user meets a case in
execution with notices, replies and a return, not an empty list."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command

from medrecall.accounts.models import Signature
from medrecall.audit.models import AuditEntry
from medrecall.execution.models import Receipt, ReturnAuthorisation
from medrecall.notices.models import Notice, Reply
from medrecall.recalls.models import RecallCase

pytestmark = pytest.mark.django_db


def _demo(*options: str) -> dict[str, object]:
    out = StringIO()
    call_command("demo", "--json", *options, stdout=out, stderr=StringIO())
    return json.loads(out.getvalue())  # type: ignore[no-any-return]


def test_the_demo_opens_a_recall_in_execution_with_notices_replies_and_a_return() -> None:
    body = _demo()
    recall = RecallCase.objects.get()
    assert body["recall"] == {
        "number": recall.number,
        "created": True,
        "holders": 10,
        "replies": 3,
        "returned": 20,
    }
    assert (recall.status, recall.title_en) == (
        "in_execution",
        "Catheter tip may separate during insertion (lot CV24040001)",
    )
    assert set(recall.regimes.values_list("regime", flat=True)) == {"nmpa", "fda"}
    assert recall.current_snapshot is not None
    signed = Signature.objects.filter(target_type="recalls.recallcase", target_id=str(recall.pk))
    assert set(signed.values_list("signer__username", flat=True)) == {
        "qa_ra_manager",
        "ra_manager",
    }
    assert Notice.objects.filter(recall=recall).values("party").distinct().count() == 10
    assert Reply.objects.filter(recall=recall, via="staff").count() == 3
    ra = ReturnAuthorisation.objects.get(recall=recall)
    assert ra.party.party_type == "hospital"
    assert sum(Receipt.objects.filter(ra=ra).values_list("quantity", flat=True)) == 20


def test_a_second_run_finds_the_recall_and_adds_nothing() -> None:
    _demo()
    entries = AuditEntry.objects.count()
    again = _demo()
    assert again["recall"] == {
        "number": RecallCase.objects.get().number,
        "created": False,
        "holders": 10,
        "replies": 3,
        "returned": 0,
    }
    assert RecallCase.objects.count() == 1
    assert AuditEntry.objects.count() == entries


def test_without_events_there_is_no_demo_recall() -> None:
    assert _demo("--no-events")["recall"] is None
    assert RecallCase.objects.count() == 0


def test_the_demo_recall_is_decided_then_approved_and_no_deadline_falls_before_approval() -> None:
    from medrecall.recalls.deadlines import deadlines_for

    _demo()
    recall = RecallCase.objects.get()
    approved = recall.transitions.get(target="in_execution").at
    assert recall.decision_at is not None
    assert recall.decision_at <= approved
    rows, _missing = deadlines_for(recall)
    assert rows
    early = [(row.key, row.due_at) for row in rows if row.due_at < approved]
    assert early == []
    # Nothing is done yet; the demo has no US consignee, so FDA is owed nothing.
    assert [row.key for row in rows if row.status == "done"] == []
    fda = {row.key: row.status for row in rows if row.key.startswith("fda.")}
    assert "fda.notify_holders" in fda
    assert set(fda.values()) == {"not_owed"}
    others = {row.status for row in rows if not row.key.startswith("fda.")}
    assert others <= {"open", "due_soon"}
