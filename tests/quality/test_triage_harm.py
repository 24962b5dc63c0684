"""Triage against the recorded harm: a category that contradicts the complaint's death/injury
flags is refused with the conflict named (service, page, API, CLI), unless the same triage
corrects the flags or confirms the category with a reason; both are audited."""

from __future__ import annotations

from collections.abc import Callable
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from medrecall.accounts.models import User
from medrecall.audit.models import AuditEntry
from medrecall.quality import services
from medrecall.quality.errors import TriageHarmConflict
from medrecall.quality.lifecycle import ComplaintStatus
from medrecall.quality.models import Complaint, ReportDecision

pytestmark = pytest.mark.django_db

NMPA_DEATH = services.Triage("nmpa", True, "nmpa_death", "Reported as a death")


def _nothing_changed(complaint: Complaint, *, death: bool = False, injury: bool = False) -> None:
    complaint.refresh_from_db()
    assert (complaint.status, complaint.death, complaint.injury) == (
        ComplaintStatus.RECEIVED,
        death,
        injury,
    )
    assert ReportDecision.objects.count() == 0
    assert AuditEntry.objects.filter(action="quality.complaint_triaged").count() == 0


@pytest.mark.parametrize(
    ("flags", "decision", "named"),
    [
        pytest.param({}, NMPA_DEATH, "records no death", id="death-category-no-death"),
        pytest.param(
            {},
            services.Triage("nmpa", True, "nmpa_serious_injury", "x"),
            "records neither",
            id="injury-category-no-injury",
        ),
        pytest.param(
            {},
            services.Triage("eu_mdr", True, "eu_death_or_serious_deterioration", "x"),
            "records neither",
            id="eu-deterioration-no-harm",
        ),
        pytest.param(
            {"death": True},
            services.Triage("nmpa", True, "nmpa_serious_injury", "x"),
            "records a death",
            id="death-in-injury-category",
        ),
        pytest.param(
            {"death": True},
            services.Triage("eu_mdr", True, "eu_other", "x"),
            "records a death",
            id="death-in-eu-other",
        ),
    ],
)
def test_category_contradicting_harm_refused_nothing_changed(
    receive: Callable[..., Complaint],
    manager: User,
    flags: dict[str, bool],
    decision: services.Triage,
    named: str,
) -> None:
    complaint = receive(**flags)

    with pytest.raises(TriageHarmConflict) as refused:
        services.complaint_triage(complaint=complaint, actor=manager, decisions=[decision])

    assert named in refused.value.message
    assert "confirm the category with a reason" in refused.value.message
    assert refused.value.where == "category"
    _nothing_changed(complaint, death=flags.get("death", False))


@pytest.mark.parametrize(
    ("flags", "decision"),
    [
        pytest.param({"death": True}, NMPA_DEATH, id="death"),
        pytest.param(
            {"injury": True},
            services.Triage("nmpa", True, "nmpa_serious_injury", "x"),
            id="injury",
        ),
        pytest.param({}, services.Triage("fda", True, "fda_30_day", "malfunction"), id="fda-30"),
        pytest.param({}, services.Triage("eu_mdr", True, "eu_other", "x"), id="eu-other"),
        pytest.param({"death": True}, services.Triage("nmpa", True, "nmpa_group", "x"), id="group"),
    ],
)
def test_consistent_category_accepted(
    receive: Callable[..., Complaint],
    manager: User,
    flags: dict[str, bool],
    decision: services.Triage,
) -> None:
    complaint = receive(**flags)

    services.complaint_triage(complaint=complaint, actor=manager, decisions=[decision])

    assert Complaint.objects.get(pk=complaint.pk).status == ComplaintStatus.TRIAGED


def test_correcting_the_flags_with_the_triage_is_audited(
    receive: Callable[..., Complaint], manager: User
) -> None:
    complaint = receive()

    services.complaint_triage(
        complaint=complaint,
        actor=manager,
        decisions=[NMPA_DEATH],
        harm=services.Harm(death=True, injury=False),
    )

    complaint.refresh_from_db()
    assert (complaint.status, complaint.death) == (ComplaintStatus.TRIAGED, True)
    entry = AuditEntry.objects.get(action="quality.complaint_triaged")
    assert entry.changes["death"] == [False, True]
    assert "injury" not in entry.changes


def test_confirmed_conflict_kept_with_reason_in_audit(
    receive: Callable[..., Complaint], manager: User
) -> None:
    complaint = receive()
    decision = services.Triage("nmpa", True, "nmpa_serious_injury", "Could cause serious injury")

    services.complaint_triage(
        complaint=complaint,
        actor=manager,
        decisions=[decision],
        harm_confirmation="Tip fracture could cause serious injury (Art. 25)",
    )

    complaint.refresh_from_db()
    assert (complaint.status, complaint.injury) == (ComplaintStatus.TRIAGED, False)
    confirmed = AuditEntry.objects.get(action="quality.complaint_triaged").changes[
        "harm_conflict_confirmed"
    ]
    assert confirmed["reason"] == "Tip fracture could cause serious injury (Art. 25)"
    assert len(confirmed["conflicts"]) == 1


def test_page_refuses_with_the_conflict_and_keeps_input(
    receive: Callable[..., Complaint], manager: User
) -> None:
    complaint = receive()
    client = Client()
    client.force_login(manager)

    response = client.post(
        reverse("web:quality-complaint-triage", args=[complaint.pk]),
        {
            "nmpa-decision": "yes",
            "nmpa-category": "nmpa_death",
            "nmpa-rationale": "Death",
            "harm-given": "1",
        },
    )

    assert response.status_code == 400
    assert "records no death" in response.content.decode()
    _nothing_changed(complaint)

    client.post(
        reverse("web:quality-complaint-triage", args=[complaint.pk]),
        {
            "nmpa-decision": "yes",
            "nmpa-category": "nmpa_death",
            "nmpa-rationale": "Death",
            "harm-given": "1",
            "harm-death": "on",
        },
    )
    complaint.refresh_from_db()
    assert (complaint.status, complaint.death) == (ComplaintStatus.TRIAGED, True)


def test_api_refuses_then_accepts_corrected_flags(
    receive: Callable[..., Complaint], manager: User
) -> None:
    complaint = receive()
    client = APIClient()
    client.force_authenticate(manager)
    url = f"/api/quality/complaints/{complaint.pk}/triage/"
    decisions = [{"regime": "nmpa", "reportable": True, "category": "nmpa_death", "rationale": "d"}]

    refused = client.post(url, {"decisions": decisions}, format="json")

    assert refused.status_code == 400
    assert refused.json()["code"] == "triage_harm_conflict"
    _nothing_changed(complaint)

    accepted = client.post(url, {"decisions": decisions, "death": True}, format="json")
    assert accepted.status_code == 200, accepted.json()
    complaint.refresh_from_db()
    assert complaint.death is True


def test_cli_refuses_then_accepts_with_confirmation(
    receive: Callable[..., Complaint], manager: User
) -> None:
    complaint = receive()
    words = ["complaint", "triage", complaint.number, "--decision", "nmpa:nmpa_death:Died"]
    words += ["--user", manager.username]

    with pytest.raises(CommandError, match="records no death"):
        call_command("quality", *words, stdout=StringIO())
    _nothing_changed(complaint)

    call_command("quality", *words, "--death", "yes", "--json", stdout=StringIO())
    complaint.refresh_from_db()
    assert (complaint.status, complaint.death) == (ComplaintStatus.TRIAGED, True)


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "Harm conflict confirmed"), ("zh-hans", "已确认的伤害冲突")],
)
def test_complaint_history_says_the_confirmed_conflict_in_words(
    receive: Callable[..., Complaint], manager: User, language: str, words: str
) -> None:
    """It showed ``Harm_conflict_confirmed: conflicts: …; reason: …``: the recorded keys by
    their labels in the reader's language now."""
    complaint = receive()
    services.complaint_triage(
        complaint=complaint,
        actor=manager,
        decisions=[services.Triage("nmpa", True, "nmpa_serious_injury", "x")],
        harm_confirmation="Tip fracture",
    )
    client = Client()
    client.force_login(manager)
    page = client.get(
        reverse("web:quality-complaint", args=[complaint.pk]), HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()
    history = page[page.index('id="history"') :]
    assert words in history
    for code in ("harm_conflict_confirmed", "Harm_conflict_confirmed", "conflicts:", "reason:"):
        assert code not in history
