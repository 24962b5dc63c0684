"""Findings of a walk through the quality pages: filing a report needs its reference and takes a
filing date, a past due date warns, a 5-why chain keeps its numbering, a refused triage keeps
what was typed, recall numbers are trimmed on the command line."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from io import StringIO

import pytest
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from medrecall.accounts.models import User
from medrecall.audit.models import AuditEntry
from medrecall.catalog.models import DeviceModel
from medrecall.quality import services
from medrecall.quality.errors import CapaInvalid, TriageInvalid
from medrecall.quality.models import Capa, Complaint, ReportDecision, RootCause
from medrecall.recalls.services import recall_open
from tests.conftest import PASSWORD
from tests.quality.conftest import AWARE
from tests.traceability.scenario import CATH

pytestmark = pytest.mark.django_db

NMPA_DEATH = services.Triage("nmpa", True, "nmpa_death", "Patient died during the procedure")


def _client(user: User) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _triaged(receive: Callable[..., Complaint], manager: User) -> Complaint:
    complaint = receive(death=True)
    services.complaint_triage(complaint=complaint, actor=manager, decisions=[NMPA_DEATH])
    return complaint


@pytest.mark.parametrize(
    ("reference", "filed", "where", "message"),
    [
        pytest.param(
            "  ",
            None,
            "reference",
            "Give the reference the regulator gave the filed report.",
            id="empty-reference",
        ),
        pytest.param(
            "AE-1",
            timezone.now() + timedelta(days=2),
            "submitted_at",
            "The filing date cannot be in the future.",
            id="future",
        ),
        pytest.param(
            "AE-1",
            AWARE - timedelta(days=1),
            "submitted_at",
            "The report cannot be filed (2026-03-01 17:30 CST) before the awareness date "
            "(2026-03-02 17:30 CST).",
            id="before-awareness",
        ),
    ],
)
def test_mark_as_filed_refuses_and_changes_nothing(
    receive: Callable[..., Complaint], manager: User, reference, filed, where, message
) -> None:
    complaint = _triaged(receive, manager)

    with pytest.raises(TriageInvalid) as refused:
        services.complaint_mark_reported(
            complaint=complaint,
            actor=manager,
            regime="nmpa",
            reference=reference,
            submitted_at=filed,
        )

    assert (refused.value.where, refused.value.message) == (where, message)
    decision = ReportDecision.objects.get()
    assert (decision.submitted_at, decision.submission_reference) == (None, "")
    assert not AuditEntry.objects.filter(action="quality.report_submitted").exists()


def test_mark_as_filed_from_the_page_with_its_filing_date(
    receive: Callable[..., Complaint], manager: User
) -> None:
    complaint = _triaged(receive, manager)
    client = _client(manager)
    page = client.get(reverse("web:quality-complaint", args=[complaint.pk])).content.decode()

    client.post(
        reverse("web:quality-complaint-report", args=[complaint.pk]),
        {"regime": "nmpa", "reference": " NMPA-AE-0042 ", "submitted_at": "2026-03-05T10:00"},
    )

    assert 'name="reference" required' in page
    assert 'type="datetime-local" name="submitted_at"' in page
    decision = ReportDecision.objects.get()
    assert decision.submission_reference == "NMPA-AE-0042"
    assert timezone.localtime(decision.submitted_at).isoformat() == "2026-03-05T10:00:00+08:00"


def test_mark_as_filed_from_the_page_without_reference_is_refused(
    receive: Callable[..., Complaint], manager: User
) -> None:
    complaint = _triaged(receive, manager)
    client = _client(manager)

    response = client.post(
        reverse("web:quality-complaint-report", args=[complaint.pk]),
        {"regime": "nmpa", "reference": ""},
        follow=True,
    )

    assert "Give the reference the regulator gave the filed report." in response.content.decode()
    assert ReportDecision.objects.get().submitted_at is None


def test_past_due_warning() -> None:
    today = date(2026, 5, 10)

    assert services.past_due_warning(date(2026, 5, 9), today=today) == (
        "The due date 2026-05-09 is already past: this starts overdue."
    )
    assert services.past_due_warning(today, today=today) == ""


def test_capa_with_a_past_due_date_confirmed_is_opened_with_a_warning(
    world: object, manager: User
) -> None:
    client = _client(manager)
    past = (timezone.localdate() - timedelta(days=3)).isoformat()

    response = client.post(
        reverse("web:quality-capa-new"),
        {
            "title": "Tip",
            "problem": "Tips break",
            "due_on": past,
            "owner": manager.username,
            "confirm_past_due": "1",
        },
    )

    shown = [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]
    assert (
        "warning",
        f"The due date {past} is already past: this starts overdue.",
    ) in shown
    assert Capa.objects.get().due_on.isoformat() == past


def test_capa_action_with_a_past_due_date_warns_on_the_command_line(
    world: object, manager: User
) -> None:
    capa = services.capa_open(
        actor=manager, title="T", problem="P", owner=manager, due_on=date(2099, 1, 1)
    )
    past = (timezone.localdate() - timedelta(days=1)).isoformat()
    out = StringIO()

    call_command(
        "quality",
        "capa",
        "action",
        capa.number,
        "--kind",
        "corrective",
        "--description",
        "Retrain",
        "--due",
        past,
        "--user",
        manager.username,
        "--json",
        stdout=out,
    )

    assert json.loads(out.getvalue())["warnings"] == [
        f"The due date {past} is already past: this starts overdue."
    ]


def test_a_five_why_chain_with_a_gap_is_refused(world: object, manager: User) -> None:
    capa = services.capa_open(
        actor=manager, title="T", problem="P", owner=manager, due_on=date(2099, 1, 1)
    )

    with pytest.raises(CapaInvalid) as refused:
        services.root_cause_add(
            capa=capa,
            actor=manager,
            category="Process control",
            statement="x",
            whys=["Tip broke", "", "Tubing out of spec", "", ""],
        )

    assert refused.value.message == (
        "Why 2 is empty but a later why is answered: fill it or move the answers up."
    )
    assert RootCause.objects.count() == 0


def test_a_five_why_chain_keeps_its_numbering_without_trailing_blanks(
    world: object, manager: User
) -> None:
    capa = services.capa_open(
        actor=manager, title="T", problem="P", owner=manager, due_on=date(2099, 1, 1)
    )

    cause = services.root_cause_add(
        capa=capa,
        actor=manager,
        category="Process control",
        statement="x",
        whys=[" Tip broke ", "Wall thin", "", "", ""],
    )

    assert cause.whys == ["Tip broke", "Wall thin"]


def test_a_refused_triage_keeps_what_was_chosen_and_typed(
    receive: Callable[..., Complaint], manager: User
) -> None:
    complaint = receive(death=True)
    client = _client(manager)

    response = client.post(
        reverse("web:quality-complaint-triage", args=[complaint.pk]),
        {
            "nmpa-decision": "yes",
            "nmpa-category": "",
            "nmpa-rationale": "Patient died on the table",
            "fda-decision": "no",
            "fda-rationale": "Not sold in the US",
        },
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "Choose the China NMPA reporting category (it sets the clock)." in page
    assert '<option value="yes" selected>' in page
    assert '<option value="no" selected>' in page
    assert 'value="Patient died on the table"' in page
    assert 'value="Not sold in the US"' in page
    assert Complaint.objects.get(pk=complaint.pk).status == "received"


def test_the_command_trims_the_recall_number_of_a_complaint_link(
    receive: Callable[..., Complaint], manager: User
) -> None:
    complaint = receive()
    recall = recall_open(
        actor=manager, title="Tip", products=[DeviceModel.objects.get(udi_di=CATH)], reason="tip"
    )

    call_command(
        "quality",
        "complaint",
        "link",
        complaint.number,
        "--recall",
        f"  {recall.number} ",
        "--user",
        manager.username,
        stdout=StringIO(),
    )

    assert Complaint.objects.get(pk=complaint.pk).recall == recall


def test_complaint_list_shows_awareness_in_local_time_with_its_zone(
    receive: Callable[..., Complaint], manager: User
) -> None:
    receive()

    page = _client(manager).get(reverse("web:quality-complaints")).content.decode()

    assert "<td>2026-03-02 17:30 CST</td>" in page  # 09:30 UTC in Shanghai time, as the detail
